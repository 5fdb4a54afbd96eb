package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/slipway/slipway"
)

// waitForMerge waits for the promotion's pull request. An auto-merging
// environment merges it at once; otherwise a person does (`slipway pr
// merge`, or on the forge). Only the head Slipway pushed and checked may
// merge, and a merge counts only when Git shows it on the branch.
type waitForMerge struct{}

func (waitForMerge) String() string { return "wait for the pull request to merge" }
func (waitForMerge) In() []slipway.PromotionState {
	return []slipway.PromotionState{slipway.StateReviewOpen}
}
func (waitForMerge) Skip(ctx context.Context, r *run) string { return "" }

func (waitForMerge) Run(ctx context.Context, r *run) (Outcome, error) {
	p := r.p
	pr, err := r.e.Forge.Get(ctx, p.PR)
	if err != nil {
		return Outcome{}, forgeError(err)
	}
	switch pr.State {
	case slipway.PRMerged:
		return r.merged(ctx, pr)
	case slipway.PRClosed:
		return Outcome{Next: slipway.StateFailed, Reason: fmt.Sprintf("pull request #%d was closed by %s without merging", pr.Number, orSomeoneElse(pr.ClosedBy))}, nil
	}
	if pr.HeadSHA != "" && pr.HeadSHA != p.Head {
		return Outcome{}, slipway.Errorf(slipway.ECONFLICT, "pull request #%d: its head is %s, not the pin commit Slipway pushed and checked (%s): someone pushed to %s; close it and promote again", pr.Number, short(pr.HeadSHA), short(p.Head), p.Branch)
	}
	if r.env.ForgeApprovals {
		if err := r.e.importReviews(ctx, p); err != nil {
			return Outcome{}, err
		}
		rep, err := r.e.evaluateGates(ctx, p)
		if err != nil {
			return Outcome{}, err
		}
		if !rep.Open {
			reason := fmt.Sprintf("pull request #%d open: waiting: %s", pr.Number, rep.Summary())
			if reason != p.Reason {
				r.e.Forge.UpdateBody(ctx, p.PR, r.e.prBody(ctx, p, r.build))
			}
			return Outcome{Wait: true, Reason: reason}, nil
		}
	}
	if !r.env.AutoMerge {
		return Outcome{Wait: true, Reason: fmt.Sprintf("pull request #%d open: waiting for review and merge (`slipway pr merge %d`)", pr.Number, pr.Number)}, nil
	}
	err = r.pinLocked(ctx, func() (err error) {
		pr, err = r.e.Forge.Merge(ctx, p.PR, p.Head, "slipway")
		return err
	})
	if err != nil && pr == nil && isMergeConflict(err) {
		return r.rebuild(ctx)
	}
	if err != nil {
		return Outcome{}, forgeError(err)
	}
	r.e.emit(p.Env, short(pr.MergeSHA), "merged pull request #%d automatically (gates passed)", pr.Number)
	return r.merged(ctx, pr)
}

// merged checks a merge by content: the merge commit is on the branch, it
// brought in exactly the checked head (a merge commit's second parent, or
// for a squash merge a change to the pins alone), and the pins it leaves
// hold the digest.
func (r *run) merged(ctx context.Context, pr *slipway.PullRequest) (Outcome, error) {
	p := r.p
	if err := r.e.fresh(ctx, true); err != nil {
		return Outcome{}, err
	}
	tip, err := r.e.GitOps.RemoteBranch(ctx, r.base)
	if err != nil {
		return Outcome{}, err
	}
	on, err := r.e.GitOps.IsAncestor(ctx, pr.MergeSHA, tip)
	if err != nil || !on {
		return Outcome{Wait: true, Reason: fmt.Sprintf("pull request #%d is merged on the forge, but its merge commit %s is not on %s yet", pr.Number, short(pr.MergeSHA), r.base)}, nil
	}
	parents, err := r.e.GitOps.Parents(ctx, pr.MergeSHA)
	if err != nil {
		return Outcome{}, err
	}
	pins, err := r.pins()
	if err != nil {
		return Outcome{}, err
	}
	switch {
	case len(parents) == 2 && parents[1] == p.Head:
	case len(parents) == 1:
		if err := r.onlyPins(ctx, pins, parents[0], pr.MergeSHA); err != nil {
			return Outcome{}, err
		}
	default:
		return Outcome{}, slipway.Errorf(slipway.ECONFLICT, "pull request #%d merged %s, which does not bring in the head Slipway checked (%s): the merge carries changes nobody verified; revert it by hand", pr.Number, short(pr.MergeSHA), short(p.Head))
	}
	if d, err := pins.digestAt(ctx, r.e.GitOps, pr.MergeSHA); err != nil {
		return Outcome{}, err
	} else if d != p.Digest {
		return Outcome{}, slipway.Errorf(slipway.ECONFLICT, "pull request #%d merged, but its merge commit %s pins %s, not %s", pr.Number, short(pr.MergeSHA), orNone(d), digestShort(p.Digest))
	}
	p.PinCommit = pr.MergeSHA
	r.recordPin(ctx, pr.MergeSHA)
	return Outcome{Next: slipway.StateSynced, Reason: fmt.Sprintf("pull request #%d merged by %s", pr.Number, pr.MergedBy)}, nil
}

// onlyPins refuses a change between two commits that touches anything but
// the pin files.
func (r *run) onlyPins(ctx context.Context, pins pinSet, from, to string) error {
	files, err := pins.files()
	if err != nil {
		return err
	}
	allowed := map[string]bool{}
	for _, f := range files {
		allowed[f] = true
	}
	changed, err := r.e.GitOps.ChangedFiles(ctx, from, to)
	if err != nil {
		return err
	}
	for _, f := range changed {
		if !allowed[f] {
			return slipway.Errorf(slipway.ECONFLICT, "%s changes %s, which is not a pin of %s in %s: Slipway merges pin changes only", short(to), f, r.p.Service, r.p.Env)
		}
	}
	return nil
}

// rebuild makes the pin commit again on the branch's new tip when the
// pull request no longer merges cleanly (the pin moved under it), and moves
// Slipway's own branch to it as a compare-and-swap from the recorded head.
func (r *run) rebuild(ctx context.Context) (Outcome, error) {
	p := r.p
	if err := r.e.fresh(ctx, true); err != nil {
		return Outcome{}, err
	}
	if _, err := editPinAt(ctx, r, true); err != nil {
		return Outcome{}, err
	}
	if len(r.files) == 0 {
		// The branch already pins the digest: nothing left to merge.
		r.e.Forge.Close(ctx, p.PR, "the environment already pins this digest")
		p.PinCommit = r.setBy
		r.recordPin(ctx, r.setBy)
		return Outcome{Next: slipway.StateSynced, Reason: "already pinned on " + r.base}, nil
	}
	old := p.Head
	if _, err := (commitPin{}).Run(ctx, r); err != nil {
		return Outcome{}, err
	}
	if err := r.pushBranch(ctx, old); err != nil {
		return Outcome{}, err
	}
	r.e.emit(p.Env, short(p.Head), "rebuilt %s on the new tip of %s (%s): the pin moved under pull request #%d", p.Branch, r.base, short(r.tip), p.PR)
	return Outcome{Retry: true}, nil
}

func isMergeConflict(err error) bool {
	return slipway.ErrorCode(err) == slipway.ECONFLICT && strings.Contains(err.Error(), "does not merge cleanly")
}
