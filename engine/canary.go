package engine

import (
	"context"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/config"
)

// DriverFactory builds the rollout driver of an environment.
type DriverFactory func(env *config.Environment) (any, error)

// canaryStep runs the canary with analysis and decides stable or abort.
type canaryStep struct{}

func (canaryStep) String() string { return "canary with analysis" }

func (canaryStep) Run(ctx context.Context, e *Engine, p *slipway.Promotion) (slipway.PromotionState, string, error) {
	return "", "canary driver not wired yet", nil
}
