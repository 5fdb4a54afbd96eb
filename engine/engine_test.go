package engine

import (
	"context"
	"crypto"
	"database/sql"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic/fake"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/canary"
	"github.com/slipway/slipway/config"
	"github.com/slipway/slipway/forge/local"
	"github.com/slipway/slipway/git"
	"github.com/slipway/slipway/oci"
	"github.com/slipway/slipway/oci/ocilocal"
	"github.com/slipway/slipway/rollout"
	"github.com/slipway/slipway/rollout/argorollouts"
	"github.com/slipway/slipway/rollout/webhook"
	"github.com/slipway/slipway/sqlite"
	"github.com/slipway/slipway/trust"
)

// fixture is a small real world: an app repo, a bare GitOps remote, an
// in-process registry, a signing key and an engine over them. No canary:
// canaries are exercised by the demo's end-to-end test.
type fixture struct {
	t      *testing.T
	dir    string
	app    string
	remote string
	image  string
	signer crypto.Signer
	e      *Engine
	now    time.Time
}

const fixtureConfig = `
app: {repo: app}
gitops: {remote: gitops.git}
registry: {insecure: true}
groups: {sre: [bob@example.com, carol@example.com, dave@example.com]}
permissions: {override: [dave@example.com]}
services:
  - name: api
    image: %s
    keys: [cosign.pub]
environments:
  - name: dev
    autoPromote: true
    pin: {file: "envs/{env}/{service}.yaml", path: image.digest}
  - name: prod
    promotion: pull-request
    pin: {file: "envs/{env}/{service}.yaml", path: image.digest}
    gates:
      approvals: {required: 1, groups: [sre], expiresAfter: 24h}
`

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, dir: t.TempDir(), now: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	reg, err := ocilocal.Start(ocilocal.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	f.image = reg.Repository("acme/api")
	if _, err := trust.WriteKeyPair(filepath.Join(f.dir, "cosign.key"), filepath.Join(f.dir, "cosign.pub")); err != nil {
		t.Fatal(err)
	}
	if f.signer, err = trust.LoadPrivateKey(filepath.Join(f.dir, "cosign.key")); err != nil {
		t.Fatal(err)
	}
	f.app = filepath.Join(f.dir, "app")
	f.remote = filepath.Join(f.dir, "gitops.git")
	f.git(f.dir, "init", "-q", "-b", "main", f.app)
	f.commit("alice@example.com", "feat: first", "a.txt", "1", "")
	f.git(f.dir, "init", "-q", "--bare", "-b", "main", f.remote)
	seed := filepath.Join(f.dir, "seed")
	f.git(f.dir, "clone", "-q", f.remote, seed)
	for _, env := range []string{"dev", "prod"} {
		os.MkdirAll(filepath.Join(seed, "envs", env), 0o755)
		os.WriteFile(filepath.Join(seed, "envs", env, "api.yaml"), []byte("# api in "+env+"\nimage:\n  digest: \"\" # pinned by Slipway\n"), 0o644)
	}
	f.git(seed, "add", "-A")
	f.git(seed, "-c", "user.name=p", "-c", "user.email=p@example.com", "commit", "-q", "-m", "chore: seed")
	f.git(seed, "push", "-q", "origin", "HEAD:main")
	os.WriteFile(filepath.Join(f.dir, "slipway.yaml"), []byte(fmt.Sprintf(fixtureConfig, f.image)), 0o644)
	f.open()
	return f
}

func (f *fixture) open() {
	cfg, err := config.Load(filepath.Join(f.dir, "slipway.yaml"))
	if err != nil {
		f.t.Fatal(err)
	}
	if f.e != nil {
		f.e.Close()
	}
	f.e, err = openEngine(cfg, filepath.Join(f.dir, ".slipway"), func() time.Time { return f.now })
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { f.e.Close() })
}

func (f *fixture) git(dir string, args ...string) string {
	f.t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		f.t.Fatalf("git %v: %v: %s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// commit commits a file as author, with an optional Co-authored-by.
func (f *fixture) commit(author, msg, file, content, coAuthor string) string {
	os.WriteFile(filepath.Join(f.app, file), []byte(content), 0o644)
	f.git(f.app, "add", "-A")
	if coAuthor != "" {
		msg += "\n\nCo-authored-by: Someone <" + coAuthor + ">"
	}
	f.git(f.app, "-c", "user.name=x", "-c", "user.email="+author, "commit", "-q", "-m", msg)
	return f.git(f.app, "rev-parse", "HEAD")
}

// build pushes an image for HEAD, signed with signer (nil: unsigned).
func (f *fixture) build(version string, signer crypto.Signer) (oci.Reference, string) {
	f.t.Helper()
	ctx := context.Background()
	ref, err := ocilocal.Push(ctx, f.image, ocilocal.Image{Files: map[string]string{"v": version}}, oci.Options{Insecure: true})
	if err != nil {
		f.t.Fatal(err)
	}
	if signer != nil {
		if _, err := oci.Sign(ctx, ref, signer, oci.Options{Insecure: true}); err != nil {
			f.t.Fatal(err)
		}
	}
	return ref, f.git(f.app, "rev-parse", "HEAD")
}

// state summarises the store and the remote's refs: any change shows.
func (f *fixture) state() string {
	ctx := context.Background()
	ps, _ := f.e.Store.Promotions.Promotions(ctx, slipway.PromotionFilter{})
	bs, _ := f.e.Store.Builds.Builds(ctx, "")
	var b strings.Builder
	for _, p := range ps {
		as, _ := f.e.Store.Gates.Approvals(ctx, p.ID)
		fmt.Fprintf(&b, "%s:%s:%d ", p.ID, p.State, len(as))
	}
	fmt.Fprintf(&b, "builds=%d refs=%s", len(bs), f.git(f.remote, "for-each-ref", "--format=%(refname)=%(objectname)"))
	return b.String()
}

func (f *fixture) refused(name, code, want string, do func() error) {
	f.t.Helper()
	before := f.state()
	err := do()
	if err == nil || slipway.ErrorCode(err) != code || !strings.Contains(err.Error(), want) {
		f.t.Errorf("%s: got %s %v; want a %s error containing %q", name, slipway.ErrorCode(err), err, code, want)
	}
	if after := f.state(); after != before {
		f.t.Errorf("%s changed state:\nbefore %s\nafter  %s", name, before, after)
	}
}

func TestIntakeRefusesBadImages(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	other, err := trust.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	unsigned, sha := f.build("unsigned", nil)
	f.refused("unsigned", slipway.EFORBIDDEN, unsigned.Digest, func() error {
		_, _, err := f.e.RegisterBuild(ctx, "api", sha, unsigned.String())
		return err
	})
	wrong, _ := f.build("wrong-key", other)
	f.refused("wrong key", slipway.EFORBIDDEN, wrong.Digest, func() error {
		_, _, err := f.e.RegisterBuild(ctx, "api", sha, wrong.String())
		return err
	})
	f.refused("malformed digest", slipway.EINVALID, "sha256:XYZ", func() error {
		_, _, err := f.e.RegisterBuild(ctx, "api", sha, f.image+"@sha256:XYZ")
		return err
	})
	f.refused("tag instead of digest", slipway.EINVALID, "digest", func() error {
		_, _, err := f.e.RegisterBuild(ctx, "api", sha, f.image+":latest")
		return err
	})
	f.refused("unknown digest", slipway.ENOTFOUND, "sha256:"+strings.Repeat("1", 64), func() error {
		_, _, err := f.e.RegisterBuild(ctx, "api", sha, f.image+"@sha256:"+strings.Repeat("1", 64))
		return err
	})
	f.refused("unknown service", slipway.EINVALID, `unknown service "web"`, func() error {
		_, _, err := f.e.RegisterBuild(ctx, "web", sha, unsigned.String())
		return err
	})
	f.refused("short commit", slipway.EINVALID, "full git SHA", func() error {
		good, _ := f.build("good", f.signer)
		_, _, err := f.e.RegisterBuild(ctx, "api", sha[:7], good.String())
		return err
	})
}

func TestRegisterTwiceIsANoOpAndPinsDev(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ref, sha := f.build("1", f.signer)
	b, created, err := f.e.RegisterBuild(ctx, "api", sha, ref.String())
	if err != nil || !created {
		t.Fatalf("first registration: %v %v", created, err)
	}
	head := f.git(f.remote, "rev-parse", "main")
	if got := f.git(f.remote, "show", "main:envs/dev/api.yaml"); !strings.Contains(got, `digest: "`+ref.Digest+`" # pinned by Slipway`) {
		t.Errorf("dev pin not written in place (quotes and comment kept):\n%s", got)
	}
	if msg := f.git(f.remote, "log", "-1", "--format=%B", "main"); !strings.Contains(msg, "Slipway-Promotion: p-1") || !strings.Contains(msg, "Slipway-Digest: "+ref.Digest) {
		t.Errorf("pin commit trailers missing:\n%s", msg)
	}
	again, created, err := f.e.RegisterBuild(ctx, "api", sha, ref.String())
	if err != nil || created || again.ID != b.ID {
		t.Fatalf("second registration should be a no-op: %v %v", created, err)
	}
	if f.git(f.remote, "rev-parse", "main") != head {
		t.Error("a repeated registration changed the GitOps remote")
	}
	// The same digest claimed by another commit: a build is immutable.
	other := f.commit("alice@example.com", "fix: second", "b.txt", "2", "")
	f.refused("immutable build", slipway.ECONFLICT, "immutable", func() error {
		_, _, err := f.e.RegisterBuild(ctx, "api", other, ref.String())
		return err
	})
}

// released registers a signed build and releases it; dev pins it.
func (f *fixture) released(version string) *slipway.Build {
	f.t.Helper()
	ctx := context.Background()
	ref, sha := f.build(version, f.signer)
	b, _, err := f.e.RegisterBuild(ctx, "api", sha, ref.String())
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.e.Release(ctx, ReleaseRequest{Service: "api", BuildID: b.ID}); err != nil {
		f.t.Fatal(err)
	}
	return b
}

func TestApprovalRules(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.commit("erin@example.com", "fix: a fix", "c.txt", "3", "bob@example.com")
	b := f.released("1")
	p, err := f.e.Promote(ctx, PromoteRequest{Service: "api", Env: "prod", BuildID: b.ID, Requester: "carol@example.com"})
	if err != nil || p.State != slipway.StateWaiting {
		t.Fatalf("prod promotion should wait for approval: %v %+v", err, p)
	}
	f.refused("requester approves", slipway.EFORBIDDEN, "requested promotion", func() error {
		_, err := f.e.Approve(ctx, p.ID, "carol@example.com", true, "")
		return err
	})
	f.refused("co-author approves", slipway.EFORBIDDEN, "authored or committed", func() error {
		_, err := f.e.Approve(ctx, p.ID, "bob@example.com", true, "")
		return err
	})
	f.refused("author approves", slipway.EFORBIDDEN, "authored or committed", func() error {
		_, err := f.e.Approve(ctx, p.ID, "ALICE@example.com", true, "")
		return err
	})
	f.refused("outsider approves", slipway.EFORBIDDEN, "not in sre", func() error {
		_, err := f.e.Approve(ctx, p.ID, "mallory@example.com", true, "")
		return err
	})
	rep, err := f.e.Why(ctx, "api", "prod")
	if err != nil || rep.Open || !strings.Contains(rep.Text(), "needs 1 more approval from group sre") {
		t.Fatalf("why before approval: %v\n%s", err, rep.Text())
	}
	if p, err = f.e.Approve(ctx, p.ID, "dave@example.com", true, "ok"); err != nil {
		t.Fatal(err)
	}
	if p.State != slipway.StateReviewOpen || p.PR == 0 {
		t.Fatalf("an approved promotion opens its pull request: %+v", p)
	}
	f.refused("second decision by the same person", slipway.ECONFLICT, "", func() error {
		_, err := f.e.Approve(ctx, p.ID, "dave@example.com", true, "")
		return err
	})
}

func TestApprovalExpires(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	b := f.released("1")
	p, err := f.e.Promote(ctx, PromoteRequest{Service: "api", Env: "prod", BuildID: b.ID, Requester: "carol@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	// An approval recorded 25h ago (expiresAfter: 24h) does not count.
	if err := f.e.Store.Gates.AddApproval(ctx, &slipway.Approval{PromotionID: p.ID, User: "dave@example.com", Digest: b.Digest, Approve: true, At: f.now.Add(-25 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	// Nor does one bound to another digest.
	if err := f.e.Store.Gates.AddApproval(ctx, &slipway.Approval{PromotionID: p.ID, User: "bob@example.com", Digest: "sha256:" + strings.Repeat("a", 64), Approve: true, At: f.now}); err != nil {
		t.Fatal(err)
	}
	rep, err := f.e.Why(ctx, "api", "prod")
	if err != nil || rep.Open {
		t.Fatalf("expired or foreign-digest approvals opened the gate: %v\n%s", err, rep.Text())
	}
}

func TestPinErrorsChangeNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	b := f.released("1")
	// Someone renamed the key the pin points at.
	seed := filepath.Join(f.dir, "seed")
	f.git(seed, "pull", "-q", "--rebase", "origin", "main")
	os.WriteFile(filepath.Join(seed, "envs", "prod", "api.yaml"), []byte("image:\n  sha: \"\"\n"), 0o644)
	f.git(seed, "-c", "user.name=p", "-c", "user.email=p@example.com", "commit", "-qam", "chore: rename")
	f.git(seed, "push", "-q", "origin", "HEAD:main")
	f.refused("yaml path absent", slipway.EINVALID, "envs/prod/api.yaml", func() error {
		_, err := f.e.Promote(ctx, PromoteRequest{Service: "api", Env: "prod", BuildID: b.ID, Requester: "carol@example.com"})
		return err
	})
	f.git(seed, "-c", "user.name=p", "-c", "user.email=p@example.com", "revert", "--no-edit", "HEAD")
	f.git(seed, "push", "-q", "origin", "HEAD:main")
	f.refused("unknown environment", slipway.EINVALID, `unknown environment "qa"`, func() error {
		_, err := f.e.Promote(ctx, PromoteRequest{Service: "api", Env: "qa", BuildID: b.ID, Requester: "carol@example.com"})
		return err
	})
}

func TestRollbackRevertsThePinAndHolds(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	first := f.released("1")
	f.commit("alice@example.com", "feat: second", "d.txt", "4", "")
	second := f.released("2")
	if cur, _ := f.e.Store.Promotions.Current(ctx, "api", "dev"); cur == nil || cur.Digest != second.Digest {
		t.Fatalf("dev should run the second build: %+v", cur)
	}
	p, err := f.e.Rollback(ctx, "api", "dev", "bob@example.com", "latency regression")
	if err != nil {
		t.Fatal(err)
	}
	if p.State != slipway.StateRolledBack || p.Revert == "" {
		t.Fatalf("rolled back promotion: %+v", p)
	}
	if got := f.git(f.remote, "show", "main:envs/dev/api.yaml"); !strings.Contains(got, first.Digest) {
		t.Errorf("dev pin after rollback should be the first build's:\n%s", got)
	}
	if msg := f.git(f.remote, "log", "-1", "--format=%B", "main"); !strings.Contains(msg, "This reverts commit ") || !strings.Contains(msg, "latency regression") {
		t.Errorf("rollback is not a git revert:\n%s", msg)
	}
	if cur, _ := f.e.Store.Promotions.Current(ctx, "api", "dev"); cur == nil || cur.Digest != first.Digest {
		t.Errorf("store should say dev runs the first build again: %+v", cur)
	}
	f.refused("re-promote held digest", slipway.EFORBIDDEN, "is held", func() error {
		_, err := f.e.Promote(ctx, PromoteRequest{Service: "api", Env: "dev", BuildID: second.ID, Requester: "bob@example.com"})
		return err
	})
	// Rolling back again reverts the first build's pin, to the seed's empty value.
	if _, err := f.e.Rollback(ctx, "api", "dev", "bob@example.com", ""); err != nil {
		t.Fatal(err)
	}
	f.refused("nothing left to roll back", slipway.ENOTFOUND, "nothing to roll back", func() error {
		_, err := f.e.Rollback(ctx, "api", "dev", "bob@example.com", "")
		return err
	})
}

func TestExpeditedHotfixSkipsOnlyPreviousEnvironment(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.e.Cfg.Environments[0].Auto = false // the hotfix never went through dev
	b := f.released("hotfix")
	f.refused("not green in dev", slipway.ECONFLICT, "has not succeeded in dev", func() error {
		_, err := f.e.Promote(ctx, PromoteRequest{Service: "api", Env: "prod", BuildID: b.ID, Requester: "carol@example.com"})
		return err
	})
	p, err := f.e.Promote(ctx, PromoteRequest{Service: "api", Env: "prod", BuildID: b.ID, Requester: "carol@example.com", Expedite: "INC-42: checkout down"})
	if err != nil {
		t.Fatal(err)
	}
	if p.State != slipway.StateWaiting || p.Expedited == "" {
		t.Fatalf("an expedited promotion still waits for its approvals: %+v", p)
	}
}

// TestCrashAfterPushRecoversWithoutDuplicate simulates a crash between the
// pin push and the stored transition: the promotion is still "pinning" while
// its commit is on the remote. Reconciling adopts the commit (found by the
// pin's content) instead of committing again.
func TestCrashAfterPushRecoversWithoutDuplicate(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ref, sha := f.build("1", f.signer)
	if _, _, err := f.e.RegisterBuild(ctx, "api", sha, ref.String()); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", filepath.Join(f.dir, ".slipway", "slipway.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE promotions SET state = 'pinning', pin_commit = '' WHERE id = 'p-1'`); err != nil {
		t.Fatal(err)
	}
	head := f.git(f.remote, "rev-parse", "main")
	if err := f.e.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	p, err := f.e.Store.Promotions.Promotion(ctx, "p-1")
	if err != nil {
		t.Fatal(err)
	}
	if p.State != slipway.StateSucceeded || p.PinCommit != head {
		t.Fatalf("recovered promotion: %+v, want succeeded with pin commit %s", p, head)
	}
	if f.git(f.remote, "rev-parse", "main") != head {
		t.Error("recovery made a second pin commit")
	}
	if n := f.git(f.remote, "rev-list", "--count", "--grep", "Slipway-Promotion: p-1", "main"); n != "1" {
		t.Errorf("%s commits carry Slipway-Promotion: p-1, want 1", n)
	}
}

// TestCrashAfterBranchPushOpensOnePullRequest: the PR branch was pushed but
// the pull request not recorded; reconciling opens exactly one.
func TestCrashAfterBranchPushOpensOnePullRequest(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	b := f.released("1")
	p, err := f.e.Promote(ctx, PromoteRequest{Service: "api", Env: "prod", BuildID: b.ID, Requester: "carol@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if p, err = f.e.Approve(ctx, p.ID, "dave@example.com", true, ""); err != nil || p.PR != 1 {
		t.Fatalf("approve: %v %+v", err, p)
	}
	db, err := sql.Open("sqlite", filepath.Join(f.dir, ".slipway", "slipway.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Back to "pinning" with no PR recorded: as if the process died after
	// pushing the branch.
	if _, err := db.Exec(`UPDATE promotions SET state = 'pinning', pr = 0 WHERE id = ?`, p.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.e.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	prs, err := f.e.Forge.List(ctx, "")
	if err != nil || len(prs) != 1 {
		t.Fatalf("pull requests after recovery: %d %v", len(prs), err)
	}
	if p, _ = f.e.Store.Promotions.Promotion(ctx, p.ID); p.State != slipway.StateReviewOpen || p.PR != 1 {
		t.Fatalf("recovered promotion: %+v", p)
	}
	// Merging continues it to the end (no canary in this fixture).
	if err := f.e.MergePR(ctx, 1, "bob@example.com"); err != nil {
		t.Fatal(err)
	}
	if p, _ = f.e.Store.Promotions.Promotion(ctx, p.ID); p.State != slipway.StateSucceeded {
		t.Fatalf("after merge: %+v", p)
	}
	if got := f.git(f.remote, "show", "main:envs/prod/api.yaml"); !strings.Contains(got, b.Digest) {
		t.Errorf("prod pin after merge:\n%s", got)
	}
	if err := f.e.MergePR(ctx, 1, "bob@example.com"); err != nil {
		t.Errorf("merging a merged pull request again must be a no-op: %v", err)
	}
}

func TestStopTheLineAndBreakGlass(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.e.StopLine(ctx, "", "bob@example.com", "payments incident INC-7"); err != nil {
		t.Fatal(err)
	}
	ref, sha := f.build("1", f.signer)
	if _, _, err := f.e.RegisterBuild(ctx, "api", sha, ref.String()); err != nil {
		t.Fatal(err)
	}
	p, err := f.e.Store.Promotions.Promotion(ctx, "p-1")
	if err != nil || p.State != slipway.StateWaiting || !strings.Contains(p.Reason, "line stopped everywhere by bob@example.com") {
		t.Fatalf("dev promotion during a stop should wait, naming the stop: %+v %v", p, err)
	}
	if err := f.e.LiftStop(ctx, "", "bob@example.com"); err != nil {
		t.Fatal(err)
	}
	if p, _ = f.e.Store.Promotions.Promotion(ctx, "p-1"); p.State != slipway.StateSucceeded {
		t.Fatalf("lifting the stop lets dev proceed: %+v", p)
	}

	b, err := f.e.Store.Builds.Build(ctx, p.BuildID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.Release(ctx, ReleaseRequest{Service: "api", BuildID: b.ID}); err != nil {
		t.Fatal(err)
	}
	if err := f.e.StopLine(ctx, "prod", "bob@example.com", "quarter-end freeze"); err != nil {
		t.Fatal(err)
	}
	pp, err := f.e.Promote(ctx, PromoteRequest{Service: "api", Env: "prod", BuildID: b.ID, Requester: "carol@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if pp, err = f.e.Approve(ctx, pp.ID, "bob@example.com", true, ""); err != nil || pp.State != slipway.StateWaiting {
		t.Fatalf("approved but stopped: %+v %v", pp, err)
	}
	f.refused("override without permission", slipway.EFORBIDDEN, "override permission", func() error {
		_, err := f.e.Override(ctx, pp.ID, "bob@example.com", "customers are down, the fix must ship")
		return err
	})
	f.refused("override without a reason", slipway.EINVALID, "written reason", func() error {
		_, err := f.e.Override(ctx, pp.ID, "dave@example.com", "urgent")
		return err
	})
	if pp, err = f.e.Override(ctx, pp.ID, "dave@example.com", "customers are down, the fix must ship"); err != nil {
		t.Fatal(err)
	}
	if pp.State != slipway.StateReviewOpen {
		t.Fatalf("break glass should let the promotion through the stop: %+v", pp)
	}
	entries, err := f.e.Store.Audit.AuditEntries(ctx)
	if err != nil || len(entries) != 1 || entries[0].Kind != "override" || entries[0].Approvers[0] != "dave@example.com" {
		t.Fatalf("the override must be audited: %+v %v", entries, err)
	}
}

// TestWindowsFromAnAppProjectInGitOps reads Argo CD's AppProject from the
// environment's branch: a deny window there holds the promotion.
func TestWindowsFromAnAppProjectInGitOps(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	seed := filepath.Join(f.dir, "seed")
	os.MkdirAll(filepath.Join(seed, "projects"), 0o755)
	os.WriteFile(filepath.Join(seed, "projects", "prod.yaml"), []byte(`apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: {name: prod}
spec:
  syncWindows:
    - kind: deny
      schedule: "0 0 1 12 *"   # December 1st, midnight UTC, for a day
      duration: 24h
      applications: ["api"]
`), 0o644)
	f.git(seed, "add", "-A")
	f.git(seed, "-c", "user.name=p", "-c", "user.email=p@example.com", "commit", "-q", "-m", "chore: prod freeze")
	f.git(seed, "push", "-q", "origin", "HEAD:main")
	f.e.Cfg.Environments[1].Gates.AppProject = "projects/prod.yaml"
	b := f.released("1")
	p, err := f.e.Promote(ctx, PromoteRequest{Service: "api", Env: "prod", BuildID: b.ID, Requester: "carol@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if p, err = f.e.Approve(ctx, p.ID, "dave@example.com", true, ""); err != nil {
		t.Fatal(err)
	}
	rep, err := f.e.Why(ctx, "api", "prod")
	if err != nil {
		t.Fatal(err)
	}
	if p.State != slipway.StateWaiting || rep.Open || !strings.Contains(rep.Text(), "deny window 0") {
		t.Fatalf("the AppProject's deny window should hold the promotion: %s\n%s", p.State, rep.Text())
	}
	if next := rep.NextChange(); next == nil || !next.Equal(time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("next change %v, want the end of the freeze", next)
	}
	f.now = time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	if err := f.e.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if p, _ = f.e.Store.Promotions.Promotion(ctx, p.ID); p.State != slipway.StateReviewOpen {
		t.Fatalf("after the freeze the promotion proceeds: %+v", p)
	}
}

// TestAutoPromoteToProdWaitsForGates: with autoPromote: true on prod (continuous
// canary), a release green in dev opens a prod promotion by itself, which
// still waits for its approval.
func TestAutoPromoteToProdWaitsForGates(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.e.Cfg.Environments[1].Auto = true
	b := f.released("1")
	ps, err := f.e.Store.Promotions.Promotions(ctx, slipway.PromotionFilter{Service: "api", Env: "prod"})
	if err != nil || len(ps) != 1 {
		t.Fatalf("prod promotions after release: %d %v", len(ps), err)
	}
	p := ps[0]
	if p.Digest != b.Digest || p.Requester != "slipway" || p.State != slipway.StateWaiting || p.Release != "v1.0.0" {
		t.Fatalf("automatic prod promotion: %+v", p)
	}
	if p, err = f.e.Approve(ctx, p.ID, "bob@example.com", true, ""); err != nil || p.State != slipway.StateReviewOpen {
		t.Fatalf("approval opens the pull request: %+v %v", p, err)
	}
}

// TestRunCheckRecordsTheVerdict runs a check Slipway owns: an
// AnalysisTemplate whose job provider runs a local command (here, a "load
// test" that passes for one digest and fails for another, via its args).
func TestRunCheckRecordsTheVerdict(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	os.WriteFile(filepath.Join(f.dir, "load.yaml"), []byte(`apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: load}
spec:
  args: [{name: digest}, {name: service}, {name: env}, {name: want}]
  metrics:
    - name: load-test
      provider:
        job:
          spec:
            template:
              spec:
                containers:
                  - name: load
                    image: unused
                    command: [sh, -c, 'test "{{args.digest}}" = "{{args.want}}"']
`), 0o644)
	ref, sha := f.build("1", f.signer)
	b, _, err := f.e.RegisterBuild(ctx, "api", sha, ref.String())
	if err != nil {
		t.Fatal(err)
	}
	f.e.Cfg.Environments[0].Checks = map[string]config.Check{"load": {Template: "load.yaml", Args: map[string]string{"want": b.Digest}}}
	v, err := f.e.RunCheck(ctx, "api", "dev", "load", "")
	if err != nil || !v.Passed || v.Digest != b.Digest {
		t.Fatalf("check against the running digest should pass: %+v %v", v, err)
	}
	f.e.Cfg.Environments[0].Checks["load"] = config.Check{Template: "load.yaml", Args: map[string]string{"want": "something else"}}
	if v, err = f.e.RunCheck(ctx, "api", "dev", "load", ""); err != nil || v.Passed {
		t.Fatalf("a failing job must record a failed check: %+v %v", v, err)
	}
	vs, err := f.e.Store.Gates.Verifications(ctx, "api", "dev", b.Digest)
	if err != nil || len(vs) != 2 || !vs[0].Passed || vs[1].Passed {
		t.Fatalf("recorded verifications: %+v %v", vs, err)
	}
	f.refused("unknown check", slipway.EINVALID, `no check "e2e"`, func() error {
		_, err := f.e.RunCheck(ctx, "api", "dev", "e2e", "")
		return err
	})
}

// TestArgoRolloutsAbortRevertsGit: with the argo-rollouts driver, Argo runs
// the canary; when it aborts the Rollout, Slipway reverts the prod pin and
// holds the digest. No Kubernetes cluster runs here: the driver talks to
// client-go's fake dynamic client, and the test plays the Argo controller by
// setting the Rollout's status.
func TestArgoRolloutsAbortRevertsGit(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	b := f.released("1")
	var canaryNode yaml.Node
	if err := yaml.Unmarshal([]byte("rollout: {driver: argo-rollouts, namespace: shop, name: api}\n"), &canaryNode); err != nil {
		t.Fatal(err)
	}
	f.e.Cfg.Environments[1].Canary = *canaryNode.Content[0]
	ro := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
		"metadata": map[string]any{"name": "api", "namespace": "shop", "uid": "api-uid"},
		"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{
			map[string]any{"name": "api", "image": b.Ref()}}}}},
		"status": map[string]any{"phase": "Progressing", "currentPodHash": "canaryhash", "stableRS": "stablehash"},
	}}
	client := fake.NewSimpleDynamicClientWithCustomListKinds(k8sruntime.NewScheme(), map[schema.GroupVersionResource]string{
		argorollouts.RolloutsGVR: "RolloutList", argorollouts.AnalysisRunsGVR: "AnalysisRunList",
	}, ro)
	f.e.Drivers = func(cfg canary.DriverConfig, target rollout.Target) (rollout.Driver, error) {
		if cfg.Driver != "argo-rollouts" || cfg.Namespace != "shop" {
			t.Errorf("driver config from slipway.yaml: %+v", cfg)
		}
		return argorollouts.New(client, cfg.Namespace, cfg.Name, target), nil
	}
	p, err := f.e.Promote(ctx, PromoteRequest{Service: "api", Env: "prod", BuildID: b.ID, Requester: "carol@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if p, err = f.e.Approve(ctx, p.ID, "dave@example.com", true, ""); err != nil || p.PR == 0 {
		t.Fatalf("approve: %+v %v", p, err)
	}
	go func() { // the Argo controller aborts the Rollout after a moment
		time.Sleep(300 * time.Millisecond)
		cur, err := client.Resource(argorollouts.RolloutsGVR).Namespace("shop").Get(ctx, "api", metav1.GetOptions{})
		if err != nil {
			t.Error(err)
			return
		}
		unstructured.SetNestedField(cur.Object, "Degraded", "status", "phase")
		unstructured.SetNestedField(cur.Object, true, "status", "abort")
		unstructured.SetNestedField(cur.Object, "RolloutAborted: metric error-rate assessed Failed", "status", "message")
		client.Resource(argorollouts.RolloutsGVR).Namespace("shop").Update(ctx, cur, metav1.UpdateOptions{})
	}()
	if err := f.e.MergePR(ctx, p.PR, "bob@example.com"); err != nil {
		t.Fatal(err)
	}
	if p, _ = f.e.Store.Promotions.Promotion(ctx, p.ID); p.State != slipway.StateAborted || !strings.Contains(p.Reason, "RolloutAborted") {
		t.Fatalf("promotion after Argo aborted: %+v", p)
	}
	if got := f.git(f.remote, "show", "main:envs/prod/api.yaml"); strings.Contains(got, b.Digest) {
		t.Errorf("prod pin should be reverted:\n%s", got)
	}
	if h, _ := f.e.Store.Holds.ActiveHold(ctx, "api", b.Digest); h == nil {
		t.Error("the aborted digest should be held")
	}
}

// TestReleaseFollowsReleasePleaseConfig: a release-please configuration in
// the app repository is the configuration: its component, tag format and
// bump-minor-pre-major decide the tag, not slipway.yaml's defaults.
func TestReleaseFollowsReleasePleaseConfig(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	os.MkdirAll(filepath.Join(f.app, "services", "api"), 0o755)
	os.WriteFile(filepath.Join(f.app, "release-please-config.json"), []byte(`{
  "packages": {"services/api": {"component": "api", "release-type": "simple", "bump-minor-pre-major": true}}
}`), 0o644)
	os.WriteFile(filepath.Join(f.app, ".release-please-manifest.json"), []byte(`{"services/api": "0.4.0"}`), 0o644)
	f.commit("alice@example.com", "chore: release-please config", "services/api/VERSION", "0.4.0", "")
	f.git(f.app, "tag", "api-v0.4.0")
	f.commit("alice@example.com", "feat(api)!: drop the v1 endpoints", "services/api/main.go", "package main", "")
	ref, sha := f.build("0.5", f.signer)
	b, _, err := f.e.RegisterBuild(ctx, "api", sha, ref.String())
	if err != nil {
		t.Fatal(err)
	}
	rel, err := f.e.Release(ctx, ReleaseRequest{Service: "api", BuildID: b.ID})
	if err != nil {
		t.Fatal(err)
	}
	if rel.Tag != "api-v0.5.0" {
		t.Fatalf("tag %s, want api-v0.5.0 (release-please component tag; a breaking change below 1.0 bumps minor)", rel.Tag)
	}
	if got := f.git(f.app, "rev-parse", "api-v0.5.0^{commit}"); got != sha {
		t.Errorf("tag on %s, want the build's commit %s", got, sha)
	}
}

// TestPausedCanaryWaitsForAPerson: an indefinite pause leaves the canary
// waiting (reconciling does not restart it); `canary promote` and `canary
// abort` settle it, over the real webhook protocol.
func TestPausedCanaryWaitsForAPerson(t *testing.T) {
	for _, promote := range []bool{true, false} {
		t.Run(map[bool]string{true: "promote", false: "abort"}[promote], func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			rt := webhook.NewMemoryRuntime()
			srv := httptest.NewServer(webhook.Handler(rt))
			defer srv.Close()
			var node yaml.Node
			if err := yaml.Unmarshal([]byte("rollout: {driver: webhook, url: "+srv.URL+"}\nsteps: [{setWeight: 20}, {pause: {}}]\n"), &node); err != nil {
				t.Fatal(err)
			}
			f.e.Cfg.Environments[1].Canary = *node.Content[0]
			b := f.released("1")
			p, err := f.e.Promote(ctx, PromoteRequest{Service: "api", Env: "prod", BuildID: b.ID, Requester: "carol@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			if p, err = f.e.Approve(ctx, p.ID, "dave@example.com", true, ""); err != nil {
				t.Fatal(err)
			}
			if err := f.e.MergePR(ctx, p.PR, "bob@example.com"); err != nil {
				t.Fatal(err)
			}
			p, _ = f.e.Store.Promotions.Promotion(ctx, p.ID)
			if p.State != slipway.StatePaused {
				t.Fatalf("paused canary: %+v", p)
			}
			calls := len(rt.Calls())
			if err := f.e.Reconcile(ctx); err != nil {
				t.Fatal(err)
			}
			if n := len(rt.Calls()); n != calls {
				t.Fatalf("reconciling a paused canary called the runtime again (%d -> %d calls)", calls, n)
			}
			p, err = f.e.DecideCanary(ctx, p.ID, "bob@example.com", promote, "latency is within noise")
			if err != nil {
				t.Fatal(err)
			}
			last := rt.Calls()[len(rt.Calls())-1]
			if promote {
				if p.State != slipway.StateSucceeded || last.Op != "promote" {
					t.Fatalf("after promote: %+v, last call %s", p, last.Op)
				}
				return
			}
			if p.State != slipway.StateAborted || last.Op != "abort" || p.Revert == "" {
				t.Fatalf("after abort: %+v, last call %s", p, last.Op)
			}
			if got := f.git(f.remote, "show", "main:envs/prod/api.yaml"); strings.Contains(got, b.Digest) {
				t.Errorf("prod pin should be reverted:\n%s", got)
			}
		})
	}
}

// openEngine assembles an engine as the wiring (package app) does.
func openEngine(cfg *config.Config, state string, now func() time.Time) (*Engine, error) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, state)
	if err != nil {
		return nil, err
	}
	repo, err := git.CloneOrOpen(ctx, cfg.Resolve(cfg.GitOps.Remote), filepath.Join(state, "gitops"))
	if err != nil {
		return nil, err
	}
	st := db.Store()
	e := New(&Engine{Cfg: cfg, Store: st, GitOps: repo, Now: now})
	e.Forge = &local.Forge{Store: st.PullRequests, Repo: repo, Now: e.Now}
	return e, nil
}
