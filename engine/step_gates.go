package engine

import (
	"context"

	"github.com/slipway/slipway"
)

// gates holds a promotion until every gate passes (gate.Evaluate decides).
type gates struct{}

func (gates) String() string                          { return "gates" }
func (gates) In() []slipway.PromotionState            { return []slipway.PromotionState{slipway.StateWaiting} }
func (gates) Skip(ctx context.Context, r *run) string { return "" }
func (gates) Run(ctx context.Context, r *run) (Outcome, error) {
	rep, err := r.e.evaluateGates(ctx, r.p)
	if err != nil {
		return Outcome{}, err
	}
	if !rep.Open {
		reason := "waiting: " + rep.Summary()
		if reason != r.p.Reason {
			r.e.emit("gate", r.p.ID, "%s to %s waits: %s", r.p.ID, r.p.Env, rep.Summary())
			if r.e.Metrics != nil {
				r.e.Metrics.gateWaitStarted(r.p)
			}
			r.e.announceWait(ctx, r.p, rep)
		}
		// A gate that opens on its own (a window, a soak) wakes the
		// promotion then: the controller runs it at that instant.
		if next := rep.NextChange(); next != nil {
			if err := r.e.Store.Queue.Enqueue(ctx, slipway.WorkAdvance, r.p.ID, *next); err != nil {
				return Outcome{}, err
			}
		}
		return Outcome{Wait: true, Reason: reason}, nil
	}
	if len(rep.Gates) > 0 {
		r.e.emit("gate", r.p.ID, "all gates of %s pass (%d checked)", r.p.ID, len(rep.Gates))
	}
	for _, n := range rep.Notes {
		r.e.emit("gate", r.p.ID, "%s", n)
	}
	return Outcome{Next: slipway.StatePinning, Reason: "gates passed"}, nil
}
