package postgres

import (
	"context"
	"time"

	"github.com/slipway/slipway"
)

// AddApproval records an approval or rejection. The unique index
// approvals_one_per_person refuses a second decision by the same
// normalized identity, concurrent ones included: the second insert waits
// for the first to commit and then fails.
func (s *GateStore) AddApproval(ctx context.Context, a *slipway.Approval) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO approvals (promotion_id, "user", identity, digest, approve, comment, at) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
		a.PromotionID, a.User, slipway.NormalizeIdentity(a.User), a.Digest, a.Approve, a.Comment, a.At)
	if c, ok := violated(err, uniqueViolation); ok && c == "approvals_one_per_person" {
		return slipway.Errorf(slipway.ECONFLICT, "%s already decided on promotion %s; approvals must come from distinct people", a.User, a.PromotionID)
	}
	return noPromotion(err, a.PromotionID)
}

// Approvals lists a promotion's approvals and rejections, oldest first.
func (s *GateStore) Approvals(ctx context.Context, promotionID string) ([]slipway.Approval, error) {
	return queryAll(ctx, s.pool, func(r rowScanner) (slipway.Approval, error) {
		var a slipway.Approval
		err := r.Scan(&a.PromotionID, &a.User, &a.Digest, &a.Approve, &a.Comment, &a.At)
		a.At = utc(a.At)
		return a, err
	}, `SELECT promotion_id, "user", digest, approve, comment, at FROM approvals WHERE promotion_id = $1 ORDER BY id`, promotionID)
}

// AddVerification records a check result.
func (s *GateStore) AddVerification(ctx context.Context, v *slipway.Verification) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO verifications (service, env, check_name, digest, passed, url, at) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
		v.Service, v.Env, v.Check, v.Digest, v.Passed, v.URL, v.At)
	return err
}

// Verifications lists the results reported for a digest in an environment, oldest first.
func (s *GateStore) Verifications(ctx context.Context, service, env, digest string) ([]slipway.Verification, error) {
	return queryAll(ctx, s.pool, func(r rowScanner) (slipway.Verification, error) {
		var v slipway.Verification
		err := r.Scan(&v.Service, &v.Env, &v.Check, &v.Digest, &v.Passed, &v.URL, &v.At)
		v.At = utc(v.At)
		return v, err
	}, `SELECT service, env, check_name, digest, passed, url, at FROM verifications WHERE service = $1 AND env = $2 AND digest = $3 ORDER BY id`, service, env, digest)
}

// AddStop turns a stop-the-line switch on for env ("" for every
// environment); a switch already on for env is kept (no-op, st.ID set to
// it). The partial unique index stops_one_on keeps two concurrent calls
// from turning on two switches.
func (s *GateStore) AddStop(ctx context.Context, st *slipway.Stop) error {
	err := s.pool.QueryRow(ctx, `INSERT INTO stops (env, by_user, reason, since) VALUES ($1,$2,$3,$4)
		ON CONFLICT (env) WHERE lifted IS NULL DO NOTHING RETURNING id`, st.Env, st.By, st.Reason, st.Since).Scan(&st.ID)
	if isNoRows(err) {
		return s.pool.QueryRow(ctx, `SELECT id FROM stops WHERE env = $1 AND lifted IS NULL`, st.Env).Scan(&st.ID)
	}
	return err
}

// LiftStop turns the switch for env off.
func (s *GateStore) LiftStop(ctx context.Context, env, by string, at time.Time) error {
	n, err := s.exec(ctx, `UPDATE stops SET lifted = $1, lifted_by = $2 WHERE env = $3 AND lifted IS NULL`, at, by, env)
	if err != nil {
		return err
	}
	if n == 0 {
		where := "every environment"
		if env != "" {
			where = env
		}
		return notFound("the line is not stopped for %s: see `slipway stop list`", where)
	}
	return nil
}

// Stops lists the switches that are on.
func (s *GateStore) Stops(ctx context.Context) ([]slipway.Stop, error) {
	return queryAll(ctx, s.pool, func(r rowScanner) (slipway.Stop, error) {
		var st slipway.Stop
		err := r.Scan(&st.ID, &st.Env, &st.By, &st.Reason, &st.Since)
		st.Since = utc(st.Since)
		return st, err
	}, `SELECT id, env, by_user, reason, since FROM stops WHERE lifted IS NULL ORDER BY id`)
}

// AddOverride records a break-glass override of a promotion.
func (s *GateStore) AddOverride(ctx context.Context, o *slipway.Override) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO overrides (promotion_id, "user", digest, reason, at) VALUES ($1,$2,$3,$4,$5)`, o.PromotionID, o.User, o.Digest, o.Reason, o.At)
	return noPromotion(err, o.PromotionID)
}

// Override returns the newest override of a promotion, or nil.
func (s *GateStore) Override(ctx context.Context, promotionID string) (*slipway.Override, error) {
	var o slipway.Override
	err := s.pool.QueryRow(ctx, `SELECT promotion_id, "user", digest, reason, at FROM overrides WHERE promotion_id = $1 ORDER BY id DESC LIMIT 1`, promotionID).
		Scan(&o.PromotionID, &o.User, &o.Digest, &o.Reason, &o.At)
	if isNoRows(err) {
		return nil, nil
	}
	o.At = utc(o.At)
	return &o, err
}
