package sqlite

import (
	"context"
	"testing"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/storetest"
)

func open(t *testing.T, dir string) *DB {
	t.Helper()
	db, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestStore runs the suite every store implementation passes.
func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) slipway.Store { return open(t, t.TempDir()).Store() })
}

func TestMigrationsAreIdempotent(t *testing.T) {
	dir := t.TempDir()
	db := open(t, dir)
	storetest.Build(t, db.Store(), "api", "a")
	db.Close()
	again := open(t, dir) // re-running migrations must keep the data
	if v, err := again.SchemaVersion(context.Background()); err != nil || v != 7 {
		t.Fatalf("schema version %d %v", v, err)
	}
	if bs, _ := again.Store().Builds.Builds(context.Background(), "api"); len(bs) != 1 {
		t.Fatalf("data lost across reopen: %d builds", len(bs))
	}
}

// TestActiveStatesMatchTheIndex keeps the partial unique index of migration
// 0003 and slipway.PromotionState.Active in step.
func TestActiveStatesMatchTheIndex(t *testing.T) {
	db := open(t, t.TempDir())
	var sql string
	if err := db.db.QueryRow(`SELECT sql FROM sqlite_master WHERE name = 'promotions_one_active'`).Scan(&sql); err != nil {
		t.Fatal(err)
	}
	for _, s := range slipway.States {
		in := containsQuoted(sql, string(s))
		if in != s.Active() {
			t.Errorf("state %s: in index %v, Active() %v", s, in, s.Active())
		}
	}
}

func containsQuoted(s, w string) bool {
	for i := 0; i+len(w)+2 <= len(s); i++ {
		if s[i] == '\'' && s[i+1:i+1+len(w)] == w && s[i+1+len(w)] == '\'' {
			return true
		}
	}
	return false
}
