package engine

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/config"
	"github.com/slipway/slipway/git"
	"github.com/slipway/slipway/tlog"
)

// logged reopens the fixture's engine with the transparency log under
// .slipway/tlog, as app.Open wires it.
func (f *fixture) logged() {
	f.t.Helper()
	cfg, err := config.Load(filepath.Join(f.dir, "slipway.yaml"))
	if err != nil {
		f.t.Fatal(err)
	}
	f.e.Close()
	e, err := openEngine(cfg, filepath.Join(f.dir, ".slipway"), func() time.Time { return f.now })
	if err != nil {
		f.t.Fatal(err)
	}
	l, err := tlog.Open(f.tlogDir())
	if err != nil {
		f.t.Fatal(err)
	}
	withLog(e, l)
	f.e = e
	f.t.Cleanup(func() { f.e.Close() })
}

func withLog(e *Engine, l AuditLog) {
	e.AuditLog = l
	e.Store.Audit = loggedAudit{AuditStore: e.Store.Audit, e: e}
}

func (f *fixture) tlogDir() string { return filepath.Join(f.dir, ".slipway", "tlog") }

// toProd promotes b to prod, approves it and merges its pull request: a
// "promoted" prod change (the fixture has no canary).
func (f *fixture) toProd(b *slipway.Build) *slipway.Promotion {
	f.t.Helper()
	ctx := context.Background()
	p, err := f.e.Promote(ctx, PromoteRequest{Service: "api", Env: "prod", BuildID: b.ID, Requester: "alice@example.com"})
	if err != nil {
		f.t.Fatal(err)
	}
	if p, err = f.e.Approve(ctx, p.ID, "bob@example.com", true, "looked at staging"); err != nil || p.State != slipway.StateReviewOpen {
		f.t.Fatalf("approve %s: %+v %v", p.ID, p, err)
	}
	if err := f.e.MergePR(ctx, p.PR, "carol@example.com"); err != nil {
		f.t.Fatal(err)
	}
	if p, _ = f.e.Store.Promotions.Promotion(ctx, p.ID); p.State != slipway.StateSucceeded {
		f.t.Fatalf("after merge: %+v", p)
	}
	return p
}

// prodHistory plays six audited changes, one of each kind: two releases
// promoted, the second rolled back (a revert pull request), its hold
// released, a third let through a stop by break glass and promoted. It
// returns the fixture, the log's key and the checkpoint a careful operator
// saved after the third change, with a copy of the log as it was then.
func prodHistory(t *testing.T) (f *fixture, key string, cp3 []byte, log3 string) {
	f = newFixture(t)
	f.logged()
	ctx := context.Background()
	b1 := f.released("1")
	f.toProd(b1)
	f.now = f.now.Add(time.Hour)
	f.commit("alice@example.com", "feat: second", "b.txt", "2", "")
	b2 := f.released("2")
	f.toProd(b2)
	f.now = f.now.Add(time.Hour)
	rolled, err := f.e.Rollback(ctx, "api", "prod", "bob@example.com", "latency regression")
	if err != nil {
		t.Fatal(err)
	}
	// The revert pull request is merged: the revert commit is then off the
	// first-parent line of main (the merge's second parent).
	prs, err := f.e.Forge.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range prs {
		if pr.HeadSHA == rolled.Revert {
			if err := f.e.MergePR(ctx, pr.Number, "carol@example.com"); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The operator saves a checkpoint (and here, a copy of the log).
	if cp3, err = tlog.ReadCheckpoint(f.tlogDir()); err != nil {
		t.Fatal(err)
	}
	log3 = filepath.Join(t.TempDir(), "tlog-at-3")
	copyDir(t, f.tlogDir(), log3)
	f.now = f.now.Add(time.Hour)
	if err := f.e.ReleaseHold(ctx, "api", b2.Digest, "bob@example.com"); err != nil {
		t.Fatal(err)
	}
	f.commit("alice@example.com", "fix: third", "c.txt", "3", "")
	b3 := f.released("3")
	if err := f.e.StopLine(ctx, "prod", "bob@example.com", "quarter-end freeze"); err != nil {
		t.Fatal(err)
	}
	p, err := f.e.Promote(ctx, PromoteRequest{Service: "api", Env: "prod", BuildID: b3.ID, Requester: "alice@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.Approve(ctx, p.ID, "bob@example.com", true, ""); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(time.Hour)
	if p, err = f.e.Override(ctx, p.ID, "dave@example.com", "customers are down, the fix must ship"); err != nil {
		t.Fatal(err)
	}
	if err := f.e.MergePR(ctx, p.PR, "carol@example.com"); err != nil {
		t.Fatal(err)
	}
	if key, err = tlog.ReadPublicKey(f.tlogDir()); err != nil {
		t.Fatal(err)
	}
	return f, key, cp3, log3
}

// TestEveryAuditEntryHasItsLeaf: each kind of prod change appends one leaf
// that binds what the issue asks, and the log verifies against Git and the
// store.
func TestEveryAuditEntryHasItsLeaf(t *testing.T) {
	f, key, cp3, _ := prodHistory(t)
	ctx := context.Background()
	var leaves []tlog.Leaf
	if _, err := tlog.Verify(ctx, f.tlogDir(), tlog.VerifyOptions{PublicKey: key, OnLeaf: func(_ uint64, l tlog.Leaf) error { leaves = append(leaves, l); return nil }}); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, l := range leaves {
		kinds = append(kinds, l.Kind)
	}
	if got, want := strings.Join(kinds, " "), "promoted promoted rolled-back hold-released override promoted"; got != want {
		t.Fatalf("leaves: %s, want %s", got, want)
	}
	entries, err := f.e.Store.Audit.AuditEntries(ctx)
	if err != nil || len(entries) != len(leaves) {
		t.Fatalf("%d audit entries for %d leaves: %v", len(entries), len(leaves), err)
	}
	first, _ := f.e.Store.Promotions.Promotion(ctx, leaves[0].PromotionID)
	b, _ := f.e.Store.Builds.Build(ctx, first.BuildID)
	l := leaves[0]
	if l.Digest != b.Digest || l.Signer != b.KeyID || l.SignatureDigest != b.SignatureDigest || l.SignatureDigest == "" ||
		l.PinCommit != first.PinCommit || l.PR != int64(first.PR) || l.PRHead != first.Head || l.PRHead == "" ||
		strings.Join(l.Approvers, ",") != "bob@example.com" || l.Release != "v1.0.0" || !l.Time.Equal(entries[0].At) {
		t.Errorf("promoted leaf does not bind the change:\nleaf  %+v\nbuild %+v\npromo %+v", l, b, first)
	}
	rb := leaves[2]
	rolled, _ := f.e.Store.Promotions.Promotion(ctx, rb.PromotionID)
	if rb.PinCommit != rolled.Revert || rb.Reason != "latency regression" {
		t.Errorf("rolled-back leaf should name the revert commit %s: %+v", rolled.Revert, rb)
	}
	if hr := leaves[3]; hr.PromotionID != rolled.ID || hr.Env != "prod" || hr.Approvers[0] != "bob@example.com" {
		t.Errorf("hold-released leaf should name the rollback that held the digest: %+v", hr)
	}
	if ov := leaves[4]; ov.Approvers[0] != "dave@example.com" || ov.PinCommit != "" || !strings.Contains(ov.Reason, "customers are down") {
		t.Errorf("override leaf: %+v", ov)
	}
	rep, err := f.e.VerifyLog(ctx, VerifyLogOptions{PublicKey: key, Checkpoint: cp3})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Size != 6 || rep.SavedSize != 3 || rep.PinCommits != 4 || rep.Entries != 6 || !rep.Pinned {
		t.Errorf("report: %+v", rep)
	}
}

// TestVerifyLogDetectsTampering: each way of rewriting the record is
// caught, naming the leaf (or entry) and why.
func TestVerifyLogDetectsTampering(t *testing.T) {
	f, key, cp3, log3 := prodHistory(t)
	ctx := context.Background()
	// Verification reads files only; the appender is stopped so that
	// nothing but the test touches them.
	if err := f.e.AuditLog.Close(); err != nil {
		t.Fatal(err)
	}
	f.e.AuditLog = closedLog{f.tlogDir()}
	cpNow, err := tlog.ReadCheckpoint(f.tlogDir())
	if err != nil {
		t.Fatal(err)
	}
	verify := func(opts VerifyLogOptions) error {
		if opts.PublicKey == "" {
			opts.PublicKey = key
		}
		_, err := f.e.VerifyLog(ctx, opts)
		return err
	}
	leafErr := func(t *testing.T, err error, problem error, leaf int64, contains string) {
		t.Helper()
		var ve *tlog.VerifyError
		if !errors.As(err, &ve) || !errors.Is(err, problem) || ve.Leaf != leaf || !strings.Contains(err.Error(), contains) {
			t.Fatalf("want %v at leaf %d mentioning %q, got %v", problem, leaf, contains, err)
		}
	}
	if err := verify(VerifyLogOptions{Checkpoint: cpNow}); err != nil {
		t.Fatal(err)
	}

	t.Run("a byte of a stored leaf", func(t *testing.T) {
		bundle := newestBundle(t, f.tlogDir())
		restore := keep(t, bundle)
		defer restore()
		editLeaf(t, bundle, 4, func(b []byte) []byte {
			return bytes.Replace(b, []byte("customers are down"), []byte("customers are dawn"), 1)
		})
		leafErr(t, verify(VerifyLogOptions{}), tlog.ErrLeafAltered, 4, "leaf 4")
	})

	t.Run("the newest leaves deleted", func(t *testing.T) {
		bundle := newestBundle(t, f.tlogDir())
		restore := keep(t, bundle)
		defer restore()
		b, _ := os.ReadFile(bundle)
		os.WriteFile(bundle, b[:leafOffset(t, b, 4)], 0o644)
		leafErr(t, verify(VerifyLogOptions{}), tlog.ErrLeafMissing, 4, "leaf 4")
	})

	t.Run("the log replaced by an older copy", func(t *testing.T) {
		restore := swapDir(t, f.tlogDir(), log3)
		defer restore()
		// With the checkpoint saved after the sixth change: truncated.
		leafErr(t, verify(VerifyLogOptions{Checkpoint: cpNow, CheckpointName: "cp6"}), tlog.ErrTruncated, 3, "cp6")
		// Without one, the store still remembers the fourth change.
		err := verify(VerifyLogOptions{})
		if err == nil || !strings.Contains(err.Error(), "audit entry 4 (hold-released") || !strings.Contains(err.Error(), "no leaf in the transparency log") {
			t.Fatalf("an older log with no saved checkpoint: %v", err)
		}
	})

	t.Run("the checkpoint replaced", func(t *testing.T) {
		cp := filepath.Join(f.tlogDir(), "log", "checkpoint")
		restore := keep(t, cp)
		defer restore()
		// The older checkpoint is validly signed: the log then claims 3
		// leaves, and the store's fourth entry has none.
		os.WriteFile(cp, cp3, 0o644)
		if err := verify(VerifyLogOptions{}); err == nil || !strings.Contains(err.Error(), "audit entry 4") {
			t.Fatalf("older checkpoint: %v", err)
		}
		leafErr(t, verify(VerifyLogOptions{Checkpoint: cpNow}), tlog.ErrTruncated, 3, "")
		b := bytes.Clone(cpNow)
		b[len(b)-10] ^= 1
		os.WriteFile(cp, b, 0o644)
		if err := verify(VerifyLogOptions{}); !errors.Is(err, tlog.ErrCheckpoint) {
			t.Fatalf("a flipped checkpoint byte: %v", err)
		}
	})

	t.Run("the store rewritten with a recomputed chain", func(t *testing.T) {
		db := openDB(t, f)
		restore := keepAudit(t, db)
		defer restore()
		rewriteAudit(t, db, func(x *slipway.AuditEntry) {
			if x.Seq == 1 {
				x.Approvers = []string{"mallory@example.com"}
			}
		})
		if _, err := f.e.VerifyAudit(ctx); err != nil {
			t.Fatalf("the rewritten chain should verify on its own (that is the attack): %v", err)
		}
		leafErr(t, verify(VerifyLogOptions{}), tlog.ErrLeafCheck, 0, `disagree on the approvers: the store says "[mallory@example.com]"`)
	})

	t.Run("the newest audit entry deleted from the store", func(t *testing.T) {
		db := openDB(t, f)
		restore := keepAudit(t, db)
		defer restore()
		if _, err := db.Exec(`DELETE FROM audit WHERE seq = 6`); err != nil {
			t.Fatal(err)
		}
		if _, err := f.e.VerifyAudit(ctx); err != nil {
			t.Fatalf("a chain missing its tail still verifies on its own: %v", err)
		}
		leafErr(t, verify(VerifyLogOptions{}), tlog.ErrLeafCheck, 5, "no audit entry in the store records it")
	})

	t.Run("a promotion rewritten in the store", func(t *testing.T) {
		db := openDB(t, f)
		id := readLeaves(t, f.tlogDir())[0].PromotionID
		var pin string
		db.QueryRow(`SELECT pin_commit FROM promotions WHERE id = ?`, id).Scan(&pin)
		defer db.Exec(`UPDATE promotions SET pin_commit = ? WHERE id = ?`, pin, id)
		db.Exec(`UPDATE promotions SET pin_commit = ? WHERE id = ?`, strings.Repeat("a", 40), id)
		leafErr(t, verify(VerifyLogOptions{}), tlog.ErrLeafCheck, 0, "the store's "+id+" has pin commit aaaaaaaaaaaa")
	})

	// Last: it rewrites the remote for good.
	t.Run("a pin commit rewritten away by a force-push", func(t *testing.T) {
		// The remote's history replaced by one commit with today's files:
		// every pin commit the log names is gone.
		tree := f.git(f.remote, "rev-parse", "main^{tree}")
		root := f.git(f.remote, "-c", "user.name=m", "-c", "user.email=m@example.com", "commit-tree", tree, "-m", "squashed history")
		f.git(f.remote, "update-ref", "refs/heads/main", root)
		for _, ref := range strings.Fields(f.git(f.remote, "for-each-ref", "--format=%(refname)", "refs/heads/slipway/")) {
			f.git(f.remote, "update-ref", "-d", ref)
		}
		leafErr(t, verify(VerifyLogOptions{}), tlog.ErrLeafCheck, 0, "is on no branch of the GitOps remote")
	})
}

// TestLeafIsAppendedOnceAcrossCrashes: a leaf whose append failed after its
// audit entry was recorded is appended by the retry, with the entry's
// time; a retry after a successful append adds nothing.
func TestLeafIsAppendedOnceAcrossCrashes(t *testing.T) {
	f := newFixture(t)
	f.logged()
	ctx := context.Background()
	b := f.released("1")
	real := f.e.AuditLog
	f.e.AuditLog = failingLog{real}
	p, err := f.e.Promote(ctx, PromoteRequest{Service: "api", Env: "prod", BuildID: b.ID, Requester: "alice@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if p, err = f.e.Approve(ctx, p.ID, "bob@example.com", true, ""); err != nil {
		t.Fatal(err)
	}
	if err := f.e.MergePR(ctx, p.PR, "carol@example.com"); err == nil || !strings.Contains(err.Error(), "transparency-log leaf is not") {
		t.Fatalf("a failed append must fail the step: %v", err)
	}
	if p, _ = f.e.Store.Promotions.Promotion(ctx, p.ID); p.State == slipway.StateSucceeded {
		t.Fatal("the promotion must not succeed before its leaf is appended")
	}
	entries, _ := f.e.Store.Audit.AuditEntries(ctx)
	if len(entries) != 1 {
		t.Fatalf("the entry is recorded before the leaf: %d entries", len(entries))
	}
	// The retry, later: the leaf carries the entry's time, not the retry's.
	f.now = f.now.Add(time.Hour)
	f.e.AuditLog = real
	if err := f.e.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if p, _ = f.e.Store.Promotions.Promotion(ctx, p.ID); p.State != slipway.StateSucceeded {
		t.Fatalf("after the retry: %+v", p)
	}
	leaves := readLeaves(t, f.tlogDir())
	if len(leaves) != 1 || !leaves[0].Time.Equal(entries[0].At) {
		t.Fatalf("leaves after the retry: %+v (entry at %s)", leaves, entries[0].At)
	}
	// A crash after the append, before the promotion moved on: the retry
	// finds the entry and the leaf, and adds neither again.
	db := openDB(t, f)
	if _, err := db.Exec(`UPDATE promotions SET state = 'synced' WHERE id = ?`, p.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.e.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(readLeaves(t, f.tlogDir())); n != 1 {
		t.Errorf("%d leaves after a second retry, want 1", n)
	}
	if entries, _ := f.e.Store.Audit.AuditEntries(ctx); len(entries) != 1 {
		t.Errorf("%d audit entries after a second retry, want 1", len(entries))
	}
	// An entry whose leaf never made it (no retry comes: a rollback, an
	// override): verify names it, and sync appends it.
	f.e.AuditLog = failingLog{real}
	if _, err := f.e.Rollback(ctx, "api", "prod", "bob@example.com", "bad"); err == nil {
		t.Fatal("the rollback must report its missing leaf")
	}
	f.e.AuditLog = real
	if _, err := f.e.VerifyLog(ctx, VerifyLogOptions{}); err == nil || !strings.Contains(err.Error(), "audit entry 2 (rolled-back") {
		t.Fatalf("verify should name the entry without a leaf: %v", err)
	}
	if n, err := f.e.SyncAuditLog(ctx); err != nil || n != 1 {
		t.Fatalf("sync: %d %v", n, err)
	}
	if _, err := f.e.VerifyLog(ctx, VerifyLogOptions{}); err != nil {
		t.Fatal(err)
	}
}

type failingLog struct{ AuditLog }

// closedLog is a log directory no process appends to.
type closedLog struct{ dir string }

func (l closedLog) Dir() string { return l.dir }
func (closedLog) Append(context.Context, tlog.Leaf) (uint64, error) {
	return 0, errors.New("closed")
}
func (closedLog) Find(context.Context, tlog.Leaf) (uint64, bool, error) { return 0, false, nil }
func (closedLog) Close() error                                          { return nil }

func (failingLog) Append(context.Context, tlog.Leaf) (uint64, error) {
	return 0, errors.New("disk full")
}

// TestVerifyReadsTheNarrowPromotions: the engine's transparency-log
// wrapper around the store does not hide the store's narrow promotion
// list, which audit verify reads (full rows cost it a third more).
func TestVerifyReadsTheNarrowPromotions(t *testing.T) {
	f := newFixture(t)
	f.logged()
	if _, wrapped := f.e.Store.Audit.(loggedAudit); !wrapped {
		t.Fatal("the fixture's engine has no transparency log around its store")
	}
	if _, ok := f.e.auditedLister(); !ok {
		t.Error("audit verify reads full promotion rows: the wrapper hides AuditedPromotions")
	}
}

// TestPinClaimsBatchAgreesWithOne: the batch checker (one git log, the pin
// files known from their shape or read in a batch) and CheckPinCommit (one
// commit at a time) decide every claim alike, true ones and false ones.
func TestPinClaimsBatchAgreesWithOne(t *testing.T) {
	f, _, _, _ := prodHistory(t)
	ctx := context.Background()
	var claims []*PinClaim
	var heads []string
	for _, l := range readLeaves(t, f.tlogDir()) {
		c, head := claimOf(l)
		if c == nil {
			continue
		}
		claims = append(claims, c, &PinClaim{c.Service, c.Env, c.Commit, c.Digest, !c.Sets})
		other := *c
		other.Digest = "sha256:" + strings.Repeat("e", 64)
		claims = append(claims, &other)
		heads = append(heads, head, "", "")
	}
	seed := f.git(f.remote, "rev-list", "--max-parents=0", "main")
	claims = append(claims, &PinClaim{"api", "prod", seed, claims[0].Digest, true})
	heads = append(heads, "")
	checker, err := f.e.newClaimChecker(ctx, "prod")
	if err != nil {
		t.Fatal(err)
	}
	batch := checker.check(ctx, claims, heads)
	good := 0
	for i, c := range claims {
		if errors.Is(batch[i], errNotPrefetched) {
			if c.Commit != rolledBack(t, f).Revert {
				t.Errorf("%s: only the merged revert is off the first-parent line", c)
			}
			continue
		}
		one := f.e.CheckPinCommit(ctx, *c)
		if (one == nil) != (batch[i] == nil) {
			t.Errorf("%s: one by one %v, batch %v", c, one, batch[i])
		}
		if one == nil {
			good++
		}
	}
	if good != 3 {
		t.Errorf("%d claims hold, want the 3 on first-parent lines", good)
	}
}

// TestPinClaimsGuessedFromShape: the checker knows most pin files without
// reading them (the service's file with the claim's digest put in, when its
// blob id is the tree's), and reads every file whose shape differs: a file
// that names the digest only in a comment, or a new line, is read and
// judged on what it holds.
func TestPinClaimsGuessedFromShape(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := func(c string) string { return "sha256:" + strings.Repeat(c, 64) }
	pinned := func(digest string) string {
		return "# api in prod\nimage:\n  digest: \"" + digest + "\" # pinned by Slipway\n"
	}
	pushFiles := f.pusher(t)
	push := func(content string) string { return pushFiles(map[string]string{"envs/prod/api.yaml": content}) }
	c1 := push(pinned(d("1")))
	c2 := push(pinned(d("2")))                                     // the same shape: known
	c3 := push("# " + d("3") + " was approved\n" + pinned(d("9"))) // names 3 in a comment, pins 9: read
	c4 := push(pinned(d("4")) + "replicas: 2\n")                   // a new line: read
	c5 := push(pinned(d("2")))                                     // back to 2: known
	claims := []*PinClaim{
		{"api", "prod", c1, d("1"), true},
		{"api", "prod", c2, d("2"), true},
		{"api", "prod", c3, d("3"), true},
		{"api", "prod", c4, d("4"), true},
		{"api", "prod", c5, d("4"), false},
	}
	if err := f.e.fresh(ctx, true); err != nil {
		t.Fatal(err)
	}
	checker, err := f.e.newClaimChecker(ctx, "prod")
	if err != nil {
		t.Fatal(err)
	}
	got := checker.check(ctx, claims, make([]string, len(claims)))
	for i, c := range claims {
		one := f.e.CheckPinCommit(ctx, *c)
		if (one == nil) != (got[i] == nil) {
			t.Errorf("%s: one by one %v, batch %v", c, one, got[i])
		}
		if want := i != 2; (got[i] == nil) != want {
			t.Errorf("%s: %v, want it to hold: %v", c, got[i], want)
		}
	}
	if got[2] == nil || !strings.Contains(got[2].Error(), "does not pin") {
		t.Errorf("the comment naming the digest: %v, want the pin read", got[2])
	}
	// c2 is proven from c1's trees with c1's file and digest 2: nothing of
	// it is read. The blobs read: the seed's and c1's (the shape), c3's and
	// c4's (their guesses fail). c5 goes back to c2's blob, already known.
	if checker.proven != 1 {
		t.Errorf("%d commits proven from their parent's trees, want 1 (c2)", checker.proven)
	}
	blobs := 0
	for id := range checker.known {
		if f.git(f.remote, "cat-file", "-t", id) == "blob" {
			blobs++
		}
		if real := f.git(f.remote, "cat-file", "blob", id); real != strings.TrimSpace(string(checker.known[id])) {
			t.Errorf("blob %s: known as %q, git holds %q", id, checker.known[id], real)
		}
	}
	if blobs != 5 {
		t.Errorf("%d blobs known, want 5 (the seed's, 1, 2, 3 and 4)", blobs)
	}
}

// pusher returns a function that commits files (path → content) on a
// clone of the GitOps remote as someone else would, pushes the commit to
// main and returns it.
func (f *fixture) pusher(t *testing.T) func(map[string]string) string {
	work := filepath.Join(t.TempDir(), "work")
	f.git(f.dir, "clone", "-q", f.remote, work)
	return func(files map[string]string) string {
		for p, c := range files {
			os.MkdirAll(filepath.Dir(filepath.Join(work, p)), 0o755)
			os.WriteFile(filepath.Join(work, p), []byte(c), 0o644)
		}
		f.git(work, "add", "-A")
		f.git(work, "-c", "user.name=p", "-c", "user.email=p@example.com", "commit", "-q", "-m", "change")
		f.git(work, "push", "-q", "origin", "HEAD:main")
		return f.git(work, "rev-parse", "HEAD")
	}
}

// TestPinClaimsProvenAcrossOtherChanges: commits that change other files
// between the claims (another environment, a README) cost reading only the
// trees that changed, and a pin commit that also changes another file is
// not proven from its parent's trees: it is read, and still judged on its
// pins.
func TestPinClaimsProvenAcrossOtherChanges(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := func(c string) string { return "sha256:" + strings.Repeat(c, 64) }
	pinned := func(digest string) string { return "image:\n  digest: \"" + digest + "\"\n" }
	push := f.pusher(t)
	prodPin := "envs/prod/api.yaml"
	c1 := push(map[string]string{prodPin: pinned(d("1"))})
	push(map[string]string{"envs/dev/api.yaml": pinned(d("7")), "README.md": "dev moved\n"})
	c2 := push(map[string]string{prodPin: pinned(d("2"))})
	c3 := push(map[string]string{prodPin: pinned(d("3")), "README.md": "and a readme in the same commit\n"})
	c4 := push(map[string]string{prodPin: pinned(d("4"))})
	claims := []*PinClaim{
		{"api", "prod", c1, d("1"), true},
		{"api", "prod", c2, d("2"), true},
		{"api", "prod", c3, d("3"), true},
		{"api", "prod", c4, d("4"), true},
		{"api", "prod", c4, d("3"), true}, // false: c4 pins 4
	}
	if err := f.e.fresh(ctx, true); err != nil {
		t.Fatal(err)
	}
	checker, err := f.e.newClaimChecker(ctx, "prod")
	if err != nil {
		t.Fatal(err)
	}
	got := checker.check(ctx, claims, make([]string, len(claims)))
	for i, c := range claims {
		if want := i != 4; (got[i] == nil) != want {
			t.Errorf("%s: %v, want it to hold: %v", c, got[i], want)
		}
		if one := f.e.CheckPinCommit(ctx, *c); (one == nil) != (got[i] == nil) {
			t.Errorf("%s: one by one %v, batch %v", c, one, got[i])
		}
	}
	// c2 (after the dev commit: its parent's trees are loaded, not its own)
	// and c4 are proven; c1 (the first) and c3 (a readme too) are read.
	if checker.proven != 2 {
		t.Errorf("%d commits proven, want 2", checker.proven)
	}
}

func rolledBack(t *testing.T, f *fixture) *slipway.Promotion {
	ps, err := f.e.Store.Promotions.Promotions(context.Background(), slipway.PromotionFilter{State: slipway.StateRolledBack})
	if err != nil || len(ps) != 1 {
		t.Fatalf("rolled-back promotions: %d %v", len(ps), err)
	}
	return ps[0]
}

func TestMeasurementsDigestIsCanonical(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 123456789, time.UTC)
	runs := []slipway.AnalysisRun{{ID: 7, Phase: "Successful"}}
	ms := []slipway.Measurement{{Metric: "a", Phase: "Successful", Value: "0.1", At: at}, {Metric: "b", Phase: "Successful", Value: "0", At: at}}
	d := MeasurementsDigest(runs, [][]slipway.Measurement{ms})
	swapped := []slipway.Measurement{ms[1], ms[0]}
	if MeasurementsDigest([]slipway.AnalysisRun{{ID: 99, Phase: "Successful"}}, [][]slipway.Measurement{swapped}) != d {
		t.Error("row order or run id changed the digest")
	}
	ms[0].At = at.Truncate(time.Microsecond).In(time.FixedZone("x", 3600))
	if MeasurementsDigest(runs, [][]slipway.Measurement{ms}) != d {
		t.Error("sub-microsecond precision or the zone changed the digest")
	}
	ms[0].Value = "0.2"
	if MeasurementsDigest(runs, [][]slipway.Measurement{ms}) == d {
		t.Error("a changed value kept the digest")
	}
}

func readLeaves(t *testing.T, dir string) []tlog.Leaf {
	t.Helper()
	var out []tlog.Leaf
	if err := tlog.ReadLeaves(context.Background(), dir, 0, func(_ uint64, l tlog.Leaf) error { out = append(out, l); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func openDB(t *testing.T, f *fixture) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(f.dir, ".slipway", "slipway.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// keepAudit saves the audit table and returns a function restoring it.
func keepAudit(t *testing.T, db *sql.DB) func() {
	t.Helper()
	type row struct {
		seq                          int64
		entry, hash, prev, promotion string
	}
	var rows []row
	rs, err := db.Query(`SELECT seq, entry, hash, prev_hash, promotion_id FROM audit ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	for rs.Next() {
		var r row
		rs.Scan(&r.seq, &r.entry, &r.hash, &r.prev, &r.promotion)
		rows = append(rows, r)
	}
	rs.Close()
	return func() {
		db.Exec(`DELETE FROM audit`)
		for _, r := range rows {
			if _, err := db.Exec(`INSERT INTO audit (seq, entry, hash, prev_hash, promotion_id) VALUES (?,?,?,?,?)`, r.seq, r.entry, r.hash, r.prev, r.promotion); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// rewriteAudit edits entries and recomputes the whole chain, as someone
// with write access to the database can.
func rewriteAudit(t *testing.T, db *sql.DB, edit func(*slipway.AuditEntry)) {
	t.Helper()
	rs, err := db.Query(`SELECT entry FROM audit ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	var entries []slipway.AuditEntry
	for rs.Next() {
		var body string
		rs.Scan(&body)
		var x slipway.AuditEntry
		json.Unmarshal([]byte(body), &x)
		entries = append(entries, x)
	}
	rs.Close()
	prev := ""
	for _, x := range entries {
		edit(&x)
		x.PrevHash = prev
		x.Hash = x.ComputeHash()
		prev = x.Hash
		body, _ := json.Marshal(x)
		if _, err := db.Exec(`UPDATE audit SET entry = ?, hash = ?, prev_hash = ? WHERE seq = ?`, string(body), x.Hash, x.PrevHash, x.Seq); err != nil {
			t.Fatal(err)
		}
	}
}

// newestBundle is the entry bundle holding the newest leaves.
func newestBundle(t *testing.T, dir string) string {
	t.Helper()
	var files []string
	filepath.WalkDir(filepath.Join(dir, "log", "tile", "entries"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	if len(files) == 0 {
		t.Fatal("no entry bundle")
	}
	return files[len(files)-1]
}

// leafOffset is where leaf i starts in a bundle (2-byte big-endian lengths).
func leafOffset(t *testing.T, b []byte, i int) int {
	off := 0
	for k := 0; k < i; k++ {
		if off+2 > len(b) {
			t.Fatalf("bundle has fewer than %d leaves", i)
		}
		off += 2 + (int(b[off])<<8 | int(b[off+1]))
	}
	return off
}

// editLeaf rewrites leaf i of a bundle in place (same length).
func editLeaf(t *testing.T, bundle string, i int, edit func([]byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(bundle)
	if err != nil {
		t.Fatal(err)
	}
	off := leafOffset(t, b, i)
	n := int(b[off])<<8 | int(b[off+1])
	leaf := b[off+2 : off+2+n]
	edited := edit(bytes.Clone(leaf))
	if len(edited) != n || bytes.Equal(edited, leaf) {
		t.Fatalf("edit must change leaf %d and keep its length", i)
	}
	copy(leaf, edited)
	if err := os.WriteFile(bundle, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// keep saves a file and returns a function restoring it.
func keep(t *testing.T, path string) func() {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return func() {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// swapDir puts a copy of other in dir's place and returns a function
// putting dir back.
func swapDir(t *testing.T, dir, other string) func() {
	t.Helper()
	aside := dir + ".aside"
	if err := os.Rename(dir, aside); err != nil {
		t.Fatal(err)
	}
	copyDir(t, other, dir)
	return func() {
		os.RemoveAll(dir)
		if err := os.Rename(aside, dir); err != nil {
			t.Fatal(err)
		}
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if out, err := exec.Command("cp", "-a", from, to).CombinedOutput(); err != nil {
		t.Fatalf("cp %s: %v: %s", from, err, out)
	}
}

// TestFirstParentsParse: the walk's lines give each commit its tree and
// parents, and its place (newest first); anything else is an error naming
// the line.
func TestFirstParentsParse(t *testing.T) {
	c1, c2, tr, m := strings.Repeat("1", 40), strings.Repeat("2", 40), strings.Repeat("a", 40), strings.Repeat("3", 40)
	got, err := parseFirstParents(bufio.NewReader(strings.NewReader(c2 + " " + tr + " " + c1 + " " + m + "\n" + c1 + " " + tr + "\n")))
	if err != nil {
		t.Fatal(err)
	}
	if l := got[c2]; l == nil || l.tree != tr || l.parents != c1+" "+m || l.parent(1) != m || l.parent(2) != "" || l.pos != 0 {
		t.Errorf("merge: %+v", l)
	}
	if l := got[c1]; l == nil || l.parents != "" || l.parent(0) != "" || l.pos != 1 {
		t.Errorf("root: %+v", l)
	}
	for _, bad := range []string{c1 + "\n", "x " + tr + "\n", c1 + " " + tr + " -p\n", c1 + " " + tr[:39] + "\n"} {
		if _, err := parseFirstParents(bufio.NewReader(strings.NewReader(bad))); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%q: %v, want an error naming line 1", bad, err)
		}
	}
}

// FuzzFirstParentsParse: whatever `git log` prints (or an attacker makes it
// print), the parser returns an error or commits whose ids are ids; it
// never panics.
func FuzzFirstParentsParse(f *testing.F) {
	f.Add(strings.Repeat("1", 40) + " " + strings.Repeat("a", 40) + " " + strings.Repeat("2", 40) + "\n")
	f.Add(strings.Repeat("1", 64) + " " + strings.Repeat("a", 64) + "\n\n")
	f.Add("x y z\n")
	f.Fuzz(func(t *testing.T, out string) {
		got, err := parseFirstParents(bufio.NewReader(strings.NewReader(out)))
		if err != nil {
			return
		}
		for sha, l := range got {
			if !git.ValidSHA(sha) || !git.ValidSHA(l.tree) {
				t.Fatalf("commit %q: %+v", sha, l)
			}
		}
	})
}

// FuzzRekorEntry: a build's recorded Rekor entry either parses into what a
// leaf accepts or is left out.
func FuzzRekorEntry(f *testing.F) {
	f.Add("3:" + strings.Repeat("ab", 32))
	f.Add("-1:" + strings.Repeat("ab", 32))
	f.Add("9007199254740993:" + strings.Repeat("0", 80))
	f.Add("12:XYZ")
	f.Fuzz(func(t *testing.T, s string) {
		r := rekorEntry(s)
		if r == nil {
			return
		}
		l := tlog.Leaf{Kind: "promoted", Service: "api", Env: "prod", PromotionID: "p-1", Digest: "sha256:" + strings.Repeat("0", 64), Rekor: r, Time: time.Unix(1, 0)}
		if err := l.Validate(); err != nil {
			t.Fatalf("%q parsed to %+v, which a leaf refuses: %v", s, r, err)
		}
	})
}

// FuzzLeafText: any reason fits a leaf once made leafText.
func FuzzLeafText(f *testing.F) {
	for _, s := range []string{"canary passed", " two\nlines\t", "bidi \u202e override", strings.Repeat("é", 3000), "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l := tlog.Leaf{Kind: "promoted", Service: "api", Env: "prod", PromotionID: "p-1", Digest: "sha256:" + strings.Repeat("0", 64), Reason: leafText(s, 4096), Signer: leafText(s, 1024), Time: time.Unix(1, 0)}
		if err := l.Validate(); err != nil {
			t.Fatalf("leafText(%q) = %q: %v", s, l.Reason, err)
		}
	})
}

// TestReconcileKeepsTheCommitGraph: the controller's reconcile keeps the
// GitOps clone's commit-graph written and valid, so `slipway audit verify`
// on a served state walks with it and never writes it whole.
func TestReconcileKeepsTheCommitGraph(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.pusher(t)(map[string]string{"envs/prod/api.yaml": "image:\n  digest: \"\"\n", "README.md": "moved\n"})
	if err := f.e.fresh(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := f.e.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	dir := f.e.GitOps.(*git.Repo).Dir
	if _, err := os.Stat(filepath.Join(dir, ".git", "objects", "info", "commit-graphs", "commit-graph-chain")); err != nil {
		t.Fatalf("no commit-graph after a reconcile: %v", err)
	}
	f.git(dir, "commit-graph", "verify")
}
