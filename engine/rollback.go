package engine

import (
	"context"
	"fmt"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/config"
)

// Rollback reverts the pin commit of what runs in env (a `git revert`, as a
// pull request or a direct push per the environment's mode) and holds the
// digest so automatic promotion does not bring it back.
func (e *Engine) Rollback(ctx context.Context, service, envName, user, reason string) (*slipway.Promotion, error) {
	if _, err := e.Cfg.Service(service); err != nil {
		return nil, invalid("%v", err)
	}
	env, _, err := e.Cfg.Environment(envName)
	if err != nil {
		return nil, invalid("%v", err)
	}
	if reason == "" {
		reason = "rollback requested by " + user
	}
	cur, err := e.Store.Current(ctx, service, envName)
	if err != nil {
		return nil, err
	}
	if cur == nil || cur.PinCommit == "" {
		return nil, slipway.Errorf(slipway.ENOTFOUND, "nothing to roll back: no promotion of %s to %s has succeeded", service, envName)
	}
	// The hold is stored before Git changes, so a crash cannot let automatic
	// promotion re-pin the digest we are taking out.
	if err := e.Store.AddHold(ctx, &slipway.Hold{Service: service, Digest: cur.Digest, Reason: "rolled back from " + envName + ": " + reason, By: user, Created: e.Now()}); err != nil {
		return nil, err
	}
	sha, err := e.revertPin(ctx, env, cur, env.Promotion == "direct", fmt.Sprintf("rollback: %s", reason))
	if err != nil {
		return nil, err
	}
	cur.Revert = sha
	if err := e.Store.Transition(ctx, cur, slipway.StateRolledBack, reason, e.Now()); err != nil {
		return nil, err
	}
	e.emit("rollback", short(sha), "rolled back %s in %s: reverted %s; %s held", service, envName, short(cur.PinCommit), short(cur.Digest[7:]))
	if e.isProd(envName) {
		if err := e.audit(ctx, "rolled-back", cur, reason); err != nil {
			return nil, err
		}
	}
	return cur, nil
}

// revertPin reverts p's pin commit on the environment's branch: pushed
// directly, or proposed as a pull request (merged at once if the environment
// auto-merges). Idempotent: a revert already on the branch is found by its
// trailer. It returns the revert commit (or the PR head).
func (e *Engine) revertPin(ctx context.Context, env *config.Environment, p *slipway.Promotion, direct bool, why string) (string, error) {
	base := e.Cfg.Branch(env)
	if err := e.GitOps.Fetch(ctx); err != nil {
		return "", err
	}
	if sha, err := e.GitOps.FindTrailer(ctx, "origin/"+base, trailerReverts, p.PinCommit); err != nil || sha != "" {
		return sha, err
	}
	if ok, err := e.GitOps.IsAncestor(ctx, p.PinCommit, "origin/"+base); err != nil || !ok {
		if err == nil {
			err = slipway.Errorf(slipway.ECONFLICT, "pin commit %s of %s is not on branch %s of the GitOps remote any more (history was rewritten): revert by hand and record it with `slipway hold`", short(p.PinCommit), p.ID, base)
		}
		return "", err
	}
	branch := base
	if !direct {
		branch = fmt.Sprintf("slipway/%s/%s/revert-%s", p.Env, p.Service, short(p.PinCommit))
		if head, err := e.GitOps.RemoteBranch(ctx, branch); err != nil {
			return "", err
		} else if head != "" {
			return head, e.openRevertPR(ctx, env, branch, base, p, why)
		}
	}
	if err := e.GitOps.StartFrom(ctx, "origin/"+base); err != nil {
		return "", err
	}
	subject, _ := e.GitOps.Subject(ctx, p.PinCommit)
	msg := fmt.Sprintf("Revert %q\n\nThis reverts commit %s.\n%s\n\n%s: %s\n%s: %s\n", subject, p.PinCommit, why, trailerReverts, p.PinCommit, trailerPromotion, p.ID)
	sha, err := e.GitOps.Revert(ctx, e.identity(), p.PinCommit, msg)
	if err != nil {
		return "", err
	}
	if err := e.GitOps.Push(ctx, branch); err != nil {
		return "", fmt.Errorf("push revert of %s to %s: %w", short(p.PinCommit), branch, err)
	}
	if !direct {
		return sha, e.openRevertPR(ctx, env, branch, base, p, why)
	}
	return sha, nil
}

func (e *Engine) openRevertPR(ctx context.Context, env *config.Environment, branch, base string, p *slipway.Promotion, why string) error {
	pr, err := e.Forge.Open(ctx, &slipway.PullRequest{Branch: branch, Base: base, Title: fmt.Sprintf("Revert %s %s in %s", p.Service, releaseOrDigest(p), p.Env), Body: why, Author: "slipway"})
	if err != nil {
		return err
	}
	e.emit("rollback", fmt.Sprintf("PR #%d", pr.Number), "opened revert pull request #%d for %s", pr.Number, short(p.PinCommit))
	if env.AutoMerge && pr.State == "open" {
		_, err = e.Forge.Merge(ctx, pr.Number, "slipway")
	}
	return err
}
