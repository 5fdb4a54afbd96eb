package engine

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/gate"
)

// StopLine blocks every promotion into env ("" for all environments) until
// the switch is lifted. Promotions wait; none fails.
func (e *Engine) StopLine(ctx context.Context, env, user, reason string) error {
	if env != "" {
		if _, _, err := e.Cfg.Environment(env); err != nil {
			return invalid("%v", err)
		}
	}
	if strings.TrimSpace(reason) == "" {
		return invalid("say why the line stops (--reason): the people waiting will read it")
	}
	st := &slipway.Stop{Env: env, By: user, Reason: reason, Since: e.Now()}
	if err := e.Store.Gates.AddStop(ctx, st); err != nil {
		return err
	}
	e.notify("stop", "line stopped for %s by %s: %s", scope(env), user, reason)
	return nil
}

// LiftStop lifts the switch for env and lets waiting promotions move.
func (e *Engine) LiftStop(ctx context.Context, env, user string) error {
	if err := e.Store.Gates.LiftStop(ctx, env, user, e.Now()); err != nil {
		return err
	}
	e.notify("stop", "line restarted for %s by %s", scope(env), user)
	return e.kickService(ctx, "")
}

func scope(env string) string {
	if env == "" {
		return "every environment"
	}
	return env
}

// Override breaks glass for one waiting promotion: it passes its sync
// windows and stop switches (never approvals, checks or soak). It needs the
// override permission and a written reason; it is audited and announced.
func (e *Engine) Override(ctx context.Context, promotionID, user, reason string) (*slipway.Promotion, error) {
	p, err := e.Store.Promotions.Promotion(ctx, promotionID)
	if err != nil {
		return nil, err
	}
	if p.State != slipway.StateWaiting {
		return nil, slipway.Errorf(slipway.ECONFLICT, "promotion %s is %s: only a waiting promotion can be let through", p.ID, p.State)
	}
	o := gate.Override{User: user, Permitted: e.Cfg.May(user, e.Cfg.Permissions.Override), Reason: reason, Digest: p.Digest, At: e.Now()}
	if err := gate.ValidateOverride(o); err != nil {
		code := slipway.EINVALID
		if !o.Permitted {
			code = slipway.EFORBIDDEN
		}
		return nil, slipway.Errorf(code, "%s: %v (permissions.override in %s)", user, err, e.Cfg.Path())
	}
	if err := e.Store.Gates.AddOverride(ctx, &slipway.Override{PromotionID: p.ID, User: user, Digest: p.Digest, Reason: reason, At: o.At}); err != nil {
		return nil, err
	}
	entry := &slipway.AuditEntry{At: o.At, Kind: "override", Service: p.Service, Env: p.Env, Digest: p.Digest, Approvers: []string{user}, Verdict: reason, PromotionID: p.ID}
	if b, err := e.Store.Builds.Build(ctx, p.BuildID); err == nil {
		entry.KeyID = b.KeyID
	}
	if err := e.Store.Audit.AppendAudit(ctx, entry); err != nil {
		return nil, err
	}
	e.notify("gate", "BREAK GLASS: %s overrode windows and stops for %s (%s to %s): %s", user, p.ID, p.Service, p.Env, reason)
	return p, e.Kick(ctx, p)
}

// notify announces something people must know about now. Until notifier
// integrations exist it goes to the timeline and to the log at warning level.
func (e *Engine) notify(stage, format string, args ...any) {
	e.emit(stage, "", format, args...)
	if e.Log != nil {
		e.Log.Warn("slipway notice", slog.String("stage", stage), slog.String("message", fmt.Sprintf(format, args...)))
	}
}

// ReleaseHold lifts the hold on a digest as user, so it may be promoted
// again. It is announced and recorded in the audit log.
func (e *Engine) ReleaseHold(ctx context.Context, service, digest, user string) error {
	if _, err := e.Cfg.Service(service); err != nil {
		return invalid("%v", err)
	}
	if err := e.Store.Holds.ReleaseHold(ctx, service, digest, e.Now()); err != nil {
		return err
	}
	entry := &slipway.AuditEntry{At: e.Now(), Kind: "hold-released", Service: service, Digest: digest, Approvers: []string{user}, Verdict: "hold released by " + user}
	if err := e.Store.Audit.AppendAudit(ctx, entry); err != nil {
		return err
	}
	e.notify("hold", "%s released the hold on %s of %s", user, digestShort(digest), service)
	return nil
}
