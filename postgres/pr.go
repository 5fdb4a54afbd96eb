package postgres

import (
	"context"

	"github.com/slipway/slipway"
)

const prSelect = `SELECT number, url, branch, base, title, body, labels, reviewers, author, state, head_sha, merge_sha, merged_by, closed_by, conflict, created, updated FROM pull_requests`

func scanPR(r rowScanner) (*slipway.PullRequest, error) {
	var p slipway.PullRequest
	if err := r.Scan(&p.Number, &p.URL, &p.Branch, &p.Base, &p.Title, &p.Body, &p.Labels, &p.Reviewers, &p.Author, &p.State, &p.HeadSHA, &p.MergeSHA, &p.MergedBy, &p.ClosedBy, &p.Conflict, &p.Created, &p.Updated); err != nil {
		return nil, err
	}
	p.Created, p.Updated = utc(p.Created), utc(p.Updated)
	return &p, nil
}

// OpenPR stores a pull request for a branch, or returns the open one for
// that branch (idempotent: a retried promotion never opens a second PR).
// The partial unique index on open (and merging) branches settles two
// concurrent opens: one inserts, the other reads it back. A branch whose
// pull request merged or closed may carry a new one (a release pull
// request reopens on its branch after every release).
func (s *PullRequestStore) OpenPR(ctx context.Context, p *slipway.PullRequest) (created bool, err error) {
	err = s.pool.QueryRow(ctx, `INSERT INTO pull_requests (url, branch, base, title, body, labels, reviewers, author, state, head_sha, merge_sha, merged_by, closed_by, conflict, created, updated)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,'open',$9,'','','',false,$10,$10) ON CONFLICT (branch) WHERE state IN ('open', 'merging') DO NOTHING RETURNING number`,
		p.URL, p.Branch, p.Base, p.Title, p.Body, list(p.Labels), list(p.Reviewers), p.Author, p.HeadSHA, p.Created).Scan(&p.Number)
	if err == nil {
		p.State, p.Updated = slipway.PROpen, p.Created
		return true, nil
	}
	if !isNoRows(err) {
		return false, err
	}
	old, err := scanPR(s.pool.QueryRow(ctx, prSelect+` WHERE branch = $1 AND state IN ('open', 'merging') ORDER BY number DESC LIMIT 1`, p.Branch))
	if isNoRows(err) {
		return false, slipway.Errorf(slipway.ECONFLICT, "branch %s: its pull request closed while another was opened: open it again", p.Branch)
	}
	if err != nil {
		return false, err
	}
	if old.State != slipway.PROpen {
		return false, slipway.Errorf(slipway.ECONFLICT, "branch %s has a pull request (#%d) being merged: wait for the merge, then open a new one", p.Branch, old.Number)
	}
	*p = *old
	return false, nil
}

// PR returns a pull request by number.
func (s *PullRequestStore) PR(ctx context.Context, number int) (*slipway.PullRequest, error) {
	p, err := scanPR(s.pool.QueryRow(ctx, prSelect+` WHERE number = $1`, number))
	if isNoRows(err) {
		return nil, notFound("pull request #%d not found: list them with `slipway pr list`", number)
	}
	return p, err
}

// PRByBranch returns the newest pull request of a branch.
func (s *PullRequestStore) PRByBranch(ctx context.Context, branch string) (*slipway.PullRequest, error) {
	p, err := scanPR(s.pool.QueryRow(ctx, prSelect+` WHERE branch = $1 ORDER BY number DESC LIMIT 1`, branch))
	if isNoRows(err) {
		return nil, notFound("no pull request for branch %s", branch)
	}
	return p, err
}

// PRs lists pull requests in a state ("" for all), oldest first.
func (s *PullRequestStore) PRs(ctx context.Context, state string) ([]*slipway.PullRequest, error) {
	return queryAll(ctx, s.pool, scanPR, prSelect+` WHERE $1 = '' OR state = $1 ORDER BY number`, state)
}

// SetPRState moves a pull request from state from to p.State (with its
// title, body, labels, head, merge and close fields).
func (s *PullRequestStore) SetPRState(ctx context.Context, p *slipway.PullRequest, from string) error {
	n, err := s.exec(ctx, `UPDATE pull_requests SET state = $1, title = $2, body = $3, labels = $4, head_sha = $5, merge_sha = $6, merged_by = $7, closed_by = $8, conflict = $9, updated = $10 WHERE number = $11 AND state = $12`,
		p.State, p.Title, p.Body, list(p.Labels), p.HeadSHA, p.MergeSHA, p.MergedBy, p.ClosedBy, p.Conflict, p.Updated, p.Number, from)
	if err != nil {
		return err
	}
	if n != 1 {
		return slipway.Errorf(slipway.ECONFLICT, "pull request #%d is not %s", p.Number, from)
	}
	return nil
}

// UpdatePR stores the title, body, labels and head of an open pull request.
func (s *PullRequestStore) UpdatePR(ctx context.Context, p *slipway.PullRequest) error {
	n, err := s.exec(ctx, `UPDATE pull_requests SET title = $1, body = $2, labels = $3, head_sha = $4, conflict = $5, updated = $6 WHERE number = $7 AND state = 'open'`,
		p.Title, p.Body, list(p.Labels), p.HeadSHA, p.Conflict, p.Updated, p.Number)
	if err != nil {
		return err
	}
	if n != 1 {
		return slipway.Errorf(slipway.ECONFLICT, "pull request #%d is not open", p.Number)
	}
	return nil
}
