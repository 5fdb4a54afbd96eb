package postgres

import (
	"context"
	"time"

	"github.com/slipway/slipway"
)

// AddHold holds a digest; holding an already-held digest is a no-op (h.ID
// is set to the existing hold). The partial unique index holds_one_active
// keeps two concurrent calls from making two active holds.
func (s *HoldStore) AddHold(ctx context.Context, h *slipway.Hold) error {
	err := s.pool.QueryRow(ctx, `INSERT INTO holds (service, digest, reason, by_user, created) VALUES ($1,$2,$3,$4,$5)
		ON CONFLICT (service, digest) WHERE released IS NULL DO NOTHING RETURNING id`, h.Service, h.Digest, h.Reason, h.By, h.Created).Scan(&h.ID)
	if isNoRows(err) {
		return s.pool.QueryRow(ctx, `SELECT id FROM holds WHERE service = $1 AND digest = $2 AND released IS NULL`, h.Service, h.Digest).Scan(&h.ID)
	}
	return err
}

// ReleaseHold lifts the active hold on a digest.
func (s *HoldStore) ReleaseHold(ctx context.Context, service, digest string, at time.Time) error {
	n, err := s.exec(ctx, `UPDATE holds SET released = $1 WHERE service = $2 AND digest = $3 AND released IS NULL`, at, service, digest)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("no active hold on %s of service %s: see `slipway hold list`", digest, service)
	}
	return nil
}

const holdSelect = `SELECT id, service, digest, reason, by_user, created, released FROM holds`

func scanHold(r rowScanner) (slipway.Hold, error) {
	var h slipway.Hold
	err := r.Scan(&h.ID, &h.Service, &h.Digest, &h.Reason, &h.By, &h.Created, &h.Released)
	h.Created, h.Released = utc(h.Created), utcPtr(h.Released)
	return h, err
}

// Holds lists holds (only active ones unless all).
func (s *HoldStore) Holds(ctx context.Context, service string, all bool) ([]slipway.Hold, error) {
	return queryAll(ctx, s.pool, scanHold, holdSelect+` WHERE ($1 = '' OR service = $1) AND ($2 OR released IS NULL) ORDER BY id`, service, all)
}

// ActiveHold returns the active hold on a digest, or nil.
func (s *HoldStore) ActiveHold(ctx context.Context, service, digest string) (*slipway.Hold, error) {
	h, err := scanHold(s.pool.QueryRow(ctx, holdSelect+` WHERE service = $1 AND digest = $2 AND released IS NULL`, service, digest))
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &h, nil
}
