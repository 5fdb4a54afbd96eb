package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/postgres/pgtest"
	"github.com/slipway/slipway/sqlite"
	"github.com/slipway/slipway/storetest"
)

// Every test here runs against a real PostgreSQL that pgtest starts (one
// server per package run, one database per test).
func TestMain(m *testing.M) { pgtest.Main(m) }

var ctx = context.Background()

func open(t testing.TB, dsn string) *DB {
	t.Helper()
	db, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestStore runs the suite every store implementation passes.
func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) slipway.Store { return open(t, pgtest.DSN(t)).Store() })
}

func TestMigrationsAreIdempotent(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	db := open(t, dsn)
	storetest.Build(t, db.Store(), "api", "a")
	db.Close()
	again := open(t, dsn) // re-running migrations must keep the data
	if v, err := again.SchemaVersion(ctx); err != nil || v != latestMigration(t) {
		t.Fatalf("schema version %d %v", v, err)
	}
	if bs, _ := again.Store().Builds.Builds(ctx, "api"); len(bs) != 1 {
		t.Fatalf("data lost across reopen: %d builds", len(bs))
	}
}

// Replicas started at the same moment on an empty database: every Open
// succeeds and each migration is applied once.
func TestConcurrentOpensMigrateOnce(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	const replicas = 6
	var wg sync.WaitGroup
	errs := make([]error, replicas)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			db, err := Open(ctx, dsn)
			if err == nil {
				db.Close()
			}
			errs[i] = err
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
	}
	db := open(t, dsn)
	var versions []int
	rows, err := db.pool.Query(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v int
		rows.Scan(&v)
		versions = append(versions, v)
	}
	if want := migrationNumbers(t); fmt.Sprint(versions) != fmt.Sprint(want) {
		t.Fatalf("applied migrations %v, want %v once each", versions, want)
	}
}

// TestActiveStatesMatchTheIndex keeps the partial unique index of migration
// 0003 and slipway.PromotionState.Active in step.
func TestActiveStatesMatchTheIndex(t *testing.T) {
	t.Parallel()
	db := open(t, pgtest.DSN(t))
	var def string
	if err := db.pool.QueryRow(ctx, `SELECT indexdef FROM pg_indexes WHERE indexname = 'promotions_one_active'`).Scan(&def); err != nil {
		t.Fatal(err)
	}
	for _, s := range slipway.States {
		in := strings.Contains(def, "'"+string(s)+"'")
		if in != s.Active() {
			t.Errorf("state %s: in index %v, Active() %v\n%s", s, in, s.Active(), def)
		}
	}
}

// TestSameModelAsSQLite: schema version N names the same tables and
// columns in both stores, so data and code move between them.
func TestSameModelAsSQLite(t *testing.T) {
	t.Parallel()
	pg := open(t, pgtest.DSN(t))
	lite, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	lv, _ := lite.SchemaVersion(ctx)
	pv, _ := pg.SchemaVersion(ctx)
	if lv != pv {
		t.Fatalf("schema versions differ: sqlite %d, postgres %d: add the migration to both", lv, pv)
	}
	raw, err := sql.Open("sqlite", "file:"+lite.Path()+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.Query(`SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.name`)
	if err != nil {
		t.Fatal(err)
	}
	want := columns(t, rows)
	prows, err := pg.pool.Query(ctx, `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, column_name`)
	if err != nil {
		t.Fatal(err)
	}
	got := columns(t, prows)
	tables := map[string]bool{}
	for k := range want {
		tables[k] = true
	}
	for k := range got {
		tables[k] = true
	}
	var names []string
	for k := range tables {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, n := range names {
		if want[n] != got[n] {
			t.Errorf("table %s:\n sqlite:   %s\n postgres: %s", n, want[n], got[n])
		}
	}
}

// columns reads (table, column) rows into each table's column list.
func columns(t *testing.T, rows interface {
	Next() bool
	Scan(...any) error
}) map[string]string {
	t.Helper()
	cols := map[string]string{}
	for rows.Next() {
		var table, col string
		if err := rows.Scan(&table, &col); err != nil {
			t.Fatal(err)
		}
		cols[table] += col + " "
	}
	return cols
}

// Two replicas (two pools, two sets of connections, as two `slipway serve`
// processes would have) race to start promotions of one pin location: one
// active promotion is left, and with supersede every request succeeds.
func TestOneActiveAcrossReplicas(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	a, b := open(t, dsn).Store(), open(t, dsn).Store()
	const n = 16
	builds := make([]*slipway.Build, n)
	for i := range builds {
		builds[i] = storetest.Build(t, a, "api", fmt.Sprintf("%x", i+1))
	}
	for _, supersede := range []bool{false, true} {
		env := fmt.Sprintf("prod-%v", supersede)
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, superseded := 0, 0
		for i := 0; i < n; i++ {
			st := a
			if i%2 == 1 {
				st = b
			}
			wg.Add(1)
			go func(i int, st slipway.Store) {
				defer wg.Done()
				p := &slipway.Promotion{Service: "api", Env: env, BuildID: builds[i].ID, Digest: builds[i].Digest, Requester: "r", State: slipway.StateWaiting, Created: storetest.T0}
				sup, err := st.Promotions.CreatePromotion(ctx, p, supersede)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
					superseded += len(sup)
				case slipway.ErrorCode(err) != slipway.ECONFLICT:
					t.Errorf("create: %v", err)
				case supersede:
					t.Errorf("with supersede a request may only fail after losing %d races in a row: %v", createAttempts, err)
				}
			}(i, st)
		}
		wg.Wait()
		act, err := b.Promotions.Promotions(ctx, slipway.PromotionFilter{Env: env, Active: true})
		if err != nil || len(act) != 1 {
			t.Fatalf("supersede=%v: %d active: %v", supersede, len(act), err)
		}
		if !supersede && ok != 1 {
			t.Fatalf("without supersede %d requests got through, want 1", ok)
		}
		if supersede && (ok != n || superseded != n-1) {
			t.Fatalf("with supersede: ok %d superseded %d, want %d and %d", ok, superseded, n, n-1)
		}
	}
}

// The index holds whatever the code does: a second active row written
// straight into the table is refused by the database itself.
func TestIndexRefusesSecondActiveRow(t *testing.T) {
	t.Parallel()
	db := open(t, pgtest.DSN(t))
	st := db.Store()
	b := storetest.Build(t, st, "api", "a")
	p := &slipway.Promotion{Service: "api", Env: "prod", BuildID: b.ID, Digest: b.Digest, State: slipway.StateCanary, Created: storetest.T0}
	if _, err := st.Promotions.CreatePromotion(ctx, p, false); err != nil {
		t.Fatal(err)
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO promotions (service, env, build_id, digest, release, requester, expedited, state, reason, pin_commit, pr, revert, created, updated)
		VALUES ('api','prod',$1,$2,'','','','waiting','','',0,'',now(),now())`, b.ID, b.Digest)
	if c, ok := violated(err, uniqueViolation); !ok || c != "promotions_one_active" {
		t.Fatalf("second active row: %v", err)
	}
}

// A writer that bypasses the pin-location lock (an older replica, a hand
// insert) can still not create a second active promotion: the request's
// insert waits on the writer's row, fails on the index when it commits,
// and starts over, to be refused by name like any request that finds an
// active promotion.
func TestIndexCatchesWriterThatSkipsTheLock(t *testing.T) {
	t.Parallel()
	db := open(t, pgtest.DSN(t))
	st := db.Store()
	b1, b2 := storetest.Build(t, st, "api", "a"), storetest.Build(t, st, "api", "b")
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	var rogue string
	if err := tx.QueryRow(ctx, `INSERT INTO promotions (service, env, build_id, digest, release, requester, expedited, state, reason, pin_commit, pr, revert, created, updated)
		VALUES ('api','prod',$1,$2,'','','','waiting','','',0,'',now(),now()) RETURNING id`, b1.ID, b1.Digest).Scan(&rogue); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		p := &slipway.Promotion{Service: "api", Env: "prod", BuildID: b2.ID, Digest: b2.Digest, State: slipway.StateWaiting, Created: storetest.T0}
		_, err := st.Promotions.CreatePromotion(ctx, p, false)
		done <- err
	}()
	// Commit only once the request waits on the rogue row.
	for waiting := 0; waiting == 0; time.Sleep(10 * time.Millisecond) {
		if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	err = <-done
	if slipway.ErrorCode(err) != slipway.ECONFLICT || !strings.Contains(err.Error(), rogue) {
		t.Fatalf("request racing a lock-less writer: %v (want a refusal naming %s)", err, rogue)
	}
}

// Leases between two replicas run on the database's clock: a lease taken
// through one pool is refused through the other until it expires, then
// changes hands with a higher token.
func TestLeasesAcrossReplicas(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	a, b := open(t, dsn), open(t, dsn)
	dbNow := func() time.Time {
		var now time.Time
		if err := a.pool.QueryRow(ctx, `SELECT clock_timestamp()`).Scan(&now); err != nil {
			t.Fatal(err)
		}
		return now
	}
	const ttl = 2 * time.Second
	before := dbNow()
	l, err := a.Store().Leases.Acquire(ctx, slipway.LeaderLease, "replica-a", ttl)
	if err != nil {
		t.Fatal(err)
	}
	// Expires is the database's clock at the acquire, plus ttl.
	if after := dbNow(); l.Expires.Before(before.Add(ttl)) || l.Expires.After(after.Add(ttl)) {
		t.Fatalf("lease expires %s, want between %s and %s (database clock + ttl)", l.Expires, before.Add(ttl), after.Add(ttl))
	}
	_, err = b.Store().Leases.Acquire(ctx, slipway.LeaderLease, "replica-b", time.Minute)
	if slipway.ErrorCode(err) != slipway.ECONFLICT || !strings.Contains(err.Error(), "replica-a") {
		t.Fatalf("replica b while a holds it: %v", err)
	}
	// Replica a stops renewing (it died); b polls until the lease is free.
	var lb *slipway.Lease
	for deadline := time.Now().Add(30 * time.Second); lb == nil; time.Sleep(50 * time.Millisecond) {
		if lb, err = b.Store().Leases.Acquire(ctx, slipway.LeaderLease, "replica-b", time.Minute); slipway.ErrorCode(err) == slipway.ECONFLICT && time.Now().Before(deadline) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if lb.Token != l.Token+1 {
		t.Fatalf("takeover token %d after %d", lb.Token, l.Token)
	}
	if !dbNow().After(l.Expires) {
		t.Fatal("b took the lease before a's expired")
	}
	if _, err := a.Store().Leases.Renew(ctx, slipway.LeaderLease, "replica-a", time.Minute); slipway.ErrorCode(err) != slipway.ECONFLICT {
		t.Fatalf("the old leader must learn it lost the lease: %v", err)
	}
}

// A released lease keeps its token, so the next holder's is higher than
// every earlier holder's (fencing across a release).
func TestLeaseTokenGrowsAcrossRelease(t *testing.T) {
	t.Parallel()
	st := open(t, pgtest.DSN(t)).Store()
	var last int64
	for i, owner := range []string{"a", "b", "a", "c"} {
		l, err := st.Leases.Acquire(ctx, "promotion/p-1", owner, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 && l.Token <= last {
			t.Fatalf("holder %d (%s) got token %d after %d", i, owner, l.Token, last)
		}
		last = l.Token
		if err := st.Leases.Release(ctx, "promotion/p-1", owner); err != nil {
			t.Fatal(err)
		}
		if ls, _ := st.Leases.Leases(ctx); len(ls) != 0 {
			t.Fatalf("released lease still listed: %+v", ls)
		}
	}
}

// Holds and stop switches stay single under concurrent requests from two
// replicas (SQLite serializes writers; PostgreSQL needs the partial
// unique indexes).
func TestHoldsAndStopsStaySingleAcrossReplicas(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	stores := []slipway.Store{open(t, dsn).Store(), open(t, dsn).Store()}
	var wg sync.WaitGroup
	holdIDs := make([]int64, 12)
	stopIDs := make([]int64, 12)
	for i := range holdIDs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			st := stores[i%2]
			h := &slipway.Hold{Service: "api", Digest: "sha256:" + strings.Repeat("a", 64), Reason: "abort", By: "slipway", Created: storetest.T0}
			if err := st.Holds.AddHold(ctx, h); err != nil {
				t.Error(err)
			}
			s := &slipway.Stop{Env: "prod", By: "bob", Reason: "incident", Since: storetest.T0}
			if err := st.Gates.AddStop(ctx, s); err != nil {
				t.Error(err)
			}
			holdIDs[i], stopIDs[i] = h.ID, s.ID
		}(i)
	}
	wg.Wait()
	hs, _ := stores[0].Holds.Holds(ctx, "api", true)
	ss, _ := stores[0].Gates.Stops(ctx)
	if len(hs) != 1 || len(ss) != 1 {
		t.Fatalf("%d holds and %d stops, want one each", len(hs), len(ss))
	}
	for i := range holdIDs {
		if holdIDs[i] != hs[0].ID || stopIDs[i] != ss[0].ID {
			t.Fatalf("caller %d was told hold %d / stop %d, the store has %d / %d", i, holdIDs[i], stopIDs[i], hs[0].ID, ss[0].ID)
		}
	}
}

// References to a promotion that does not exist are ENOTFOUND, not a raw
// foreign-key error.
func TestUnknownPromotionIsNotFound(t *testing.T) {
	t.Parallel()
	st := open(t, pgtest.DSN(t)).Store()
	err := st.Gates.AddApproval(ctx, &slipway.Approval{PromotionID: "p-404", User: "bob", At: storetest.T0})
	if slipway.ErrorCode(err) != slipway.ENOTFOUND || !strings.Contains(err.Error(), "p-404") {
		t.Fatalf("approval of p-404: %v", err)
	}
	err = st.Analysis.CreateAnalysisRun(ctx, &slipway.AnalysisRun{PromotionID: "p-404", Phase: "Running", Started: storetest.T0})
	if slipway.ErrorCode(err) != slipway.ENOTFOUND {
		t.Fatalf("analysis run of p-404: %v", err)
	}
	_, err = st.Promotions.CreatePromotion(ctx, &slipway.Promotion{Service: "api", Env: "dev", BuildID: "api-000000000000", State: slipway.StateWaiting, Created: storetest.T0}, false)
	if slipway.ErrorCode(err) != slipway.ENOTFOUND {
		t.Fatalf("promotion of an unknown build: %v", err)
	}
}

// A DSN that does not parse is EINVALID and its message never quotes the
// DSN (it may hold a password).
func TestBadDSN(t *testing.T) {
	_, err := Open(ctx, "postgres://slipway:s3cret@host:notaport/db")
	if slipway.ErrorCode(err) != slipway.EINVALID || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("bad DSN: %v", err)
	}
}

// migrationNumbers lists the numbers of the migration files in order, so
// the tests follow new migrations without an edit.
func migrationNumbers(t *testing.T) []int {
	t.Helper()
	entries, err := migrations.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, e := range entries {
		var n int
		if _, err := fmt.Sscanf(e.Name(), "%d_", &n); err == nil {
			out = append(out, n)
		}
	}
	sort.Ints(out)
	return out
}

// latestMigration is the number of the newest migration file.
func latestMigration(t *testing.T) int {
	n := migrationNumbers(t)
	return n[len(n)-1]
}

// TestPromotionVersionsBump: migration 0009's triggers bump a service's
// version on every insert, update and delete of its promotions, as
// SQLite's do, whoever writes.
func TestPromotionVersionsBump(t *testing.T) {
	t.Parallel()
	db := open(t, pgtest.DSN(t))
	st := db.Store()
	version := func() int64 {
		t.Helper()
		var v int64
		if err := db.pool.QueryRow(ctx, `SELECT version FROM promotion_versions WHERE service = 'api'`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	b := storetest.Build(t, st, "api", "1")
	p := &slipway.Promotion{Service: "api", Env: "dev", BuildID: b.ID, Digest: b.Digest, Requester: "alice@example.com", State: slipway.StateWaiting, Reason: "evaluating gates", Created: time.Now().UTC()}
	if _, err := st.Promotions.CreatePromotion(ctx, p, true); err != nil {
		t.Fatal(err)
	}
	v1 := version()
	if err := st.Promotions.Transition(ctx, p, slipway.StateFailed, "failed", p.Created); err != nil {
		t.Fatal(err)
	}
	v2 := version()
	for _, q := range []string{`DELETE FROM transitions WHERE promotion_id = $1`, `DELETE FROM promotions WHERE id = $1`} {
		if _, err := db.pool.Exec(ctx, q, p.ID); err != nil {
			t.Fatal(err)
		}
	}
	if v3 := version(); !(v1 < v2 && v2 < v3) {
		t.Errorf("versions after insert, update, delete: %d %d %d, want each larger", v1, v2, v3)
	}
}
