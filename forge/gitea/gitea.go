// Package gitea is the Gitea (and Forgejo-compatible API) forge adapter:
// pull requests on the GitOps repository through the REST API v1
// (code.gitea.io/sdk/gitea) and webhooks verified with X-Gitea-Signature.
package gitea

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	gt "code.gitea.io/sdk/gitea"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/forge"
)

func init() {
	forge.Register(forge.Gitea, func(c forge.Config) (slipway.Forge, error) { return New(c) })
}

// pageSize is Gitea's default MAX_RESPONSE_ITEMS, the largest page it serves.
const pageSize = 50

// maxScanPages bounds a client-side search through closed pull requests
// (Gitea's list cannot filter by head branch): 20 pages of 50.
const maxScanPages = 20

// Forge is the Gitea adapter.
type Forge struct {
	url, token  string
	http        *http.Client
	owner, repo string
	method      gt.MergeStyle
	secret      []byte
	now         func() time.Time
}

var (
	_ slipway.Forge         = (*Forge)(nil)
	_ slipway.WebhookParser = (*Forge)(nil)
)

// New builds the adapter from cfg; it reads the token and the webhook
// secret and makes no request.
func New(cfg forge.Config) (*Forge, error) {
	secret, err := cfg.Prepare(forge.Gitea)
	if err != nil {
		return nil, err
	}
	tok, err := cfg.Token()
	if err != nil {
		return nil, err
	}
	owner, name, _ := strings.Cut(cfg.Repo, "/")
	style := map[string]gt.MergeStyle{forge.MergeCommit: gt.MergeStyleMerge, forge.Squash: gt.MergeStyleSquash, forge.Rebase: gt.MergeStyleRebase}[cfg.Method()]
	return &Forge{url: strings.TrimSuffix(cfg.URL, "/"), token: tok, http: cfg.HTTPClient(nil), owner: owner, repo: name,
		method: style, secret: secret, now: cfg.Clock()}, nil
}

// api returns an SDK client bound to ctx. The SDK takes its context per
// client, not per call, so each call gets a cheap client of its own;
// SetGiteaVersion("") skips the SDK's GET /version probe (Slipway needs
// Gitea 1.17 or later: head_commit_id on merge).
func (f *Forge) api(ctx context.Context) *gt.Client {
	c, err := gt.NewClient(f.url, gt.SetHTTPClient(f.http), gt.SetToken(f.token), gt.SetGiteaVersion(""),
		gt.SetContext(ctx), gt.SetUserAgent("slipway"))
	if err != nil { // only option errors, none of which these can produce
		panic("gitea: " + err.Error())
	}
	return c
}

// Name is "gitea".
func (f *Forge) Name() string { return forge.Gitea }

func (f *Forge) slug() string { return f.owner + "/" + f.repo }

// Open opens the pull request of in.Branch into in.Base, or returns the
// open one (adding labels and reviewers it lacks).
func (f *Forge) Open(ctx context.Context, in *slipway.PullRequest) (*slipway.PullRequest, error) {
	tip, err := f.branchHead(ctx, in.Branch)
	if err != nil {
		return nil, err
	}
	if err := forge.CheckOpen(forge.Gitea, f.slug(), in, tip); err != nil {
		return nil, err
	}
	labelIDs, err := f.labelIDs(ctx, in.Labels)
	if err != nil {
		return nil, err
	}
	p, err := f.findOpen(ctx, in.Branch, in.Base)
	if err != nil {
		return nil, err
	}
	if p == nil {
		var resp *gt.Response
		p, resp, err = f.api(ctx).CreatePullRequest(f.owner, f.repo, gt.CreatePullRequestOption{
			Head: in.Branch, Base: in.Base, Title: in.Title, Body: in.Body, Labels: labelIDs,
		})
		if err != nil && status(resp) == http.StatusConflict { // "pull request already exists"
			if p, err = f.findOpen(ctx, in.Branch, in.Base); err == nil && p == nil {
				err = fmt.Errorf("gitea says a pull request exists for %s but lists none", in.Branch)
			}
		}
		if err != nil {
			return nil, f.wrap(err, resp, "open a pull request for %s", in.Branch)
		}
	}
	if err := f.ensureLabels(ctx, p, labelIDs); err != nil {
		return nil, err
	}
	if err := f.ensureReviewers(ctx, p, in.Reviewers); err != nil {
		return nil, err
	}
	return f.Get(ctx, int(p.Index))
}

// labelIDs resolves label names to IDs, creating the missing ones (Gitea,
// unlike GitHub and GitLab, labels by ID and does not create them).
func (f *Forge) labelIDs(ctx context.Context, names []string) ([]int64, error) {
	if len(names) == 0 {
		return nil, nil
	}
	byName := map[string]int64{}
	for page := 1; ; page++ {
		ls, resp, err := f.api(ctx).ListRepoLabels(f.owner, f.repo, gt.ListLabelsOptions{ListOptions: gt.ListOptions{Page: page, PageSize: pageSize}})
		if err != nil {
			return nil, f.wrap(err, resp, "list labels")
		}
		for _, l := range ls {
			byName[strings.ToLower(l.Name)] = l.ID
		}
		if resp.NextPage == 0 || len(ls) == 0 {
			break
		}
	}
	var ids []int64
	for _, n := range names {
		id, ok := byName[strings.ToLower(n)]
		if !ok {
			l, resp, err := f.api(ctx).CreateLabel(f.owner, f.repo, gt.CreateLabelOption{Name: n, Color: "#ededed", Description: "Added by Slipway"})
			if err != nil {
				return nil, f.wrap(err, resp, "create label %s (the token needs write:issue)", n)
			}
			id = l.ID
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func (f *Forge) ensureLabels(ctx context.Context, p *gt.PullRequest, ids []int64) error {
	have := map[int64]bool{}
	for _, l := range p.Labels {
		have[l.ID] = true
	}
	var missing []int64
	for _, id := range ids {
		if !have[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if _, resp, err := f.api(ctx).AddIssueLabels(f.owner, f.repo, p.Index, gt.IssueLabelsOption{Labels: missing}); err != nil {
		return f.wrap(err, resp, "label pull request #%d", p.Index)
	}
	return nil
}

func (f *Forge) ensureReviewers(ctx context.Context, p *gt.PullRequest, want []string) error {
	var opt gt.PullReviewRequestOptions
	for _, r := range want {
		if team, ok := strings.CutPrefix(r, f.owner+"/"); ok {
			if !hasTeam(p.RequestedReviewersTeams, team) {
				opt.TeamReviewers = append(opt.TeamReviewers, team)
			}
		} else if !hasUser(p.RequestedReviewers, r) {
			opt.Reviewers = append(opt.Reviewers, r)
		}
	}
	if len(opt.Reviewers)+len(opt.TeamReviewers) == 0 {
		return nil
	}
	if resp, err := f.api(ctx).CreateReviewRequests(f.owner, f.repo, p.Index, opt); err != nil {
		return f.wrap(err, resp, "request reviewers %v on pull request #%d", want, p.Index)
	}
	return nil
}

// scan walks pull requests in state, newest first, until keep says stop.
func (f *Forge) scan(ctx context.Context, state gt.StateType, pages int, visit func(*gt.PullRequest) (stop bool)) error {
	for page := 1; pages <= 0 || page <= pages; page++ {
		prs, resp, err := f.api(ctx).ListRepoPullRequests(f.owner, f.repo, gt.ListPullRequestsOptions{
			ListOptions: gt.ListOptions{Page: page, PageSize: pageSize}, State: state,
		})
		if err != nil {
			return f.wrap(err, resp, "list pull requests")
		}
		for _, p := range prs {
			if visit(p) {
				return nil
			}
		}
		if resp.NextPage == 0 || len(prs) == 0 {
			return nil
		}
	}
	return nil
}

func (f *Forge) findOpen(ctx context.Context, branch, base string) (*gt.PullRequest, error) {
	var found *gt.PullRequest
	err := f.scan(ctx, gt.StateOpen, 0, func(p *gt.PullRequest) bool {
		if p.Head != nil && p.Base != nil && p.Head.Ref == branch && p.Base.Ref == base {
			found = p
			return true
		}
		return false
	})
	return found, err
}

// Find returns the newest pull request whose head is branch. Gitea cannot
// filter by head, so Find walks the list newest first: open ones, then at
// most maxScanPages pages of all.
func (f *Forge) Find(ctx context.Context, branch string) (*slipway.PullRequest, error) {
	var found *gt.PullRequest
	keep := func(p *gt.PullRequest) bool {
		if p.Head != nil && p.Head.Ref == branch && (found == nil || p.Index > found.Index) {
			found = p
		}
		return false
	}
	if err := f.scan(ctx, gt.StateOpen, 0, keep); err != nil {
		return nil, err
	}
	if found == nil {
		if err := f.scan(ctx, gt.StateAll, maxScanPages, keep); err != nil {
			return nil, err
		}
	}
	if found == nil {
		return nil, slipway.Errorf(slipway.ENOTFOUND, "gitea: no pull request from branch %s in %s (searched the %d newest)", branch, f.slug(), maxScanPages*pageSize)
	}
	return f.complete(ctx, found)
}

// Get returns pull request number.
func (f *Forge) Get(ctx context.Context, number int) (*slipway.PullRequest, error) {
	p, resp, err := f.api(ctx).GetPullRequest(f.owner, f.repo, int64(number))
	if err != nil {
		return nil, f.wrap(err, resp, "read pull request #%d", number)
	}
	return f.complete(ctx, p)
}

// complete converts p, reading who closed it from the timeline when it was
// closed unmerged.
func (f *Forge) complete(ctx context.Context, p *gt.PullRequest) (*slipway.PullRequest, error) {
	out := convert(p)
	if out.State != slipway.PRClosed {
		return out, nil
	}
	for page := 1; ; page++ {
		events, resp, err := f.api(ctx).ListIssueTimeline(f.owner, f.repo, p.Index, gt.ListIssueCommentOptions{ListOptions: gt.ListOptions{Page: page, PageSize: pageSize}})
		if err != nil {
			return nil, f.wrap(err, resp, "read who closed pull request #%d", p.Index)
		}
		for _, e := range events {
			if e.Type == "close" && e.Poster != nil {
				out.ClosedBy = e.Poster.UserName // the latest close wins
			}
		}
		if resp.NextPage == 0 || len(events) == 0 {
			return out, nil
		}
	}
}

// UpdateBody replaces the description.
func (f *Forge) UpdateBody(ctx context.Context, number int, body string) error {
	if _, resp, err := f.api(ctx).EditPullRequest(f.owner, f.repo, int64(number), gt.EditPullRequestOption{Body: &body}); err != nil {
		return f.wrap(err, resp, "update the description of pull request #%d", number)
	}
	return nil
}

// Merge merges pull request number if its head is still head: Slipway
// checks the head first, then asks Gitea to merge with head_commit_id, so
// Gitea itself refuses (409) a head that moved in between.
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
	ok, resp, err := f.api(ctx).MergePullRequest(f.owner, f.repo, int64(number), gt.MergePullRequestOption{
		Style: f.method, HeadCommitId: head,
		Title:   fmt.Sprintf("Merge pull request '%s' (#%d) from %s into %s", pr.Title, number, pr.Branch, pr.Base),
		Message: fmt.Sprintf("Merged by Slipway for %s.", user),
	})
	if err != nil {
		return nil, f.wrap(err, resp, "merge pull request #%d", number)
	}
	after, err := f.Get(ctx, number)
	if err != nil {
		return nil, err
	}
	if after.State == slipway.PRMerged {
		return after, nil
	}
	if ok {
		return nil, fmt.Errorf("gitea: pull request #%d was merged but still reads as %s; Slipway will read it again", number, after.State)
	}
	// The SDK drops Gitea's error body; the state says what happened.
	if why := f.mergeable(ctx, after, head); why != nil {
		return nil, why
	}
	switch status(resp) {
	case http.StatusConflict:
		return nil, forge.ErrConflict(forge.Gitea, after) // head unchanged: a conflict or a base that moved during the merge
	case http.StatusMethodNotAllowed:
		return nil, forge.ErrRefused(forge.Gitea, after, "not mergeable yet (405: work in progress, required approvals or status checks, or still being checked)")
	}
	return nil, fmt.Errorf("gitea: merging pull request #%d answered %d", number, status(resp))
}

// mergeable says why pr cannot be merged at head, or nil.
func (f *Forge) mergeable(ctx context.Context, pr *slipway.PullRequest, head string) error {
	tip, err := f.branchHead(ctx, pr.Branch)
	if err != nil {
		return err
	}
	return forge.Mergeable(forge.Gitea, f.slug(), pr, head, tip)
}

// Close closes an open pull request with a comment and deletes its
// branch (forge.Closing).
func (f *Forge) Close(ctx context.Context, number int, comment string) error {
	return forge.Closing{Get: f.Get, Comment: f.commentOnce, Close: f.closePR, Head: f.branchHead, Delete: f.deleteBranch}.Run(ctx, number, comment)
}

func (f *Forge) closePR(ctx context.Context, number int) error {
	closed := gt.StateClosed
	if _, resp, err := f.api(ctx).EditPullRequest(f.owner, f.repo, int64(number), gt.EditPullRequestOption{State: &closed}); err != nil {
		return f.wrap(err, resp, "close pull request #%d", number)
	}
	return nil
}

func (f *Forge) deleteBranch(ctx context.Context, branch string) error {
	ok, resp, err := f.api(ctx).DeleteRepoBranch(f.owner, f.repo, branch)
	if err == nil && !ok && status(resp) != http.StatusNotFound {
		err = fmt.Errorf("answered %d", status(resp))
	}
	if err != nil {
		return f.wrap(err, resp, "delete branch %s", branch)
	}
	return nil
}

func (f *Forge) commentOnce(ctx context.Context, number int, body string) error {
	for page := 1; ; page++ {
		cs, resp, err := f.api(ctx).ListIssueComments(f.owner, f.repo, int64(number), gt.ListIssueCommentOptions{ListOptions: gt.ListOptions{Page: page, PageSize: pageSize}})
		if err != nil {
			return f.wrap(err, resp, "read the comments of pull request #%d", number)
		}
		for _, c := range cs {
			if c.Body == body {
				return nil
			}
		}
		if resp.NextPage == 0 || len(cs) == 0 {
			break
		}
	}
	if _, resp, err := f.api(ctx).CreateIssueComment(f.owner, f.repo, int64(number), gt.CreateIssueCommentOption{Body: body}); err != nil {
		return f.wrap(err, resp, "comment on pull request #%d", number)
	}
	return nil
}

// Reviews lists submitted reviews, oldest first; a dismissed review is
// reported as dismissed, whatever it said.
func (f *Forge) Reviews(ctx context.Context, number int) ([]slipway.Review, error) {
	var out []slipway.Review
	for page := 1; ; page++ {
		rs, resp, err := f.api(ctx).ListPullReviews(f.owner, f.repo, int64(number), gt.ListPullReviewsOptions{ListOptions: gt.ListOptions{Page: page, PageSize: pageSize}})
		if err != nil {
			return nil, f.wrap(err, resp, "read the reviews of pull request #%d", number)
		}
		for _, r := range rs {
			state := reviewState(string(r.State))
			if r.Dismissed {
				state = "dismissed"
			}
			if state == "" || r.Reviewer == nil {
				continue // pending, or a review request (a team's)
			}
			out = append(out, slipway.Review{User: r.Reviewer.UserName, Email: r.Reviewer.Email, State: state,
				CommitSHA: r.CommitID, Body: r.Body, At: r.Submitted})
		}
		if resp.NextPage == 0 || len(rs) == 0 {
			return out, nil
		}
	}
}

func reviewState(s string) string {
	switch s {
	case string(gt.ReviewStateApproved):
		return "approved"
	case string(gt.ReviewStateRequestChanges):
		return "changes_requested"
	case string(gt.ReviewStateComment):
		return "commented"
	}
	return ""
}

// List lists pull requests in a state ("" for all).
func (f *Forge) List(ctx context.Context, state string) ([]*slipway.PullRequest, error) {
	gs := map[string]gt.StateType{"": gt.StateAll, slipway.PROpen: gt.StateOpen, slipway.PRMerged: gt.StateClosed, slipway.PRClosed: gt.StateClosed}
	s, ok := gs[state]
	if !ok {
		return nil, slipway.Errorf(slipway.EINVALID, "gitea: unknown pull request state %q: use open, merged, closed or \"\"", state)
	}
	var out []*slipway.PullRequest
	err := f.scan(ctx, s, 0, func(p *gt.PullRequest) bool {
		if c := convert(p); state == "" || c.State == state {
			out = append(out, c)
		}
		return false
	})
	return out, err
}

// branchHead returns a branch's head, "" when it does not exist.
func (f *Forge) branchHead(ctx context.Context, branch string) (string, error) {
	b, resp, err := f.api(ctx).GetRepoBranch(f.owner, f.repo, branch)
	if status(resp) == http.StatusNotFound {
		return "", nil
	}
	if err != nil {
		return "", f.wrap(err, resp, "read branch %s", branch)
	}
	if b.Commit == nil {
		return "", nil
	}
	return b.Commit.ID, nil
}

func convert(p *gt.PullRequest) *slipway.PullRequest {
	out := &slipway.PullRequest{Number: int(p.Index), URL: p.HTMLURL, Title: p.Title, Body: p.Body, State: slipway.PROpen}
	if p.Head != nil {
		out.Branch, out.HeadSHA = p.Head.Ref, p.Head.Sha
	}
	if p.Base != nil {
		out.Base = p.Base.Ref
	}
	if p.Poster != nil {
		out.Author = p.Poster.UserName
	}
	for _, l := range p.Labels {
		out.Labels = append(out.Labels, l.Name)
	}
	for _, u := range p.RequestedReviewers {
		out.Reviewers = append(out.Reviewers, u.UserName)
	}
	if p.Created != nil {
		out.Created = *p.Created
	}
	if p.Updated != nil {
		out.Updated = *p.Updated
	}
	switch {
	case p.HasMerged:
		out.State = slipway.PRMerged
		if p.MergedCommitID != nil {
			out.MergeSHA = *p.MergedCommitID
		}
		if p.MergedBy != nil {
			out.MergedBy = p.MergedBy.UserName
		}
	case p.State == gt.StateClosed:
		out.State = slipway.PRClosed
	default:
		out.Conflict = !p.Mergeable
	}
	return out
}

func status(resp *gt.Response) int {
	if resp == nil || resp.Response == nil {
		return 0
	}
	return resp.StatusCode
}

// wrap gives an API error a Slipway code and says what was being done.
func (f *Forge) wrap(err error, resp *gt.Response, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	switch status(resp) {
	case http.StatusNotFound:
		return slipway.Errorf(slipway.ENOTFOUND, "gitea: %s in %s: not found (%v)", what, f.slug(), err)
	case http.StatusUnauthorized:
		return slipway.Errorf(slipway.EFORBIDDEN, "gitea: %s: the token was refused (%v): check gitops.forge.tokenEnv / tokenFile", what, err)
	case http.StatusForbidden:
		return slipway.Errorf(slipway.EFORBIDDEN, "gitea: %s in %s: forbidden (%v): the token needs write:repository and write:issue, and the user write access", what, f.slug(), err)
	case http.StatusTooManyRequests:
		return fmt.Errorf("gitea: %s: rate limited still after waiting (%v); Slipway will try again later", what, err)
	}
	return fmt.Errorf("gitea: %s in %s: %w", what, f.slug(), err)
}

func hasUser(us []*gt.User, login string) bool {
	for _, u := range us {
		if u != nil && strings.EqualFold(u.UserName, login) {
			return true
		}
	}
	return false
}

func hasTeam(ts []*gt.Team, name string) bool {
	for _, t := range ts {
		if t != nil && strings.EqualFold(t.Name, name) {
			return true
		}
	}
	return false
}
