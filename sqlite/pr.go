package sqlite

import (
	"context"
	"database/sql"

	"github.com/slipway/slipway"
)

const prSelect = `SELECT number, url, branch, base, title, body, labels, reviewers, author, state, head_sha, merge_sha, merged_by, closed_by, conflict, created, updated FROM pull_requests`

func scanPR(r rowScanner) (*slipway.PullRequest, error) {
	var p slipway.PullRequest
	var labels, reviewers, created, updated string
	if err := r.Scan(&p.Number, &p.URL, &p.Branch, &p.Base, &p.Title, &p.Body, &labels, &reviewers, &p.Author, &p.State, &p.HeadSHA, &p.MergeSHA, &p.MergedBy, &p.ClosedBy, &p.Conflict, &created, &updated); err != nil {
		return nil, err
	}
	p.Labels, p.Reviewers = parseList(labels), parseList(reviewers)
	p.Created, p.Updated = parseTS(created), parseTS(updated)
	return &p, nil
}

// OpenPR stores a pull request for a branch, or returns the open one for
// that branch (idempotent: a retried promotion never opens a second PR).
// A branch whose pull request merged or closed may carry a new one (a
// release pull request reopens on its branch after every release).
func (s *PullRequestStore) OpenPR(ctx context.Context, p *slipway.PullRequest) (created bool, err error) {
	err = s.tx(ctx, func(tx *sql.Tx) error {
		old, err := scanPR(tx.QueryRowContext(ctx, prSelect+` WHERE branch = ? AND state = 'open'`, p.Branch))
		if err == nil {
			*p = *old
			return nil
		}
		if !isNoRows(err) {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO pull_requests (url, branch, base, title, body, labels, reviewers, author, state, head_sha, merge_sha, merged_by, closed_by, conflict, created, updated) VALUES (?,?,?,?,?,?,?,?,'open',?,'','','',0,?,?)`,
			p.URL, p.Branch, p.Base, p.Title, p.Body, jsonList(p.Labels), jsonList(p.Reviewers), p.Author, p.HeadSHA, ts(p.Created), ts(p.Created))
		if isUnique(err) {
			return slipway.Errorf(slipway.ECONFLICT, "branch %s has a pull request being merged: wait for the merge, then open a new one", p.Branch)
		}
		if err != nil {
			return err
		}
		n, err := res.LastInsertId()
		p.Number, p.State, p.Updated, created = int(n), slipway.PROpen, p.Created, true
		return err
	})
	return created, err
}

// PR returns a pull request by number.
func (s *PullRequestStore) PR(ctx context.Context, number int) (*slipway.PullRequest, error) {
	p, err := scanPR(s.db.QueryRowContext(ctx, prSelect+` WHERE number = ?`, number))
	if isNoRows(err) {
		return nil, notFound("pull request #%d not found: list them with `slipway pr list`", number)
	}
	return p, err
}

// PRByBranch returns the newest pull request of a branch.
func (s *PullRequestStore) PRByBranch(ctx context.Context, branch string) (*slipway.PullRequest, error) {
	p, err := scanPR(s.db.QueryRowContext(ctx, prSelect+` WHERE branch = ? ORDER BY number DESC LIMIT 1`, branch))
	if isNoRows(err) {
		return nil, notFound("no pull request for branch %s", branch)
	}
	return p, err
}

// PRs lists pull requests in a state ("" for all), oldest first.
func (s *PullRequestStore) PRs(ctx context.Context, state string) ([]*slipway.PullRequest, error) {
	return queryAll(ctx, s.DB, scanPR, prSelect+` WHERE ? = '' OR state = ? ORDER BY number`, state, state)
}

// SetPRState moves a pull request from state from to p.State (with its
// title, body, labels, head, merge and close fields).
func (s *PullRequestStore) SetPRState(ctx context.Context, p *slipway.PullRequest, from string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE pull_requests SET state = ?, title = ?, body = ?, labels = ?, head_sha = ?, merge_sha = ?, merged_by = ?, closed_by = ?, conflict = ?, updated = ? WHERE number = ? AND state = ?`,
		p.State, p.Title, p.Body, jsonList(p.Labels), p.HeadSHA, p.MergeSHA, p.MergedBy, p.ClosedBy, p.Conflict, ts(p.Updated), p.Number, from)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return slipway.Errorf(slipway.ECONFLICT, "pull request #%d is not %s", p.Number, from)
	}
	return nil
}

// UpdatePR stores the title, body, labels and head of an open pull request.
func (s *PullRequestStore) UpdatePR(ctx context.Context, p *slipway.PullRequest) error {
	res, err := s.db.ExecContext(ctx, `UPDATE pull_requests SET title = ?, body = ?, labels = ?, head_sha = ?, conflict = ?, updated = ? WHERE number = ? AND state = 'open'`,
		p.Title, p.Body, jsonList(p.Labels), p.HeadSHA, p.Conflict, ts(p.Updated), p.Number)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return slipway.Errorf(slipway.ECONFLICT, "pull request #%d is not open", p.Number)
	}
	return nil
}
