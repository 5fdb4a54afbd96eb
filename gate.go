package slipway

import "time"

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
