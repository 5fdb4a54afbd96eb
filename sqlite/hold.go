package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/slipway/slipway"
)

// AddHold holds a digest; holding an already-held digest is a no-op.
func (s *HoldStore) AddHold(ctx context.Context, h *slipway.Hold) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT id FROM holds WHERE service = ? AND digest = ? AND released IS NULL`, h.Service, h.Digest).Scan(&h.ID)
		if err == nil {
			return nil
		}
		if !isNoRows(err) {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO holds (service, digest, reason, by_user, created) VALUES (?,?,?,?,?)`, h.Service, h.Digest, h.Reason, h.By, ts(h.Created))
		if err != nil {
			return err
		}
		h.ID, err = res.LastInsertId()
		return err
	})
}

// ReleaseHold lifts the active hold on a digest.
func (s *HoldStore) ReleaseHold(ctx context.Context, service, digest string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE holds SET released = ? WHERE service = ? AND digest = ? AND released IS NULL`, ts(at), service, digest)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("no active hold on %s of service %s: see `slipway hold list`", digest, service)
	}
	return nil
}

// Holds lists holds (only active ones unless all).
func (s *HoldStore) Holds(ctx context.Context, service string, all bool) ([]slipway.Hold, error) {
	q := `SELECT id, service, digest, reason, by_user, created, released FROM holds WHERE (? = '' OR service = ?)`
	if !all {
		q += ` AND released IS NULL`
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY id`, service, service)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []slipway.Hold
	for rows.Next() {
		var h slipway.Hold
		var created string
		var released sql.NullString
		if err := rows.Scan(&h.ID, &h.Service, &h.Digest, &h.Reason, &h.By, &created, &released); err != nil {
			return nil, err
		}
		h.Created = parseTS(created)
		if released.Valid {
			t := parseTS(released.String)
			h.Released = &t
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// ActiveHold returns the active hold on a digest, or nil.
func (s *HoldStore) ActiveHold(ctx context.Context, service, digest string) (*slipway.Hold, error) {
	hs, err := s.Holds(ctx, service, false)
	if err != nil {
		return nil, err
	}
	for i := range hs {
		if hs[i].Digest == digest {
			return &hs[i], nil
		}
	}
	return nil, nil
}
