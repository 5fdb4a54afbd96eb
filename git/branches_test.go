package git

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestPatchIDsMatchCherryPicks: a cherry-pick onto another branch has the
// commit's patch id (whatever its message and parent); a different change
// to the same file does not; merges and empty commits have none.
func TestPatchIDsMatchCherryPicks(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t)
	base := r.commit("chore: init", map[string]string{"a.txt": "1\n2\n3\n", "b.txt": "x\n"})
	fix := r.commit("fix: three", map[string]string{"a.txt": "1\n2\nthree\n"})
	other := r.commit("fix: b", map[string]string{"b.txt": "y\n"})
	r.git("checkout", "-q", "-b", "maint", base)
	r.commit("chore: unrelated", map[string]string{"c.txt": "c\n"})
	r.git("cherry-pick", "-x", fix)
	picked := r.git("rev-parse", "HEAD")
	empty := r.commit("chore: nothing", nil)

	ids, err := r.PatchIDs(ctx, []string{"main", "maint", "^" + base})
	if err != nil {
		t.Fatal(err)
	}
	if ids[fix] == "" || ids[fix] != ids[picked] {
		t.Errorf("cherry-pick should share the patch id: %s vs %s", ids[fix], ids[picked])
	}
	if ids[other] == ids[fix] {
		t.Error("different changes share a patch id")
	}
	if _, ok := ids[empty]; ok {
		t.Error("an empty commit has no patch id")
	}
	if _, ok := ids[base]; ok {
		t.Error("the excluded base was read")
	}
	if _, err := r.PatchIDs(ctx, []string{"--output=/tmp/x"}); err == nil {
		t.Error("an option-looking revision must be refused")
	}
}

// TestBranchHelpers covers what `slipway hotfix start` does with git:
// create a branch by compare-and-swap, find which branches contain a
// commit, push it without force and read it back from the remote.
func TestBranchHelpers(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t)
	first := r.commit("feat: a", map[string]string{"a": "1"})
	r.git("tag", "-a", "-m", "v1", "v1.0.0")
	second := r.commit("feat: b", map[string]string{"a": "2"})

	if sha, err := r.RefSHA(ctx, "refs/heads/hotfix/x"); err != nil || sha != "" {
		t.Fatalf("absent ref: %q %v", sha, err)
	}
	if err := r.UpdateRef(ctx, "refs/heads/hotfix/x", first, "", "test"); err != nil {
		t.Fatal(err)
	}
	if err := r.UpdateRef(ctx, "refs/heads/hotfix/x", second, "", "test"); err == nil {
		t.Error("creating an existing ref must fail (compare-and-swap)")
	}
	if sha, _ := r.RefSHA(ctx, "refs/heads/hotfix/x"); sha != first {
		t.Errorf("hotfix/x at %s, want %s", sha, first)
	}
	got, err := r.RefsContaining(ctx, second, []string{"refs/heads/main", "refs/heads/hotfix/x", "refs/heads/hotfix"})
	if err != nil || len(got) != 1 || got[0] != "refs/heads/main" {
		t.Errorf("refs containing the second commit: %v %v", got, err)
	}
	if b, err := r.CurrentBranch(ctx); err != nil || b != "main" {
		t.Errorf("current branch %q %v", b, err)
	}
	notMerged, err := r.TagsNotMerged(ctx, "hotfix/x")
	if err != nil || len(notMerged) != 0 {
		t.Errorf("v1.0.0 is on hotfix/x: %v %v", notMerged, err)
	}

	bare := filepath.Join(t.TempDir(), "app.git")
	r.git("init", "-q", "--bare", bare)
	r.git("remote", "add", "origin", bare)
	if ok, err := r.HasRemote(ctx, "origin"); !ok || err != nil {
		t.Fatalf("origin: %v %v", ok, err)
	}
	if ok, _ := r.HasRemote(ctx, "upstream"); ok {
		t.Error("no upstream remote")
	}
	if sha, err := r.RemoteBranchSHA(ctx, "origin", "hotfix/x"); err != nil || sha != "" {
		t.Fatalf("remote branch before push: %q %v", sha, err)
	}
	if err := r.PushBranch(ctx, "origin", first, "hotfix/x"); err != nil {
		t.Fatal(err)
	}
	if sha, err := r.RemoteBranchSHA(ctx, "origin", "hotfix/x"); err != nil || sha != first {
		t.Fatalf("remote branch after push: %q %v", sha, err)
	}
	// A push that would move the remote branch backwards or sideways is refused.
	r.git("checkout", "-q", "-b", "side", first)
	side := r.commit("fix: side", map[string]string{"s": "1"})
	if err := r.PushBranch(ctx, "origin", side, "hotfix/x"); err != nil {
		t.Fatalf("fast-forward push: %v", err)
	}
	if err := r.PushBranch(ctx, "origin", second, "hotfix/x"); !errors.Is(err, ErrRejected) {
		t.Errorf("non-fast-forward push: %v, want ErrRejected", err)
	}
	if err := r.FetchBranch(ctx, "origin", "hotfix/x"); err != nil {
		t.Fatal(err)
	}
	if sha, _ := r.RefSHA(ctx, "refs/remotes/origin/hotfix/x"); sha != side {
		t.Errorf("remote-tracking ref %s, want %s", sha, side)
	}
	files, err := r.FilesOf(ctx, side)
	if err != nil || strings.Join(files, ",") != "s" {
		t.Errorf("files of %s: %v %v", side, files, err)
	}
	if files, _ := r.FilesOf(ctx, first); strings.Join(files, ",") != "a" {
		t.Errorf("files of the root commit: %v", files)
	}
	id, err := r.Ident(ctx)
	if err != nil || id.Email != "cid@example.com" {
		t.Errorf("ident %+v %v", id, err)
	}
	for _, bad := range []string{"-f", "a\nb", ""} {
		if _, err := r.RefSHA(ctx, bad); err == nil {
			t.Errorf("RefSHA(%q) must refuse", bad)
		}
		if err := r.PushBranch(ctx, "origin", first, bad); err == nil {
			t.Errorf("PushBranch to %q must refuse", bad)
		}
	}
}
