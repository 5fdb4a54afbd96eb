package slipway

import (
	"context"
	"time"
)

// Lease names one actor as the only one allowed to act on a thing until it
// expires: a promotion (so two CLI processes or two replicas never drive the
// same promotion) or the controller's leadership. The token grows with every
// new holder, so a holder can tell it was replaced (fencing).
type Lease struct {
	Name    string    // "promotion/p-42", "leader"
	Owner   string    // host:pid:random of the process holding it
	Token   int64     // increases each time the lease changes hands
	Expires time.Time // the holder renews before this
}

// LeaseName is the lease a promotion's driver holds.
func LeaseName(promotionID string) string { return "promotion/" + promotionID }

// LeaderLease is the lease the controller replica doing the work holds.
const LeaderLease = "leader"

// LeaseStore hands out leases. Times are the store's clock, so replicas
// with skewed clocks still agree on expiry.
type LeaseStore interface {
	// Acquire takes the named lease for owner for ttl when it is free,
	// expired, or already owner's (then it is renewed, token unchanged).
	// ECONFLICT naming the holder and expiry otherwise.
	Acquire(ctx context.Context, name, owner string, ttl time.Duration) (*Lease, error)
	// Renew extends owner's lease; ECONFLICT when owner lost it.
	Renew(ctx context.Context, name, owner string, ttl time.Duration) (*Lease, error)
	// Release gives the lease up if owner holds it (no-op otherwise).
	Release(ctx context.Context, name, owner string) error
	// Leases lists the leases that have not expired.
	Leases(ctx context.Context) ([]Lease, error)
}
