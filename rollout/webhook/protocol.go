// Package webhook is the rollout driver for any runtime that implements a
// small HTTP protocol (docs/webhook-driver.md): POST {base}/set-weight,
// /promote, /abort with a JSON body naming the service and both digests,
// and GET {base}/status. Client is the driver; Handler adapts a Go Runtime
// to the protocol so a Go program serves it by implementing four methods.
package webhook

import "github.com/slipway/slipway/rollout"

// ProtocolVersion is sent in the Slipway-Protocol header of every request.
const ProtocolVersion = "1"

// Request is the JSON body of set-weight, promote and abort.
type Request struct {
	Service      string `json:"service"`
	CanaryDigest string `json:"canaryDigest"`
	StableDigest string `json:"stableDigest"`
	// Weight is the canary's traffic percentage (set-weight only).
	Weight *int `json:"weight,omitempty"`
	// Reason says why (abort only).
	Reason string `json:"reason,omitempty"`
}

// Target returns the request's target.
func (r Request) Target() rollout.Target {
	return rollout.Target{Service: r.Service, CanaryDigest: r.CanaryDigest, StableDigest: r.StableDigest}
}

// StatusResponse is the JSON body of GET /status.
type StatusResponse struct {
	Service      string        `json:"service"`
	CanaryDigest string        `json:"canaryDigest"`
	StableDigest string        `json:"stableDigest"`
	Phase        rollout.Phase `json:"phase"`
	Weight       int           `json:"weight"`
	Step         *int          `json:"step,omitempty"`
	Message      string        `json:"message,omitempty"`
}

// ErrorResponse is the JSON body of every non-2xx answer.
type ErrorResponse struct {
	Error string `json:"error"`
}
