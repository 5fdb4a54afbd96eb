package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/internal/storesql"
)

const promotionSelect = `SELECT id, service, env, build_id, digest, release, requester, expedited, state, reason, pin_commit, pr, branch, head, revert, created, updated FROM promotions`

func scanPromotion(r rowScanner) (*slipway.Promotion, error) {
	var p slipway.Promotion
	var state, created, updated string
	if err := r.Scan(&p.ID, &p.Service, &p.Env, &p.BuildID, &p.Digest, &p.Release, &p.Requester, &p.Expedited, &state, &p.Reason, &p.PinCommit, &p.PR, &p.Branch, &p.Head, &p.Revert, &created, &updated); err != nil {
		return nil, err
	}
	p.State = slipway.PromotionState(state)
	p.Created, p.Updated = parseTS(created), parseTS(updated)
	return &p, nil
}

// activeStates: see storesql.ActiveStates.
var activeStates = storesql.ActiveStates

// CreatePromotion stores p as the one active promotion of its pin location,
// superseding the active one when allowed (see slipway.PromotionStore). The
// transaction holds SQLite's write lock from its first statement, and the
// partial unique index refuses a second active row whatever the code does.
func (s *PromotionStore) CreatePromotion(ctx context.Context, p *slipway.Promotion, supersede bool) ([]*slipway.Promotion, error) {
	var superseded []*slipway.Promotion
	err := s.tx(ctx, func(tx *sql.Tx) error {
		superseded = nil
		active, err := scanPromotion(tx.QueryRowContext(ctx, promotionSelect+` WHERE service = ? AND env = ? AND state IN `+activeStates, p.Service, p.Env))
		switch {
		case isNoRows(err):
		case err != nil:
			return err
		case !supersede || !active.State.Supersedable():
			return activeConflict(active)
		default:
			reason := "superseded by a newer request"
			if err := transition(ctx, tx, active, slipway.StateSuperseded, reason, p.Created); err != nil {
				return err
			}
			superseded = append(superseded, active)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO promotions (id, service, env, build_id, digest, release, requester, expedited, state, reason, pin_commit, pr, branch, head, revert, created, updated)
			VALUES ('', ?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			p.Service, p.Env, p.BuildID, p.Digest, p.Release, p.Requester, p.Expedited, string(p.State), p.Reason, p.PinCommit, p.PR, p.Branch, p.Head, p.Revert, ts(p.Created), ts(p.Created))
		if isUnique(err) {
			return slipway.Errorf(slipway.ECONFLICT, "another promotion of %s to %s became active at the same moment: retry", p.Service, p.Env)
		}
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
	if err != nil {
		return nil, err
	}
	return superseded, nil
}

// activeConflict is the refusal that names the promotion in the way.
func activeConflict(a *slipway.Promotion) error {
	what := fmt.Sprintf("promotion %s of %s (%s) to %s is %s", a.ID, a.Service, slipway.Digest12(a.Digest), a.Env, a.State)
	switch a.State {
	case slipway.StateCanary, slipway.StatePaused:
		return slipway.Errorf(slipway.ECONFLICT, "%s: its pin is already in Git; wait for the canary to finish, or settle it with `slipway canary promote|abort --promotion %s`", what, a.ID)
	default:
		return slipway.Errorf(slipway.ECONFLICT, "%s: its pin is already in Git; promote again once it has finished (`slipway promotions --service %s`)", what, a.Service)
	}
}

// Promotion returns a promotion by id.
func (s *PromotionStore) Promotion(ctx context.Context, id string) (*slipway.Promotion, error) {
	p, err := scanPromotion(s.db.QueryRowContext(ctx, promotionSelect+` WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("promotion %q not found: list them with `slipway promotions`", id)
	}
	return p, err
}

// Promotions lists promotions, oldest first.
func (s *PromotionStore) Promotions(ctx context.Context, f slipway.PromotionFilter) ([]*slipway.Promotion, error) {
	q, args := promotionQuery(f, 0)
	return queryAll(ctx, s.DB, scanPromotion, q+` ORDER BY seq`, args...)
}

// Transition moves p to state to if p is still in the state the caller read.
func (s *PromotionStore) Transition(ctx context.Context, p *slipway.Promotion, to slipway.PromotionState, reason string, at time.Time) error {
	if !slipway.CanTransition(p.State, to) {
		return slipway.Errorf(slipway.ECONFLICT, "promotion %s cannot go from %s to %s", p.ID, p.State, to)
	}
	return s.tx(ctx, func(tx *sql.Tx) error { return transition(ctx, tx, p, to, reason, at) })
}

func transition(ctx context.Context, tx *sql.Tx, p *slipway.Promotion, to slipway.PromotionState, reason string, at time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE promotions SET state = ?, reason = ?, pin_commit = ?, pr = ?, branch = ?, head = ?, revert = ?, updated = ? WHERE id = ? AND state = ?`,
		string(to), reason, p.PinCommit, p.PR, p.Branch, p.Head, p.Revert, ts(at), p.ID, string(p.State))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return changedUnderUs(ctx, tx, p)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO transitions (promotion_id, from_state, to_state, reason, at) VALUES (?,?,?,?,?)`,
		p.ID, string(p.State), string(to), reason, ts(at)); err != nil {
		return err
	}
	p.State, p.Reason, p.Updated = to, reason, at
	return nil
}

func changedUnderUs(ctx context.Context, tx *sql.Tx, p *slipway.Promotion) error {
	var now string
	if err := tx.QueryRowContext(ctx, `SELECT state FROM promotions WHERE id = ?`, p.ID).Scan(&now); err != nil {
		return err
	}
	return slipway.Errorf(slipway.ECONFLICT, "promotion %s changed under us: it is %s now, not %s", p.ID, now, p.State)
}

// Update stores the non-state fields of p if it is still in the state read.
func (s *PromotionStore) Update(ctx context.Context, p *slipway.Promotion, at time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE promotions SET reason = ?, pin_commit = ?, pr = ?, branch = ?, head = ?, revert = ?, updated = ? WHERE id = ? AND state = ?`,
			p.Reason, p.PinCommit, p.PR, p.Branch, p.Head, p.Revert, ts(at), p.ID, string(p.State))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return changedUnderUs(ctx, tx, p)
		}
		p.Updated = at
		return nil
	})
}

// History lists a promotion's transitions, oldest first.
func (s *PromotionStore) History(ctx context.Context, id string) ([]slipway.Transition, error) {
	return queryAll(ctx, s.DB, func(r rowScanner) (slipway.Transition, error) {
		var t slipway.Transition
		var from, to, at string
		err := r.Scan(&t.Seq, &t.PromotionID, &from, &to, &t.Reason, &at)
		t.From, t.To, t.At = slipway.PromotionState(from), slipway.PromotionState(to), parseTS(at)
		return t, err
	}, `SELECT id, promotion_id, from_state, to_state, reason, at FROM transitions WHERE promotion_id = ? ORDER BY id`, id)
}

// Current returns the newest succeeded promotion of service into env.
func (s *PromotionStore) Current(ctx context.Context, service, env string) (*slipway.Promotion, error) {
	p, err := scanPromotion(s.db.QueryRowContext(ctx, promotionSelect+` WHERE service = ? AND env = ? AND state = 'succeeded' ORDER BY seq DESC LIMIT 1`, service, env))
	if isNoRows(err) {
		return nil, nil
	}
	return p, err
}

// SucceededAt is when p reached the succeeded state (its soak clock start).
func (s *PromotionStore) SucceededAt(ctx context.Context, id string) (time.Time, error) {
	var at string
	err := s.db.QueryRowContext(ctx, `SELECT at FROM transitions WHERE promotion_id = ? AND to_state = 'succeeded' ORDER BY id DESC LIMIT 1`, id).Scan(&at)
	if isNoRows(err) {
		return time.Time{}, nil
	}
	return parseTS(at), err
}

const pinSelect = `SELECT service, env, digest, promotion_id, commit_sha, updated FROM pins`

func scanPin(r rowScanner) (*slipway.PinRecord, error) {
	var p slipway.PinRecord
	var updated string
	if err := r.Scan(&p.Service, &p.Env, &p.Digest, &p.PromotionID, &p.Commit, &updated); err != nil {
		return nil, err
	}
	p.Updated = parseTS(updated)
	return &p, nil
}

// Pin returns the record of a pin location.
func (s *PromotionStore) Pin(ctx context.Context, service, env string) (*slipway.PinRecord, error) {
	p, err := scanPin(s.db.QueryRowContext(ctx, pinSelect+` WHERE service = ? AND env = ?`, service, env))
	if isNoRows(err) {
		return nil, nil
	}
	return p, err
}

// SetPin records what a pin location holds now.
func (s *PromotionStore) SetPin(ctx context.Context, r *slipway.PinRecord) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO pins (service, env, digest, promotion_id, commit_sha, updated) VALUES (?,?,?,?,?,?)
		ON CONFLICT (service, env) DO UPDATE SET digest = excluded.digest, promotion_id = excluded.promotion_id, commit_sha = excluded.commit_sha, updated = excluded.updated`,
		r.Service, r.Env, r.Digest, r.PromotionID, r.Commit, ts(r.Updated))
	return err
}

// Pins lists every pin record.
func (s *PromotionStore) Pins(ctx context.Context) ([]*slipway.PinRecord, error) {
	return queryAll(ctx, s.DB, scanPin, pinSelect+` ORDER BY service, env`)
}

// CanaryProgress returns a promotion's canary progress.
func (s *PromotionStore) CanaryProgress(ctx context.Context, id string) (*slipway.CanaryProgress, error) {
	var c slipway.CanaryProgress
	var updated string
	err := s.db.QueryRowContext(ctx, `SELECT promotion_id, step, weight, phase, reason, updated FROM canary_progress WHERE promotion_id = ?`, id).
		Scan(&c.PromotionID, &c.Step, &c.Weight, &c.Phase, &c.Reason, &updated)
	if isNoRows(err) {
		return nil, nil
	}
	c.Updated = parseTS(updated)
	return &c, err
}

// SetCanaryProgress records a canary's progress.
func (s *PromotionStore) SetCanaryProgress(ctx context.Context, c *slipway.CanaryProgress) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO canary_progress (promotion_id, step, weight, phase, reason, updated) VALUES (?,?,?,?,?,?)
		ON CONFLICT (promotion_id) DO UPDATE SET step = excluded.step, weight = excluded.weight, phase = excluded.phase, reason = excluded.reason, updated = excluded.updated`,
		c.PromotionID, c.Step, c.Weight, c.Phase, c.Reason, ts(c.Updated))
	return err
}
