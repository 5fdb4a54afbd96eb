package git

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// richRepo is a repository with what GitOps repositories hold and a few
// things they should not: nested directories, an executable, a symlink, a
// submodule, a name with a space, a big file. It returns the repository
// and its tip.
func richRepo(t testing.TB) (*Repo, string) {
	t.Helper()
	r := &Repo{Dir: t.TempDir(), Env: newRepoEnv}
	if _, err := r.Run(context.Background(), "init", "-q", "-b", "main"); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"README.md":               "# gitops\n",
		"envs/dev/a.yaml":         "image:\n  digest: \"\"\n",
		"envs/dev/b.yaml":         "image:\n  digest: \"\"\n",
		"envs/prod/a.yaml":        "image:\n  digest: \"\"\n",
		"apps/a/values.yaml":      "replicas: 2\n",
		"apps/a b/values.yaml":    "spaced: true\n",
		"deep/a/b/c/d.yaml":       "deep: 1\n",
		"run.sh":                  "#!/bin/sh\n",
		"big.yaml":                strings.Repeat("x: 1\n", 400),
		"envs/dev-eu/a.yaml":      "near: dev\n",
		"envs/dev.yaml":           "a file beside a directory\n",
		"envs/dev/zz/inner.yaml":  "inner: 1\n",
		"apps/a/values.yaml.orig": "orig\n",
	}
	for p, c := range files {
		full := filepath.Join(r.Dir, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(filepath.Join(r.Dir, "run.sh"), 0o755)
	os.Symlink("envs/dev/a.yaml", filepath.Join(r.Dir, "link.yaml"))
	os.Symlink("dev", filepath.Join(r.Dir, "envs", "devlink"))
	run := func(args ...string) string {
		out, err := r.Run(context.Background(), args...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	run("add", "-A")
	run("update-index", "--add", "--cacheinfo", "160000,"+strings.Repeat("ab", 20)+",sub")
	run("commit", "-q", "-m", "chore: seed")
	return r, run("rev-parse", "HEAD")
}

var newRepoEnv = []string{
	"GIT_AUTHOR_NAME=Ann", "GIT_AUTHOR_EMAIL=ann@example.com",
	"GIT_COMMITTER_NAME=Cid", "GIT_COMMITTER_EMAIL=cid@example.com",
	"GIT_AUTHOR_DATE=2026-01-02T03:04:05Z", "GIT_COMMITTER_DATE=2026-01-02T03:04:05Z",
}

// twin clones src's objects into a second repository, so one side's objects
// are written by Go and the other's by git.
func twin(t *testing.T, src *Repo) *Repo {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "twin")
	if _, err := Open(".").Run(context.Background(), "clone", "-q", "--no-local", src.Dir, dir); err != nil {
		t.Fatal(err)
	}
	return &Repo{Dir: dir, Env: src.Env}
}

// fsck runs git's strictest object check and fails on anything but
// dangling objects (unpushed commits are dangling by design).
func fsck(t *testing.T, r *Repo) {
	t.Helper()
	out, err := r.RunBytes(context.Background(), nil, "fsck", "--strict", "--full", "--no-progress")
	if err != nil {
		t.Fatalf("git fsck: %v\n%s", err, out)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if l != "" && !strings.HasPrefix(l, "dangling ") {
			t.Fatalf("git fsck: %s", out)
		}
	}
}

// TestFastCommitWritesGitsObjects: for ordinary pin edits, the commit made
// from Go has the id git's plumbing gives the same edit (so the tree and
// every blob are git's too), git fsck --strict finds nothing wrong with
// the loose objects written, and git reads them back.
func TestFastCommitWritesGitsObjects(t *testing.T) {
	ctx := context.Background()
	src, tip := richRepo(t)
	viaGit := twin(t, src)
	at := time.Date(2026, 3, 4, 5, 6, 7, 890, time.FixedZone("CET", 3600))
	cases := []struct {
		name  string
		files map[string]string
		id    Identity
		msg   string
	}{
		{"one pin", map[string]string{"envs/dev/a.yaml": "image:\n  digest: \"sha256:aa\"\n"}, bot, "chore(dev): pin a\n\nSlipway-Promotion: p-1\n"},
		{"two pins in two directories", map[string]string{"envs/dev/b.yaml": "b\n", "envs/prod/a.yaml": "p\n"}, bot, "two\n"},
		{"a new file in a new directory", map[string]string{"envs/staging/a.yaml": "new\n"}, bot, "new\n"},
		{"a new deep path", map[string]string{"new/x/y/z.yaml": "z\n"}, bot, "deep\n"},
		{"a new file at the top", map[string]string{"top.yaml": "t\n"}, bot, "top\n"},
		{"an executable keeps its mode", map[string]string{"run.sh": "#!/bin/sh\necho\n"}, bot, "exe\n"},
		{"deep existing", map[string]string{"deep/a/b/c/d.yaml": "deep: 2\n"}, bot, "d\n"},
		{"a directory with a space", map[string]string{"apps/a b/values.yaml": "spaced: false\n"}, bot, "s\n"},
		{"names sorting around a directory", map[string]string{"envs/dev.yaml": "x\n", "envs/dev-eu/a.yaml": "y\n", "envs/dev/zz/inner.yaml": "z\n", "envs/dev/zz.yaml": "new\n"}, bot, "order\n"},
		{"nothing changes", map[string]string{"README.md": "# gitops\n"}, bot, "same\n"},
		{"an empty file", map[string]string{"empty.yaml": ""}, bot, "empty\n"},
		{"identity crud git strips", map[string]string{"envs/dev/a.yaml": "c\n"}, Identity{Name: " .Slip<way> Bot,\n", Email: "<bot@example.com>;"}, "crud\n"},
		{"non-ASCII message", map[string]string{"envs/dev/a.yaml": "u\n"}, Identity{Name: "Zoë Ünal", Email: "zoë@example.com"}, "chore: épinglé ✓ 🚀\n\nSlipway-Promotion: p-é\n"},
		{"message without a newline", map[string]string{"envs/dev/a.yaml": "n\n"}, bot, "no newline"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files := map[string][]byte{}
			for p, v := range c.files {
				files[p] = []byte(v)
			}
			fast, err := src.commitFilesFast(ctx, tip, files, c.id, at, c.msg)
			if err != nil {
				t.Fatalf("fast path refused an ordinary edit: %v", err)
			}
			slow, err := viaGit.commitFilesGit(ctx, tip, files, c.id, at, c.msg)
			if err != nil {
				t.Fatal(err)
			}
			if fast != slow {
				a, _ := src.Run(ctx, "cat-file", "-p", fast)
				b, _ := viaGit.Run(ctx, "cat-file", "-p", slow)
				ta, _ := src.Run(ctx, "ls-tree", "-r", "-t", fast)
				tb, _ := viaGit.Run(ctx, "ls-tree", "-r", "-t", slow)
				t.Fatalf("Go wrote %s, git writes %s\n%s\n---\n%s\n---\n%s\n---\n%s", fast, slow, a, b, ta, tb)
			}
			if got, _ := src.Run(ctx, "rev-parse", fast+"^{tree}"); got != mustRun(t, viaGit, "rev-parse", slow+"^{tree}") {
				t.Fatal("trees differ")
			}
			for p, v := range c.files {
				if b := mustRun(t, src, "cat-file", "-p", fast+":"+p); b != strings.TrimSpace(v) {
					t.Fatalf("%s reads back %q", p, b)
				}
			}
		})
	}
	fsck(t, src)
	// Loose objects as git leaves them: read-only, no temporary file left.
	filepath.WalkDir(filepath.Join(src.Dir, ".git", "objects"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.Contains(p, string(filepath.Separator)+"pack"+string(filepath.Separator)) && !strings.Contains(p, "info") {
			if strings.HasPrefix(d.Name(), "tmp_obj_") {
				t.Errorf("temporary object left: %s", p)
			}
			if fi, _ := d.Info(); fi.Mode().Perm()&0o222 != 0 {
				t.Errorf("%s is writable (%v)", p, fi.Mode())
			}
		}
		return nil
	})
}

// TestFastCommitLeavesTheUnusualToGit: whatever the fast path cannot
// promise to write as git would is refused by it, and CommitFiles then
// gives exactly git's result (or git's error).
func TestFastCommitLeavesTheUnusualToGit(t *testing.T) {
	ctx := context.Background()
	src, tip := richRepo(t)
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	blob := mustRun(t, src, "rev-parse", tip+":README.md")
	empty := mustRun(t, src, "mktree", "")
	withEmptyDir := mustRun(t, src, "mktree", "100644 blob "+blob+"\ta.yaml\n040000 tree "+empty+"\tempty\n")
	weird, err := src.RunBytes(ctx, append([]byte("100664 a.yaml\x00"), mustBin(t, blob)...), "hash-object", "-t", "tree", "-w", "--stdin", "--literally")
	if err != nil {
		t.Fatal(err)
	}
	unsortedRaw := append(append([]byte("100644 b.yaml\x00"), mustBin(t, blob)...), append([]byte("100644 a.yaml\x00"), mustBin(t, blob)...)...)
	unsorted, err := src.RunBytes(ctx, unsortedRaw, "hash-object", "-t", "tree", "-w", "--stdin", "--literally")
	if err != nil {
		t.Fatal(err)
	}
	commitOn := func(tree string) string {
		c, err := src.CommitTree(ctx, strings.TrimSpace(tree), []string{tip}, bot, at, "odd\n")
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	cases := []struct {
		name   string
		parent string
		files  map[string]string
		id     Identity
		at     time.Time
		msg    string
	}{
		{"writing through a symlink", tip, map[string]string{"link.yaml": "x\n"}, bot, at, "m\n"},
		{"writing under a linked directory", tip, map[string]string{"envs/devlink/a.yaml": "x\n"}, bot, at, "m\n"},
		{"writing under a submodule", tip, map[string]string{"sub/a.yaml": "x\n"}, bot, at, "m\n"},
		{"a file where a directory is", tip, map[string]string{"envs/dev": "x\n"}, bot, at, "m\n"},
		{"a directory where a file is", tip, map[string]string{"README.md/a": "x\n"}, bot, at, "m\n"},
		{"a file and a directory of one name", tip, map[string]string{"n": "x\n", "n/a": "y\n"}, bot, at, "m\n"},
		{"an empty directory in the tree", commitOn(withEmptyDir), map[string]string{"a.yaml": "x\n"}, bot, at, "m\n"},
		{"a mode git would rewrite", commitOn(string(weird)), map[string]string{"b.yaml": "x\n"}, bot, at, "m\n"},
		{"an unsorted tree", commitOn(string(unsorted)), map[string]string{"c.yaml": "x\n"}, bot, at, "m\n"},
		{"a .git path", tip, map[string]string{".git/config": "x\n"}, bot, at, "m\n"},
		{"a dot-dot path", tip, map[string]string{"envs/../x": "x\n"}, bot, at, "m\n"},
		{"an empty component", tip, map[string]string{"envs//x": "x\n"}, bot, at, "m\n"},
		{"a message git converts from Latin-1", tip, map[string]string{"a.yaml": "x\n"}, bot, at, "caf\xe9\n"},
		{"a non-character in the message", tip, map[string]string{"a.yaml": "x\n"}, bot, at, "x \uFFFE\n"},
		{"an empty name", tip, map[string]string{"a.yaml": "x\n"}, Identity{Name: "..", Email: "a@b"}, at, "m\n"},
		{"a date git may read otherwise", tip, map[string]string{"a.yaml": "x\n"}, bot, time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC), "m\n"},
		{"a parent that is a tree", mustRun(t, src, "rev-parse", tip+"^{tree}"), map[string]string{"a.yaml": "x\n"}, bot, at, "m\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files := map[string][]byte{}
			for p, v := range c.files {
				files[p] = []byte(v)
			}
			if sha, err := src.commitFilesFast(ctx, c.parent, files, c.id, c.at, c.msg); !errors.Is(err, errUnusual) {
				t.Fatalf("the fast path took it: %s %v", sha, err)
			}
			got, gotErr := src.CommitFiles(ctx, c.parent, files, c.id, c.at, c.msg)
			want, wantErr := src.commitFilesGit(ctx, c.parent, files, c.id, c.at, c.msg)
			if got != want || (gotErr == nil) != (wantErr == nil) {
				t.Fatalf("CommitFiles = %s %v, git = %s %v", got, gotErr, want, wantErr)
			}
		})
	}
}

func mustBin(t *testing.T, hexID string) []byte {
	t.Helper()
	b, err := hex.DecodeString(hexID)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFastPathOffForUnusualRepositories: a SHA-256 repository, or settings
// that change how git writes objects, turn the fast path off; the
// plumbing still works there.
func TestFastPathOffForUnusualRepositories(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name string
		init []string
	}{
		{"sha256", []string{"init", "-q", "-b", "main", "--object-format=sha256"}},
		{"commit encoding", []string{"-c", "init.defaultBranch=main", "init", "-q"}},
		{"shared repository", []string{"init", "-q", "-b", "main", "--shared=group"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := &Repo{Dir: t.TempDir(), Env: newRepoEnv}
			if _, err := r.Run(ctx, c.init...); err != nil {
				t.Fatal(err)
			}
			if c.name == "commit encoding" {
				r.Run(ctx, "config", "i18n.commitEncoding", "ISO-8859-1")
			}
			os.WriteFile(filepath.Join(r.Dir, "a.yaml"), []byte("a\n"), 0o644)
			r.Run(ctx, "add", "-A")
			r.Run(ctx, "commit", "-q", "-m", "init")
			tip, _ := r.Run(ctx, "rev-parse", "HEAD")
			if _, err := r.objectsDB(ctx); !errors.Is(err, errUnusual) {
				t.Fatalf("fast path on: %v", err)
			}
			sha, err := r.CommitFiles(ctx, tip, map[string][]byte{"a.yaml": []byte("b\n")}, bot, time.Now(), "edit\n")
			if err != nil {
				t.Fatal(err)
			}
			if got, err := r.ReadFile(ctx, sha, "a.yaml", 100); err != nil || string(got) != "b\n" {
				t.Fatalf("read back %q %v", got, err)
			}
			if c.name == "commit encoding" && !strings.Contains(mustRun(t, r, "cat-file", "-p", sha), "encoding ISO-8859-1") {
				t.Fatal("git's encoding header is missing: the commit was not made by git")
			}
		})
	}
}

// readCases are paths ReadFiles is asked for on richRepo: ordinary ones
// and every kind of refusal and oddity.
var readCases = [][]string{
	{"envs/dev/a.yaml"},
	{"envs/dev/a.yaml", "envs/dev/b.yaml", "envs/prod/a.yaml"},
	{"run.sh"},
	{"apps/a b/values.yaml"},
	{"missing.yaml"},
	{"missing/dir/a.yaml"},
	{"envs/dev/missing.yaml", "envs/dev/a.yaml"},
	{"envs/dev"},
	{"envs/dev/"},
	{"link.yaml"},
	{"envs/devlink/a.yaml"},
	{"sub"},
	{"sub/a.yaml"},
	{"big.yaml"},
	{"README.md/x"},
	{"./envs/dev/a.yaml"},
	{"envs//dev/a.yaml"},
	{"envs/dev/../dev/a.yaml"},
	{":(top)envs/dev/a.yaml"},
	{"envs/dev/*.yaml"},
	{"envs/dev/a.yaml", "envs/dev/a.yaml"},
	{"envs/dev/a.yaml", "link.yaml", "big.yaml"},
	{"big.yaml", "link.yaml"},
	{"deep/a/b/c/d.yaml", "envs/dev.yaml", "envs/dev-eu/a.yaml"},
	{".git/config"},
	{""},
}

// TestFastReadFilesAgreesWithGit: ReadFiles (fast path where it applies)
// returns exactly what ls-tree + cat-file return, refusals and their
// messages included, and ordinary reads do take the fast path.
func TestFastReadFilesAgreesWithGit(t *testing.T) {
	ctx := context.Background()
	r, tip := richRepo(t)
	for _, paths := range readCases {
		got, gotErr := r.ReadFiles(ctx, tip, paths, 1000)
		want, wantErr := r.readFilesGit(ctx, tip, paths, 1000)
		if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || !reflect.DeepEqual(got, want) {
			t.Errorf("%q: ReadFiles = %q %v, git = %q %v", paths, got, gotErr, want, wantErr)
		}
	}
	for _, paths := range [][]string{{"envs/dev/a.yaml", "missing.yaml", "run.sh"}, {"apps/a b/values.yaml"}} {
		if _, err := r.readFilesFast(ctx, tip, paths, 1000); err != nil {
			t.Errorf("%q did not take the fast path: %v", paths, err)
		}
	}
	// A tree (not a commit) is read as ls-tree reads it.
	tree := mustRun(t, r, "rev-parse", tip+"^{tree}")
	got, err := r.ReadFiles(ctx, tree, []string{"envs/dev/a.yaml"}, 1000)
	if want, _ := r.readFilesGit(ctx, tree, []string{"envs/dev/a.yaml"}, 1000); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("tree: %q %v", got, err)
	}
}

// FuzzReadFilesAgreesWithGit compares ReadFiles with the plumbing on any
// path (its seeds run as a normal test).
func FuzzReadFilesAgreesWithGit(f *testing.F) {
	for _, c := range readCases {
		f.Add(strings.Join(c, "\n"))
	}
	r, tip := richRepo(f)
	f.Fuzz(func(t *testing.T, joined string) {
		if strings.ContainsRune(joined, 0) {
			return // not an argument a process can take
		}
		paths := strings.Split(joined, "\n")
		got, gotErr := r.ReadFiles(context.Background(), tip, paths, 1000)
		want, wantErr := r.readFilesGit(context.Background(), tip, paths, 1000)
		if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: ReadFiles = %q %v, git = %q %v", paths, got, gotErr, want, wantErr)
		}
	})
}

// FuzzParseTree: the tree parser never panics, and a tree it reads as in
// git's order with git's modes encodes back to the same bytes.
func FuzzParseTree(f *testing.F) {
	r, tip := richRepo(f)
	for _, rev := range []string{tip + "^{tree}", tip + ":envs", tip + ":envs/dev", tip + ":apps"} {
		data, err := r.RunBytes(context.Background(), nil, "cat-file", "tree", rev)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("100644 a\x00short"))
	f.Add([]byte("40000 \x00" + strings.Repeat("x", 20)))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, ordered, err := parseTree(data)
		if err != nil || !ordered {
			return
		}
		for _, e := range entries {
			if !canonicalMode(e.mode) {
				return
			}
		}
		if again := encodeTree(entries); !bytes.Equal(again, data) {
			t.Fatalf("round trip:\n%q\n%q", data, again)
		}
	})
}

// TestFastRemoteBranchFollowsTheRefs: the long-lived reader sees every
// change of the remote-tracking ref made by other processes (fetch,
// update-ref, pack-refs, deletion).
func TestFastRemoteBranchFollowsTheRefs(t *testing.T) {
	ctx := context.Background()
	r, src := newClone(t, map[string]string{"a": "1\n"})
	url, _ := r.Run(ctx, "remote", "get-url", "origin")
	want := func(label string) {
		t.Helper()
		exp, _ := r.Run(ctx, "rev-parse", "--verify", "--quiet", "refs/remotes/origin/main")
		if got, err := r.RemoteBranch(ctx, "main"); err != nil || got != exp {
			t.Fatalf("%s: RemoteBranch = %q %v, git says %q", label, got, err, exp)
		}
	}
	want("after clone")
	if _, err := r.remoteBranchFast(ctx, "main"); err != nil {
		t.Fatalf("not through the reader: %v", err)
	}
	for i := 0; i < 3; i++ {
		src.commit(fmt.Sprint(i), map[string]string{"a": fmt.Sprint(i)})
		src.git("push", "-q", url, "HEAD:main")
		if err := r.FetchShared(ctx); err != nil {
			t.Fatal(err)
		}
		want(fmt.Sprint("after fetch ", i))
	}
	r.Run(ctx, "pack-refs", "--all")
	want("after pack-refs")
	first := mustRun(t, r, "rev-list", "--max-parents=0", "origin/main")
	r.Run(ctx, "update-ref", "refs/remotes/origin/main", first)
	want("after update-ref")
	r.Run(ctx, "update-ref", "-d", "refs/remotes/origin/main")
	if got, err := r.RemoteBranch(ctx, "main"); got != "" || err != nil {
		t.Fatalf("deleted branch: %q %v", got, err)
	}
	if got, err := r.RemoteBranch(ctx, "nope"); got != "" || err != nil {
		t.Fatalf("missing branch: %q %v", got, err)
	}
}

// TestFastPathReadsWhatAnotherProcessJustWrote: objects written by git
// after the reader started (a fetch, a commit by another process) are read
// through it.
func TestFastPathReadsWhatAnotherProcessJustWrote(t *testing.T) {
	ctx := context.Background()
	r, tip := richRepo(t)
	if _, err := r.ReadFiles(ctx, tip, []string{"envs/dev/a.yaml"}, 1000); err != nil {
		t.Fatal(err)
	}
	next, err := r.commitFilesGit(ctx, tip, map[string][]byte{"envs/dev/a.yaml": []byte("later\n")}, bot, time.Now(), "later\n")
	if err != nil {
		t.Fatal(err)
	}
	r.Run(ctx, "repack", "-a", "-d", "-q") // and then it is packed
	if got, err := r.readFilesFast(ctx, next, []string{"envs/dev/a.yaml"}, 1000); err != nil || string(got["envs/dev/a.yaml"]) != "later\n" {
		t.Fatalf("%q %v", got, err)
	}
}

func BenchmarkCommitFiles(b *testing.B) {
	ctx := context.Background()
	r, tip := richRepo(b)
	files := func(i int) map[string][]byte {
		return map[string][]byte{"envs/dev/a.yaml": []byte(fmt.Sprintf("image:\n  digest: \"sha256:%064d\"\n", i))}
	}
	b.Run("go", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := r.commitFilesFast(ctx, tip, files(i), bot, time.Now(), "chore: pin\n"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("plumbing", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := r.commitFilesGit(ctx, tip, files(i), bot, time.Now(), "chore: pin\n"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkReadFiles(b *testing.B) {
	ctx := context.Background()
	r, tip := richRepo(b)
	paths := []string{"envs/dev/a.yaml"}
	b.Run("go", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := r.readFilesFast(ctx, tip, paths, 1000); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("plumbing", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := r.readFilesGit(ctx, tip, paths, 1000); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestFastPathKeepsItsObjects: bytes a caller edits after reading or
// committing them do not change what the next read returns.
func TestFastPathKeepsItsObjects(t *testing.T) {
	ctx := context.Background()
	r, tip := richRepo(t)
	got, err := r.ReadFiles(ctx, tip, []string{"envs/dev/a.yaml"}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	want := string(got["envs/dev/a.yaml"])
	copy(got["envs/dev/a.yaml"], "XXXX")
	content := []byte("image: 1\n")
	sha, err := r.CommitFiles(ctx, tip, map[string][]byte{"envs/dev/b.yaml": content}, bot, time.Now(), "m\n")
	if err != nil {
		t.Fatal(err)
	}
	copy(content, "XXXX")
	again, _ := r.ReadFiles(ctx, tip, []string{"envs/dev/a.yaml"}, 1000)
	written, _ := r.ReadFiles(ctx, sha, []string{"envs/dev/b.yaml"}, 1000)
	if string(again["envs/dev/a.yaml"]) != want || string(written["envs/dev/b.yaml"]) != "image: 1\n" {
		t.Fatalf("cached objects changed under the reader: %q %q", again, written)
	}
}
