package versioning

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway/slipway/git"
)

// identity is who writes release commits and tags in these tests (the
// machine may have no global git identity).
var identity = []string{"GIT_AUTHOR_NAME=Rel", "GIT_AUTHOR_EMAIL=rel@example.com", "GIT_COMMITTER_NAME=Rel", "GIT_COMMITTER_EMAIL=rel@example.com"}

func TestReleaseTagsTheBuildCommitAndRecordsTheChangelog(t *testing.T) {
	f := newFixture(t)
	f.commit("chore: init")
	f.tag("v1.0.0")
	build := f.commit("feat: rollout")
	f.commit("fix: after the build") // HEAD moved on since the build
	ctx := context.Background()
	req := ReleaseRequest{
		Request:         Request{Dir: f.dir, Target: build},
		UpdateChangelog: true,
		TagLines:        []string{"Digest: sha256:abc", "Image: reg/app@sha256:abc"},
		Date:            day0,
		GitEnv:          identity,
	}
	rel, err := Release(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if !rel.Created || rel.Tag != "v1.1.0" || rel.Commit != build || rel.ChangelogCommit == "" {
		t.Fatalf("release = %+v", rel)
	}
	if got := f.git("rev-list", "-n1", "v1.1.0"); got != build {
		t.Errorf("tag on %s, want %s", got, build)
	}
	if typ := f.git("cat-file", "-t", "v1.1.0"); typ != "tag" {
		t.Errorf("tag is %s, want an annotated tag", typ)
	}
	msg := f.git("tag", "-l", "--format=%(contents)", "v1.1.0")
	if !strings.Contains(msg, "Digest: sha256:abc\nImage: reg/app@sha256:abc") || !strings.Contains(msg, "### Features\n\n* rollout") {
		t.Errorf("tag message:\n%s", msg)
	}
	if strings.Contains(msg, "after the build") {
		t.Errorf("notes include a commit after the build:\n%s", msg)
	}
	if subj := f.git("log", "-1", "--format=%s"); subj != "chore(release): v1.1.0" {
		t.Errorf("HEAD subject = %q", subj)
	}
	b, _ := os.ReadFile(filepath.Join(f.dir, "CHANGELOG.md"))
	if !strings.HasPrefix(string(b), "# Changelog\n\n## [1.1.0]") && !strings.HasPrefix(string(b), "# Changelog\n\n## 1.1.0") {
		t.Errorf("CHANGELOG.md:\n%s", b)
	}

	// A repeat returns the same release and changes nothing.
	head := f.git("rev-parse", "HEAD")
	again, err := Release(ctx, req)
	if err != nil || again.Created || again.Tag != "v1.1.0" || !strings.Contains(again.Notes, "rollout") {
		t.Fatalf("repeat: %+v %v", again, err)
	}
	if f.git("rev-parse", "HEAD") != head {
		t.Error("repeat made a commit")
	}
}

func TestReleaseRefusesATagOnAnotherCommit(t *testing.T) {
	f := newFixture(t)
	f.commit("chore: init")
	f.tag("v1.0.0")
	other := f.commit("feat: a")
	build := f.commit("feat: b")
	f.git("tag", "v1.1.0-rc.1", other) // unrelated prerelease: fine
	// Someone tagged v1.1.0 by hand on another commit that is not reachable.
	f.git("checkout", "-q", "-b", "side", "v1.0.0")
	f.commit("chore: side")
	f.tag("v1.1.0")
	f.git("checkout", "-q", "main")
	_, err := Release(context.Background(), ReleaseRequest{Request: Request{Dir: f.dir, Target: build}})
	if !errors.Is(err, git.ErrTagElsewhere) {
		t.Fatalf("err = %v", err)
	}
}

func TestReleaseNothingAndDirtyTree(t *testing.T) {
	f := newFixture(t)
	f.commit("chore: init")
	f.tag("v1.0.0")
	docs := f.commit("docs: only")
	_, err := Release(context.Background(), ReleaseRequest{Request: Request{Dir: f.dir, Target: docs}})
	if !errors.Is(err, ErrNothingToRelease) {
		t.Fatalf("err = %v", err)
	}
	fix := f.commit("fix: x")
	f.write("file.txt", "dirty\n")
	_, err = Release(context.Background(), ReleaseRequest{Request: Request{Dir: f.dir, Target: fix}, UpdateChangelog: true, GitEnv: identity})
	if err == nil || !strings.Contains(err.Error(), "uncommitted changes") {
		t.Fatalf("dirty: %v", err)
	}
	if tags := f.git("tag", "-l", "v1.0.1"); tags != "" {
		t.Fatal("a failed release left a tag")
	}
	// Without the changelog commit the dirty tree does not matter.
	rel, err := Release(context.Background(), ReleaseRequest{Request: Request{Dir: f.dir, Target: fix}, GitEnv: identity})
	if err != nil || rel.Tag != "v1.0.1" || rel.ChangelogCommit != "" {
		t.Fatalf("%+v %v", rel, err)
	}
	if _, err := Release(context.Background(), ReleaseRequest{Request: Request{Dir: f.dir}}); err == nil {
		t.Fatal("release without a target accepted")
	}
}
