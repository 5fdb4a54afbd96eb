package engine

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/auth"
	"github.com/slipway/slipway/gate"
)

// Approve records user's approval (or rejection) of a waiting promotion and
// advances it. Refused, with nothing recorded: approvals by the requester or
// by an author, committer or co-author of a commit in the release (unless the
// environment allows self-approval), by someone outside the required groups,
// and a second decision by the same user on the same digest.
func (e *Engine) Approve(ctx context.Context, promotionID, user string, approve bool, comment string) (*slipway.Promotion, error) {
	// The promotion as read to authorize the approval: its state is
	// checked below, and the store's constraints settle any race after.
	p, err := e.authorizeApproval(ctx, promotionID, &user)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(user) == "" {
		return nil, invalid("who is approving? set SLIPWAY_USER or `git config user.email`")
	}
	env, _, err := e.Cfg.Environment(p.Env)
	if err != nil {
		return nil, invalid("%v", err)
	}
	// A forge-approved environment's pull request opens first; approvals
	// still count until it merges.
	if p.State != slipway.StateWaiting && !(env.ForgeApprovals && p.State == slipway.StateReviewOpen) {
		return nil, slipway.Errorf(slipway.ECONFLICT, "promotion %s is %s, not waiting for approval", p.ID, p.State)
	}
	if err := e.mayApprove(ctx, p, user); err != nil {
		return nil, err
	}
	// One decision per person: the store's unique constraint decides, so two
	// concurrent approvals by one person cannot both count.
	a := &slipway.Approval{PromotionID: p.ID, User: user, Digest: p.Digest, Approve: approve, Comment: comment, At: e.Now()}
	if err := e.Store.Gates.AddApproval(ctx, a); err != nil {
		return nil, err
	}
	verb := "approved"
	if !approve {
		verb = "rejected"
	}
	e.emit("gate", p.ID, "%s %s promotion %s of %s to %s", user, verb, p.ID, p.Service, p.Env)
	return p, e.Kick(ctx, p)
}

// mayApprove applies the approval rules to user for p, in one place for
// `slipway approve` and for reviews on a forge: not the requester, not an
// author, committer or co-author of the release (unless the environment
// allows self-approval), and a member of the required groups.
func (e *Engine) mayApprove(ctx context.Context, p *slipway.Promotion, user string) error {
	env, _, err := e.Cfg.Environment(p.Env)
	if err != nil {
		return invalid("%v", err)
	}
	rule := env.Gates.Approvals
	if !rule.AllowSelfApproval {
		if gate.SamePerson(user, p.Requester) {
			return slipway.Errorf(slipway.EFORBIDDEN, "%s requested promotion %s and cannot approve it; ask another member of the team", user, p.ID)
		}
		who, err := e.releaseAuthors(ctx, p)
		if err != nil {
			return err
		}
		for _, a := range who {
			if gate.SamePerson(user, a) {
				return slipway.Errorf(slipway.EFORBIDDEN, "%s authored or committed a change in %s %s and cannot approve its promotion; ask someone who did not work on it", user, p.Service, releaseOrDigest(p))
			}
		}
	}
	if len(rule.Groups) > 0 && !e.Cfg.InGroup(user, rule.Groups) {
		return slipway.Errorf(slipway.EFORBIDDEN, "%s is not in %s, whose approval %s needs", user, strings.Join(rule.Groups, " or "), p.Env)
	}
	return nil
}

// importReviews records the reviews of p's pull request as approvals (or
// rejections) when the environment counts forge approvals: only reviews of
// the head Slipway pushed (so a review of other content never counts), the
// latest per reviewer, under the same rules as `slipway approve`.
func (e *Engine) importReviews(ctx context.Context, p *slipway.Promotion) error {
	env, _, err := e.Cfg.Environment(p.Env)
	if err != nil || !env.ForgeApprovals || p.PR == 0 {
		return err
	}
	reviews, err := e.Forge.Reviews(ctx, p.PR)
	if err != nil {
		return forgeError(err)
	}
	latest := map[string]slipway.Review{}
	var order []string
	for _, r := range reviews {
		who := r.Email
		if who == "" {
			who = r.User
		}
		id := slipway.NormalizeIdentity(who)
		if id == "" || r.CommitSHA != p.Head {
			continue
		}
		if _, ok := latest[id]; !ok {
			order = append(order, id)
		}
		switch r.State {
		case "approved", "changes_requested":
			r.User = who
			latest[id] = r
		case "dismissed":
			delete(latest, id)
		}
	}
	for _, id := range order {
		r, ok := latest[id]
		if !ok {
			continue
		}
		if err := e.mayApprove(ctx, p, r.User); err != nil {
			e.emit("gate", p.ID, "review by %s on pull request #%d does not count: %v", r.User, p.PR, err)
			continue
		}
		a := &slipway.Approval{PromotionID: p.ID, User: r.User, Digest: p.Digest, Approve: r.State == "approved", Comment: "review on pull request #" + fmt.Sprint(p.PR), At: r.At}
		if err := e.Store.Gates.AddApproval(ctx, a); err == nil {
			e.emit("gate", p.ID, "%s %s pull request #%d (%s)", r.User, r.State, p.PR, short(p.Head))
		} else if slipway.ErrorCode(err) != slipway.ECONFLICT {
			return err
		}
	}
	return nil
}

// releaseAuthors lists who worked on the release being promoted.
func (e *Engine) releaseAuthors(ctx context.Context, p *slipway.Promotion) ([]string, error) {
	if p.Release == "" {
		return nil, nil
	}
	r, err := e.Store.Releases.Release(ctx, p.Service, p.Release)
	if err != nil {
		return nil, err
	}
	return r.Authors, nil
}

var checkRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// ReportVerification records a check result for a digest in an environment
// and lets waiting promotions re-evaluate their gates.
func (e *Engine) ReportVerification(ctx context.Context, v *slipway.Verification) error {
	if err := e.authorize(ctx, auth.Verify, auth.Scope{Service: v.Service, Env: v.Env}, nil); err != nil {
		return err
	}
	if _, err := e.Cfg.Service(v.Service); err != nil {
		return invalid("%v", err)
	}
	if _, _, err := e.Cfg.Environment(v.Env); err != nil {
		return invalid("%v", err)
	}
	if !checkRE.MatchString(v.Check) {
		return invalid("check %q: use a short lowercase name such as e2e, load or soak", v.Check)
	}
	if !slipway.ValidDigest(v.Digest) {
		return invalid("digest %q is not sha256:<64 lowercase hex>: pass the digest the check ran against", v.Digest)
	}
	if _, err := e.Store.Builds.Build(ctx, slipway.BuildID(v.Service, v.Digest)); err != nil {
		return slipway.Errorf(slipway.ENOTFOUND, "no build of %s has digest %s: register it first with `slipway build register`", v.Service, v.Digest)
	}
	v.At = e.Now()
	if err := e.Store.Gates.AddVerification(ctx, v); err != nil {
		return err
	}
	status := "passed"
	if !v.Passed {
		status = "failed"
	}
	e.emit(v.Env, v.URL, "verification %s %s for %s in %s", v.Check, status, digestShort(v.Digest), v.Env)
	return e.kickService(ctx, v.Service)
}

// kickService has every active promotion of a service re-evaluated (a
// verification or a lifted stop may open their gates).
func (e *Engine) kickService(ctx context.Context, service string) error {
	ps, err := e.Store.Promotions.Promotions(ctx, slipway.PromotionFilter{Service: service, Active: true})
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range ps {
		if err := e.Kick(ctx, p); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p.ID, err))
		}
	}
	return errors.Join(errs...)
}
