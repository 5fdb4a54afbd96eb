package api

import (
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/window"
)

// The JSON the API speaks. Field names are camelCase; times are RFC 3339
// UTC. These types are also the schemas of the OpenAPI document (read by
// reflection), so the document cannot disagree with what is sent.

// ErrorBody is every error response: a code the CLI shares
// (slipway.ErrorCode: invalid, not_found, conflict, forbidden, internal;
// plus unauthenticated, rate_limited, unavailable) and a message saying
// what to do.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the code and message of an error.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error codes beyond slipway's.
const (
	CodeUnauthenticated = "unauthenticated" // 401: no or bad credentials
	CodeRateLimited     = "rate_limited"    // 429
	CodeUnavailable     = "unavailable"     // 503: a remote Slipway needs is down
)

// Page is one page of a list: Next is the cursor of the following page
// ("" on the last).
type Page[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next"`
}

// Me is the authenticated caller.
type Me struct {
	Name        string   `json:"name"`
	Kind        string   `json:"kind"` // user or ci
	Via         string   `json:"via"`  // password, oidc, token, hmac
	Groups      []string `json:"groups"`
	Service     string   `json:"service,omitempty"` // CI tokens: the one service
	Permissions []string `json:"permissions"`       // "permission [services=…] [environments=…]"
	CSRFToken   string   `json:"csrfToken,omitempty"`
}

// Service is a service and what runs in each environment.
type Service struct {
	Name         string `json:"name"`
	Image        string `json:"image"`
	Environments []Cell `json:"environments"`
}

// Cell is one service in one environment: what runs, and what is on its way.
type Cell struct {
	Env       string         `json:"env"`
	Digest    string         `json:"digest"`  // what runs ("" when nothing was promoted)
	Version   string         `json:"version"` // its release tag, if any
	Promotion string         `json:"promotion"`
	Since     *time.Time     `json:"since"`
	Active    *PromotionInfo `json:"active"` // the promotion in progress, if any
}

// PromotionInfo is a promotion in short.
type PromotionInfo struct {
	ID     string `json:"id"`
	State  string `json:"state"`
	Reason string `json:"reason"`
}

// Build is an immutable build.
type Build struct {
	ID              string    `json:"id"`
	Service         string    `json:"service"`
	Commit          string    `json:"commit"`
	Image           string    `json:"image"`
	Digest          string    `json:"digest"`
	KeyID           string    `json:"keyId"`
	Created         time.Time `json:"created"`
	SignatureDigest string    `json:"signatureDigest"`
	SBOMDigest      string    `json:"sbomDigest"`
	Builder         string    `json:"builder"`
	Platforms       []string  `json:"platforms"`
	RekorEntry      string    `json:"rekorEntry"`
}

// BuildResult is a registration's answer.
type BuildResult struct {
	Build   Build `json:"build"`
	Created bool  `json:"created"` // false: the same build was registered before
}

// Release is a version of a service.
type Release struct {
	Service string    `json:"service"`
	Version string    `json:"version"`
	Tag     string    `json:"tag"`
	BuildID string    `json:"buildId"`
	Commit  string    `json:"commit"`
	Notes   string    `json:"notes"`
	Authors []string  `json:"authors"`
	Created time.Time `json:"created"`
}

// Promotion is one build moving into one environment.
type Promotion struct {
	ID        string    `json:"id"`
	Service   string    `json:"service"`
	Env       string    `json:"env"`
	BuildID   string    `json:"buildId"`
	Digest    string    `json:"digest"`
	Release   string    `json:"release"`
	Requester string    `json:"requester"`
	Expedited string    `json:"expedited"`
	State     string    `json:"state"`
	Reason    string    `json:"reason"`
	PinCommit string    `json:"pinCommit"`
	PR        int       `json:"pr"`
	Branch    string    `json:"branch"`
	Head      string    `json:"head"`
	Revert    string    `json:"revert"`
	Created   time.Time `json:"created"`
	Updated   time.Time `json:"updated"`
}

// PromotionDetail is a promotion with its history, decisions and canary.
type PromotionDetail struct {
	Promotion Promotion       `json:"promotion"`
	History   []Transition    `json:"history"`
	Approvals []Approval      `json:"approvals"`
	Canary    *CanaryProgress `json:"canary"`
	Audit     []AuditEntry    `json:"audit"`
}

// Transition is one step of a promotion's history.
type Transition struct {
	From   string    `json:"from"`
	To     string    `json:"to"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// Approval is a person's decision on a promotion.
type Approval struct {
	User    string    `json:"user"`
	Digest  string    `json:"digest"`
	Approve bool      `json:"approve"`
	Comment string    `json:"comment"`
	At      time.Time `json:"at"`
}

// CanaryProgress is how far a canary got.
type CanaryProgress struct {
	Step    int       `json:"step"`
	Weight  int       `json:"weight"`
	Phase   string    `json:"phase"`
	Reason  string    `json:"reason"`
	Updated time.Time `json:"updated"`
}

// AnalysisRun is one analysis of a canary, with every measurement.
type AnalysisRun struct {
	ID           int64         `json:"id"`
	Phase        string        `json:"phase"`
	Message      string        `json:"message"`
	Started      time.Time     `json:"started"`
	Finished     *time.Time    `json:"finished"`
	Measurements []Measurement `json:"measurements"`
}

// Measurement is one reading of one metric.
type Measurement struct {
	Metric  string    `json:"metric"`
	Phase   string    `json:"phase"`
	Value   string    `json:"value"`
	Message string    `json:"message"`
	At      time.Time `json:"at"`
}

// Verification is a check result for a digest in an environment.
type Verification struct {
	Service string    `json:"service"`
	Env     string    `json:"env"`
	Check   string    `json:"check"`
	Digest  string    `json:"digest"`
	Passed  bool      `json:"passed"`
	URL     string    `json:"url"`
	At      time.Time `json:"at"`
}

// Hold keeps a digest from being promoted.
type Hold struct {
	ID       int64      `json:"id"`
	Service  string     `json:"service"`
	Digest   string     `json:"digest"`
	Reason   string     `json:"reason"`
	By       string     `json:"by"`
	Created  time.Time  `json:"created"`
	Released *time.Time `json:"released"`
}

// Stop is a stop-the-line switch that is on.
type Stop struct {
	Env    string    `json:"env"` // "" for every environment
	By     string    `json:"by"`
	Reason string    `json:"reason"`
	Since  time.Time `json:"since"`
}

// Windows is what an environment's sync windows decide for a service now.
type Windows struct {
	Env      string           `json:"env"`
	Service  string           `json:"service"`
	Windows  int              `json:"windows"` // how many are configured (0: always open)
	Decision *window.Decision `json:"decision"`
}

// AuditEntry is one entry of the hash-chained audit log.
type AuditEntry = slipway.AuditEntry

// AuditVerdict is the result of recomputing the chain.
type AuditVerdict struct {
	OK      bool   `json:"ok"`
	Entries int    `json:"entries"`
	Error   string `json:"error,omitempty"`
}

// Token is an API token, without its secret.
type Token struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Kind      string     `json:"kind"`
	Owner     string     `json:"owner"`
	Service   string     `json:"service"`
	CreatedBy string     `json:"createdBy"`
	Created   time.Time  `json:"created"`
	Expires   *time.Time `json:"expires"`
	LastUsed  *time.Time `json:"lastUsed"`
	Revoked   *time.Time `json:"revoked"`
}

// NewToken is a created token: its secret is shown here, once.
type NewToken struct {
	Token  Token  `json:"token"`
	Secret string `json:"secret"`
}

// Notification is one entry of the notification outbox.
type Notification struct {
	ID          int64          `json:"id"`
	Receiver    string         `json:"receiver"`
	Notice      slipway.Notice `json:"notice"`
	Attempts    int            `json:"attempts"`
	NextAttempt time.Time      `json:"nextAttempt"`
	LastError   string         `json:"lastError"`
	Delivered   *time.Time     `json:"delivered"`
	Failed      *time.Time     `json:"failed"`
}

// Accepted answers a webhook that was taken.
type Accepted struct {
	Status  string `json:"status"`  // accepted, ignored
	Message string `json:"message"` // what happens next
}

// Done answers a change that returns nothing else.
type Done struct {
	Message string `json:"message"`
}

// Session answers a login.
type Session struct {
	User      string    `json:"user"`
	CSRFToken string    `json:"csrfToken"`
	Expires   time.Time `json:"expires"`
}

// Request bodies.
type (
	// BuildRequest registers a build (also the body of POST /hooks/build).
	BuildRequest struct {
		Service string `json:"service"`
		Commit  string `json:"commit"`
		Image   string `json:"image"` // repo@sha256:…
	}
	// ReleaseRequest tags the next version on a build.
	ReleaseRequest struct {
		Service string `json:"service"`
		Build   string `json:"build"`
	}
	// PromoteRequest asks for a promotion (build or release).
	PromoteRequest struct {
		Service  string `json:"service"`
		Env      string `json:"env"`
		Build    string `json:"build,omitempty"`
		Release  string `json:"release,omitempty"`
		Expedite string `json:"expedite,omitempty"` // hotfix: the recorded reason (needs the expedite permission)
	}
	// DecisionRequest approves or rejects.
	DecisionRequest struct {
		Comment string `json:"comment"`
	}
	// ReasonRequest carries a written reason (override).
	ReasonRequest struct {
		Reason string `json:"reason"`
	}
	// CanaryRequest settles a paused canary.
	CanaryRequest struct {
		Decision string `json:"decision"` // promote or abort
		Reason   string `json:"reason"`
	}
	// VerificationRequest reports a check result.
	VerificationRequest struct {
		Service string `json:"service"`
		Env     string `json:"env"`
		Check   string `json:"check"`
		Digest  string `json:"digest"`
		Passed  bool   `json:"passed"`
		URL     string `json:"url"`
	}
	// CheckRequest runs a check Slipway owns.
	CheckRequest struct {
		Service string `json:"service"`
		Env     string `json:"env"`
		Check   string `json:"check"`
		Digest  string `json:"digest,omitempty"`
	}
	// RollbackRequest reverts what runs in an environment.
	RollbackRequest struct {
		Service string `json:"service"`
		Env     string `json:"env"`
		Reason  string `json:"reason"`
	}
	// HoldReleaseRequest lifts the hold on a digest.
	HoldReleaseRequest struct {
		Service string `json:"service"`
		Digest  string `json:"digest"`
	}
	// StopRequest turns a stop switch on (or, without a reason, names the
	// switch to lift).
	StopRequest struct {
		Env    string `json:"env,omitempty"` // "" with all
		All    bool   `json:"all,omitempty"`
		Reason string `json:"reason,omitempty"`
	}
	// TokenRequest creates an API token.
	TokenRequest struct {
		Name    string `json:"name"`
		Kind    string `json:"kind,omitempty"`    // personal (default) or ci
		Owner   string `json:"owner,omitempty"`   // personal: default the caller
		Service string `json:"service,omitempty"` // ci: its service
		TTL     string `json:"ttl,omitempty"`     // Go duration, e.g. 720h; "0" never expires; default 2160h
	}
	// LoginRequest logs in with a password.
	LoginRequest struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	// CLITokenRequest exchanges a password for a personal token (slipway login).
	CLITokenRequest struct {
		Username string `json:"username"`
		Password string `json:"password"`
		Name     string `json:"name"`
	}
)
