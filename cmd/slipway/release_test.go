package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/slipway/slipway/forge/forgetest/releasetest"
	"github.com/slipway/slipway/git/gittest"
)

// slipwayIn runs the CLI in process against the world and returns what it
// printed.
func slipwayIn(t *testing.T, w *releasetest.World, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append([]string{"--config", w.ConfigPath, "--state", w.StateDir}, args...))
	err := root.ExecuteContext(context.Background())
	t.Logf("$ slipway %s\n%s", strings.Join(args, " "), out.String())
	return out.String(), err
}

func must(t *testing.T, out string, err error, want ...string) string {
	t.Helper()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Fatalf("output lacks %q:\n%s", w, out)
		}
	}
	return out
}

var buildID = regexp.MustCompile(`registered build (api-[0-9a-f]{12})`)

// TestReleaseCommandPublishes: `slipway release --dry-run` says what it
// would push and changes nothing; `slipway release` pushes the tag and the
// changelog commit to the app remote.
func TestReleaseCommandPublishes(t *testing.T) {
	t.Setenv("SLIPWAY_USER", "alice@example.com")
	w := releasetest.New(t, releasetest.Options{})
	feat := w.Land("feat: orders", "orders.go", "package orders\n")
	out, err := slipwayIn(t, w, "build", "register", "--service", "api", "--commit", feat, "--image", w.Push(feat).String())
	must(t, out, err, "registered build")
	id := buildID.FindStringSubmatch(out)[1]
	before := gittest.Git(t, w.AppBare, "for-each-ref") + gittest.Git(t, w.App, "for-each-ref")
	out, err = slipwayIn(t, w, "release", "--service", "api", "--build", id, "--dry-run")
	must(t, out, err, "dry run: nothing was changed", "api v1.1.0 (version 1.1.0) -> build "+id, "would push to origin", "refs/heads/main", "refs/tags/v1.1.0", "## 1.1.0", "orders")
	if after := gittest.Git(t, w.AppBare, "for-each-ref") + gittest.Git(t, w.App, "for-each-ref"); after != before {
		t.Fatalf("--dry-run changed refs")
	}
	out, err = slipwayIn(t, w, "release", "--service", "api", "--build", id)
	must(t, out, err, "pushed to origin", "refs/tags/v1.1.0")
	if gittest.Git(t, w.AppBare, "rev-parse", "v1.1.0^{commit}") != feat || gittest.Git(t, w.AppBare, "log", "-1", "--format=%s", "main") != "chore(release): v1.1.0" {
		t.Fatal("the tag and the changelog commit are not on the app remote")
	}
}

// TestReleasePullRequestCommands plays release-please's workflow through
// the CLI on the local forge: slipway release opens and updates the
// release pull request, slipway pr merge merges it, slipway why --release
// says the tag waits for the merge commit's build, and once the build is
// registered slipway release tags and pushes it.
func TestReleasePullRequestCommands(t *testing.T) {
	t.Setenv("SLIPWAY_USER", "bob@example.com")
	w := releasetest.New(t, releasetest.Options{Release: "{mode: pull-request, releaseType: node}",
		Files: map[string]string{"package.json": "{\n  \"name\": \"api\",\n  \"version\": \"1.0.0\"\n}\n"}})
	w.Land("fix: reject empty carts", "cart.go", "package cart\n")
	out, err := slipwayIn(t, w, "release", "--dry-run")
	must(t, out, err, "dry run: nothing was changed", "a release pull request would open: chore(main): release 1.0.1", ":robot: I have created a release *beep* *boop*")
	out, err = slipwayIn(t, w, "release")
	must(t, out, err, "release pull request #1 opened: chore(main): release 1.0.1 (slipway/release/api", "files: CHANGELOG.md, package.json")
	w.Land("feat: orders", "orders.go", "package orders\n")
	out, err = slipwayIn(t, w, "release", "--service", "api")
	must(t, out, err, "release pull request #1 updated: chore(main): release 1.1.0")
	out, err = slipwayIn(t, w, "pr", "list", "open")
	must(t, out, err, "1  open", "slipway/release/api")
	out, err = slipwayIn(t, w, "pr", "list", "merged")
	if err != nil || strings.Contains(out, "slipway/release/api") {
		t.Fatalf("pr list merged: %v\n%s", err, out)
	}
	if out, err = slipwayIn(t, w, "pr", "list", "opne"); err == nil || !strings.Contains(err.Error(), "use open, merged or closed") {
		t.Fatalf("pr list opne: %v\n%s", err, out)
	}
	out, err = slipwayIn(t, w, "pr", "show", "1")
	must(t, out, err, "#1 chore(main): release 1.1.0", "state:  open", "branch: slipway/release/api -> main", `+  "version": "1.1.0"`)
	out, err = slipwayIn(t, w, "pr", "merge", "1")
	must(t, out, err, "bob@example.com merged release pull request #1 into main", "waiting: api 1.1.0 (pull request #1, merged as")
	merge := gittest.Git(t, w.AppBare, "rev-parse", "main")
	out, err = slipwayIn(t, w, "why", "--service", "api", "--release")
	must(t, out, err, "api releases by pull request", "waiting: api 1.1.0 (pull request #1, merged as "+merge[:12]+") waits for a build of "+merge[:12])
	out, err = slipwayIn(t, w, "build", "register", "--service", "api", "--commit", merge, "--image", w.Push(merge).String())
	must(t, out, err, "registered build")
	out, err = slipwayIn(t, w, "release")
	must(t, out, err, "released api v1.1.0 -> build", "release pull request #1 is released")
	if gittest.Git(t, w.AppBare, "rev-parse", "v1.1.0^{commit}") != merge {
		t.Fatal("v1.1.0 is not on the merge commit on the app remote")
	}
	out, err = slipwayIn(t, w, "pr", "show", "1")
	must(t, out, err, "state:  merged")
}
