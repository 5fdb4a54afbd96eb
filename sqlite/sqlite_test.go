package sqlite

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway"
)

var t0 = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

func open(t *testing.T, dir string) *DB {
	t.Helper()
	db, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func build(t *testing.T, db *DB, hex string) *slipway.Build {
	t.Helper()
	d := "sha256:" + strings.Repeat(hex, 64)
	b := &slipway.Build{ID: slipway.BuildID("api", d), Service: "api", Commit: strings.Repeat("c", 40), Image: "r/api", Digest: d, KeyID: "k", Created: t0}
	if _, err := db.CreateBuild(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMigrationsAreIdempotent(t *testing.T) {
	dir := t.TempDir()
	db := open(t, dir)
	build(t, db, "a")
	db.Close()
	again := open(t, dir) // re-running migrations must keep the data
	if v, err := again.SchemaVersion(context.Background()); err != nil || v != 2 {
		t.Fatalf("schema version %d %v", v, err)
	}
	if bs, _ := again.Builds(context.Background(), "api"); len(bs) != 1 {
		t.Fatalf("data lost across reopen: %d builds", len(bs))
	}
}

func TestBuildsAreImmutable(t *testing.T) {
	ctx := context.Background()
	db := open(t, t.TempDir())
	b := build(t, db, "a")
	dup := *b
	created, err := db.CreateBuild(ctx, &dup)
	if err != nil || created {
		t.Fatalf("same build again: created=%v err=%v", created, err)
	}
	dup.Commit = strings.Repeat("d", 40)
	if _, err := db.CreateBuild(ctx, &dup); slipway.ErrorCode(err) != slipway.ECONFLICT {
		t.Fatalf("same digest, other commit: %v", err)
	}
	if _, err := db.Build(ctx, "nope"); slipway.ErrorCode(err) != slipway.ENOTFOUND {
		t.Fatalf("missing build: %v", err)
	}
}

func TestTransitionsAreCheckedAndRecorded(t *testing.T) {
	ctx := context.Background()
	db := open(t, t.TempDir())
	b := build(t, db, "a")
	p := &slipway.Promotion{Service: "api", Env: "prod", BuildID: b.ID, Digest: b.Digest, State: slipway.StateWaiting, Created: t0}
	if err := db.CreatePromotion(ctx, p); err != nil || p.ID != "p-1" {
		t.Fatalf("create: %v %s", err, p.ID)
	}
	stale := *p // a second reconciler read the same row
	if err := db.Transition(ctx, p, slipway.StatePinning, "gates passed", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := db.Transition(ctx, &stale, slipway.StatePinning, "again", t0); slipway.ErrorCode(err) != slipway.ECONFLICT {
		t.Fatalf("stale transition must conflict: %v", err)
	}
	if err := db.Transition(ctx, p, slipway.StateCanary, "skip", t0); slipway.ErrorCode(err) != slipway.ECONFLICT {
		t.Fatalf("illegal transition pinning→canary: %v", err)
	}
	p.PinCommit = strings.Repeat("e", 40)
	if err := db.Transition(ctx, p, slipway.StateSynced, "pushed", t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := db.Transition(ctx, p, slipway.StateSucceeded, "synced", t0.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	h, err := db.History(ctx, p.ID)
	if err != nil || len(h) != 4 || h[0].To != slipway.StateWaiting || h[3].From != slipway.StateSynced {
		t.Fatalf("history: %+v %v", h, err)
	}
	cur, err := db.Current(ctx, "api", "prod")
	if err != nil || cur.ID != p.ID || cur.PinCommit != p.PinCommit {
		t.Fatalf("current: %+v %v", cur, err)
	}
	if at, _ := db.SucceededAt(ctx, p.ID); !at.Equal(t0.Add(3 * time.Minute)) {
		t.Errorf("succeeded at %s", at)
	}
}

func TestAuditChainDetectsTampering(t *testing.T) {
	ctx := context.Background()
	db := open(t, t.TempDir())
	for i, kind := range []string{"promoted", "aborted", "rolled-back"} {
		e := &slipway.AuditEntry{At: t0.Add(time.Duration(i) * time.Minute), Kind: kind, Service: "api", Env: "prod", Digest: "sha256:x", Approvers: []string{"bob"}}
		if err := db.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	es, err := db.AuditEntries(ctx)
	if err != nil || len(es) != 3 {
		t.Fatal(err)
	}
	if err := slipway.VerifyChain(es); err != nil {
		t.Fatal(err)
	}
	es[1].Approvers = []string{"mallory"}
	if err := slipway.VerifyChain(es); err == nil || !strings.Contains(err.Error(), "audit entry 2") {
		t.Fatalf("edited entry: %v", err)
	}
	es, _ = db.AuditEntries(ctx)
	if err := slipway.VerifyChain(append(es[:1], es[2:]...)); err == nil || !strings.Contains(err.Error(), "audit entry 3") {
		t.Fatalf("removed entry: %v", err)
	}
}

func TestHoldsAndPullRequests(t *testing.T) {
	ctx := context.Background()
	db := open(t, t.TempDir())
	h := &slipway.Hold{Service: "api", Digest: "sha256:x", Reason: "r", By: "bob", Created: t0}
	if err := db.AddHold(ctx, h); err != nil {
		t.Fatal(err)
	}
	h2 := &slipway.Hold{Service: "api", Digest: "sha256:x", Reason: "again", Created: t0}
	if err := db.AddHold(ctx, h2); err != nil || h2.ID != h.ID {
		t.Fatalf("holding a held digest must be a no-op: %v %d %d", err, h.ID, h2.ID)
	}
	if got, _ := db.ActiveHold(ctx, "api", "sha256:x"); got == nil {
		t.Fatal("hold not active")
	}
	if err := db.ReleaseHold(ctx, "api", "sha256:x", t0); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.ActiveHold(ctx, "api", "sha256:x"); got != nil {
		t.Fatal("released hold still active")
	}
	if err := db.ReleaseHold(ctx, "api", "sha256:x", t0); slipway.ErrorCode(err) != slipway.ENOTFOUND {
		t.Fatalf("releasing twice: %v", err)
	}

	pr := &slipway.PullRequest{Branch: "slipway/prod/api/abc", Base: "main", Title: "t", Created: t0}
	if created, err := db.OpenPR(ctx, pr); err != nil || !created || pr.Number != 1 {
		t.Fatalf("open: %v %v %d", created, err, pr.Number)
	}
	again := &slipway.PullRequest{Branch: "slipway/prod/api/abc", Base: "main", Title: "other", Created: t0}
	if created, err := db.OpenPR(ctx, again); err != nil || created || again.Number != 1 || again.Title != "t" {
		t.Fatalf("opening the same branch twice must return the first PR: %+v %v", again, err)
	}
	pr.State, pr.MergeSHA, pr.Updated = "merged", "m", t0
	if err := db.SetPRState(ctx, pr); err != nil {
		t.Fatal(err)
	}
	if err := db.SetPRState(ctx, pr); slipway.ErrorCode(err) != slipway.ECONFLICT {
		t.Fatalf("merging a merged PR: %v", err)
	}
}
