package engine

import (
	"context"
	"fmt"

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

// canaryDriver builds the driver that rolls p over what runs now.
func (e *Engine) canaryDriver(ctx context.Context, cc *CanaryConfig, p *slipway.Promotion) (rollout.Driver, rollout.Target, error) {
	stable := ""
	if cur, err := e.Store.Promotions.Current(ctx, p.Service, p.Env); err != nil {
		return nil, rollout.Target{}, err
	} else if cur != nil {
		stable = cur.Digest
	}
	target := rollout.Target{Service: p.Service, CanaryDigest: p.Digest, StableDigest: stable}
	mk := e.Drivers
	if mk == nil {
		mk = defaultDriver
	}
	d, err := mk(cc.Rollout, target)
	return d, target, err
}

// Canary progress phases: the decision is stored before the driver acts on it.
const (
	phaseRunning   = "running"
	phasePaused    = "paused"
	phaseAborting  = "aborting"
	phaseAborted   = "aborted"
	phasePromoting = "promoting"
	phasePromoted  = "promoted"
)

// canaryResult is how the canary of this pass ended.
type canaryResult struct {
	passed bool
	reason string
}

// progress stores a canary's progress.
func (e *Engine) progress(ctx context.Context, p *slipway.Promotion, mut func(c *slipway.CanaryProgress)) error {
	c, err := e.Store.Promotions.CanaryProgress(ctx, p.ID)
	if err != nil {
		return err
	}
	if c == nil {
		c = &slipway.CanaryProgress{PromotionID: p.ID, Phase: phaseRunning}
	}
	mut(c)
	c.Updated = e.Now()
	return e.Store.Promotions.SetCanaryProgress(ctx, c)
}

// onCanaryEvent persists progress, measurements and phase changes (the
// runner calls it before acting) and prints the timeline.
func (e *Engine) onCanaryEvent(ctx context.Context, p *slipway.Promotion, run *slipway.AnalysisRun, ev canary.Event) {
	var err error
	switch ev.Kind {
	case canary.EventStepStarted:
		err = e.progress(ctx, p, func(c *slipway.CanaryProgress) { c.Step, c.Weight, c.Phase = ev.Step, ev.Weight, phaseRunning })
	case canary.EventWeightSet:
		err = e.progress(ctx, p, func(c *slipway.CanaryProgress) { c.Step, c.Weight = ev.Step, ev.Weight })
	case canary.EventAborting:
		err = e.progress(ctx, p, func(c *slipway.CanaryProgress) { c.Phase, c.Reason = phaseAborting, ev.Message })
		if e.Metrics != nil {
			e.Metrics.abortStarted(p.ID)
		}
	case canary.EventAborted:
		if e.Metrics != nil {
			e.Metrics.abortDone(p.ID)
		}
	case canary.EventPromoting:
		err = e.progress(ctx, p, func(c *slipway.CanaryProgress) { c.Phase = phasePromoting })
	case canary.EventMeasurement:
		m := ev.Measurement.Measurement
		err = e.Store.Analysis.AddMeasurement(ctx, &slipway.Measurement{RunID: run.ID, Metric: ev.Analysis + "/" + m.Metric, Phase: string(m.Phase), Value: m.Value, Message: m.Message, At: e.Now()})
	case canary.EventAnalysisPhase:
		if ev.Phase.Metric == "" {
			run.Phase, run.Message = string(ev.Phase.To), ev.Phase.Message
			err = e.Store.Analysis.FinishAnalysisRun(ctx, run)
		}
	}
	if err != nil {
		e.Log.Error("persist canary progress", "promotion", p.ID, "event", ev.Kind, "err", err)
	}
	e.emit("canary", fmt.Sprintf("step %d, %d%%", ev.Step, ev.Weight), "%s", ev.String())
}
