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
// The unique branch column settles two concurrent opens: one inserts, the
// other reads it back.
func (s *PullRequestStore) OpenPR(ctx context.Context, p *slipway.PullRequest) (created bool, err error) {
	err = s.pool.QueryRow(ctx, `INSERT INTO pull_requests (url, branch, base, title, body, labels, reviewers, author, state, head_sha, merge_sha, merged_by, closed_by, conflict, created, updated)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,'open',$9,'','','',false,$10,$10) ON CONFLICT (branch) DO NOTHING RETURNING number`,
		p.URL, p.Branch, p.Base, p.Title, p.Body, list(p.Labels), list(p.Reviewers), p.Author, p.HeadSHA, p.Created).Scan(&p.Number)
	if err == nil {
		p.State, p.Updated = slipway.PROpen, p.Created
		return true, nil
	}
	if !isNoRows(err) {
		return false, err
	}
	old, err := scanPR(s.pool.QueryRow(ctx, prSelect+` WHERE branch = $1`, p.Branch))
	if err != nil {
		return false, err
	}
	if old.State != slipway.PROpen {
		return false, slipway.Errorf(slipway.ECONFLICT, "branch %s already had a pull request (#%d, %s), which is no longer open: push a new branch", p.Branch, old.Number, old.State)
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

// SetPRState records a merge or close; only an open PR changes.
func (s *PullRequestStore) SetPRState(ctx context.Context, p *slipway.PullRequest, from string) error {
	n, err := s.exec(ctx, `UPDATE pull_requests SET state = $1, body = $2, head_sha = $3, merge_sha = $4, merged_by = $5, closed_by = $6, conflict = $7, updated = $8 WHERE number = $9 AND state = $10`,
		p.State, p.Body, p.HeadSHA, p.MergeSHA, p.MergedBy, p.ClosedBy, p.Conflict, p.Updated, p.Number, from)
	if err != nil {
		return err
	}
	if n != 1 {
		return slipway.Errorf(slipway.ECONFLICT, "pull request #%d is not %s", p.Number, from)
	}
	return nil
}

// UpdatePR stores the body and head of an open pull request.
func (s *PullRequestStore) UpdatePR(ctx context.Context, p *slipway.PullRequest) error {
	n, err := s.exec(ctx, `UPDATE pull_requests SET body = $1, head_sha = $2, conflict = $3, updated = $4 WHERE number = $5 AND state = 'open'`,
		p.Body, p.HeadSHA, p.Conflict, p.Updated, p.Number)
	if err != nil {
		return err
	}
	if n != 1 {
		return slipway.Errorf(slipway.ECONFLICT, "pull request #%d is not open", p.Number)
	}
	return nil
}
