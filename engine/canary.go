package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/analysis"
	"github.com/slipway/slipway/canary"
	"github.com/slipway/slipway/config"
	"github.com/slipway/slipway/rollout"
)

// CanaryConfig is an environment's `canary:` block: Argo Rollouts-style
// steps and analysis, plus the rollout driver that moves traffic.
type CanaryConfig struct {
	Rollout     canary.DriverConfig `yaml:"rollout"`
	canary.Spec `yaml:",inline"`
}

// DriverFactory builds the driver for one canary; tests may replace it. The
// default is the environment's rollout: configuration.
type DriverFactory func(cfg canary.DriverConfig, target rollout.Target) (rollout.Driver, error)

func defaultDriver(cfg canary.DriverConfig, target rollout.Target) (rollout.Driver, error) {
	d, err := cfg.NewDriver(target)
	if err != nil {
		return nil, invalid("canary of %s: %v", target.Service, err)
	}
	return d, nil
}

func (e *Engine) canaryConfig(env *config.Environment) (*CanaryConfig, *analysis.Library, error) {
	var cc CanaryConfig
	if err := env.Canary.Decode(&cc); err != nil {
		return nil, nil, invalid("%s: canary of %s: %v", e.Cfg.Path(), env.Name, err)
	}
	lib, err := canary.LoadTemplates(cc.Spec, e.Cfg.Dir())
	if err != nil {
		return nil, nil, invalid("%s: canary of %s: %v", e.Cfg.Path(), env.Name, err)
	}
	if err := cc.Spec.Validate(lib); err != nil {
		return nil, nil, invalid("%s: canary of %s: %v", e.Cfg.Path(), env.Name, err)
	}
	return &cc, lib, nil
}

// canaryStep runs the canary with analysis: stable on success; on a failed
// or errored analysis the driver aborts to stable (the runner calls it the
// moment the verdict is known), then the pin is reverted in Git so the
// desired state matches what runs, and the digest is held.
type canaryStep struct{}

func (canaryStep) String() string { return "canary with analysis" }

func (canaryStep) Run(ctx context.Context, e *Engine, p *slipway.Promotion) (slipway.PromotionState, string, error) {
	env, _, err := e.Cfg.Environment(p.Env)
	if err != nil {
		return "", "", invalid("%v", err)
	}
	if strings.HasPrefix(p.Reason, pausedPrefix) {
		return "", "", nil // a person decides: slipway canary promote|abort
	}
	// A crash after the revert but before the transition: adopt the revert
	// instead of running the canary again.
	if err := e.GitOps.Fetch(ctx); err != nil {
		return "", "", err
	}
	if sha, err := e.GitOps.FindTrailer(ctx, "origin/"+e.Cfg.Branch(env), trailerReverts, p.PinCommit); err != nil {
		return "", "", err
	} else if sha != "" {
		p.Revert = sha
		return slipway.StateAborted, "canary aborted; pin reverted", nil
	}
	cc, lib, err := e.canaryConfig(env)
	if err != nil {
		return "", "", err
	}
	stable := ""
	if cur, err := e.Store.Current(ctx, p.Service, p.Env); err != nil {
		return "", "", err
	} else if cur != nil {
		stable = cur.Digest
	}
	target := rollout.Target{Service: p.Service, CanaryDigest: p.Digest, StableDigest: stable}
	mk := e.Drivers
	if mk == nil {
		mk = defaultDriver
	}
	driver, err := mk(cc.Rollout, target)
	if err != nil {
		return "", "", err
	}
	run := &slipway.AnalysisRun{PromotionID: p.ID, Phase: "Running", Started: e.Now()}
	if err := e.Store.CreateAnalysisRun(ctx, run); err != nil {
		return "", "", err
	}
	e.emit("canary", p.ID, "canary of %s %s in %s (stable %s): %d steps", p.Service, releaseOrDigest(p), p.Env, orNone(stable), len(cc.Steps))
	runner := &canary.Runner{
		Spec: cc.Spec, Library: lib, Driver: driver, Target: target,
		OnEvent: func(ev canary.Event) { e.onCanaryEvent(ctx, run, ev) },
	}
	out, err := runner.Run(ctx)
	fin := e.Now()
	run.Finished = &fin
	switch {
	case err != nil:
		run.Phase, run.Message = "Error", err.Error()
		e.Store.FinishAnalysisRun(ctx, run)
		return "", "", fmt.Errorf("canary of %s: %w", p.ID, err)
	case out.Result == canary.Promoted:
		run.Phase, run.Message = "Successful", "every step passed"
		if err := e.Store.FinishAnalysisRun(ctx, run); err != nil {
			return "", "", err
		}
		return slipway.StateSucceeded, "canary passed: promoted to stable", nil
	case out.Result == canary.Aborted:
		run.Phase, run.Message = "Failed", out.Reason
		if err := e.Store.FinishAnalysisRun(ctx, run); err != nil {
			return "", "", err
		}
		return e.afterAbort(ctx, env, p, out.Reason)
	case out.Result == canary.Paused:
		run.Phase, run.Message = "Inconclusive", out.Reason
		if err := e.Store.FinishAnalysisRun(ctx, run); err != nil {
			return "", "", err
		}
		e.notify("canary", "canary of %s paused (%s): decide with `slipway canary promote --promotion %s` or `slipway canary abort --promotion %s`", p.ID, out.Reason, p.ID, p.ID)
		return "", pausedPrefix + out.Reason, nil
	}
	run.Phase, run.Message = "Terminated", out.Reason
	e.Store.FinishAnalysisRun(ctx, run)
	return "", "", fmt.Errorf("canary of %s was terminated: %s", p.ID, out.Reason)
}

// pausedPrefix marks a canary that waits for a person's decision
// (inconclusive analysis or an indefinite pause): reconciling leaves it be.
const pausedPrefix = "canary paused: "

// DecideCanary settles a paused canary as user: promote makes the canary
// stable (the driver's promote), abort sends traffic back to stable and
// reverts the pin like a failed analysis. Both are recorded with the user's
// reason.
func (e *Engine) DecideCanary(ctx context.Context, promotionID, user string, promote bool, reason string) (*slipway.Promotion, error) {
	p, err := e.Store.Promotion(ctx, promotionID)
	if err != nil {
		return nil, err
	}
	if p.State != slipway.StateCanary {
		return nil, slipway.Errorf(slipway.ECONFLICT, "promotion %s is %s, not in its canary", p.ID, p.State)
	}
	if strings.TrimSpace(reason) == "" {
		return nil, invalid("say why (--reason): it is recorded with the decision")
	}
	env, _, err := e.Cfg.Environment(p.Env)
	if err != nil {
		return nil, invalid("%v", err)
	}
	cc, _, err := e.canaryConfig(env)
	if err != nil {
		return nil, err
	}
	stable := ""
	if cur, err := e.Store.Current(ctx, p.Service, p.Env); err != nil {
		return nil, err
	} else if cur != nil {
		stable = cur.Digest
	}
	mk := e.Drivers
	if mk == nil {
		mk = defaultDriver
	}
	driver, err := mk(cc.Rollout, rollout.Target{Service: p.Service, CanaryDigest: p.Digest, StableDigest: stable})
	if err != nil {
		return nil, err
	}
	verb := "aborted"
	if promote {
		verb = "promoted"
	}
	why := fmt.Sprintf("%s by %s: %s", verb, user, reason)
	if promote {
		if err := driver.Promote(ctx); err != nil {
			return nil, fmt.Errorf("promote canary of %s: %w", p.ID, err)
		}
		if err := e.Store.Transition(ctx, p, slipway.StateSucceeded, "canary "+why, e.Now()); err != nil {
			return nil, err
		}
		return p, e.onSucceeded(ctx, p)
	}
	if err := driver.Abort(ctx, why); err != nil {
		return nil, fmt.Errorf("abort canary of %s: %w", p.ID, err)
	}
	next, reason, err := e.afterAbort(ctx, env, p, why)
	if err != nil {
		return nil, err
	}
	return p, e.Store.Transition(ctx, p, next, reason, e.Now())
}

// afterAbort makes Git match what runs: hold the digest (stored first), then
// revert the pin by a direct push whatever the environment's promotion mode
// (the runtime already runs stable; a revert waiting for review would leave
// Git lying), then record the abort.
func (e *Engine) afterAbort(ctx context.Context, env *config.Environment, p *slipway.Promotion, reason string) (slipway.PromotionState, string, error) {
	if err := e.Store.AddHold(ctx, &slipway.Hold{Service: p.Service, Digest: p.Digest, Reason: "canary failed in " + p.Env + ": " + reason, By: "slipway", Created: e.Now()}); err != nil {
		return "", "", err
	}
	sha, err := e.revertPin(ctx, env, p, true, "Canary analysis failed: "+reason)
	if err != nil {
		return "", "", err
	}
	p.Revert = sha
	e.emit("canary", short(sha), "reverted pin commit %s on %s so Git matches what runs; %s held", short(p.PinCommit), e.Cfg.Branch(env), short(p.Digest[7:]))
	if e.isProd(p.Env) {
		if err := e.audit(ctx, "aborted", p, "analysis failed: "+reason); err != nil {
			return "", "", err
		}
	}
	return slipway.StateAborted, "canary failed: " + reason, nil
}

// onCanaryEvent persists measurements and phase changes (the runner calls it
// before acting) and prints the timeline.
func (e *Engine) onCanaryEvent(ctx context.Context, run *slipway.AnalysisRun, ev canary.Event) {
	switch ev.Kind {
	case canary.EventMeasurement:
		m := ev.Measurement.Measurement
		if err := e.Store.AddMeasurement(ctx, &slipway.Measurement{RunID: run.ID, Metric: ev.Analysis + "/" + m.Metric, Phase: string(m.Phase), Value: m.Value, Message: m.Message, At: e.Now()}); err != nil {
			e.Log.Error("persist measurement", "err", err)
		}
	case canary.EventAnalysisPhase:
		if ev.Phase.Metric == "" {
			run.Phase, run.Message = string(ev.Phase.To), ev.Phase.Message
			if err := e.Store.FinishAnalysisRun(ctx, run); err != nil {
				e.Log.Error("persist analysis phase", "err", err)
			}
		}
	}
	e.emit("canary", fmt.Sprintf("step %d, %d%%", ev.Step, ev.Weight), "%s", ev.String())
}

func orNone(d string) string {
	if d == "" {
		return "none"
	}
	return short(d[7:])
}
