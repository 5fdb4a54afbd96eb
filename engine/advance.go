package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/config"
)

// Step is one named stage of a promotion. The pipeline below lists them in
// the order a promotion meets them; each lives in its own step_*.go file.
type Step interface {
	// String is what a person reads in the timeline.
	String() string
	// In lists the states the step runs in.
	In() []slipway.PromotionState
	// Skip says why the step does nothing this time ("" to run it).
	Skip(ctx context.Context, r *run) string
	// Run performs the step's (idempotent) work.
	Run(ctx context.Context, r *run) (Outcome, error)
}

// Outcome is what a step decided.
type Outcome struct {
	// Next is the state to move to, persisted before the next step runs;
	// "" goes on with the next step of the same state.
	Next slipway.PromotionState
	// Wait stops the pass: something outside must happen (a gate, a
	// review, a person's decision). Reason says what.
	Wait bool
	// Retry starts the state's steps again (the remote moved under a push).
	Retry  bool
	Reason string
}

// pipeline is a promotion, top to bottom.
var pipeline = []Step{
	gates{},           // waiting: every gate passes
	editPin{},         // pinning: the digest written into the pins at the branch tip
	commitPin{},       // pinning: a commit that changes only the pins, recorded before any push
	pushPin{},         // pinning, direct: fast-forward push to the environment's branch
	openPullRequest{}, // pinning, pull request: push the branch, open the pull request
	waitForMerge{},    // review-open: merge the checked head (auto) or wait for a person
	startCanary{},     // synced: a canary where one is configured
	runCanary{},       // canary: steps and analysis, resumed where they stopped
	waitForDecision{}, // paused: a person settles an inconclusive canary
	abortCanary{},     // canary: hold, revert the pin so Git matches what runs, audit
	record{},          // synced/canary: record the pin and the prod change; succeeded
}

// run is one pass of one promotion through its steps: what the steps share.
type run struct {
	e     *Engine
	p     *slipway.Promotion
	env   *config.Environment
	build *slipway.Build
	base  string // the environment's branch
	token int64  // the lease token this pass holds

	// Filled by steps as they go.
	tip     string            // the branch tip the pin edit was made on
	files   map[string][]byte // pin files whose bytes change
	setBy   string            // the commit that already pins the digest (no edit needed)
	canary  *canaryResult     // how the canary ended in this pass
	retries int
	built   string      // the pin commit this pass built (not on the remote before this pass pushes it)
	branch  *branchLock // held from the edit to the push of a direct environment's pin
}

// branchLock makes this process's promotions into one branch edit and push
// one at a time: each builds on the tip the previous one left, instead of
// all racing and rebuilding on rejection. Other processes still race, and
// fast-forward-only pushes keep that safe.
//
// When others wait for the branch, the holder does not push: it leaves its
// pin commit at the end of the branch's chain and lets the next holder
// build on it; the holder that finds nobody waiting (or a full chain) pushes
// the whole chain at once (see pushChain). Every holder either joins the
// chain or pushes it before letting the branch go, so a chain never waits
// for nobody.
type branchLock struct {
	mu      sync.Mutex
	waiting atomic.Int32
	chain   []*link // pin commits built one on another, not pushed yet (mu held)
}

// maxChain caps how many promotions one push carries.
var maxChain = 32

// lockBranch takes the environment's branch for this pass.
func (r *run) lockBranch() {
	if r.branch != nil {
		return
	}
	v, _ := r.e.branches.LoadOrStore(r.base, &branchLock{})
	b := v.(*branchLock)
	b.waiting.Add(1)
	b.mu.Lock()
	b.waiting.Add(-1)
	r.branch = b
}

// chainTip is the commit the next pin edit builds on when a chain waits to
// be pushed ("" when none does).
func (r *run) chainTip() string {
	if r.branch == nil || len(r.branch.chain) == 0 {
		return ""
	}
	return r.branch.chain[len(r.branch.chain)-1].head
}

// unlockBranch lets the branch go, pushing the chain left by others first.
func (r *run) unlockBranch(ctx context.Context) {
	if r.branch == nil {
		return
	}
	r.flush(context.WithoutCancel(ctx))
	r.branch.mu.Unlock()
	r.branch = nil
}

func runsIn(s Step, state slipway.PromotionState) bool {
	for _, x := range s.In() {
		if x == state {
			return true
		}
	}
	return false
}

// leaseTTL is how long a promotion's driver may be silent before another
// process takes over; the lease is renewed every third of it.
var leaseTTL = 6 * time.Second

// errNotCurrent stops a pass whose promotion was superseded, settled by
// someone else, or whose lease was lost: it must not touch Git again.
var errNotCurrent = errors.New("promotion is no longer current")

// Advance runs p's steps from its current state until it must wait or it
// finishes. Exactly one actor drives a promotion: the pass holds the
// promotion's lease, and a promotion another process drives is left alone.
func (e *Engine) Advance(ctx context.Context, p *slipway.Promotion) error {
	lease, err := e.Store.Leases.Acquire(ctx, slipway.LeaseName(p.ID), e.Owner, leaseTTL)
	if slipway.ErrorCode(err) == slipway.ECONFLICT {
		e.Log.Debug("promotion driven elsewhere", "promotion", p.ID, "err", err)
		return nil
	}
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		e.keepLease(ctx, cancel, lease.Name)
	}()
	defer func() {
		cancel()
		<-renewed
		e.Store.Leases.Release(context.WithoutCancel(ctx), lease.Name, e.Owner)
	}()
	fresh, err := e.Store.Promotions.Promotion(ctx, p.ID)
	if err != nil {
		return err
	}
	*p = *fresh
	r := &run{e: e, p: p, token: lease.Token}
	err = r.drive(ctx)
	if errors.Is(err, errNotCurrent) {
		return nil
	}
	return err
}

// keepLease renews a lease until ctx ends; losing it cancels the pass.
func (e *Engine) keepLease(ctx context.Context, cancel context.CancelFunc, name string) {
	t := time.NewTicker(leaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := e.Store.Leases.Renew(ctx, name, e.Owner, leaseTTL); err != nil && ctx.Err() == nil {
				e.Log.Warn("lost a promotion lease; stopping", "lease", name, "err", err)
				cancel()
				return
			}
		}
	}
}

func (r *run) load(ctx context.Context) error {
	env, _, err := r.e.Cfg.Environment(r.p.Env)
	if err != nil {
		return invalid("%v", err)
	}
	b, err := r.e.Store.Builds.Build(ctx, r.p.BuildID)
	if err != nil {
		return err
	}
	r.env, r.build, r.base = env, b, r.e.Cfg.Branch(env)
	return nil
}

// drive moves the promotion through the pipeline.
func (r *run) drive(ctx context.Context) error {
	if !r.p.State.Active() {
		return nil
	}
	if err := r.load(ctx); err != nil {
		return r.fail(ctx, "load", err)
	}
	defer r.unlockBranch(ctx)
	for r.p.State.Active() {
		moved := false
		for _, st := range pipeline {
			if !runsIn(st, r.p.State) {
				continue
			}
			if why := st.Skip(ctx, r); why != "" {
				continue
			}
			if r.e.Metrics != nil {
				r.e.Metrics.step(st.String())
			}
			out, err := st.Run(ctx, r)
			if err != nil {
				return r.fail(ctx, st.String(), err)
			}
			if out.Retry {
				if err := r.backoff(ctx); err != nil {
					return err
				}
				moved = true
				break
			}
			if out.Wait {
				return r.wait(ctx, out.Reason)
			}
			if out.Next != "" {
				if err := r.moveTo(ctx, out.Next, out.Reason); err != nil {
					return err
				}
				if out.Next == slipway.StateSucceeded {
					if err := r.e.onSucceeded(ctx, r.p); err != nil {
						return err
					}
				}
				moved = true
				break
			}
		}
		if !moved {
			return fmt.Errorf("promotion %s: no step moves it out of %s", r.p.ID, r.p.State)
		}
	}
	return nil
}

// moveTo persists a transition; a promotion that changed under us (it was
// superseded) stops here.
func (r *run) moveTo(ctx context.Context, to slipway.PromotionState, reason string) error {
	from := r.p.State
	if err := r.e.Store.Promotions.Transition(ctx, r.p, to, reason, r.e.Now()); err != nil {
		if slipway.ErrorCode(err) == slipway.ECONFLICT {
			r.e.emit(r.p.Env, r.p.ID, "%s stops: %v", r.p.ID, err)
			if to == slipway.StateReviewOpen && r.p.PR != 0 {
				// Superseded between opening its pull request and
				// recording it: nobody else knows the number, so close it now.
				r.e.closeSuperseded(ctx, r.p, "a newer promotion")
			}
			return errNotCurrent
		}
		return err
	}
	if r.e.Metrics != nil {
		r.e.Metrics.transition(r.p, from)
	}
	return nil
}

// wait records why the promotion waits (display only) and ends the pass.
func (r *run) wait(ctx context.Context, reason string) error {
	if reason == "" || reason == r.p.Reason {
		return nil
	}
	r.p.Reason = reason
	if err := r.e.Store.Promotions.Update(ctx, r.p, r.e.Now()); err != nil && slipway.ErrorCode(err) != slipway.ECONFLICT {
		return err
	}
	return nil
}

// maxPushRetries caps how often one pass rebuilds its pin commit on a
// remote that keeps moving.
const maxPushRetries = 12

// backoff waits before a retry: capped exponential with full jitter, so
// many promotions racing for one branch spread out instead of colliding again.
func (r *run) backoff(ctx context.Context) error {
	r.unlockBranch(ctx)
	r.retries++
	if r.retries > maxPushRetries {
		return r.fail(ctx, "push", unreachable("git remote", fmt.Errorf("the branch %s kept moving: %d pushes refused in a row", r.base, maxPushRetries)))
	}
	ceiling := min(20*time.Millisecond<<min(r.retries, 6), 1500*time.Millisecond)
	d := time.Duration(rand.Int64N(int64(ceiling))) + 5*time.Millisecond
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
	}
	return r.e.fresh(ctx, true)
}

// fail ends the pass on an error. Trouble outside Slipway (a remote, a
// registry, a forge that does not answer) keeps the state, records what is
// down since when, and is retried; a wrong input fails the promotion,
// visibly. A promotion that is no longer current just stops.
func (r *run) fail(ctx context.Context, step string, err error) error {
	if errors.Is(err, errNotCurrent) || ctx.Err() != nil {
		return errNotCurrent
	}
	var out *Outage
	if errors.As(err, &out) {
		r.blocked(ctx, out)
		return err
	}
	if slipway.ErrorCode(err) == slipway.EINTERNAL || !slipway.CanTransition(r.p.State, slipway.StateFailed) {
		return err // a retry resumes here
	}
	if terr := r.moveTo(ctx, slipway.StateFailed, err.Error()); terr != nil {
		return terr
	}
	r.e.notify(ctx, r.p.Env, about(slipway.NoticeFailed, r.p, "slipway"), "promotion %s failed at %q: %v", r.p.ID, step, err)
	return err
}

// blocked records an outage on the promotion, keeping the instant it began.
func (r *run) blocked(ctx context.Context, o *Outage) {
	prefix := "waiting: " + o.What + " unreachable since "
	since := r.e.Now().Format(time.RFC3339)
	if strings.HasPrefix(r.p.Reason, prefix) {
		since = strings.SplitN(strings.TrimPrefix(r.p.Reason, prefix), " ", 2)[0]
	}
	r.wait(ctx, fmt.Sprintf("%s%s (%v)", prefix, since, o.Err))
}

// current re-reads the promotion just before a side effect: a promotion
// that was superseded, or moved on by someone else, must not push, open or
// merge anything. It returns errNotCurrent then.
func (r *run) current(ctx context.Context) error {
	return r.e.current(ctx, r.p.Env, r.p.ID, r.p.State)
}

// current is run.current for promotion id, expected in state.
func (e *Engine) current(ctx context.Context, env, id string, state slipway.PromotionState) error {
	now, err := e.Store.Promotions.Promotion(ctx, id)
	if err != nil {
		return err
	}
	if now.State != state {
		e.emit(env, id, "%s is %s now (not %s): it stops before touching Git", id, now.State, state)
		return errNotCurrent
	}
	return nil
}

// persist stores the promotion's fields before the side effect they announce.
func (r *run) persist(ctx context.Context) error {
	err := r.e.Store.Promotions.Update(ctx, r.p, r.e.Now())
	if slipway.ErrorCode(err) == slipway.ECONFLICT {
		return errNotCurrent
	}
	return err
}

// Outage is a dependency that did not answer (git remote, registry, forge,
// metrics provider): nothing advances, the promotion waits, and `slipway
// why` says what is down since when.
type Outage struct {
	What string
	Err  error
}

func (o *Outage) Error() string { return o.What + " unreachable: " + o.Err.Error() }
func (o *Outage) Unwrap() error { return o.Err }

func unreachable(what string, err error) error {
	if err == nil {
		return nil
	}
	var o *Outage
	if errors.As(err, &o) {
		return err
	}
	return &Outage{What: what, Err: err}
}
