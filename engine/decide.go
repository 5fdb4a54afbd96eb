package engine

import (
	"context"
	"strings"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/auth"
)

// DecideCanary settles a paused canary as user: promote makes the canary
// stable, abort sends traffic back to stable and reverts the pin like a
// failed analysis. The decision is stored before the driver acts on it and
// is carried out by the promotion's pipeline (by the controller when one
// runs), recorded with the user's reason.
func (e *Engine) DecideCanary(ctx context.Context, promotionID, user string, promote bool, reason string) (*slipway.Promotion, error) {
	if err := e.authorizePromotion(ctx, auth.CanaryDecide, promotionID, &user); err != nil {
		return nil, err
	}
	p, err := e.Store.Promotions.Promotion(ctx, promotionID)
	if err != nil {
		return nil, err
	}
	if p.State != slipway.StatePaused {
		return nil, slipway.Errorf(slipway.ECONFLICT, "promotion %s is %s: only a paused canary waits for a decision", p.ID, p.State)
	}
	if strings.TrimSpace(reason) == "" {
		return nil, invalid("say why (--reason): it is recorded with the decision")
	}
	verb, phase := "aborted", phaseAborting
	if promote {
		verb, phase = "promoted", phasePromoting
	}
	why := "canary " + verb + " by " + user + ": " + reason
	if err := e.progress(ctx, p, func(c *slipway.CanaryProgress) { c.Phase, c.Reason = phase, why }); err != nil {
		return nil, err
	}
	if err := e.Store.Promotions.Transition(ctx, p, slipway.StateCanary, why, e.Now()); err != nil {
		return nil, err
	}
	e.emit("canary", p.ID, "%s", why)
	return p, e.Kick(ctx, p)
}
