// Package gate decides the gates of one promotion — stop-the-line switches,
// sync windows, approvals, required verifications and soak — from data the
// caller reads from the store. It is pure: no I/O, time passed in, so the
// same input always gives the same answer (and the 3 a.m. `slipway why`
// explains exactly what the engine decided).
package gate

import (
	"time"

	"github.com/slipway/slipway/window"
)

// State is a gate's verdict.
type State string

const (
	// Pass: the gate lets the promotion through.
	Pass State = "pass"
	// Wait: the gate holds the promotion until time passes or someone acts
	// (approves, reports a result, lifts a stop). A waiting promotion is not
	// failed.
	Wait State = "wait"
	// Fail: the gate refuses this digest (a rejection, a failed check) until
	// something new happens (a new digest, a newer passing result).
	Fail State = "fail"
)

// Result is one gate's verdict in words a person on call can act on.
type Result struct {
	Name   string `json:"name"`
	State  State  `json:"state"`
	Reason string `json:"reason"`
	// Since is when the gate entered this state, when known.
	Since *time.Time `json:"since"`
	// NextChange is when the gate will change on its own (a window opens,
	// soak ends, an approval expires); nil when only a person can change it.
	NextChange *time.Time `json:"nextChange"`
}

// Evaluation is every gate of one promotion.
type Evaluation struct {
	Service string   `json:"service,omitempty"`
	Env     string   `json:"env"`
	Digest  string   `json:"digest"`
	Gates   []Result `json:"gates"`
	// Open is true when every gate passes.
	Open bool `json:"open"`
	// Overridden is set when a break-glass override let the promotion
	// through a window or a stop: the caller records it in the audit log and
	// notifies.
	Overridden *Override `json:"overridden,omitempty"`
	// Notes are remarks that are not gates (an override that was ignored).
	Notes []string `json:"notes,omitempty"`
}

// NextChange is the earliest instant at which a gate that holds the
// promotion changes on its own, or nil.
func (e *Evaluation) NextChange() *time.Time {
	var best *time.Time
	for _, g := range e.Gates {
		if g.State != Pass && g.NextChange != nil && (best == nil || g.NextChange.Before(*best)) {
			best = g.NextChange
		}
	}
	return best
}

// Input is everything the gates of one promotion depend on. The caller maps
// store rows and configuration into it.
type Input struct {
	Service string
	// Env is the environment promoted into; SourceEnv the one the digest
	// soaks in (usually the previous environment).
	Env, SourceEnv string
	Digest         string
	// Requester started the promotion ("" for an automatic promotion).
	Requester string
	// RequestedAt is when the promotion was created (the start of waiting).
	RequestedAt time.Time
	// People are the authors, committers and co-authors (Co-authored-by) of
	// the commits in the release, as user names or emails. With Requester
	// they are "self" for approvals.
	People []string
	Policy Policy
	// Approvals are the decisions recorded on this promotion, any digest.
	Approvals []Approval
	// Verifications are the results reported for the service in SourceEnv,
	// any digest.
	Verifications []Verification
	// PinnedAt is when Digest was last pinned in SourceEnv (a re-pin restarts
	// it); nil when the digest is not there.
	PinnedAt *time.Time
	// Stops are the stop-the-line switches currently on (global or any env).
	Stops []Stop
	// Override is a break-glass override recorded for this promotion, if any.
	Override *Override
	// Manual is true when a person started the promotion (sync windows'
	// manualSync applies); OperationStartedAt is set when the promotion's
	// sync is already running (syncOverrun applies).
	Manual             bool
	OperationStartedAt *time.Time
	Now                time.Time
}

// Policy is the environment's gate configuration.
type Policy struct {
	Approvals ApprovalPolicy
	// RequiredChecks are verifications (e2e, load, …) that must pass for the
	// digest in SourceEnv.
	RequiredChecks []string
	// Soak is how long the digest must have occupied SourceEnv
	// continuously; 0 for none.
	Soak time.Duration
	// Windows are the sync windows of the project (nil for none); Target is
	// what they match (service → application, env → namespace/cluster).
	Windows *window.Set
	Target  window.Target
}

// ApprovalPolicy is `approvals: {required, groups, allowSelfApproval, expiresAfter}`.
type ApprovalPolicy struct {
	Required int
	// Groups, when set, are the groups whose members' approvals count.
	Groups            []string
	AllowSelfApproval bool
	// ExpiresAfter voids an approval that old; 0 for never.
	ExpiresAfter time.Duration
}

// Approval is one person's decision on the promotion.
type Approval struct {
	User string
	// Aliases are the user's other identities (emails) for the self check.
	Aliases []string
	// Groups the user belongs to, when the decision was made.
	Groups []string
	// Digest the decision was made for: another digest voids it.
	Digest  string
	Approve bool // false: a rejection, which fails the gate
	Comment string
	At      time.Time
}

// Verification is a check result reported for a digest.
type Verification struct {
	Check  string
	Passed bool
	Digest string
	At     time.Time
	URL    string
}

// Stop is a stop-the-line switch: it blocks every promotion (Env "") or
// every promotion into one environment until lifted.
type Stop struct {
	Env    string
	By     string
	Reason string
	Since  time.Time
}

// Override is a break-glass override: it lets the promotion of Digest
// through sync windows and stop-the-line switches (never approvals, checks
// or soak). It counts only with the `override` permission and a written
// reason.
type Override struct {
	User string `json:"user"`
	// Permitted: the caller checked that User holds the override permission.
	Permitted bool      `json:"-"`
	Reason    string    `json:"reason"`
	Digest    string    `json:"digest"`
	At        time.Time `json:"at"`
}
