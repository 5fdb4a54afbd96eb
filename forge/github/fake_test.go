package github

// No GitHub server can run in these tests, so fakeGitHub plays GitHub's
// REST API (v3, X-GitHub-Api-Version 2022-11-28) over a forgetest.World:
// the request paths, methods and headers go-github sends, the JSON bodies
// GitHub's documentation shows (pulls, reviews, issues, git refs), Link
// header pagination capped at per_page=100, and GitHub's error bodies —
// 422 "Validation Failed" with "A pull request already exists", 405 "Pull
// Request is not mergeable", 409 "Head branch was modified. Review and try
// the merge again.", 404 "Not Found", 422 "Reference does not exist", and
// rate limits as 403 with X-RateLimit-Remaining: 0 and X-RateLimit-Reset.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/forge"
	"github.com/slipway/slipway/forge/forgetest"
)

type fakeGitHub struct {
	w   *forgetest.World
	srv *httptest.Server
	// token is the bearer token API calls must carry; app tests swap it
	// for installation tokens.
	token func(string) bool
	// exchange handles POST /app/installations/{id}/access_tokens.
	exchange http.HandlerFunc
}

const docs = "https://docs.github.com/rest"

func newFake(t *testing.T, w *forgetest.World) forgetest.Fake {
	return startFake(t, w)
}

func startFake(t *testing.T, w *forgetest.World) *fakeGitHub {
	w.Update(func(s *forgetest.State) { s.ClosesOnBranchDelete = true })
	f := &fakeGitHub{w: w, token: func(tok string) bool { return tok == forgetest.Token }}
	mux := http.NewServeMux()
	const p = "/api/v3/repos/{owner}/{repo}"
	mux.HandleFunc("GET "+p+"/pulls", f.listPulls)
	mux.HandleFunc("POST "+p+"/pulls", f.createPull)
	mux.HandleFunc("GET "+p+"/pulls/{n}", f.pull(f.getPull))
	mux.HandleFunc("PATCH "+p+"/pulls/{n}", f.pull(f.editPull))
	mux.HandleFunc("PUT "+p+"/pulls/{n}/merge", f.pull(f.mergePull))
	mux.HandleFunc("GET "+p+"/pulls/{n}/reviews", f.pull(f.listReviews))
	mux.HandleFunc("POST "+p+"/pulls/{n}/requested_reviewers", f.pull(f.requestReviewers))
	mux.HandleFunc("GET "+p+"/issues/{n}", f.pull(f.getIssue))
	mux.HandleFunc("POST "+p+"/issues/{n}/labels", f.pull(f.addLabels))
	mux.HandleFunc("GET "+p+"/issues/{n}/comments", f.pull(f.listComments))
	mux.HandleFunc("POST "+p+"/issues/{n}/comments", f.pull(f.createComment))
	mux.HandleFunc("GET "+p+"/git/ref/{ref...}", f.getRef)
	mux.HandleFunc("DELETE "+p+"/git/refs/{ref...}", f.deleteRef)
	f.releaseRoutes(mux, p)
	mux.HandleFunc("POST /api/v3/app/installations/{id}/access_tokens", func(rw http.ResponseWriter, r *http.Request) {
		if f.exchange == nil {
			forgetest.JSON(rw, 404, ghError("Not Found"))
			return
		}
		f.exchange(rw, r)
	})
	authorized := func(r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/access_tokens") {
			return true // authenticated by the JWT, checked by exchange
		}
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		return ok && f.token(tok) && r.Header.Get("X-GitHub-Api-Version") != "" &&
			strings.Contains(r.Header.Get("Accept"), "application/vnd.github")
	}
	f.srv = httptest.NewServer(w.Serve(authorized, `{"message":"Bad credentials","documentation_url":"`+docs+`","status":"401"}`, mux))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeGitHub) Open(t *testing.T, base forge.Config) slipway.Forge {
	return forgetest.OpenAs(t, base, forge.GitHub, f.srv.URL)
}

// RateLimited is GitHub's primary rate limit: 403 with the remaining
// count at zero and the reset as epoch seconds.
func (f *fakeGitHub) RateLimited(now time.Time, reset time.Duration) forgetest.Fault {
	return forgetest.Fault{Method: http.MethodGet, Status: http.StatusForbidden, Header: map[string]string{
		"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "0", "X-RateLimit-Used": "5000",
		"X-RateLimit-Reset": strconv.FormatInt(now.Add(reset).Unix(), 10), "X-RateLimit-Resource": "core",
	}, Body: `{"message":"API rate limit exceeded for installation ID 1.","documentation_url":"` + docs + `/overview/resources-in-the-rest-api#rate-limiting","status":"403"}`}
}

func (f *fakeGitHub) SignatureHeader() string { return "X-Hub-Signature-256" }

func (f *fakeGitHub) WebhookSecret() string { return forgetest.Secret }

// Deliver builds a delivery as GitHub sends it: X-GitHub-Event,
// X-GitHub-Delivery, X-Hub-Signature-256 over the raw JSON body.
func (f *fakeGitHub) Deliver(t *testing.T, d forgetest.Delivery, secret []byte) *http.Request {
	t.Helper()
	repo := d.Repo
	if repo == "" {
		repo = "acme/gitops"
	}
	event := map[string]any{"repository": map[string]any{"full_name": repo, "name": strings.SplitN(repo, "/", 2)[1]}, "sender": user(d.Actor)}
	kind := "pull_request"
	if d.Number > 0 {
		pr := f.w.Snapshot(d.Number)
		var js map[string]any
		f.w.Update(func(s *forgetest.State) { js = f.pullJSON(s, s.PR(d.Number)) })
		event["number"] = pr.Number
		event["pull_request"] = js
		switch d.Kind {
		case "opened":
			event["action"] = "opened"
		case "synchronized":
			event["action"] = "synchronize"
		case "merged", "closed":
			event["action"] = "closed"
		case "reviewed":
			kind, event["action"] = "pull_request_review", "submitted"
			rv := pr.Reviews[len(pr.Reviews)-1]
			event["review"] = map[string]any{"id": rv.ID, "user": user(rv.User), "body": rv.Body,
				"state": strings.ToLower(rv.State), "commit_id": rv.CommitSHA, "submitted_at": rv.At.Format(time.RFC3339)}
		}
	}
	if d.Kind == "push" {
		kind = "push"
		event = map[string]any{"ref": "refs/heads/main", "repository": event["repository"]}
	}
	body, _ := json.Marshal(event)
	req := httptest.NewRequest(http.MethodPost, "/webhooks/github", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "GitHub-Hookshot/5c2a5b0")
	req.Header.Set("X-GitHub-Event", kind)
	req.Header.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
	req.Header.Set("X-GitHub-Hook-ID", "292430182")
	req.Header.Set("X-Hub-Signature-256", "sha256="+forge.SignHMAC(secret, body))
	return req
}

func ghError(msg string) map[string]any {
	return map[string]any{"message": msg, "documentation_url": docs}
}

func user(login string) map[string]any {
	if login == "" {
		return nil
	}
	return map[string]any{"login": login, "id": 1000 + len(login), "type": "User", "site_admin": false}
}

func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

// pullJSON renders a pull request as GET /repos/{owner}/{repo}/pulls/{n}.
func (f *fakeGitHub) pullJSON(s *forgetest.State, pr *forgetest.PR) map[string]any {
	api := f.srv.URL + "/api/v3/repos/" + s.Repo
	state := "open"
	if pr.State != slipway.PROpen {
		state = "closed"
	}
	labels := []any{}
	for _, l := range pr.Labels {
		labels = append(labels, map[string]any{"name": l, "color": "ededed", "default": false})
	}
	reviewers := []any{}
	for _, r := range pr.Reviewers {
		reviewers = append(reviewers, user(r))
	}
	repo := map[string]any{"full_name": s.Repo, "name": "gitops", "owner": user("acme")}
	js := map[string]any{
		"url": fmt.Sprintf("%s/pulls/%d", api, pr.Number), "id": 9000 + pr.Number, "number": pr.Number,
		"html_url": fmt.Sprintf("https://github.example/%s/pull/%d", s.Repo, pr.Number),
		"state":    state, "locked": false, "title": pr.Title, "body": pr.Body, "user": user(pr.Author),
		"labels": labels, "requested_reviewers": reviewers, "requested_teams": []any{},
		"created_at": ts(pr.Created), "updated_at": ts(pr.Updated), "closed_at": nil, "merged_at": nil,
		"head":   map[string]any{"label": "acme:" + pr.Branch, "ref": pr.Branch, "sha": pr.HeadSHA, "user": user("acme"), "repo": repo},
		"base":   map[string]any{"label": "acme:" + pr.Base, "ref": pr.Base, "sha": s.Branches[pr.Base], "user": user("acme"), "repo": repo},
		"merged": false, "mergeable": !pr.Conflict, "mergeable_state": "clean", "merged_by": nil,
		"merge_commit_sha": nil, "draft": false,
	}
	if pr.Conflict {
		js["mergeable_state"] = "dirty"
	}
	if pr.State != slipway.PROpen {
		js["closed_at"] = ts(pr.ClosedAt)
		js["mergeable"] = nil
	}
	if pr.State == slipway.PRMerged {
		js["merged"], js["merged_at"], js["merged_by"], js["merge_commit_sha"] = true, ts(pr.ClosedAt), user(pr.MergedBy), pr.MergeSHA
	}
	return js
}

// pull resolves {n} to a pull request, answering 404 as GitHub does.
func (f *fakeGitHub) pull(h func(http.ResponseWriter, *http.Request, *forgetest.State, *forgetest.PR)) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		f.w.Update(func(s *forgetest.State) {
			pr := s.PR(n)
			if pr == nil || r.PathValue("owner")+"/"+r.PathValue("repo") != s.Repo {
				forgetest.JSON(rw, 404, ghError("Not Found"))
				return
			}
			h(rw, r, s, pr)
		})
	}
}

func (f *fakeGitHub) listPulls(rw http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.w.Update(func(s *forgetest.State) {
		state := q.Get("state")
		if state == "" {
			state = "open"
		}
		head := q.Get("head")
		prs := s.Newest(func(pr *forgetest.PR) bool {
			open := pr.State == slipway.PROpen
			return (state == "all" || (state == "open") == open) &&
				(head == "" || head == "acme:"+pr.Branch) && (q.Get("base") == "" || q.Get("base") == pr.Base)
		})
		if q.Get("direction") == "asc" {
			for i, j := 0, len(prs)-1; i < j; i, j = i+1, j-1 {
				prs[i], prs[j] = prs[j], prs[i]
			}
		}
		page := forgetest.Paginate(r, "per_page", 30, 100, len(prs))
		out := []any{}
		for _, pr := range prs[page.Start:page.End] {
			js := f.pullJSON(s, pr)
			delete(js, "mergeable") // only the single-pull endpoint computes these
			delete(js, "mergeable_state")
			delete(js, "merged")
			delete(js, "merged_by")
			out = append(out, js)
		}
		if link := page.Link(r, f.srv.URL); link != "" {
			rw.Header().Set("Link", link)
		}
		forgetest.JSON(rw, 200, out)
	})
}

func (f *fakeGitHub) createPull(rw http.ResponseWriter, r *http.Request) {
	var in struct {
		Title, Head, Base string
		Body              *string
	}
	if err := forgetest.Decode(r, &in); err != nil || in.Title == "" || in.Head == "" || in.Base == "" {
		forgetest.JSON(rw, 422, ghError("Validation Failed"))
		return
	}
	f.w.Update(func(s *forgetest.State) {
		invalid := func(field string) {
			forgetest.JSON(rw, 422, map[string]any{"message": "Validation Failed", "documentation_url": docs + "/pulls/pulls#create-a-pull-request",
				"errors": []any{map[string]any{"resource": "PullRequest", "field": field, "code": "invalid"}}, "status": "422"})
		}
		switch {
		case s.Branches[in.Head] == "":
			invalid("head")
		case s.Branches[in.Base] == "":
			invalid("base")
		case s.OpenPRFor(in.Head, in.Base) != nil:
			forgetest.JSON(rw, 422, map[string]any{"message": "Validation Failed", "documentation_url": docs + "/pulls/pulls#create-a-pull-request",
				"errors": []any{map[string]any{"resource": "PullRequest", "code": "custom", "message": "A pull request already exists for acme:" + in.Head + "."}}, "status": "422"})
		default:
			body := ""
			if in.Body != nil {
				body = *in.Body
			}
			pr := s.Create(in.Head, in.Base, in.Title, body, forgetest.Bot)
			forgetest.JSON(rw, 201, f.pullJSON(s, pr))
		}
	})
}

func (f *fakeGitHub) getPull(rw http.ResponseWriter, r *http.Request, s *forgetest.State, pr *forgetest.PR) {
	forgetest.JSON(rw, 200, f.pullJSON(s, pr))
}

func (f *fakeGitHub) editPull(rw http.ResponseWriter, r *http.Request, s *forgetest.State, pr *forgetest.PR) {
	var in struct {
		Title, Body, State *string
	}
	if err := forgetest.Decode(r, &in); err != nil {
		forgetest.JSON(rw, 400, ghError("Problems parsing JSON"))
		return
	}
	if in.Body != nil {
		pr.Body = *in.Body
	}
	if in.Title != nil {
		pr.Title = *in.Title
	}
	if in.State != nil && *in.State == "closed" && pr.State == slipway.PROpen {
		s.Close(pr, forgetest.Bot)
	}
	pr.Updated = s.Tick()
	forgetest.JSON(rw, 200, f.pullJSON(s, pr))
}

func (f *fakeGitHub) mergePull(rw http.ResponseWriter, r *http.Request, s *forgetest.State, pr *forgetest.PR) {
	var in struct {
		SHA         string `json:"sha"`
		MergeMethod string `json:"merge_method"`
	}
	_ = forgetest.Decode(r, &in)
	if in.MergeMethod != "" && in.MergeMethod != "merge" && in.MergeMethod != "squash" && in.MergeMethod != "rebase" {
		forgetest.JSON(rw, 422, ghError("Invalid merge_method"))
		return
	}
	if s.BeforeMerge != nil {
		s.BeforeMerge(s, pr)
	}
	if s.ConflictOnMerge {
		pr.Conflict = true // the merge attempt found it; GitHub reports it from now on
	}
	if pr.State != slipway.PROpen || pr.Conflict || s.Branches[pr.Branch] == "" {
		forgetest.JSON(rw, 405, map[string]any{"message": "Pull Request is not mergeable", "documentation_url": docs + "/pulls/pulls#merge-a-pull-request", "status": "405"})
		return
	}
	if in.SHA != "" && in.SHA != pr.HeadSHA {
		forgetest.JSON(rw, 409, map[string]any{"message": "Head branch was modified. Review and try the merge again.", "documentation_url": docs + "/pulls/pulls#merge-a-pull-request", "status": "409"})
		return
	}
	sha := s.Merge(pr, forgetest.Bot)
	forgetest.JSON(rw, 200, map[string]any{"sha": sha, "merged": true, "message": "Pull Request successfully merged"})
}

func (f *fakeGitHub) listReviews(rw http.ResponseWriter, r *http.Request, s *forgetest.State, pr *forgetest.PR) {
	page := forgetest.Paginate(r, "per_page", 30, 100, len(pr.Reviews))
	out := []any{}
	for _, rv := range pr.Reviews[page.Start:page.End] {
		state := strings.ToUpper(rv.State)
		if rv.Dismissed {
			state = "DISMISSED"
		}
		out = append(out, map[string]any{"id": rv.ID, "node_id": "PRR_" + strconv.Itoa(rv.ID), "user": user(rv.User),
			"body": rv.Body, "state": state, "commit_id": rv.CommitSHA, "submitted_at": ts(rv.At),
			"author_association": "COLLABORATOR", "html_url": fmt.Sprintf("https://github.example/%s/pull/%d#pullrequestreview-%d", s.Repo, pr.Number, rv.ID)})
	}
	if link := page.Link(r, f.srv.URL); link != "" {
		rw.Header().Set("Link", link)
	}
	forgetest.JSON(rw, 200, out)
}

func (f *fakeGitHub) requestReviewers(rw http.ResponseWriter, r *http.Request, s *forgetest.State, pr *forgetest.PR) {
	var in struct {
		Reviewers     []string `json:"reviewers"`
		TeamReviewers []string `json:"team_reviewers"`
	}
	if err := forgetest.Decode(r, &in); err != nil {
		forgetest.JSON(rw, 422, ghError("Validation Failed"))
		return
	}
	for _, u := range in.Reviewers {
		if u == pr.Author {
			forgetest.JSON(rw, 422, map[string]any{"message": "Review cannot be requested from pull request author.", "documentation_url": docs})
			return
		}
	}
	s.RequestReviews(pr, in.Reviewers...)
	forgetest.JSON(rw, 201, f.pullJSON(s, pr))
}

func (f *fakeGitHub) getIssue(rw http.ResponseWriter, r *http.Request, s *forgetest.State, pr *forgetest.PR) {
	js := f.pullJSON(s, pr)
	issue := map[string]any{"number": pr.Number, "title": pr.Title, "body": pr.Body, "user": js["user"], "state": js["state"],
		"labels": js["labels"], "closed_at": js["closed_at"], "closed_by": nil,
		"pull_request": map[string]any{"url": js["url"], "html_url": js["html_url"], "merged_at": js["merged_at"]}}
	if pr.State == slipway.PRClosed {
		issue["closed_by"] = user(pr.ClosedBy)
	} else if pr.State == slipway.PRMerged {
		issue["closed_by"] = user(pr.MergedBy)
	}
	forgetest.JSON(rw, 200, issue)
}

func (f *fakeGitHub) addLabels(rw http.ResponseWriter, r *http.Request, s *forgetest.State, pr *forgetest.PR) {
	// GitHub takes either {"labels": [...]} or a bare array.
	raw, _ := io.ReadAll(r.Body)
	var names []string
	if err := json.Unmarshal(raw, &names); err != nil {
		var wrapped struct {
			Labels []string `json:"labels"`
		}
		if err := json.Unmarshal(raw, &wrapped); err != nil {
			forgetest.JSON(rw, 422, ghError("Validation Failed"))
			return
		}
		names = wrapped.Labels
	}
	s.AddLabels(pr, names...)
	out := []any{}
	for _, l := range pr.Labels {
		out = append(out, map[string]any{"name": l, "color": "ededed"})
	}
	forgetest.JSON(rw, 200, out)
}

func (f *fakeGitHub) listComments(rw http.ResponseWriter, r *http.Request, s *forgetest.State, pr *forgetest.PR) {
	page := forgetest.Paginate(r, "per_page", 30, 100, len(pr.Comments))
	out := []any{}
	for _, c := range pr.Comments[page.Start:page.End] {
		out = append(out, map[string]any{"id": c.ID, "body": c.Body, "user": user(c.User), "created_at": ts(c.At)})
	}
	if link := page.Link(r, f.srv.URL); link != "" {
		rw.Header().Set("Link", link)
	}
	forgetest.JSON(rw, 200, out)
}

func (f *fakeGitHub) createComment(rw http.ResponseWriter, r *http.Request, s *forgetest.State, pr *forgetest.PR) {
	var in struct {
		Body string `json:"body"`
	}
	if err := forgetest.Decode(r, &in); err != nil || in.Body == "" {
		forgetest.JSON(rw, 422, ghError("Validation Failed"))
		return
	}
	c := s.AddComment(pr, forgetest.Bot, in.Body)
	forgetest.JSON(rw, 201, map[string]any{"id": c.ID, "body": c.Body, "user": user(c.User), "created_at": ts(c.At)})
}

func (f *fakeGitHub) getRef(rw http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("ref")
	f.w.Update(func(s *forgetest.State) {
		branch, ok := strings.CutPrefix(ref, "heads/")
		sha := s.Branches[branch]
		if !ok || sha == "" {
			forgetest.JSON(rw, 404, map[string]any{"message": "Not Found", "documentation_url": docs + "/git/refs#get-a-reference", "status": "404"})
			return
		}
		forgetest.JSON(rw, 200, map[string]any{"ref": "refs/" + ref, "node_id": "REF_x",
			"url":    f.srv.URL + "/api/v3/repos/" + s.Repo + "/git/refs/" + ref,
			"object": map[string]any{"type": "commit", "sha": sha, "url": f.srv.URL + "/api/v3/repos/" + s.Repo + "/git/commits/" + sha}})
	})
}

func (f *fakeGitHub) deleteRef(rw http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("ref")
	f.w.Update(func(s *forgetest.State) {
		branch, ok := strings.CutPrefix(ref, "heads/")
		if !ok || s.Branches[branch] == "" {
			forgetest.JSON(rw, 422, map[string]any{"message": "Reference does not exist", "documentation_url": docs + "/git/refs#delete-a-reference", "status": "422"})
			return
		}
		s.DeleteBranch(branch, forgetest.Bot)
		rw.WriteHeader(http.StatusNoContent)
	})
}
