package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/internal/storesql"
)

const promotionSelect = `SELECT id, service, env, build_id, digest, release, requester, expedited, state, reason, pin_commit, pr, branch, head, revert, created, updated FROM promotions`

func scanPromotion(r rowScanner) (*slipway.Promotion, error) {
	var p slipway.Promotion
	var state string
	if err := r.Scan(&p.ID, &p.Service, &p.Env, &p.BuildID, &p.Digest, &p.Release, &p.Requester, &p.Expedited, &state, &p.Reason, &p.PinCommit, &p.PR, &p.Branch, &p.Head, &p.Revert, &p.Created, &p.Updated); err != nil {
		return nil, err
	}
	p.State = slipway.PromotionState(state)
	p.Created, p.Updated = utc(p.Created), utc(p.Updated)
	return &p, nil
}

// activeStates: see storesql.ActiveStates.
var activeStates = storesql.ActiveStates

// createAttempts bounds how often CreatePromotion starts over after losing a
// race the unique index caught; each retry sees the winner's row.
const createAttempts = 5

// CreatePromotion stores p as the one active promotion of its pin location,
// superseding the active one when allowed (see slipway.PromotionStore).
//
// The guarantee is the partial unique index promotions_one_active: under
// READ COMMITTED two requests could both find no active row, and the second
// insert then waits for the first to commit and fails (23505). So that
// concurrent requests queue instead of failing, each first takes a
// transaction advisory lock on its pin location: the next one in line reads
// after the previous one committed and sees its row. The active row is read
// FOR UPDATE so the engine cannot move it between this read and its
// supersession. Should the index still catch a race (a writer that does not
// take the lock), the request starts over, and only after createAttempts
// such losses returns ECONFLICT "... at the same moment: retry".
func (s *PromotionStore) CreatePromotion(ctx context.Context, p *slipway.Promotion, supersede bool) ([]*slipway.Promotion, error) {
	for attempt := 1; ; attempt++ {
		superseded, err := s.createOnce(ctx, p, supersede)
		if !isUnique(err) {
			return superseded, err
		}
		if attempt == createAttempts {
			return nil, slipway.Errorf(slipway.ECONFLICT, "another promotion of %s to %s became active at the same moment: retry", p.Service, p.Env)
		}
	}
}

func (s *PromotionStore) createOnce(ctx context.Context, p *slipway.Promotion, supersede bool) ([]*slipway.Promotion, error) {
	var superseded []*slipway.Promotion
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey("pin/"+p.Service+"\x00"+p.Env)); err != nil {
			return err
		}
		active, err := scanPromotion(tx.QueryRow(ctx, promotionSelect+` WHERE service = $1 AND env = $2 AND state IN `+activeStates+` FOR UPDATE`, p.Service, p.Env))
		switch {
		case isNoRows(err):
		case err != nil:
			return err
		case !supersede || !active.State.Supersedable():
			return activeConflict(active)
		default:
			if err := transition(ctx, tx, active, slipway.StateSuperseded, "superseded by a newer request", p.Created); err != nil {
				return err
			}
			superseded = append(superseded, active)
		}
		var id string
		err = tx.QueryRow(ctx, `INSERT INTO promotions (service, env, build_id, digest, release, requester, expedited, state, reason, pin_commit, pr, branch, head, revert, created, updated)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$15) RETURNING id`,
			p.Service, p.Env, p.BuildID, p.Digest, p.Release, p.Requester, p.Expedited, string(p.State), p.Reason, p.PinCommit, p.PR, p.Branch, p.Head, p.Revert, p.Created).Scan(&id)
		if err != nil {
			if _, ok := violated(err, foreignKeyViolation); ok {
				return notFound("build %q not found: register it with `slipway build register` first", p.BuildID)
			}
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO transitions (promotion_id, from_state, to_state, reason, at) VALUES ($1,'',$2,$3,$4)`,
			id, string(p.State), p.Reason, p.Created); err != nil {
			return err
		}
		p.ID, p.Updated = id, p.Created
		return nil
	})
	if err != nil {
		return nil, err // the transaction rolled back: nothing was superseded
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
	p, err := scanPromotion(s.pool.QueryRow(ctx, promotionSelect+` WHERE id = $1`, id))
	if isNoRows(err) {
		return nil, notFound("promotion %q not found: list them with `slipway promotions`", id)
	}
	return p, err
}

// Promotions lists promotions, oldest first.
func (s *PromotionStore) Promotions(ctx context.Context, f slipway.PromotionFilter) ([]*slipway.Promotion, error) {
	q, args := promotionQuery(f, 0)
	return queryAll(ctx, s.pool, scanPromotion, q+` ORDER BY seq`, args...)
}

// Transition moves p to state to if p is still in the state the caller read.
func (s *PromotionStore) Transition(ctx context.Context, p *slipway.Promotion, to slipway.PromotionState, reason string, at time.Time) error {
	if !slipway.CanTransition(p.State, to) {
		return slipway.Errorf(slipway.ECONFLICT, "promotion %s cannot go from %s to %s", p.ID, p.State, to)
	}
	return s.tx(ctx, func(tx pgx.Tx) error { return transition(ctx, tx, p, to, reason, at) })
}

// transition is a compare-and-set on the state: a concurrent writer of the
// same row makes this UPDATE wait, and READ COMMITTED then re-checks
// "state = the state read" on the committed row, so exactly one wins.
func transition(ctx context.Context, tx pgx.Tx, p *slipway.Promotion, to slipway.PromotionState, reason string, at time.Time) error {
	tag, err := tx.Exec(ctx, `UPDATE promotions SET state = $1, reason = $2, pin_commit = $3, pr = $4, branch = $5, head = $6, revert = $7, updated = $8 WHERE id = $9 AND state = $10`,
		string(to), reason, p.PinCommit, p.PR, p.Branch, p.Head, p.Revert, at, p.ID, string(p.State))
	if err != nil {
		return err
	}
	if tag.RowsAffected() != 1 {
		return changedUnderUs(ctx, tx, p)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO transitions (promotion_id, from_state, to_state, reason, at) VALUES ($1,$2,$3,$4,$5)`,
		p.ID, string(p.State), string(to), reason, at); err != nil {
		return err
	}
	p.State, p.Reason, p.Updated = to, reason, at
	return nil
}

func changedUnderUs(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, p *slipway.Promotion) error {
	var now string
	err := q.QueryRow(ctx, `SELECT state FROM promotions WHERE id = $1`, p.ID).Scan(&now)
	if isNoRows(err) {
		return notFound("promotion %q not found: list them with `slipway promotions`", p.ID)
	}
	if err != nil {
		return err
	}
	return slipway.Errorf(slipway.ECONFLICT, "promotion %s changed under us: it is %s now, not %s", p.ID, now, p.State)
}

// Update stores the non-state fields of p if it is still in the state read.
func (s *PromotionStore) Update(ctx context.Context, p *slipway.Promotion, at time.Time) error {
	n, err := s.exec(ctx, `UPDATE promotions SET reason = $1, pin_commit = $2, pr = $3, branch = $4, head = $5, revert = $6, updated = $7 WHERE id = $8 AND state = $9`,
		p.Reason, p.PinCommit, p.PR, p.Branch, p.Head, p.Revert, at, p.ID, string(p.State))
	if err != nil {
		return err
	}
	if n != 1 {
		return changedUnderUs(ctx, s.pool, p)
	}
	p.Updated = at
	return nil
}

// History lists a promotion's transitions, oldest first.
func (s *PromotionStore) History(ctx context.Context, id string) ([]slipway.Transition, error) {
	return queryAll(ctx, s.pool, func(r rowScanner) (slipway.Transition, error) {
		var t slipway.Transition
		var from, to string
		err := r.Scan(&t.Seq, &t.PromotionID, &from, &to, &t.Reason, &t.At)
		t.From, t.To, t.At = slipway.PromotionState(from), slipway.PromotionState(to), utc(t.At)
		return t, err
	}, `SELECT id, promotion_id, from_state, to_state, reason, at FROM transitions WHERE promotion_id = $1 ORDER BY id`, id)
}

// Current returns the newest succeeded promotion of service into env.
func (s *PromotionStore) Current(ctx context.Context, service, env string) (*slipway.Promotion, error) {
	p, err := scanPromotion(s.pool.QueryRow(ctx, promotionSelect+` WHERE service = $1 AND env = $2 AND state = 'succeeded' ORDER BY seq DESC LIMIT 1`, service, env))
	if isNoRows(err) {
		return nil, nil
	}
	return p, err
}

// SucceededAt is when p reached the succeeded state (its soak clock start).
func (s *PromotionStore) SucceededAt(ctx context.Context, id string) (time.Time, error) {
	var at time.Time
	err := s.pool.QueryRow(ctx, `SELECT at FROM transitions WHERE promotion_id = $1 AND to_state = 'succeeded' ORDER BY id DESC LIMIT 1`, id).Scan(&at)
	if isNoRows(err) {
		return time.Time{}, nil
	}
	return utc(at), err
}

const pinSelect = `SELECT service, env, digest, promotion_id, commit_sha, updated FROM pins`

func scanPin(r rowScanner) (*slipway.PinRecord, error) {
	var p slipway.PinRecord
	if err := r.Scan(&p.Service, &p.Env, &p.Digest, &p.PromotionID, &p.Commit, &p.Updated); err != nil {
		return nil, err
	}
	p.Updated = utc(p.Updated)
	return &p, nil
}

// Pin returns the record of a pin location.
func (s *PromotionStore) Pin(ctx context.Context, service, env string) (*slipway.PinRecord, error) {
	p, err := scanPin(s.pool.QueryRow(ctx, pinSelect+` WHERE service = $1 AND env = $2`, service, env))
	if isNoRows(err) {
		return nil, nil
	}
	return p, err
}

// SetPin records what a pin location holds now.
func (s *PromotionStore) SetPin(ctx context.Context, r *slipway.PinRecord) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO pins (service, env, digest, promotion_id, commit_sha, updated) VALUES ($1,$2,$3,$4,$5,$6)
		ON CONFLICT (service, env) DO UPDATE SET digest = excluded.digest, promotion_id = excluded.promotion_id, commit_sha = excluded.commit_sha, updated = excluded.updated`,
		r.Service, r.Env, r.Digest, r.PromotionID, r.Commit, r.Updated)
	return err
}

// Pins lists every pin record.
func (s *PromotionStore) Pins(ctx context.Context) ([]*slipway.PinRecord, error) {
	return queryAll(ctx, s.pool, scanPin, pinSelect+` ORDER BY service, env`)
}

// CanaryProgress returns a promotion's canary progress.
func (s *PromotionStore) CanaryProgress(ctx context.Context, id string) (*slipway.CanaryProgress, error) {
	var c slipway.CanaryProgress
	err := s.pool.QueryRow(ctx, `SELECT promotion_id, step, weight, phase, reason, updated FROM canary_progress WHERE promotion_id = $1`, id).
		Scan(&c.PromotionID, &c.Step, &c.Weight, &c.Phase, &c.Reason, &c.Updated)
	if isNoRows(err) {
		return nil, nil
	}
	c.Updated = utc(c.Updated)
	return &c, err
}

// SetCanaryProgress records a canary's progress.
func (s *PromotionStore) SetCanaryProgress(ctx context.Context, c *slipway.CanaryProgress) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO canary_progress (promotion_id, step, weight, phase, reason, updated) VALUES ($1,$2,$3,$4,$5,$6)
		ON CONFLICT (promotion_id) DO UPDATE SET step = excluded.step, weight = excluded.weight, phase = excluded.phase, reason = excluded.reason, updated = excluded.updated`,
		c.PromotionID, c.Step, c.Weight, c.Phase, c.Reason, c.Updated)
	return noPromotion(err, c.PromotionID)
}
