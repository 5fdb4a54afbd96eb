package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/slipway/slipway"
)

const promotionSelect = `SELECT id, service, env, build_id, digest, release, requester, expedited, state, reason, pin_commit, pr, revert, created, updated FROM promotions`

func scanPromotion(r rowScanner) (*slipway.Promotion, error) {
	var p slipway.Promotion
	var state, created, updated string
	if err := r.Scan(&p.ID, &p.Service, &p.Env, &p.BuildID, &p.Digest, &p.Release, &p.Requester, &p.Expedited, &state, &p.Reason, &p.PinCommit, &p.PR, &p.Revert, &created, &updated); err != nil {
		return nil, err
	}
	p.State = slipway.PromotionState(state)
	p.Created, p.Updated = parseTS(created), parseTS(updated)
	return &p, nil
}

// CreatePromotion stores a new promotion (assigning its id) with its first
// history row, in one transaction.
func (s *DB) CreatePromotion(ctx context.Context, p *slipway.Promotion) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO promotions (id, service, env, build_id, digest, release, requester, expedited, state, reason, pin_commit, pr, revert, created, updated)
			VALUES ('', ?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			p.Service, p.Env, p.BuildID, p.Digest, p.Release, p.Requester, p.Expedited, string(p.State), p.Reason, p.PinCommit, p.PR, p.Revert, ts(p.Created), ts(p.Created))
		if err != nil {
			return err
		}
		seq, err := res.LastInsertId()
		if err != nil {
			return err
		}
		p.ID = fmt.Sprintf("p-%d", seq)
		p.Updated = p.Created
		if _, err := tx.ExecContext(ctx, `UPDATE promotions SET id = ? WHERE seq = ?`, p.ID, seq); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO transitions (promotion_id, from_state, to_state, reason, at) VALUES (?,?,?,?,?)`,
			p.ID, "", string(p.State), p.Reason, ts(p.Created))
		return err
	})
}

// Promotion returns a promotion by id.
func (s *DB) Promotion(ctx context.Context, id string) (*slipway.Promotion, error) {
	p, err := scanPromotion(s.db.QueryRowContext(ctx, promotionSelect+` WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("promotion %q not found: list them with `slipway promotions`", id)
	}
	return p, err
}

// PromotionFilter selects promotions; zero fields match everything.
type PromotionFilter struct {
	Service string
	Env     string
	Active  bool // only promotions not in a terminal state
	State   slipway.PromotionState
}

// Promotions lists promotions, oldest first.
func (s *DB) Promotions(ctx context.Context, f PromotionFilter) ([]*slipway.Promotion, error) {
	q := promotionSelect + ` WHERE (? = '' OR service = ?) AND (? = '' OR env = ?) AND (? = '' OR state = ?)`
	args := []any{f.Service, f.Service, f.Env, f.Env, string(f.State), string(f.State)}
	if f.Active {
		q += ` AND state NOT IN ('succeeded','aborted','failed','superseded','rolled-back')`
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY seq`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*slipway.Promotion
	for rows.Next() {
		p, err := scanPromotion(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Transition moves p to state to, recording why, if and only if p is still in
// the state the caller read (optimistic concurrency: two reconcilers never
// both act on one transition). p is updated in place.
func (s *DB) Transition(ctx context.Context, p *slipway.Promotion, to slipway.PromotionState, reason string, at time.Time) error {
	if !slipway.CanTransition(p.State, to) {
		return slipway.Errorf(slipway.ECONFLICT, "promotion %s cannot go from %s to %s", p.ID, p.State, to)
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE promotions SET state = ?, reason = ?, pin_commit = ?, pr = ?, revert = ?, updated = ? WHERE id = ? AND state = ?`,
			string(to), reason, p.PinCommit, p.PR, p.Revert, ts(at), p.ID, string(p.State))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return slipway.Errorf(slipway.ECONFLICT, "promotion %s changed under us (expected state %s): re-read and retry", p.ID, p.State)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO transitions (promotion_id, from_state, to_state, reason, at) VALUES (?,?,?,?,?)`,
			p.ID, string(p.State), string(to), reason, ts(at)); err != nil {
			return err
		}
		p.State, p.Reason, p.Updated = to, reason, at
		return nil
	})
}

// Update stores the non-state fields of p (pin commit, PR, revert, reason)
// without a transition: progress inside a state, e.g. the PR number once open.
func (s *DB) Update(ctx context.Context, p *slipway.Promotion, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE promotions SET reason = ?, pin_commit = ?, pr = ?, revert = ?, updated = ? WHERE id = ? AND state = ?`,
		p.Reason, p.PinCommit, p.PR, p.Revert, ts(at), p.ID, string(p.State))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return slipway.Errorf(slipway.ECONFLICT, "promotion %s changed under us: re-read and retry", p.ID)
	}
	p.Updated = at
	return nil
}

// History lists a promotion's transitions, oldest first.
func (s *DB) History(ctx context.Context, id string) ([]slipway.Transition, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT promotion_id, from_state, to_state, reason, at FROM transitions WHERE promotion_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []slipway.Transition
	for rows.Next() {
		var t slipway.Transition
		var from, to, at string
		if err := rows.Scan(&t.PromotionID, &from, &to, &t.Reason, &at); err != nil {
			return nil, err
		}
		t.From, t.To, t.At = slipway.PromotionState(from), slipway.PromotionState(to), parseTS(at)
		out = append(out, t)
	}
	return out, rows.Err()
}

// Current returns the newest succeeded promotion of service into env: what
// runs there (nil when nothing was ever promoted).
func (s *DB) Current(ctx context.Context, service, env string) (*slipway.Promotion, error) {
	p, err := scanPromotion(s.db.QueryRowContext(ctx, promotionSelect+` WHERE service = ? AND env = ? AND state = 'succeeded' ORDER BY seq DESC LIMIT 1`, service, env))
	if isNoRows(err) {
		return nil, nil
	}
	return p, err
}

// SucceededAt is when p reached the succeeded state (its soak clock start).
func (s *DB) SucceededAt(ctx context.Context, id string) (time.Time, error) {
	var at string
	err := s.db.QueryRowContext(ctx, `SELECT at FROM transitions WHERE promotion_id = ? AND to_state = 'succeeded' ORDER BY id DESC LIMIT 1`, id).Scan(&at)
	if isNoRows(err) {
		return time.Time{}, nil
	}
	return parseTS(at), err
}
