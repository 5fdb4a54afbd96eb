package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/git"
)

// openPullRequest pushes the pin commit to the promotion's own branch and
// opens a pull request for it. The branch is named per promotion, so a
// digest promoted before never collides with an old branch; after a crash
// the branch is recognised by its recorded head, never by its name alone.
type openPullRequest struct{}

func (openPullRequest) String() string { return "open pull request" }
func (openPullRequest) In() []slipway.PromotionState {
	return []slipway.PromotionState{slipway.StatePinning}
}

func (openPullRequest) Skip(ctx context.Context, r *run) string {
	if r.env.Promotion == "direct" {
		return "direct environment"
	}
	return ""
}

func (openPullRequest) Run(ctx context.Context, r *run) (Outcome, error) {
	p := r.p
	if r.setBy != "" {
		p.PinCommit = r.setBy
		r.recordPin(ctx, r.setBy)
		return Outcome{Next: slipway.StateSynced, Reason: "already pinned on " + r.base + ": no pull request needed"}, nil
	}
	if p.Branch == "" {
		p.Branch = p.BranchName()
		if err := r.persist(ctx); err != nil {
			return Outcome{}, err
		}
	}
	if err := r.pushBranch(ctx, ""); err != nil {
		return Outcome{}, err
	}
	pr, err := r.e.Forge.Find(ctx, p.Branch)
	switch {
	case slipway.ErrorCode(err) == slipway.ENOTFOUND:
		if err := r.current(ctx); err != nil {
			return Outcome{}, err
		}
		pr, err = r.e.Forge.Open(ctx, &slipway.PullRequest{
			Branch: p.Branch, Base: r.base, HeadSHA: p.Head, Author: p.Requester,
			Title: fmt.Sprintf("Promote %s %s to %s", p.Service, releaseOrDigest(p), p.Env),
			Body:  r.e.prBody(ctx, p, r.build), Labels: []string{"slipway", "env:" + p.Env},
		})
		if err != nil {
			return Outcome{}, forgeError(err)
		}
		r.e.emit(p.Env, fmt.Sprintf("PR #%d", pr.Number), "opened pull request #%d %q (%s -> %s)", pr.Number, pr.Title, p.Branch, r.base)
	case err != nil:
		return Outcome{}, forgeError(err)
	case pr.State == slipway.PRClosed:
		return Outcome{}, slipway.Errorf(slipway.ECONFLICT, "pull request #%d of branch %s was closed by %s: promote again", pr.Number, p.Branch, orSomeoneElse(pr.ClosedBy))
	}
	p.PR = pr.Number
	return Outcome{Next: slipway.StateReviewOpen, Reason: fmt.Sprintf("pull request #%d open", pr.Number)}, nil
}

// pushBranch puts p.Head on the promotion's branch: creates it, finds it
// already there, or (old != "") moves it from old, Slipway's previous head,
// as a compare-and-swap. A branch at any other commit was pushed to by
// someone else: refused.
func (r *run) pushBranch(ctx context.Context, old string) error {
	p := r.p
	if err := r.e.fresh(ctx, true); err != nil {
		return err
	}
	tip, err := r.e.GitOps.RemoteBranch(ctx, p.Branch)
	if err != nil {
		return err
	}
	switch tip {
	case p.Head:
		return nil
	case old:
		if err := r.current(ctx); err != nil {
			return err
		}
		err := r.e.GitOps.PushCAS(ctx, p.Head, p.Branch, old)
		if errors.Is(err, git.ErrRejected) {
			return slipway.Errorf(slipway.ECONFLICT, "branch %s changed while Slipway pushed its pin commit %s: someone else pushes to it; delete the branch and promote again", p.Branch, short(p.Head))
		}
		return unreachable("git remote", err)
	}
	return slipway.Errorf(slipway.ECONFLICT, "branch %s on the GitOps remote is at %s, not at the pin commit Slipway made (%s): someone else pushed to it, and Slipway merges only what it checked; delete the branch, then promote again", p.Branch, short(tip), short(p.Head))
}

// prBody describes the promotion for reviewers: what moves, the release
// notes, and the gates as they stand.
func (e *Engine) prBody(ctx context.Context, p *slipway.Promotion, b *slipway.Build) string {
	var s strings.Builder
	fmt.Fprintf(&s, "Pins `%s` in **%s**.\n\n", b.Ref(), p.Env)
	fmt.Fprintf(&s, "- Promotion: %s, requested by %s\n- Build: %s (commit %s)\n", p.ID, p.Requester, b.ID, short(b.Commit))
	if p.Expedited != "" {
		fmt.Fprintf(&s, "- Expedited: %s\n", strings.Join(strings.Fields(p.Expedited), " "))
	}
	if p.Release != "" {
		if rel, err := e.Store.Releases.Release(ctx, p.Service, p.Release); err == nil && rel.Notes != "" {
			fmt.Fprintf(&s, "\n%s\n", strings.TrimSpace(rel.Notes))
		}
	}
	if rep, err := e.evaluateGates(ctx, p); err == nil {
		fmt.Fprintf(&s, "\n### Gates\n\n```\n%s```\n", rep.Text())
	}
	return s.String()
}

// forgeError keeps a forge's own verdicts (conflict, not found) and marks
// anything else as the forge being unreachable.
func forgeError(err error) error {
	switch slipway.ErrorCode(err) {
	case slipway.EINTERNAL:
		return unreachable("forge", err)
	}
	return err
}

func orSomeoneElse(s string) string {
	if s == "" {
		return "someone"
	}
	return s
}
