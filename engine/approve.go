package engine

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/gate"
)

// Approve records user's approval (or rejection) of a waiting promotion and
// advances it. Refused, with nothing recorded: approvals by the requester or
// by an author, committer or co-author of a commit in the release (unless the
// environment allows self-approval), by someone outside the required groups,
// and a second decision by the same user on the same digest.
func (e *Engine) Approve(ctx context.Context, promotionID, user string, approve bool, comment string) (*slipway.Promotion, error) {
	if strings.TrimSpace(user) == "" {
		return nil, invalid("who is approving? set SLIPWAY_USER or `git config user.email`")
	}
	p, err := e.Store.Promotions.Promotion(ctx, promotionID)
	if err != nil {
		return nil, err
	}
	if p.State != slipway.StateWaiting {
		return nil, slipway.Errorf(slipway.ECONFLICT, "promotion %s is %s, not waiting for approval", p.ID, p.State)
	}
	env, _, err := e.Cfg.Environment(p.Env)
	if err != nil {
		return nil, invalid("%v", err)
	}
	rule := env.Gates.Approvals
	if !rule.AllowSelfApproval {
		if gate.SamePerson(user, p.Requester) {
			return nil, slipway.Errorf(slipway.EFORBIDDEN, "%s requested promotion %s and cannot approve it; ask another member of the team", user, p.ID)
		}
		if who, err := e.releaseAuthors(ctx, p); err != nil {
			return nil, err
		} else {
			for _, a := range who {
				if gate.SamePerson(user, a) {
					return nil, slipway.Errorf(slipway.EFORBIDDEN, "%s authored or committed a change in %s %s and cannot approve its promotion; ask someone who did not work on it", user, p.Service, releaseOrDigest(p))
				}
			}
		}
	}
	if len(rule.Groups) > 0 && !e.Cfg.InGroup(user, rule.Groups) {
		return nil, slipway.Errorf(slipway.EFORBIDDEN, "%s is not in %s, whose approval %s needs", user, strings.Join(rule.Groups, " or "), p.Env)
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
