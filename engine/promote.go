package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/config"
	"github.com/slipway/slipway/gitops"
)

// PromoteRequest asks for one build in one environment.
type PromoteRequest struct {
	Service   string
	Env       string
	BuildID   string // or Release
	Release   string // a release tag of the service
	Requester string
	// Expedite skips the "must be green in the previous environment" rule for
	// a hotfix; the reason is recorded. It never skips the canary or the gates
	// of the target environment.
	Expedite string
}

// Promote creates a promotion and advances it as far as it can go now.
func (e *Engine) Promote(ctx context.Context, r PromoteRequest) (*slipway.Promotion, error) {
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
	if h, err := e.Store.ActiveHold(ctx, b.Service, b.Digest); err != nil {
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
	active, err := e.Store.Promotions(ctx, sqliteFilter(b.Service, env.Name, true))
	if err != nil {
		return nil, err
	}
	for _, a := range active {
		if a.Digest == b.Digest {
			return a, e.Advance(ctx, a) // the same request again: continue the existing one
		}
		if a.State != slipway.StateWaiting {
			return nil, slipway.Errorf(slipway.ECONFLICT, "promotion %s of %s to %s is in state %s; wait for it to finish (or merge/close PR #%d) before promoting another build", a.ID, a.Service, a.Env, a.State, a.PR)
		}
	}
	if err := e.checkPin(ctx, env, b.Service, b.Digest); err != nil {
		return nil, err
	}
	for _, a := range active {
		if err := e.Store.Transition(ctx, a, slipway.StateSuperseded, "superseded by a newer build", e.Now()); err != nil {
			return nil, err
		}
	}
	p := &slipway.Promotion{
		Service: b.Service, Env: env.Name, BuildID: b.ID, Digest: b.Digest,
		Requester: r.Requester, Expedited: r.Expedite, State: slipway.StateWaiting,
		Reason: "evaluating gates", Created: e.Now(),
	}
	if rel != nil {
		p.Release = rel.Tag
	}
	if err := e.Store.CreatePromotion(ctx, p); err != nil {
		return nil, err
	}
	what := short(b.Digest[7:])
	if p.Release != "" {
		what = p.Release
	}
	msg := "promotion %s of %s %s requested by %s"
	if r.Expedite != "" {
		msg += " (expedited: " + r.Expedite + ")"
	}
	e.emit(env.Name, p.ID, msg, p.ID, b.Service, what, r.Requester)
	return p, e.Advance(ctx, p)
}

func (e *Engine) resolveBuild(ctx context.Context, svc *config.Service, r PromoteRequest) (*slipway.Build, *slipway.Release, error) {
	var rel *slipway.Release
	id := r.BuildID
	switch {
	case r.Release != "" && r.BuildID != "":
		return nil, nil, invalid("pass either --release or --build, not both")
	case r.Release != "":
		var err error
		if rel, err = e.Store.Release(ctx, svc.Name, r.Release); err != nil {
			return nil, nil, err
		}
		id = rel.BuildID
	case id == "":
		return nil, nil, invalid("say what to promote: --release vX.Y.Z or --build ID (see `slipway build list --service %s`)", svc.Name)
	}
	b, err := e.Store.Build(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if b.Service != svc.Name {
		return nil, nil, invalid("build %s belongs to service %s, not %s", b.ID, b.Service, svc.Name)
	}
	if rel == nil {
		if rel, err = e.Store.ReleaseOfBuild(ctx, b.ID); err != nil {
			return nil, nil, err
		}
	}
	return b, rel, nil
}

// succeededIn reports whether the build's digest ran successfully in env.
func (e *Engine) succeededIn(ctx context.Context, b *slipway.Build, env string) (bool, error) {
	ps, err := e.Store.Promotions(ctx, sqliteFilter(b.Service, env, false))
	if err != nil {
		return false, err
	}
	for _, p := range ps {
		if p.Digest == b.Digest && (p.State == slipway.StateSucceeded) {
			return true, nil
		}
	}
	return false, nil
}

// Reconcile advances every promotion that is not finished: gates that opened,
// pull requests that were merged. It is what `slipway serve` runs in a loop
// and what every CLI command runs once after its own change.
func (e *Engine) Reconcile(ctx context.Context) error {
	active, err := e.Store.Promotions(ctx, sqliteFilter("", "", true))
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range active {
		if err := e.Advance(ctx, p); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p.ID, err))
		}
	}
	return errors.Join(errs...)
}

// Advance runs the promotion's steps from its current state until it must
// wait (gates, review) or finishes.
func (e *Engine) Advance(ctx context.Context, p *slipway.Promotion) error {
	for !p.State.Terminal() {
		st, ok := pipeline[p.State]
		if !ok {
			return fmt.Errorf("promotion %s: no step for state %s", p.ID, p.State)
		}
		next, reason, err := st.Run(ctx, e, p)
		if err != nil {
			if slipway.ErrorCode(err) == slipway.EINTERNAL || !slipway.CanTransition(p.State, slipway.StateFailed) {
				return err // environment trouble: keep the state, a retry resumes here
			}
			// The input is wrong (missing pin path, …): fail the promotion, visibly.
			if terr := e.Store.Transition(ctx, p, slipway.StateFailed, err.Error(), e.Now()); terr != nil {
				return terr
			}
			e.emit(p.Env, p.ID, "promotion %s failed at %q: %v", p.ID, st, err)
			return err
		}
		if next == "" || next == p.State {
			if reason != "" && reason != p.Reason {
				p.Reason = reason
				if err := e.Store.Update(ctx, p, e.Now()); err != nil {
					return err
				}
			}
			return nil // waiting for something outside: a gate, a review
		}
		if err := e.Store.Transition(ctx, p, next, reason, e.Now()); err != nil {
			return err
		}
		if next == slipway.StateSucceeded {
			if err := e.onSucceeded(ctx, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// step is one stage of a promotion: it performs its (idempotent) side effect
// and names the next state, or "" to wait.
type step interface {
	String() string
	Run(ctx context.Context, e *Engine, p *slipway.Promotion) (next slipway.PromotionState, reason string, err error)
}

// pipeline reads top to bottom as a promotion does: gates → pin → review →
// sync → canary.
var pipeline = map[slipway.PromotionState]step{
	slipway.StateWaiting:    gateStep{},
	slipway.StatePinning:    pinStep{},
	slipway.StateReviewOpen: reviewStep{},
	slipway.StateSynced:     syncStep{},
	slipway.StateCanary:     canaryStep{},
}

// onSucceeded records the change (audit for production) and starts automatic
// promotion into the next environment.
func (e *Engine) onSucceeded(ctx context.Context, p *slipway.Promotion) error {
	e.emit(p.Env, p.PinCommit, "%s of %s is stable in %s", p.ID, p.Service, p.Env)
	// A newer success replaces what ran before.
	if e.isProd(p.Env) {
		if err := e.audit(ctx, "promoted", p, p.Reason); err != nil {
			return err
		}
	}
	b, err := e.Store.Build(ctx, p.BuildID)
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
	if ok, err := e.succeededIn(ctx, b, from); err != nil || !ok {
		return err
	}
	rel, err := e.Store.ReleaseOfBuild(ctx, b.ID)
	if err != nil {
		return err
	}
	if next.RequireRelease() && rel == nil {
		return nil // released later: `slipway release` triggers this again
	}
	if h, err := e.Store.ActiveHold(ctx, b.Service, b.Digest); err != nil || h != nil {
		return err
	}
	ps, err := e.Store.Promotions(ctx, sqliteFilter(b.Service, next.Name, false))
	if err != nil {
		return err
	}
	for _, q := range ps {
		if q.Digest == b.Digest && q.State != slipway.StateSuperseded {
			return nil // already promoted (or tried and failed: a person decides)
		}
	}
	_, err = e.Promote(ctx, PromoteRequest{Service: b.Service, Env: next.Name, BuildID: b.ID, Requester: "slipway"})
	if slipway.ErrorCode(err) == slipway.ECONFLICT {
		e.emit(next.Name, b.ID, "automatic promotion of %s to %s waits: %v", b.ID, next.Name, err)
		return nil
	}
	return err
}

// MergePR merges a pull request of the local forge as user and continues the
// promotion it belongs to. A production window that closed since the pull
// request opened refuses the merge: the gates are evaluated again first.
func (e *Engine) MergePR(ctx context.Context, number int, user string) error {
	active, err := e.Store.Promotions(ctx, sqliteFilter("", "", true))
	if err != nil {
		return err
	}
	var p *slipway.Promotion
	for _, a := range active {
		if a.PR == number {
			p = a
		}
	}
	if p != nil {
		rep, err := e.evaluateGates(ctx, p)
		if err != nil {
			return err
		}
		if !rep.Open && rep.WindowClosed() {
			return slipway.Errorf(slipway.ECONFLICT, "pull request #%d promotes to %s, which cannot change now: %s", number, p.Env, rep.Summary())
		}
	}
	pr, err := e.Forge.Merge(ctx, number, user)
	if err != nil {
		return err
	}
	e.emit("forge", fmt.Sprintf("PR #%d", number), "%s merged pull request #%d into %s (%s)", user, number, pr.Base, short(pr.MergeSHA))
	if p == nil {
		return nil
	}
	return e.Advance(ctx, p)
}

// checkPin reads the environment's pin for the service on the remote branch
// before anything is recorded, so a missing file or YAML path is refused
// with nothing changed in Git or the store.
func (e *Engine) checkPin(ctx context.Context, env *config.Environment, service, digest string) error {
	if err := e.GitOps.Fetch(ctx); err != nil {
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
	file, err := env.Pin.Render(service, env.Name)
	if err != nil {
		return invalid("pin of environment %s: %v", env.Name, err)
	}
	content, err := e.GitOps.ShowFile(ctx, "origin/"+base, file)
	if err != nil {
		return invalid("pin file %s does not exist on branch %s of the GitOps repo: add it with the field %s, or fix pin.file of %s in %s", file, base, env.Pin.Path, env.Name, e.Cfg.Path())
	}
	if _, err := env.Pin.Current(content); err != nil {
		return invalid("%v (environment %s in %s)", gitops.SetFile(err, file), env.Name, e.Cfg.Path())
	}
	if env.Promotion == "pull-request" {
		branch := (&slipway.Promotion{Env: env.Name, Service: service, Digest: digest}).Branch()
		if head, err := e.GitOps.RemoteBranch(ctx, branch); err != nil {
			return err
		} else if head != "" {
			return slipway.Errorf(slipway.ECONFLICT, "branch %s already exists on the GitOps remote (tip %s) and no promotion in the store owns it: the remote diverged from Slipway's records; delete the branch on the remote and promote again", branch, short(head))
		}
	}
	return nil
}
