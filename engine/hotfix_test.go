package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/rollout/webhook"
	"github.com/slipway/slipway/versioning/deprecation"
)

// The hotfix fixture is the engine fixture with three environments and a
// prod that has everything an expedited promotion must still meet:
// approvals, a sync window, required checks and soak (skipped by an
// expedite), and a canary with analysis. The canary runs over the real
// webhook protocol against webhook.MemoryRuntime, and its analysis reads
// the canary's error rate from a metrics endpoint the test serves.
const hotfixConfig = `
app: {repo: app}
gitops: {remote: gitops.git}
registry: {insecure: true}
groups: {sre: [bob@example.com, carol@example.com, dave@example.com]}
policy: {deprecationWindow: 90d}
services:
  - name: api
    image: %s
    keys: [cosign.pub]
environments:
  - name: dev
    pin: {file: "envs/{env}/{service}.yaml", path: image.digest}
  - name: staging
    promotion: pull-request
    pin: {file: "envs/{env}/{service}.yaml", path: image.digest}
  - name: prod
    promotion: pull-request
    pin: {file: "envs/{env}/{service}.yaml", path: image.digest}
    gates:
      approvals: {required: 1, groups: [sre], expiresAfter: 24h}
      verifications: [e2e]
      soak: 1h
      windows:
        - {kind: allow, schedule: "0 12 * * *", duration: 2h, timeZone: UTC, applications: ["*"]}
    canary:
      rollout: {driver: webhook, url: "%s"}
      templates: [error-rate.yaml]
      steps:
        - setWeight: 50
        - analysis: {templates: [{templateName: error-rate}]}
`

const errorRateTemplate = `apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: error-rate}
spec:
  metrics:
    - name: error-rate
      interval: 50ms
      count: 2
      failureLimit: 0
      successCondition: result < 0.05
      provider:
        web: {url: "%s", jsonPath: "{$.errorRate}"}
`

type hotfixFixture struct {
	*fixture
	runtime  *webhook.MemoryRuntime
	errRate  atomic.Value // float64 the metrics endpoint reports
	scrapes  atomic.Int64
	appBare  string
	mu       sync.Mutex
	timeline []Event
}

// newHotfixFixture builds on the engine fixture: a staging environment
// more, the app repository's remote, the canary's runtime and metrics.
func newHotfixFixture(t *testing.T) *hotfixFixture {
	t.Helper()
	h := &hotfixFixture{fixture: newFixture(t), runtime: webhook.NewMemoryRuntime()}
	f := h.fixture
	h.errRate.Store(0.0)
	rollout := httptest.NewServer(webhook.Handler(h.runtime))
	t.Cleanup(rollout.Close)
	metrics := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.scrapes.Add(1)
		json.NewEncoder(w).Encode(map[string]float64{"errorRate": h.errRate.Load().(float64)})
	}))
	t.Cleanup(metrics.Close)
	h.appBare = filepath.Join(f.dir, "app.git")
	f.git(f.dir, "init", "-q", "--bare", "-b", "main", h.appBare)
	f.git(f.app, "remote", "add", "origin", h.appBare)
	seed := filepath.Join(f.dir, "seed")
	os.MkdirAll(filepath.Join(seed, "envs", "staging"), 0o755)
	os.WriteFile(filepath.Join(seed, "envs", "staging", "api.yaml"), []byte("image:\n  digest: \"\"\n"), 0o644)
	f.git(seed, "add", "-A")
	f.git(seed, "-c", "user.name=p", "-c", "user.email=p@example.com", "commit", "-q", "-m", "chore: staging")
	f.git(seed, "push", "-q", "origin", "HEAD:main")
	os.WriteFile(filepath.Join(f.dir, "error-rate.yaml"), []byte(fmt.Sprintf(errorRateTemplate, metrics.URL)), 0o644)
	os.WriteFile(filepath.Join(f.dir, "slipway.yaml"), []byte(fmt.Sprintf(hotfixConfig, f.image, rollout.URL)), 0o644)
	f.open()
	f.e.Events = func(ev Event) {
		h.mu.Lock()
		h.timeline = append(h.timeline, ev)
		h.mu.Unlock()
	}
	return h
}

// said reports whether the timeline has a line containing all parts.
func (h *hotfixFixture) said(parts ...string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ev := range h.timeline {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(ev.Message, p)
		}
		if all {
			return true
		}
	}
	return false
}

// ship builds HEAD of the app repo, registers it, pins dev and releases it.
func (h *hotfixFixture) ship(version string) (*slipway.Build, *slipway.Release) {
	h.t.Helper()
	ctx := context.Background()
	ref, sha := h.build(version, h.signer)
	b, _, err := h.e.RegisterBuild(ctx, "api", sha, ref.String())
	if err != nil {
		h.t.Fatal(err)
	}
	rel, err := h.e.Release(ctx, ReleaseRequest{Service: "api", BuildID: b.ID, User: "alice@example.com"})
	if err != nil {
		h.t.Fatal(err)
	}
	return b, rel
}

// toProd takes a promotion waiting for prod through approval, the window,
// the pull request and the canary; it returns the settled promotion.
func (h *hotfixFixture) toProd(p *slipway.Promotion) *slipway.Promotion {
	h.t.Helper()
	ctx := context.Background()
	p, err := h.e.Approve(ctx, p.ID, "dave@example.com", true, "ok")
	if err != nil {
		h.t.Fatal(err)
	}
	if p.State == slipway.StateWaiting { // the window opens at 12:00
		h.now = time.Date(h.now.Year(), h.now.Month(), h.now.Day(), 12, 0, 0, 0, time.UTC)
		if err := h.e.Reconcile(ctx); err != nil {
			h.t.Fatal(err)
		}
		if p, err = h.e.Store.Promotions.Promotion(ctx, p.ID); err != nil {
			h.t.Fatal(err)
		}
	}
	if p.State != slipway.StateReviewOpen {
		h.t.Fatalf("%s should have opened its pull request: %s (%s)", p.ID, p.State, p.Reason)
	}
	if err := h.e.MergePR(ctx, p.PR, "bob@example.com"); err != nil {
		h.t.Fatal(err)
	}
	p, err = h.e.Store.Promotions.Promotion(ctx, p.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

// promoteThrough takes a released build through dev and staging by the
// ordinary rules, then requests prod.
func (h *hotfixFixture) promoteThrough(b *slipway.Build, rel *slipway.Release) *slipway.Promotion {
	h.t.Helper()
	ctx := context.Background()
	if _, err := h.e.Promote(ctx, PromoteRequest{Service: "api", Env: "dev", BuildID: b.ID, Requester: "alice@example.com"}); err != nil {
		h.t.Fatal(err)
	}
	st, err := h.e.Promote(ctx, PromoteRequest{Service: "api", Env: "staging", Release: rel.Tag, Requester: "alice@example.com"})
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.e.MergePR(ctx, st.PR, "bob@example.com"); err != nil {
		h.t.Fatal(err)
	}
	if err := h.e.ReportVerification(ctx, &slipway.Verification{Service: "api", Env: "staging", Check: "e2e", Digest: b.Digest, Passed: true}); err != nil {
		h.t.Fatal(err)
	}
	h.now = h.now.Add(2 * time.Hour) // the soak
	p, err := h.e.Promote(ctx, PromoteRequest{Service: "api", Env: "prod", Release: rel.Tag, Requester: "alice@example.com"})
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

// TestHotfixReleasedAndExpeditedWhileMainIsAhead is the hotfix lane end
// to end: prod runs v1.0.0, main has released v1.1.0; a hotfix branch
// from v1.0.0 releases v1.0.1, which is expedited to prod past dev and
// staging; prod's approvals, window, canary and analysis still decide, and
// a failing canary still aborts an expedited hotfix. Main's next release
// does not repeat the fix and names the hotfix it supersedes.
func TestHotfixReleasedAndExpeditedWhileMainIsAhead(t *testing.T) {
	h := newHotfixFixture(t)
	ctx := context.Background()
	good, v100 := h.ship("1.0.0")
	if v100.Tag != "v1.0.0" {
		t.Fatalf("first release %s", v100.Tag)
	}
	if p := h.toProd(h.promoteThrough(good, v100)); p.State != slipway.StateSucceeded {
		t.Fatalf("v1.0.0 to prod: %s (%s)", p.State, p.Reason)
	}
	h.commit("alice@example.com", "feat: export orders", "b.txt", "2", "")
	if _, v110 := h.ship("1.1.0"); v110.Tag != "v1.1.0" {
		t.Fatalf("main's second release %s", v110.Tag)
	}
	h.git(h.app, "push", "-q", "origin", "main", "--tags")

	hf, err := h.e.StartHotfix(ctx, HotfixRequest{Service: "api", From: "v1.0.0", User: "erin@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if hf.Branch != "hotfix/api/v1.0" || !hf.Created || !hf.Pushed || hf.Commit != good.Commit {
		t.Fatalf("hotfix start: %+v", hf)
	}
	if got := h.git(h.appBare, "rev-parse", "hotfix/api/v1.0"); got != good.Commit {
		t.Errorf("remote hotfix branch at %s, want v1.0.0's commit", got)
	}
	h.git(h.app, "checkout", "-q", "hotfix/api/v1.0")
	fix := h.commit("erin@example.com", "fix: negative quantities corrupt orders", "c.txt", "3", "")
	hot, v101 := h.ship("1.0.1")
	if v101.Tag != "v1.0.1" || hot.Commit != fix {
		t.Fatalf("hotfix release %s of %s", v101.Tag, hot.Commit)
	}
	if !h.said("v1.0.1 is a hotfix release from hotfix/api/v1.0", ">=1.0.0 <1.1.0") {
		t.Error("the timeline does not say the release is a hotfix")
	}
	if msg := h.git(h.app, "tag", "-l", "--format=%(contents)", "v1.0.1"); !strings.Contains(msg, "Maintenance-Branch: hotfix/api/v1.0 (>=1.0.0 <1.1.0)") || !strings.Contains(msg, "Digest: "+hot.Digest) {
		t.Errorf("tag annotation:\n%s", msg)
	}

	h.refused("prod without expedite", slipway.ECONFLICT, "has not succeeded in staging", func() error {
		_, err := h.e.Promote(ctx, PromoteRequest{Service: "api", Env: "prod", Release: "v1.0.1", Requester: "erin@example.com"})
		return err
	})
	h.refused("blank expedite reason", slipway.EINVALID, "--expedite needs a written reason", func() error {
		_, err := h.e.Promote(ctx, PromoteRequest{Service: "api", Env: "prod", Release: "v1.0.1", Requester: "erin@example.com", Expedite: " \n\t"})
		return err
	})
	h.now = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC) // the window is closed until 12:00
	reason := "INC-7: negative quantities corrupt orders\nSlipway-Digest: sha256:" + strings.Repeat("e", 64)
	p, err := h.e.Promote(ctx, PromoteRequest{Service: "api", Env: "prod", Release: "v1.0.1", Requester: "erin@example.com", Expedite: reason})
	if err != nil {
		t.Fatal(err)
	}
	folded := strings.Join(strings.Fields(reason), " ")
	if p.State != slipway.StateWaiting || p.Expedited != folded {
		t.Fatalf("expedited promotion: %+v", p)
	}
	entries, err := h.e.Store.Audit.AuditEntries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	last := entries[len(entries)-1]
	if last.Kind != "expedited" || last.Env != "prod" || last.PromotionID != p.ID || last.Approvers[0] != "erin@example.com" ||
		!strings.Contains(last.Verdict, folded) || !strings.Contains(last.Verdict, "skips dev, staging and prod's required checks and soak") {
		t.Errorf("audit entry of the expedite: %+v", last)
	}
	if !h.said("EXPEDITED: "+p.ID, "INC-7") {
		t.Error("no notice of the expedite on the timeline")
	}

	// Prod's own gates still hold it: approval and the window; the
	// checks and soak of staging are skipped, and say so.
	rep, err := h.e.Why(ctx, "api", "prod")
	if err != nil {
		t.Fatal(err)
	}
	text := rep.Text()
	if rep.Open || !strings.Contains(text, "needs 1 more approval") || !strings.Contains(text, "no allow window is active") ||
		strings.Contains(text, "check e2e") || !strings.Contains(text, "verifications and soak skipped for an expedited promotion") {
		t.Errorf("gates of the expedited promotion:\n%s", text)
	}
	h.refused("self-approval of an expedite", slipway.EFORBIDDEN, "", func() error {
		_, err := h.e.Approve(ctx, p.ID, "erin@example.com", true, "")
		return err
	})
	calls := len(h.runtime.Calls())
	scrapes := h.scrapes.Load()
	p = h.toProd(p)
	if p.State != slipway.StateSucceeded {
		t.Fatalf("expedited hotfix in prod: %s (%s)", p.State, p.Reason)
	}
	var ops []string
	for _, c := range h.runtime.Calls()[calls:] {
		ops = append(ops, fmt.Sprintf("%s %s over %s", c.Op, slipway.Digest12(c.Request.CanaryDigest), slipway.Digest12(c.Request.StableDigest)))
	}
	want := []string{"set-weight " + slipway.Digest12(hot.Digest) + " over " + slipway.Digest12(good.Digest), "promote " + slipway.Digest12(hot.Digest) + " over " + slipway.Digest12(good.Digest)}
	if strings.Join(ops, "; ") != strings.Join(want, "; ") {
		t.Errorf("the canary of the hotfix: %v, want %v", ops, want)
	}
	if h.scrapes.Load()-scrapes < 2 {
		t.Errorf("the analysis measured %d times, want 2", h.scrapes.Load()-scrapes)
	}
	runs, err := h.e.Store.Analysis.AnalysisRuns(ctx, p.ID)
	if err != nil || len(runs) != 1 || runs[0].Phase != "Successful" {
		t.Errorf("analysis runs of the expedited promotion: %+v %v", runs, err)
	}
	if head := h.git(h.remote, "log", "-1", "--format=%(trailers:key=Slipway-Digest,valueonly)", p.Head); strings.TrimSpace(head) != hot.Digest {
		t.Errorf("the reason smuggled a trailer into the pin commit: Slipway-Digest = %q", head)
	}
	entries, _ = h.e.Store.Audit.AuditEntries(ctx)
	var kinds []string
	for _, x := range entries {
		kinds = append(kinds, x.Kind+":"+x.PromotionID)
	}
	if got := strings.Join(kinds, " "); !strings.HasSuffix(got, "expedited:"+p.ID+" promoted:"+p.ID) {
		t.Errorf("audit log: %s", got)
	}
	if _, err := h.e.VerifyAudit(ctx); err != nil {
		t.Error(err)
	}

	// A bad hotfix, expedited too: the canary's analysis still aborts it.
	h.commit("erin@example.com", "fix: a second, broken fix", "c.txt", "4", "")
	bad, v102 := h.ship("1.0.2")
	h.errRate.Store(0.5)
	pb, err := h.e.Promote(ctx, PromoteRequest{Service: "api", Env: "prod", Release: v102.Tag, Requester: "erin@example.com", Expedite: "INC-8: follow-up"})
	if err != nil {
		t.Fatal(err)
	}
	if pb = h.toProd(pb); pb.State != slipway.StateAborted || !strings.Contains(pb.Reason, "error-rate") {
		t.Fatalf("a failing canary must abort an expedited promotion: %s (%s)", pb.State, pb.Reason)
	}
	if got := h.git(h.remote, "show", "main:envs/prod/api.yaml"); !strings.Contains(got, hot.Digest) || strings.Contains(got, bad.Digest) {
		t.Errorf("prod pin after the abort should be v1.0.1 again:\n%s", got)
	}
	h.errRate.Store(0.0)

	// Main takes the fix (cherry-pick -x) and releases: the changelog does
	// not repeat it and names v1.0.1.
	h.git(h.app, "checkout", "-q", "main")
	h.git(h.app, "-c", "user.name=x", "-c", "user.email=erin@example.com", "cherry-pick", "-x", fix)
	h.commit("alice@example.com", "fix: paging", "d.txt", "5", "")
	_, v111 := h.ship("1.1.1")
	if v111.Tag != "v1.1.1" || !strings.Contains(v111.Notes, "Includes fixes first released in v1.0.1.") ||
		strings.Contains(v111.Notes, "negative quantities") || !strings.Contains(v111.Notes, "paging") {
		t.Errorf("main's release after the hotfix (%s):\n%s", v111.Tag, v111.Notes)
	}
	if cl, _ := os.ReadFile(filepath.Join(h.app, "CHANGELOG.md")); strings.Count(string(cl), "negative quantities") != 0 {
		t.Errorf("main's CHANGELOG.md repeats the hotfix:\n%s", cl)
	}
}

// TestHotfixStartIsIdempotentAndRefusesForeignBranches: a repeat changes
// nothing; a branch of that name that does not hold the release is named
// and left alone; bad input is refused before anything changes.
func TestHotfixStartIsIdempotentAndRefusesForeignBranches(t *testing.T) {
	h := newHotfixFixture(t)
	ctx := context.Background()
	good, _ := h.ship("1.0.0")
	appState := func() string {
		return h.git(h.app, "for-each-ref", "--format=%(refname)=%(objectname)") + "|" + h.git(h.appBare, "for-each-ref", "--format=%(refname)=%(objectname)")
	}
	first, err := h.e.StartHotfix(ctx, HotfixRequest{Service: "api", From: "1.0.0"})
	if err != nil || !first.Created || !first.Pushed || first.Line != "1.0.x" {
		t.Fatalf("first: %+v %v", first, err)
	}
	before := appState()
	again, err := h.e.StartHotfix(ctx, HotfixRequest{Service: "api", From: "v1.0.0"})
	if err != nil || again.Created || again.Pushed || appState() != before {
		t.Fatalf("repeat: %+v %v", again, err)
	}
	// Ahead of the tag is fine: someone already committed a fix there.
	h.git(h.app, "checkout", "-q", "hotfix/api/v1.0")
	h.commit("erin@example.com", "fix: x", "x.txt", "x", "")
	h.git(h.app, "push", "-q", "origin", "hotfix/api/v1.0")
	h.git(h.app, "checkout", "-q", "main")
	if _, err := h.e.StartHotfix(ctx, HotfixRequest{Service: "api", From: "v1.0.0"}); err != nil {
		t.Errorf("a branch ahead of the tag: %v", err)
	}
	// semantic-release's name for the same line.
	sr, err := h.e.StartHotfix(ctx, HotfixRequest{Service: "api", From: "v1.0.0", Branch: "1.0.x"})
	if err != nil || sr.Branch != "1.0.x" || h.git(h.appBare, "rev-parse", "1.0.x") != good.Commit {
		t.Errorf("1.0.x: %+v %v", sr, err)
	}

	// A branch named like v1.1's maintenance branch, elsewhere.
	h.commit("alice@example.com", "feat: more", "m.txt", "m", "")
	h.ship("1.1.0")
	h.git(h.app, "push", "-q", "origin", h.git(h.app, "rev-list", "--max-parents=0", "HEAD")+":refs/heads/hotfix/api/v1.1")
	check := func(name, code, want string, r HotfixRequest) {
		t.Helper()
		before := appState()
		_, err := h.e.StartHotfix(ctx, r)
		if err == nil || slipway.ErrorCode(err) != code || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %s %v; want %s containing %q", name, slipway.ErrorCode(err), err, code, want)
		}
		if after := appState(); after != before && name != "foreign remote branch" {
			t.Errorf("%s changed the app repository:\n%s\n%s", name, before, after)
		}
	}
	check("foreign remote branch", slipway.ECONFLICT, "branch hotfix/api/v1.1 on origin exists at", HotfixRequest{Service: "api", From: "v1.1.0"})
	if h.git(h.app, "branch", "--list", "hotfix/api/v1.1") != "" {
		t.Error("a refused hotfix start created a local branch")
	}
	check("unknown release", slipway.ENOTFOUND, "no release tag v9.9.9 of api", HotfixRequest{Service: "api", From: "v9.9.9"})
	check("prerelease", slipway.EINVALID, "is a prerelease", HotfixRequest{Service: "api", From: "v1.0.0-rc.1"})
	check("not a version", slipway.EINVALID, `--from "yesterday" is not a release of api`, HotfixRequest{Service: "api", From: "yesterday"})
	check("branch of another line", slipway.EINVALID, "serves the 1.1.x line, which does not hold v1.0.0", HotfixRequest{Service: "api", From: "v1.0.0", Branch: "hotfix/api/v1.1"})
	check("not a maintenance name", slipway.EINVALID, `"feature/x" is not a maintenance branch name of api`, HotfixRequest{Service: "api", From: "v1.0.0", Branch: "feature/x"})
	check("option-looking branch", slipway.EINVALID, "--branch", HotfixRequest{Service: "api", From: "v1.0.0", Branch: "--force"})
	check("unknown service", slipway.EINVALID, `unknown service "web"`, HotfixRequest{Service: "web", From: "v1.0.0"})
	h.git(h.app, "remote", "remove", "origin")
	check("no remote", slipway.EINVALID, `has no remote "origin"`, HotfixRequest{Service: "api", From: "v1.1.0", Branch: "1.1.x"})
}

// TestReleaseRefusedInsideDeprecationWindow: with policy.deprecationWindow
// 90d, a major that removes something deprecated a week ago is refused,
// naming it and when it may go, and nothing changes; --allow-early-removal
// releases it, recorded in the tag, the register and the audit log.
func TestReleaseRefusedInsideDeprecationWindow(t *testing.T) {
	h := newHotfixFixture(t)
	ctx := context.Background()
	h.ship("1.0.0")
	h.commit("alice@example.com", "feat(api): /v2/orders\n\nDeprecated: the /v1/orders endpoint; remove after 1.5.0", "o.txt", "v2", "")
	_, v110 := h.ship("1.1.0")
	if !strings.Contains(v110.Notes, "> This release has 1 deprecation: read Deprecations below before upgrading.") {
		t.Errorf("notes of the deprecating release:\n%s", v110.Notes)
	}
	reg, err := deprecation.Parse("deprecations.yaml", []byte(h.git(h.app, "show", "HEAD:deprecations.yaml")+"\n"))
	if err != nil || len(reg.Entries) != 1 || reg.Entries[0].Since != "1.1.0" || reg.Entries[0].Date != "2026-12-01" {
		t.Fatalf("register: %+v %v", reg, err)
	}
	if !h.said(`v1.1.0 deprecates "the /v1/orders endpoint"`) {
		t.Error("the timeline does not announce the deprecation")
	}

	h.now = h.now.AddDate(0, 0, 7)
	h.commit("alice@example.com", "feat(api)!: drop the /v1/orders endpoint", "o.txt", "gone", "")
	ref, sha := h.build("2.0.0", h.signer)
	b, _, err := h.e.RegisterBuild(ctx, "api", sha, ref.String())
	if err != nil {
		t.Fatal(err)
	}
	appBefore := h.git(h.app, "for-each-ref", "--format=%(refname)=%(objectname)")
	h.refused("removal inside the window", slipway.EFORBIDDEN, `"the /v1/orders endpoint" (id the-v1-orders-endpoint, deprecated in 1.1.0 on 2026-12-01`, func() error {
		_, err := h.e.Release(ctx, ReleaseRequest{Service: "api", BuildID: b.ID})
		if err != nil && !strings.Contains(err.Error(), "it may go from 2027-03-01 (policy deprecationWindow 90d after 2026-12-01)") {
			t.Errorf("the refusal does not say when it may go:\n%v", err)
		}
		return err
	})
	if h.git(h.app, "for-each-ref", "--format=%(refname)=%(objectname)") != appBefore {
		t.Error("the refused release changed the app repository")
	}
	if rel, _ := h.e.Store.Releases.ReleaseOfBuild(ctx, b.ID); rel != nil {
		t.Error("the refused release was recorded")
	}

	rel, err := h.e.Release(ctx, ReleaseRequest{Service: "api", BuildID: b.ID, AllowEarlyRemoval: "no client calls v1 since INC-9", User: "carol@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if rel.Tag != "v2.0.0" || !strings.Contains(rel.Notes, "removed inside its deprecation window: no client calls v1 since INC-9") {
		t.Fatalf("early removal: %s\n%s", rel.Tag, rel.Notes)
	}
	if msg := h.git(h.app, "tag", "-l", "--format=%(contents)", "v2.0.0"); !strings.Contains(msg, "Early-Removal: the-v1-orders-endpoint (deprecated in 1.1.0): no client calls v1 since INC-9") {
		t.Errorf("tag annotation:\n%s", msg)
	}
	if reg := h.git(h.app, "show", "HEAD:deprecations.yaml"); !strings.Contains(reg, "removedIn: 2.0.0\n    earlyRemoval: \"no client calls v1 since INC-9\"") {
		t.Errorf("register:\n%s", reg)
	}
	entries, _ := h.e.Store.Audit.AuditEntries(ctx)
	last := entries[len(entries)-1]
	if last.Kind != "early-removal" || last.Approvers[0] != "carol@example.com" || !strings.Contains(last.Verdict, "inside its deprecation window (90d), allowed by carol@example.com: no client calls v1 since INC-9") {
		t.Errorf("audit entry: %+v", last)
	}
}
