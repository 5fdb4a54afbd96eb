package engine

import (
	"context"

	"github.com/slipway/slipway"
)

// abortCanary makes Git match what runs after a failed canary: the digest
// is held (stored first), the pin commit that set it is reverted by a
// direct push whatever the environment's promotion mode (the runtime
// already runs stable; a revert waiting for review would leave Git wrong),
// and production records the abort.
type abortCanary struct{}

func (abortCanary) String() string { return "abort: hold, revert the pin, audit" }
func (abortCanary) In() []slipway.PromotionState {
	return []slipway.PromotionState{slipway.StateCanary}
}
func (abortCanary) Skip(ctx context.Context, r *run) string {
	if r.canary == nil || r.canary.passed {
		return "the canary did not fail"
	}
	return ""
}

func (abortCanary) Run(ctx context.Context, r *run) (Outcome, error) {
	p, reason := r.p, r.canary.reason
	if err := r.e.Store.Holds.AddHold(ctx, &slipway.Hold{Service: p.Service, Digest: p.Digest, Reason: "canary failed in " + p.Env + ": " + reason, By: "slipway", Created: r.e.Now()}); err != nil {
		return Outcome{}, err
	}
	sha, err := r.e.revertPin(ctx, r, true, "Canary analysis failed: "+reason)
	if err != nil {
		return Outcome{}, err
	}
	r.e.emit("canary", short(sha), "reverted pin commit %s on %s so Git matches what runs; %s held", short(p.PinCommit), r.base, digestShort(p.Digest))
	if r.e.isProd(p.Env) {
		if err := r.e.audit(ctx, "aborted", p, "analysis failed: "+reason); err != nil {
			return Outcome{}, err
		}
	}
	r.e.notify(ctx, p.Env, about(slipway.NoticeCanaryAborted, p, "slipway"), "canary of %s %s in %s failed and was aborted: %s", p.Service, releaseOrDigest(p), p.Env, reason)
	return Outcome{Next: slipway.StateAborted, Reason: "canary failed: " + reason}, nil
}
