package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/platform"
)

// PlatformPromoteRequest asks to move a platform version into an environment.
type PlatformPromoteRequest struct {
	Version   string
	Env       string
	Requester string
}

// rolloutPoll is how often the controller looks at a running rollout's
// promotions (they move on their own work items).
var rolloutPoll = 2 * time.Second

// rolloutLease names the lease of the one actor driving a rollout.
func rolloutLease(id string) string { return "rollout/" + id }

// PromotePlatform starts moving every component of a released platform
// version into env, in the waves platform.rollout.steps makes of the
// services' labels (Argo CD RollingSync semantics, see docs/platform.md).
// Everything is checked before anything is recorded: each component is a
// known service with a registered build and a release, not held, and (past
// the first environment) green in the previous one. The same request again
// continues the rollout under way.
func (e *Engine) PromotePlatform(ctx context.Context, r PlatformPromoteRequest) (*slipway.Rollout, error) {
	env, idx, err := e.Cfg.Environment(r.Env)
	if err != nil {
		return nil, invalid("--to: %v", err)
	}
	pm, err := e.PlatformManifest(ctx, r.Version)
	if err != nil {
		return nil, err
	}
	m := pm.Manifest
	active, err := e.Store.Rollouts.Rollouts(ctx, slipway.RolloutFilter{Env: env.Name, Active: true})
	if err != nil {
		return nil, err
	}
	if len(active) > 0 {
		a := active[0]
		if a.Version != m.Version {
			return nil, slipway.Errorf(slipway.ECONFLICT, "platform rollout %s of %s %s into %s is %s: wait for it (`slipway platform status --env %s`)", a.ID, a.Platform, a.Version, a.Env, a.State, a.Env)
		}
		return a, e.KickRollout(ctx, a)
	}
	labels := map[string]map[string]string{}
	var problems []string
	ro := &slipway.Rollout{Platform: m.Name, Version: m.Version, Env: env.Name, State: slipway.RolloutRunning, Requester: r.Requester,
		RollbackAll: e.Cfg.Platform.Rollout.RollbackOnFailure == platform.RollbackAll, Created: e.Now()}
	for _, c := range m.Components {
		svc, err := e.Cfg.Service(c.Name)
		if err != nil {
			problems = append(problems, fmt.Sprintf("component %s is not a service in %s", c.Name, e.Cfg.Path()))
			continue
		}
		labels[c.Name] = svc.Labels
		rs := slipway.RolloutService{Service: c.Name, Version: c.Version, Tag: c.Tag, Digest: c.Digest, BuildID: slipway.BuildID(c.Name, c.Digest), State: slipway.ServicePending}
		if p := e.preflight(ctx, rs, idx); p != "" {
			problems = append(problems, p)
		}
		ro.Services = append(ro.Services, rs)
	}
	if len(problems) > 0 {
		return nil, slipway.Errorf(slipway.ECONFLICT, "platform %s %s cannot go to %s; nothing was started:\n  %s", m.Name, m.Version, env.Name, strings.Join(problems, "\n  "))
	}
	plan := e.Cfg.Platform.Rollout.Plan(labels)
	for i, w := range plan.Waves {
		ro.Waves = append(ro.Waves, slipway.RolloutWave{Step: w.Step, MaxUpdate: w.MaxUpdate, Services: w.Services})
		for _, s := range w.Services {
			ro.Service(s).Wave = i
		}
	}
	for _, s := range plan.Excluded {
		rs := ro.Service(s)
		rs.Wave, rs.State, rs.Reason = -1, slipway.ServiceExcluded, "no step selects it: promote it by hand"
	}
	ro.Reason = "wave 1 of " + fmt.Sprint(len(ro.Waves))
	if err := e.Store.Rollouts.CreateRollout(ctx, ro); err != nil {
		return nil, err
	}
	e.emit("platform", ro.ID, "rollout %s of platform %s %s into %s: %d waves, requested by %s", ro.ID, ro.Platform, ro.Version, ro.Env, len(ro.Waves), r.Requester)
	for _, w := range plan.Warnings {
		e.emit("platform", ro.ID, "note: %s", w)
	}
	for _, s := range plan.Excluded {
		e.emit("platform", ro.ID, "note: %s matches no step: RollingSync leaves it out; promote it by hand", s)
	}
	return ro, e.KickRollout(ctx, ro)
}

// preflight says why a component cannot be promoted into the environment
// at position idx ("" when it can).
func (e *Engine) preflight(ctx context.Context, rs slipway.RolloutService, idx int) string {
	b, err := e.Store.Builds.Build(ctx, rs.BuildID)
	if err != nil {
		return fmt.Sprintf("%s: no registered build has digest %s (register it with `slipway build register`)", rs.Service, digestShort(rs.Digest))
	}
	if rs.Tag != "" {
		if _, err := e.Store.Releases.Release(ctx, rs.Service, rs.Tag); err != nil {
			return fmt.Sprintf("%s: release %s is not in the store", rs.Service, rs.Tag)
		}
	}
	if h, err := e.Store.Holds.ActiveHold(ctx, rs.Service, rs.Digest); err != nil {
		return fmt.Sprintf("%s: %v", rs.Service, err)
	} else if h != nil {
		return fmt.Sprintf("%s %s is held (%s): lift the hold first, or release a new platform version", rs.Service, rs.Version, h.Reason)
	}
	env := e.Cfg.Environments[idx]
	if cur, err := e.Store.Promotions.Current(ctx, rs.Service, env.Name); err == nil && cur != nil && cur.Digest == rs.Digest {
		return "" // already runs there
	}
	if idx > 0 {
		prev := e.Cfg.Environments[idx-1].Name
		if ok, err := e.succeededIn(ctx, b, prev); err != nil || !ok {
			return fmt.Sprintf("%s %s has not succeeded in %s yet: promote it there first", rs.Service, rs.Version, prev)
		}
	}
	return ""
}

// KickRollout has a rollout advanced: by the controller when one runs (the
// caller returns at once), else here and now, as far as it can go.
func (e *Engine) KickRollout(ctx context.Context, ro *slipway.Rollout) error {
	if e.Controller || e.controllerAlive(ctx) {
		return e.Store.Queue.Enqueue(ctx, slipway.WorkPlatform, ro.ID, e.Now())
	}
	_, err := e.AdvanceRollout(ctx, ro.ID)
	return err
}

// ReconcileRollouts queues every active rollout for the controller (run
// by its periodic reconcile, so a rollout whose work item was lost moves on).
func (e *Engine) ReconcileRollouts(ctx context.Context) error {
	rs, err := e.Store.Rollouts.Rollouts(ctx, slipway.RolloutFilter{Active: true})
	if err != nil {
		return err
	}
	var errs []error
	for _, r := range rs {
		errs = append(errs, e.Store.Queue.Enqueue(ctx, slipway.WorkPlatform, r.ID, e.Now()))
	}
	return errors.Join(errs...)
}

// AdvanceRollout drives a rollout as far as it can go now: it records how
// its promotions ended, starts what its wave allows, moves to the next
// wave, or handles a failed wave. One actor drives a rollout at a time (a
// lease). It returns when the rollout should be looked at again (zero
// when it needs nothing more: finished, or paused with nothing moving).
func (e *Engine) AdvanceRollout(ctx context.Context, id string) (time.Time, error) {
	if _, err := e.Store.Leases.Acquire(ctx, rolloutLease(id), e.Owner, leaseTTL); slipway.ErrorCode(err) == slipway.ECONFLICT {
		return e.Now().Add(rolloutPoll), nil // driven elsewhere; look again later
	} else if err != nil {
		return time.Time{}, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); e.keepLease(ctx, cancel, rolloutLease(id)) }()
	defer func() {
		cancel()
		<-done
		e.Store.Leases.Release(context.WithoutCancel(ctx), rolloutLease(id), e.Owner)
	}()
	for pass := 0; ; pass++ {
		ro, err := e.Store.Rollouts.Rollout(ctx, id)
		if err != nil {
			return time.Time{}, err
		}
		if !ro.State.Active() {
			return time.Time{}, nil
		}
		moved, err := e.rolloutPass(ctx, ro)
		if slipway.ErrorCode(err) == slipway.ECONFLICT && strings.Contains(err.Error(), "changed since it was read") && pass < 20 {
			continue // a pause or resume landed meanwhile: decide again
		}
		if err != nil {
			return e.Now().Add(rolloutPoll), err
		}
		if !moved {
			if ro.State == slipway.RolloutPaused && ro.InFlight() == 0 {
				return time.Time{}, nil
			}
			return e.Now().Add(rolloutPoll), nil
		}
	}
}

// rolloutPass makes one decision and stores it; moved reports whether
// anything changed (the caller then looks again).
func (e *Engine) rolloutPass(ctx context.Context, ro *slipway.Rollout) (bool, error) {
	observed, err := e.observeRollout(ctx, ro)
	if err != nil {
		return false, err
	}
	if observed {
		return true, e.saveRollout(ctx, ro)
	}
	if ro.State == slipway.RolloutFailing {
		return e.rollBackWave(ctx, ro)
	}
	if failed := ro.FailedIn(ro.Wave); len(failed) > 0 {
		return true, e.failRollout(ctx, ro, failed)
	}
	if ro.Wave < len(ro.Waves) && ro.WaveDone(ro.Wave) {
		ro.Wave++
		if ro.Wave == len(ro.Waves) {
			ro.State, ro.Reason = slipway.RolloutSucceeded, fmt.Sprintf("every wave succeeded (%d)", len(ro.Waves))
			e.emit("platform", ro.ID, "rollout %s: platform %s %s runs in %s", ro.ID, ro.Platform, ro.Version, ro.Env)
		} else {
			if ro.State == slipway.RolloutRunning {
				ro.Reason = fmt.Sprintf("wave %d of %d", ro.Wave+1, len(ro.Waves))
			}
			e.emit("platform", ro.ID, "rollout %s: wave %d succeeded; wave %d (step %d: %s) is next", ro.ID, ro.Wave, ro.Wave+1, ro.Waves[ro.Wave].Step, strings.Join(ro.Waves[ro.Wave].Services, ", "))
		}
		// The next wave is stored before any of its promotions starts.
		return true, e.saveRollout(ctx, ro)
	}
	if ro.State != slipway.RolloutRunning || ro.Wave >= len(ro.Waves) {
		return false, nil
	}
	return e.startNext(ctx, ro)
}

// observeRollout records what became of the current wave's promotions, and
// adopts promotions a person started by hand for services still pending
// (as RollingSync counts an application synced by hand). Promotions that
// only wait are driven here when no controller runs.
func (e *Engine) observeRollout(ctx context.Context, ro *slipway.Rollout) (bool, error) {
	changed := false
	for i := range ro.Services {
		rs := &ro.Services[i]
		if rs.Wave < 0 || rs.Wave > ro.Wave && ro.State != slipway.RolloutFailing {
			continue
		}
		switch rs.State {
		case slipway.ServicePending:
			if rs.Wave != ro.Wave || ro.State == slipway.RolloutFailing {
				continue
			}
			if p, err := e.adoptable(ctx, ro, rs); err != nil {
				return false, err
			} else if p != nil {
				rs.State, rs.PromotionID, rs.Reason = slipway.ServicePromoting, p.ID, "adopted "+p.ID
				e.emit("platform", ro.ID, "rollout %s adopts %s of %s (%s)", ro.ID, p.ID, rs.Service, p.State)
				changed = true
			}
		case slipway.ServicePromoting:
			if rs.PromotionID == "" {
				p, err := e.adoptable(ctx, ro, rs)
				if err != nil {
					return false, err
				}
				if p == nil {
					continue // the crash came before the promotion: startNext starts it
				}
				rs.PromotionID, rs.Reason = p.ID, "found "+p.ID+" by its digest"
				changed = true
			}
			p, err := e.Store.Promotions.Promotion(ctx, rs.PromotionID)
			if err != nil {
				return false, err
			}
			if p.State.Active() && ro.State != slipway.RolloutFailing && !e.Controller && !e.controllerAlive(ctx) {
				// No controller drives it: do it here (Advance holds its lease).
				if err := e.Advance(ctx, p); err != nil {
					return changed, err
				}
			}
			if st, why := serviceOutcome(p); st != rs.State || why != rs.Reason {
				if st != slipway.ServicePromoting {
					e.emit("platform", ro.ID, "rollout %s: %s %s in %s: %s", ro.ID, rs.Service, rs.Version, ro.Env, st)
				}
				rs.State, rs.Reason = st, why
				changed = true
			}
		}
	}
	return changed, nil
}

// serviceOutcome maps a promotion's state onto the rollout's view of it.
func serviceOutcome(p *slipway.Promotion) (string, string) {
	switch p.State {
	case slipway.StateSucceeded:
		return slipway.ServiceSucceeded, p.ID + " succeeded"
	case slipway.StateAborted, slipway.StateFailed:
		return slipway.ServiceFailed, fmt.Sprintf("%s %s: %s", p.ID, p.State, p.Reason)
	case slipway.StateSuperseded:
		return slipway.ServiceFailed, p.ID + " was superseded by another promotion of the service"
	case slipway.StateRolledBack:
		return slipway.ServiceFailed, p.ID + " was rolled back"
	}
	return slipway.ServicePromoting, fmt.Sprintf("%s %s: %s", p.ID, p.State, p.Reason)
}

// adoptable finds a promotion of the service's platform digest into the
// rollout's environment that this rollout may count as its own: one created
// since the rollout began (a crash between creating it and recording its
// id, or a person promoting it by hand), or the one that already runs it.
func (e *Engine) adoptable(ctx context.Context, ro *slipway.Rollout, rs *slipway.RolloutService) (*slipway.Promotion, error) {
	ps, err := e.Store.Promotions.Promotions(ctx, slipway.PromotionFilter{Service: rs.Service, Env: ro.Env, Digest: rs.Digest})
	if err != nil {
		return nil, err
	}
	for i := len(ps) - 1; i >= 0; i-- {
		if p := ps[i]; !p.Created.Before(ro.Created) && p.State != slipway.StateSuperseded {
			return p, nil
		}
	}
	cur, err := e.Store.Promotions.Current(ctx, rs.Service, ro.Env)
	if err != nil || cur == nil || cur.Digest != rs.Digest {
		return nil, err
	}
	return cur, nil
}

// startNext starts the promotions the current wave allows now: up to its
// maxUpdate promoting at once (RollingSync's rolling window inside a step).
// Each service is stored as promoting before its promotion is requested,
// and its promotion id as soon as the request returns, so a crash never
// starts a service twice (a resumed rollout finds it by its digest).
func (e *Engine) startNext(ctx context.Context, ro *slipway.Rollout) (bool, error) {
	w := ro.Waves[ro.Wave]
	limit := w.MaxUpdate
	if w.Continued {
		limit = len(w.Services)
	}
	var next *slipway.RolloutService
	promoting := 0
	for _, rs := range ro.InWave(ro.Wave) {
		switch {
		case rs.State == slipway.ServicePromoting && rs.PromotionID == "":
			next = rs // recorded as starting before a crash: start (or find) it
		case rs.State == slipway.ServicePromoting:
			promoting++
		case rs.State == slipway.ServicePending && next == nil:
			next = rs
		}
	}
	if next == nil {
		return false, nil
	}
	if next.State == slipway.ServicePending {
		if promoting >= limit {
			if limit == 0 && promoting == 0 {
				why := fmt.Sprintf("wave %d (step %d) has maxUpdate 0: it waits for a person: promote %s by hand, or run `slipway platform resume --env %s`", ro.Wave+1, w.Step, strings.Join(w.Services, ", "), ro.Env)
				if ro.Reason != why {
					ro.Reason = why
					e.notify(ctx, "platform", slipway.Notice{Event: slipway.NoticeRollout, Env: ro.Env, Release: ro.Version}, "rollout %s: %s", ro.ID, why)
					return true, e.saveRollout(ctx, ro)
				}
			}
			return false, nil
		}
		next.State, next.Reason = slipway.ServicePromoting, "starting"
		if err := e.saveRollout(ctx, ro); err != nil {
			return false, err
		}
	}
	// The rollout's requester requests each promotion: their permission
	// is checked, and they may not approve it themselves.
	p, err := e.Promote(ctx, PromoteRequest{Service: next.Service, Env: ro.Env, BuildID: next.BuildID, Requester: ro.Requester})
	if err != nil {
		if ctx.Err() != nil {
			return false, err
		}
		// Read the rollout again: the promotion may have started before the error.
		fresh, rerr := e.Store.Rollouts.Rollout(ctx, ro.ID)
		if rerr != nil {
			return false, rerr
		}
		if q, _ := e.adoptable(ctx, fresh, fresh.Service(next.Service)); q != nil {
			return true, e.recordPromotion(ctx, ro.ID, next.Service, q.ID)
		}
		if code := slipway.ErrorCode(err); code == slipway.EINTERNAL {
			return false, err // the environment failed us: try again later
		}
		rs := fresh.Service(next.Service)
		rs.State, rs.Reason = slipway.ServiceFailed, "promotion refused: "+err.Error()
		e.emit("platform", ro.ID, "rollout %s: promotion of %s refused: %v", ro.ID, next.Service, err)
		return true, e.saveRollout(ctx, fresh)
	}
	e.emit("platform", ro.ID, "rollout %s wave %d: %s %s -> %s (%s)", ro.ID, ro.Wave+1, next.Service, next.Version, ro.Env, p.ID)
	return true, e.recordPromotion(ctx, ro.ID, next.Service, p.ID)
}

// recordPromotion stores a service's promotion id on a fresh copy of the
// rollout (Promote may have taken long; a pause may have landed).
func (e *Engine) recordPromotion(ctx context.Context, id, service, promotionID string) error {
	for attempt := 0; ; attempt++ {
		ro, err := e.Store.Rollouts.Rollout(ctx, id)
		if err != nil {
			return err
		}
		rs := ro.Service(service)
		if rs.PromotionID == promotionID {
			return nil
		}
		rs.State, rs.PromotionID, rs.Reason = slipway.ServicePromoting, promotionID, promotionID+" started"
		err = e.saveRollout(ctx, ro)
		if slipway.ErrorCode(err) != slipway.ECONFLICT || attempt > 10 {
			return err
		}
	}
}

// failRollout stops a rollout whose wave failed: services not started yet
// (this wave's and every later one's) never start, and promotions of the
// failed wave that still wait for their gates are ended before they touch
// Git. Rolling back follows once the wave's other promotions settle.
func (e *Engine) failRollout(ctx context.Context, ro *slipway.Rollout, failed []*slipway.RolloutService) error {
	var names []string
	for _, f := range failed {
		names = append(names, f.Service+" ("+f.Reason+")")
	}
	ro.State = slipway.RolloutFailing
	ro.Reason = fmt.Sprintf("wave %d failed: %s", ro.Wave+1, strings.Join(names, "; "))
	for i := range ro.Services {
		rs := &ro.Services[i]
		if rs.State == slipway.ServicePending || rs.State == slipway.ServicePromoting && rs.PromotionID == "" {
			rs.State, rs.Reason = slipway.ServiceSkipped, fmt.Sprintf("not started: wave %d failed", ro.Wave+1)
		}
	}
	if err := e.saveRollout(ctx, ro); err != nil {
		return err
	}
	e.notify(ctx, "platform", slipway.Notice{Event: slipway.NoticeRollout, Env: ro.Env, Release: ro.Version}, "rollout %s of platform %s %s into %s: %s; later waves will not start", ro.ID, ro.Platform, ro.Version, ro.Env, ro.Reason)
	for _, rs := range ro.InWave(ro.Wave) {
		if rs.State != slipway.ServicePromoting {
			continue
		}
		p, err := e.Store.Promotions.Promotion(ctx, rs.PromotionID)
		if err != nil {
			return err
		}
		if p.State == slipway.StateWaiting {
			// Nothing touched Git yet; a conflict means it moved on and
			// settles like the others.
			err := e.Store.Promotions.Transition(ctx, p, slipway.StateFailed, "stopped: platform rollout "+ro.ID+" failed", e.Now())
			if err != nil && slipway.ErrorCode(err) != slipway.ECONFLICT {
				return err
			}
		}
	}
	return nil
}

// rollBackWave rolls back, once every promotion in scope has settled, the
// services the failed rollout changed: the failed wave's (an aborted canary
// was reverted and held by the engine already), and with rollbackOnFailure:
// all every earlier wave's too, latest wave first. Each rollback is a
// revert of the pin plus a hold (Engine.Rollback).
func (e *Engine) rollBackWave(ctx context.Context, ro *slipway.Rollout) (bool, error) {
	first := ro.Wave
	if ro.RollbackAll {
		first = 0
	}
	for w := ro.Wave; w >= first; w-- {
		for _, rs := range ro.InWave(w) {
			if rs.State == slipway.ServicePromoting {
				ro.Reason = strings.SplitN(ro.Reason, "; waiting for", 2)[0] + "; waiting for " + rs.PromotionID + " of " + rs.Service + " to settle before rolling back"
				return false, nil
			}
		}
	}
	for w := ro.Wave; w >= first; w-- {
		for _, rs := range ro.InWave(w) {
			if rs.State != slipway.ServiceSucceeded {
				continue
			}
			p, err := e.Store.Promotions.Promotion(ctx, rs.PromotionID)
			if err != nil {
				return false, err
			}
			switch {
			case p.State == slipway.StateRolledBack:
				rs.State, rs.Reason = slipway.ServiceRolledBack, p.ID+" rolled back"
			case p.Created.Before(ro.Created):
				rs.Reason = "left as it was: it ran this version before the rollout"
				rs.State = slipway.ServiceSkipped
			default:
				cur, err := e.Store.Promotions.Current(ctx, rs.Service, ro.Env)
				if err != nil {
					return false, err
				}
				if cur == nil || cur.ID != p.ID {
					rs.State, rs.Reason = slipway.ServiceSkipped, "not rolled back: another promotion replaced "+p.ID+" since"
					break
				}
				why := fmt.Sprintf("platform %s %s rollout %s failed at wave %d", ro.Platform, ro.Version, ro.ID, ro.Wave+1)
				if _, err := e.Rollback(ctx, rs.Service, ro.Env, "slipway", why); err != nil {
					return false, fmt.Errorf("roll back %s in %s: %w", rs.Service, ro.Env, err)
				}
				rs.State, rs.Reason = slipway.ServiceRolledBack, p.ID+" rolled back (revert + hold)"
			}
			// Stored after each rollback, so a crash redoes none.
			return true, e.saveRollout(ctx, ro)
		}
	}
	ro.State = slipway.RolloutFailed
	ro.Reason = strings.SplitN(ro.Reason, "; waiting for", 2)[0] + "; rolled back"
	e.emit("platform", ro.ID, "rollout %s failed: %s", ro.ID, ro.Reason)
	return true, e.saveRollout(ctx, ro)
}

func (e *Engine) saveRollout(ctx context.Context, ro *slipway.Rollout) error {
	ro.Updated = e.Now()
	return e.Store.Rollouts.UpdateRollout(ctx, ro)
}

// PauseRollout stops the rollout into env from starting anything new:
// promotions already started finish (a canary is not cut short), and a
// failure is still handled.
func (e *Engine) PauseRollout(ctx context.Context, env, user, reason string) (*slipway.Rollout, error) {
	return e.changeRollout(ctx, env, func(ro *slipway.Rollout) error {
		if ro.State != slipway.RolloutRunning {
			return slipway.Errorf(slipway.ECONFLICT, "rollout %s is %s: only a running rollout can be paused", ro.ID, ro.State)
		}
		ro.State, ro.Reason = slipway.RolloutPaused, "paused by "+user
		if reason != "" {
			ro.Reason += ": " + reason
		}
		e.notify(ctx, "platform", slipway.Notice{Event: slipway.NoticeRollout, Env: ro.Env, Release: ro.Version}, "rollout %s into %s %s", ro.ID, ro.Env, ro.Reason)
		return nil
	})
}

// ResumeRollout lets the rollout into env go on: a paused one runs again,
// and a wave with maxUpdate 0 that waits for a person is continued (its
// services are promoted together). On a running rollout it just advances.
func (e *Engine) ResumeRollout(ctx context.Context, env, user string) (*slipway.Rollout, error) {
	return e.changeRollout(ctx, env, func(ro *slipway.Rollout) error {
		switch ro.State {
		case slipway.RolloutPaused:
			ro.State = slipway.RolloutRunning
		case slipway.RolloutRunning:
		default:
			return slipway.Errorf(slipway.ECONFLICT, "rollout %s is %s: it cannot be resumed", ro.ID, ro.State)
		}
		if ro.Wave < len(ro.Waves) {
			if w := &ro.Waves[ro.Wave]; w.MaxUpdate == 0 && !w.Continued {
				w.Continued = true
				e.emit("platform", ro.ID, "%s continues wave %d (step %d) of rollout %s", user, ro.Wave+1, w.Step, ro.ID)
			}
			ro.Reason = fmt.Sprintf("wave %d of %d (resumed by %s)", ro.Wave+1, len(ro.Waves), user)
		}
		return nil
	})
}

// changeRollout applies a person's change to the active rollout of env
// (stored with compare-and-swap), then has it advanced.
func (e *Engine) changeRollout(ctx context.Context, env string, change func(*slipway.Rollout) error) (*slipway.Rollout, error) {
	for attempt := 0; ; attempt++ {
		ro, err := e.ActiveRollout(ctx, env)
		if err != nil {
			return nil, err
		}
		if err := change(ro); err != nil {
			return nil, err
		}
		err = e.saveRollout(ctx, ro)
		if slipway.ErrorCode(err) == slipway.ECONFLICT && attempt < 10 {
			continue
		}
		if err != nil {
			return nil, err
		}
		return ro, e.KickRollout(ctx, ro)
	}
}

// ActiveRollout returns the rollout under way into env (or, with env "",
// the only one under way anywhere).
func (e *Engine) ActiveRollout(ctx context.Context, env string) (*slipway.Rollout, error) {
	if env != "" {
		if _, _, err := e.Cfg.Environment(env); err != nil {
			return nil, invalid("--env: %v", err)
		}
	}
	rs, err := e.Store.Rollouts.Rollouts(ctx, slipway.RolloutFilter{Env: env, Active: true})
	if err != nil {
		return nil, err
	}
	switch {
	case len(rs) == 0 && env == "":
		return nil, slipway.Errorf(slipway.ENOTFOUND, "no platform rollout is under way: start one with `slipway platform promote --version X --to ENV`")
	case len(rs) == 0:
		return nil, slipway.Errorf(slipway.ENOTFOUND, "no platform rollout into %s is under way: start one with `slipway platform promote --version X --to %s`", env, env)
	case len(rs) > 1:
		var envs []string
		for _, r := range rs {
			envs = append(envs, r.Env)
		}
		return nil, invalid("rollouts are under way into %s: say which with --env", strings.Join(envs, ", "))
	}
	return rs[0], nil
}
