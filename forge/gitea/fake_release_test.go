package gitea

// fakeGitea's Releases API (routers/api/v1/repo/release*.go): GET
// /releases/tags/{tag} (404 for a tag without a release), POST /releases
// (409 "Release is has no Tag" when the tag already has a release), PATCH
// /releases/{id}; and DELETE /issues/{index}/labels/{id} (204; 422 for an
// unknown label id), with api.Release's JSON.

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/slipway/slipway/forge/forgetest"
)

func (f *fakeGitea) releaseRoutes(mux *http.ServeMux, p string) {
	mux.HandleFunc("GET "+p+"/releases/tags/{tag}", f.repo(f.getReleaseByTag))
	mux.HandleFunc("POST "+p+"/releases", f.repo(f.createRelease))
	mux.HandleFunc("PATCH "+p+"/releases/{id}", f.repo(f.editRelease))
	mux.HandleFunc("DELETE "+p+"/issues/{index}/labels/{id}", f.pull(f.deleteLabel))
}

func (f *fakeGitea) releaseJSON(s *forgetest.State, rel *forgetest.Release) map[string]any {
	html := fmt.Sprintf("https://gitea.example.com/%s/releases/tag/%s", s.Repo, rel.Tag)
	return map[string]any{
		"id": rel.ID, "tag_name": rel.Tag, "target_commitish": rel.Commit, "name": rel.Name, "body": rel.Body,
		"url":      fmt.Sprintf("https://gitea.example.com/api/v1/repos/%s/releases/%d", s.Repo, rel.ID),
		"html_url": html, "tarball_url": html + ".tar.gz", "zipball_url": html + ".zip", "upload_url": "",
		"draft": false, "prerelease": rel.Prerelease, "created_at": ts(rel.Created), "published_at": ts(rel.Created),
		"author": f.user(s, rel.Author), "assets": []any{},
	}
}

func (f *fakeGitea) getReleaseByTag(rw http.ResponseWriter, r *http.Request, s *forgetest.State) {
	rel := s.ReleaseByTag(r.PathValue("tag"))
	if rel == nil {
		forgetest.JSON(rw, 404, map[string]any{"errors": nil, "message": "The target couldn't be found.", "url": swagger})
		return
	}
	forgetest.JSON(rw, 200, f.releaseJSON(s, rel))
}

func (f *fakeGitea) createRelease(rw http.ResponseWriter, r *http.Request, s *forgetest.State) {
	var in struct {
		TagName    string `json:"tag_name"`
		Target     string `json:"target_commitish"`
		Name       string `json:"name"`
		Body       string `json:"body"`
		Draft      bool   `json:"draft"`
		Prerelease bool   `json:"prerelease"`
	}
	if err := forgetest.Decode(r, &in); err != nil || in.TagName == "" {
		forgetest.JSON(rw, 422, map[string]any{"message": "[TagName]: Required", "url": swagger})
		return
	}
	if s.ReleaseByTag(in.TagName) != nil {
		gtError(rw, 409, "Release is has no Tag")
		return
	}
	commit := in.Target
	if commit == "" {
		commit = s.Branches["main"]
	}
	forgetest.JSON(rw, 201, f.releaseJSON(s, s.CreateRelease(in.TagName, commit, in.Name, in.Body, in.Prerelease, forgetest.Bot)))
}

func (f *fakeGitea) editRelease(rw http.ResponseWriter, r *http.Request, s *forgetest.State) {
	id, _ := strconv.Atoi(r.PathValue("id"))
	rel := s.ReleaseByID(id)
	if rel == nil {
		forgetest.JSON(rw, 404, map[string]any{"errors": nil, "message": "The target couldn't be found.", "url": swagger})
		return
	}
	var in struct {
		Name       string `json:"name"`
		Body       string `json:"body"`
		Prerelease *bool  `json:"prerelease"`
	}
	if err := forgetest.Decode(r, &in); err != nil {
		gtError(rw, 422, err.Error())
		return
	}
	// Gitea replaces name and body when they are non-empty.
	if in.Name != "" {
		rel.Name = in.Name
	}
	if in.Body != "" {
		rel.Body = in.Body
	}
	if in.Prerelease != nil {
		rel.Prerelease = *in.Prerelease
	}
	rel.Updated = s.Tick()
	forgetest.JSON(rw, 200, f.releaseJSON(s, rel))
}

func (f *fakeGitea) deleteLabel(rw http.ResponseWriter, r *http.Request, s *forgetest.State, pr *forgetest.PR) {
	id, _ := strconv.Atoi(r.PathValue("id"))
	l, ok := s.LabelByID(id)
	if !ok {
		gtError(rw, 422, fmt.Sprintf("label does not exist [id: %d]", id))
		return
	}
	s.RemoveLabels(pr, l.Name)
	rw.WriteHeader(http.StatusNoContent)
}
