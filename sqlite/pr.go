package sqlite

import (
	"context"
	"database/sql"

	"github.com/slipway/slipway"
)

const prSelect = `SELECT number, branch, base, title, body, author, state, head_sha, merge_sha, merged_by, created, updated FROM pull_requests`

func scanPR(r rowScanner) (*slipway.PullRequest, error) {
	var p slipway.PullRequest
	var created, updated string
	if err := r.Scan(&p.Number, &p.Branch, &p.Base, &p.Title, &p.Body, &p.Author, &p.State, &p.HeadSHA, &p.MergeSHA, &p.MergedBy, &created, &updated); err != nil {
		return nil, err
	}
	p.Created, p.Updated = parseTS(created), parseTS(updated)
	return &p, nil
}

// OpenPR stores a pull request for a branch, or returns the existing one for
// that branch (idempotent: a retried promotion never opens a second PR).
func (s *DB) OpenPR(ctx context.Context, p *slipway.PullRequest) (created bool, err error) {
	err = s.tx(ctx, func(tx *sql.Tx) error {
		old, err := scanPR(tx.QueryRowContext(ctx, prSelect+` WHERE branch = ?`, p.Branch))
		if err == nil {
			*p = *old
			return nil
		}
		if !isNoRows(err) {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO pull_requests (branch, base, title, body, author, state, head_sha, merge_sha, merged_by, created, updated) VALUES (?,?,?,?,?,'open',?,'','',?,?)`,
			p.Branch, p.Base, p.Title, p.Body, p.Author, p.HeadSHA, ts(p.Created), ts(p.Created))
		if err != nil {
			return err
		}
		n, err := res.LastInsertId()
		p.Number, p.State, p.Updated, created = int(n), "open", p.Created, true
		return err
	})
	return created, err
}

// PR returns a pull request by number.
func (s *DB) PR(ctx context.Context, number int) (*slipway.PullRequest, error) {
	p, err := scanPR(s.db.QueryRowContext(ctx, prSelect+` WHERE number = ?`, number))
	if isNoRows(err) {
		return nil, notFound("pull request #%d not found: list them with `slipway pr list`", number)
	}
	return p, err
}

// PRs lists pull requests in a state ("" for all), oldest first.
func (s *DB) PRs(ctx context.Context, state string) ([]*slipway.PullRequest, error) {
	rows, err := s.db.QueryContext(ctx, prSelect+` WHERE ? = '' OR state = ? ORDER BY number`, state, state)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*slipway.PullRequest
	for rows.Next() {
		p, err := scanPR(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// SetPRState records a merge or close; only an open PR changes.
func (s *DB) SetPRState(ctx context.Context, p *slipway.PullRequest) error {
	res, err := s.db.ExecContext(ctx, `UPDATE pull_requests SET state = ?, head_sha = ?, merge_sha = ?, merged_by = ?, updated = ? WHERE number = ? AND state = 'open'`,
		p.State, p.HeadSHA, p.MergeSHA, p.MergedBy, ts(p.Updated), p.Number)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return slipway.Errorf(slipway.ECONFLICT, "pull request #%d is not open", p.Number)
	}
	return nil
}
