// Package rollout defines what the canary runner needs from a deploy
// runtime: move traffic, promote, abort, and report. Adapters live in
// subpackages: webhook (any runtime speaking a small HTTP protocol) and
// argorollouts (an Argo Rollouts Rollout in Kubernetes).
package rollout

import (
	"context"
	"errors"
)

// Target is what a canary rolls: one service moving from the stable digest
// to the canary digest. Drivers carry it in every call so a runtime can
// refuse a call meant for another rollout.
type Target struct {
	Service      string `json:"service" yaml:"service"`
	CanaryDigest string `json:"canaryDigest" yaml:"canaryDigest"`
	StableDigest string `json:"stableDigest" yaml:"stableDigest"`
}

// Phase is a rollout's state as a runtime reports it.
type Phase string

// The phases a driver reports.
const (
	PhaseProgressing Phase = "Progressing" // moving through steps
	PhasePaused      Phase = "Paused"      // waiting (pause step or inconclusive analysis)
	PhasePromoted    Phase = "Promoted"    // canary is the new stable (Argo: Healthy)
	PhaseAborted     Phase = "Aborted"     // traffic back on stable
	PhaseDegraded    Phase = "Degraded"    // runtime reports a failure
	PhaseUnknown     Phase = "Unknown"
)

// Status is a snapshot of a rollout.
type Status struct {
	Target   Target           `json:"target"`
	Phase    Phase            `json:"phase"`
	Weight   int              `json:"weight"` // percent of traffic on the canary
	Step     int              `json:"step"`   // current step index; -1 when the runtime has none
	Message  string           `json:"message,omitempty"`
	Analyses []AnalysisStatus `json:"analyses,omitempty"`
}

// AnalysisStatus is an analysis run the runtime itself executes (Argo
// Rollouts' AnalysisRuns).
type AnalysisStatus struct {
	Name    string `json:"name"`
	Phase   string `json:"phase"`
	Message string `json:"message,omitempty"`
}

// Driver moves one canary. Every method must be idempotent: the runner may
// repeat a call after a crash or a timeout.
type Driver interface {
	// SetWeight sends weight percent (0–100) of traffic to the canary.
	SetWeight(ctx context.Context, weight int) error
	// Promote makes the canary the stable version (100%, done).
	Promote(ctx context.Context) error
	// Abort sends all traffic back to stable. It is the call on the
	// critical path of a failing canary and must be fast.
	Abort(ctx context.Context, reason string) error
	// Status reports the rollout's current state.
	Status(ctx context.Context) (Status, error)
}

// ErrConflict is returned when the runtime is rolling another target (a
// different canary digest): the call was not applied.
var ErrConflict = errors.New("runtime is rolling a different target")

// ValidWeight reports whether w is a percentage.
func ValidWeight(w int) bool { return w >= 0 && w <= 100 }
