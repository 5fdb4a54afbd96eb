// Package gitlab is the GitLab (gitlab.com and self-managed) forge adapter:
// merge requests on the GitOps project through the REST API v4
// (gitlab.com/gitlab-org/api/client-go), approvals bound to the head they
// were given on, and webhooks verified with X-Gitlab-Token or GitLab's
// HMAC signing token (webhook-signature).
package gitlab

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/forge"
)

func init() {
	forge.Register(forge.GitLab, func(c forge.Config) (slipway.Forge, error) { return New(c) })
}

// perPage is GitLab's largest page size.
const perPage = 100

// Forge is the GitLab adapter.
type Forge struct {
	client *gl.Client
	pid    string // project path or numeric ID, as configured
	squash bool
	secret []byte
	now    func() time.Time
}

var (
	_ slipway.Forge         = (*Forge)(nil)
	_ slipway.WebhookParser = (*Forge)(nil)
)

// New builds the adapter from cfg; it reads the token and the webhook
// secret and makes no request.
func New(cfg forge.Config) (*Forge, error) {
	secret, err := cfg.Prepare(forge.GitLab)
	if err != nil {
		return nil, err
	}
	tok, err := cfg.Token()
	if err != nil {
		return nil, err
	}
	opts := []gl.ClientOptionFunc{
		gl.WithHTTPClient(cfg.HTTPClient(nil)),
		// The shared retry transport waits out rate limits and retries
		// transient failures; the SDK's own retries would multiply them.
		gl.WithoutRetries(),
		gl.WithUserAgent("slipway"),
	}
	if cfg.URL != "" {
		opts = append(opts, gl.WithBaseURL(cfg.URL))
	}
	client, err := gl.NewClient(tok, opts...)
	if err != nil {
		return nil, slipway.Errorf(slipway.EINVALID, "gitops.forge.url: %v", err)
	}
	return &Forge{client: client, pid: cfg.Repo, squash: cfg.Method() == forge.Squash, secret: secret, now: cfg.Clock()}, nil
}

// Name is "gitlab".
func (f *Forge) Name() string { return forge.GitLab }

// Open opens the merge request of in.Branch into in.Base, or returns the
// open one (adding labels and reviewers it lacks).
func (f *Forge) Open(ctx context.Context, in *slipway.PullRequest) (*slipway.PullRequest, error) {
	tip, err := f.branchHead(ctx, in.Branch)
	if err != nil {
		return nil, err
	}
	if err := forge.CheckOpen(forge.GitLab, f.pid, in, tip); err != nil {
		return nil, err
	}
	reviewerIDs, err := f.userIDs(ctx, in.Reviewers)
	if err != nil {
		return nil, err
	}
	mr, err := f.findOpen(ctx, in.Branch, in.Base)
	if err != nil {
		return nil, err
	}
	if mr == nil {
		opt := &gl.CreateMergeRequestOptions{
			Title: gl.Ptr(in.Title), Description: gl.Ptr(in.Body), SourceBranch: gl.Ptr(in.Branch), TargetBranch: gl.Ptr(in.Base),
		}
		if len(in.Labels) > 0 {
			opt.Labels = gl.Ptr(gl.LabelOptions(in.Labels))
		}
		if len(reviewerIDs) > 0 {
			opt.ReviewerIDs = &reviewerIDs
		}
		created, _, err := f.client.MergeRequests.CreateMergeRequest(f.pid, opt, gl.WithContext(ctx))
		if err != nil {
			// 409 "Another open merge request already exists for this
			// source branch": another worker, or our timed-out attempt.
			if status, _ := statusOf(err); status == http.StatusConflict {
				if mr, err = f.findOpen(ctx, in.Branch, in.Base); err == nil && mr != nil {
					return f.complete(ctx, mr, in.Labels, reviewerIDs)
				}
			}
			return nil, f.wrap(err, "open a merge request for %s", in.Branch)
		}
		return f.Get(ctx, int(created.IID))
	}
	return f.complete(ctx, mr, in.Labels, reviewerIDs)
}

// complete adds the labels and reviewers an existing merge request lacks.
func (f *Forge) complete(ctx context.Context, mr *gl.BasicMergeRequest, labels []string, reviewerIDs []int64) (*slipway.PullRequest, error) {
	var opt gl.UpdateMergeRequestOptions
	var missing []string
	for _, l := range labels {
		if !containsFold(mr.Labels, l) {
			missing = append(missing, l)
		}
	}
	if len(missing) > 0 {
		opt.AddLabels = gl.Ptr(gl.LabelOptions(missing))
	}
	have := map[int64]bool{}
	ids := []int64{}
	for _, r := range mr.Reviewers {
		have[r.ID] = true
		ids = append(ids, r.ID)
	}
	grew := false
	for _, id := range reviewerIDs {
		if !have[id] {
			ids, grew = append(ids, id), true
		}
	}
	if grew {
		opt.ReviewerIDs = &ids // GitLab replaces the list: send it whole
	}
	if opt.AddLabels != nil || opt.ReviewerIDs != nil {
		if _, _, err := f.client.MergeRequests.UpdateMergeRequest(f.pid, mr.IID, &opt, gl.WithContext(ctx)); err != nil {
			return nil, f.wrap(err, "label merge request !%d", mr.IID)
		}
	}
	return f.Get(ctx, int(mr.IID))
}

func (f *Forge) userIDs(ctx context.Context, logins []string) ([]int64, error) {
	var ids []int64
	for _, login := range logins {
		users, _, err := f.client.Users.ListUsers(&gl.ListUsersOptions{Username: gl.Ptr(login)}, gl.WithContext(ctx))
		if err != nil {
			return nil, f.wrap(err, "look up reviewer %s", login)
		}
		if len(users) == 0 {
			return nil, slipway.Errorf(slipway.EINVALID, "gitlab: reviewer %q is not a user on %s: use GitLab usernames", login, f.client.BaseURL().Host)
		}
		ids = append(ids, users[0].ID)
	}
	return ids, nil
}

func (f *Forge) findOpen(ctx context.Context, branch, base string) (*gl.BasicMergeRequest, error) {
	mrs, _, err := f.client.MergeRequests.ListProjectMergeRequests(f.pid, &gl.ListProjectMergeRequestsOptions{
		State: gl.Ptr("opened"), SourceBranch: gl.Ptr(branch), TargetBranch: gl.Ptr(base), ListOptions: gl.ListOptions{PerPage: perPage},
	}, gl.WithContext(ctx))
	if err != nil {
		return nil, f.wrap(err, "list merge requests of %s", branch)
	}
	for _, mr := range mrs {
		if mr.SourceBranch == branch {
			return mr, nil
		}
	}
	return nil, nil
}

// Find returns the newest merge request whose source branch is branch.
func (f *Forge) Find(ctx context.Context, branch string) (*slipway.PullRequest, error) {
	mrs, _, err := f.client.MergeRequests.ListProjectMergeRequests(f.pid, &gl.ListProjectMergeRequestsOptions{
		State: gl.Ptr("all"), SourceBranch: gl.Ptr(branch), OrderBy: gl.Ptr("created_at"), Sort: gl.Ptr("desc"), ListOptions: gl.ListOptions{PerPage: 1},
	}, gl.WithContext(ctx))
	if err != nil {
		return nil, f.wrap(err, "find the merge request of %s", branch)
	}
	if len(mrs) == 0 || mrs[0].SourceBranch != branch {
		return nil, slipway.Errorf(slipway.ENOTFOUND, "gitlab: no merge request from branch %s in %s", branch, f.pid)
	}
	return convert(mrs[0]), nil
}

// Get returns merge request number (its IID).
func (f *Forge) Get(ctx context.Context, number int) (*slipway.PullRequest, error) {
	mr, _, err := f.client.MergeRequests.GetMergeRequest(f.pid, int64(number), nil, gl.WithContext(ctx))
	if err != nil {
		return nil, f.wrap(err, "read merge request !%d", number)
	}
	return convert(&mr.BasicMergeRequest), nil
}

// UpdateBody replaces the description.
func (f *Forge) UpdateBody(ctx context.Context, number int, body string) error {
	if _, _, err := f.client.MergeRequests.UpdateMergeRequest(f.pid, int64(number), &gl.UpdateMergeRequestOptions{Description: gl.Ptr(body)}, gl.WithContext(ctx)); err != nil {
		return f.wrap(err, "update the description of merge request !%d", number)
	}
	return nil
}

// Merge merges merge request number if its head is still head; the head
// is pinned in the request (sha), so GitLab refuses one that moved in
// between with 409.
func (f *Forge) Merge(ctx context.Context, number int, head, user string) (*slipway.PullRequest, error) {
	pr, err := f.Get(ctx, number)
	if err != nil {
		return nil, err
	}
	if pr.State == slipway.PRMerged {
		return pr, nil
	}
	if err := f.mergeable(ctx, pr, head); err != nil {
		return nil, err
	}
	mr, _, err := f.client.MergeRequests.AcceptMergeRequest(f.pid, int64(number), &gl.AcceptMergeRequestOptions{
		SHA: gl.Ptr(head), Squash: gl.Ptr(f.squash), ShouldRemoveSourceBranch: gl.Ptr(false),
		MergeCommitMessage: gl.Ptr(fmt.Sprintf("Merge branch '%s' into '%s'\n\n%s\n\nMerged by Slipway for %s.\n\nSee merge request %s!%d", pr.Branch, pr.Base, pr.Title, user, f.pid, number)),
	}, gl.WithContext(ctx))
	if err != nil {
		if err := f.mergeFailed(ctx, number, head, err); err != nil {
			return nil, err
		}
		return f.Get(ctx, number)
	}
	out := convert(&mr.BasicMergeRequest)
	if out.State != slipway.PRMerged {
		// GitLab answered but did not merge (a merge error, or still
		// locked while it merges): read it again rather than guess.
		again, gerr := f.Get(ctx, number)
		if gerr == nil && again.State == slipway.PRMerged {
			return again, nil
		}
		if mr.MergeError != "" {
			return nil, slipway.Errorf(slipway.ECONFLICT, "gitlab could not merge merge request !%d: %s; merge it by hand or promote again", number, mr.MergeError)
		}
		return nil, fmt.Errorf("gitlab: merge request !%d is %s after the merge request was accepted; Slipway will read it again", number, mr.State)
	}
	return out, nil
}

// mergeable says why pr cannot be merged at head, or nil.
func (f *Forge) mergeable(ctx context.Context, pr *slipway.PullRequest, head string) error {
	tip, err := f.branchHead(ctx, pr.Branch)
	if err != nil {
		return err
	}
	return forge.Mergeable(forge.GitLab, f.pid, pr, head, tip)
}

// mergeFailed turns GitLab's refusal into the state Slipway reports: 409
// "SHA does not match HEAD of source branch"; 405 "Method Not Allowed"
// (not mergeable now: closed, draft, conflict, pipeline); 406 or 422
// "Branch cannot be merged" (the merge itself failed). Nil when the merge
// request turns out merged after all.
func (f *Forge) mergeFailed(ctx context.Context, number int, head string, err error) error {
	status, msg := statusOf(err)
	switch status {
	case http.StatusConflict, http.StatusMethodNotAllowed, http.StatusNotAcceptable, http.StatusUnprocessableEntity:
	case http.StatusUnauthorized:
		return slipway.Errorf(slipway.EFORBIDDEN, "gitlab: the token may not merge merge request !%d (%s): it needs the api scope and Maintainer (or allowed-to-merge) access to %s", number, msg, f.pid)
	default:
		return f.wrap(err, "merge merge request !%d", number)
	}
	pr, gerr := f.Get(ctx, number)
	if gerr != nil {
		return gerr
	}
	if pr.State == slipway.PRMerged {
		return nil
	}
	if why := f.mergeable(ctx, pr, head); why != nil {
		return why
	}
	switch {
	case status == http.StatusConflict:
		return forge.ErrMoved(forge.GitLab, pr, head)
	case status == http.StatusNotAcceptable || status == http.StatusUnprocessableEntity:
		return forge.ErrConflict(forge.GitLab, pr)
	}
	return forge.ErrRefused(forge.GitLab, pr, msg+": not mergeable now (draft, unresolved discussions, a required pipeline or approval rules)")
}

// Close closes an open merge request with a note and deletes its branch
// (forge.Closing).
func (f *Forge) Close(ctx context.Context, number int, comment string) error {
	return forge.Closing{Get: f.Get, Comment: f.noteOnce, Close: f.closeMR, Head: f.branchHead, Delete: f.deleteBranch}.Run(ctx, number, comment)
}

func (f *Forge) closeMR(ctx context.Context, number int) error {
	if _, _, err := f.client.MergeRequests.UpdateMergeRequest(f.pid, int64(number), &gl.UpdateMergeRequestOptions{StateEvent: gl.Ptr("close")}, gl.WithContext(ctx)); err != nil {
		return f.wrap(err, "close merge request !%d", number)
	}
	return nil
}

func (f *Forge) deleteBranch(ctx context.Context, branch string) error {
	if _, err := f.client.Branches.DeleteBranch(f.pid, branch, gl.WithContext(ctx)); err != nil && !errors.Is(err, gl.ErrNotFound) {
		return f.wrap(err, "delete branch %s", branch)
	}
	return nil
}

// noteOnce adds a note unless the same text is already there.
func (f *Forge) noteOnce(ctx context.Context, number int, body string) error {
	notes, err := f.notes(ctx, number)
	if err != nil {
		return err
	}
	for _, n := range notes {
		if !n.System && n.Body == body {
			return nil
		}
	}
	if _, _, err := f.client.Notes.CreateMergeRequestNote(f.pid, int64(number), &gl.CreateMergeRequestNoteOptions{Body: gl.Ptr(body)}, gl.WithContext(ctx)); err != nil {
		return f.wrap(err, "comment on merge request !%d", number)
	}
	return nil
}

func (f *Forge) notes(ctx context.Context, number int) ([]*gl.Note, error) {
	var out []*gl.Note
	opt := &gl.ListMergeRequestNotesOptions{OrderBy: gl.Ptr("created_at"), Sort: gl.Ptr("asc"), ListOptions: gl.ListOptions{PerPage: perPage}}
	for {
		ns, resp, err := f.client.Notes.ListMergeRequestNotes(f.pid, int64(number), opt, gl.WithContext(ctx))
		if err != nil {
			return nil, f.wrap(err, "read the notes of merge request !%d", number)
		}
		out = append(out, ns...)
		if resp.NextPage == 0 {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
}

// System notes GitLab writes when a person approves, revokes an approval
// or requests changes. Only GitLab writes system notes; a person's
// comment with the same words is not a system note.
const (
	noteApproved   = "approved this merge request"
	noteUnapproved = "unapproved this merge request"
	noteRequested  = "requested changes"
)

// Reviews lists approvals, revoked approvals and change requests, oldest
// first. GitLab's approvals API says who approves now but not on which
// head, so each approval is bound to the head the merge request had when
// GitLab recorded it (its system note against the diff versions; GitLab's
// UI and API approve with the page's sha and refuse a stale one). An
// approval GitLab no longer lists (reset by a push, revoked) is reported
// dismissed; one it lists without a note carries no head, so it cannot
// count for a digest.
func (f *Forge) Reviews(ctx context.Context, number int) ([]slipway.Review, error) {
	approvals, _, err := f.client.MergeRequests.GetMergeRequestApprovals(f.pid, int64(number), gl.WithContext(ctx))
	if err != nil {
		return nil, f.wrap(err, "read the approvals of merge request !%d", number)
	}
	versions, err := f.versions(ctx, number)
	if err != nil {
		return nil, err
	}
	notes, err := f.notes(ctx, number)
	if err != nil {
		return nil, err
	}
	headAt := func(t time.Time) string {
		sha := ""
		for _, v := range versions { // oldest first
			if v.CreatedAt != nil && !v.CreatedAt.After(t) {
				sha = v.HeadCommitSHA
			}
		}
		return sha
	}
	var out []slipway.Review
	latest := map[string]string{}
	for _, n := range notes {
		if !n.System || n.CreatedAt == nil {
			continue
		}
		state := ""
		switch {
		case n.Body == noteApproved:
			state = "approved"
		case n.Body == noteUnapproved:
			state = "dismissed"
		case strings.HasPrefix(n.Body, noteRequested):
			state = "changes_requested"
		default:
			continue
		}
		out = append(out, slipway.Review{User: n.Author.Username, Email: n.Author.Email, State: state, CommitSHA: headAt(*n.CreatedAt), At: *n.CreatedAt})
		latest[n.Author.Username] = state
	}
	approvedNow := map[string]bool{}
	for _, a := range approvals.ApprovedBy {
		if a.User == nil {
			continue
		}
		approvedNow[a.User.Username] = true
		if latest[a.User.Username] != "approved" {
			out = append(out, slipway.Review{User: a.User.Username, State: "approved", At: f.now()})
		}
	}
	for user, state := range latest {
		if state == "approved" && !approvedNow[user] {
			out = append(out, slipway.Review{User: user, State: "dismissed", At: f.now()})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, nil
}

// versions lists the merge request's diff versions, oldest first.
func (f *Forge) versions(ctx context.Context, number int) ([]*gl.MergeRequestDiffVersion, error) {
	var out []*gl.MergeRequestDiffVersion
	opt := &gl.GetMergeRequestDiffVersionsOptions{ListOptions: gl.ListOptions{PerPage: perPage}}
	for {
		vs, resp, err := f.client.MergeRequests.GetMergeRequestDiffVersions(f.pid, int64(number), opt, gl.WithContext(ctx))
		if err != nil {
			return nil, f.wrap(err, "read the versions of merge request !%d", number)
		}
		out = append(out, vs...)
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].CreatedAt, out[j].CreatedAt
		return a != nil && b != nil && a.Before(*b)
	})
	return out, nil
}

// List lists merge requests in a state ("" for all).
func (f *Forge) List(ctx context.Context, state string) ([]*slipway.PullRequest, error) {
	glState := map[string]string{"": "all", slipway.PROpen: "opened", slipway.PRMerged: "merged", slipway.PRClosed: "closed"}[state]
	if glState == "" {
		return nil, slipway.Errorf(slipway.EINVALID, "gitlab: unknown pull request state %q: use open, merged, closed or \"\"", state)
	}
	var out []*slipway.PullRequest
	opt := &gl.ListProjectMergeRequestsOptions{State: gl.Ptr(glState), ListOptions: gl.ListOptions{PerPage: perPage}}
	for {
		mrs, resp, err := f.client.MergeRequests.ListProjectMergeRequests(f.pid, opt, gl.WithContext(ctx))
		if err != nil {
			return nil, f.wrap(err, "list merge requests")
		}
		for _, mr := range mrs {
			out = append(out, convert(mr))
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
}

// branchHead returns a branch's head, "" when it does not exist.
func (f *Forge) branchHead(ctx context.Context, branch string) (string, error) {
	b, _, err := f.client.Branches.GetBranch(f.pid, branch, gl.WithContext(ctx))
	if errors.Is(err, gl.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", f.wrap(err, "read branch %s", branch)
	}
	if b.Commit == nil {
		return "", nil
	}
	return b.Commit.ID, nil
}

func convert(mr *gl.BasicMergeRequest) *slipway.PullRequest {
	out := &slipway.PullRequest{
		Number: int(mr.IID), URL: mr.WebURL, Branch: mr.SourceBranch, Base: mr.TargetBranch,
		Title: mr.Title, Body: mr.Description, Labels: mr.Labels, HeadSHA: mr.SHA, State: slipway.PROpen,
	}
	if mr.Author != nil {
		out.Author = mr.Author.Username
	}
	for _, r := range mr.Reviewers {
		out.Reviewers = append(out.Reviewers, r.Username)
	}
	if mr.CreatedAt != nil {
		out.Created = *mr.CreatedAt
	}
	if mr.UpdatedAt != nil {
		out.Updated = *mr.UpdatedAt
	}
	switch mr.State {
	case "merged":
		out.State = slipway.PRMerged
		// A fast-forward merge has no merge commit: the head is what landed.
		out.MergeSHA = firstNonEmpty(mr.MergeCommitSHA, mr.SquashCommitSHA, mr.SHA)
		if mr.MergeUser != nil {
			out.MergedBy = mr.MergeUser.Username
		} else if mr.MergedBy != nil {
			out.MergedBy = mr.MergedBy.Username
		}
	case "closed":
		out.State = slipway.PRClosed
		if mr.ClosedBy != nil {
			out.ClosedBy = mr.ClosedBy.Username
		}
	default: // opened, locked
		out.Conflict = mr.HasConflicts || mr.DetailedMergeStatus == "conflict"
	}
	return out
}

// wrap gives an API error a Slipway code and says what was being done.
func (f *Forge) wrap(err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	if errors.Is(err, gl.ErrNotFound) {
		return slipway.Errorf(slipway.ENOTFOUND, "gitlab: %s in %s: not found", what, f.pid)
	}
	status, msg := statusOf(err)
	switch status {
	case http.StatusUnauthorized:
		return slipway.Errorf(slipway.EFORBIDDEN, "gitlab: %s: the token was refused (%s): check gitops.forge.tokenEnv / tokenFile", what, msg)
	case http.StatusForbidden:
		return slipway.Errorf(slipway.EFORBIDDEN, "gitlab: %s in %s: forbidden (%s): the token needs the api scope and Developer access (Maintainer to merge into protected branches)", what, f.pid, msg)
	case http.StatusTooManyRequests:
		return fmt.Errorf("gitlab: %s: rate limit still exhausted after waiting (%s); Slipway will try again later", what, msg)
	}
	return fmt.Errorf("gitlab: %s in %s: %w", what, f.pid, err)
}

func statusOf(err error) (int, string) {
	var er *gl.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode, er.Message
	}
	if errors.Is(err, gl.ErrNotFound) {
		return http.StatusNotFound, "404 Not Found"
	}
	return 0, ""
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// projectMatches reports whether a webhook's project is the configured
// one (by path, case-insensitive, or numeric ID).
func (f *Forge) projectMatches(path string, id int64) bool {
	if n, err := strconv.ParseInt(f.pid, 10, 64); err == nil {
		return n == id
	}
	return forge.SameRepo(f.pid, path)
}
