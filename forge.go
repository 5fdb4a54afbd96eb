package slipway

import (
	"context"
	"net/http"
	"time"
)

// Pull request states, as every forge adapter reports them.
const (
	PROpen   = "open"
	PRMerged = "merged"
	PRClosed = "closed"
)

// PullRequest is a proposed change to an environment's GitOps branch.
type PullRequest struct {
	Number    int
	URL       string   // the forge's page of the pull request ("" on the local forge)
	Branch    string   // head branch; per promotion, so opening twice finds the first
	Base      string   // the environment's branch
	Title     string   //
	Body      string   // Markdown: changelog section, gates, digest, links
	Labels    []string //
	Reviewers []string // requested reviewers
	Author    string   //
	State     string   // PROpen, PRMerged or PRClosed
	HeadSHA   string   // the head commit (at open; at merge for merged ones)
	MergeSHA  string   // the commit on Base that merged it
	MergedBy  string   //
	ClosedBy  string   // who closed it without merging
	// Conflict is true when the forge knows the head does not merge cleanly
	// into Base.
	Conflict bool
	Created  time.Time
	Updated  time.Time
}

// Review is a reviewer's verdict on a pull request, bound to the head it saw.
type Review struct {
	User      string    // the reviewer's login or email, as the forge names them
	Email     string    // when the forge knows it
	State     string    // approved, changes_requested, commented, dismissed
	CommitSHA string    // the head the review was made on
	Body      string    //
	At        time.Time //
}

// Forge opens, inspects, merges and closes pull requests on the GitOps
// repository's host. Implementations: forge/local (built in, pull requests
// kept in the store) and the hosted forges under forge/, registered by name.
// Every method is idempotent where its comment says so: the engine retries
// after crashes and timeouts.
type Forge interface {
	// Name is the adapter's registered name (local, github, gitlab, gitea).
	Name() string
	// Open opens a pull request of pr.Branch into pr.Base, or returns the
	// open one for that branch (idempotent). pr.HeadSHA, when set, must be
	// the branch's tip: ECONFLICT otherwise.
	Open(ctx context.Context, pr *PullRequest) (*PullRequest, error)
	// Find returns the newest pull request (any state) whose head is branch;
	// ENOTFOUND when there is none.
	Find(ctx context.Context, branch string) (*PullRequest, error)
	// Get returns a pull request by number; ENOTFOUND if there is none.
	Get(ctx context.Context, number int) (*PullRequest, error)
	// UpdateBody replaces the description (gates changed).
	UpdateBody(ctx context.Context, number int, body string) error
	// Merge merges an open pull request as user, only if its head is still
	// head (the one Slipway pushed and checked). Merging a merged pull
	// request returns it unchanged. ECONFLICT when it is closed, when the
	// head moved, or when it does not merge cleanly; the message says which.
	Merge(ctx context.Context, number int, head, user string) (*PullRequest, error)
	// Close closes an open pull request with a comment (superseded,
	// abandoned); closing a closed one is a no-op. The head branch is
	// deleted where the forge allows it.
	Close(ctx context.Context, number int, comment string) error
	// Reviews lists the reviews of a pull request, oldest first.
	Reviews(ctx context.Context, number int) ([]Review, error)
	// List lists pull requests in a state ("" for all).
	List(ctx context.Context, state string) ([]*PullRequest, error)
}

// ForgeEvent is what a forge's webhook says happened to a pull request.
type ForgeEvent struct {
	Forge    string // adapter name
	Delivery string // the forge's delivery id, for idempotency
	Kind     string // opened, synchronized, merged, closed, reviewed
	Number   int
	Branch   string
	HeadSHA  string
	MergeSHA string
	Actor    string
	Review   *Review
}

// WebhookParser verifies a forge webhook with that forge's own signature
// scheme (GitHub's X-Hub-Signature-256, GitLab's X-Gitlab-Token, Gitea's
// X-Gitea-Signature) and decodes the pull-request event. A bad signature is
// EFORBIDDEN; an event Slipway does not act on is (nil, nil).
type WebhookParser interface {
	ParseWebhook(r *http.Request, body []byte) (*ForgeEvent, error)
}

// PullRequestStore keeps the pull requests of the built-in local forge.
type PullRequestStore interface {
	// OpenPR stores p, assigning its number, or returns the open pull
	// request of p.Branch into *p (created false).
	OpenPR(ctx context.Context, p *PullRequest) (created bool, err error)
	// PR returns a pull request by number; ENOTFOUND.
	PR(ctx context.Context, number int) (*PullRequest, error)
	// PRByBranch returns the newest pull request of a branch; ENOTFOUND.
	PRByBranch(ctx context.Context, branch string) (*PullRequest, error)
	// PRs lists pull requests in a state ("" for all), oldest first.
	PRs(ctx context.Context, state string) ([]*PullRequest, error)
	// SetPRState moves a pull request from state from to p.State (also
	// storing its head, body, merge and close fields); ECONFLICT when it is
	// not in from. The local forge uses the state "merging" while its merge
	// commit is pushed, so a close cannot slip in between.
	SetPRState(ctx context.Context, p *PullRequest, from string) error
	// UpdatePR stores the body and head of an open pull request.
	UpdatePR(ctx context.Context, p *PullRequest) error
}
