package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestChangelogOfAWorkspaceDependent: an unreleased section of a component
// whose only change is a released workspace dependency shows the plan's
// version and the "Dependencies" part, as release-please writes it.
func TestChangelogOfAWorkspaceDependent(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=A", "-c", "user.email=a@example.com"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	write := func(p, c string) {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755)
		os.WriteFile(filepath.Join(dir, p), []byte(c), 0o644)
	}
	run("init", "-q", "-b", "main")
	write("release-please-config.json", `{"release-type": "node", "plugins": ["node-workspace"], "packages": {"packages/core": {}, "packages/api": {}}}`)
	write(".release-please-manifest.json", `{"packages/core": "1.0.0", "packages/api": "2.1.0"}`)
	write("packages/core/package.json", `{"name": "@acme/core", "version": "1.0.0"}`)
	write("packages/api/package.json", `{"name": "@acme/api", "version": "2.1.0", "dependencies": {"@acme/core": "^1.0.0"}}`)
	run("add", "-A")
	run("commit", "-q", "-m", "chore: bootstrap")
	run("tag", "core-v1.0.0")
	run("tag", "api-v2.1.0")
	write("packages/core/index.js", "x")
	run("add", "-A")
	run("commit", "-q", "-m", "feat: faster core")
	out, stderr, err := runSlipway(t, "changelog", "--repo", dir, "--component", "api", "--date", "2026-12-01")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(out, "2.1.1") || !strings.Contains(out, "@acme/core bumped from ^1.0.0 to ^1.1.0") {
		t.Errorf("api's section:\n%s", out)
	}
}
