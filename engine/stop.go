package engine

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/auth"
	"github.com/slipway/slipway/gate"
)

// StopLine blocks every promotion into env ("" for all environments) until
// the switch is lifted. Promotions wait; none fails.
func (e *Engine) StopLine(ctx context.Context, env, user, reason string) error {
	if err := e.authorizeStop(ctx, env, &user); err != nil {
		return err
	}
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
	e.notify(ctx, "stop", slipway.Notice{Event: slipway.NoticeStop, Env: env, Actor: user}, "line stopped for %s by %s: %s", scope(env), user, reason)
	return nil
}

// LiftStop lifts the switch for env and lets waiting promotions move.
func (e *Engine) LiftStop(ctx context.Context, env, user string) error {
	if err := e.authorizeStop(ctx, env, &user); err != nil {
		return err
	}
	if err := e.Store.Gates.LiftStop(ctx, env, user, e.Now()); err != nil {
		return err
	}
	e.notify(ctx, "stop", slipway.Notice{Event: slipway.NoticeRestart, Env: env, Actor: user}, "line restarted for %s by %s", scope(env), user)
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
	if err := e.authorizePromotion(ctx, auth.Override, promotionID, &user); err != nil {
		return nil, err
	}
	p, err := e.Store.Promotions.Promotion(ctx, promotionID)
	if err != nil {
		return nil, err
	}
	if p.State != slipway.StateWaiting {
		return nil, slipway.Errorf(slipway.ECONFLICT, "promotion %s is %s: only a waiting promotion can be let through", p.ID, p.State)
	}
	o := gate.Override{User: user, Permitted: e.overridePermitted(ctx, p, user), Reason: reason, Digest: p.Digest, At: e.Now()}
	if err := gate.ValidateOverride(o); err != nil {
		code := slipway.EINVALID
		if !o.Permitted {
			code = slipway.EFORBIDDEN
		}
		return nil, slipway.Errorf(code, "%s: %v (the override permission: auth.roles or permissions.override in %s)", user, err, e.Cfg.Path())
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
	e.notify(ctx, "gate", about(slipway.NoticeBreakGlass, p, user), "BREAK GLASS: %s overrode windows and stops for %s (%s to %s): %s", user, p.ID, p.Service, p.Env, reason)
	return p, e.Kick(ctx, p)
}

// notify announces something people must know about now: on the
// timeline, in the log at warning level, and into the durable outbox for
// every receiver of slipway.yaml's notifications: that wants it (`slipway
// serve` delivers them, with retries). A notice is written once per
// receiver and key, so one re-announced after a crash or by a polling gate
// is sent once; a store that cannot take it is logged, never an error: a
// notification never blocks a promotion.
func (e *Engine) notify(ctx context.Context, stage string, n slipway.Notice, format string, args ...any) {
	n.Message, n.At = fmt.Sprintf(format, args...), e.Now()
	e.emit(stage, n.Promotion, "%s", n.Message)
	if e.Log != nil {
		e.Log.Warn("slipway notice", slog.String("stage", stage), slog.String("event", n.Event), slog.String("message", n.Message))
	}
	e.queueNotice(ctx, n)
}

// queueNotice writes a notice into the outbox for every receiver that
// wants it.
func (e *Engine) queueNotice(ctx context.Context, n slipway.Notice) {
	if e.Store.Outbox == nil {
		return
	}
	key := n.Event + "/" + n.Promotion
	if n.Promotion == "" || n.Event == slipway.NoticeCanaryPaused {
		key = fmt.Sprintf("%s/%s/%d", n.Event, n.Promotion, n.At.UnixNano())
	}
	for _, r := range e.Cfg.Notifications {
		if !r.Wants(n) {
			continue
		}
		_, err := e.Store.Outbox.EnqueueNotification(context.WithoutCancel(ctx), &slipway.Notification{Receiver: r.Name, Key: key, Notice: n, NextAttempt: n.At, Created: n.At})
		if err != nil && e.Log != nil {
			e.Log.Error("notification not queued", "receiver", r.Name, "event", n.Event, "err", err)
		}
	}
}

// about is the notice of an event concerning a promotion.
func about(event string, p *slipway.Promotion, actor string) slipway.Notice {
	return slipway.Notice{Event: event, Service: p.Service, Env: p.Env, Promotion: p.ID, Release: p.Release, Digest: p.Digest, Actor: actor}
}

// ReleaseHold lifts the hold on a digest as user, so it may be promoted
// again. It is announced and recorded in the audit log.
func (e *Engine) ReleaseHold(ctx context.Context, service, digest, user string) error {
	if err := e.authorize(ctx, auth.HoldRelease, auth.Scope{Service: service}, &user); err != nil {
		return err
	}
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
	e.notify(ctx, "hold", slipway.Notice{Event: slipway.NoticeHoldReleased, Service: service, Digest: digest, Actor: user}, "%s released the hold on %s of %s", user, digestShort(digest), service)
	return nil
}
