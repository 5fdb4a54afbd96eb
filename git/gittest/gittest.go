// Package gittest has helpers for tests that push to bare repositories.
package gittest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Git runs git in dir and returns its trimmed output, failing the test on
// an error.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=someone", "GIT_AUTHOR_EMAIL=someone@example.com",
		"GIT_COMMITTER_NAME=someone", "GIT_COMMITTER_EMAIL=someone@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v in %s: %v: %s", args, dir, err, out)
	}
	return strings.TrimSpace(string(out))
}

// MoveOnNextPush makes branch of the bare repository move under the next
// push that reaches it, as when someone else's push lands between
// Slipway's fetch and its push: a commit by someone else (adding file
// with a line of content) is made on the branch's tip now, and a
// pre-receive hook points the branch at it while the next push is being
// received, so that push fails to update the branch and nothing of it
// lands. It returns the commit the branch will move to. The hook fires
// once; n moves need n calls, each after the previous one fired.
func MoveOnNextPush(t testing.TB, bare, branch, file, content string) string {
	t.Helper()
	tip := Git(t, bare, "rev-parse", "refs/heads/"+branch)
	blob := hashObject(t, bare, content+"\n")
	tree := mkTree(t, bare, tip, file, blob)
	next := Git(t, bare, "commit-tree", tree, "-p", tip, "-m", "feat: someone else's change to "+file)
	hook := filepath.Join(bare, "hooks", "pre-receive")
	marker := filepath.Join(bare, "slipway-move-"+branch)
	if err := os.WriteFile(marker, []byte(next), 0o644); err != nil {
		t.Fatal(err)
	}
	// Ref updates are forbidden inside the push's object quarantine; the
	// commit is already in the main object store, so leave the quarantine
	// to move the branch.
	script := fmt.Sprintf(`#!/bin/sh
cat >/dev/null
if [ -f %[1]q ]; then
  sha=$(cat %[1]q); rm -f %[1]q
  env -u GIT_QUARANTINE_PATH -u GIT_OBJECT_DIRECTORY -u GIT_ALTERNATE_OBJECT_DIRECTORIES git --git-dir=%[2]q update-ref refs/heads/%[3]s "$sha"
fi
exit 0
`, marker, bare, branch)
	if err := os.WriteFile(hook, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return next
}

func hashObject(t testing.TB, bare, content string) string {
	t.Helper()
	cmd := exec.Command("git", "-C", bare, "hash-object", "-w", "--stdin")
	cmd.Stdin = strings.NewReader(content)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// mkTree is commit's tree with file (at the root) set to blob.
func mkTree(t testing.TB, bare, commit, file, blob string) string {
	t.Helper()
	entries := Git(t, bare, "ls-tree", commit)
	var lines []string
	for _, l := range strings.Split(entries, "\n") {
		if l != "" && !strings.HasSuffix(l, "\t"+file) {
			lines = append(lines, l)
		}
	}
	lines = append(lines, "100644 blob "+blob+"\t"+file)
	cmd := exec.Command("git", "-C", bare, "mktree")
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// RefusePushes makes the bare repository refuse every push (a pre-receive
// hook that declines, as a remote that is down for maintenance or a
// network cut mid-push leaves nothing behind); the returned func undoes it.
func RefusePushes(t testing.TB, bare string) func() {
	t.Helper()
	hook := filepath.Join(bare, "hooks", "pre-receive")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\necho 'remote: refusing pushes (test)' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return func() { os.Remove(hook) }
}

// MergeInBare merges branch into base in the bare repository with a merge
// commit, as a person pressing "Merge" on a forge does, and returns it.
func MergeInBare(t testing.TB, bare, base, branch, message string) string {
	t.Helper()
	tree := Git(t, bare, "merge-tree", "--write-tree", "refs/heads/"+base, "refs/heads/"+branch)
	tree = strings.SplitN(tree, "\n", 2)[0]
	sha := Git(t, bare, "commit-tree", tree, "-p", "refs/heads/"+base, "-p", "refs/heads/"+branch, "-m", message)
	Git(t, bare, "update-ref", "refs/heads/"+base, sha)
	return sha
}
