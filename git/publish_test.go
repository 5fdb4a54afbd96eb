package git_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/git"
	"github.com/slipway/slipway/git/gittest"
)

// pubFixture is a bare app remote, a clone of it, and a changelog commit
// built on the clone's origin/main without a work tree.
type pubFixture struct {
	t         *testing.T
	bare, dir string
	repo      *git.Repo
	target    string // the commit the release tag names
	changelog string // the changelog commit, on origin/main
}

func newPub(t *testing.T) *pubFixture {
	t.Helper()
	f := &pubFixture{t: t, bare: filepath.Join(t.TempDir(), "app.git"), dir: filepath.Join(t.TempDir(), "app")}
	gittest.Git(t, filepath.Dir(f.bare), "init", "-q", "--bare", "-b", "main", f.bare)
	gittest.Git(t, filepath.Dir(f.dir), "clone", "-q", f.bare, f.dir)
	os.WriteFile(filepath.Join(f.dir, "CHANGELOG.md"), []byte("# Changelog\n\n## 0.1.0 (2026-01-01)\n\n* first\n"), 0o644)
	gittest.Git(t, f.dir, "add", "-A")
	gittest.Git(t, f.dir, "commit", "-qm", "feat: first")
	gittest.Git(t, f.dir, "push", "-q", "origin", "HEAD:main")
	f.target = gittest.Git(t, f.dir, "rev-parse", "HEAD")
	gittest.Git(t, f.dir, "tag", "-a", "-m", "v1.0.0\n\nDigest: sha256:aa", "v1.0.0", f.target)
	f.repo = git.Open(f.dir)
	var err error
	f.changelog, err = f.repo.CommitFiles(context.Background(), f.target, map[string][]byte{
		"CHANGELOG.md": []byte("# Changelog\n\n## 1.0.0 (2026-02-01)\n\n* second\n\n## 0.1.0 (2026-01-01)\n\n* first\n"),
	}, git.Identity{Name: "Slipway", Email: "slipway@localhost"}, time.Unix(1.8e9, 0), "chore(release): v1.0.0\n")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *pubFixture) publish(attempts int, rebased *[]string) (string, error) {
	return f.repo.PublishCommit(context.Background(), git.Publish{
		Remote: "origin", Branch: "main", Commit: f.changelog, Extra: []string{"refs/tags/v1.0.0:refs/tags/v1.0.0"}, Attempts: attempts,
		Rebased: func(old, new string) error { *rebased = append(*rebased, new); return nil },
	})
}

// TestPublishWhileMainMoves: someone's push lands between Slipway's fetch
// and its push; the push fails as a whole (the tag too), the changelog
// commit is re-applied on the new main and pushed again, nothing is lost
// and nothing is forced.
func TestPublishWhileMainMoves(t *testing.T) {
	f := newPub(t)
	ctx := context.Background()
	theirs := gittest.MoveOnNextPush(t, f.bare, "main", "other.txt", "someone else's work")
	var rebased []string
	landed, err := f.publish(5, &rebased)
	if err != nil {
		t.Fatal(err)
	}
	if len(rebased) != 1 || landed != rebased[0] || landed == f.changelog {
		t.Fatalf("landed %s, rebased %v; want one re-application", landed, rebased)
	}
	if main := gittest.Git(t, f.bare, "rev-parse", "main"); main != landed {
		t.Fatalf("remote main %s, want the re-applied commit %s", main, landed)
	}
	if parent := gittest.Git(t, f.bare, "rev-parse", landed+"^"); parent != theirs {
		t.Fatalf("the re-applied commit's parent %s, want their commit %s", parent, theirs)
	}
	if got := gittest.Git(t, f.bare, "show", "main:other.txt"); got != "someone else's work" {
		t.Fatalf("their file: %q", got)
	}
	if cl := gittest.Git(t, f.bare, "show", "main:CHANGELOG.md"); !strings.HasPrefix(cl, "# Changelog\n\n## 1.0.0") || strings.Count(cl, "## 1.0.0") != 1 {
		t.Fatalf("remote CHANGELOG.md:\n%s", cl)
	}
	if msg := gittest.Git(t, f.bare, "log", "-1", "--format=%s|%an", landed); msg != "chore(release): v1.0.0|Slipway" {
		t.Fatalf("re-applied commit: %s", msg)
	}
	if at, _ := f.repo.RemoteTag(ctx, "origin", "v1.0.0"); at != f.target {
		t.Fatalf("remote tag v1.0.0 at %s, want %s", at, f.target)
	}
	again, err := f.repo.PublishCommit(ctx, git.Publish{Remote: "origin", Branch: "main", Commit: landed, Extra: []string{"refs/tags/v1.0.0:refs/tags/v1.0.0"}})
	if err != nil || again != landed || gittest.Git(t, f.bare, "rev-parse", "main") != landed {
		t.Fatalf("publishing again: %s %v; want a no-op", again, err)
	}
}

// TestPublishGivesUpAfterBoundedAttempts: a branch that keeps moving is
// reported, with nothing pushed.
func TestPublishGivesUpAfterBoundedAttempts(t *testing.T) {
	f := newPub(t)
	theirs := gittest.MoveOnNextPush(t, f.bare, "main", "other.txt", "x")
	var rebased []string
	_, err := f.publish(1, &rebased)
	if err == nil || !strings.Contains(err.Error(), "moved 1 times") || !errors.Is(err, git.ErrRejected) {
		t.Fatalf("err = %v; want the branch reported as moving", err)
	}
	if main := gittest.Git(t, f.bare, "rev-parse", "main"); main != theirs {
		t.Fatalf("remote main %s, want their commit only", main)
	}
	if out := gittest.Git(t, f.bare, "tag", "-l"); out != "" {
		t.Fatalf("tags pushed: %q", out)
	}
}

// TestPublishRefusesATagElsewhere: the remote has the tag on another
// commit; the atomic push refuses the commit too and nothing changes.
func TestPublishRefusesATagElsewhere(t *testing.T) {
	f := newPub(t)
	ctx := context.Background()
	other := gittest.Git(t, f.bare, "commit-tree", gittest.Git(t, f.bare, "rev-parse", "main^{tree}"), "-m", "other")
	gittest.Git(t, f.bare, "tag", "v1.0.0", other)
	before := gittest.Git(t, f.bare, "for-each-ref")
	var rebased []string
	if _, err := f.publish(5, &rebased); !errors.Is(err, git.ErrRejected) {
		t.Fatalf("err = %v; want ErrRejected", err)
	}
	if after := gittest.Git(t, f.bare, "for-each-ref"); after != before {
		t.Fatalf("the remote changed:\n%s\n%s", before, after)
	}
	if at, err := f.repo.RemoteTag(ctx, "origin", "v1.0.0"); err != nil || at != other {
		t.Fatalf("RemoteTag = %s, %v; want %s", at, err, other)
	}
	if at, err := f.repo.RemoteTag(ctx, "origin", "v9.9.9"); err != nil || at != "" {
		t.Fatalf("RemoteTag of a missing tag = %q, %v", at, err)
	}
}

// TestReapplyConflict: their change to the same lines is a conflict, not
// a silent overwrite.
func TestReapplyConflict(t *testing.T) {
	f := newPub(t)
	gittest.MoveOnNextPush(t, f.bare, "main", "CHANGELOG.md", "# Changelog\n\n## 1.0.0 (2026-02-02)\n\n* theirs")
	var rebased []string
	if _, err := f.publish(5, &rebased); !errors.Is(err, git.ErrConflict) {
		t.Fatalf("err = %v; want ErrConflict", err)
	}
}

// TestFastForwardBranch: the local branch follows the published commit
// when it can without losing anything.
func TestFastForwardBranch(t *testing.T) {
	f := newPub(t)
	ctx := context.Background()
	var rebased []string
	landed, err := f.publish(5, &rebased)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(f.dir, "CHANGELOG.md"), []byte("dirty"), 0o644)
	if moved, err := f.repo.FastForwardBranch(ctx, "main", landed); err != nil || moved {
		t.Fatalf("a dirty checkout moved: %v %v", moved, err)
	}
	gittest.Git(t, f.dir, "checkout", "-q", "--", "CHANGELOG.md")
	if moved, err := f.repo.FastForwardBranch(ctx, "main", landed); err != nil || !moved {
		t.Fatalf("clean checkout: %v %v", moved, err)
	}
	if head := gittest.Git(t, f.dir, "rev-parse", "HEAD"); head != landed {
		t.Fatalf("HEAD %s, want %s", head, landed)
	}
	if b, _ := os.ReadFile(filepath.Join(f.dir, "CHANGELOG.md")); !strings.Contains(string(b), "## 1.0.0") {
		t.Fatalf("work tree not updated: %s", b)
	}
}

// TestPublishRefusesARewrittenBranch: a main that no longer holds the
// commit the release was built on (force-pushed by someone) is not
// published over.
func TestPublishRefusesARewrittenBranch(t *testing.T) {
	f := newPub(t)
	orphan := gittest.Git(t, f.bare, "commit-tree", gittest.Git(t, f.bare, "rev-parse", "main^{tree}"), "-m", "rewritten")
	gittest.Git(t, f.bare, "update-ref", "refs/heads/main", orphan)
	var rebased []string
	if _, err := f.publish(5, &rebased); !errors.Is(err, git.ErrRejected) || !strings.Contains(err.Error(), "does not hold") {
		t.Fatalf("err = %v; want the rewritten branch refused", err)
	}
	if main := gittest.Git(t, f.bare, "rev-parse", "main"); main != orphan || len(rebased) != 0 {
		t.Fatalf("remote main %s (want %s untouched), rebased %v", main, orphan, rebased)
	}
}
