package engine

import (
	"context"
	"fmt"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/canary"
)

// startCanary begins a canary where the environment configures one.
type startCanary struct{}

func (startCanary) String() string { return "start canary" }
func (startCanary) In() []slipway.PromotionState {
	return []slipway.PromotionState{slipway.StateSynced}
}
func (startCanary) Skip(ctx context.Context, r *run) string {
	if !r.env.HasCanary() {
		return "no canary configured"
	}
	return ""
}
func (startCanary) Run(ctx context.Context, r *run) (Outcome, error) {
	return Outcome{Next: slipway.StateCanary, Reason: "canary starting"}, nil
}

// runCanary runs the canary's steps and analysis through the rollout
// driver, resuming at the step it was in after a restart. A failing verdict
// aborts to stable at once (the runner calls the driver the moment it
// knows); the decision is stored before the driver acts, so a crash
// finishes it instead of starting over.
type runCanary struct{}

func (runCanary) String() string               { return "canary with analysis" }
func (runCanary) In() []slipway.PromotionState { return []slipway.PromotionState{slipway.StateCanary} }
func (runCanary) Skip(ctx context.Context, r *run) string {
	if r.canary != nil {
		return "the canary ended in this pass"
	}
	return ""
}

func (runCanary) Run(ctx context.Context, r *run) (Outcome, error) {
	p := r.p
	cc, lib, err := r.e.canaryConfig(r.env)
	if err != nil {
		return Outcome{}, err
	}
	prog, err := r.e.Store.Promotions.CanaryProgress(ctx, p.ID)
	if err != nil {
		return Outcome{}, err
	}
	if prog == nil {
		prog = &slipway.CanaryProgress{PromotionID: p.ID, Phase: phaseRunning}
	}
	driver, target, err := r.e.canaryDriver(ctx, cc, p)
	if err != nil {
		return Outcome{}, err
	}
	switch prog.Phase {
	case phaseAborted:
		r.canary = &canaryResult{reason: prog.Reason}
		return Outcome{}, nil
	case phaseAborting:
		// Decided before a crash: finish the abort (drivers are idempotent).
		if err := driver.Abort(ctx, prog.Reason); err != nil {
			return Outcome{}, unreachable("rollout runtime", fmt.Errorf("abort canary of %s: %w", p.ID, err))
		}
		return r.canaryEnded(ctx, false, prog.Reason)
	case phasePromoted:
		r.canary = &canaryResult{passed: true}
		return Outcome{}, nil
	case phasePromoting:
		if err := driver.Promote(ctx); err != nil {
			return Outcome{}, unreachable("rollout runtime", fmt.Errorf("promote canary of %s: %w", p.ID, err))
		}
		return r.canaryEnded(ctx, true, "promoted")
	}
	run := &slipway.AnalysisRun{PromotionID: p.ID, Phase: "Running", Started: r.e.Now()}
	if err := r.e.Store.Analysis.CreateAnalysisRun(ctx, run); err != nil {
		return Outcome{}, err
	}
	if prog.Step > 0 {
		r.e.emit("canary", p.ID, "canary of %s %s in %s resumes at step %d (%d%%)", p.Service, releaseOrDigest(p), p.Env, prog.Step, prog.Weight)
	} else {
		r.e.emit("canary", p.ID, "canary of %s %s in %s (stable %s): %d steps", p.Service, releaseOrDigest(p), p.Env, orNone(target.StableDigest), len(cc.Steps))
	}
	runner := &canary.Runner{
		Spec: cc.Spec, Library: lib, Driver: driver, Target: target,
		StartStep: prog.Step, StartWeight: prog.Weight,
		OnEvent: func(ev canary.Event) { r.e.onCanaryEvent(ctx, p, run, ev) },
	}
	out, err := runner.Run(ctx)
	fin := r.e.Now()
	run.Finished = &fin
	finish := func(phase, msg string) {
		run.Phase, run.Message = phase, msg
		if err := r.e.Store.Analysis.FinishAnalysisRun(context.WithoutCancel(ctx), run); err != nil {
			r.e.Log.Error("finish analysis run", "promotion", p.ID, "err", err)
		}
	}
	switch {
	case err != nil:
		finish("Error", err.Error())
		return Outcome{}, unreachable("rollout runtime", fmt.Errorf("canary of %s: %w", p.ID, err))
	case out.Result == canary.Promoted:
		finish("Successful", "every step passed")
		return r.canaryEnded(ctx, true, "promoted")
	case out.Result == canary.Aborted:
		finish("Failed", out.Reason)
		return r.canaryEnded(ctx, false, out.Reason)
	case out.Result == canary.Paused:
		finish("Inconclusive", out.Reason)
		if err := r.e.progress(ctx, p, func(c *slipway.CanaryProgress) {
			c.Step, c.Weight, c.Phase, c.Reason = out.Step, out.Weight, phasePaused, out.Reason
		}); err != nil {
			return Outcome{}, err
		}
		r.e.notify(ctx, "canary", about(slipway.NoticeCanaryPaused, p, "slipway"), "canary of %s paused (%s): decide with `slipway canary promote --promotion %s` or `slipway canary abort --promotion %s`", p.ID, out.Reason, p.ID, p.ID)
		return Outcome{Next: slipway.StatePaused, Reason: "canary paused: " + out.Reason}, nil
	}
	finish("Terminated", out.Reason)
	return Outcome{}, errNotCurrent // cancelled: the lease was lost or the process stops; the next holder resumes
}

// canaryEnded stores the canary's verdict before anything acts on it.
func (r *run) canaryEnded(ctx context.Context, passed bool, reason string) (Outcome, error) {
	phase := phaseAborted
	if passed {
		phase = phasePromoted
	}
	if err := r.e.progress(ctx, r.p, func(c *slipway.CanaryProgress) { c.Phase, c.Reason = phase, reason }); err != nil {
		return Outcome{}, err
	}
	r.canary = &canaryResult{passed: passed, reason: reason}
	return Outcome{}, nil
}

// waitForDecision holds a paused canary for a person: `slipway canary
// promote|abort` settles it.
type waitForDecision struct{}

func (waitForDecision) String() string { return "wait for a decision on the paused canary" }
func (waitForDecision) In() []slipway.PromotionState {
	return []slipway.PromotionState{slipway.StatePaused}
}
func (waitForDecision) Skip(ctx context.Context, r *run) string { return "" }
func (waitForDecision) Run(ctx context.Context, r *run) (Outcome, error) {
	return Outcome{Wait: true}, nil
}
