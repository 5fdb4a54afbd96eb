package forgetest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/forge"
)

// RunReleases runs the release contract against one adapter's fake: the
// release pages `slipway release` publishes (slipway.ReleaseHost) and the
// edits a standing release pull request needs (slipway.PullRequestEditor).
func RunReleases(t *testing.T, newFake func(*testing.T, *World) Fake) {
	t.Run("ReleasePageCreatedOnceThenUpdated", func(t *testing.T) { releasePage(t, Start(t, newFake)) })
	t.Run("ReleasePageOfATagWithASlash", func(t *testing.T) { releaseSlashTag(t, Start(t, newFake)) })
	t.Run("ReleasePageThroughServerErrors", func(t *testing.T) { releaseRetried(t, Start(t, newFake)) })
	t.Run("ReleasePageRefusedToken", func(t *testing.T) { releaseForbidden(t, Start(t, newFake)) })
	t.Run("EditPullRequest", func(t *testing.T) { editPullRequest(t, Start(t, newFake)) })
	t.Run("Relabel", func(t *testing.T) { relabel(t, Start(t, newFake)) })
}

func hosts(t *testing.T, e *Env) (slipway.ReleaseHost, slipway.PullRequestEditor) {
	t.Helper()
	h, ok := e.Forge.(slipway.ReleaseHost)
	if !ok {
		t.Fatalf("%T does not implement slipway.ReleaseHost", e.Forge)
	}
	ed, ok := e.Forge.(slipway.PullRequestEditor)
	if !ok {
		t.Fatalf("%T does not implement slipway.PullRequestEditor", e.Forge)
	}
	return h, ed
}

// writes counts the requests that change something.
func writes(e *Env) int {
	n := 0
	for _, r := range e.World.Log() {
		if r.Method != http.MethodGet {
			n++
		}
	}
	return n
}

func releasePage(t *testing.T, e *Env) {
	h, _ := hosts(t, e)
	if _, err := h.FindRelease(ctx, "v1.2.0-rc.1"); slipway.ErrorCode(err) != slipway.ENOTFOUND {
		t.Fatalf("FindRelease of a tag without a page: %v (%s), want ENOTFOUND", err, slipway.ErrorCode(err))
	}
	commit := e.World.Head("main")
	in := &slipway.ForgeRelease{Tag: "v1.2.0-rc.1", Commit: commit, Name: "v1.2.0-rc.1", Notes: "## 1.2.0-rc.1\n\n### Features\n\n* a", Prerelease: true}
	made, err := h.CreateRelease(ctx, in)
	if err != nil {
		t.Fatalf("CreateRelease: %v", err)
	}
	pages := e.World.ReleasePages()
	if len(pages) != 1 || pages[0].Tag != in.Tag || pages[0].Name != in.Name || pages[0].Body != in.Notes || pages[0].Commit != commit {
		t.Fatalf("the forge holds %+v, want one page of %s", pages, in.Tag)
	}
	prerelease := e.Forge.Name() != forge.GitLab // GitLab releases have no prerelease flag
	if pages[0].Prerelease != prerelease || made.Prerelease != prerelease {
		t.Errorf("prerelease on the forge %v, reported %v; want %v", pages[0].Prerelease, made.Prerelease, prerelease)
	}
	if made.Tag != in.Tag || made.Notes != in.Notes || made.URL == "" {
		t.Errorf("CreateRelease returned %+v", made)
	}
	if _, err := h.CreateRelease(ctx, in); slipway.ErrorCode(err) != slipway.ECONFLICT {
		t.Fatalf("second CreateRelease: %v (%s), want ECONFLICT", err, slipway.ErrorCode(err))
	}
	found, err := h.FindRelease(ctx, in.Tag)
	if err != nil || found.ID != made.ID || found.Notes != in.Notes || found.Name != in.Name {
		t.Fatalf("FindRelease = %+v, %v; want the page made", found, err)
	}
	found.Notes += "\n\n**Image**: `ghcr.io/acme/api@sha256:…`"
	found.Name = "v1.2.0-rc.1 (api)"
	updated, err := h.UpdateRelease(ctx, found)
	if err != nil || updated.Notes != found.Notes || updated.Name != found.Name {
		t.Fatalf("UpdateRelease = %+v, %v", updated, err)
	}
	pages = e.World.ReleasePages()
	if len(pages) != 1 || pages[0].Body != found.Notes || pages[0].Name != found.Name || pages[0].Prerelease != prerelease {
		t.Fatalf("after UpdateRelease the forge holds %+v, want the one page, updated", pages)
	}
}

func releaseSlashTag(t *testing.T, e *Env) {
	h, _ := hosts(t, e)
	tag := "api/v2.0.0"
	if _, err := h.CreateRelease(ctx, &slipway.ForgeRelease{Tag: tag, Commit: e.World.Head("main"), Name: "api: v2.0.0", Notes: "n"}); err != nil {
		t.Fatalf("CreateRelease(%s): %v", tag, err)
	}
	got, err := h.FindRelease(ctx, tag)
	if err != nil || got.Tag != tag {
		t.Fatalf("FindRelease(%s) = %+v, %v", tag, got, err)
	}
	if _, err := h.FindRelease(ctx, "api"); slipway.ErrorCode(err) != slipway.ENOTFOUND {
		t.Fatalf("FindRelease(api) = %v: a prefix of the tag must not match", err)
	}
}

func releaseRetried(t *testing.T, e *Env) {
	h, _ := hosts(t, e)
	e.World.Inject(Fault{Method: http.MethodPost, Status: http.StatusBadGateway, Body: "<html>502 Bad Gateway</html>", Times: 2})
	if _, err := h.CreateRelease(ctx, &slipway.ForgeRelease{Tag: "v1.0.0", Commit: e.World.Head("main"), Name: "v1.0.0", Notes: "n"}); err != nil {
		t.Fatalf("CreateRelease through two 502s: %v", err)
	}
	if n := len(e.World.ReleasePages()); n != 1 {
		t.Fatalf("%d pages after retries, want 1", n)
	}
}

func releaseForbidden(t *testing.T, e *Env) {
	h, _ := hosts(t, e)
	e.World.Inject(Fault{Status: http.StatusUnauthorized, Body: `{"message":"Bad credentials"}`})
	if _, err := h.FindRelease(ctx, "v1.0.0"); slipway.ErrorCode(err) != slipway.EFORBIDDEN {
		t.Fatalf("FindRelease with a refused token: %v (%s), want EFORBIDDEN", err, slipway.ErrorCode(err))
	}
}

func editPullRequest(t *testing.T, e *Env) {
	_, ed := hosts(t, e)
	pr, _ := opened(t, e)
	title, body := "chore(main): release 1.5.0", ":robot: I have created a release *beep* *boop*\n---\n\n\n## 1.5.0\n\n---\nfooter"
	if err := ed.EditPullRequest(ctx, pr.Number, title, body); err != nil {
		t.Fatalf("EditPullRequest: %v", err)
	}
	if got := e.World.Snapshot(pr.Number); got.Title != title || got.Body != body {
		t.Fatalf("the forge holds %q / %q", got.Title, got.Body)
	}
	before := writes(e)
	if err := ed.EditPullRequest(ctx, pr.Number, title, body); err != nil {
		t.Fatalf("EditPullRequest again: %v", err)
	}
	if writes(e) != before {
		t.Errorf("editing to the same title and body wrote to the forge")
	}
	e.World.MergeBy(pr.Number, "alice")
	if err := ed.EditPullRequest(ctx, pr.Number, "x", "y"); slipway.ErrorCode(err) != slipway.ECONFLICT {
		t.Fatalf("EditPullRequest of a merged pull request: %v, want ECONFLICT", err)
	}
}

func relabel(t *testing.T, e *Env) {
	_, ed := hosts(t, e)
	pr, _ := opened(t, e)
	if err := ed.Relabel(ctx, pr.Number, []string{"autorelease: pending"}, nil); err != nil {
		t.Fatalf("Relabel: %v", err)
	}
	e.World.MergeBy(pr.Number, "alice")
	if err := ed.Relabel(ctx, pr.Number, []string{"autorelease: tagged"}, []string{"autorelease: pending"}); err != nil {
		t.Fatalf("Relabel of a merged pull request: %v", err)
	}
	if got := strings.Join(e.World.Snapshot(pr.Number).Labels, ","); got != "slipway,env:prod,autorelease: tagged" {
		t.Fatalf("labels %q, want slipway,env:prod,autorelease: tagged", got)
	}
	before := writes(e)
	if err := ed.Relabel(ctx, pr.Number, []string{"autorelease: tagged"}, []string{"autorelease: pending"}); err != nil {
		t.Fatalf("Relabel again: %v", err)
	}
	if writes(e) != before {
		t.Errorf("relabeling to the labels it has wrote to the forge")
	}
	if got, _ := e.Forge.Get(ctx, pr.Number); strings.Join(got.Labels, ",") != "slipway,env:prod,autorelease: tagged" {
		t.Errorf("Get reports labels %v", got.Labels)
	}
}
