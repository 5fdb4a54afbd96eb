package gitea

// No Gitea server can run in these tests, so fakeGitea plays Gitea's REST
// API v1 over a forgetest.World: the paths the Gitea SDK requests, the
// "Authorization: token …" header, JSON bodies as Gitea's swagger
// (routers/api/v1/repo/pull.go, modules/structs) defines them, page/limit
// pagination with Link and X-Total-Count headers (MAX_RESPONSE_ITEMS 50),
// review requests listed as REQUEST_REVIEW reviews, and Gitea's error
// answers: 409 "pull request already exists", and on merge 404 for a
// closed pull request, 405 "Please try again later" for one not mergeable,
// 409 "head out of date" for a stale head_commit_id and 409 with the
// merge-conflict error object. A proxy in front of Gitea rate-limits with
// 429 and Retry-After.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/forge"
	"github.com/slipway/slipway/forge/forgetest"
)

type fakeGitea struct {
	w   *forgetest.World
	srv *httptest.Server
}

const swagger = "https://gitea.example.com/api/swagger"

func newFake(t *testing.T, w *forgetest.World) forgetest.Fake { return startFake(t, w) }

func startFake(t *testing.T, w *forgetest.World) *fakeGitea {
	w.Update(func(s *forgetest.State) { s.ClosesOnBranchDelete = true })
	f := &fakeGitea{w: w}
	mux := http.NewServeMux()
	const p = "/api/v1/repos/{owner}/{repo}"
	mux.HandleFunc("GET "+p+"/pulls", f.repo(f.listPulls))
	mux.HandleFunc("POST "+p+"/pulls", f.repo(f.createPull))
	mux.HandleFunc("GET "+p+"/pulls/{index}", f.pull(f.getPull))
	mux.HandleFunc("PATCH "+p+"/pulls/{index}", f.pull(f.editPull))
	mux.HandleFunc("POST "+p+"/pulls/{index}/merge", f.pull(f.mergePull))
	mux.HandleFunc("GET "+p+"/pulls/{index}/reviews", f.pull(f.listReviews))
	mux.HandleFunc("POST "+p+"/pulls/{index}/requested_reviewers", f.pull(f.requestReviewers))
	mux.HandleFunc("GET "+p+"/labels", f.repo(f.listLabels))
	mux.HandleFunc("POST "+p+"/labels", f.repo(f.createLabel))
	mux.HandleFunc("POST "+p+"/issues/{index}/labels", f.pull(f.addLabels))
	mux.HandleFunc("GET "+p+"/issues/{index}/comments", f.pull(f.listComments))
	mux.HandleFunc("POST "+p+"/issues/{index}/comments", f.pull(f.createComment))
	mux.HandleFunc("GET "+p+"/issues/{index}/timeline", f.pull(f.timeline))
	mux.HandleFunc("GET "+p+"/branches/{branch...}", f.repo(f.getBranch))
	mux.HandleFunc("DELETE "+p+"/branches/{branch...}", f.repo(f.deleteBranch))
	f.releaseRoutes(mux, p)
	authorized := func(r *http.Request) bool { return r.Header.Get("Authorization") == "token "+forgetest.Token }
	f.srv = httptest.NewServer(w.Serve(authorized, `{"message":"invalid username, password or token","url":"`+swagger+`"}`, mux))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeGitea) Open(t *testing.T, base forge.Config) slipway.Forge {
	return forgetest.OpenAs(t, base, forge.Gitea, f.srv.URL)
}

// RateLimited is what a reverse proxy in front of Gitea answers (Gitea has
// no API rate limit of its own): 429 with Retry-After in seconds.
func (f *fakeGitea) RateLimited(now time.Time, reset time.Duration) forgetest.Fault {
	return forgetest.Fault{Method: http.MethodGet, Status: http.StatusTooManyRequests,
		Header: map[string]string{"Retry-After": strconv.Itoa(int(reset.Seconds()))}, Body: `{"message":"Too Many Requests"}`}
}

func (f *fakeGitea) SignatureHeader() string { return "X-Gitea-Signature" }

func (f *fakeGitea) WebhookSecret() string { return forgetest.Secret }

// Deliver builds a delivery as Gitea sends it: X-Gitea-Event,
// X-Gitea-Event-Type, X-Gitea-Delivery, X-Gitea-Signature (hex HMAC-SHA256
// of the body) and the GitHub-compatible headers Gitea adds.
func (f *fakeGitea) Deliver(t *testing.T, d forgetest.Delivery, secret []byte) *http.Request {
	t.Helper()
	repo := d.Repo
	if repo == "" {
		repo = "acme/gitops"
	}
	event, eventType := "pull_request", "pull_request"
	payload := map[string]any{"repository": map[string]any{"id": 1, "full_name": repo, "name": strings.SplitN(repo, "/", 2)[1]}}
	if d.Number > 0 {
		f.w.Update(func(s *forgetest.State) {
			pr := s.PR(d.Number)
			payload["number"], payload["pull_request"], payload["sender"] = pr.Number, f.pullJSON(s, pr), f.user(s, d.Actor)
			switch d.Kind {
			case "opened":
				payload["action"] = "opened"
			case "synchronized":
				payload["action"], eventType = "synchronized", "pull_request_sync"
			case "merged", "closed":
				payload["action"] = "closed"
			case "reviewed":
				event = map[string]string{"approved": "pull_request_approved", "changes_requested": "pull_request_rejected", "commented": "pull_request_comment"}[d.Review]
				eventType = "pull_request_review_" + map[string]string{"approved": "approved", "changes_requested": "rejected", "commented": "comment"}[d.Review]
				payload["action"] = "reviewed"
				payload["review"] = map[string]any{"type": eventType, "content": ""}
			}
		})
	}
	if d.Kind == "push" {
		event, eventType = "push", "push"
		payload = map[string]any{"ref": "refs/heads/main", "repository": payload["repository"]}
	}
	body, _ := json.Marshal(payload)
	sig := forge.SignHMAC(secret, body)
	req := httptest.NewRequest(http.MethodPost, "/webhooks/gitea", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Gitea-Event", event)
	req.Header.Set("X-Gitea-Event-Type", eventType)
	req.Header.Set("X-Gitea-Delivery", "a3b0f5c2-7e1d-4f7a-9a61-2c0d8e4b5f60")
	req.Header.Set("X-Gitea-Signature", sig)
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-Hub-Signature-256", "sha256="+sig)
	return req
}

func gtError(rw http.ResponseWriter, status int, msg string) {
	forgetest.JSON(rw, status, map[string]any{"message": msg, "url": swagger})
}

func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

func (f *fakeGitea) user(s *forgetest.State, login string) any {
	if login == "" {
		return nil
	}
	return map[string]any{"id": s.UserID(login), "login": login, "login_name": "", "full_name": "", "email": login + "@noreply.gitea.example.com",
		"avatar_url": "https://gitea.example.com/avatars/" + login, "html_url": "https://gitea.example.com/" + login,
		"is_admin": false, "restricted": false, "active": true, "visibility": "public", "username": login}
}

func labelJSON(l forgetest.Label) map[string]any {
	return map[string]any{"id": l.ID, "name": l.Name, "color": l.Color, "description": "", "exclusive": false, "is_archived": false,
		"url": fmt.Sprintf("https://gitea.example.com/api/v1/repos/acme/gitops/labels/%d", l.ID)}
}

// pullJSON renders a pull request as convert.ToAPIPullRequest does.
func (f *fakeGitea) pullJSON(s *forgetest.State, pr *forgetest.PR) map[string]any {
	labels := []any{}
	for _, n := range pr.Labels {
		l, _ := s.Label(n, true)
		labels = append(labels, labelJSON(l))
	}
	reviewers := []any{}
	for _, r := range pr.Reviewers {
		reviewers = append(reviewers, f.user(s, r))
	}
	repo := map[string]any{"id": 1, "name": "gitops", "full_name": s.Repo, "owner": f.user(s, "acme")}
	state := "open"
	if pr.State != slipway.PROpen {
		state = "closed"
	}
	html := fmt.Sprintf("https://gitea.example.com/%s/pulls/%d", s.Repo, pr.Number)
	js := map[string]any{
		"id": 7000 + pr.Number, "url": html, "number": pr.Number, "user": f.user(s, pr.Author), "title": pr.Title, "body": pr.Body,
		"labels": labels, "milestone": nil, "assignee": nil, "assignees": nil, "requested_reviewers": reviewers,
		"requested_reviewers_teams": []any{}, "state": state, "draft": false, "is_locked": false, "comments": len(pr.Comments),
		"html_url": html, "diff_url": html + ".diff", "patch_url": html + ".patch",
		"mergeable": !pr.Conflict && pr.State == slipway.PROpen, "merged": false, "merged_at": nil, "merge_commit_sha": nil, "merged_by": nil,
		"allow_maintainer_edit": false,
		"base":                  map[string]any{"label": pr.Base, "ref": pr.Base, "sha": s.Branches[pr.Base], "repo_id": 1, "repo": repo},
		"head":                  map[string]any{"label": pr.Branch, "ref": pr.Branch, "sha": pr.HeadSHA, "repo_id": 1, "repo": repo},
		"merge_base":            s.Branches[pr.Base], "due_date": nil, "created_at": ts(pr.Created), "updated_at": ts(pr.Updated),
		"closed_at": nil, "pin_order": 0,
	}
	if pr.State != slipway.PROpen {
		js["closed_at"] = ts(pr.ClosedAt)
	}
	if pr.State == slipway.PRMerged {
		js["merged"], js["merged_at"], js["merge_commit_sha"], js["merged_by"] = true, ts(pr.ClosedAt), pr.MergeSHA, f.user(s, pr.MergedBy)
	}
	return js
}

func (f *fakeGitea) repo(h func(http.ResponseWriter, *http.Request, *forgetest.State)) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		f.w.Update(func(s *forgetest.State) {
			if r.PathValue("owner")+"/"+r.PathValue("repo") != s.Repo {
				forgetest.JSON(rw, 404, map[string]any{"errors": nil, "message": "The target couldn't be found.", "url": swagger})
				return
			}
			h(rw, r, s)
		})
	}
}

func (f *fakeGitea) pull(h func(http.ResponseWriter, *http.Request, *forgetest.State, *forgetest.PR)) http.HandlerFunc {
	return f.repo(func(rw http.ResponseWriter, r *http.Request, s *forgetest.State) {
		n, _ := strconv.Atoi(r.PathValue("index"))
		pr := s.PR(n)
		if pr == nil {
			forgetest.JSON(rw, 404, map[string]any{"errors": nil, "message": "The target couldn't be found.", "url": swagger})
			return
		}
		h(rw, r, s, pr)
	})
}

// page writes Gitea's pagination headers (Link, X-Total-Count).
func (f *fakeGitea) page(rw http.ResponseWriter, r *http.Request, total int) forgetest.Page {
	p := forgetest.Paginate(r, "limit", 30, 50, total)
	rw.Header().Set("X-Total-Count", strconv.Itoa(total))
	if link := p.Link(r, f.srv.URL); link != "" {
		rw.Header().Set("Link", link)
	}
	return p
}

func (f *fakeGitea) listPulls(rw http.ResponseWriter, r *http.Request, s *forgetest.State) {
	state := r.URL.Query().Get("state")
	if state == "" {
		state = "open"
	}
	prs := s.Newest(func(pr *forgetest.PR) bool {
		open := pr.State == slipway.PROpen
		return state == "all" || (state == "open") == open
	})
	if r.URL.Query().Get("sort") == "oldest" {
		sort.SliceStable(prs, func(i, j int) bool { return prs[i].Number < prs[j].Number })
	}
	p := f.page(rw, r, len(prs))
	out := []any{}
	for _, pr := range prs[p.Start:p.End] {
		out = append(out, f.pullJSON(s, pr))
	}
	forgetest.JSON(rw, 200, out)
}

func (f *fakeGitea) createPull(rw http.ResponseWriter, r *http.Request, s *forgetest.State) {
	var in struct {
		Head, Base, Title, Body string
		Labels                  []int
		Reviewers               []string
	}
	if err := forgetest.Decode(r, &in); err != nil || in.Title == "" {
		forgetest.JSON(rw, 422, map[string]any{"message": "[Title]: Required", "url": swagger})
		return
	}
	switch {
	case in.Head == in.Base:
		gtError(rw, 422, "Invalid PullRequest: There are no changes between the head and the base")
	case s.Branches[in.Head] == "" || s.Branches[in.Base] == "":
		forgetest.JSON(rw, 404, map[string]any{"errors": nil, "message": "The target couldn't be found.", "url": swagger})
	case s.OpenPRFor(in.Head, in.Base) != nil:
		e := s.OpenPRFor(in.Head, in.Base)
		gtError(rw, 409, fmt.Sprintf("pull request already exists for these targets [id: %d, issue_id: %d, head_repo_id: 1, base_repo_id: 1, head_branch: %s, base_branch: %s]", 7000+e.Number, e.Number, in.Head, in.Base))
	default:
		pr := s.Create(in.Head, in.Base, in.Title, in.Body, forgetest.Bot)
		for _, id := range in.Labels {
			if l, ok := s.LabelByID(id); ok {
				s.AddLabels(pr, l.Name)
			}
		}
		s.RequestReviews(pr, in.Reviewers...)
		forgetest.JSON(rw, 201, f.pullJSON(s, pr))
	}
}

func (f *fakeGitea) getPull(rw http.ResponseWriter, r *http.Request, s *forgetest.State, pr *forgetest.PR) {
	forgetest.JSON(rw, 200, f.pullJSON(s, pr))
}

func (f *fakeGitea) editPull(rw http.ResponseWriter, r *http.Request, s *forgetest.State, pr *forgetest.PR) {
	var in struct {
		Title string  `json:"title"`
		Body  *string `json:"body"`
		State *string `json:"state"`
	}
	if err := forgetest.Decode(r, &in); err != nil {
		gtError(rw, 422, err.Error())
		return
	}
	if in.Title != "" {
		pr.Title = in.Title
	}
	if in.Body != nil {
		pr.Body = *in.Body
	}
	if in.State != nil && *in.State == "closed" && pr.State == slipway.PROpen {
		s.Close(pr, forgetest.Bot)
	}
	pr.Updated = s.Tick()
	forgetest.JSON(rw, 201, f.pullJSON(s, pr))
}

// mergePull follows MergePullRequest in routers/api/v1/repo/pull.go.
func (f *fakeGitea) mergePull(rw http.ResponseWriter, r *http.Request, s *forgetest.State, pr *forgetest.PR) {
	var in struct {
		Do           string `json:"Do"`
		HeadCommitID string `json:"head_commit_id"`
	}
	if err := forgetest.Decode(r, &in); err != nil || in.Do == "" {
		forgetest.JSON(rw, 422, map[string]any{"message": "[Do]: Required", "url": swagger})
		return
	}
	if s.BeforeMerge != nil {
		s.BeforeMerge(s, pr)
	}
	switch {
	case pr.State == slipway.PRMerged:
		gtError(rw, 405, "")
	case pr.State == slipway.PRClosed:
		forgetest.JSON(rw, 404, map[string]any{"errors": nil, "message": "The target couldn't be found.", "url": swagger})
	case pr.Conflict:
		gtError(rw, 405, "Please try again later")
	case in.HeadCommitID != "" && in.HeadCommitID != pr.HeadSHA:
		gtError(rw, 409, "head out of date")
	case s.ConflictOnMerge:
		pr.Conflict = true
		forgetest.JSON(rw, 409, map[string]any{"Style": in.Do, "StdOut": "", "StdErr": "CONFLICT (content): Merge conflict in envs/prod/api/values.yaml\n", "Err": map[string]any{}})
	default:
		s.Merge(pr, forgetest.Bot)
		rw.WriteHeader(http.StatusOK)
	}
}

func (f *fakeGitea) listReviews(rw http.ResponseWriter, r *http.Request, s *forgetest.State, pr *forgetest.PR) {
	type rv struct {
		forgetest.Review
		state string
	}
	var all []rv
	reviewed := map[string]bool{}
	for _, x := range pr.Reviews {
		reviewed[x.User] = true
		all = append(all, rv{x, map[string]string{"approved": "APPROVED", "changes_requested": "REQUEST_CHANGES", "commented": "COMMENT"}[x.State]})
	}
	// Gitea lists a pending review request as a review in REQUEST_REVIEW.
	for _, u := range pr.Reviewers {
		if !reviewed[u] {
			all = append(all, rv{forgetest.Review{ID: 90000 + s.UserID(u), User: u, CommitSHA: pr.HeadSHA, At: pr.Created}, "REQUEST_REVIEW"})
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	p := f.page(rw, r, len(all))
	out := []any{}
	for _, x := range all[p.Start:p.End] {
		out = append(out, map[string]any{"id": x.ID, "user": f.user(s, x.User), "team": nil, "state": x.state, "body": x.Body,
			"commit_id": x.CommitSHA, "stale": x.CommitSHA != pr.HeadSHA, "official": x.state == "APPROVED", "dismissed": x.Dismissed,
			"comments_count": 0, "submitted_at": ts(x.At), "updated_at": ts(x.At),
			"html_url": fmt.Sprintf("https://gitea.example.com/%s/pulls/%d#issuecomment-%d", s.Repo, pr.Number, x.ID)})
	}
	forgetest.JSON(rw, 200, out)
}

func (f *fakeGitea) requestReviewers(rw http.ResponseWriter, r *http.Request, s *forgetest.State, pr *forgetest.PR) {
	var in struct {
		Reviewers     []string `json:"reviewers"`
		TeamReviewers []string `json:"team_reviewers"`
	}
	if err := forgetest.Decode(r, &in); err != nil {
		gtError(rw, 422, err.Error())
		return
	}
	s.RequestReviews(pr, in.Reviewers...)
	out := []any{}
	for _, u := range in.Reviewers {
		out = append(out, map[string]any{"id": 90000 + s.UserID(u), "user": f.user(s, u), "state": "REQUEST_REVIEW", "commit_id": pr.HeadSHA})
	}
	forgetest.JSON(rw, 201, out)
}

func (f *fakeGitea) listLabels(rw http.ResponseWriter, r *http.Request, s *forgetest.State) {
	p := f.page(rw, r, len(s.Labels))
	out := []any{}
	for _, l := range s.Labels[p.Start:p.End] {
		out = append(out, labelJSON(l))
	}
	forgetest.JSON(rw, 200, out)
}

func (f *fakeGitea) createLabel(rw http.ResponseWriter, r *http.Request, s *forgetest.State) {
	var in struct {
		Name, Color string
	}
	if err := forgetest.Decode(r, &in); err != nil || in.Name == "" || !strings.HasPrefix(in.Color, "#") {
		forgetest.JSON(rw, 422, map[string]any{"message": "[Color]: Color must be a hex color", "url": swagger})
		return
	}
	if _, exists := s.Label(in.Name, false); exists {
		gtError(rw, 409, "label already exists")
		return
	}
	l, _ := s.Label(in.Name, true)
	forgetest.JSON(rw, 201, labelJSON(l))
}

func (f *fakeGitea) addLabels(rw http.ResponseWriter, r *http.Request, s *forgetest.State, pr *forgetest.PR) {
	var in struct {
		Labels []int `json:"labels"`
	}
	if err := forgetest.Decode(r, &in); err != nil {
		gtError(rw, 422, err.Error())
		return
	}
	for _, id := range in.Labels {
		l, ok := s.LabelByID(id)
		if !ok {
			gtError(rw, 422, fmt.Sprintf("label does not exist [id: %d]", id))
			return
		}
		s.AddLabels(pr, l.Name)
	}
	out := []any{}
	for _, n := range pr.Labels {
		l, _ := s.Label(n, true)
		out = append(out, labelJSON(l))
	}
	forgetest.JSON(rw, 200, out)
}

func (f *fakeGitea) listComments(rw http.ResponseWriter, r *http.Request, s *forgetest.State, pr *forgetest.PR) {
	out := []any{}
	for _, c := range pr.Comments {
		out = append(out, map[string]any{"id": c.ID, "user": f.user(s, c.User), "body": c.Body, "created_at": ts(c.At), "updated_at": ts(c.At)})
	}
	forgetest.JSON(rw, 200, out)
}

func (f *fakeGitea) createComment(rw http.ResponseWriter, r *http.Request, s *forgetest.State, pr *forgetest.PR) {
	var in struct {
		Body string `json:"body"`
	}
	if err := forgetest.Decode(r, &in); err != nil || in.Body == "" {
		forgetest.JSON(rw, 422, map[string]any{"message": "[Body]: Required", "url": swagger})
		return
	}
	c := s.AddComment(pr, forgetest.Bot, in.Body)
	forgetest.JSON(rw, 201, map[string]any{"id": c.ID, "user": f.user(s, c.User), "body": c.Body, "created_at": ts(c.At), "updated_at": ts(c.At)})
}

// timeline lists the comments and its close event, oldest first.
func (f *fakeGitea) timeline(rw http.ResponseWriter, r *http.Request, s *forgetest.State, pr *forgetest.PR) {
	type ev struct {
		id         int
		kind, user string
		body       string
		at         time.Time
	}
	var evs []ev
	for _, c := range pr.Comments {
		evs = append(evs, ev{c.ID, "comment", c.User, c.Body, c.At})
	}
	if pr.State == slipway.PRClosed {
		evs = append(evs, ev{80000 + pr.Number, "close", pr.ClosedBy, "", pr.ClosedAt})
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].at.Before(evs[j].at) })
	p := f.page(rw, r, len(evs))
	out := []any{}
	for _, e := range evs[p.Start:p.End] {
		out = append(out, map[string]any{"id": e.id, "type": e.kind, "user": f.user(s, e.user), "body": e.body,
			"created_at": ts(e.at), "updated_at": ts(e.at), "issue_url": fmt.Sprintf("https://gitea.example.com/%s/issues/%d", s.Repo, pr.Number)})
	}
	forgetest.JSON(rw, 200, out)
}

func (f *fakeGitea) getBranch(rw http.ResponseWriter, r *http.Request, s *forgetest.State) {
	name := r.PathValue("branch")
	sha := s.Branches[name]
	if sha == "" {
		forgetest.JSON(rw, 404, map[string]any{"errors": nil, "message": "branch does not exist [repo_id: 1 name: " + name + "]", "url": swagger})
		return
	}
	forgetest.JSON(rw, 200, map[string]any{"name": name, "commit": map[string]any{"id": sha, "message": "pin\n", "url": "https://gitea.example.com/acme/gitops/commit/" + sha,
		"timestamp": ts(s.Now())}, "protected": name == "main", "user_can_push": true, "user_can_merge": true})
}

func (f *fakeGitea) deleteBranch(rw http.ResponseWriter, r *http.Request, s *forgetest.State) {
	name := r.PathValue("branch")
	if s.Branches[name] == "" {
		forgetest.JSON(rw, 404, map[string]any{"errors": nil, "message": "The target couldn't be found.", "url": swagger})
		return
	}
	if name == "main" {
		gtError(rw, 403, "branch protected")
		return
	}
	s.DeleteBranch(name, forgetest.Bot)
	rw.WriteHeader(http.StatusNoContent)
}
