package slipway

import (
	"context"
	"strings"
	"time"
)

// Approval is a person's decision on a promotion, bound to the digest: an
// approval of another digest does not count.
type Approval struct {
	PromotionID string
	User        string
	Digest      string
	Approve     bool // false: a rejection, which blocks
	Comment     string
	At          time.Time
}

// Verification is a check result (e2e, load, soak, …) reported for a digest in
// an environment. The newest result per (service, env, check, digest) counts.
type Verification struct {
	Service string
	Env     string
	Check   string
	Digest  string
	Passed  bool
	URL     string
	At      time.Time
}

// Hold keeps a digest of a service from being promoted (automatically or by
// hand) until it is released. Rollbacks and aborts create them.
type Hold struct {
	ID       int64
	Service  string
	Digest   string
	Reason   string
	By       string
	Created  time.Time
	Released *time.Time
}

// Stop is a stop-the-line switch: while on, no promotion into Env (every
// environment when Env is "") proceeds.
type Stop struct {
	ID     int64
	Env    string
	By     string
	Reason string
	Since  time.Time
}

// Override is a break-glass override: a person with the override permission
// lets one promotion through its sync windows and stop switches (never its
// approvals, checks or soak), with a written reason that is audited.
type Override struct {
	PromotionID string
	User        string
	Digest      string
	Reason      string
	At          time.Time
}

// GateStore persists what gates decide on: approvals, verifications, stop
// switches and break-glass overrides.
type GateStore interface {
	// AddApproval records an approval or rejection. A second decision by the
	// same normalized identity (NormalizeIdentity) on the same promotion is
	// ECONFLICT, enforced by a unique constraint, not a prior read.
	AddApproval(ctx context.Context, a *Approval) error
	// Approvals lists a promotion's approvals and rejections, oldest first.
	Approvals(ctx context.Context, promotionID string) ([]Approval, error)
	// AddVerification records a check result.
	AddVerification(ctx context.Context, v *Verification) error
	// Verifications lists the results reported for a digest in an
	// environment, oldest first.
	Verifications(ctx context.Context, service, env, digest string) ([]Verification, error)
	// AddStop turns a stop switch on for st.Env; one already on is kept.
	AddStop(ctx context.Context, st *Stop) error
	// LiftStop turns the switch for env off; ENOTFOUND when none is on.
	LiftStop(ctx context.Context, env, by string, at time.Time) error
	// Stops lists the switches that are on.
	Stops(ctx context.Context) ([]Stop, error)
	// AddOverride records a break-glass override.
	AddOverride(ctx context.Context, o *Override) error
	// Override returns the newest override of a promotion (nil, nil if none).
	Override(ctx context.Context, promotionID string) (*Override, error)
}

// HoldStore persists holds.
type HoldStore interface {
	// AddHold holds a digest; holding an already-held digest is a no-op
	// (h.ID is set to the existing hold).
	AddHold(ctx context.Context, h *Hold) error
	// ReleaseHold lifts the active hold on a digest; ENOTFOUND when none.
	ReleaseHold(ctx context.Context, service, digest string, at time.Time) error
	// Holds lists holds of a service ("" for all), only active ones unless all.
	Holds(ctx context.Context, service string, all bool) ([]Hold, error)
	// ActiveHold returns the active hold on a digest (nil, nil if none).
	ActiveHold(ctx context.Context, service, digest string) (*Hold, error)
}

// NormalizeIdentity is the key under which a person decides once: the
// email inside "Name <email>" (or the whole string), trimmed and lowercased.
func NormalizeIdentity(s string) string {
	s = strings.TrimSpace(s)
	if i, j := strings.LastIndex(s, "<"), strings.LastIndex(s, ">"); i >= 0 && j > i {
		s = strings.TrimSpace(s[i+1 : j])
	}
	return strings.ToLower(s)
}
