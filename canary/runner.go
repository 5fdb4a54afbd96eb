package canary

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/slipway/slipway/analysis"
	"github.com/slipway/slipway/rollout"
)

// Result is how a canary ended.
type Result string

// The results.
const (
	Promoted   Result = "Promoted"   // every step passed; the driver promoted
	Aborted    Result = "Aborted"    // an analysis failed or errored, or a person aborted; traffic is on stable
	Paused     Result = "Paused"     // waiting for a decision and no Decisions channel: resume with StartStep
	Terminated Result = "Terminated" // the context was cancelled; nothing was promoted or aborted
)

// Outcome is what Run returns.
type Outcome struct {
	Result Result `json:"result"`
	Reason string `json:"reason,omitempty"`
	// Step is the step index the canary ended on (len(steps) when all ran).
	Step   int `json:"step"`
	Weight int `json:"weight"`
	// Analyses are the final results of every analysis run, in start order.
	Analyses []*analysis.Result `json:"analyses,omitempty"`
}

// Action is a person's (or the engine's) decision on a paused canary.
type Action string

// The actions.
const (
	Resume  Action = "Resume"  // continue with the next step
	Abort   Action = "Abort"   // back to stable
	Promote Action = "Promote" // skip the remaining steps and promote (promote --full)
)

// Decision is sent on Runner.Decisions.
type Decision struct {
	Action Action
	Reason string
}

// Runner runs one canary. Fill the fields, then call Run once.
type Runner struct {
	Spec    Spec
	Library *analysis.Library
	Driver  rollout.Driver
	Target  rollout.Target
	// Args are passed to every analysis (lower precedence than a step's
	// args). Runner adds service, canary-digest and stable-digest.
	Args map[string]string
	// Analysis carries Secrets, Registry and ErrorRetryInterval to every run
	// (its callbacks are replaced by the runner's).
	Analysis analysis.Options
	// StartStep resumes a canary at this step (after a crash or a Paused
	// outcome); StartWeight is the weight it had.
	StartStep   int
	StartWeight int
	// Decisions, when set, answers indefinite pauses and inconclusive
	// analyses; a decision sent at any other time is applied at once (Abort
	// or Promote while progressing, like `kubectl argo rollouts abort`).
	// When nil, the runner returns Paused instead of waiting.
	Decisions <-chan Decision
	// Poll is how often a rollout whose runtime owns the steps (StepOwner)
	// is read; default DefaultPoll.
	Poll time.Duration
	// OnEvent is called for every transition and measurement, synchronously
	// and before the runner acts on it, so the caller can persist it first.
	// It may be called from several goroutines, never concurrently.
	OnEvent func(Event)

	mu       sync.Mutex
	emitMu   sync.Mutex
	analyses []*analysis.AnalysisRun
	// at is where the canary is (step and weight), guarded by emitMu: every
	// event is stamped with it, so that lines from analysis goroutines carry
	// the weight the canary is at when they are reported.
	at position
}

// position is a canary's current step and traffic weight.
type position struct{ step, weight int }

// run is one analysis the canary started. watched is false once a
// background run finished well: it stays in the outcome but no longer wakes
// the runner.
type run struct {
	name    string
	ar      *analysis.AnalysisRun
	watched bool
}

// Run moves the canary through its steps. It returns an error only when the
// driver fails on abort or promote (the caller must then reconcile by
// hand); an analysis failure is an Aborted outcome, not an error.
func (r *Runner) Run(ctx context.Context) (Outcome, error) {
	if r.Driver == nil {
		return Outcome{}, errors.New("canary: no rollout driver")
	}
	if err := r.Spec.Validate(r.Library); err != nil {
		return Outcome{}, err
	}
	if r.ownsSteps() {
		return r.follow(ctx)
	}
	weight, step := r.StartWeight, r.StartStep
	r.moveTo(step, weight)
	var bg *run
	defer func() {
		if bg != nil {
			bg.ar.Terminate()
		}
	}()
	startBackground := func() {
		if r.Spec.Analysis != nil && bg == nil && step >= r.Spec.Analysis.StartingStep {
			bg = r.startAnalysis(ctx, "background", r.Spec.Analysis.AnalysisStep)
		}
	}
	for ; step < len(r.Spec.Steps); step++ {
		startBackground()
		st := r.Spec.Steps[step]
		r.emitAt(step, weight, Event{Kind: EventStepStarted, Message: describe(st)})
		var inline *run
		var timer <-chan time.Time
		indefinite := false
		switch {
		case st.SetWeight != nil:
			if err := r.Driver.SetWeight(ctx, *st.SetWeight); err != nil {
				if ctx.Err() != nil {
					return r.outcome(Terminated, "context cancelled"), nil
				}
				return r.abort(ctx, fmt.Sprintf("set weight %d failed: %v", *st.SetWeight, err))
			}
			weight = *st.SetWeight
			r.emitAt(step, weight, Event{Kind: EventWeightSet})
			continue
		case st.Pause != nil:
			d, ok, _ := st.Pause.DurationValue()
			if ok {
				t := time.NewTimer(d)
				defer t.Stop()
				timer = t.C
			} else {
				indefinite = true
			}
			r.emit(Event{Kind: EventPaused, Message: pauseMessage(d, ok)})
		case st.Analysis != nil:
			inline = r.startAnalysis(ctx, fmt.Sprintf("step-%d", step), *st.Analysis)
		}
		if indefinite && r.Decisions == nil {
			return r.outcome(Paused, "indefinite pause: resume with a decision"), nil
		}
		// Wait for the step to finish, an analysis verdict, a decision or
		// cancellation, whichever comes first.
		for done := false; !done; {
			select {
			case <-ctx.Done():
				return r.outcome(Terminated, "context cancelled"), nil
			case <-timer:
				done = true
			case <-doneOf(inline):
				res := inline.ar.Result()
				switch {
				case res.Phase.Aborts():
					return r.abort(ctx, fmt.Sprintf("analysis %s %s: %s", inline.name, res.Phase, res.Message))
				case res.Phase == analysis.PhaseInconclusive:
					d, err := r.pauseForDecision(ctx, fmt.Sprintf("analysis %s Inconclusive: %s", inline.name, res.Message))
					if err != nil || d == nil {
						return r.outcome(pausedOrTerminated(ctx), "inconclusive analysis: resume with a decision"), nil
					}
					if out, end, err := r.apply(ctx, *d, bg); end {
						return out, err
					}
				}
				done = true
			case <-doneOf(bg):
				abort, inconclusive := backgroundVerdict(bg.ar.Result())
				switch {
				case abort != "":
					return r.abort(ctx, abort)
				case inconclusive != "":
					d, err := r.pauseForDecision(ctx, inconclusive)
					if err != nil || d == nil {
						return r.outcome(pausedOrTerminated(ctx), "inconclusive background analysis: resume with a decision"), nil
					}
					if out, end, err := r.apply(ctx, *d, bg); end {
						return out, err
					}
					bg = r.startAnalysis(ctx, "background", r.Spec.Analysis.AnalysisStep) // Rollouts starts a new run after a resume
				default:
					bg.watched = false // finished well (count reached): keep it, stop watching
				}
			case d := <-r.Decisions:
				if d.Action == Resume && inline != nil {
					continue // an analysis step is not skipped by a resume
				}
				if out, end, err := r.apply(ctx, d, bg); end {
					return out, err
				}
				done = true
			}
		}
		if inline != nil {
			inline.ar.Terminate()
		}
	}
	startBackground()
	if bg != nil && bg.watched {
		// Steps are done: stop the background analysis, as Rollouts does, and
		// take its verdict if it is already bad.
		bg.ar.Terminate()
		if abort, _ := backgroundVerdict(bg.ar.Wait()); abort != "" {
			return r.abort(ctx, abort)
		}
	}
	return r.promote(ctx)
}

func doneOf(r *run) <-chan struct{} {
	if r == nil || !r.watched {
		return nil
	}
	return r.ar.Done()
}

func pausedOrTerminated(ctx context.Context) Result {
	if ctx.Err() != nil {
		return Terminated
	}
	return Paused
}

// pauseForDecision reports the pause and waits for a decision; nil means
// there is no Decisions channel.
func (r *Runner) pauseForDecision(ctx context.Context, why string) (*Decision, error) {
	r.emit(Event{Kind: EventPaused, Message: why})
	if r.Decisions == nil {
		return nil, nil
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case d := <-r.Decisions:
		return &d, nil
	}
}

// apply carries out a decision; end says the canary is over.
func (r *Runner) apply(ctx context.Context, d Decision, bg *run) (Outcome, bool, error) {
	r.emit(Event{Kind: EventDecision, Message: fmt.Sprintf("%s: %s", d.Action, d.Reason)})
	switch d.Action {
	case Abort:
		out, err := r.abort(ctx, "aborted by decision: "+d.Reason)
		return out, true, err
	case Promote:
		if bg != nil {
			bg.ar.Terminate()
		}
		out, err := r.promote(ctx)
		return out, true, err
	}
	r.emit(Event{Kind: EventResumed, Message: d.Reason})
	return Outcome{}, false, nil
}

// abort is the critical path: report, then call the driver at once.
func (r *Runner) abort(ctx context.Context, reason string) (Outcome, error) {
	r.emit(Event{Kind: EventAborting, Message: reason})
	// Abort even when ctx is being cancelled: leaving a failing canary
	// serving traffic is worse than a late call.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	err := r.Driver.Abort(actx, reason)
	r.terminateAll()
	out := r.outcome(Aborted, reason)
	out.Weight = 0
	if err != nil {
		r.emit(Event{Kind: EventError, Message: "abort failed: " + err.Error()})
		return out, fmt.Errorf("canary: abort failed (traffic may still reach the canary): %w", err)
	}
	r.emitAt(out.Step, 0, Event{Kind: EventAborted, Message: reason})
	return out, nil
}

func (r *Runner) promote(ctx context.Context) (Outcome, error) {
	r.emit(Event{Kind: EventPromoting})
	if err := r.Driver.Promote(ctx); err != nil {
		if ctx.Err() != nil {
			return r.outcome(Terminated, "context cancelled while promoting"), nil
		}
		r.emit(Event{Kind: EventError, Message: "promote failed: " + err.Error()})
		return r.outcome(Paused, "promote failed"), fmt.Errorf("canary: promote failed: %w", err)
	}
	r.terminateAll()
	out := r.outcome(Promoted, "all steps completed")
	out.Step, out.Weight = len(r.Spec.Steps), 100
	r.emitAt(out.Step, out.Weight, Event{Kind: EventPromoted})
	return out, nil
}

// startAnalysis merges the referenced templates and starts a run whose
// measurements and transitions become events.
func (r *Runner) startAnalysis(ctx context.Context, name string, a AnalysisStep) *run {
	lib := r.Library
	if lib == nil {
		lib = analysis.NewLibrary()
	}
	t, err := lib.Resolve(a.Templates...)
	if err != nil {
		t = &analysis.Template{Metadata: analysis.ObjectMeta{Name: name}} // Start turns the missing metrics into an Error run
	}
	t.Metadata.Name = name
	opts := r.Analysis
	opts.Library = lib
	opts.Args = r.argsFor(a)
	opts.OnMeasurement = func(e analysis.MeasurementEvent) {
		r.emit(Event{Kind: EventMeasurement, Analysis: name, Measurement: &e})
	}
	opts.OnPhase = func(c analysis.PhaseChange) {
		r.emit(Event{Kind: EventAnalysisPhase, Analysis: name, Phase: &c})
	}
	r.emit(Event{Kind: EventAnalysisStarted, Analysis: name, Message: templateNames(a)})
	ar := analysis.Start(ctx, t, opts)
	r.mu.Lock()
	r.analyses = append(r.analyses, ar)
	r.mu.Unlock()
	return &run{name: name, ar: ar, watched: true}
}

func (r *Runner) argsFor(a AnalysisStep) map[string]string {
	out := map[string]string{
		"service":       r.Target.Service,
		"canary-digest": r.Target.CanaryDigest,
		"stable-digest": r.Target.StableDigest,
	}
	for k, v := range r.Args {
		out[k] = v
	}
	for _, arg := range a.Args {
		switch {
		case arg.ValueFrom != nil && arg.ValueFrom.PodTemplateHashValue == "Stable":
			out[arg.Name] = r.Target.StableDigest
		case arg.ValueFrom != nil && arg.ValueFrom.PodTemplateHashValue == "Latest":
			out[arg.Name] = r.Target.CanaryDigest
		default:
			out[arg.Name] = arg.Value
		}
	}
	return out
}

func (r *Runner) terminateAll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ar := range r.analyses {
		ar.Terminate()
	}
}

func (r *Runner) results() []*analysis.Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*analysis.Result, len(r.analyses))
	for i, ar := range r.analyses {
		out[i] = ar.Result()
	}
	return out
}

// outcome is how the canary ends, at the position it reached.
func (r *Runner) outcome(res Result, reason string) Outcome {
	r.emitMu.Lock()
	at := r.at
	r.emitMu.Unlock()
	return Outcome{Result: res, Reason: reason, Step: at.step, Weight: at.weight, Analyses: r.results()}
}

// backgroundVerdict reads a finished background analysis the same way on
// both paths (Slipway drives the steps, or follows a runtime that owns
// them): abort is why the canary must go back to stable, inconclusive why
// it needs a person; both empty when it finished well.
func backgroundVerdict(res *analysis.Result) (abort, inconclusive string) {
	switch {
	case res.Phase.Aborts():
		return fmt.Sprintf("background analysis %s: %s", res.Phase, res.Message), ""
	case res.Phase == analysis.PhaseInconclusive:
		return "", "background analysis Inconclusive: " + res.Message
	}
	return "", ""
}

// emit reports an event at the canary's current step and weight. It
// serialises events: analyses report from their own goroutines.
func (r *Runner) emit(e Event) {
	r.emitMu.Lock()
	defer r.emitMu.Unlock()
	r.report(e)
}

// emitAt moves the canary to step and weight and reports e there, in one
// critical section, so that no event from another goroutine slips in
// between with the old position.
func (r *Runner) emitAt(step, weight int, e Event) {
	r.emitMu.Lock()
	defer r.emitMu.Unlock()
	r.at = position{step, weight}
	r.report(e)
}

// moveTo sets the position without reporting (a resumed canary's start).
func (r *Runner) moveTo(step, weight int) {
	r.emitMu.Lock()
	r.at = position{step, weight}
	r.emitMu.Unlock()
}

// report stamps e with the position and the time and hands it to OnEvent;
// emitMu is held.
func (r *Runner) report(e Event) {
	if r.OnEvent == nil {
		return
	}
	e.Step, e.Weight = r.at.step, r.at.weight
	if e.At.IsZero() {
		e.At = time.Now()
	}
	r.OnEvent(e)
}
