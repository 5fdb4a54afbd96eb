package engine

import (
	"context"

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

// editPinAt edits the pins at the branch tip. "Already pinned" is only
// concluded on a tip fetched after the promotion became current: a stale
// view could hide a push of the promotion it superseded.
func editPinAt(ctx context.Context, r *run, fetched bool) (Outcome, error) {
	if r.env.Promotion == "direct" {
		r.lockBranch() // released once the pin is pushed (or at the end of the pass)
	}
	if err := r.e.fresh(ctx, fetched); err != nil {
		return Outcome{}, err
	}
	tip, err := r.e.GitOps.RemoteBranch(ctx, r.base)
	if err != nil {
		return Outcome{}, err
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
