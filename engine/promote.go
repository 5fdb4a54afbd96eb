package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/config"
)

// PromoteRequest asks for one build in one environment.
type PromoteRequest struct {
	Service   string
	Env       string
	BuildID   string // or Release
	Release   string // a release tag of the service
	Requester string
	// Expedite skips the "must be green in the previous environment" rule
	// and that environment's checks and soak, for a hotfix; the reason is
	// recorded. It never skips the target environment's gates or canary.
	Expedite string
}

// Promote creates a promotion and advances it as far as it can go now (or
// queues it for the controller). A newer request supersedes the active
// promotion of the same service and environment when that one has not
// reached Git yet; otherwise it is refused naming the active one.
func (e *Engine) Promote(ctx context.Context, r PromoteRequest) (*slipway.Promotion, error) {
	expedite, err := expediteReason(r.Expedite)
	if err != nil {
		return nil, err
	}
	r.Expedite = expedite
	if err := e.authorizePromote(ctx, &r); err != nil {
		return nil, err
	}
	svc, err := e.Cfg.Service(r.Service)
	if err != nil {
		return nil, invalid("%v", err)
	}
	env, idx, err := e.Cfg.Environment(r.Env)
	if err != nil {
		return nil, invalid("%v", err)
	}
	b, rel, err := e.resolveBuild(ctx, svc, r)
	if err != nil {
		return nil, err
	}
	if h, err := e.Store.Holds.ActiveHold(ctx, b.Service, b.Digest); err != nil {
		return nil, err
	} else if h != nil {
		return nil, slipway.Errorf(slipway.EFORBIDDEN, "%s is held (%s, by %s): it will not be promoted; lift the hold with `slipway hold release --service %s --digest %s` if that is really intended", b.Ref(), h.Reason, h.By, b.Service, b.Digest)
	}
	if idx > 0 && r.Expedite == "" {
		prev := e.Cfg.Environments[idx-1].Name
		ok, err := e.succeededIn(ctx, b, prev)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, slipway.Errorf(slipway.ECONFLICT, "build %s has not succeeded in %s yet; promote it there first (or, for a hotfix, pass --expedite \"<reason>\")", b.ID, prev)
		}
	}
	if env.RequireRelease() && rel == nil {
		return nil, slipway.Errorf(slipway.ECONFLICT, "%s only takes released builds: create the release first with `slipway release --service %s --build %s`", env.Name, b.Service, b.ID)
	}
	active, err := e.Store.Promotions.Promotions(ctx, slipway.PromotionFilter{Service: b.Service, Env: env.Name, Active: true})
	if err != nil {
		return nil, err
	}
	if len(active) == 1 && active[0].Digest == b.Digest {
		return active[0], e.Kick(ctx, active[0]) // the same request again: continue the existing one
	}
	relTag := ""
	if rel != nil {
		relTag = rel.Tag
	}
	if err := e.checkPin(ctx, env, b.Service, b, relTag); err != nil {
		return nil, err
	}
	p := &slipway.Promotion{
		Service: b.Service, Env: env.Name, BuildID: b.ID, Digest: b.Digest,
		Requester: r.Requester, Expedited: r.Expedite, State: slipway.StateWaiting,
		Reason: "evaluating gates", Created: e.Now(),
	}
	if rel != nil {
		p.Release = rel.Tag
	}
	var superseded []*slipway.Promotion
	err = e.withPinLock(ctx, p.Service, p.Env, "request-"+randomID(), func() (err error) {
		superseded, err = e.createPromotion(ctx, p)
		return err
	})
	if err != nil {
		return nil, err
	}
	msg := "promotion %s of %s %s requested by %s"
	if r.Expedite != "" {
		msg += " (expedited: " + r.Expedite + ")"
	}
	e.emit(env.Name, p.ID, msg, p.ID, b.Service, releaseOrDigest(p), r.Requester)
	for _, s := range superseded {
		e.emit(env.Name, s.ID, "%s (%s) superseded by %s", s.ID, releaseOrDigest(s), p.ID)
		e.closeSuperseded(ctx, s, p.ID)
	}
	if p.Expedited != "" {
		// No expedited promotion moves unless the audit log says so.
		if err := e.expedited(ctx, p, b, idx); err != nil {
			if terr := e.Store.Promotions.Transition(ctx, p, slipway.StateFailed, "the expedite could not be audited: "+err.Error(), e.Now()); terr != nil {
				e.Log.Error("fail an unaudited expedited promotion", "promotion", p.ID, "err", terr)
			}
			return nil, fmt.Errorf("promotion %s: record the expedite in the audit log: %w (the promotion failed; request it again)", p.ID, err)
		}
	}
	return p, e.Kick(ctx, p)
}

// createPromotion stores p, superseding what the store allows; a race the
// store's unique index caught (another request became active at the same
// instant) is asked again, and then supersedes or is refused by the rules.
func (e *Engine) createPromotion(ctx context.Context, p *slipway.Promotion) ([]*slipway.Promotion, error) {
	for attempt := 0; ; attempt++ {
		sup, err := e.Store.Promotions.CreatePromotion(ctx, p, true)
		if err != nil && attempt < 5 && slipway.ErrorCode(err) == slipway.ECONFLICT && strings.Contains(err.Error(), "at the same moment") {
			continue
		}
		return sup, err
	}
}

// closeSuperseded closes the pull request of a superseded promotion, saying
// which promotion replaced it. Reconcile does it again if this fails.
func (e *Engine) closeSuperseded(ctx context.Context, s *slipway.Promotion, by string) {
	if s.PR == 0 {
		return
	}
	if err := e.Forge.Close(ctx, s.PR, fmt.Sprintf("Superseded by promotion %s.", by)); err != nil {
		e.Log.Warn("close superseded pull request", "pr", s.PR, "err", err)
	}
}

// Kick has p advanced: by the controller's workers when one runs (the
// caller returns at once), else here and now.
func (e *Engine) Kick(ctx context.Context, p *slipway.Promotion) error {
	if e.Controller || e.controllerAlive(ctx) {
		return e.Store.Queue.Enqueue(ctx, slipway.WorkAdvance, p.ID, e.Now())
	}
	return e.Advance(ctx, p)
}

// controllerAlive reports whether a `slipway serve` holds the leader lease.
func (e *Engine) controllerAlive(ctx context.Context) bool {
	ls, err := e.Store.Leases.Leases(ctx)
	if err != nil {
		return false
	}
	for _, l := range ls {
		if l.Name == slipway.LeaderLease {
			return true
		}
	}
	return false
}

func (e *Engine) resolveBuild(ctx context.Context, svc *config.Service, r PromoteRequest) (*slipway.Build, *slipway.Release, error) {
	var rel *slipway.Release
	id := r.BuildID
	switch {
	case r.Release != "" && r.BuildID != "":
		return nil, nil, invalid("pass either --release or --build, not both")
	case r.Release != "":
		var err error
		if rel, err = e.Store.Releases.Release(ctx, svc.Name, r.Release); err != nil {
			return nil, nil, err
		}
		id = rel.BuildID
	case id == "":
		return nil, nil, invalid("say what to promote: --release vX.Y.Z or --build ID (see `slipway build list --service %s`)", svc.Name)
	}
	b, err := e.Store.Builds.Build(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if b.Service != svc.Name {
		return nil, nil, invalid("build %s belongs to service %s, not %s", b.ID, b.Service, svc.Name)
	}
	if rel == nil {
		if rel, err = e.Store.Releases.ReleaseOfBuild(ctx, b.ID); err != nil {
			return nil, nil, err
		}
	}
	return b, rel, nil
}

// succeededIn reports whether the build's digest ran successfully in env.
func (e *Engine) succeededIn(ctx context.Context, b *slipway.Build, env string) (bool, error) {
	ps, err := e.Store.Promotions.Promotions(ctx, slipway.PromotionFilter{Service: b.Service, Env: env, State: slipway.StateSucceeded, Digest: b.Digest})
	return len(ps) > 0, err
}

// checkPin reads the environment's pin for the service on the remote branch
// before anything is recorded, so a missing file or YAML path is refused
// with nothing changed in Git or the store.
func (e *Engine) checkPin(ctx context.Context, env *config.Environment, service string, b *slipway.Build, release string) error {
	if err := e.fresh(ctx, false); err != nil {
		return err
	}
	base := e.Cfg.Branch(env)
	tip, err := e.GitOps.RemoteBranch(ctx, base)
	if err != nil {
		return err
	}
	if tip == "" {
		return invalid("branch %s of environment %s is not on the GitOps remote %s: create it, or set branch: in slipway.yaml", base, env.Name, e.Cfg.GitOps.Remote)
	}
	pins, err := e.pinsFor(env, service, b, release)
	if err != nil {
		return err
	}
	files, err := pins.read(ctx, e.GitOps, tip)
	if err != nil {
		return err
	}
	// Writing the pins in memory checks everything a promotion will need:
	// every file, document and field, and that the pins can hold the build.
	_, err = pins.apply(files)
	return err
}

// Reconcile advances every unfinished promotion (gates that opened, pull
// requests that merged), brings the store's pin records in line with Git,
// closes pull requests of superseded promotions, and starts the automatic
// promotions a crash may have left unstarted. It is what `slipway serve`
// runs periodically and what `slipway reconcile` runs once.
func (e *Engine) Reconcile(ctx context.Context) error {
	var errs []error
	if err := e.SyncPins(ctx); err != nil {
		errs = append(errs, err)
	}
	active, err := e.Store.Promotions.Promotions(ctx, slipway.PromotionFilter{Active: true})
	if err != nil {
		return err
	}
	for _, p := range active {
		if err := e.Kick(ctx, p); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p.ID, err))
		}
	}
	if err := e.autoPromoteAll(ctx); err != nil {
		errs = append(errs, err)
	}
	e.closeStalePRs(ctx)
	// The clone's commit-graph, which `slipway audit verify` walks with,
	// kept current here so verify never pays for writing it whole.
	keepCommitGraph(ctx, e.GitOps)
	if e.Metrics != nil && len(errs) > 0 {
		e.Metrics.reconcileErrors.Add(float64(len(errs)))
	}
	return errors.Join(errs...)
}

// closeStalePRs closes open pull requests of promotions that ended without
// them (superseded, failed): a crash between the two leaves them open.
func (e *Engine) closeStalePRs(ctx context.Context) {
	open, err := e.Forge.List(ctx, slipway.PROpen)
	if err != nil || len(open) == 0 {
		return
	}
	byPR := map[int]*slipway.Promotion{}
	byBranch := map[string]*slipway.Promotion{} // opened, but the number never recorded (a crash, or superseded at that moment)
	for _, st := range []slipway.PromotionState{slipway.StateSuperseded, slipway.StateFailed} {
		ps, err := e.Store.Promotions.Promotions(ctx, slipway.PromotionFilter{State: st})
		if err != nil {
			return
		}
		for _, p := range ps {
			switch {
			case p.PR != 0:
				byPR[p.PR] = p
			case p.Branch != "" && p.Head != "":
				byBranch[p.Branch] = p
			}
		}
	}
	for _, pr := range open {
		p, ok := byPR[pr.Number]
		if !ok {
			// By content: the branch named for the promotion still holds
			// the pin commit it made, so the pull request is its own.
			if q := byBranch[pr.Branch]; q != nil && pr.HeadSHA == q.Head {
				c := *q
				c.PR, p, ok = pr.Number, &c, true
			}
		}
		if ok {
			e.closeSuperseded(ctx, p, "a newer promotion (this one is "+string(p.State)+")")
		}
	}
}

// onSucceeded announces a stable digest and starts automatic promotion into
// the next environment.
func (e *Engine) onSucceeded(ctx context.Context, p *slipway.Promotion) error {
	e.emit(p.Env, p.PinCommit, "%s of %s is stable in %s", p.ID, p.Service, p.Env)
	b, err := e.Store.Builds.Build(ctx, p.BuildID)
	if err != nil {
		return err
	}
	return e.autoPromoteNext(ctx, b, p.Env)
}

// autoPromoteNext promotes b into the environment after from, when that
// environment is automatic and the build qualifies (released if required,
// not held, not already there).
func (e *Engine) autoPromoteNext(ctx context.Context, b *slipway.Build, from string) error {
	next := e.Cfg.Next(from)
	if next == nil || !next.Auto {
		return nil
	}
	if cur, err := e.Store.Promotions.Current(ctx, b.Service, from); err != nil || cur == nil || cur.Digest != b.Digest {
		return err // only what runs in `from` now moves on
	}
	rel, err := e.Store.Releases.ReleaseOfBuild(ctx, b.ID)
	if err != nil {
		return err
	}
	if next.RequireRelease() && rel == nil {
		return nil // released later: `slipway release` triggers this again
	}
	if h, err := e.Store.Holds.ActiveHold(ctx, b.Service, b.Digest); err != nil || h != nil {
		return err
	}
	ps, err := e.Store.Promotions.Promotions(ctx, slipway.PromotionFilter{Service: b.Service, Env: next.Name, Digest: b.Digest})
	if err != nil {
		return err
	}
	for _, q := range ps {
		if q.State != slipway.StateSuperseded {
			return nil // already promoted (or tried and failed: a person decides)
		}
	}
	_, err = e.Promote(asSystem(ctx), PromoteRequest{Service: b.Service, Env: next.Name, BuildID: b.ID, Requester: "slipway"})
	if slipway.ErrorCode(err) == slipway.ECONFLICT {
		e.emit(next.Name, b.ID, "automatic promotion of %s to %s waits: %v", b.ID, next.Name, err)
		return nil
	}
	return err
}

// autoPromoteAll starts every automatic promotion that is due: what runs in
// an environment and is not yet in the next, automatic one.
func (e *Engine) autoPromoteAll(ctx context.Context) error {
	var errs []error
	for i, env := range e.Cfg.Environments {
		if i == 0 || !env.Auto {
			continue
		}
		prev := e.Cfg.Environments[i-1].Name
		for _, svc := range e.Cfg.Services {
			cur, err := e.Store.Promotions.Current(ctx, svc.Name, prev)
			if err != nil || cur == nil {
				continue
			}
			b, err := e.Store.Builds.Build(ctx, cur.BuildID)
			if err != nil {
				continue
			}
			if err := e.autoPromoteNext(ctx, b, prev); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
