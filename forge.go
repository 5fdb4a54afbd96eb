package slipway

import (
	"context"
	"time"
)

// PullRequest is a proposed change to an environment's GitOps branch.
type PullRequest struct {
	Number   int
	Branch   string // head branch; deterministic per promotion, so opening twice finds the first
	Base     string // the environment's branch
	Title    string
	Body     string
	Author   string
	State    string // open, merged, closed
	HeadSHA  string // the head commit when opened (or merged)
	MergeSHA string // the commit on Base that merged it
	MergedBy string
	Created  time.Time
	Updated  time.Time
}

// Forge opens and merges pull requests on a GitOps remote. Implementations:
// forge/local (built in, pull requests kept in the store); hosted forges later.
type Forge interface {
	// Open opens a pull request for pr.Branch into pr.Base, or returns the one
	// already open for that branch (idempotent).
	Open(ctx context.Context, pr *PullRequest) (*PullRequest, error)
	// Get returns a pull request by number; ENOTFOUND if there is none.
	Get(ctx context.Context, number int) (*PullRequest, error)
	// Merge merges an open pull request as user; ECONFLICT if it is not open
	// or does not merge cleanly.
	Merge(ctx context.Context, number int, user string) (*PullRequest, error)
	// List lists pull requests in a state ("" for all).
	List(ctx context.Context, state string) ([]*PullRequest, error)
}
