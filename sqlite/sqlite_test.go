package sqlite

import (
	"context"
	"fmt"
	"strings"
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
	if v, err := again.SchemaVersion(context.Background()); err != nil || v != latestMigration(t) {
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

// latestMigration is the number of the newest migration file, so the test
// follows new migrations without an edit.
func latestMigration(t *testing.T) int {
	t.Helper()
	entries, err := migrations.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	last := 0
	for _, e := range entries {
		var n int
		if _, err := fmt.Sscanf(e.Name(), "%d_", &n); err == nil && n > last {
			last = n
		}
	}
	return last
}

// TestServicePromotionsReadInOrder: a page of one service's promotions is
// read in order from an index, not sorted from all of its rows (a service
// with years of history would otherwise sort them on every page).
func TestServicePromotionsReadInOrder(t *testing.T) {
	db := open(t, t.TempDir())
	for _, f := range []slipway.PromotionFilter{{Service: "api"}, {Service: "api", Env: "prod"}} {
		q, args := promotionQuery(f, 1000)
		rows, err := db.db.DB.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q+` ORDER BY seq DESC LIMIT ?`, append(args, 20)...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		joined := fmt.Sprint(plan)
		if !strings.Contains(joined, "USING INDEX") || strings.Contains(joined, "TEMP B-TREE") {
			t.Errorf("%+v: plan %s, want an index read in order", f, joined)
		}
	}
}
