package demo

import (
	"context"
	"fmt"
	"strings"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/engine"
)

// The hotfix scene: prod runs v1.0.0 (v1.1.0 was aborted), main is ahead.
// A maintenance branch from v1.0.0 releases v1.0.1, which is expedited to
// prod past staging; prod's approvals, window and canary still decide.
// Then main takes the fix, and its next release does not repeat it.

// hotfixBranch is where the scene's fix is made.
const hotfixBranch = "hotfix/api/v1.0"

func (s *story) hotfixStart(ctx context.Context) error {
	h, err := s.eng.StartHotfix(ctx, engine.HotfixRequest{Service: service, From: "v1.0.0", User: alice})
	if err != nil {
		return err
	}
	if h.Branch != hotfixBranch || !h.Pushed || h.Commit != s.res.Good.Commit {
		return fmt.Errorf("hotfix branch: %+v, want %s at v1.0.0 pushed to the app remote", h, hotfixBranch)
	}
	s.res.HotfixBranch = h.Branch
	return nil
}

func (s *story) hotfixRelease(ctx context.Context) error {
	if _, err := run(s.res.AppRepo, nil, "git", "checkout", "-q", hotfixBranch); err != nil {
		return err
	}
	if _, err := s.commit(alice, "fix(api): reject a negative quantity", map[string]string{"api/cart.go": "package api // cart, quantities checked\n"}); err != nil {
		return err
	}
	b, rel, err := s.shipRelease(ctx, "1.0.1")
	if err != nil {
		return err
	}
	s.res.Hotfix = *b
	if rel.Tag != "v1.0.1" {
		return fmt.Errorf("a fix on %s should release v1.0.1 while main is at v1.1.0, got %s", hotfixBranch, rel.Tag)
	}
	return nil
}

func (s *story) hotfixExpedite(ctx context.Context) error {
	p, err := s.eng.Promote(ctx, engine.PromoteRequest{Service: service, Env: "prod", Release: "v1.0.1", Requester: alice,
		Expedite: "INC-7: negative quantities corrupt orders"})
	if err != nil {
		return err
	}
	s.res.HotfixProd = p
	if p.State != slipway.StateWaiting {
		return fmt.Errorf("an expedited promotion still waits for its approvals, is %s", p.State)
	}
	rep, err := s.eng.Why(ctx, service, "prod")
	if err != nil {
		return err
	}
	if rep.Open || !strings.Contains(rep.Text(), "needs 2 more approvals") {
		return fmt.Errorf("prod's approvals must still hold an expedited promotion:\n%s", rep.Text())
	}
	for _, u := range []string{bob, carol} {
		if _, err := s.eng.Approve(ctx, p.ID, u, true, "INC-7 fix reviewed"); err != nil {
			return err
		}
	}
	// It is 09:10 in Berlin: the prod window is open, so the approvals
	// were the last gate.
	if p, err = s.eng.Store.Promotions.Promotion(ctx, p.ID); err != nil {
		return err
	}
	if p.State != slipway.StateReviewOpen {
		return fmt.Errorf("the expedited promotion should have opened its pull request, is %s (%s)", p.State, p.Reason)
	}
	if err := s.eng.MergePR(ctx, p.PR, bob); err != nil {
		return err
	}
	if err := s.expectState(service, "prod", s.res.Hotfix.Digest, slipway.StateSucceeded); err != nil {
		return err
	}
	if got := s.runtime.Stable(); got != s.res.Hotfix.Digest {
		return fmt.Errorf("after its canary the runtime should run v1.0.1 (%s), runs %q", s.res.Hotfix.Digest, got)
	}
	return s.expectPinned("prod", s.res.Hotfix.Digest)
}

func (s *story) hotfixOnMain(ctx context.Context) error {
	if _, err := run(s.res.AppRepo, nil, "git", "checkout", "-q", "main"); err != nil {
		return err
	}
	fix, err := run(s.res.AppRepo, nil, "git", "rev-parse", "v1.0.1^{commit}")
	if err != nil {
		return err
	}
	if _, err := run(s.res.AppRepo, gitAs(alice), "git", "cherry-pick", "-x", fix); err != nil {
		return err
	}
	_, rel, err := s.shipRelease(ctx, "1.1.1")
	if err != nil {
		return err
	}
	s.res.MainAfterHotfix = rel
	if rel.Tag != "v1.1.1" || !strings.Contains(rel.Notes, "Includes fixes first released in v1.0.1.") || strings.Contains(rel.Notes, "negative quantity") {
		return fmt.Errorf("main's %s should name v1.0.1 and not repeat its fix:\n%s", rel.Tag, rel.Notes)
	}
	for _, line := range strings.Split(rel.Notes, "\n") {
		if line != "" {
			s.say("notes", rel.Tag, "%s", line)
		}
	}
	return nil
}

// shipRelease is CI and a release manager: build HEAD of the app repo
// (signed, healthy), register it and release it.
func (s *story) shipRelease(ctx context.Context, version string) (*slipway.Build, *slipway.Release, error) {
	ref, sha, err := s.buildImage(ctx, version, 0, true)
	if err != nil {
		return nil, nil, err
	}
	b, _, err := s.eng.RegisterBuild(ctx, service, sha, ref.String())
	if err != nil {
		return nil, nil, err
	}
	rel, err := s.eng.Release(ctx, engine.ReleaseRequest{Service: service, BuildID: b.ID, User: alice})
	return b, rel, err
}
