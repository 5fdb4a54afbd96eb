package engine

import (
	"context"
	"time"

	"github.com/slipway/slipway"
)

// editPin writes the digest into the environment's pins as they are at the
// branch tip, in memory. When the pins already hold the digest, it finds
// the commit that set it (by content) and no commit is made.
type editPin struct{}

func (editPin) String() string               { return "edit pin" }
func (editPin) In() []slipway.PromotionState { return []slipway.PromotionState{slipway.StatePinning} }

// Skip: a commit built before a crash is still usable; it is pushed, or
// found on the branch, rather than built again.
func (editPin) Skip(ctx context.Context, r *run) string {
	if r.p.Head != "" && r.e.hasCommit(ctx, r.p.Head) {
		return "pin commit " + short(r.p.Head) + " already built"
	}
	return ""
}

func (editPin) Run(ctx context.Context, r *run) (Outcome, error) {
	return editPinAt(ctx, r, r.retries > 0)
}

// editPinAt edits the pins at the branch tip, or on the chain of pin
// commits this process is about to push there (see branchLock). "Already
// pinned" is only concluded on a tip fetched after the promotion became
// current: a stale view could hide a push of the promotion it superseded.
func editPinAt(ctx context.Context, r *run, fetched bool) (Outcome, error) {
	if r.env.Promotion == "direct" {
		r.lockBranch() // released once the pin is pushed (or at the end of the pass)
	}
	tip := r.chainTip()
	if tip == "" {
		if err := r.freshForEdit(ctx, fetched); err != nil {
			return Outcome{}, err
		}
		var err error
		if tip, err = r.e.GitOps.RemoteBranch(ctx, r.base); err != nil {
			return Outcome{}, err
		}
	}
	if tip == "" {
		return Outcome{}, invalid("branch %s of environment %s is not on the GitOps remote %s: create it, or set branch: in slipway.yaml", r.base, r.p.Env, r.e.Cfg.GitOps.Remote)
	}
	pins, err := r.pins()
	if err != nil {
		return Outcome{}, err
	}
	files, err := pins.read(ctx, r.e.GitOps, tip)
	if err != nil {
		return Outcome{}, err
	}
	changed, err := pins.apply(files)
	if err != nil {
		return Outcome{}, err
	}
	r.tip, r.files, r.setBy = tip, changed, ""
	if len(changed) == 0 && r.chainTip() != "" {
		// Not on commits that are not pushed yet either: push them, then
		// look at the remote.
		r.flush(ctx)
		return editPinAt(ctx, r, true)
	}
	if len(changed) == 0 && !fetched {
		return editPinAt(ctx, r, true)
	}
	if len(changed) == 0 {
		if r.setBy, err = pins.setter(ctx, r.e.GitOps, tip, r.p.Digest); err != nil {
			return Outcome{}, err
		}
	}
	return Outcome{}, nil
}

// editMaxAge is how old a view of the branch the first edit may build on.
// A stale tip costs no correctness: the fast-forward push is refused and
// the edit is made again on a fetched tip.
const editMaxAge = time.Second

// freshForEdit makes the view fresh enough for an edit: fetched after this
// call when fetched is asked for, else at most editMaxAge old (or as old as
// FetchMaxAge allows, when that is longer) counting our own pushes.
func (r *run) freshForEdit(ctx context.Context, fetched bool) error {
	if fetched {
		return r.e.fresh(ctx, true)
	}
	return r.e.refresh(ctx, max(r.e.FetchMaxAge, editMaxAge), false)
}
