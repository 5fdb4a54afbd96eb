package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/forge/local"
	"github.com/slipway/slipway/git"
	"github.com/slipway/slipway/git/gittest"
)

// The publishing fixture is the engine fixture with the app repository's
// remote (a bare repository on disk, main pushed), the local forge over
// the app repository for release pull requests, and release pages kept by
// pages (an in-memory host: the hosted forges' Releases APIs are played by
// their adapters' tests; here only the engine's use of the interface is
// under test).
type pubFixture struct {
	*fixture
	appBare string
	rel     *Releaser
	pages   *pages
}

const pubConfig = `
app: {repo: app}
gitops: {remote: gitops.git}
registry: {insecure: true}
release: %s
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
`

func newPubFixture(t *testing.T, release string) *pubFixture {
	t.Helper()
	p := &pubFixture{fixture: newFixture(t), pages: newPages()}
	f := p.fixture
	p.appBare = filepath.Join(f.dir, "app.git")
	f.git(f.dir, "init", "-q", "--bare", "-b", "main", p.appBare)
	f.git(f.app, "remote", "add", "origin", p.appBare)
	f.git(f.app, "push", "-q", "origin", "main")
	os.WriteFile(filepath.Join(f.dir, "slipway.yaml"), []byte(fmt.Sprintf(pubConfig, release, f.image)), 0o644)
	f.open()
	p.rel = &Releaser{Engine: f.e, Forge: &local.Forge{Store: f.e.Store.PullRequests, Repo: git.Open(f.app), Now: f.e.Now}, Pages: p.pages}
	return p
}

// landOnMain commits in the app clone and pushes it to the remote's main,
// as a merged change does.
func (p *pubFixture) landOnMain(msg, file, content string) string {
	p.t.Helper()
	p.git(p.app, "checkout", "-q", "main")
	p.git(p.app, "pull", "-q", "--ff-only", "origin", "main")
	sha := p.commit("alice@example.com", msg, file, content, "")
	p.git(p.app, "push", "-q", "origin", "main")
	return sha
}

// register registers a signed build of commit.
func (p *pubFixture) register(commit string) *slipway.Build {
	p.t.Helper()
	ref, _ := p.build(commit[:8], p.signer)
	b, _, err := p.e.RegisterBuild(context.Background(), "api", commit, ref.String())
	if err != nil {
		p.t.Fatal(err)
	}
	return b
}

// snapshot is everything a release may change: the app clone's refs,
// work tree and index, the app remote's refs, the store's releases and
// pull requests, the release pages.
func (p *pubFixture) snapshot() string {
	ctx := context.Background()
	var b strings.Builder
	b.WriteString(p.git(p.app, "for-each-ref", "--format=%(refname) %(objectname)"))
	b.WriteString("\n" + p.git(p.app, "status", "--porcelain", "--untracked-files=all"))
	b.WriteString("\n" + p.git(p.app, "rev-parse", "HEAD"))
	cl, _ := os.ReadFile(filepath.Join(p.app, "CHANGELOG.md"))
	b.WriteString("\n" + string(cl))
	b.WriteString("\n" + p.git(p.appBare, "for-each-ref", "--format=%(refname) %(objectname)"))
	rels, _ := p.e.Store.Releases.Releases(ctx, "")
	for _, r := range rels {
		fmt.Fprintf(&b, "\nrelease %s %s", r.Tag, r.BuildID)
	}
	prs, _ := p.e.Store.PullRequests.PRs(ctx, "")
	for _, pr := range prs {
		fmt.Fprintf(&b, "\npr %d %s %s %v", pr.Number, pr.State, pr.Title, pr.Labels)
	}
	b.WriteString("\n" + p.pages.String())
	return b.String()
}

// TestReleasePushedWhileMainMoves: someone's change lands on the remote's
// main between Slipway's fetch and its push. The atomic push of the tag
// and the changelog commit fails as a whole; the changelog commit is
// re-applied on the new main and pushed again; their change and the
// release are both on the remote, nothing was forced, the local main
// follows.
func TestReleasePushedWhileMainMoves(t *testing.T) {
	p := newPubFixture(t, "{}")
	ctx := context.Background()
	feat := p.landOnMain("feat: orders", "orders.go", "package orders\n")
	b := p.register(feat)
	theirs := gittest.MoveOnNextPush(t, p.appBare, "main", "theirs.txt", "someone else's work")
	out, err := p.rel.Release(ctx, ReleaseRequest{Service: "api", BuildID: b.ID})
	if err != nil {
		t.Fatal(err)
	}
	if out.Release.Tag != "v1.0.0" || out.Remote != "origin" {
		t.Fatalf("released %+v on %q", out.Release, out.Remote)
	}
	if at := p.git(p.appBare, "rev-parse", "v1.0.0^{commit}"); at != feat {
		t.Fatalf("the remote's v1.0.0 names %s, want the build's commit %s", at, feat)
	}
	if msg := p.git(p.appBare, "tag", "-l", "--format=%(contents)", "v1.0.0"); !strings.Contains(msg, "Digest: "+b.Digest) {
		t.Fatalf("the pushed annotation does not name the digest:\n%s", msg)
	}
	main := p.git(p.appBare, "rev-parse", "main")
	if parent := p.git(p.appBare, "rev-parse", main+"^"); parent != theirs {
		t.Fatalf("remote main's parent is %s, want their commit %s: the changelog commit goes on top", parent, theirs)
	}
	if got := p.git(p.appBare, "show", "main:theirs.txt"); got != "someone else's work" {
		t.Fatalf("their change was lost: %q", got)
	}
	if cl := p.git(p.appBare, "show", "main:CHANGELOG.md"); strings.Count(cl, "## 1.0.0") != 1 || !strings.Contains(cl, "orders") {
		t.Fatalf("remote CHANGELOG.md:\n%s", cl)
	}
	if subject := p.git(p.appBare, "log", "-1", "--format=%s", "main"); subject != "chore(release): v1.0.0" {
		t.Fatalf("remote main's tip is %q", subject)
	}
	if p.git(p.app, "rev-parse", "main") != main || p.git(p.app, "status", "--porcelain") != "" {
		t.Errorf("the local main did not follow the published commit cleanly")
	}
	if len(out.Pushes) != 2 || out.Pushes[1].Ref != "refs/heads/main" || out.Pushes[1].To != main {
		t.Errorf("pushes %+v", out.Pushes)
	}
	// Once more: nothing left to do, nothing pushed.
	before := p.snapshot()
	if _, err := p.rel.Release(ctx, ReleaseRequest{Service: "api", BuildID: b.ID}); err != nil {
		t.Fatal(err)
	}
	if after := p.snapshot(); after != before {
		t.Errorf("releasing again changed something:\n%s\n---\n%s", before, after)
	}
}

// TestReleaseRefusesATagTheRemoteHasElsewhere: the remote already has the
// version's tag on another commit (someone released by hand). The release
// is refused naming both commits, and nothing changes anywhere.
func TestReleaseRefusesATagTheRemoteHasElsewhere(t *testing.T) {
	p := newPubFixture(t, "{}")
	ctx := context.Background()
	// Tagged by hand on a side commit this clone never fetched.
	other := gittest.Git(t, p.appBare, "commit-tree", "main^{tree}", "-p", "main", "-m", "a side commit")
	gittest.Git(t, p.appBare, "tag", "v1.0.0", other)
	feat := p.landOnMain("feat: orders", "orders.go", "package orders\n")
	b := p.register(feat)
	before := p.snapshot()
	_, err := p.rel.Release(ctx, ReleaseRequest{Service: "api", BuildID: b.ID})
	if slipway.ErrorCode(err) != slipway.ECONFLICT || !strings.Contains(err.Error(), short(other)) || !strings.Contains(err.Error(), short(feat)) {
		t.Fatalf("err = %v; want ECONFLICT naming %s and %s", err, short(other), short(feat))
	}
	if after := p.snapshot(); after != before {
		t.Fatalf("a refused release changed something:\n%s\n---\n%s", before, after)
	}
}

// TestReleaseDryRunChangesNothing: a dry run says the version, the tag,
// the notes and each ref it would push, and leaves refs, files, the store
// and the forge as they were.
func TestReleaseDryRunChangesNothing(t *testing.T) {
	p := newPubFixture(t, "{}")
	ctx := context.Background()
	feat := p.landOnMain("feat: orders", "orders.go", "package orders\n")
	b := p.register(feat)
	gittest.Git(t, p.appBare, "update-ref", "refs/heads/main", gittest.Git(t, p.appBare, "commit-tree", "main^{tree}", "-p", "main", "-m", "fix: landed meanwhile"))
	before := p.snapshot()
	out, err := p.rel.Release(ctx, ReleaseRequest{Service: "api", BuildID: b.ID, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if after := p.snapshot(); after != before {
		t.Fatalf("a dry run changed something:\n%s\n---\n%s", before, after)
	}
	if out.Release.Tag != "v1.0.0" || !strings.HasPrefix(out.Release.Notes, "## 1.0.0") || !strings.Contains(out.Release.Notes, "orders") {
		t.Fatalf("dry run release %+v", out.Release)
	}
	if len(out.Pushes) != 2 || out.Pushes[0].Ref != "refs/heads/main" || !strings.Contains(out.Pushes[0].Note, "fetched first") || out.Pushes[1].Ref != "refs/tags/v1.0.0" || out.Pushes[1].To != feat {
		t.Fatalf("pushes %+v", out.Pushes)
	}
	if out.PageAction != "would create" || out.Page == nil || !strings.Contains(out.Page.Notes, b.Digest) {
		t.Fatalf("page %s %+v", out.PageAction, out.Page)
	}
	if strings.Join(out.Files, ",") != "CHANGELOG.md" {
		t.Fatalf("files %v", out.Files)
	}
}

// TestReleaseFinishesAfterACrash: a crash right after the tag (nothing
// pushed) and one right after the push (no page) are finished by running
// the same command again: one tag, one changelog section, one page.
func TestReleaseFinishesAfterACrash(t *testing.T) {
	for _, step := range []string{"tagged", "pushed"} {
		t.Run(step, func(t *testing.T) {
			p := newPubFixture(t, "{}")
			ctx := context.Background()
			b := p.register(p.landOnMain("feat: orders", "orders.go", "package orders\n"))
			crash := errors.New("killed")
			p.rel.crash = func(s string) error {
				if s == step {
					return crash
				}
				return nil
			}
			if _, err := p.rel.Release(ctx, ReleaseRequest{Service: "api", BuildID: b.ID}); !errors.Is(err, crash) {
				t.Fatalf("err = %v; want the injected crash", err)
			}
			remoteTag := gittest.Git(t, p.appBare, "tag", "-l", "v1.0.0")
			if step == "tagged" && (remoteTag != "" || p.pages.count() != 0) {
				t.Fatalf("crashed before the push, yet the remote has %q and %d pages", remoteTag, p.pages.count())
			}
			if step == "pushed" && (remoteTag != "v1.0.0" || p.pages.count() != 0) {
				t.Fatalf("crashed after the push: remote tag %q, %d pages", remoteTag, p.pages.count())
			}
			theirs := gittest.MoveOnNextPush(t, p.appBare, "main", "theirs.txt", "meanwhile")
			p.rel.crash = nil
			out, err := p.rel.Release(ctx, ReleaseRequest{Service: "api", BuildID: b.ID})
			if err != nil {
				t.Fatal(err)
			}
			if out.Release.Tag != "v1.0.0" || out.PageAction != "created" || p.pages.count() != 1 || p.pages.creates != 1 {
				t.Fatalf("after the rerun: %+v, page %s, %d pages, %d creates", out.Release, out.PageAction, p.pages.count(), p.pages.creates)
			}
			if n := strings.Count(p.git(p.appBare, "log", "--format=%s", "main"), "chore(release): v1.0.0"); n != 1 {
				t.Fatalf("%d changelog commits on the remote's main, want 1", n)
			}
			if cl := p.git(p.appBare, "show", "main:CHANGELOG.md"); strings.Count(cl, "## 1.0.0") != 1 {
				t.Fatalf("CHANGELOG.md:\n%s", cl)
			}
			if step == "tagged" && p.git(p.appBare, "rev-parse", "main^") != theirs {
				t.Errorf("the changelog commit was not re-applied on the moved main")
			}
			rels, _ := p.e.Store.Releases.Releases(ctx, "api")
			if len(rels) != 1 {
				t.Fatalf("%d releases in the store", len(rels))
			}
		})
	}
}

// TestReleasePageCreatedOnceAndUpdated: the page carries the changelog
// section, the digest, the platforms and the links; a rerun leaves it, a
// page edited on the forge is brought back, never duplicated, and a
// prerelease is flagged.
func TestReleasePageCreatedOnceAndUpdated(t *testing.T) {
	p := newPubFixture(t, `{buildURL: "https://ci.example.com/builds/{build}?commit={commit}", signatureURL: "https://registry.example.com/{signature}"}`)
	ctx := context.Background()
	b := p.register(p.landOnMain("feat: orders", "orders.go", "package orders\n"))
	out, err := p.rel.Release(ctx, ReleaseRequest{Service: "api", BuildID: b.ID})
	if err != nil {
		t.Fatal(err)
	}
	page := p.pages.get("v1.0.0")
	if page == nil || out.PageAction != "created" || page.Name != "v1.0.0" || page.Prerelease || page.Commit != b.Commit {
		t.Fatalf("page %+v (%s)", page, out.PageAction)
	}
	for _, want := range []string{"## 1.0.0", "orders", "`" + b.Ref() + "`", "**Digest:** `" + b.Digest + "`", "**Platforms:** single-platform image",
		"[" + b.ID + "](https://ci.example.com/builds/" + b.ID + "?commit=" + b.Commit + ")", "(https://registry.example.com/" + b.SignatureDigest + ")"} {
		if !strings.Contains(page.Notes, want) {
			t.Errorf("page notes lack %q:\n%s", want, page.Notes)
		}
	}
	if _, err := p.rel.Release(ctx, ReleaseRequest{Service: "api", BuildID: b.ID}); err != nil || p.pages.creates != 1 || p.pages.updates != 0 {
		t.Fatalf("rerun: %v, %d creates %d updates", err, p.pages.creates, p.pages.updates)
	}
	p.pages.edit("v1.0.0", "someone's edit")
	out, err = p.rel.Release(ctx, ReleaseRequest{Service: "api", BuildID: b.ID})
	if err != nil || out.PageAction != "updated" || p.pages.count() != 1 || p.pages.get("v1.0.0").Notes != page.Notes || p.pages.get("v1.0.0").ID != page.ID {
		t.Fatalf("after an edit on the forge: %v %s, %d pages", err, out.PageAction, p.pages.count())
	}
}

// pages is an in-memory ReleaseHost.
type pages struct {
	mu               sync.Mutex
	byTag            map[string]*slipway.ForgeRelease
	next             int64
	creates, updates int
}

func newPages() *pages { return &pages{byTag: map[string]*slipway.ForgeRelease{}} }

func (h *pages) FindRelease(ctx context.Context, tag string) (*slipway.ForgeRelease, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r, ok := h.byTag[tag]
	if !ok {
		return nil, slipway.Errorf(slipway.ENOTFOUND, "no release of %s", tag)
	}
	c := *r
	return &c, nil
}

func (h *pages) CreateRelease(ctx context.Context, r *slipway.ForgeRelease) (*slipway.ForgeRelease, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.byTag[r.Tag]; ok {
		return nil, slipway.Errorf(slipway.ECONFLICT, "exists")
	}
	h.next++
	c := *r
	c.ID, c.URL = h.next, "https://forge.example/releases/"+r.Tag
	h.byTag[r.Tag] = &c
	h.creates++
	out := c
	return &out, nil
}

func (h *pages) UpdateRelease(ctx context.Context, r *slipway.ForgeRelease) (*slipway.ForgeRelease, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	have, ok := h.byTag[r.Tag]
	if !ok || have.ID != r.ID {
		return nil, slipway.Errorf(slipway.ENOTFOUND, "no release %d", r.ID)
	}
	have.Name, have.Notes, have.Prerelease = r.Name, r.Notes, r.Prerelease
	h.updates++
	out := *have
	return &out, nil
}

func (h *pages) get(tag string) *slipway.ForgeRelease {
	r, _ := h.FindRelease(context.Background(), tag)
	return r
}

func (h *pages) edit(tag, notes string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.byTag[tag].Notes = notes
}

func (h *pages) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.byTag)
}

func (h *pages) String() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var tags []string
	for t, r := range h.byTag {
		tags = append(tags, fmt.Sprintf("%s:%d:%d", t, r.ID, len(r.Notes)))
	}
	sort.Strings(tags)
	return strings.Join(tags, " ")
}

// TestReleaseOfACommitNotPushedYet: the release commit follows the
// released commit on the branch. A build of a local commit ahead of the
// remote's main publishes it with the release (a fast-forward); one whose
// main went elsewhere is refused before anything is written.
func TestReleaseOfACommitNotPushedYet(t *testing.T) {
	p := newPubFixture(t, "{}")
	ctx := context.Background()
	p.git(p.app, "pull", "-q", "--ff-only", "origin", "main")
	local := p.commit("alice@example.com", "feat: orders", "orders.go", "package orders\n", "")
	b := p.register(local)
	if _, err := p.rel.Release(ctx, ReleaseRequest{Service: "api", BuildID: b.ID}); err != nil {
		t.Fatal(err)
	}
	if parent := p.git(p.appBare, "rev-parse", "main^"); parent != local {
		t.Fatalf("remote main^ is %s, want the released commit %s", parent, local)
	}

	// Now a local commit on a main the remote has left behind.
	stale := p.git(p.app, "rev-parse", "HEAD")
	p.landOnMain("fix: landed elsewhere", "else.go", "package else\n")
	p.git(p.app, "checkout", "-q", "-B", "old", stale)
	orphan := p.commit("alice@example.com", "feat: on an old main", "old.go", "package old\n", "")
	b2 := p.register(orphan)
	before := p.snapshot()
	_, err := p.rel.Release(ctx, ReleaseRequest{Service: "api", BuildID: b2.ID})
	if err == nil || !strings.Contains(err.Error(), "went elsewhere") {
		t.Fatalf("err = %v; want the diverged build refused", err)
	}
	if after := p.snapshot(); after != before {
		t.Fatalf("a refused release changed something:\n%s\n---\n%s", before, after)
	}
}
