package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/slipway/slipway"
)

// The lease clock is this process's: SQLite is on one machine, so every
// process that opens it shares the clock.
var leaseNow = time.Now

// Acquire takes the named lease for owner (see slipway.LeaseStore).
func (s *LeaseStore) Acquire(ctx context.Context, name, owner string, ttl time.Duration) (*slipway.Lease, error) {
	var l *slipway.Lease
	err := s.tx(ctx, func(tx *sql.Tx) error {
		now := leaseNow().UTC()
		cur, err := scanLease(tx.QueryRowContext(ctx, `SELECT name, owner, token, expires FROM leases WHERE name = ?`, name))
		switch {
		case isNoRows(err):
			l = &slipway.Lease{Name: name, Owner: owner, Token: 1, Expires: now.Add(ttl)}
			_, err = tx.ExecContext(ctx, `INSERT INTO leases (name, owner, token, expires) VALUES (?,?,?,?)`, name, owner, l.Token, ts(l.Expires))
			return err
		case err != nil:
			return err
		case cur.Owner != owner && now.Before(cur.Expires):
			return slipway.Errorf(slipway.ECONFLICT, "%s is held by %s until %s", name, cur.Owner, cur.Expires.Format(time.RFC3339))
		}
		l = &slipway.Lease{Name: name, Owner: owner, Token: cur.Token, Expires: now.Add(ttl)}
		if cur.Owner != owner {
			l.Token++
		}
		_, err = tx.ExecContext(ctx, `UPDATE leases SET owner = ?, token = ?, expires = ? WHERE name = ?`, owner, l.Token, ts(l.Expires), name)
		return err
	})
	return l, err
}

// Renew extends owner's lease.
func (s *LeaseStore) Renew(ctx context.Context, name, owner string, ttl time.Duration) (*slipway.Lease, error) {
	var l *slipway.Lease
	err := s.tx(ctx, func(tx *sql.Tx) error {
		now := leaseNow().UTC()
		cur, err := scanLease(tx.QueryRowContext(ctx, `SELECT name, owner, token, expires FROM leases WHERE name = ?`, name))
		if isNoRows(err) || (err == nil && (cur.Owner != owner || !now.Before(cur.Expires))) {
			return slipway.Errorf(slipway.ECONFLICT, "%s: lease lost by %s", name, owner)
		}
		if err != nil {
			return err
		}
		l = &slipway.Lease{Name: name, Owner: owner, Token: cur.Token, Expires: now.Add(ttl)}
		_, err = tx.ExecContext(ctx, `UPDATE leases SET expires = ? WHERE name = ? AND owner = ?`, ts(l.Expires), name, owner)
		return err
	})
	return l, err
}

// Release gives the lease up if owner holds it.
func (s *LeaseStore) Release(ctx context.Context, name, owner string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM leases WHERE name = ? AND owner = ?`, name, owner)
	return err
}

// Leases lists the leases that have not expired.
func (s *LeaseStore) Leases(ctx context.Context) ([]slipway.Lease, error) {
	ls, err := queryAll(ctx, s.DB, scanLease, `SELECT name, owner, token, expires FROM leases ORDER BY name`)
	var live []slipway.Lease
	now := leaseNow()
	for _, l := range ls {
		if now.Before(l.Expires) {
			live = append(live, *l)
		}
	}
	return live, err
}

func scanLease(r rowScanner) (*slipway.Lease, error) {
	var l slipway.Lease
	var exp string
	if err := r.Scan(&l.Name, &l.Owner, &l.Token, &exp); err != nil {
		return nil, err
	}
	l.Expires = parseTS(exp)
	return &l, nil
}
