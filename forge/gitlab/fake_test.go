package gitlab

// No GitLab server can run in these tests, so fakeGitLab plays GitLab's
// REST API v4 over a forgetest.World: the paths client-go requests
// (projects addressed by URL-encoded path or numeric ID, branches
// URL-encoded), the PRIVATE-TOKEN header, JSON bodies as GitLab's API
// documentation shows them (merge requests, approvals, notes with system
// notes for approvals, diff versions, branches, users), offset pagination
// with X-Page / X-Next-Page / X-Total-Pages and Link headers, and GitLab's
// error bodies: 401 {"message":"401 Unauthorized"}, 404 {"message":"404
// Not found"}, 409 on a duplicate merge request, and on merge 405 "405
// Method Not Allowed", 409 "SHA does not match HEAD of source branch: …"
// and 422 "Branch cannot be merged". Rate limits are 429 with
// RateLimit-* headers and Retry-After.

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
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

type fakeGitLab struct {
	w   *forgetest.World
	srv *httptest.Server
}

// signingToken is a GitLab webhook signing token: whsec_ and the base64
// of a 32-byte key.
var signingToken = "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

func newFake(t *testing.T, w *forgetest.World) forgetest.Fake { return startFake(t, w) }

func startFake(t *testing.T, w *forgetest.World) *fakeGitLab {
	f := &fakeGitLab{w: w}
	mux := http.NewServeMux()
	const p = "/api/v4/projects/{id}"
	mux.HandleFunc("GET "+p+"/merge_requests", f.project(f.listMRs))
	mux.HandleFunc("POST "+p+"/merge_requests", f.project(f.createMR))
	mux.HandleFunc("GET "+p+"/merge_requests/{iid}", f.mr(f.getMR))
	mux.HandleFunc("PUT "+p+"/merge_requests/{iid}", f.mr(f.updateMR))
	mux.HandleFunc("PUT "+p+"/merge_requests/{iid}/merge", f.mr(f.mergeMR))
	mux.HandleFunc("GET "+p+"/merge_requests/{iid}/approvals", f.mr(f.approvals))
	mux.HandleFunc("GET "+p+"/merge_requests/{iid}/versions", f.mr(f.versions))
	mux.HandleFunc("GET "+p+"/merge_requests/{iid}/notes", f.mr(f.listNotes))
	mux.HandleFunc("POST "+p+"/merge_requests/{iid}/notes", f.mr(f.createNote))
	mux.HandleFunc("GET "+p+"/repository/branches/{branch}", f.project(f.getBranch))
	mux.HandleFunc("DELETE "+p+"/repository/branches/{branch}", f.project(f.deleteBranch))
	mux.HandleFunc("GET /api/v4/users", f.users)
	f.releaseRoutes(mux, p)
	authorized := func(r *http.Request) bool { return r.Header.Get("PRIVATE-TOKEN") == forgetest.Token }
	f.srv = httptest.NewServer(w.Serve(authorized, `{"message":"401 Unauthorized"}`, mux))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeGitLab) Open(t *testing.T, base forge.Config) slipway.Forge {
	return forgetest.OpenAs(t, base, forge.GitLab, f.srv.URL)
}

// RateLimited is GitLab's rate limit response: 429 "Retry later" with
// the RateLimit-* headers and Retry-After.
func (f *fakeGitLab) RateLimited(now time.Time, reset time.Duration) forgetest.Fault {
	return forgetest.Fault{Method: http.MethodGet, Status: http.StatusTooManyRequests, Header: map[string]string{
		"RateLimit-Limit": "2000", "RateLimit-Observed": "2001", "RateLimit-Remaining": "0",
		"RateLimit-Reset": strconv.FormatInt(now.Add(reset).Unix(), 10), "RateLimit-ResetTime": now.Add(reset).Format(http.TimeFormat),
		"Retry-After": strconv.Itoa(int(reset.Seconds())), "Content-Type": "text/plain",
	}, Body: "Retry later\n"}
}

func (f *fakeGitLab) SignatureHeader() string { return "webhook-signature" }

// WebhookSecret is a signing token: the contract's tampered-body check
// needs a scheme that signs the body, which X-Gitlab-Token does not.
func (f *fakeGitLab) WebhookSecret() string { return signingToken }

// Deliver builds a Merge Request Hook as GitLab sends it: X-Gitlab-Event,
// X-Gitlab-Event-UUID, Idempotency-Key, and either X-Gitlab-Token (a plain
// secret) or webhook-id / webhook-timestamp / webhook-signature (a signing
// token).
func (f *fakeGitLab) Deliver(t *testing.T, d forgetest.Delivery, secret []byte) *http.Request {
	t.Helper()
	repo := d.Repo
	if repo == "" {
		repo = "acme/gitops"
	}
	event := "Merge Request Hook"
	payload := map[string]any{"object_kind": "merge_request", "event_type": "merge_request",
		"user":    map[string]any{"id": 7, "name": d.Actor, "username": d.Actor, "email": "[REDACTED]"},
		"project": map[string]any{"id": map[bool]int{true: 42, false: 77}[repo == "acme/gitops"], "path_with_namespace": repo, "name": "gitops"}}
	if d.Number > 0 {
		f.w.Update(func(s *forgetest.State) {
			pr := s.PR(d.Number)
			attrs := map[string]any{"iid": pr.Number, "id": 5000 + pr.Number, "source_branch": pr.Branch, "target_branch": pr.Base,
				"title": pr.Title, "state": mrState(pr), "last_commit": map[string]any{"id": pr.HeadSHA, "message": "pin"},
				"merge_commit_sha": nil, "oldrev": nil}
			switch d.Kind {
			case "opened":
				attrs["action"] = "open"
			case "synchronized":
				attrs["action"], attrs["oldrev"] = "update", pr.Versions[0].SHA
			case "merged":
				attrs["action"], attrs["merge_commit_sha"] = "merge", pr.MergeSHA
			case "closed":
				attrs["action"] = "close"
			case "reviewed":
				attrs["action"] = map[string]string{"approved": "approval", "changes_requested": "update"}[d.Review]
			}
			payload["object_attributes"] = attrs
		})
	}
	if d.Kind == "push" {
		event = "Push Hook"
		payload = map[string]any{"object_kind": "push", "ref": "refs/heads/main", "project": payload["project"]}
	}
	body, _ := json.Marshal(payload)
	req := httptest.NewRequest(http.MethodPost, "/webhooks/gitlab", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "GitLab/18.6.0")
	req.Header.Set("X-Gitlab-Event", event)
	req.Header.Set("X-Gitlab-Instance", "https://gitlab.example.com")
	req.Header.Set("X-Gitlab-Webhook-UUID", "4a2e9f5c-0000-4000-8000-000000000001")
	req.Header.Set("X-Gitlab-Event-UUID", "13792a34-cac6-4fda-95a8-c58e00a3954e")
	req.Header.Set("Idempotency-Key", "f5e5f430-f57b-4e6e-9fac-d9128cd7232f")
	if strings.HasPrefix(string(secret), "whsec_") {
		id, stamp := "f5e5f430-f57b-4e6e-9fac-d9128cd7232f", strconv.FormatInt(forgetest.Now.Unix(), 10)
		req.Header.Set("webhook-id", id)
		req.Header.Set("webhook-timestamp", stamp)
		req.Header.Set("webhook-signature", signStandard(string(secret), id, stamp, body))
	} else {
		req.Header.Set("X-Gitlab-Token", string(secret))
	}
	return req
}

// signStandard is the Standard Webhooks signature GitLab sends for a
// signing token.
func signStandard(secret, id, stamp string, body []byte) string {
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + stamp + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func glError(rw http.ResponseWriter, status int, msg any) {
	forgetest.JSON(rw, status, map[string]any{"message": msg})
}

func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

func (f *fakeGitLab) user(s *forgetest.State, login string) any {
	if login == "" {
		return nil
	}
	return map[string]any{"id": s.UserID(login), "username": login, "name": strings.ToUpper(login[:1]) + login[1:],
		"state": "active", "locked": false, "avatar_url": nil, "web_url": "https://gitlab.example.com/" + login}
}

func mrState(pr *forgetest.PR) string {
	return map[string]string{slipway.PROpen: "opened", slipway.PRMerged: "merged", slipway.PRClosed: "closed"}[pr.State]
}

// mrJSON renders a merge request as GET /projects/:id/merge_requests/:iid.
func (f *fakeGitLab) mrJSON(s *forgetest.State, pr *forgetest.PR) map[string]any {
	reviewers := []any{}
	for _, r := range pr.Reviewers {
		reviewers = append(reviewers, f.user(s, r))
	}
	labels := append([]string{}, pr.Labels...)
	detailed := "mergeable"
	if pr.Conflict {
		detailed = "conflict"
	}
	if pr.State != slipway.PROpen {
		detailed = "not_open"
	}
	js := map[string]any{
		"id": 5000 + pr.Number, "iid": pr.Number, "project_id": s.ProjectID, "title": pr.Title, "description": pr.Body,
		"state": mrState(pr), "created_at": ts(pr.Created), "updated_at": ts(pr.Updated),
		"merged_by": nil, "merge_user": nil, "merged_at": nil, "closed_by": nil, "closed_at": nil,
		"target_branch": pr.Base, "source_branch": pr.Branch, "user_notes_count": len(pr.Comments),
		"author": f.user(s, pr.Author), "assignees": []any{}, "reviewers": reviewers,
		"source_project_id": s.ProjectID, "target_project_id": s.ProjectID, "labels": labels,
		"draft": false, "work_in_progress": false, "merge_when_pipeline_succeeds": false,
		"merge_status":          map[bool]string{true: "cannot_be_merged", false: "can_be_merged"}[pr.Conflict],
		"detailed_merge_status": detailed, "sha": pr.HeadSHA, "merge_commit_sha": nil, "squash_commit_sha": nil,
		"has_conflicts": pr.Conflict, "blocking_discussions_resolved": true, "squash": false,
		"web_url":     fmt.Sprintf("https://gitlab.example.com/%s/-/merge_requests/%d", s.Repo, pr.Number),
		"references":  map[string]any{"short": fmt.Sprintf("!%d", pr.Number), "full": fmt.Sprintf("%s!%d", s.Repo, pr.Number)},
		"diff_refs":   map[string]any{"base_sha": s.Branches[pr.Base], "head_sha": pr.HeadSHA, "start_sha": s.Branches[pr.Base]},
		"merge_error": nil, "user": map[string]any{"can_merge": true},
	}
	switch pr.State {
	case slipway.PRMerged:
		js["merged_by"], js["merge_user"], js["merged_at"], js["merge_commit_sha"] = f.user(s, pr.MergedBy), f.user(s, pr.MergedBy), ts(pr.ClosedAt), pr.MergeSHA
	case slipway.PRClosed:
		js["closed_by"], js["closed_at"] = f.user(s, pr.ClosedBy), ts(pr.ClosedAt)
	}
	return js
}

// project checks :id names the project, by URL-encoded path or ID.
func (f *fakeGitLab) project(h func(http.ResponseWriter, *http.Request, *forgetest.State)) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		f.w.Update(func(s *forgetest.State) {
			if id := r.PathValue("id"); id != s.Repo && id != strconv.Itoa(s.ProjectID) {
				glError(rw, 404, "404 Project Not Found")
				return
			}
			h(rw, r, s)
		})
	}
}

func (f *fakeGitLab) mr(h func(http.ResponseWriter, *http.Request, *forgetest.State, *forgetest.PR)) http.HandlerFunc {
	return f.project(func(rw http.ResponseWriter, r *http.Request, s *forgetest.State) {
		n, _ := strconv.Atoi(r.PathValue("iid"))
		pr := s.PR(n)
		if pr == nil {
			glError(rw, 404, "404 Not found")
			return
		}
		h(rw, r, s, pr)
	})
}

// paginate writes GitLab's offset pagination headers and returns the page.
func (f *fakeGitLab) paginate(rw http.ResponseWriter, r *http.Request, total int) forgetest.Page {
	p := forgetest.Paginate(r, "per_page", 20, 100, total)
	h := rw.Header()
	h.Set("X-Page", strconv.Itoa(p.Number))
	h.Set("X-Per-Page", strconv.Itoa(p.Per))
	h.Set("X-Total", strconv.Itoa(total))
	h.Set("X-Total-Pages", strconv.Itoa(p.Last()))
	h.Set("X-Next-Page", "")
	if p.Next() != 0 {
		h.Set("X-Next-Page", strconv.Itoa(p.Next()))
	}
	h.Set("X-Prev-Page", "")
	if p.Number > 1 {
		h.Set("X-Prev-Page", strconv.Itoa(p.Number-1))
	}
	if link := p.Link(r, f.srv.URL); link != "" {
		h.Set("Link", link)
	}
	return p
}

func (f *fakeGitLab) listMRs(rw http.ResponseWriter, r *http.Request, s *forgetest.State) {
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "all"
	}
	prs := s.Newest(func(pr *forgetest.PR) bool {
		return (state == "all" || state == mrState(pr)) &&
			(q.Get("source_branch") == "" || q.Get("source_branch") == pr.Branch) &&
			(q.Get("target_branch") == "" || q.Get("target_branch") == pr.Base)
	})
	if q.Get("sort") == "asc" {
		sort.SliceStable(prs, func(i, j int) bool { return prs[i].Number < prs[j].Number })
	}
	p := f.paginate(rw, r, len(prs))
	out := []any{}
	for _, pr := range prs[p.Start:p.End] {
		js := f.mrJSON(s, pr)
		for _, k := range []string{"diff_refs", "merge_error", "user"} { // single-MR fields
			delete(js, k)
		}
		out = append(out, js)
	}
	forgetest.JSON(rw, 200, out)
}

// labelList reads labels sent as "a,b" (client-go) or ["a","b"].
func labelList(raw json.RawMessage) []string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		var out []string
		for _, l := range strings.Split(s, ",") {
			if l = strings.TrimSpace(l); l != "" {
				out = append(out, l)
			}
		}
		return out
	}
	var list []string
	_ = json.Unmarshal(raw, &list)
	return list
}

func (f *fakeGitLab) logins(s *forgetest.State, ids []int) []string {
	var out []string
	for _, id := range ids {
		if login, ok := s.UserByID(id); ok {
			out = append(out, login)
		}
	}
	return out
}

func (f *fakeGitLab) createMR(rw http.ResponseWriter, r *http.Request, s *forgetest.State) {
	var in struct {
		Title        string          `json:"title"`
		Description  string          `json:"description"`
		SourceBranch string          `json:"source_branch"`
		TargetBranch string          `json:"target_branch"`
		Labels       json.RawMessage `json:"labels"`
		ReviewerIDs  []int           `json:"reviewer_ids"`
	}
	if err := forgetest.Decode(r, &in); err != nil || in.Title == "" || in.SourceBranch == "" || in.TargetBranch == "" {
		glError(rw, 400, "400 Bad request - title is missing")
		return
	}
	switch {
	case s.Branches[in.SourceBranch] == "":
		glError(rw, 409, []string{fmt.Sprintf("Source branch \"%s\" does not exist", in.SourceBranch)})
	case s.Branches[in.TargetBranch] == "":
		glError(rw, 409, []string{fmt.Sprintf("Target branch \"%s\" does not exist", in.TargetBranch)})
	case s.OpenPRFor(in.SourceBranch, in.TargetBranch) != nil:
		glError(rw, 409, []string{fmt.Sprintf("Another open merge request already exists for this source branch: !%d", s.OpenPRFor(in.SourceBranch, in.TargetBranch).Number)})
	default:
		pr := s.Create(in.SourceBranch, in.TargetBranch, in.Title, in.Description, forgetest.Bot)
		s.AddLabels(pr, labelList(in.Labels)...)
		s.RequestReviews(pr, f.logins(s, in.ReviewerIDs)...)
		forgetest.JSON(rw, 201, f.mrJSON(s, pr))
	}
}

func (f *fakeGitLab) getMR(rw http.ResponseWriter, r *http.Request, s *forgetest.State, pr *forgetest.PR) {
	forgetest.JSON(rw, 200, f.mrJSON(s, pr))
}

func (f *fakeGitLab) updateMR(rw http.ResponseWriter, r *http.Request, s *forgetest.State, pr *forgetest.PR) {
	var in struct {
		Title        *string         `json:"title"`
		Description  *string         `json:"description"`
		StateEvent   string          `json:"state_event"`
		AddLabels    json.RawMessage `json:"add_labels"`
		RemoveLabels json.RawMessage `json:"remove_labels"`
		ReviewerIDs  *[]int          `json:"reviewer_ids"`
	}
	if err := forgetest.Decode(r, &in); err != nil {
		glError(rw, 400, "400 Bad request")
		return
	}
	if in.Description != nil {
		pr.Body = *in.Description
	}
	if in.Title != nil {
		pr.Title = *in.Title
	}
	if len(in.AddLabels) > 0 {
		s.AddLabels(pr, labelList(in.AddLabels)...)
	}
	if len(in.RemoveLabels) > 0 {
		s.RemoveLabels(pr, labelList(in.RemoveLabels)...)
	}
	if in.ReviewerIDs != nil {
		pr.Reviewers = nil
		s.RequestReviews(pr, f.logins(s, *in.ReviewerIDs)...)
	}
	if in.StateEvent == "close" && pr.State == slipway.PROpen {
		s.Close(pr, forgetest.Bot)
	}
	pr.Updated = s.Tick()
	forgetest.JSON(rw, 200, f.mrJSON(s, pr))
}

// mergeMR follows lib/api/merge_requests.rb: 405 when the merge request is
// not mergeable now, 409 when sha is not its head, 422 when the merge
// itself fails.
func (f *fakeGitLab) mergeMR(rw http.ResponseWriter, r *http.Request, s *forgetest.State, pr *forgetest.PR) {
	var in struct {
		SHA    string `json:"sha"`
		Squash bool   `json:"squash"`
	}
	_ = forgetest.Decode(r, &in)
	if s.BeforeMerge != nil {
		s.BeforeMerge(s, pr)
	}
	if pr.State != slipway.PROpen || s.Branches[pr.Branch] == "" || pr.Conflict {
		glError(rw, 405, "405 Method Not Allowed")
		return
	}
	if in.SHA != "" && in.SHA != pr.HeadSHA {
		glError(rw, 409, "SHA does not match HEAD of source branch: "+pr.HeadSHA)
		return
	}
	if s.ConflictOnMerge {
		pr.Conflict = true
		glError(rw, 422, "Branch cannot be merged")
		return
	}
	s.Merge(pr, forgetest.Bot)
	forgetest.JSON(rw, 200, f.mrJSON(s, pr))
}

// standing lists who approves now: their latest review is a standing approval.
func standing(pr *forgetest.PR) []string {
	latest := map[string]forgetest.Review{}
	var order []string
	for _, rv := range pr.Reviews {
		if _, seen := latest[rv.User]; !seen {
			order = append(order, rv.User)
		}
		if rv.State != "commented" {
			latest[rv.User] = rv
		}
	}
	var out []string
	for _, u := range order {
		if rv, ok := latest[u]; ok && rv.State == "approved" && !rv.Dismissed {
			out = append(out, u)
		}
	}
	return out
}

func (f *fakeGitLab) approvals(rw http.ResponseWriter, r *http.Request, s *forgetest.State, pr *forgetest.PR) {
	by := []any{}
	for _, u := range standing(pr) {
		by = append(by, map[string]any{"user": f.user(s, u)})
	}
	forgetest.JSON(rw, 200, map[string]any{"id": 5000 + pr.Number, "iid": pr.Number, "project_id": s.ProjectID, "title": pr.Title,
		"state": mrState(pr), "merge_status": "can_be_merged", "approved": len(by) > 0, "approvals_required": 0, "approvals_left": 0,
		"require_password_to_approve": false, "approved_by": by, "suggested_approvers": []any{}, "approvers": []any{},
		"approver_groups": []any{}, "user_has_approved": false, "user_can_approve": false})
}

func (f *fakeGitLab) versions(rw http.ResponseWriter, r *http.Request, s *forgetest.State, pr *forgetest.PR) {
	vs := append([]forgetest.Version(nil), pr.Versions...)
	sort.SliceStable(vs, func(i, j int) bool { return vs[i].At.After(vs[j].At) }) // newest first, as GitLab lists them
	p := f.paginate(rw, r, len(vs))
	out := []any{}
	for _, v := range vs[p.Start:p.End] {
		out = append(out, map[string]any{"id": v.ID, "head_commit_sha": v.SHA, "base_commit_sha": s.Branches[pr.Base],
			"start_commit_sha": s.Branches[pr.Base], "created_at": ts(v.At), "merge_request_id": 5000 + pr.Number,
			"state": "collected", "real_size": "1"})
	}
	forgetest.JSON(rw, 200, out)
}

type note struct {
	id     int
	author string
	body   string
	system bool
	at     time.Time
}

// notes renders the merge request's activity as GitLab records it:
// reviews become system notes, comments user notes.
func notes(pr *forgetest.PR) []note {
	var out []note
	for _, rv := range pr.Reviews {
		switch rv.State {
		case "approved":
			out = append(out, note{rv.ID, rv.User, "approved this merge request", true, rv.At})
			if rv.Dismissed {
				out = append(out, note{rv.ID + 100000, rv.User, "unapproved this merge request", true, rv.DismissedAt})
			}
		case "changes_requested":
			out = append(out, note{rv.ID, rv.User, "requested changes", true, rv.At})
		case "commented":
			out = append(out, note{rv.ID, rv.User, rv.Body, false, rv.At})
		}
	}
	for _, c := range pr.Comments {
		out = append(out, note{c.ID, c.User, c.Body, false, c.At})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at.Before(out[j].at) })
	return out
}

func (f *fakeGitLab) listNotes(rw http.ResponseWriter, r *http.Request, s *forgetest.State, pr *forgetest.PR) {
	ns := notes(pr)
	if r.URL.Query().Get("sort") != "asc" { // GitLab's default is desc
		sort.SliceStable(ns, func(i, j int) bool { return ns[i].at.After(ns[j].at) })
	}
	p := f.paginate(rw, r, len(ns))
	out := []any{}
	for _, n := range ns[p.Start:p.End] {
		out = append(out, map[string]any{"id": n.id, "type": nil, "body": n.body, "attachment": nil, "author": f.user(s, n.author),
			"created_at": ts(n.at), "updated_at": ts(n.at), "system": n.system, "noteable_id": 5000 + pr.Number,
			"noteable_type": "MergeRequest", "noteable_iid": pr.Number, "resolvable": false, "confidential": false, "internal": false})
	}
	forgetest.JSON(rw, 200, out)
}

func (f *fakeGitLab) createNote(rw http.ResponseWriter, r *http.Request, s *forgetest.State, pr *forgetest.PR) {
	var in struct {
		Body string `json:"body"`
	}
	if err := forgetest.Decode(r, &in); err != nil || in.Body == "" {
		glError(rw, 400, "400 Bad request - body is missing")
		return
	}
	c := s.AddComment(pr, forgetest.Bot, in.Body)
	forgetest.JSON(rw, 201, map[string]any{"id": c.ID, "body": c.Body, "author": f.user(s, c.User), "created_at": ts(c.At),
		"system": false, "noteable_type": "MergeRequest", "noteable_iid": pr.Number})
}

func (f *fakeGitLab) getBranch(rw http.ResponseWriter, r *http.Request, s *forgetest.State) {
	name := r.PathValue("branch")
	sha := s.Branches[name]
	if sha == "" {
		glError(rw, 404, "404 Branch Not Found")
		return
	}
	forgetest.JSON(rw, 200, map[string]any{"name": name, "merged": false, "protected": name == "main", "default": name == "main",
		"developers_can_push": false, "developers_can_merge": false, "can_push": true,
		"web_url": "https://gitlab.example.com/" + s.Repo + "/-/tree/" + name,
		"commit":  map[string]any{"id": sha, "short_id": sha[:8], "title": "pin", "created_at": ts(s.Now())}})
}

func (f *fakeGitLab) deleteBranch(rw http.ResponseWriter, r *http.Request, s *forgetest.State) {
	name := r.PathValue("branch")
	if s.Branches[name] == "" {
		glError(rw, 404, "404 Branch Not Found")
		return
	}
	s.DeleteBranch(name, forgetest.Bot)
	rw.WriteHeader(http.StatusNoContent)
}

func (f *fakeGitLab) users(rw http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("username")
	f.w.Update(func(s *forgetest.State) {
		out := []any{}
		if name != "" && !strings.HasPrefix(name, "ghost") {
			out = append(out, f.user(s, name))
		}
		forgetest.JSON(rw, 200, out)
	})
}
