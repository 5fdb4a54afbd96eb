package releasetest

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/engine"
	"github.com/slipway/slipway/forge/forgetest"
	"github.com/slipway/slipway/git/gittest"
	"github.com/slipway/slipway/versioning"
)

// RunE2E runs the release scenario end to end against one forge adapter
// talking to its fake (a stand-in for the forge's API: no GitHub, GitLab
// or Gitea server runs here). The git side is real: the app repository's
// remote is a bare repository on disk, and the fake reads its branches.
func RunE2E(t *testing.T, newFake func(*testing.T, *forgetest.World) forgetest.Fake) {
	t.Run("TagPushedWhileMainMovesPagePublishedOnce", func(t *testing.T) { tagWhileMainMoves(t, start(t, newFake, Options{})) })
	t.Run("FailuresAreFinishedByARerun", func(t *testing.T) { failures(t, start(t, newFake, Options{})) })
	t.Run("ReleasePullRequest", func(t *testing.T) {
		releasePR(t, start(t, newFake, Options{Release: "{mode: pull-request, releaseType: node}", Files: map[string]string{
			"package.json":      "{\n  \"name\": \"api\",\n  \"version\": \"1.0.0\"\n}\n",
			"package-lock.json": "{\n  \"name\": \"api\",\n  \"version\": \"1.0.0\",\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"\": {\n      \"name\": \"api\",\n      \"version\": \"1.0.0\"\n    }\n  }\n}\n",
		}}))
	})
}

type env struct {
	*World
	forge *forgetest.Env
	e     *engine.Engine
	rel   *engine.Releaser
}

var ctx = context.Background()

func start(t *testing.T, newFake func(*testing.T, *forgetest.World) forgetest.Fake, opts Options) *env {
	w := New(t, opts)
	fe := forgetest.Start(t, newFake)
	fe.World.Update(func(s *forgetest.State) { s.Git = w.AppBare })
	e := w.Open()
	pages, ok := fe.Forge.(slipway.ReleaseHost)
	if !ok {
		t.Fatalf("%T publishes no release pages", fe.Forge)
	}
	return &env{World: w, forge: fe, e: e, rel: &engine.Releaser{Engine: e, Forge: fe.Forge, Pages: pages}}
}

// pageWrites counts the requests that wrote a release page.
func (v *env) pageWrites() int {
	n := 0
	for _, r := range v.forge.World.Log() {
		if r.Method != http.MethodGet && strings.Contains(r.Path, "/releases") {
			n++
		}
	}
	return n
}

func tagWhileMainMoves(t *testing.T, v *env) {
	feat := v.Land("feat: orders", "orders.go", "package orders\n")
	b := v.Register(v.e, feat)
	theirs := gittest.MoveOnNextPush(t, v.AppBare, "main", "theirs.txt", "someone else's work")
	out, err := v.rel.Release(ctx, engine.ReleaseRequest{Service: "api", BuildID: b.ID})
	if err != nil {
		t.Fatal(err)
	}
	if out.Release.Tag != "v1.1.0" || v.Git(v.AppBare, "rev-parse", "v1.1.0^{commit}") != feat {
		t.Fatalf("released %+v; remote v1.1.0 must name %s", out.Release, feat)
	}
	main := v.Git(v.AppBare, "rev-parse", "main")
	if v.Git(v.AppBare, "rev-parse", main+"^") != theirs || v.Git(v.AppBare, "show", "main:theirs.txt") != "someone else's work" {
		t.Fatalf("the changelog commit is not on top of their change, or theirs was lost")
	}
	if cl := v.Git(v.AppBare, "show", "main:CHANGELOG.md"); strings.Count(cl, "## 1.1.0") != 1 {
		t.Fatalf("remote CHANGELOG.md:\n%s", cl)
	}
	pages := v.forge.World.ReleasePages()
	if len(pages) != 1 || out.PageAction != "created" {
		t.Fatalf("%d pages (%s), want one created", len(pages), out.PageAction)
	}
	p := pages[0]
	if p.Tag != "v1.1.0" || p.Name != "v1.1.0" || p.Commit != feat {
		t.Fatalf("page %+v", p)
	}
	for _, want := range []string{"## 1.1.0", "orders", b.Digest, "linux/amd64, linux/arm64", b.ID, b.SignatureDigest} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("the page lacks %q:\n%s", want, p.Body)
		}
	}
	writes := v.pageWrites()
	if _, err := v.rel.Release(ctx, engine.ReleaseRequest{Service: "api", BuildID: b.ID}); err != nil {
		t.Fatal(err)
	}
	if v.pageWrites() != writes || len(v.forge.World.ReleasePages()) != 1 {
		t.Fatalf("a rerun wrote the page again")
	}
	v.forge.World.Update(func(s *forgetest.State) { s.Releases[0].Body = "edited by a person" })
	out, err = v.rel.Release(ctx, engine.ReleaseRequest{Service: "api", BuildID: b.ID})
	if err != nil {
		t.Fatal(err)
	}
	pages = v.forge.World.ReleasePages()
	if out.PageAction != "updated" || len(pages) != 1 || pages[0].ID != p.ID || pages[0].Body != p.Body {
		t.Fatalf("after an edit on the forge: %s, %d pages, %+v", out.PageAction, len(pages), pages)
	}
}

func failures(t *testing.T, v *env) {
	b := v.Register(v.e, v.Land("feat: orders", "orders.go", "package orders\n"))
	undo := gittest.RefusePushes(t, v.AppBare)
	if _, err := v.rel.Release(ctx, engine.ReleaseRequest{Service: "api", BuildID: b.ID}); err == nil {
		t.Fatal("a remote refusing pushes: the release did not fail")
	}
	if tags := v.Git(v.AppBare, "tag", "-l", "v1.1.0"); tags != "" || len(v.forge.World.ReleasePages()) != 0 {
		t.Fatalf("nothing may be published before the push: tag %q, %d pages", tags, len(v.forge.World.ReleasePages()))
	}
	undo()
	if out, err := v.rel.Release(ctx, engine.ReleaseRequest{Service: "api", BuildID: b.ID}); err != nil || out.PageAction != "created" {
		t.Fatalf("rerun after the push failed: %+v %v", out, err)
	}
	if n := strings.Count(v.Git(v.AppBare, "log", "--format=%s", "main"), "chore(release): v1.1.0"); n != 1 {
		t.Fatalf("%d changelog commits", n)
	}

	b2 := v.Register(v.e, v.Land("fix: totals", "totals.go", "package totals\n"))
	v.forge.World.Inject(forgetest.Fault{Method: http.MethodPost, Path: "/releases", Status: http.StatusServiceUnavailable, Body: `{"message":"Service Unavailable"}`, Times: 50})
	if _, err := v.rel.Release(ctx, engine.ReleaseRequest{Service: "api", BuildID: b2.ID}); err == nil {
		t.Fatal("a forge that keeps failing: the release did not fail")
	}
	if v.Git(v.AppBare, "rev-parse", "v1.1.1^{commit}") != b2.Commit || len(v.forge.World.ReleasePages()) != 1 {
		t.Fatalf("after the push and before the page: the tag must be pushed, the page missing")
	}
	v.forge.World.Update(func(s *forgetest.State) { s.Faults = nil })
	out, err := v.rel.Release(ctx, engine.ReleaseRequest{Service: "api", BuildID: b2.ID})
	if err != nil || out.PageAction != "created" || len(v.forge.World.ReleasePages()) != 2 {
		t.Fatalf("rerun after the page failed: %+v %v, %d pages", out, err, len(v.forge.World.ReleasePages()))
	}
}

func releasePR(t *testing.T, v *env) {
	fw := v.forge.World
	v.Land("fix: reject empty carts", "cart.go", "package cart\n")
	out, err := v.rel.ReleasePullRequests(ctx, nil, false)
	if err != nil || len(out.PullRequests) != 1 || out.PullRequests[0].Action != "opened" {
		t.Fatalf("first run: %+v %v", out, err)
	}
	n := out.PullRequests[0].Number
	pr := fw.Snapshot(n)
	if pr.Title != "chore(main): release 1.0.1" || pr.Branch != versioning.PRBranch("api") || pr.Base != "main" || strings.Join(pr.Labels, ",") != versioning.LabelPending {
		t.Fatalf("on the forge: %q %s→%s %v", pr.Title, pr.Branch, pr.Base, pr.Labels)
	}
	v.Land("feat: orders", "orders.go", "package orders\n")
	if _, err := v.rel.ReleasePullRequests(ctx, nil, false); err != nil {
		t.Fatal(err)
	}
	v.Land("fix: totals", "totals.go", "package totals\n")
	if out, err = v.rel.ReleasePullRequests(ctx, nil, false); err != nil || out.PullRequests[0].Action != "updated" {
		t.Fatalf("after two more commits: %+v %v", out, err)
	}
	pr = fw.Snapshot(n)
	head := v.Git(v.AppBare, "rev-parse", "refs/heads/"+pr.Branch)
	if pr.Title != "chore(main): release 1.1.0" || !strings.Contains(pr.Body, "orders") || !strings.Contains(pr.Body, "totals") || pr.HeadSHA != head || fw.Snapshot(n+1) != nil {
		t.Fatalf("on the forge after two more commits: %q head %s (branch %s)\n%s", pr.Title, pr.HeadSHA, head, pr.Body)
	}
	if lock := v.Git(v.AppBare, "show", head+":package-lock.json"); strings.Count(lock, `"version": "1.1.0"`) != 2 {
		t.Fatalf("package-lock.json on the branch:\n%s", lock)
	}

	merge := gittest.MergeInBare(t, v.AppBare, "main", pr.Branch, "Merge pull request #1 from "+pr.Branch)
	fw.MergeWith(n, "alice", merge)
	out, err = v.rel.ReleasePullRequests(ctx, nil, false)
	if err != nil || len(out.Waiting) != 1 || out.Waiting[0].MergeSHA != merge || len(out.PullRequests) != 0 || fw.Snapshot(n+1) != nil {
		t.Fatalf("merged, no build yet: %+v %v", out, err)
	}
	mb := v.Register(v.e, merge)
	out, err = v.rel.ReleasePullRequests(ctx, nil, false)
	if err != nil || len(out.Released) != 1 {
		t.Fatalf("with the merge commit's build: %+v %v", out, err)
	}
	if v.Git(v.AppBare, "rev-parse", "v1.1.0^{commit}") != merge {
		t.Fatalf("v1.1.0 is not on the merge commit")
	}
	if msg := v.Git(v.AppBare, "tag", "-l", "--format=%(contents)", "v1.1.0"); !strings.Contains(msg, "Digest: "+mb.Digest) {
		t.Fatalf("annotation:\n%s", msg)
	}
	pages := fw.ReleasePages()
	if len(pages) != 1 || pages[0].Tag != "v1.1.0" || pages[0].Commit != merge || !strings.Contains(pages[0].Body, "totals") || !strings.Contains(pages[0].Body, mb.Digest) {
		t.Fatalf("pages %+v", pages)
	}
	if labels := strings.Join(fw.Snapshot(n).Labels, ","); labels != versioning.LabelTagged {
		t.Fatalf("labels after the release: %s", labels)
	}
	v.Land("fix: after", "after.go", "package after\n")
	out, err = v.rel.ReleasePullRequests(ctx, nil, false)
	if err != nil || len(out.PullRequests) != 1 || out.PullRequests[0].Action != "opened" || out.PullRequests[0].Number == n {
		t.Fatalf("the next release pull request: %+v %v", out, err)
	}
	if next := fw.Snapshot(out.PullRequests[0].Number); next.Branch != pr.Branch || next.Title != "chore(main): release 1.1.1" {
		t.Fatalf("next: %q on %s", next.Title, next.Branch)
	}
}
