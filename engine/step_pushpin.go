package engine

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/git"
)

// pushPin pushes the pin commit to a direct environment's branch as a
// fast-forward. A branch that moved refuses it: the edit is made again on
// the new tip (bounded retries with jittered backoff), never forced. When
// this process's promotions queue for the branch, their commits are chained
// and pushed at once (see branchLock), each still pushed only under its pin
// lock and while it is current.
type pushPin struct{}

func (pushPin) String() string               { return "push pin" }
func (pushPin) In() []slipway.PromotionState { return []slipway.PromotionState{slipway.StatePinning} }

func (pushPin) Skip(ctx context.Context, r *run) string {
	if r.env.Promotion != "direct" {
		return "pull-request environment"
	}
	return ""
}

func (pushPin) Run(ctx context.Context, r *run) (Outcome, error) {
	p := r.p
	if r.setBy != "" {
		r.unlockBranch(ctx)
		p.PinCommit = r.setBy
		r.recordPin(ctx, r.setBy)
		return Outcome{Next: slipway.StateSynced, Reason: "already pinned on " + r.base}, nil
	}
	landed := false
	if p.Head != r.built { // a commit recorded by an earlier pass may have landed since
		tip, err := r.e.GitOps.RemoteBranch(ctx, r.base)
		if err != nil {
			return Outcome{}, err
		}
		if landed, err = r.e.GitOps.IsAncestor(ctx, p.Head, tip); err != nil {
			return Outcome{}, err
		}
		if !landed {
			// It may sit on another promotion's commit of a chain that was
			// never pushed: pushing it would land that one too, unchecked.
			// Only a commit built on the branch is pushed again.
			on, err := r.onBranch(ctx, p.Head, tip)
			if err != nil {
				return Outcome{}, err
			}
			if !on {
				return r.editAgain(ctx)
			}
		}
	}
	if !landed {
		res := r.push(ctx)
		if res.retry {
			// The branch moved (or a promotion before this one in its
			// chain stopped): build the edit again on the new tip.
			return r.editAgain(ctx)
		}
		if errors.Is(res.err, errNotCurrent) {
			return Outcome{}, res.err
		}
		if res.err != nil {
			return Outcome{}, unreachable("git remote", res.err)
		}
		r.e.emit(p.Env, p.Head, "pinned %s to %s on %s (direct push)", p.Service, digestShort(p.Digest), r.base)
	}
	r.unlockBranch(ctx)
	p.PinCommit = p.Head
	r.recordPin(ctx, p.Head)
	return Outcome{Next: slipway.StateSynced, Reason: "pinned on " + r.base}, nil
}

// editAgain forgets the pin commit (persisted) so the edit is made again on
// a fetched tip.
func (r *run) editAgain(ctx context.Context) (Outcome, error) {
	r.p.Head = ""
	if err := r.persist(ctx); err != nil {
		return Outcome{}, err
	}
	return Outcome{Retry: true}, nil
}

// onBranch reports whether commit's only parent is on the branch (tip).
func (r *run) onBranch(ctx context.Context, commit, tip string) (bool, error) {
	parents, err := r.e.GitOps.Parents(ctx, commit)
	if err != nil || len(parents) != 1 {
		return false, err
	}
	return r.e.GitOps.IsAncestor(ctx, parents[0], tip)
}

// link is one promotion's pin commit in a branch's chain, as the pusher
// needs it (the promotion's own pass waits meanwhile).
type link struct {
	id, service, env string
	state            slipway.PromotionState
	head             string
	ctx              context.Context // the promotion's pass: ended when its lease is lost
	done             chan pushResult // receives the outcome once
}

// pushResult is how a pin commit's push ended.
type pushResult struct {
	retry bool  // not pushed: the remote moved, or a promotion before it in the chain stopped
	err   error // errNotCurrent: the promotion stopped; else the remote failed
}

// push pushes the pin commit built in this pass: at the end of the
// branch's chain when others wait to build on it (the last of them pushes
// all), else at once with the chain before it. A commit this pass did not
// build on the chain's tip is pushed alone, after the chain.
func (r *run) push(ctx context.Context) pushResult {
	me := &link{id: r.p.ID, service: r.p.Service, env: r.p.Env, state: r.p.State, head: r.p.Head, ctx: ctx, done: make(chan pushResult, 1)}
	b := r.branch
	if b == nil || r.p.Head != r.built || r.tip != r.chainTip() && r.chainTip() != "" {
		r.flush(ctx)
		return r.e.pushChain(ctx, r.base, []*link{me})[0]
	}
	b.chain = append(b.chain, me)
	if b.waiting.Load() > 0 && len(b.chain) < maxChain {
		r.branch = nil
		b.mu.Unlock() // the next holder builds on this commit
		select {
		case res := <-me.done:
			return res
		case <-ctx.Done():
			return pushResult{err: errNotCurrent} // the pusher sees ctx ended and leaves it out
		}
	}
	r.flush(ctx)
	return <-me.done
}

// flush pushes the branch's chain, if any, and tells each promotion in it
// how its push ended (the branch lock held).
func (r *run) flush(ctx context.Context) {
	if r.branch == nil || len(r.branch.chain) == 0 {
		return
	}
	chain := r.branch.chain
	r.branch.chain = nil
	for i, res := range r.e.pushChain(ctx, r.base, chain) {
		chain[i].done <- res
	}
}

// pushChain pushes a chain of pin commits (each built on the one before)
// with one fast-forward push of its last commit. Immediately before the
// push, holding the pin lock of every promotion in it, each is checked
// current in order: the first that is not (superseded, settled elsewhere,
// its lease lost) is dropped with every commit after it (they are built on
// its commit; they retry), and the commits before it are pushed.
func (e *Engine) pushChain(ctx context.Context, branch string, chain []*link) []pushResult {
	res := make([]pushResult, len(chain))
	pushed := 0
	err := e.withPinLocks(ctx, chain, func() error {
		pushed = len(chain)
		for i, l := range chain {
			err := l.ctx.Err()
			if err == nil {
				err = e.current(ctx, l.env, l.id, l.state)
			}
			if err != nil {
				if l.ctx.Err() != nil {
					err = errNotCurrent
				}
				res[i].err = err
				for j := i + 1; j < len(chain); j++ {
					res[j].retry = true
				}
				pushed = i
				break
			}
		}
		if pushed == 0 {
			return nil
		}
		began := time.Now()
		err := e.GitOps.PushCommit(ctx, chain[pushed-1].head, branch)
		if err == nil {
			e.pushedTo(branch, began)
		}
		for i := 0; i < pushed; i++ {
			res[i] = pushResult{retry: errors.Is(err, git.ErrRejected), err: err}
			if res[i].retry {
				res[i].err = nil
			}
		}
		return nil
	})
	if err != nil { // the pin locks could not be taken: nothing was pushed
		for i := range res {
			res[i] = pushResult{err: err}
		}
	}
	return res
}

// withPinLocks runs fn holding the pin lock of every promotion in chain,
// taken in the order of their names so two pushers never wait on each other.
func (e *Engine) withPinLocks(ctx context.Context, chain []*link, fn func() error) error {
	byName := map[string]*link{}
	var names []string
	for _, l := range chain {
		n := pinLockName(l.service, l.env)
		if _, ok := byName[n]; !ok {
			byName[n] = l
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var take func(i int) error
	take = func(i int) error {
		if i == len(names) {
			return fn()
		}
		l := byName[names[i]]
		return e.withPinLock(ctx, l.service, l.env, l.id, func() error { return take(i + 1) })
	}
	return take(0)
}

// recordPin stores what the pin location holds now that Git changed. It is
// a record of Git, kept while the promotion is current; reconcile rebuilds
// it from Git whenever the two could differ.
func (r *run) recordPin(ctx context.Context, commit string) {
	if r.current(ctx) != nil {
		return
	}
	err := r.e.Store.Promotions.SetPin(ctx, &slipway.PinRecord{Service: r.p.Service, Env: r.p.Env, Digest: r.p.Digest, PromotionID: r.p.ID, Commit: commit, Updated: r.e.Now()})
	if err != nil {
		r.e.Log.Warn("record pin", "promotion", r.p.ID, "err", err)
	}
}
