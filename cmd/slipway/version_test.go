package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// runSlipway runs the CLI in process and returns stdout, stderr and the error.
func runSlipway(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), errOut.String(), err
}

// gitRepo makes a real repository with the given commits; a message
// starting with "tag " tags HEAD instead.
func gitRepo(t *testing.T, steps ...string) string {
	t.Helper()
	dir := t.TempDir()
	git := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=A", "GIT_AUTHOR_EMAIL=a@example.com",
			"GIT_COMMITTER_NAME=C", "GIT_COMMITTER_EMAIL=c@example.com",
			"GIT_COMMITTER_DATE=2026-05-06T07:08:09Z", "GIT_AUTHOR_DATE=2026-05-06T07:08:09Z")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q", "-b", "main")
	for _, s := range steps {
		if name, ok := strings.CutPrefix(s, "tag "); ok {
			git("tag", name)
			continue
		}
		git("commit", "-q", "--allow-empty", "-m", s)
	}
	return dir
}

// The worked example of shared/contracts/README.md.
func TestVersionNextContract(t *testing.T) {
	dir := gitRepo(t, "chore: init", "tag v1.2.3", "fix: handle empty digest", "feat(api): add rollback endpoint")
	out, _, err := runSlipway(t, "version", "next", "--repo", dir, "--output", "json")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := map[string]any{"component": "", "current": "1.2.3", "next": "1.3.0", "bump": "minor", "tag": "v1.3.0", "commits": 2.0, "breaking": false}
	for k, v := range want {
		if !reflect.DeepEqual(got[k], v) {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}

	dir = gitRepo(t, "chore: init", "tag v1.2.3", "chore: tidy", "docs: typo")
	out, _, err = runSlipway(t, "version", "next", "--repo", dir, "--output", "json")
	if err != nil {
		t.Fatalf("nothing releasable must exit 0: %v", err)
	}
	if !strings.Contains(out, `"current":"1.2.3","next":"1.2.3","bump":"none"`) {
		t.Errorf("none: %s", out)
	}
}

func TestVersionNextWithReleasePleaseConfig(t *testing.T) {
	dir2 := gitRepo(t, "chore: init", "tag app-v0.9.0", "feat!: new")
	if err := os.WriteFile(filepath.Join(dir2, "release-please-config.json"), []byte(`{"bump-minor-pre-major": true, "packages": {".": {"component": "app"}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err := runSlipway(t, "version", "next", "--repo", dir2, "--output", "json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"component":"app","current":"0.9.0","next":"0.10.0","bump":"minor","tag":"app-v0.10.0"`) {
		t.Errorf("got %s", out)
	}
}

func TestChangelogAllAndLint(t *testing.T) {
	dir := gitRepo(t, "feat: first", "tag v1.0.0", "fix(api): second", "tag v1.0.1")
	out, _, err := runSlipway(t, "changelog", "--repo", dir, "--all")
	if err != nil {
		t.Fatal(err)
	}
	want := "# Changelog\n\n## 1.0.1 (2026-05-06)\n\n\n### Bug Fixes\n\n* **api:** second "
	if !strings.HasPrefix(out, want) || !strings.Contains(out, "## 1.0.0 (2026-05-06)\n\n\n### Features\n\n* first ") {
		t.Errorf("changelog:\n%s", out)
	}

	msg := filepath.Join(t.TempDir(), "COMMIT_EDITMSG")
	os.WriteFile(msg, []byte("Fixed the thing\n# Please enter the commit message\n"), 0o644)
	_, stderr, err := runSlipway(t, "lint", "message", msg)
	if exitCode(err) != 1 || !strings.Contains(stderr, "e.g. fix: fixed the thing") {
		t.Errorf("lint: %v\n%s", err, stderr)
	}
	os.WriteFile(msg, []byte("fix: the thing\n# comment\n"), 0o644)
	if _, stderr, err := runSlipway(t, "lint", "message", msg); err != nil {
		t.Errorf("clean message: %v %s", err, stderr)
	}
	if _, _, err := runSlipway(t, "lint", "commits", "--repo", dir); err != nil {
		t.Errorf("lint commits: %v", err)
	}
}
