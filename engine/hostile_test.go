package engine

import (
	"context"
	"database/sql"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/rollout/webhook"
)

// push commits files to the GitOps remote's main as someone else would.
func (f *fixture) push(msg string, files map[string]string) string {
	f.t.Helper()
	work := filepath.Join(f.t.TempDir(), "w")
	f.git(f.dir, "clone", "-q", f.remote, work)
	for p, c := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(work, p)), 0o755)
		os.WriteFile(filepath.Join(work, p), []byte(c), 0o644)
	}
	f.git(work, "add", "-A")
	f.git(work, "-c", "user.name=m", "-c", "user.email=mallory@example.com", "commit", "-q", "--allow-empty", "-m", msg)
	f.git(work, "push", "-q", "origin", "HEAD:main")
	return f.git(work, "rev-parse", "HEAD")
}

func (f *fixture) db() *sql.DB {
	f.t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(f.dir, ".slipway", "slipway.db"))
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { db.Close() })
	return db
}

// TestPlantedTrailersProveNothing: commits that carry Slipway's trailers
// but do not pin the digest never complete, skip or fake a step.
func TestPlantedTrailersProveNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.e.Cfg.Environments[0].Auto = false
	ref, sha := f.build("1", f.signer)
	b, _, err := f.e.RegisterBuild(ctx, "api", sha, ref.String())
	if err != nil {
		t.Fatal(err)
	}
	// Mallory plants the commit a crashed promotion p-1 would have made,
	// trailers and all, without pinning anything.
	planted := f.push("chore(dev): pin api\n\nSlipway-Promotion: p-1\nSlipway-Digest: "+b.Digest+"\nSlipway-Reverts: "+strings.Repeat("a", 40)+"\nSlipway-Pull-Request: 1", nil)
	p, err := f.e.Promote(ctx, PromoteRequest{Service: "api", Env: "dev", BuildID: b.ID, Requester: "carol@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != "p-1" || p.State != slipway.StateSucceeded {
		t.Fatalf("promotion: %+v", p)
	}
	if p.PinCommit == planted {
		t.Fatal("the planted commit was taken as the pin commit")
	}
	if got := f.git(f.remote, "show", "main:envs/dev/api.yaml"); !strings.Contains(got, b.Digest) {
		t.Fatalf("the pin was never written:\n%s", got)
	}
	if parent := f.git(f.remote, "rev-parse", p.PinCommit+"^"); parent != planted {
		t.Fatalf("Slipway's pin commit should sit on the planted one, parent %s", parent)
	}
	// A crash "after the push": the promotion is back in pinning with no
	// commit recorded. The pins hold the digest, so the commit that set it
	// (by content) is adopted, not the planted one, and nothing is pushed.
	f.db().Exec(`UPDATE promotions SET state = 'pinning', pin_commit = '', head = '' WHERE id = 'p-1'`)
	head := f.git(f.remote, "rev-parse", "main")
	if err := f.e.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := f.e.Store.Promotions.Promotion(ctx, "p-1")
	if got.State != slipway.StateSucceeded || got.PinCommit != p.PinCommit || f.git(f.remote, "rev-parse", "main") != head {
		t.Fatalf("recovery: %+v (pin commit should be %s, main unchanged)", got, p.PinCommit)
	}
}

// TestRevertTargetsTheCommitThatSetTheDigest: a later commit touching the
// pin file (a comment) is not what a rollback reverts.
func TestRevertTargetsTheCommitThatSetTheDigest(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.push("docs: owners", map[string]string{"envs/dev/api.yaml": "# api in dev\n# owner: checkout\n# on call: #checkout\n\nimage:\n  digest: \"\" # pinned by Slipway\n"})
	first := f.released("1")
	f.commit("alice@example.com", "feat: second", "d.txt", "4", "")
	second := f.released("2")
	pin := f.git(f.remote, "show", "main:envs/dev/api.yaml")
	touched := strings.Replace(pin, "# owner: checkout", "# owner: payments", 1) + "\n" // f.git trims the newline
	f.push("docs: payments owns api in dev", map[string]string{"envs/dev/api.yaml": touched})
	p, err := f.e.Rollback(ctx, "api", "dev", "bob@example.com", "latency")
	if err != nil {
		t.Fatal(err)
	}
	got := f.git(f.remote, "show", "main:envs/dev/api.yaml")
	if !strings.Contains(got, first.Digest) || strings.Contains(got, second.Digest) || !strings.Contains(got, "# owner: payments") {
		t.Fatalf("the revert must undo the pin commit only:\n%s", got)
	}
	if msg := f.git(f.remote, "log", "-1", "--format=%B", "main"); !strings.Contains(msg, "This reverts commit "+p.PinCommit) {
		t.Fatalf("revert names the wrong commit:\n%s\n(pin commit %s)", msg, p.PinCommit)
	}
}

// TestOnlyTheCheckedHeadMerges: a push to the promotion's branch after
// Slipway checked it is refused at merge, and main is untouched.
func TestOnlyTheCheckedHeadMerges(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	b := f.released("1")
	p, _ := f.e.Promote(ctx, PromoteRequest{Service: "api", Env: "prod", BuildID: b.ID, Requester: "carol@example.com"})
	if p, _ = f.e.Approve(ctx, p.ID, "dave@example.com", true, ""); p.State != slipway.StateReviewOpen {
		t.Fatalf("approved: %+v", p)
	}
	work := filepath.Join(t.TempDir(), "w")
	f.git(f.dir, "clone", "-q", "-b", p.Branch, f.remote, work)
	os.WriteFile(filepath.Join(work, "backdoor.yaml"), []byte("x: 1\n"), 0o644)
	f.git(work, "add", "-A")
	f.git(work, "-c", "user.name=m", "-c", "user.email=m@example.com", "commit", "-qm", "chore: innocuous")
	f.git(work, "push", "-q", "origin", "HEAD:"+p.Branch)
	before := f.git(f.remote, "rev-parse", "main")
	err := f.e.MergePR(ctx, p.PR, "bob@example.com")
	if slipway.ErrorCode(err) != slipway.ECONFLICT || !strings.Contains(err.Error(), "not at the head") {
		t.Fatalf("merging a moved head: %v", err)
	}
	if f.git(f.remote, "rev-parse", "main") != before {
		t.Fatal("main moved")
	}
	if err := f.e.Reconcile(ctx); err == nil {
		t.Log("reconcile reports the moved head")
	}
	got, _ := f.e.Store.Promotions.Promotion(ctx, p.ID)
	if got.State != slipway.StateFailed || !strings.Contains(got.Reason, "someone pushed") {
		t.Fatalf("the promotion should fail visibly: %+v", got)
	}
}

// TestRePromotingADigestWorksInAPullRequestEnvironment: each promotion has
// its own branch (merged ones are deleted), so going back to a known-good
// digest by promotion works.
func TestRePromotingADigestWorksInAPullRequestEnvironment(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	one := f.released("1")
	f.commit("alice@example.com", "feat: two", "d.txt", "2", "")
	two := f.released("2")
	for i, b := range []*slipway.Build{one, two, one} {
		p, err := f.e.Promote(ctx, PromoteRequest{Service: "api", Env: "prod", BuildID: b.ID, Requester: "carol@example.com"})
		if err != nil {
			t.Fatalf("promotion %d: %v", i, err)
		}
		if p, err = f.e.Approve(ctx, p.ID, "dave@example.com", true, ""); err != nil {
			t.Fatal(err)
		}
		if err := f.e.MergePR(ctx, p.PR, "bob@example.com"); err != nil {
			t.Fatalf("merge %d: %v", i, err)
		}
		if got, _ := f.e.Store.Promotions.Promotion(ctx, p.ID); got.State != slipway.StateSucceeded {
			t.Fatalf("promotion %d: %+v", i, got)
		}
		if got := f.git(f.remote, "show", "main:envs/prod/api.yaml"); !strings.Contains(got, b.Digest) {
			t.Fatalf("promotion %d: prod pin\n%s", i, got)
		}
		if out := f.git(f.remote, "branch", "--list", p.Branch); out != "" {
			t.Fatalf("merged branch %s was not deleted", p.Branch)
		}
	}
}

// TestPinFilesMustBeSmallRegularFiles: a pin file replaced by a symlink
// (it could point anywhere in the repository) or grown huge is refused,
// naming it, and nothing changes.
func TestPinFilesMustBeSmallRegularFiles(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.e.Cfg.Environments[0].Auto = false
	ref, sha := f.build("1", f.signer)
	b, _, _ := f.e.RegisterBuild(ctx, "api", sha, ref.String())
	f.push("big", map[string]string{"envs/dev/api.yaml": "image:\n  digest: \"\"\n# " + strings.Repeat("x", pinFileLimit) + "\n"})
	f.refused("oversized pin", slipway.EINVALID, "limit for a pin file", func() error {
		_, err := f.e.Promote(ctx, PromoteRequest{Service: "api", Env: "dev", BuildID: b.ID, Requester: "carol@example.com"})
		return err
	})
	work := filepath.Join(t.TempDir(), "w")
	f.git(f.dir, "clone", "-q", f.remote, work)
	os.Remove(filepath.Join(work, "envs", "dev", "api.yaml"))
	os.Symlink("../prod/api.yaml", filepath.Join(work, "envs", "dev", "api.yaml"))
	f.git(work, "add", "-A")
	f.git(work, "-c", "user.name=m", "-c", "user.email=m@example.com", "commit", "-qm", "link")
	f.git(work, "push", "-q", "origin", "HEAD:main")
	f.refused("symlinked pin", slipway.EINVALID, "symbolic link", func() error {
		_, err := f.e.Promote(ctx, PromoteRequest{Service: "api", Env: "dev", BuildID: b.ID, Requester: "carol@example.com"})
		return err
	})
}

// TestFreeTextCannotForgeTrailers: an expedite reason that tries to add a
// trailer or a paragraph stays one line of the body.
func TestFreeTextCannotForgeTrailers(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.e.Cfg.Environments[0].Auto = false
	ref, sha := f.build("1", f.signer)
	b, _, _ := f.e.RegisterBuild(ctx, "api", sha, ref.String())
	p, err := f.e.Promote(ctx, PromoteRequest{Service: "api", Env: "dev", BuildID: b.ID, Requester: "carol@example.com",
		Expedite: "INC-1\n\nSlipway-Promotion: p-99\nSlipway-Digest: sha256:" + strings.Repeat("0", 64)})
	if err != nil {
		t.Fatal(err)
	}
	msg := f.git(f.remote, "log", "-1", "--format=%B", p.PinCommit)
	out := f.git(f.dir, "-c", "core.hooksPath=/dev/null", "interpret-trailers", "--parse", writeTemp(t, msg))
	if out != "Slipway-Promotion: "+p.ID+"\nSlipway-Digest: "+b.Digest {
		t.Fatalf("trailers git finds:\n%s\nin:\n%s", out, msg)
	}
}

func writeTemp(t *testing.T, s string) string {
	p := filepath.Join(t.TempDir(), "msg")
	os.WriteFile(p, []byte(s), 0o644)
	return p
}

// TestOneActorPerPromotion: a promotion whose lease another process holds
// is left alone; once the lease is free, this process drives it.
func TestOneActorPerPromotion(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.e.Cfg.Environments[0].Auto = false
	ref, sha := f.build("1", f.signer)
	b, _, _ := f.e.RegisterBuild(ctx, "api", sha, ref.String())
	// Another replica holds p-1's lease before this one gets to it.
	if _, err := f.e.Store.Leases.Acquire(ctx, slipway.LeaseName("p-1"), "replica-b", leaseTTL); err != nil {
		t.Fatal(err)
	}
	p, err := f.e.Promote(ctx, PromoteRequest{Service: "api", Env: "dev", BuildID: b.ID, Requester: "carol@example.com"})
	if err != nil || p.ID != "p-1" {
		t.Fatal(err, p)
	}
	if p.State != slipway.StateWaiting {
		t.Fatalf("a promotion leased elsewhere was driven here: %+v", p)
	}
	if got := f.git(f.remote, "show", "main:envs/dev/api.yaml"); strings.Contains(got, b.Digest) {
		t.Fatal("Git changed while another replica held the lease")
	}
	f.e.Store.Leases.Release(ctx, slipway.LeaseName("p-1"), "replica-b")
	if err := f.e.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.e.Store.Promotions.Promotion(ctx, "p-1"); got.State != slipway.StateSucceeded {
		t.Fatalf("after the lease was freed: %+v", got)
	}
}

// TestCanaryResumesAtItsStep: after a restart, a canary continues at the
// step it was in (persisted), not at step 0.
func TestCanaryResumesAtItsStep(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rt := webhook.NewMemoryRuntime()
	srv := httptest.NewServer(webhook.Handler(rt))
	defer srv.Close()
	var node yaml.Node
	yaml.Unmarshal([]byte("rollout: {driver: webhook, url: "+srv.URL+"}\nsteps: [{setWeight: 10}, {setWeight: 20}, {setWeight: 40}, {setWeight: 80}]\n"), &node)
	f.e.Cfg.Environments[1].Canary = *node.Content[0]
	b := f.released("1")
	p, _ := f.e.Promote(ctx, PromoteRequest{Service: "api", Env: "prod", BuildID: b.ID, Requester: "carol@example.com"})
	f.e.Approve(ctx, p.ID, "dave@example.com", true, "")
	// Merge the pull request without running the canary here: as if the
	// process died right after the merge and the canary had reached step 2.
	p, _ = f.e.Store.Promotions.Promotion(ctx, p.ID)
	if _, err := f.e.Forge.Merge(ctx, p.PR, p.Head, "bob@example.com"); err != nil {
		t.Fatal(err)
	}
	p.State = slipway.StateCanary
	f.db().Exec(`UPDATE promotions SET state = 'canary' WHERE id = ?`, p.ID)
	f.e.Store.Promotions.SetCanaryProgress(ctx, &slipway.CanaryProgress{PromotionID: p.ID, Step: 2, Weight: 20, Phase: "running"})
	if err := f.e.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := f.e.Store.Promotions.Promotion(ctx, p.ID)
	if got.State != slipway.StateSucceeded {
		t.Fatalf("resumed canary: %+v", got)
	}
	var weights []int
	for _, c := range rt.Calls() {
		if c.Op == "set-weight" && c.Request.Weight != nil {
			weights = append(weights, *c.Request.Weight)
		}
	}
	if len(weights) == 0 || weights[0] != 40 {
		t.Fatalf("the canary restarted from the beginning: weights set %v (want to start at step 2, 40%%)", weights)
	}
}

// TestAnUnreachableRemoteWaitsAndSaysSince: nothing advances while the
// GitOps remote is down; the promotion says what is down since when, and
// continues when it is back.
func TestAnUnreachableRemoteWaitsAndSaysSince(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.e.Cfg.Environments[0].Auto = false
	b := f.released("1")
	p, err := f.e.Promote(ctx, PromoteRequest{Service: "api", Env: "prod", BuildID: b.ID, Requester: "carol@example.com", Expedite: "INC-2"})
	if err != nil {
		t.Fatal(err)
	}
	aside := f.remote + ".away"
	os.Rename(f.remote, aside)
	if _, err := f.e.Approve(ctx, p.ID, "dave@example.com", true, ""); err == nil {
		t.Fatal("advancing with the remote down should report it")
	}
	got, _ := f.e.Store.Promotions.Promotion(ctx, p.ID)
	if got.State != slipway.StatePinning || !strings.HasPrefix(got.Reason, "waiting: git remote unreachable since ") {
		t.Fatalf("while the remote is down: %+v", got)
	}
	since := got.Reason
	if rep, err := f.e.Why(ctx, "api", "prod"); err != nil || !strings.Contains(rep.Text(), "waiting: git remote unreachable since ") {
		t.Fatalf("why must say the remote is down since when: %v\n%s", err, rep.Text())
	}
	f.e.Reconcile(ctx)
	if got, _ = f.e.Store.Promotions.Promotion(ctx, p.ID); got.Reason[:60] != since[:60] {
		t.Fatalf("the outage's start moved: %q then %q", since, got.Reason)
	}
	os.Rename(aside, f.remote)
	if err := f.e.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ = f.e.Store.Promotions.Promotion(ctx, p.ID); got.State != slipway.StateReviewOpen {
		t.Fatalf("after the remote is back: %+v", got)
	}
}
