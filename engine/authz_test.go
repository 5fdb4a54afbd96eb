package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway/slipway"
)

const authConfig = `
auth:
  roles:
    - {role: releaser, members: [alice@example.com, oscar@example.com]}
    - {role: approver, members: [sre]}
    - {role: viewer, members: [victor@example.com]}
    - {permissions: [rollback, hold-release, canary-decide, expedite, override], members: [oscar@example.com]}
notifications:
  - {name: ops, type: webhook, url: "http://127.0.0.1:9/hook", events: [approval-needed, blocked-by-freeze, rollback-done, break-glass, hold-released]}
`

// authFixture is the engine fixture with roles and a notification receiver.
func authFixture(t *testing.T) *fixture {
	f := newFixture(t)
	if err := os.WriteFile(filepath.Join(f.dir, "slipway.yaml"), []byte(fmt.Sprintf(fixtureConfig, f.image)+authConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	f.open()
	return f
}

func as(name string) context.Context {
	return slipway.WithActor(context.Background(), &slipway.Actor{Name: name, Kind: slipway.ActorUser, Via: "token"})
}

// TestEveryMutatingMethodChecksPermission: a viewer is refused every
// change, with nothing changed in the store or in Git.
func TestEveryMutatingMethodChecksPermission(t *testing.T) {
	f := authFixture(t)
	b := f.released("1")
	p, err := f.e.Promote(as("alice@example.com"), PromoteRequest{Service: "api", Env: "prod", BuildID: b.ID})
	if err != nil || p.Requester != "alice@example.com" {
		t.Fatalf("a releaser promotes, recorded as herself: %v %+v", err, p)
	}
	if p, err = f.e.Approve(as("bob@example.com"), p.ID, "", true, "ok"); err != nil || p.PR == 0 {
		t.Fatalf("an approver approves (through the sre group): %v %+v", err, p)
	}
	if as, _ := f.e.Store.Gates.Approvals(context.Background(), p.ID); len(as) != 1 || as[0].User != "bob@example.com" {
		t.Fatalf("the approval is recorded under the authenticated name: %+v", as)
	}
	viewer := as("victor@example.com")
	ref, sha := f.build("2", f.signer)
	for name, do := range map[string]func() error{
		"Promote": func() error {
			_, err := f.e.Promote(viewer, PromoteRequest{Service: "api", Env: "dev", BuildID: b.ID})
			return err
		},
		"Approve":       func() error { _, err := f.e.Approve(viewer, p.ID, "", true, ""); return err },
		"RegisterBuild": func() error { _, _, err := f.e.RegisterBuild(viewer, "api", sha, ref.String()); return err },
		"ReportVerification": func() error {
			return f.e.ReportVerification(viewer, &slipway.Verification{Service: "api", Env: "dev", Check: "e2e", Digest: b.Digest, Passed: true})
		},
		"RunCheck":     func() error { _, err := f.e.RunCheck(viewer, "api", "dev", "load", b.Digest); return err },
		"Release":      func() error { _, err := f.e.Release(viewer, ReleaseRequest{Service: "api", BuildID: b.ID}); return err },
		"Rollback":     func() error { _, err := f.e.Rollback(viewer, "api", "dev", "", "x"); return err },
		"ReleaseHold":  func() error { return f.e.ReleaseHold(viewer, "api", b.Digest, "") },
		"StopLine":     func() error { return f.e.StopLine(viewer, "prod", "", "x") },
		"LiftStop":     func() error { return f.e.LiftStop(viewer, "prod", "") },
		"Override":     func() error { _, err := f.e.Override(viewer, p.ID, "", "x"); return err },
		"DecideCanary": func() error { _, err := f.e.DecideCanary(viewer, p.ID, "", true, "x"); return err },
		"MergePR":      func() error { return f.e.MergePR(viewer, p.PR, "") },
		"Expedite": func() error {
			_, err := f.e.Promote(as("alice@example.com"), PromoteRequest{Service: "api", Env: "prod", BuildID: b.ID, Expedite: "INC-1"})
			return err
		},
	} {
		f.refused(name, slipway.EFORBIDDEN, "may not", do)
	}
}

func TestAnAuthenticatedCallerCannotActUnderAnotherName(t *testing.T) {
	f := authFixture(t)
	b := f.released("1")
	p, err := f.e.Promote(as("alice@example.com"), PromoteRequest{Service: "api", Env: "prod", BuildID: b.ID})
	if err != nil {
		t.Fatal(err)
	}
	f.refused("approve as someone else", slipway.EFORBIDDEN, `acts as "dave@example.com" but you are bob@example.com`, func() error {
		_, err := f.e.Approve(as("bob@example.com"), p.ID, "dave@example.com", true, "")
		return err
	})
	f.refused("request as someone else", slipway.EFORBIDDEN, "but you are alice@example.com", func() error {
		_, err := f.e.Promote(as("alice@example.com"), PromoteRequest{Service: "api", Env: "dev", BuildID: b.ID, Requester: "slipway"})
		return err
	})
	// The same person written another way is the same person.
	if _, err := f.e.Approve(as("bob@example.com"), p.ID, "Bob <BOB@example.com>", true, ""); err != nil {
		t.Fatal(err)
	}
}

// Local mode is single-operator: its approvals into an environment that
// requires authenticated approvals (the last one, by default) are refused.
func TestLocalApprovalsNeedTheServerWhereRequired(t *testing.T) {
	f := authFixture(t)
	b := f.released("1")
	local := slipway.WithActor(context.Background(), &slipway.Actor{Name: "dave@example.com", Kind: slipway.ActorLocal, Via: "local"})
	p, err := f.e.Promote(slipway.WithActor(context.Background(), &slipway.Actor{Name: "carol@example.com", Kind: slipway.ActorLocal, Via: "local"}), PromoteRequest{Service: "api", Env: "prod", BuildID: b.ID, Requester: "carol@example.com"})
	if err != nil {
		t.Fatalf("the local operator may promote: %v", err)
	}
	f.refused("local approval of prod", slipway.EFORBIDDEN, "prod requires authenticated approvals", func() error {
		_, err := f.e.Approve(local, p.ID, "dave@example.com", true, "")
		return err
	})
	ci := slipway.WithActor(context.Background(), &slipway.Actor{Name: "ci/api", Kind: slipway.ActorCI, Service: "api"})
	f.refused("CI approval", slipway.EFORBIDDEN, "CI token", func() error {
		_, err := f.e.Approve(ci, p.ID, "", true, "")
		return err
	})
	// With requireAuthenticatedApprovals: false, the local operator approves.
	f.e.Cfg.Environments[1].AuthenticatedApprovals = new(bool)
	if _, err := f.e.Approve(local, p.ID, "dave@example.com", true, ""); err != nil {
		t.Fatal(err)
	}
}

// A CI token registers builds of its service, and the automatic promotion
// that follows runs as Slipway, not as the token.
func TestCITokensRegisterTheirServiceOnly(t *testing.T) {
	f := authFixture(t)
	ref, sha := f.build("1", f.signer)
	web := slipway.WithActor(context.Background(), &slipway.Actor{Name: "ci/web", Kind: slipway.ActorCI, Service: "web"})
	f.refused("another service's CI", slipway.EFORBIDDEN, "CI token only registers builds and reports verifications of its service (web)", func() error {
		_, _, err := f.e.RegisterBuild(web, "api", sha, ref.String())
		return err
	})
	ci := slipway.WithActor(context.Background(), &slipway.Actor{Name: "ci/api", Kind: slipway.ActorCI, Service: "api"})
	b, _, err := f.e.RegisterBuild(ci, "api", sha, ref.String())
	if err != nil {
		t.Fatal(err)
	}
	cur, _ := f.e.Store.Promotions.Current(context.Background(), "api", "dev")
	if cur == nil || cur.Digest != b.Digest || cur.Requester != "slipway" {
		t.Fatalf("the automatic promotion to dev runs as slipway: %+v", cur)
	}
	if err := f.e.ReportVerification(ci, &slipway.Verification{Service: "api", Env: "dev", Check: "e2e", Digest: b.Digest, Passed: true}); err != nil {
		t.Fatal(err)
	}
	f.refused("CI promotes", slipway.EFORBIDDEN, "CI token", func() error {
		_, err := f.e.Promote(ci, PromoteRequest{Service: "api", Env: "prod", BuildID: b.ID})
		return err
	})
}

// --expedite needs the expedite permission, and its reason is audited.
func TestExpediteNeedsItsPermissionAndIsAudited(t *testing.T) {
	f := authFixture(t)
	ctx := context.Background()
	f.e.Cfg.Environments[0].Auto = false
	b := f.released("hotfix")
	f.refused("releaser expedites", slipway.EFORBIDDEN, `alice@example.com may not expedite api in prod`, func() error {
		_, err := f.e.Promote(as("alice@example.com"), PromoteRequest{Service: "api", Env: "prod", BuildID: b.ID, Expedite: "INC-7"})
		return err
	})
	p, err := f.e.Promote(as("oscar@example.com"), PromoteRequest{Service: "api", Env: "prod", BuildID: b.ID, Expedite: "INC-7: checkout down"})
	if err != nil {
		t.Fatal(err)
	}
	es, _ := f.e.Store.Audit.AuditOf(ctx, p.ID)
	if len(es) != 1 || es[0].Kind != "expedited" || !strings.HasPrefix(es[0].Verdict, "expedited by oscar@example.com: INC-7: checkout down; skips dev;") || es[0].Approvers[0] != "oscar@example.com" {
		t.Fatalf("audit of the expedite: %+v", es)
	}
	if _, err := f.e.VerifyAudit(ctx); err != nil {
		t.Fatal(err)
	}
}

// Notices reach the outbox as structured events, once each.
func TestNoticesGoToTheOutbox(t *testing.T) {
	f := authFixture(t)
	ctx := context.Background()
	b := f.released("1")
	p, err := f.e.Promote(as("alice@example.com"), PromoteRequest{Service: "api", Env: "prod", BuildID: b.ID})
	if err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(1)
	f.e.Reconcile(ctx)
	f.e.Reconcile(ctx)
	if err := f.e.StopLine(as("alice@example.com"), "prod", "", "incident"); err != nil {
		t.Fatal(err)
	}
	f.e.Reconcile(ctx)
	f.e.Reconcile(ctx)
	if _, err := f.e.Rollback(as("oscar@example.com"), "api", "dev", "", "latency"); err != nil {
		t.Fatal(err)
	}
	ns, err := f.e.Store.Outbox.Notifications(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range ns {
		got = append(got, n.Receiver+" "+n.Notice.Event+" "+n.Notice.Promotion+" "+n.Notice.Actor)
	}
	want := []string{"ops rollback-done p-1 oscar@example.com", "ops blocked-by-freeze " + p.ID + " alice@example.com", "ops approval-needed " + p.ID + " alice@example.com"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("outbox:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if m := ns[0].Notice.Message; !strings.Contains(m, "rolled back api") || ns[0].Notice.Service != "api" || ns[0].Notice.Env != "dev" || ns[0].Notice.Digest != b.Digest {
		t.Fatalf("rollback notice %+v", ns[0].Notice)
	}
}
