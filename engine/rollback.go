package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/auth"
	"github.com/slipway/slipway/git"
)

// Rollback reverts the commit that set what runs in env (a `git revert`, as
// a pull request or a direct push per the environment's mode) and holds the
// digest so automatic promotion does not bring it back. What runs is read
// from Git; the store must agree.
func (e *Engine) Rollback(ctx context.Context, service, envName, user, reason string) (*slipway.Promotion, error) {
	if err := e.authorize(ctx, auth.Rollback, auth.Scope{Service: service, Env: envName}, &user); err != nil {
		return nil, err
	}
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
	cur, err := e.Store.Promotions.Current(ctx, service, envName)
	if err != nil {
		return nil, err
	}
	if cur == nil {
		return nil, slipway.Errorf(slipway.ENOTFOUND, "nothing to roll back: no promotion of %s to %s has succeeded", service, envName)
	}
	if err := e.fresh(ctx, true); err != nil {
		return nil, err
	}
	tip, err := e.GitOps.RemoteBranch(ctx, e.Cfg.Branch(env))
	if err != nil {
		return nil, err
	}
	pins, err := e.pinsFor(env, service, nil, "")
	if err != nil {
		return nil, err
	}
	if d, err := pins.digestAt(ctx, e.GitOps, tip); err != nil {
		return nil, err
	} else if d != cur.Digest && cur.Revert == "" {
		return nil, slipway.Errorf(slipway.ECONFLICT, "Git pins %s for %s in %s, but the last promotion that succeeded there (%s) pinned %s: the two disagree; run `slipway reconcile` and look at the branch before rolling back", orNone(d), service, envName, cur.ID, digestShort(cur.Digest))
	}
	// The hold is stored before Git changes, so a crash cannot let automatic
	// promotion re-pin the digest we are taking out.
	if err := e.Store.Holds.AddHold(ctx, &slipway.Hold{Service: service, Digest: cur.Digest, Reason: "rolled back from " + envName + ": " + reason, By: user, Created: e.Now()}); err != nil {
		return nil, err
	}
	r := &run{e: e, p: cur}
	if err := r.load(ctx); err != nil {
		return nil, err
	}
	sha, err := e.revertPin(ctx, r, env.Promotion == "direct", fmt.Sprintf("Rollback by %s: %s", user, reason))
	if err != nil {
		return nil, err
	}
	// Audited before the transition: a crash in between is finished by
	// rolling back again, which finds the revert and the entry.
	if e.isProd(envName) {
		if err := e.audit(ctx, "rolled-back", cur, reason); err != nil {
			return nil, err
		}
	}
	if err := e.Store.Promotions.Transition(ctx, cur, slipway.StateRolledBack, reason, e.Now()); err != nil {
		return nil, err
	}
	e.emit("rollback", short(sha), "rolled back %s in %s: reverted %s; %s held", service, envName, short(cur.PinCommit), digestShort(cur.Digest))
	e.notify(ctx, "rollback", about(slipway.NoticeRollback, cur, user), "%s rolled back %s %s in %s: %s", user, service, releaseOrDigest(cur), envName, reason)
	return cur, nil
}

// revertPin reverts, on the environment's branch, the commit that actually
// set r.p's digest (found by content, never "the last commit touching the
// file"): pushed directly, or proposed as a pull request (merged at once if
// the environment auto-merges). The revert commit is recorded on the
// promotion before it is pushed, so a retry finds it instead of making a
// second one. It returns the revert commit.
func (e *Engine) revertPin(ctx context.Context, r *run, direct bool, why string) (string, error) {
	p := r.p
	pins, err := r.pins()
	if err != nil {
		return "", err
	}
	for attempt := 0; ; attempt++ {
		if err := e.fresh(ctx, attempt > 0); err != nil {
			return "", err
		}
		tip, err := e.GitOps.RemoteBranch(ctx, r.base)
		if err != nil {
			return "", err
		}
		if p.Revert != "" {
			if on, err := e.GitOps.IsAncestor(ctx, p.Revert, tip); err == nil && on {
				return p.Revert, nil // pushed before a crash
			}
			if !direct && e.hasCommit(ctx, p.Revert) {
				return p.Revert, e.openRevertPR(ctx, r, p.Revert, why)
			}
		}
		target, err := pins.setter(ctx, e.GitOps, tip, p.Digest)
		if err != nil {
			return "", err
		}
		if target == "" {
			// The pins no longer hold the digest: Git already runs something else.
			e.emit(p.Env, short(tip), "the pins of %s in %s no longer hold %s: nothing to revert", p.Service, p.Env, digestShort(p.Digest))
			return tip, nil
		}
		files, err := revertFiles(ctx, e.GitOps, tip, target)
		if err != nil {
			return "", err
		}
		subject, _ := e.GitOps.Subject(ctx, target)
		msg := git.CommitMessage(fmt.Sprintf("Revert %q", subject), []string{fmt.Sprintf("This reverts commit %s.", target), why},
			[][2]string{{trailerReverts, target}, {trailerPromotion, p.ID}})
		sha, err := e.GitOps.CommitFiles(ctx, tip, files, e.identity(), e.Now(), msg)
		if err != nil {
			return "", err
		}
		p.Revert = sha
		if err := e.Store.Promotions.Update(ctx, p, e.Now()); err != nil {
			return "", err
		}
		if !direct {
			return sha, e.openRevertPR(ctx, r, sha, why)
		}
		err = e.withPinLock(ctx, p.Service, p.Env, p.ID+"-revert", func() error { return e.GitOps.PushCommit(ctx, sha, r.base) })
		if errors.Is(err, git.ErrRejected) && attempt < maxPushRetries {
			r.retries = attempt
			continue
		}
		if err != nil {
			return "", unreachable("git remote", err)
		}
		e.recordRevert(ctx, r, pins, sha)
		return sha, nil
	}
}

// recordRevert stores what the pin location holds after a revert.
func (e *Engine) recordRevert(ctx context.Context, r *run, pins pinSet, sha string) {
	d, err := pins.digestAt(ctx, e.GitOps, sha)
	if err != nil {
		return
	}
	rec := &slipway.PinRecord{Service: r.p.Service, Env: r.p.Env, Digest: d, Commit: sha, Updated: e.Now()}
	if prev, err := e.Store.Promotions.Current(ctx, r.p.Service, r.p.Env); err == nil && prev != nil && prev.Digest == d && prev.ID != r.p.ID {
		rec.PromotionID = prev.ID
	}
	e.Store.Promotions.SetPin(ctx, rec)
}

// openRevertPR proposes a revert commit in a pull-request environment.
func (e *Engine) openRevertPR(ctx context.Context, r *run, sha, why string) error {
	p := r.p
	branch := fmt.Sprintf("slipway/%s/%s/revert-%s", p.Env, p.Service, short(p.PinCommit))
	if tip, err := e.GitOps.RemoteBranch(ctx, branch); err != nil {
		return err
	} else if tip == "" {
		if err := e.GitOps.PushCAS(ctx, sha, branch, ""); err != nil {
			return unreachable("git remote", err)
		}
	} else if tip != sha {
		return slipway.Errorf(slipway.ECONFLICT, "branch %s is at %s, not at Slipway's revert commit %s: someone pushed to it; delete it and roll back again", branch, short(tip), short(sha))
	}
	pr, err := e.Forge.Open(ctx, &slipway.PullRequest{Branch: branch, Base: r.base, HeadSHA: sha, Title: fmt.Sprintf("Revert %s %s in %s", p.Service, releaseOrDigest(p), p.Env), Body: why, Author: "slipway", Labels: []string{"slipway", "rollback"}})
	if err != nil {
		return forgeError(err)
	}
	e.emit("rollback", fmt.Sprintf("PR #%d", pr.Number), "opened revert pull request #%d for %s", pr.Number, short(p.PinCommit))
	if r.env.AutoMerge && pr.State == slipway.PROpen {
		if _, err := e.Forge.Merge(ctx, pr.Number, sha, "slipway"); err != nil {
			return forgeError(err)
		}
	}
	return nil
}
