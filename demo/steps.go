package demo

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/app"
	"github.com/slipway/slipway/engine"
	"github.com/slipway/slipway/gitops"
	"github.com/slipway/slipway/tlog"
)

func (s *story) steps() []storyStep {
	return []storyStep{
		{"green main: build v1, intake, dev", s.buildGood},
		{"release v1.0.0 and its staging pull request", s.releaseGood},
		{"staging pull request merged, verifications reported", s.stagingGood},
		{"prod requested: gates hold it", s.requestProd},
		{"a self-approval is refused by the server (403)", s.selfApproval},
		{"two SREs approve through the server", s.approveGood},
		{"09:00 Berlin: the window opens, prod pull request, canary passes", s.prodGood},
		{"release v1.1.0 with a regression reaches prod's canary", s.shipBad},
		{"the canary fails: abort, revert, hold", s.checkAbort},
		{"an unsigned build is refused at intake", s.unsigned},
		{"hotfix: a maintenance branch from v1.0.0, pushed to the app remote", s.hotfixStart},
		{"the fix is released from it as v1.0.1 while main is at v1.1.0", s.hotfixRelease},
		{"v1.0.1 expedited to prod past staging: approvals, window and canary still apply", s.hotfixExpedite},
		{"main takes the fix: v1.1.1 does not repeat it in its changelog", s.hotfixOnMain},
		{"the audit chain and the transparency log verify", s.auditChain},
		{"self-host: platform acme 1.0.0 from prod, its signed bundle published", s.selfHost},
	}
}

func (s *story) buildGood(ctx context.Context) error {
	ref, sha, err := s.buildImage(ctx, "1.0.0", 0, true)
	if err != nil {
		return err
	}
	b, _, err := s.eng.RegisterBuild(ctx, service, sha, ref.String())
	if err != nil {
		return err
	}
	s.res.Good = *b
	return s.expectPinned("dev", b.Digest)
}

func (s *story) releaseGood(ctx context.Context) error {
	rel, err := s.eng.Release(ctx, engine.ReleaseRequest{Service: service, BuildID: s.res.Good.ID})
	if err != nil {
		return err
	}
	if rel.Tag != "v1.0.0" {
		return fmt.Errorf("expected the first release to be v1.0.0, got %s", rel.Tag)
	}
	return s.expectState(service, "staging", s.res.Good.Digest, slipway.StateReviewOpen)
}

func (s *story) stagingGood(ctx context.Context) error {
	p, err := s.promotion("staging", s.res.Good.Digest)
	if err != nil {
		return err
	}
	if err := s.eng.MergePR(ctx, p.PR, bob); err != nil {
		return err
	}
	if err := s.expectPinned("staging", s.res.Good.Digest); err != nil {
		return err
	}
	return s.verify(ctx, s.res.Good.Digest)
}

func (s *story) verify(ctx context.Context, digest string) error {
	for _, check := range []string{"e2e", "load", "soak"} {
		v := &slipway.Verification{Service: service, Env: "staging", Check: check, Digest: digest, Passed: true, URL: "https://ci.example.com/" + check}
		if err := s.eng.ReportVerification(ctx, v); err != nil {
			return err
		}
	}
	return nil
}

func (s *story) requestProd(ctx context.Context) error {
	p, err := s.eng.Promote(ctx, engine.PromoteRequest{Service: service, Env: "prod", Release: "v1.0.0", Requester: alice})
	if err != nil {
		return err
	}
	if p.State != slipway.StateWaiting {
		return fmt.Errorf("prod promotion should wait for its gates, is %s", p.State)
	}
	s.res.GoodProd = p
	rep, err := s.eng.Why(ctx, service, "prod")
	if err != nil {
		return err
	}
	for _, line := range strings.Split(strings.TrimSpace(rep.Text()), "\n") {
		s.say("why", p.ID, "%s", line)
	}
	if rep.Open {
		return fmt.Errorf("gates should be closed (no approvals, window closed, soak running)")
	}
	return nil
}

func (s *story) selfApproval(ctx context.Context) error {
	status, err := s.approve(ctx, alice, s.res.GoodProd.ID, "lgtm")
	if err := expect(err, slipway.EFORBIDDEN, alice); err != nil {
		return err
	}
	if status != http.StatusForbidden {
		return fmt.Errorf("a self-approval should be refused with 403, got %d", status)
	}
	s.say("server", s.res.GoodProd.ID, "POST /api/v1/promotions/%s/approve as %s: %d Forbidden, as expected: %v", s.res.GoodProd.ID, alice, status, err)
	return nil
}

func (s *story) approveGood(ctx context.Context) error {
	for _, u := range []string{bob, carol} {
		if _, err := s.approve(ctx, u, s.res.GoodProd.ID, "checked the staging soak"); err != nil {
			return err
		}
	}
	return s.expectState(service, "prod", s.res.Good.Digest, slipway.StateWaiting)
}

// openWindow moves the clock to the next moment the prod gates can pass.
func (s *story) openWindow(ctx context.Context) error {
	rep, err := s.eng.Why(ctx, service, "prod")
	if err != nil {
		return err
	}
	next := rep.NextChange()
	if next == nil {
		return fmt.Errorf("gates are closed with no known time of change:\n%s", rep.Text())
	}
	d := next.Sub(s.clock.Now()) + time.Second
	if d > 0 {
		s.clock.travel(d)
		s.say("clock", "", "time passes: %s later", d.Round(time.Minute))
	}
	return s.eng.Reconcile(ctx)
}

func (s *story) prodGood(ctx context.Context) error {
	for i := 0; i < 3; i++ { // soak end and window opening are separate instants
		if err := s.openWindow(ctx); err != nil {
			return err
		}
		p, err := s.eng.Store.Promotions.Promotion(ctx, s.res.GoodProd.ID)
		if err != nil {
			return err
		}
		if p.State != slipway.StateWaiting {
			break
		}
	}
	p, err := s.eng.Store.Promotions.Promotion(ctx, s.res.GoodProd.ID)
	if err != nil {
		return err
	}
	if p.State != slipway.StateReviewOpen {
		return fmt.Errorf("prod promotion should have opened its pull request, is %s (%s)", p.State, p.Reason)
	}
	if err := s.eng.MergePR(ctx, p.PR, bob); err != nil {
		return err
	}
	if err := s.expectState(service, "prod", s.res.Good.Digest, slipway.StateSucceeded); err != nil {
		return err
	}
	if got := s.runtime.Stable(); got != s.res.Good.Digest {
		return fmt.Errorf("runtime should run %s as stable, runs %q", s.res.Good.Digest, got)
	}
	if err := s.expectPinned("prod", s.res.Good.Digest); err != nil {
		return err
	}
	// The operator keeps a checkpoint somewhere else: the log can never
	// again be shorter than this, or different below it.
	if s.res.Checkpoint, err = tlog.ReadCheckpoint(app.TlogDir(s.res.StateDir)); err != nil {
		return err
	}
	s.say("audit", "", "checkpoint saved (`slipway audit checkpoint > FILE`)")
	return nil
}

func (s *story) shipBad(ctx context.Context) error {
	if _, err := s.commit(alice, "feat(api): export orders as CSV", map[string]string{"api/export.go": "package api // export\n"}); err != nil {
		return err
	}
	ref, sha, err := s.buildImage(ctx, "1.1.0", 0.35, true)
	if err != nil {
		return err
	}
	b, _, err := s.eng.RegisterBuild(ctx, service, sha, ref.String())
	if err != nil {
		return err
	}
	s.res.Bad = *b
	rel, err := s.eng.Release(ctx, engine.ReleaseRequest{Service: service, BuildID: b.ID})
	if err != nil {
		return err
	}
	if rel.Tag != "v1.1.0" {
		return fmt.Errorf("a feat after v1.0.0 should release v1.1.0, got %s", rel.Tag)
	}
	st, err := s.promotion("staging", b.Digest)
	if err != nil {
		return err
	}
	if err := s.eng.MergePR(ctx, st.PR, carol); err != nil {
		return err
	}
	if err := s.verify(ctx, b.Digest); err != nil {
		return err
	}
	p, err := s.eng.Promote(ctx, engine.PromoteRequest{Service: service, Env: "prod", Release: "v1.1.0", Requester: alice})
	if err != nil {
		return err
	}
	s.res.BadProd = p
	for _, u := range []string{bob, carol} {
		if _, err := s.approve(ctx, u, p.ID, "staging looked fine"); err != nil {
			return err
		}
	}
	if err := s.openWindow(ctx); err != nil { // the soak
		return err
	}
	if p, err = s.eng.Store.Promotions.Promotion(ctx, p.ID); err != nil {
		return err
	}
	if p.State != slipway.StateReviewOpen {
		return fmt.Errorf("prod promotion of v1.1.0 should have opened its pull request, is %s (%s)", p.State, p.Reason)
	}
	return s.eng.MergePR(ctx, p.PR, bob)
}

func (s *story) checkAbort(ctx context.Context) error {
	if err := s.expectState(service, "prod", s.res.Bad.Digest, slipway.StateAborted); err != nil {
		return err
	}
	if got := s.runtime.Stable(); got != s.res.Good.Digest {
		return fmt.Errorf("after the abort the runtime should run v1.0.0 (%s), runs %q", s.res.Good.Digest, got)
	}
	if err := s.expectPinned("prod", s.res.Good.Digest); err != nil {
		return fmt.Errorf("Git should have been reverted to v1.0.0: %w", err)
	}
	h, err := s.eng.Store.Holds.ActiveHold(ctx, service, s.res.Bad.Digest)
	if err != nil {
		return err
	}
	if h == nil {
		return fmt.Errorf("the failed digest should be held")
	}
	return nil
}

func (s *story) unsigned(ctx context.Context) error {
	if _, err := s.commit(alice, "fix(api): tune the export buffer", map[string]string{"api/export.go": "package api // export, buffered\n"}); err != nil {
		return err
	}
	ref, sha, err := s.buildImage(ctx, "1.1.1", 0, false)
	if err != nil {
		return err
	}
	_, _, err = s.eng.RegisterBuild(ctx, service, sha, ref.String())
	if err := expect(err, slipway.EFORBIDDEN, ref.Digest); err != nil {
		return err
	}
	if _, err := s.eng.Store.Builds.Build(ctx, slipway.BuildID(service, ref.Digest)); err == nil {
		return fmt.Errorf("the refused build must not be recorded")
	}
	return nil
}

func (s *story) auditChain(ctx context.Context) error {
	n, err := s.eng.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	if n != 4 {
		return fmt.Errorf("expected 4 audit entries (v1.0.0 promoted, v1.1.0 aborted, v1.0.1 expedited and promoted), found %d", n)
	}
	s.say("audit", "", "audit chain verified: %d entries", n)
	rep, err := s.eng.VerifyLog(ctx, engine.VerifyLogOptions{PublicKey: s.res.LogKey, Checkpoint: s.res.Checkpoint, CheckpointName: "the checkpoint saved after v1.0.0"})
	if err != nil {
		return err
	}
	if rep.Size != 4 || rep.SavedSize != 1 || rep.PinCommits != 3 {
		return fmt.Errorf("transparency log: %d leaves (%d under the saved checkpoint, %d pin commits), want 4 (1, 3)", rep.Size, rep.SavedSize, rep.PinCommits)
	}
	s.say("audit", fmt.Sprintf("root %x", rep.Root[:6]), "transparency log verified offline: %d leaves signed by the pinned key, consistent with the checkpoint saved after v1.0.0; each pin commit proven on the GitOps remote", rep.Size)
	chain, err := s.eng.ReleaseChain(ctx, service, "v1.0.0")
	if err != nil {
		return err
	}
	if len(chain.Changes) != 1 || chain.Changes[0].Leaf == nil || chain.Build.SBOMDigest == "" || chain.Build.RekorEntry == "" {
		return fmt.Errorf("the chain of v1.0.0 is incomplete: %+v", chain)
	}
	b, ch := chain.Build, chain.Changes[0]
	s.say("audit", "v1.0.0", "signed %s by %s (Rekor entry %s), SBOM %s, built by %s", b.SignerKind, b.Signer, short(b.RekorEntry), digestShort(b.SBOMDigest), b.Builder)
	s.say("audit", "v1.0.0", "approved by %d, pull request #%d, pin commit %s, analysis %s, transparency log leaf %d", len(ch.Approvals), ch.PR, short(ch.PinCommit), ch.Verdict, ch.Leaf.Index)
	return nil
}

func digestShort(d string) string { return short(strings.TrimPrefix(d, "sha256:")) }

// promotion finds the newest promotion of a digest into env.
func (s *story) promotion(env, digest string) (*slipway.Promotion, error) {
	ps, err := s.eng.Store.Promotions.Promotions(context.Background(), slipway.PromotionFilter{Service: service, Env: env})
	if err != nil {
		return nil, err
	}
	for i := len(ps) - 1; i >= 0; i-- {
		if ps[i].Digest == digest {
			return ps[i], nil
		}
	}
	return nil, fmt.Errorf("no promotion of %s to %s", short(digest[7:]), env)
}

func (s *story) expectState(svc, env, digest string, want slipway.PromotionState) error {
	p, err := s.promotion(env, digest)
	if err != nil {
		return err
	}
	if p.State != want {
		return fmt.Errorf("promotion %s of %s to %s should be %s, is %s (%s)", p.ID, svc, env, want, p.State, p.Reason)
	}
	return nil
}

// expectPinned reads the pin on the GitOps remote's main branch.
func (s *story) expectPinned(env, digest string) error {
	content, err := s.eng.GitOps.ShowFile(context.Background(), "origin/main", "envs/"+env+"/"+service+"/values.yaml")
	if err != nil {
		return err
	}
	got, err := gitops.Get(content, "image.digest")
	if err != nil {
		return err
	}
	if got != digest {
		return fmt.Errorf("%s pin is %q, want %s", env, got, digest)
	}
	return nil
}
