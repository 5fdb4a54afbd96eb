package github

// fakeGitHub's Releases endpoints (GET /releases/tags/{tag}, POST
// /releases, PATCH /releases/{id}) and label removal (DELETE
// /issues/{n}/labels/{name}), with the JSON and errors GitHub documents:
// 404 {"message":"Not Found"} for a tag without a release, 422
// Validation Failed with code already_exists on tag_name for a second
// release of a tag, 404 "Label does not exist".

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/slipway/slipway/forge/forgetest"
)

func (f *fakeGitHub) releaseRoutes(mux *http.ServeMux, p string) {
	mux.HandleFunc("GET "+p+"/releases/tags/{tag...}", f.repoScoped(f.getReleaseByTag))
	mux.HandleFunc("POST "+p+"/releases", f.repoScoped(f.createRelease))
	mux.HandleFunc("PATCH "+p+"/releases/{id}", f.repoScoped(f.updateRelease))
	mux.HandleFunc("DELETE "+p+"/issues/{n}/labels/{name}", f.pull(f.removeLabel))
}

func (f *fakeGitHub) repoScoped(h func(http.ResponseWriter, *http.Request, *forgetest.State)) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		f.w.Update(func(s *forgetest.State) {
			if r.PathValue("owner")+"/"+r.PathValue("repo") != s.Repo {
				forgetest.JSON(rw, 404, ghError("Not Found"))
				return
			}
			h(rw, r, s)
		})
	}
}

// releaseJSON renders a release as GET /repos/{owner}/{repo}/releases/{id}.
func (f *fakeGitHub) releaseJSON(s *forgetest.State, rel *forgetest.Release) map[string]any {
	api := f.srv.URL + "/api/v3/repos/" + s.Repo
	return map[string]any{
		"url": fmt.Sprintf("%s/releases/%d", api, rel.ID), "id": rel.ID, "node_id": "RE_" + strconv.Itoa(rel.ID),
		"html_url":   fmt.Sprintf("https://github.example/%s/releases/tag/%s", s.Repo, rel.Tag),
		"assets_url": fmt.Sprintf("%s/releases/%d/assets", api, rel.ID), "upload_url": "https://uploads.github.example/",
		"tarball_url": api + "/tarball/" + rel.Tag, "zipball_url": api + "/zipball/" + rel.Tag,
		"tag_name": rel.Tag, "target_commitish": rel.Commit, "name": rel.Name, "body": rel.Body,
		"draft": false, "prerelease": rel.Prerelease, "immutable": false,
		"created_at": ts(rel.Created), "published_at": ts(rel.Created), "updated_at": ts(rel.Updated),
		"author": user(rel.Author), "assets": []any{},
	}
}

func (f *fakeGitHub) getReleaseByTag(rw http.ResponseWriter, r *http.Request, s *forgetest.State) {
	rel := s.ReleaseByTag(r.PathValue("tag"))
	if rel == nil {
		forgetest.JSON(rw, 404, map[string]any{"message": "Not Found", "documentation_url": docs + "/releases/releases#get-a-release-by-tag-name", "status": "404"})
		return
	}
	forgetest.JSON(rw, 200, f.releaseJSON(s, rel))
}

func (f *fakeGitHub) createRelease(rw http.ResponseWriter, r *http.Request, s *forgetest.State) {
	var in struct {
		TagName         string  `json:"tag_name"`
		TargetCommitish *string `json:"target_commitish"`
		Name            *string `json:"name"`
		Body            *string `json:"body"`
		Draft           bool    `json:"draft"`
		Prerelease      bool    `json:"prerelease"`
	}
	if err := forgetest.Decode(r, &in); err != nil {
		forgetest.JSON(rw, 400, ghError("Problems parsing JSON"))
		return
	}
	invalid := func(code string) {
		forgetest.JSON(rw, 422, map[string]any{"message": "Validation Failed", "documentation_url": docs + "/releases/releases#create-a-release",
			"errors": []any{map[string]any{"resource": "Release", "code": code, "field": "tag_name"}}, "status": "422"})
	}
	switch {
	case in.TagName == "":
		invalid("missing_field")
	case s.ReleaseByTag(in.TagName) != nil:
		invalid("already_exists")
	default:
		commit := s.Branches["main"]
		if in.TargetCommitish != nil {
			commit = *in.TargetCommitish
		}
		name := in.TagName
		if in.Name != nil {
			name = *in.Name
		}
		body := ""
		if in.Body != nil {
			body = *in.Body
		}
		forgetest.JSON(rw, 201, f.releaseJSON(s, s.CreateRelease(in.TagName, commit, name, body, in.Prerelease, forgetest.Bot)))
	}
}

func (f *fakeGitHub) updateRelease(rw http.ResponseWriter, r *http.Request, s *forgetest.State) {
	id, _ := strconv.Atoi(r.PathValue("id"))
	rel := s.ReleaseByID(id)
	if rel == nil {
		forgetest.JSON(rw, 404, map[string]any{"message": "Not Found", "documentation_url": docs + "/releases/releases#update-a-release", "status": "404"})
		return
	}
	var in struct {
		Name       *string `json:"name"`
		Body       *string `json:"body"`
		Prerelease *bool   `json:"prerelease"`
	}
	if err := forgetest.Decode(r, &in); err != nil {
		forgetest.JSON(rw, 400, ghError("Problems parsing JSON"))
		return
	}
	if in.Name != nil {
		rel.Name = *in.Name
	}
	if in.Body != nil {
		rel.Body = *in.Body
	}
	if in.Prerelease != nil {
		rel.Prerelease = *in.Prerelease
	}
	rel.Updated = s.Tick()
	forgetest.JSON(rw, 200, f.releaseJSON(s, rel))
}

func (f *fakeGitHub) removeLabel(rw http.ResponseWriter, r *http.Request, s *forgetest.State, pr *forgetest.PR) {
	name := r.PathValue("name")
	found := false
	for _, l := range pr.Labels {
		found = found || l == name
	}
	if !found {
		forgetest.JSON(rw, 404, map[string]any{"message": "Label does not exist", "documentation_url": docs + "/issues/labels#remove-a-label-from-an-issue", "status": "404"})
		return
	}
	s.RemoveLabels(pr, name)
	out := []any{}
	for _, l := range pr.Labels {
		out = append(out, map[string]any{"name": l, "color": "ededed"})
	}
	forgetest.JSON(rw, 200, out)
}
