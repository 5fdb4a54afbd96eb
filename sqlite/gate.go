package sqlite

import (
	"context"

	"github.com/slipway/slipway"
)

// AddApproval records an approval or rejection.
func (s *GateStore) AddApproval(ctx context.Context, a *slipway.Approval) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO approvals (promotion_id, user, identity, digest, approve, comment, at) VALUES (?,?,?,?,?,?,?)`,
		a.PromotionID, a.User, slipway.NormalizeIdentity(a.User), a.Digest, a.Approve, a.Comment, ts(a.At))
	if isUnique(err) {
		return slipway.Errorf(slipway.ECONFLICT, "%s already decided on promotion %s; approvals must come from distinct people", a.User, a.PromotionID)
	}
	return err
}

// Approvals lists a promotion's approvals and rejections, oldest first.
func (s *GateStore) Approvals(ctx context.Context, promotionID string) ([]slipway.Approval, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT promotion_id, user, digest, approve, comment, at FROM approvals WHERE promotion_id = ? ORDER BY id`, promotionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []slipway.Approval
	for rows.Next() {
		var a slipway.Approval
		var at string
		if err := rows.Scan(&a.PromotionID, &a.User, &a.Digest, &a.Approve, &a.Comment, &at); err != nil {
			return nil, err
		}
		a.At = parseTS(at)
		out = append(out, a)
	}
	return out, rows.Err()
}

// AddVerification records a check result.
func (s *GateStore) AddVerification(ctx context.Context, v *slipway.Verification) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO verifications (service, env, check_name, digest, passed, url, at) VALUES (?,?,?,?,?,?,?)`,
		v.Service, v.Env, v.Check, v.Digest, v.Passed, v.URL, ts(v.At))
	return err
}

// Verifications lists the results reported for a digest in an environment, oldest first.
func (s *GateStore) Verifications(ctx context.Context, service, env, digest string) ([]slipway.Verification, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT service, env, check_name, digest, passed, url, at FROM verifications WHERE service = ? AND env = ? AND digest = ? ORDER BY id`, service, env, digest)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []slipway.Verification
	for rows.Next() {
		var v slipway.Verification
		var at string
		if err := rows.Scan(&v.Service, &v.Env, &v.Check, &v.Digest, &v.Passed, &v.URL, &at); err != nil {
			return nil, err
		}
		v.At = parseTS(at)
		out = append(out, v)
	}
	return out, rows.Err()
}
