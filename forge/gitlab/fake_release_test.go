package gitlab

// fakeGitLab's Releases API (lib/api/releases.rb): GET, POST and PUT
// /projects/:id/releases[/:tag_name], with GitLab's JSON (commit,
// _links.self, no prerelease flag) and errors: 404 {"message":"404 Not
// Found"} for a tag without a release, 409 {"message":"Release already
// exists"} for a second one, 400 {"error":"tag_name is missing"}.

import (
	"net/http"
	"net/url"

	"github.com/slipway/slipway/forge/forgetest"
)

func (f *fakeGitLab) releaseRoutes(mux *http.ServeMux, p string) {
	mux.HandleFunc("GET "+p+"/releases/{tag}", f.project(f.getRelease))
	mux.HandleFunc("POST "+p+"/releases", f.project(f.createRelease))
	mux.HandleFunc("PUT "+p+"/releases/{tag}", f.project(f.updateRelease))
}

func (f *fakeGitLab) releaseJSON(s *forgetest.State, rel *forgetest.Release) map[string]any {
	web := "https://gitlab.example.com/" + s.Repo
	return map[string]any{
		"tag_name": rel.Tag, "name": rel.Name, "description": rel.Body, "description_html": "<p>" + rel.Body + "</p>",
		"created_at": ts(rel.Created), "released_at": ts(rel.Created), "upcoming_release": false,
		"author":      f.user(s, rel.Author),
		"commit":      map[string]any{"id": rel.Commit, "short_id": rel.Commit[:min(8, len(rel.Commit))], "title": "release"},
		"commit_path": "/" + s.Repo + "/-/commit/" + rel.Commit, "tag_path": "/" + s.Repo + "/-/tags/" + url.PathEscape(rel.Tag),
		"assets":    map[string]any{"count": 0, "sources": []any{}, "links": []any{}},
		"evidences": []any{},
		"_links": map[string]any{
			"self": web + "/-/releases/" + url.PathEscape(rel.Tag), "edit_url": web + "/-/releases/" + url.PathEscape(rel.Tag) + "/edit",
			"closed_issues_url": web + "/-/issues?state=closed", "closed_merge_requests_url": web + "/-/merge_requests?state=closed",
		},
	}
}

func (f *fakeGitLab) getRelease(rw http.ResponseWriter, r *http.Request, s *forgetest.State) {
	rel := s.ReleaseByTag(r.PathValue("tag"))
	if rel == nil {
		glError(rw, 404, "404 Not Found")
		return
	}
	forgetest.JSON(rw, 200, f.releaseJSON(s, rel))
}

func (f *fakeGitLab) createRelease(rw http.ResponseWriter, r *http.Request, s *forgetest.State) {
	var in struct {
		TagName     string  `json:"tag_name"`
		Name        *string `json:"name"`
		Description string  `json:"description"`
		Ref         string  `json:"ref"`
	}
	if err := forgetest.Decode(r, &in); err != nil {
		glError(rw, 400, "400 Bad request")
		return
	}
	switch {
	case in.TagName == "":
		forgetest.JSON(rw, 400, map[string]any{"error": "tag_name is missing"})
	case s.ReleaseByTag(in.TagName) != nil:
		glError(rw, 409, "Release already exists")
	default:
		name := in.TagName
		if in.Name != nil {
			name = *in.Name
		}
		commit := in.Ref
		if commit == "" {
			commit = s.Branches["main"]
		}
		forgetest.JSON(rw, 201, f.releaseJSON(s, s.CreateRelease(in.TagName, commit, name, in.Description, false, forgetest.Bot)))
	}
}

func (f *fakeGitLab) updateRelease(rw http.ResponseWriter, r *http.Request, s *forgetest.State) {
	rel := s.ReleaseByTag(r.PathValue("tag"))
	if rel == nil {
		glError(rw, 404, "404 Not Found")
		return
	}
	var in struct {
		Name        *string `json:"name"`
		Description *string `json:"description"`
	}
	if err := forgetest.Decode(r, &in); err != nil {
		glError(rw, 400, "400 Bad request")
		return
	}
	if in.Name != nil {
		rel.Name = *in.Name
	}
	if in.Description != nil {
		rel.Body = *in.Description
	}
	rel.Updated = s.Tick()
	forgetest.JSON(rw, 200, f.releaseJSON(s, rel))
}
