package engine

import (
	"context"

	"github.com/slipway/slipway"
)

// record ends a promotion whose digest runs: production's change is
// audited (once, even when retried after a crash), and the promotion
// succeeds.
type record struct{}

func (record) String() string { return "record" }
func (record) In() []slipway.PromotionState {
	return []slipway.PromotionState{slipway.StateSynced, slipway.StateCanary}
}
func (record) Skip(ctx context.Context, r *run) string {
	switch {
	case r.p.State == slipway.StateSynced && r.env.HasCanary():
		return "the canary decides"
	case r.p.State == slipway.StateCanary && (r.canary == nil || !r.canary.passed):
		return "the canary has not passed"
	}
	return ""
}

func (record) Run(ctx context.Context, r *run) (Outcome, error) {
	reason := "synced"
	if r.p.State == slipway.StateCanary {
		reason = "canary passed: promoted to stable"
	}
	if r.e.isProd(r.p.Env) {
		if err := r.e.audit(ctx, "promoted", r.p, reason); err != nil {
			return Outcome{}, err
		}
	}
	return Outcome{Next: slipway.StateSucceeded, Reason: reason}, nil
}
