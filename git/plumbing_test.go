package git

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var bot = Identity{Name: "Slipway", Email: "slipway@localhost"}

// newClone makes a bare remote with one commit and a clone of it.
func newClone(t *testing.T, files map[string]string) (*Repo, *testRepo) {
	t.Helper()
	src := newTestRepo(t)
	src.commit("chore: init", files)
	bare := filepath.Join(t.TempDir(), "remote.git")
	src.git("clone", "-q", "--bare", src.Dir, bare)
	clone, err := CloneOrOpen(context.Background(), bare, filepath.Join(t.TempDir(), "clone"))
	if err != nil {
		t.Fatal(err)
	}
	return clone, src
}

func TestCommitFilesNeedsNoWorkTreeAndRunsConcurrently(t *testing.T) {
	ctx := context.Background()
	r, _ := newClone(t, map[string]string{"envs/dev/a.yaml": "digest: x\n", "run.sh": "#!/bin/sh\n"})
	base, _ := r.Run(ctx, "rev-parse", "origin/main")
	// An executable file keeps its mode when rewritten.
	exe, err := r.CommitTree(ctx, mustRun(t, r, "mktree", "100755 blob "+mustRun(t, r, "rev-parse", base+":run.sh")+"\trun.sh\n"), []string{base}, bot, time.Now(), "exe\n")
	if err != nil {
		t.Fatal(err)
	}
	again, err := r.CommitFiles(ctx, exe, map[string][]byte{"run.sh": []byte("#!/bin/sh\necho\n")}, bot, time.Now(), "edit\n")
	if err != nil || mustRun(t, r, "ls-tree", again, "--", "run.sh")[:6] != "100755" {
		t.Fatalf("mode lost: %v", err)
	}
	var wg sync.WaitGroup
	shas := make([]string, 20)
	for i := range shas {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sha, err := r.CommitFiles(ctx, base, map[string][]byte{
				"envs/dev/a.yaml":             []byte(fmt.Sprintf("digest: %d\n", i)),
				fmt.Sprintf("new/%d.yaml", i): []byte("x\n"),
			}, bot, time.Unix(1e9, 0), "chore: pin\n")
			if err != nil {
				t.Error(err)
			}
			shas[i] = sha
		}(i)
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, sha := range shas {
		if seen[sha] {
			t.Fatalf("two commits share %s", sha)
		}
		seen[sha] = true
		got, err := r.ReadFile(ctx, sha, "envs/dev/a.yaml", 1<<20)
		if err != nil || string(got) != fmt.Sprintf("digest: %d\n", i) {
			t.Fatalf("commit %d holds %q %v", i, got, err)
		}
		if p, _ := r.Parents(ctx, sha); len(p) != 1 || p[0] != base {
			t.Fatalf("parent %v", p)
		}
		if files, _ := r.ChangedFiles(ctx, base, sha); len(files) != 2 {
			t.Fatalf("changed %v", files)
		}
	}
	// The work tree and the clone's index are untouched.
	if st, _ := r.Run(ctx, "status", "--porcelain"); st != "" {
		t.Fatalf("work tree changed: %s", st)
	}
}

func TestReadFileRefusesLinksAndLargeFiles(t *testing.T) {
	ctx := context.Background()
	src := newTestRepo(t)
	src.commit("init", map[string]string{"real.yaml": "digest: x\n", "big.yaml": strings.Repeat("a", 2000)})
	os.Symlink("real.yaml", filepath.Join(src.Dir, "link.yaml"))
	os.MkdirAll(filepath.Join(src.Dir, "d"), 0o755)
	os.Symlink("../", filepath.Join(src.Dir, "dirlink"))
	sha := src.commit("links", nil)
	if b, err := src.ReadFile(ctx, sha, "real.yaml", 100); err != nil || string(b) != "digest: x\n" {
		t.Fatalf("regular file: %q %v", b, err)
	}
	if _, err := src.ReadFile(ctx, sha, "link.yaml", 100); !errors.Is(err, ErrNotFile) || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("symlink: %v", err)
	}
	if _, err := src.ReadFile(ctx, sha, "dirlink/real.yaml", 100); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a path through a linked directory: %v", err)
	}
	if _, err := src.ReadFile(ctx, sha, "big.yaml", 1000); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("oversize: %v", err)
	}
	if _, err := src.ReadFile(ctx, sha, "missing.yaml", 100); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing: %v", err)
	}
	if _, err := src.ReadFile(ctx, "--output=/tmp/x", "real.yaml", 100); err == nil {
		t.Fatal("an option-looking revision was passed to git")
	}
}

func TestPushIsFastForwardOnlyAndCASGuardsOwnBranches(t *testing.T) {
	ctx := context.Background()
	r, _ := newClone(t, map[string]string{"a": "1\n"})
	base, _ := r.Run(ctx, "rev-parse", "origin/main")
	c1, _ := r.CommitFiles(ctx, base, map[string][]byte{"a": []byte("2\n")}, bot, time.Now(), "one\n")
	c2, _ := r.CommitFiles(ctx, base, map[string][]byte{"a": []byte("3\n")}, bot, time.Now(), "two\n")
	if err := r.PushCommit(ctx, c1, "main"); err != nil {
		t.Fatal(err)
	}
	if err := r.PushCommit(ctx, c2, "main"); !errors.Is(err, ErrRejected) {
		t.Fatalf("a push built on a stale tip must be refused, got %v", err)
	}
	if tip, _ := r.RemoteBranch(ctx, "main"); tip != c1 {
		t.Fatalf("remote-tracking ref not moved to the pushed commit: %s", tip)
	}
	if err := r.PushCAS(ctx, c2, "slipway/x", ""); err != nil {
		t.Fatal(err)
	}
	if err := r.PushCAS(ctx, c1, "slipway/x", ""); !errors.Is(err, ErrRejected) {
		t.Fatalf("creating an existing branch: %v", err)
	}
	if err := r.PushCAS(ctx, c1, "slipway/x", base); !errors.Is(err, ErrRejected) {
		t.Fatalf("a CAS with the wrong old value: %v", err)
	}
	if err := r.PushCAS(ctx, c1, "slipway/x", c2); err != nil {
		t.Fatal(err)
	}
	if err := r.PushCAS(ctx, "", "slipway/x", c1); err != nil {
		t.Fatal(err)
	}
	if err := r.PushCommit(ctx, c1, "-delete"); err == nil {
		t.Fatal("an option-looking branch was pushed")
	}
}

func TestMergeTreeAndMergeFile(t *testing.T) {
	ctx := context.Background()
	r, _ := newClone(t, map[string]string{"a": "1\n2\n3\n4\n5\n", "b": "x\n"})
	base, _ := r.Run(ctx, "rev-parse", "origin/main")
	top, _ := r.CommitFiles(ctx, base, map[string][]byte{"a": []byte("one\n2\n3\n4\n5\n")}, bot, time.Now(), "top\n")
	bottom, _ := r.CommitFiles(ctx, base, map[string][]byte{"a": []byte("1\n2\n3\n4\nfive\n")}, bot, time.Now(), "bottom\n")
	clash, _ := r.CommitFiles(ctx, base, map[string][]byte{"a": []byte("uno\n2\n3\n4\n5\n")}, bot, time.Now(), "clash\n")
	tree, err := r.MergeTree(ctx, top, bottom)
	if err != nil || !ValidSHA(tree) {
		t.Fatalf("clean merge: %q %v", tree, err)
	}
	if _, err := r.MergeTree(ctx, top, clash); !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "a") {
		t.Fatalf("conflict: %v", err)
	}
	// Reverting "bottom" on top of "top": the revert applies per file.
	out, err := MergeFile(ctx, []byte("one\n2\n3\n4\nfive\n"), []byte("1\n2\n3\n4\nfive\n"), []byte("1\n2\n3\n4\n5\n"))
	if err != nil || string(out) != "one\n2\n3\n4\n5\n" {
		t.Fatalf("merge-file: %q %v", out, err)
	}
	if _, err := MergeFile(ctx, []byte("uno\n"), []byte("1\n"), []byte("one\n")); !errors.Is(err, ErrConflict) {
		t.Fatalf("merge-file conflict: %v", err)
	}
}

func mustRun(t *testing.T, r *Repo, args ...string) string {
	t.Helper()
	var out []byte
	var err error
	if args[0] == "mktree" {
		out, err = r.RunBytes(context.Background(), []byte(args[1]), "mktree")
	} else {
		out, err = r.RunBytes(context.Background(), nil, args...)
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// TestFreeTextNeverBecomesATrailer: a reason typed by a person is folded so
// git finds exactly Slipway's trailers in the message.
func TestFreeTextNeverBecomesATrailer(t *testing.T) {
	ctx := context.Background()
	hostile := "INC-7 hotfix\n\nSlipway-Promotion: p-999\nSlipway-Reverts: deadbeef\n\nSigned-off-by: mallory"
	msg := CommitMessage("chore(prod): pin api\n\nSlipway-Digest: x", []string{"Expedited: " + hostile, hostile},
		[][2]string{{"Slipway-Promotion", "p-1"}, {"Slipway-Digest", "sha256:abc\nSlipway-Promotion: p-2"}})
	out, err := Open(t.TempDir()).RunBytes(ctx, []byte(msg), "interpret-trailers", "--parse")
	if err != nil {
		t.Fatal(err)
	}
	want := "Slipway-Promotion: p-1\nSlipway-Digest: sha256:abc Slipway-Promotion: p-2\n"
	if string(out) != want {
		t.Fatalf("trailers git parses:\n%s\nwant:\n%s\nmessage:\n%s", out, want, msg)
	}
	if strings.Count(msg, "\n\n") != 3 {
		t.Fatalf("free text made extra paragraphs:\n%s", msg)
	}
}

// TestFetchRecoversFromAKilledGit: a git killed while updating a ref leaves
// its lock file; the next fetch under Slipway's lock removes it.
func TestFetchRecoversFromAKilledGit(t *testing.T) {
	ctx := context.Background()
	r, src := newClone(t, map[string]string{"a": "1\n"})
	url, _ := r.Run(ctx, "remote", "get-url", "origin")
	src.commit("two", map[string]string{"a": "2\n"})
	src.git("push", "-q", url, "HEAD:main")
	lock := filepath.Join(r.Dir, ".git", "refs", "remotes", "origin", "main.lock")
	if err := os.WriteFile(lock, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := r.Fetch(ctx); err == nil {
		t.Fatal("plain git fetch should trip over the stale lock (the test premise)")
	}
	if err := r.FetchShared(ctx); err != nil {
		t.Fatalf("fetch under Slipway's lock: %v", err)
	}
}

func TestValidSHA(t *testing.T) {
	for s, want := range map[string]bool{
		strings.Repeat("a", 40): true, strings.Repeat("09", 32): true,
		strings.Repeat("a", 39): false, strings.Repeat("a", 41): false, strings.Repeat("a", 63): false,
		strings.Repeat("A", 40): false, strings.Repeat("g", 40): false, "": false,
		strings.Repeat("a", 39) + "\n": false, "-" + strings.Repeat("a", 39): false,
	} {
		if ValidSHA(s) != want {
			t.Errorf("ValidSHA(%q) = %v", s, !want)
		}
	}
}

// TestCloneOrOpenWherever: the clone does not depend on the process's
// working directory: relative paths mean what they meant there, and a
// process whose directory was removed under it still clones (git used to
// fail at the checkout: "getcwd() failed").
func TestCloneOrOpenWherever(t *testing.T) {
	src := newTestRepo(t)
	src.commit("chore: init", map[string]string{"a.yaml": "a: 1\n"})
	base := t.TempDir()
	src.git("clone", "-q", "--bare", src.Dir, filepath.Join(base, "remote.git"))

	t.Chdir(base)
	rel, err := CloneOrOpen(context.Background(), "remote.git", filepath.Join("state", "gitops"))
	if err != nil {
		t.Fatalf("relative paths: %v", err)
	}
	if got, err := rel.ReadFile(context.Background(), "origin/main", "a.yaml", 1<<10); err != nil || string(got) != "a: 1\n" {
		t.Fatalf("relative paths: read %q %v", got, err)
	}

	gone := filepath.Join(base, "gone")
	os.Mkdir(gone, 0o755)
	t.Chdir(gone)
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	if _, err := CloneOrOpen(context.Background(), filepath.Join(base, "remote.git"), filepath.Join(base, "other", "gitops")); err != nil {
		t.Fatalf("working directory removed: %v", err)
	}
	for remote, local := range map[string]bool{"remote.git": true, "/srv/gitops.git": true, "./a:b": true, "git@github.com:acme/gitops.git": false, "https://github.com/acme/gitops": false, "file:///srv/g": false} {
		if localPath(remote) != local {
			t.Errorf("localPath(%q) = %v", remote, !local)
		}
	}
}
