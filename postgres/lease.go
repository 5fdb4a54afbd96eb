package postgres

import (
	"context"
	"time"

	"github.com/slipway/slipway"
)

// Leases run on the database's clock (clock_timestamp(), the real time of
// each statement, not the transaction's start): replicas whose own clocks
// disagree still agree on who holds a lease and until when. Each operation
// is one statement, so it is atomic on its row without a transaction.

// Acquire takes the named lease for owner (see slipway.LeaseStore). Two
// replicas racing for a free lease meet on the primary key: the second
// waits for the first and then sees a live lease it does not own.
func (s *LeaseStore) Acquire(ctx context.Context, name, owner string, ttl time.Duration) (*slipway.Lease, error) {
	l := slipway.Lease{Name: name, Owner: owner}
	err := s.pool.QueryRow(ctx, `INSERT INTO leases AS l (name, owner, token, expires) VALUES ($1, $2, 1, clock_timestamp() + $3 * interval '1 microsecond')
		ON CONFLICT (name) DO UPDATE SET
		  owner = excluded.owner,
		  token = CASE WHEN l.owner = excluded.owner THEN l.token ELSE l.token + 1 END,
		  expires = excluded.expires
		WHERE l.owner = excluded.owner OR l.expires <= clock_timestamp()
		RETURNING token, expires`, name, owner, ttl.Microseconds()).Scan(&l.Token, &l.Expires)
	if isNoRows(err) {
		return nil, s.held(ctx, name)
	}
	if err != nil {
		return nil, err
	}
	l.Expires = utc(l.Expires)
	return &l, nil
}

// held is the refusal naming who holds a lease.
func (s *LeaseStore) held(ctx context.Context, name string) error {
	var owner string
	var expires time.Time
	if err := s.pool.QueryRow(ctx, `SELECT owner, expires FROM leases WHERE name = $1`, name).Scan(&owner, &expires); err != nil {
		return err
	}
	return slipway.Errorf(slipway.ECONFLICT, "%s is held by %s until %s", name, owner, utc(expires).Format(time.RFC3339))
}

// Renew extends owner's lease while it is still live.
func (s *LeaseStore) Renew(ctx context.Context, name, owner string, ttl time.Duration) (*slipway.Lease, error) {
	l := slipway.Lease{Name: name, Owner: owner}
	err := s.pool.QueryRow(ctx, `UPDATE leases SET expires = clock_timestamp() + $3 * interval '1 microsecond'
		WHERE name = $1 AND owner = $2 AND expires > clock_timestamp() RETURNING token, expires`, name, owner, ttl.Microseconds()).Scan(&l.Token, &l.Expires)
	if isNoRows(err) {
		return nil, slipway.Errorf(slipway.ECONFLICT, "%s: lease lost by %s", name, owner)
	}
	if err != nil {
		return nil, err
	}
	l.Expires = utc(l.Expires)
	return &l, nil
}

// Release gives the lease up if owner holds it. The row stays, expired, so
// the next holder's token is still higher than every earlier one (fencing
// holds across a release, not only across an expiry).
func (s *LeaseStore) Release(ctx context.Context, name, owner string) error {
	_, err := s.pool.Exec(ctx, `UPDATE leases SET expires = least(expires, clock_timestamp()) WHERE name = $1 AND owner = $2`, name, owner)
	return err
}

// Leases lists the leases that have not expired.
func (s *LeaseStore) Leases(ctx context.Context) ([]slipway.Lease, error) {
	return queryAll(ctx, s.pool, func(r rowScanner) (slipway.Lease, error) {
		var l slipway.Lease
		err := r.Scan(&l.Name, &l.Owner, &l.Token, &l.Expires)
		l.Expires = utc(l.Expires)
		return l, err
	}, `SELECT name, owner, token, expires FROM leases WHERE expires > clock_timestamp() ORDER BY name`)
}
