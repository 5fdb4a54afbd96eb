package canary

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slipway/slipway/analysis"
	"github.com/slipway/slipway/rollout"
)

// StepOwner is implemented by drivers whose runtime runs the canary steps
// itself (Argo Rollouts runs the Rollout's own steps and AnalysisRuns).
// Slipway then follows the rollout instead of driving it: it reports step,
// weight and phase, runs the spec's background analysis as its own
// judgement, aborts when that fails, and takes the runtime's verdict.
type StepOwner interface {
	OwnsSteps() bool
}

// DefaultPoll is how often a followed rollout's status is read.
const DefaultPoll = time.Second

// ownsSteps reports whether the runner must follow rather than drive.
func (r *Runner) ownsSteps() bool {
	o, ok := r.Driver.(StepOwner)
	return ok && o.OwnsSteps()
}

// follow watches a rollout the runtime drives until it is promoted (Promoted),
// aborted or degraded (Aborted: the runtime's own analysis failed, and the
// caller reverts Git), or Slipway's background analysis fails (Slipway
// aborts it, as `kubectl argo rollouts abort` would).
func (r *Runner) follow(ctx context.Context) (Outcome, error) {
	if len(r.Spec.Steps) > 0 {
		return Outcome{}, errors.New("canary.steps: this driver's runtime runs its own steps (the Rollout's strategy.canary.steps); remove steps: and keep analysis: for Slipway's own judgement")
	}
	poll := r.Poll
	if poll <= 0 {
		poll = DefaultPoll
	}
	step, weight := -1, 0
	r.moveTo(0, 0)
	var bg *run
	started := false
	defer func() {
		if bg != nil {
			bg.ar.Terminate()
		}
	}()
	ticker := time.NewTicker(poll)
	defer ticker.Stop()
	lastPhase := rollout.Phase("")
	for {
		st, err := r.Driver.Status(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return r.outcome(Terminated, "context cancelled"), nil
		case err != nil:
			// A failed read is not a verdict: report it and read again.
			r.emit(Event{Kind: EventError, Message: "read rollout status: " + err.Error()})
		default:
			if st.Step != step {
				step = st.Step
				r.emitAt(step, weight, Event{Kind: EventStepStarted, Message: fmt.Sprintf("rollout at step %d", step)})
			}
			if st.Weight != weight {
				weight = st.Weight
				r.emitAt(step, weight, Event{Kind: EventWeightSet})
			}
			switch st.Phase {
			case rollout.PhasePromoted:
				r.terminateAll()
				r.emitAt(step, 100, Event{Kind: EventPromoted, Message: "the runtime promoted the canary"})
				out := r.outcome(Promoted, "the rollout completed its steps")
				out.Weight = 100
				return out, nil
			case rollout.PhaseAborted, rollout.PhaseDegraded:
				reason := fmt.Sprintf("rollout %s: %s", strings.ToLower(string(st.Phase)), st.Message)
				for _, a := range st.Analyses {
					if a.Phase == string(analysis.PhaseFailed) || a.Phase == string(analysis.PhaseError) {
						reason += fmt.Sprintf("; analysis run %s %s: %s", a.Name, a.Phase, a.Message)
					}
				}
				r.terminateAll()
				r.emitAt(step, 0, Event{Kind: EventAborted, Message: reason})
				out := r.outcome(Aborted, reason)
				out.Weight = 0
				return out, nil
			case rollout.PhasePaused:
				if lastPhase != rollout.PhasePaused {
					r.emit(Event{Kind: EventPaused, Message: st.Message})
				}
			}
			lastPhase = st.Phase
		}
		// The background analysis starts once the rollout's position has
		// been read, so that its first measurement reports it.
		if r.Spec.Analysis != nil && !started {
			started = true
			bg = r.startAnalysis(ctx, "background", r.Spec.Analysis.AnalysisStep)
		}
		select {
		case <-ctx.Done():
			return r.outcome(Terminated, "context cancelled"), nil
		case <-ticker.C:
		case <-doneOf(bg):
			abort, inconclusive := backgroundVerdict(bg.ar.Result())
			switch {
			case abort != "":
				return r.abort(ctx, abort)
			case inconclusive != "":
				r.emit(Event{Kind: EventPaused, Message: inconclusive + "; the rollout goes on under the runtime's own analysis"})
			}
			bg.watched = false
		}
	}
}
