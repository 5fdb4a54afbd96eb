package engine

import (
	"context"
	"errors"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/git"
)

// pushPin pushes the pin commit to a direct environment's branch as a
// fast-forward. A branch that moved refuses it: the edit is made again on
// the new tip (bounded retries with jittered backoff), never forced.
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
		p.PinCommit = r.setBy
		r.recordPin(ctx, r.setBy)
		return Outcome{Next: slipway.StateSynced, Reason: "already pinned on " + r.base}, nil
	}
	tip, err := r.e.GitOps.RemoteBranch(ctx, r.base)
	if err != nil {
		return Outcome{}, err
	}
	if landed, err := r.e.GitOps.IsAncestor(ctx, p.Head, tip); err != nil {
		return Outcome{}, err
	} else if !landed {
		err := r.pinLocked(ctx, func() error { return r.e.GitOps.PushCommit(ctx, p.Head, r.base) })
		if errors.Is(err, git.ErrRejected) {
			// The branch moved: build the edit again on its new tip.
			p.Head = ""
			if err := r.persist(ctx); err != nil {
				return Outcome{}, err
			}
			return Outcome{Retry: true}, nil
		}
		if err != nil {
			return Outcome{}, unreachable("git remote", err)
		}
		r.e.emit(p.Env, p.Head, "pinned %s to %s on %s (direct push)", p.Service, digestShort(p.Digest), r.base)
	}
	r.unlockBranch()
	p.PinCommit = p.Head
	r.recordPin(ctx, p.Head)
	return Outcome{Next: slipway.StateSynced, Reason: "pinned on " + r.base}, nil
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
