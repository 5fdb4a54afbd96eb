// Package github is the GitHub (and GitHub Enterprise Server) forge
// adapter: pull requests on the GitOps repository through the REST API
// (google/go-github), webhooks verified with X-Hub-Signature-256, and
// authentication by token or as a GitHub App installation.
package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	gh "github.com/google/go-github/v93/github"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/forge"
)

func init() {
	forge.Register(forge.GitHub, func(c forge.Config) (slipway.Forge, error) { return New(c) })
}

// perPage is GitHub's largest page size.
const perPage = 100

// Forge is the GitHub adapter.
type Forge struct {
	client      *gh.Client
	owner, repo string
	method      string
	secret      []byte
	now         func() time.Time
}

var (
	_ slipway.Forge         = (*Forge)(nil)
	_ slipway.WebhookParser = (*Forge)(nil)
)

// New builds the adapter from cfg: it reads the token (or the App's
// private key) and the webhook secret, and makes no request.
func New(cfg forge.Config) (*Forge, error) {
	secret, err := cfg.Prepare(forge.GitHub)
	if err != nil {
		return nil, err
	}
	apiURL := "https://api.github.com/"
	if cfg.URL != "" {
		apiURL = enterpriseBase(cfg.URL)
	}
	api, err := url.Parse(apiURL)
	if err != nil {
		return nil, slipway.Errorf(slipway.EINVALID, "gitops.forge.url: %v", err)
	}
	var token func(context.Context) (string, error)
	if cfg.App != nil {
		app, err := newAppTokens(cfg, api)
		if err != nil {
			return nil, err
		}
		token = app.Token
	} else {
		tok, err := cfg.Token()
		if err != nil {
			return nil, err
		}
		token = func(context.Context) (string, error) { return tok, nil }
	}
	httpClient := cfg.HTTPClient(func(base http.RoundTripper) http.RoundTripper {
		return &bearer{base: base, host: api.Host, token: token}
	})
	opts := []gh.ClientOptionsFunc{
		gh.WithHTTPClient(httpClient),
		gh.WithUserAgent("slipway"),
		// Rate limits are waited out by the shared retry transport, which
		// sees every response; the SDK's own pre-emptive refusal would
		// fail calls instead of waiting.
		gh.WithDisableRateLimitCheck(),
	}
	if cfg.URL != "" {
		opts = append(opts, gh.WithEnterpriseURLs(apiURL, apiURL))
	}
	client, err := gh.NewClient(opts...)
	if err != nil {
		return nil, slipway.Errorf(slipway.EINVALID, "gitops.forge.url: %v", err)
	}
	owner, name, _ := strings.Cut(cfg.Repo, "/")
	return &Forge{client: client, owner: owner, repo: name, method: cfg.Method(), secret: secret, now: cfg.Clock()}, nil
}

// enterpriseBase makes a GitHub Enterprise Server URL an API base the way
// go-github does (https://host -> https://host/api/v3/), so the App token
// exchange and the auth transport see the same host and path.
func enterpriseBase(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	if !strings.HasSuffix(u.Path, "/api/v3/") && !strings.HasPrefix(u.Host, "api.") && !strings.Contains(u.Host, ".api.") {
		u.Path += "api/v3/"
	}
	return u.String()
}

// bearer adds the token to requests for the API host only, so a redirect
// elsewhere never carries it.
type bearer struct {
	base  http.RoundTripper
	host  string
	token func(context.Context) (string, error)
}

func (b *bearer) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != b.host {
		return b.base.RoundTrip(req)
	}
	tok, err := b.token(req.Context())
	if err != nil {
		return nil, err
	}
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+tok)
	return b.base.RoundTrip(req)
}

// Name is "github".
func (f *Forge) Name() string { return forge.GitHub }

func (f *Forge) slug() string { return f.owner + "/" + f.repo }

// Open opens the pull request of in.Branch into in.Base, or returns the
// open one (adding labels and reviewers it lacks, so a retry after a crash
// completes the first attempt).
func (f *Forge) Open(ctx context.Context, in *slipway.PullRequest) (*slipway.PullRequest, error) {
	tip, err := f.branchHead(ctx, in.Branch)
	if err != nil {
		return nil, err
	}
	if err := forge.CheckOpen(forge.GitHub, f.slug(), in, tip); err != nil {
		return nil, err
	}
	p, err := f.findOpen(ctx, in.Branch, in.Base)
	if err != nil {
		return nil, err
	}
	if p == nil {
		p, _, err = f.client.PullRequests.Create(ctx, f.owner, f.repo, gh.CreatePullRequest{
			Title: gh.Ptr(in.Title), Head: in.Branch, Base: in.Base, Body: gh.Ptr(in.Body),
		})
		if err != nil && alreadyExists(err) {
			// Another worker (or our own earlier, timed-out attempt) won.
			p, err = f.findOpen(ctx, in.Branch, in.Base)
			if err == nil && p == nil {
				err = fmt.Errorf("github says a pull request exists for %s but lists none", in.Branch)
			}
		}
		if err != nil {
			return nil, f.wrap(err, "open a pull request for %s", in.Branch)
		}
	}
	if err := f.ensureLabels(ctx, p, in.Labels); err != nil {
		return nil, err
	}
	if err := f.ensureReviewers(ctx, p, in.Reviewers); err != nil {
		return nil, err
	}
	return f.Get(ctx, p.GetNumber())
}

func (f *Forge) findOpen(ctx context.Context, branch, base string) (*gh.PullRequest, error) {
	prs, _, err := f.client.PullRequests.List(ctx, f.owner, f.repo, &gh.PullRequestListOptions{
		State: "open", Head: f.owner + ":" + branch, Base: base, ListOptions: gh.ListOptions{PerPage: perPage},
	})
	if err != nil {
		return nil, f.wrap(err, "list pull requests of %s", branch)
	}
	for _, p := range prs {
		if p.GetHead().GetRef() == branch {
			return p, nil
		}
	}
	return nil, nil
}

func (f *Forge) ensureLabels(ctx context.Context, p *gh.PullRequest, want []string) error {
	var missing []string
	for _, l := range want {
		if !hasLabel(p.Labels, l) {
			missing = append(missing, l)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	// GitHub creates labels that do not exist yet.
	if _, _, err := f.client.Issues.AddLabelsToIssue(ctx, f.owner, f.repo, p.GetNumber(), missing); err != nil {
		return f.wrap(err, "label pull request #%d", p.GetNumber())
	}
	return nil
}

func (f *Forge) ensureReviewers(ctx context.Context, p *gh.PullRequest, want []string) error {
	var req gh.ReviewersRequest
	for _, r := range want {
		if team, ok := strings.CutPrefix(r, f.owner+"/"); ok { // org/team-slug requests a team
			if !hasTeam(p.RequestedTeams, team) {
				req.TeamReviewers = append(req.TeamReviewers, team)
			}
		} else if !hasUser(p.RequestedReviewers, r) {
			req.Reviewers = append(req.Reviewers, r)
		}
	}
	if len(req.Reviewers)+len(req.TeamReviewers) == 0 {
		return nil
	}
	if _, _, err := f.client.PullRequests.RequestReviewers(ctx, f.owner, f.repo, p.GetNumber(), req); err != nil {
		return f.wrap(err, "request reviewers %v on pull request #%d", want, p.GetNumber())
	}
	return nil
}

// Find returns the newest pull request whose head is branch.
func (f *Forge) Find(ctx context.Context, branch string) (*slipway.PullRequest, error) {
	// GitHub filters by head server-side and lists newest first.
	prs, _, err := f.client.PullRequests.List(ctx, f.owner, f.repo, &gh.PullRequestListOptions{
		State: "all", Head: f.owner + ":" + branch, Sort: "created", Direction: "desc", ListOptions: gh.ListOptions{PerPage: 1},
	})
	if err != nil {
		return nil, f.wrap(err, "find the pull request of %s", branch)
	}
	if len(prs) == 0 || prs[0].GetHead().GetRef() != branch {
		return nil, slipway.Errorf(slipway.ENOTFOUND, "github: no pull request from branch %s in %s", branch, f.slug())
	}
	return f.complete(ctx, prs[0])
}

// Get returns pull request number.
func (f *Forge) Get(ctx context.Context, number int) (*slipway.PullRequest, error) {
	p, _, err := f.client.PullRequests.Get(ctx, f.owner, f.repo, number)
	if err != nil {
		return nil, f.wrap(err, "read pull request #%d", number)
	}
	return f.complete(ctx, p)
}

// complete converts p, reading who closed it when it was closed unmerged
// (only the issue says).
func (f *Forge) complete(ctx context.Context, p *gh.PullRequest) (*slipway.PullRequest, error) {
	out := convert(p)
	if out.State == slipway.PRClosed {
		issue, _, err := f.client.Issues.Get(ctx, f.owner, f.repo, p.GetNumber())
		if err != nil {
			return nil, f.wrap(err, "read who closed pull request #%d", p.GetNumber())
		}
		out.ClosedBy = issue.GetClosedBy().GetLogin()
	}
	return out, nil
}

// UpdateBody replaces the description.
func (f *Forge) UpdateBody(ctx context.Context, number int, body string) error {
	if _, _, err := f.client.PullRequests.Edit(ctx, f.owner, f.repo, number, &gh.PullRequest{Body: gh.Ptr(body)}); err != nil {
		return f.wrap(err, "update the description of pull request #%d", number)
	}
	return nil
}

// Merge merges pull request number if its head is still head, with the
// head pinned in the request (sha), so GitHub itself refuses a head that
// moved between the check and the merge.
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
	_, _, err = f.client.PullRequests.Merge(ctx, f.owner, f.repo, number,
		fmt.Sprintf("%s\n\nMerged by Slipway for %s.", pr.Title, user),
		&gh.PullRequestOptions{SHA: head, MergeMethod: f.method, CommitTitle: fmt.Sprintf("Merge pull request #%d from %s", number, pr.Branch)})
	if err != nil {
		if err := f.mergeFailed(ctx, number, head, err); err != nil {
			return nil, err
		}
	}
	merged, err := f.Get(ctx, number)
	if err != nil {
		return nil, err
	}
	if merged.State != slipway.PRMerged {
		return nil, fmt.Errorf("github: pull request #%d was merged but still reads as %s; Slipway will read it again", number, merged.State)
	}
	return merged, nil
}

// mergeable says why pr cannot be merged at head, or nil.
func (f *Forge) mergeable(ctx context.Context, pr *slipway.PullRequest, head string) error {
	tip, err := f.branchHead(ctx, pr.Branch)
	if err != nil {
		return err
	}
	return forge.Mergeable(forge.GitHub, f.slug(), pr, head, tip)
}

// mergeFailed turns GitHub's refusal into the state Slipway reports: 409
// is a head that moved since the check; 405 is "not mergeable", whose
// reason only a fresh read tells.
func (f *Forge) mergeFailed(ctx context.Context, number int, head string, err error) error {
	status, msg := statusOf(err)
	if status != http.StatusConflict && status != http.StatusMethodNotAllowed && status != http.StatusUnprocessableEntity {
		return f.wrap(err, "merge pull request #%d", number)
	}
	pr, gerr := f.Get(ctx, number)
	if gerr != nil {
		return gerr
	}
	if pr.State == slipway.PRMerged {
		return nil // by our earlier, timed-out attempt or by a person: Merge reads it back
	}
	if why := f.mergeable(ctx, pr, head); why != nil {
		return why
	}
	if status == http.StatusConflict {
		// The head moved and back, or GitHub saw a push we cannot see yet.
		return forge.ErrMoved(forge.GitHub, pr, head)
	}
	if strings.Contains(strings.ToLower(msg), "conflict") {
		return forge.ErrConflict(forge.GitHub, pr)
	}
	return forge.ErrRefused(forge.GitHub, pr, msg+" (check the branch protection rules: required reviews, status checks)")
}

// Close closes an open pull request with a comment and deletes its
// branch (forge.Closing).
func (f *Forge) Close(ctx context.Context, number int, comment string) error {
	return forge.Closing{Get: f.Get, Comment: f.commentOnce, Close: f.closePR, Head: f.branchHead, Delete: f.deleteBranch}.Run(ctx, number, comment)
}

func (f *Forge) closePR(ctx context.Context, number int) error {
	if _, _, err := f.client.PullRequests.Edit(ctx, f.owner, f.repo, number, &gh.PullRequest{State: gh.Ptr("closed")}); err != nil {
		return f.wrap(err, "close pull request #%d", number)
	}
	return nil
}

// commentOnce comments unless the same text is already there (a retried
// Close after a crash between comment and close).
func (f *Forge) commentOnce(ctx context.Context, number int, body string) error {
	opts := &gh.IssueListCommentsOptions{ListOptions: gh.ListOptions{PerPage: perPage}}
	for {
		cs, resp, err := f.client.Issues.ListComments(ctx, f.owner, f.repo, number, opts)
		if err != nil {
			return f.wrap(err, "read the comments of pull request #%d", number)
		}
		for _, c := range cs {
			if c.GetBody() == body {
				return nil
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	if _, _, err := f.client.Issues.CreateComment(ctx, f.owner, f.repo, number, gh.IssueCommentRequest{Body: body}); err != nil {
		return f.wrap(err, "comment on pull request #%d", number)
	}
	return nil
}

func (f *Forge) deleteBranch(ctx context.Context, branch string) error {
	_, err := f.client.Git.DeleteRef(ctx, f.owner, f.repo, "heads/"+branch)
	if status, _ := statusOf(err); err != nil && status != http.StatusNotFound && status != http.StatusUnprocessableEntity {
		return f.wrap(err, "delete branch %s", branch)
	}
	return nil
}

// Reviews lists the submitted reviews, oldest first.
func (f *Forge) Reviews(ctx context.Context, number int) ([]slipway.Review, error) {
	var out []slipway.Review
	opts := &gh.ListOptions{PerPage: perPage}
	for {
		rs, resp, err := f.client.PullRequests.ListReviews(ctx, f.owner, f.repo, number, opts)
		if err != nil {
			return nil, f.wrap(err, "read the reviews of pull request #%d", number)
		}
		for _, r := range rs {
			state := reviewState(r.GetState())
			if state == "" {
				continue // PENDING: not submitted, not visible to others
			}
			out = append(out, slipway.Review{
				User: r.GetUser().GetLogin(), Email: r.GetUser().GetEmail(), State: state,
				CommitSHA: r.GetCommitID(), Body: r.GetBody(), At: r.GetSubmittedAt().Time,
			})
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// reviewState maps GitHub's review states (upper case in the REST API,
// lower case in webhooks) to Slipway's.
func reviewState(s string) string {
	switch strings.ToUpper(s) {
	case "APPROVED":
		return "approved"
	case "CHANGES_REQUESTED":
		return "changes_requested"
	case "COMMENTED":
		return "commented"
	case "DISMISSED":
		return "dismissed"
	}
	return ""
}

// List lists pull requests in a state ("" for all).
func (f *Forge) List(ctx context.Context, state string) ([]*slipway.PullRequest, error) {
	ghState := map[string]string{"": "all", slipway.PROpen: "open", slipway.PRMerged: "closed", slipway.PRClosed: "closed"}[state]
	if ghState == "" {
		return nil, slipway.Errorf(slipway.EINVALID, "github: unknown pull request state %q: use open, merged, closed or \"\"", state)
	}
	var out []*slipway.PullRequest
	opts := &gh.PullRequestListOptions{State: ghState, ListOptions: gh.ListOptions{PerPage: perPage}}
	for {
		prs, resp, err := f.client.PullRequests.List(ctx, f.owner, f.repo, opts)
		if err != nil {
			return nil, f.wrap(err, "list pull requests")
		}
		for _, p := range prs {
			if c := convert(p); state == "" || c.State == state {
				out = append(out, c)
			}
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// branchHead returns a branch's head, "" when it does not exist.
func (f *Forge) branchHead(ctx context.Context, branch string) (string, error) {
	ref, _, err := f.client.Git.GetRef(ctx, f.owner, f.repo, "heads/"+branch)
	if status, _ := statusOf(err); status == http.StatusNotFound {
		return "", nil
	}
	if err != nil {
		return "", f.wrap(err, "read branch %s", branch)
	}
	if ref.GetRef() != "refs/heads/"+branch { // GitHub answers a prefix with a list
		return "", nil
	}
	return ref.GetObject().GetSHA(), nil
}

func convert(p *gh.PullRequest) *slipway.PullRequest {
	out := &slipway.PullRequest{
		Number: p.GetNumber(), URL: p.GetHTMLURL(), Branch: p.GetHead().GetRef(), Base: p.GetBase().GetRef(),
		Title: p.GetTitle(), Body: p.GetBody(), Author: p.GetUser().GetLogin(), HeadSHA: p.GetHead().GetSHA(),
		Created: p.GetCreatedAt().Time, Updated: p.GetUpdatedAt().Time, State: slipway.PROpen,
	}
	for _, l := range p.Labels {
		out.Labels = append(out.Labels, l.GetName())
	}
	for _, u := range p.RequestedReviewers {
		out.Reviewers = append(out.Reviewers, u.GetLogin())
	}
	for _, t := range p.RequestedTeams {
		out.Reviewers = append(out.Reviewers, t.GetSlug())
	}
	switch {
	case p.MergedAt != nil || p.GetMerged():
		out.State, out.MergeSHA, out.MergedBy = slipway.PRMerged, p.GetMergeCommitSHA(), p.GetMergedBy().GetLogin()
	case p.GetState() == "closed":
		out.State = slipway.PRClosed
	default:
		// mergeable is null while GitHub computes it: not a conflict yet.
		out.Conflict = p.Mergeable != nil && !*p.Mergeable
	}
	return out
}

// wrap gives an API error a Slipway code and says what was being done.
func (f *Forge) wrap(err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	status, msg := statusOf(err)
	switch {
	case status == http.StatusNotFound:
		return slipway.Errorf(slipway.ENOTFOUND, "github: %s in %s: not found (%s)", what, f.slug(), msg)
	case status == http.StatusUnauthorized:
		return slipway.Errorf(slipway.EFORBIDDEN, "github: %s: the token was refused (%s): check gitops.forge.tokenEnv / tokenFile / app", what, msg)
	case status == http.StatusForbidden || status == http.StatusTooManyRequests:
		var rl *gh.RateLimitError
		var abuse *gh.AbuseRateLimitError
		if errors.As(err, &rl) || errors.As(err, &abuse) || strings.Contains(strings.ToLower(msg), "rate limit") {
			return fmt.Errorf("github: %s: rate limit still exhausted after waiting (%s); Slipway will try again later", what, msg)
		}
		return slipway.Errorf(slipway.EFORBIDDEN, "github: %s in %s: forbidden (%s): the token needs contents:write and pull_requests:write on the repository", what, f.slug(), msg)
	}
	return fmt.Errorf("github: %s in %s: %w", what, f.slug(), err)
}

// statusOf returns the HTTP status and message of an API error.
func statusOf(err error) (int, string) {
	var er *gh.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		msg := er.Message
		for _, e := range er.Errors {
			if e.Message != "" {
				msg += ": " + e.Message
			}
		}
		return er.Response.StatusCode, msg
	}
	var rl *gh.RateLimitError
	if errors.As(err, &rl) && rl.Response != nil {
		return rl.Response.StatusCode, rl.Message
	}
	var abuse *gh.AbuseRateLimitError
	if errors.As(err, &abuse) && abuse.Response != nil {
		return abuse.Response.StatusCode, abuse.Message
	}
	return 0, ""
}

func alreadyExists(err error) bool {
	status, msg := statusOf(err)
	return status == http.StatusUnprocessableEntity && strings.Contains(msg, "already exists")
}

func hasLabel(ls []*gh.Label, name string) bool {
	for _, l := range ls {
		if strings.EqualFold(l.GetName(), name) {
			return true
		}
	}
	return false
}

func hasUser(us []*gh.User, login string) bool {
	for _, u := range us {
		if strings.EqualFold(u.GetLogin(), login) {
			return true
		}
	}
	return false
}

func hasTeam(ts []*gh.Team, slug string) bool {
	for _, t := range ts {
		if strings.EqualFold(t.GetSlug(), slug) {
			return true
		}
	}
	return false
}
