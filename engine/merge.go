package engine

import (
	"context"
	"fmt"

	"github.com/slipway/slipway"
)

// MergePR merges a pull request as user and continues the promotion it
// belongs to. Refused: a pull request of a promotion that is no longer
// active (superseded, failed), a head that moved since Slipway checked it,
// and a production window that closed since the pull request opened (the
// gates are evaluated again first). Revert pull requests of a rollback
// merge freely: they take a bad digest out.
func (e *Engine) MergePR(ctx context.Context, number int, user string) error {
	if err := e.authorizeMerge(ctx, number, &user); err != nil {
		return err
	}
	pr, err := e.Forge.Get(ctx, number)
	if err != nil {
		return err
	}
	if pr.State == slipway.PRMerged {
		return nil // merging again is a no-op
	}
	ps, err := e.Store.Promotions.Promotions(ctx, slipway.PromotionFilter{})
	if err != nil {
		return err
	}
	var p *slipway.Promotion
	revert := false
	for _, q := range ps {
		if q.PR == number {
			p = q
		}
		if q.Revert != "" && q.Revert == pr.HeadSHA {
			revert = true
		}
	}
	switch {
	case revert:
		_, err := e.Forge.Merge(ctx, number, pr.HeadSHA, user)
		if err == nil {
			e.emit("forge", fmt.Sprintf("PR #%d", number), "%s merged revert pull request #%d", user, number)
		}
		return err
	case p == nil:
		return slipway.Errorf(slipway.ENOTFOUND, "pull request #%d belongs to no promotion: Slipway merges only its own pull requests", number)
	case p.State != slipway.StateReviewOpen:
		return slipway.Errorf(slipway.ECONFLICT, "pull request #%d belongs to promotion %s, which is %s: it will not be merged", number, p.ID, p.State)
	}
	if err := e.importReviews(ctx, p); err != nil {
		return err
	}
	rep, err := e.evaluateGates(ctx, p)
	if err != nil {
		return err
	}
	if env, _, _ := e.Cfg.Environment(p.Env); !rep.Open && env != nil && env.ForgeApprovals {
		return slipway.Errorf(slipway.ECONFLICT, "pull request #%d cannot merge yet: %s", number, rep.Summary())
	}
	if !rep.Open && rep.WindowClosed() {
		return slipway.Errorf(slipway.ECONFLICT, "pull request #%d promotes to %s, which cannot change now: %s", number, p.Env, rep.Summary())
	}
	var merged *slipway.PullRequest
	err = e.withPinLock(ctx, p.Service, p.Env, p.ID+"-merge", func() error {
		now, err := e.Store.Promotions.Promotion(ctx, p.ID)
		if err != nil {
			return err
		}
		if now.State != slipway.StateReviewOpen {
			return slipway.Errorf(slipway.ECONFLICT, "pull request #%d belongs to promotion %s, which is %s now: it will not be merged", number, p.ID, now.State)
		}
		merged, err = e.Forge.Merge(ctx, number, p.Head, user)
		return err
	})
	if err != nil {
		return err
	}
	e.emit("forge", fmt.Sprintf("PR #%d", number), "%s merged pull request #%d into %s (%s)", user, number, merged.Base, short(merged.MergeSHA))
	return e.Kick(ctx, p)
}
