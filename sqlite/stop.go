package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/slipway/slipway"
)

// AddStop turns a stop-the-line switch on for env ("" for every
// environment); a switch already on for env is kept (no-op).
func (s *GateStore) AddStop(ctx context.Context, st *slipway.Stop) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT id FROM stops WHERE env = ? AND lifted IS NULL`, st.Env).Scan(&st.ID)
		if err == nil {
			return nil
		}
		if !isNoRows(err) {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO stops (env, by_user, reason, since) VALUES (?,?,?,?)`, st.Env, st.By, st.Reason, ts(st.Since))
		if err != nil {
			return err
		}
		st.ID, err = res.LastInsertId()
		return err
	})
}

// LiftStop turns the switch for env off.
func (s *GateStore) LiftStop(ctx context.Context, env, by string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE stops SET lifted = ?, lifted_by = ? WHERE env = ? AND lifted IS NULL`, ts(at), by, env)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
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
	rows, err := s.db.QueryContext(ctx, `SELECT id, env, by_user, reason, since FROM stops WHERE lifted IS NULL ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []slipway.Stop
	for rows.Next() {
		var st slipway.Stop
		var since string
		if err := rows.Scan(&st.ID, &st.Env, &st.By, &st.Reason, &since); err != nil {
			return nil, err
		}
		st.Since = parseTS(since)
		out = append(out, st)
	}
	return out, rows.Err()
}

// AddOverride records a break-glass override of a promotion.
func (s *GateStore) AddOverride(ctx context.Context, o *slipway.Override) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO overrides (promotion_id, user, digest, reason, at) VALUES (?,?,?,?,?)`, o.PromotionID, o.User, o.Digest, o.Reason, ts(o.At))
	return err
}

// Override returns the newest override of a promotion, or nil.
func (s *GateStore) Override(ctx context.Context, promotionID string) (*slipway.Override, error) {
	var o slipway.Override
	var at string
	err := s.db.QueryRowContext(ctx, `SELECT promotion_id, user, digest, reason, at FROM overrides WHERE promotion_id = ? ORDER BY id DESC LIMIT 1`, promotionID).Scan(&o.PromotionID, &o.User, &o.Digest, &o.Reason, &at)
	if isNoRows(err) {
		return nil, nil
	}
	o.At = parseTS(at)
	return &o, err
}
