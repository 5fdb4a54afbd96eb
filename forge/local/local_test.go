package local

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/git"
	"github.com/slipway/slipway/sqlite"
)

// A bare remote with main and two branches that both edit values.yaml: the
// first merges cleanly, the second then conflicts.
func setup(t *testing.T) (*Forge, string) {
	t.Helper()
	dir := t.TempDir()
	run := func(d string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", d, "-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v: %s", args, err, out)
		}
	}
	remote := filepath.Join(dir, "remote.git")
	run(dir, "init", "-q", "--bare", "-b", "main", remote)
	seed := filepath.Join(dir, "seed")
	run(dir, "clone", "-q", remote, seed)
	write := func(content string) { os.WriteFile(filepath.Join(seed, "values.yaml"), []byte(content), 0o644) }
	write("digest: a\n")
	run(seed, "add", "-A")
	run(seed, "commit", "-qm", "seed")
	run(seed, "push", "-q", "origin", "HEAD:main")
	for _, b := range []string{"one", "two"} {
		run(seed, "checkout", "-q", "-B", b, "origin/main")
		write("digest: " + b + "\n")
		run(seed, "commit", "-qam", b)
		run(seed, "push", "-q", "origin", b)
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "state"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	repo, err := git.CloneOrOpen(context.Background(), remote, filepath.Join(dir, "work"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	return &Forge{Store: db.Store().PullRequests, Repo: repo, Now: func() time.Time { return now }}, remote
}

func TestMergeIsARealMergeAndIdempotent(t *testing.T) {
	f, remote := setup(t)
	ctx := context.Background()
	pr, err := f.Open(ctx, &slipway.PullRequest{Branch: "one", Base: "main", Title: "one"})
	if err != nil || pr.Number != 1 || pr.HeadSHA == "" {
		t.Fatalf("open: %+v %v", pr, err)
	}
	merged, err := f.Merge(ctx, 1, "", "Bob <bob@example.com>")
	if err != nil || merged.State != "merged" || merged.MergedBy == "" {
		t.Fatalf("merge: %+v %v", merged, err)
	}
	out, _ := exec.Command("git", "-C", remote, "log", "-1", "--format=%P|%an|%B", "main").Output()
	fields := strings.SplitN(string(out), "|", 3)
	if len(strings.Fields(fields[0])) != 2 || fields[1] != "Bob" || !strings.Contains(fields[2], "Merge pull request #1 from one") {
		t.Errorf("main's tip is not a merge commit by the merger: %q", out)
	}
	again, err := f.Merge(ctx, 1, "", "Bob <bob@example.com>")
	if err != nil || again.MergeSHA != merged.MergeSHA {
		t.Fatalf("merging twice: %+v %v", again, err)
	}
	if n, _ := exec.Command("git", "-C", remote, "rev-list", "--count", "--merges", "main").Output(); strings.TrimSpace(string(n)) != "1" {
		t.Errorf("%s merge commits on main, want 1", n)
	}
}

func TestConflictingMergeIsRefusedAndChangesNothing(t *testing.T) {
	f, remote := setup(t)
	ctx := context.Background()
	for _, b := range []string{"one", "two"} {
		if _, err := f.Open(ctx, &slipway.PullRequest{Branch: b, Base: "main", Title: b}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.Merge(ctx, 1, "", "bob"); err != nil {
		t.Fatal(err)
	}
	before, _ := exec.Command("git", "-C", remote, "rev-parse", "main").Output()
	_, err := f.Merge(ctx, 2, "", "bob")
	if slipway.ErrorCode(err) != slipway.ECONFLICT || !strings.Contains(err.Error(), "does not merge cleanly") {
		t.Fatalf("conflicting merge: %v", err)
	}
	after, _ := exec.Command("git", "-C", remote, "rev-parse", "main").Output()
	if string(before) != string(after) {
		t.Error("a refused merge moved main")
	}
	if pr, _ := f.Get(ctx, 2); pr.State != "open" {
		t.Errorf("refused PR should stay open, is %s", pr.State)
	}
	if _, err := f.Open(ctx, &slipway.PullRequest{Branch: "missing", Base: "main"}); slipway.ErrorCode(err) != slipway.EINVALID {
		t.Errorf("opening a PR for a branch not on the remote: %v", err)
	}
}

// run runs git in dir and returns its trimmed output.
func run(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=m", "-c", "user.email=m@example.com"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v: %s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestOnlyTheCheckedHeadMerges: a push to the branch after Slipway checked
// it (a force-push, or one more commit) is refused, and main is untouched.
func TestOnlyTheCheckedHeadMerges(t *testing.T) {
	f, remote := setup(t)
	ctx := context.Background()
	pr, err := f.Open(ctx, &slipway.PullRequest{Branch: "one", Base: "main", Title: "one"})
	if err != nil {
		t.Fatal(err)
	}
	checked := pr.HeadSHA
	evil := filepath.Join(t.TempDir(), "evil")
	run(t, "", "clone", "-q", "-b", "one", remote, evil)
	os.WriteFile(filepath.Join(evil, "backdoor.yaml"), []byte("x: 1\n"), 0o644)
	run(t, evil, "add", "-A")
	run(t, evil, "commit", "-qm", "Slipway-Pull-Request: 1")
	run(t, evil, "push", "-q", "origin", "one")
	before := run(t, remote, "rev-parse", "main")
	_, err = f.Merge(ctx, pr.Number, checked, "bob")
	if slipway.ErrorCode(err) != slipway.ECONFLICT || !strings.Contains(err.Error(), "not at the head") {
		t.Fatalf("a moved head must be refused: %v", err)
	}
	if run(t, remote, "rev-parse", "main") != before {
		t.Fatal("main moved")
	}
	if got, _ := f.Get(ctx, pr.Number); got.State != slipway.PROpen {
		t.Fatalf("the PR should stay open, is %s", got.State)
	}
}

// TestMergeFinishesAfterACrash: a merge pushed before a crash (the row still
// says merging) is found by its parents, not by message text; a planted
// commit naming the pull request does not count as its merge.
func TestMergeFinishesAfterACrash(t *testing.T) {
	f, remote := setup(t)
	ctx := context.Background()
	pr, _ := f.Open(ctx, &slipway.PullRequest{Branch: "one", Base: "main", Title: "one"})
	// Someone plants a commit whose message claims to merge #1.
	evil := filepath.Join(t.TempDir(), "evil")
	run(t, "", "clone", "-q", remote, evil)
	run(t, evil, "commit", "-q", "--allow-empty", "-m", "Merge pull request #1 from one\n\nSlipway-Pull-Request: 1")
	run(t, evil, "push", "-q", "origin", "HEAD:main")
	// The crash: the row is merging and the merge commit was pushed.
	pr.State = merging
	if err := f.Store.SetPRState(ctx, pr, slipway.PROpen); err != nil {
		t.Fatal(err)
	}
	f.Repo.FetchShared(ctx)
	m, err := f.mergeAndPush(ctx, pr, "bob")
	if err != nil {
		t.Fatal(err)
	}
	merged, err := f.Merge(ctx, pr.Number, pr.HeadSHA, "bob")
	if err != nil || merged.MergeSHA != m || merged.State != slipway.PRMerged {
		t.Fatalf("retried merge: %+v %v (want merge %s)", merged, err, m)
	}
	if n := run(t, remote, "rev-list", "--count", "--merges", "main"); n != "1" {
		t.Fatalf("%s merge commits, want 1", n)
	}
	if out := run(t, remote, "branch", "--list", "one"); out != "" {
		t.Fatalf("a merged branch is deleted, found %q", out)
	}
}

func TestClosedPullRequestsNeverMerge(t *testing.T) {
	f, _ := setup(t)
	ctx := context.Background()
	pr, _ := f.Open(ctx, &slipway.PullRequest{Branch: "one", Base: "main", Title: "one"})
	if err := f.Close(ctx, pr.Number, "Superseded by promotion p-9."); err != nil {
		t.Fatal(err)
	}
	got, _ := f.Get(ctx, pr.Number)
	if got.State != slipway.PRClosed || !strings.Contains(got.Body, "p-9") {
		t.Fatalf("closed: %+v", got)
	}
	if _, err := f.Merge(ctx, pr.Number, "", "bob"); slipway.ErrorCode(err) != slipway.ECONFLICT {
		t.Fatalf("merging a closed PR: %v", err)
	}
	if found, err := f.Find(ctx, "one"); err != nil || found.Number != pr.Number {
		t.Fatalf("find: %+v %v", found, err)
	}
}
