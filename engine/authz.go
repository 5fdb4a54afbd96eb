package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/auth"
	"github.com/slipway/slipway/gate"
)

// Authorization, in one place: every mutating method of the engine starts
// with one of these calls. The actor comes from the context
// (slipway.WithActor): the server puts the authenticated person or CI
// token there, the CLI's local mode the local operator, and the engine's
// own automatic work the system. The user names the methods still take
// must agree with it: an authenticated caller cannot act under another
// name. A context without an actor is trusted Go code in the process
// (tests, programs embedding the engine), as before authentication
// existed.

// authorize checks that the actor may do perm in scope. user is the name
// the caller passed (nil when the method takes none): empty, it becomes the
// actor's name; different from an authenticated actor's, it is refused.
// Refusals are EFORBIDDEN, on the timeline and in the log.
func (e *Engine) authorize(ctx context.Context, perm auth.Permission, scope auth.Scope, user *string) error {
	a := slipway.ActorFrom(ctx)
	if err := e.sameActor(a, user); err != nil {
		return e.refused(a, perm, err)
	}
	if err := e.Cfg.AccessPolicy().Check(a, perm, scope); err != nil {
		return e.refused(a, perm, err)
	}
	return nil
}

// sameActor reconciles the user a caller names with the actor.
func (e *Engine) sameActor(a *slipway.Actor, user *string) error {
	if a == nil || user == nil || a.Kind == slipway.ActorSystem {
		return nil
	}
	if strings.TrimSpace(*user) == "" {
		*user = a.Name
		return nil
	}
	if slipway.NormalizeIdentity(*user) != slipway.NormalizeIdentity(a.Name) {
		return slipway.Errorf(slipway.EFORBIDDEN, "the request acts as %q but you are %s (%s): Slipway records the authenticated identity, never a name in the request", *user, a.Name, a.Via)
	}
	*user = a.Name // the name as authenticated, however the caller spelled it
	return nil
}

func (e *Engine) refused(a *slipway.Actor, perm auth.Permission, err error) error {
	who := "(no actor)"
	if a != nil {
		who = a.Name
	}
	e.emit("access", who, "refused: %v", err)
	if e.Log != nil {
		e.Log.Warn("access refused", "actor", who, "permission", string(perm), "err", err)
	}
	return err
}

// authorizePromotion authorizes perm on an existing promotion's service
// and environment.
func (e *Engine) authorizePromotion(ctx context.Context, perm auth.Permission, promotionID string, user *string) error {
	p, err := e.Store.Promotions.Promotion(ctx, promotionID)
	if err != nil {
		return err
	}
	return e.authorize(ctx, perm, auth.Scope{Service: p.Service, Env: p.Env}, user)
}

// authorizePromote authorizes a promotion request: promote in the target,
// and expedite too when it skips the previous environment. The requester
// is the actor.
func (e *Engine) authorizePromote(ctx context.Context, r *PromoteRequest) error {
	scope := auth.Scope{Service: r.Service, Env: r.Env}
	if err := e.authorize(ctx, auth.Promote, scope, &r.Requester); err != nil {
		return err
	}
	if strings.TrimSpace(r.Expedite) != "" {
		return e.authorize(ctx, auth.Expedite, scope, nil)
	}
	return nil
}

// authorizeApproval authorizes an approval or rejection: the approve
// permission in the promotion's environment, and, where the environment
// requires authenticated approvals, a person the server authenticated. It
// returns the promotion it read.
func (e *Engine) authorizeApproval(ctx context.Context, promotionID string, user *string) (*slipway.Promotion, error) {
	p, err := e.Store.Promotions.Promotion(ctx, promotionID)
	if err != nil {
		return nil, err
	}
	if err := e.authorize(ctx, auth.Approve, auth.Scope{Service: p.Service, Env: p.Env}, user); err != nil {
		return nil, err
	}
	env, _, err := e.Cfg.Environment(p.Env)
	if err != nil {
		return nil, invalid("%v", err)
	}
	if a := slipway.ActorFrom(ctx); env.RequireAuthenticatedApprovals() && a != nil && a.Kind != slipway.ActorUser {
		return nil, e.refused(a, auth.Approve, slipway.Errorf(slipway.EFORBIDDEN,
			"%s requires authenticated approvals (requireAuthenticatedApprovals in %s): an approval made by %s without a server proves nothing about who made it; approve through the server: `slipway login --server URL`, then `slipway approve --promotion %s`", p.Env, e.Cfg.Path(), describe(a), p.ID))
	}
	return p, nil
}

func describe(a *slipway.Actor) string {
	switch a.Kind {
	case slipway.ActorLocal:
		return "the local CLI (" + a.Name + ", from SLIPWAY_USER or git)"
	case slipway.ActorCI:
		return "a CI token"
	}
	return a.Name
}

// authorizeMerge authorizes merging pull request number: merge in the
// environment and service its branch names (slipway/<env>/<service>/…),
// everywhere when the branch is not one of Slipway's.
func (e *Engine) authorizeMerge(ctx context.Context, number int, user *string) error {
	pr, err := e.Forge.Get(ctx, number)
	if err != nil {
		return err
	}
	scope := auth.Scope{Service: auth.All, Env: auth.All}
	if parts := strings.Split(pr.Branch, "/"); len(parts) >= 4 && parts[0] == "slipway" {
		scope = auth.Scope{Service: parts[2], Env: parts[1]}
	}
	return e.authorize(ctx, auth.Merge, scope, user)
}

// authorizeStop authorizes turning the stop switch of env ("" for every
// environment) on or off: it stops every service there.
func (e *Engine) authorizeStop(ctx context.Context, env string, user *string) error {
	if env == "" {
		env = auth.All
	}
	return e.authorize(ctx, auth.Stop, auth.Scope{Service: auth.All, Env: env}, user)
}

// overridePermitted is what gate.ValidateOverride is told: an
// authenticated actor passed authorize already; without a server the
// policy is applied to the name given, as permissions.override always was.
func (e *Engine) overridePermitted(ctx context.Context, p *slipway.Promotion, user string) bool {
	if a := slipway.ActorFrom(ctx); a.Authenticated() || (a != nil && a.Kind == slipway.ActorSystem) {
		return true
	}
	as := &slipway.Actor{Name: user, Kind: slipway.ActorUser}
	return e.Cfg.AccessPolicy().Check(as, auth.Override, auth.Scope{Service: p.Service, Env: p.Env}) == nil
}

// asSystem is the context of Slipway's own follow-up work (automatic
// promotion after an intake or a success): permission was checked for
// what the person did, not for what the engine does next.
func asSystem(ctx context.Context) context.Context {
	return slipway.WithActor(ctx, slipway.System)
}

// announceWait tells the receivers that a promotion needs approvals, or is
// held by a sync window or a stop switch: once per promotion (the outbox
// keys it), without a timeline line (the gate's own line says it).
func (e *Engine) announceWait(ctx context.Context, p *slipway.Promotion, rep *GateReport) {
	for _, g := range rep.Gates {
		if g.State == gate.Pass {
			continue
		}
		var event string
		switch g.Name {
		case "approvals":
			if g.State != gate.Wait {
				continue // rejected: no approval helps now
			}
			event = slipway.NoticeApprovalNeeded
		case "window", "stop":
			event = slipway.NoticeFrozen
		default:
			continue
		}
		n := about(event, p, p.Requester)
		n.Message, n.At = fmt.Sprintf("%s of %s %s to %s waits: %s: %s", p.ID, p.Service, releaseOrDigest(p), p.Env, g.Name, g.Reason), e.Now()
		e.queueNotice(ctx, n)
	}
}
