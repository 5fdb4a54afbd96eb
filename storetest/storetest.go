// Package storetest is the one test suite every slipway.Store implementation
// must pass (sqlite, postgres): the same behaviour, the same error codes, the
// same guarantees under concurrency.
package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slipway/slipway"
)

// Open returns a fresh, empty store for one test.
type Open func(t *testing.T) slipway.Store

// T0 is the suite's reference instant.
var T0 = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

// Run runs the whole suite.
func Run(t *testing.T, open Open) {
	for _, c := range []struct {
		name string
		fn   func(*testing.T, slipway.Store)
	}{
		{"BuildsAreImmutable", testBuilds},
		{"RefusedIntakes", testRefused},
		{"Releases", testReleases},
		{"TransitionsAreCheckedAndRecorded", testTransitions},
		{"OneActivePromotionPerPin", testOneActive},
		{"ConcurrentRequestsLeaveOneActive", testConcurrentCreate},
		{"SupersededPromotionCannotMove", testSupersededCannotMove},
		{"PinRecordsAndCanaryProgress", testPins},
		{"OneDecisionPerPerson", testApprovals},
		{"VerificationsStopsOverrides", testGates},
		{"Holds", testHolds},
		{"AnalysisKeepsEveryMeasurement", testAnalysis},
		{"AuditChain", testAudit},
		{"ConcurrentAuditAppendsNeverFork", testAuditConcurrent},
		{"AuditedPromotionsMatchPromotions", testAuditedPromotions},
		{"PullRequests", testPRs},
		{"PullRequestBranchReopens", testPRBranchReopens},
		{"Leases", testLeases},
		{"LeaseHasOneHolderUnderContention", testLeaseContention},
		{"WorkQueue", testQueue},
		{"PlatformRollouts", testRollouts},
		{"OneActiveRolloutPerEnvUnderContention", testRolloutContention},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := open(t)
			c.fn(t, st)
		})
	}
	for _, c := range accessCases {
		t.Run(c.name, func(t *testing.T) { c.fn(t, open(t)) })
	}
}

var ctx = context.Background()

func digest(hex string) string { return "sha256:" + strings.Repeat(hex, 64)[:64] }

// Build stores a build of service with a digest made of hex.
func Build(t *testing.T, st slipway.Store, service, hex string) *slipway.Build {
	t.Helper()
	d := digest(hex)
	b := &slipway.Build{ID: slipway.BuildID(service, d), Service: service, Commit: strings.Repeat("c", 40), Image: "r/" + service, Digest: d, KeyID: "k", Created: T0, Platforms: []string{"linux/amd64", "linux/arm64"}}
	if _, err := st.Builds.CreateBuild(ctx, b); err != nil {
		t.Fatal(err)
	}
	return b
}

func promotion(b *slipway.Build, env string, at time.Time) *slipway.Promotion {
	return &slipway.Promotion{Service: b.Service, Env: env, BuildID: b.ID, Digest: b.Digest, Requester: "alice@example.com", State: slipway.StateWaiting, Reason: "evaluating gates", Created: at}
}

func code(t *testing.T, err error, want string) {
	t.Helper()
	if got := slipway.ErrorCode(err); got != want {
		t.Fatalf("error code %q (%v), want %q", got, err, want)
	}
}

func testBuilds(t *testing.T, st slipway.Store) {
	b := Build(t, st, "api", "a")
	dup := *b
	created, err := st.Builds.CreateBuild(ctx, &dup)
	if err != nil || created {
		t.Fatalf("same build again: created=%v err=%v", created, err)
	}
	dup.Commit = strings.Repeat("d", 40)
	_, err = st.Builds.CreateBuild(ctx, &dup)
	code(t, err, slipway.ECONFLICT)
	got, err := st.Builds.Build(ctx, b.ID)
	if err != nil || got.Commit != b.Commit || strings.Join(got.Platforms, ",") != "linux/amd64,linux/arm64" || !got.Created.Equal(T0) {
		t.Fatalf("read back %+v %v", got, err)
	}
	_, err = st.Builds.Build(ctx, "nope")
	code(t, err, slipway.ENOTFOUND)
	Build(t, st, "web", "b")
	if bs, err := st.Builds.Builds(ctx, "api"); err != nil || len(bs) != 1 {
		t.Fatalf("builds of api: %d %v", len(bs), err)
	}
	if bs, err := st.Builds.Builds(ctx, ""); err != nil || len(bs) != 2 {
		t.Fatalf("all builds: %d %v", len(bs), err)
	}
}

func testRefused(t *testing.T, st slipway.Store) {
	for i, rule := range []string{"unsigned", "wrong-repository"} {
		r := &slipway.RefusedIntake{Service: "api", Image: "r/api@" + digest("e"), Commit: strings.Repeat("c", 40), Rule: rule, Reason: "refused: " + rule, At: T0.Add(time.Duration(i) * time.Second)}
		if err := st.Builds.RefuseIntake(ctx, r); err != nil || r.ID == 0 {
			t.Fatalf("refuse: %v id %d", err, r.ID)
		}
	}
	rs, err := st.Builds.RefusedIntakes(ctx, "api")
	if err != nil || len(rs) != 2 || rs[0].Rule != "wrong-repository" {
		t.Fatalf("refused intakes, newest first: %+v %v", rs, err)
	}
	if rs, _ := st.Builds.RefusedIntakes(ctx, "web"); len(rs) != 0 {
		t.Fatalf("other service sees %d refusals", len(rs))
	}
}

func testReleases(t *testing.T, st slipway.Store) {
	b := Build(t, st, "api", "a")
	b2 := Build(t, st, "api", "b")
	r := &slipway.Release{Service: "api", Version: "1.0.0", Tag: "v1.0.0", BuildID: b.ID, Commit: b.Commit, Notes: "## 1.0.0", Authors: []string{"Ann <ann@example.com>"}, Created: T0}
	if err := st.Releases.CreateRelease(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := st.Releases.CreateRelease(ctx, r); err != nil {
		t.Fatalf("same release again must be a no-op: %v", err)
	}
	other := *r
	other.BuildID = b2.ID
	code(t, st.Releases.CreateRelease(ctx, &other), slipway.ECONFLICT)
	got, err := st.Releases.Release(ctx, "api", "v1.0.0")
	if err != nil || got.BuildID != b.ID || len(got.Authors) != 1 {
		t.Fatalf("release: %+v %v", got, err)
	}
	_, err = st.Releases.Release(ctx, "api", "v9.9.9")
	code(t, err, slipway.ENOTFOUND)
	if got, err := st.Releases.ReleaseOfBuild(ctx, b2.ID); err != nil || got != nil {
		t.Fatalf("unreleased build: %+v %v", got, err)
	}
	if rs, err := st.Releases.Releases(ctx, "api"); err != nil || len(rs) != 1 {
		t.Fatalf("releases: %d %v", len(rs), err)
	}
}

func testTransitions(t *testing.T, st slipway.Store) {
	b := Build(t, st, "api", "a")
	p := promotion(b, "dev", T0)
	if _, err := st.Promotions.CreatePromotion(ctx, p, false); err != nil {
		t.Fatal(err)
	}
	if p.ID == "" {
		t.Fatal("no id assigned")
	}
	code(t, st.Promotions.Transition(ctx, p, slipway.StateSucceeded, "skip", T0), slipway.ECONFLICT)
	stale := *p
	if err := st.Promotions.Transition(ctx, p, slipway.StatePinning, "gates passed", T0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	// A second actor still holding the old state loses.
	code(t, st.Promotions.Transition(ctx, &stale, slipway.StatePinning, "again", T0), slipway.ECONFLICT)
	code(t, st.Promotions.Update(ctx, &stale, T0), slipway.ECONFLICT)
	p.PinCommit, p.Branch, p.Head = strings.Repeat("1", 40), "slipway/dev/api/x-p-1", strings.Repeat("2", 40)
	if err := st.Promotions.Update(ctx, p, T0.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	for _, to := range []slipway.PromotionState{slipway.StateSynced, slipway.StateSucceeded} {
		if err := st.Promotions.Transition(ctx, p, to, string(to), T0.Add(3*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.Promotions.Promotion(ctx, p.ID)
	if err != nil || got.State != slipway.StateSucceeded || got.Head != p.Head || got.Branch != p.Branch || got.PinCommit != p.PinCommit {
		t.Fatalf("read back %+v %v", got, err)
	}
	h, err := st.Promotions.History(ctx, p.ID)
	if err != nil || len(h) != 4 || h[0].From != "" || h[3].To != slipway.StateSucceeded {
		t.Fatalf("history %+v %v", h, err)
	}
	for i := 1; i < len(h); i++ {
		if h[i].Seq <= h[i-1].Seq {
			t.Fatalf("transition order %d then %d", h[i-1].Seq, h[i].Seq)
		}
	}
	if at, err := st.Promotions.SucceededAt(ctx, p.ID); err != nil || !at.Equal(T0.Add(3*time.Second)) {
		t.Fatalf("succeeded at %s %v", at, err)
	}
	if cur, err := st.Promotions.Current(ctx, "api", "dev"); err != nil || cur == nil || cur.ID != p.ID {
		t.Fatalf("current %+v %v", cur, err)
	}
	if cur, err := st.Promotions.Current(ctx, "api", "prod"); err != nil || cur != nil {
		t.Fatalf("nothing in prod: %+v %v", cur, err)
	}
	_, err = st.Promotions.Promotion(ctx, "p-999")
	code(t, err, slipway.ENOTFOUND)
}

func testOneActive(t *testing.T, st slipway.Store) {
	b1, b2, b3 := Build(t, st, "api", "a"), Build(t, st, "api", "b"), Build(t, st, "api", "c")
	p1 := promotion(b1, "dev", T0)
	if _, err := st.Promotions.CreatePromotion(ctx, p1, false); err != nil {
		t.Fatal(err)
	}
	_, err := st.Promotions.CreatePromotion(ctx, promotion(b2, "dev", T0), false)
	code(t, err, slipway.ECONFLICT)
	if !strings.Contains(err.Error(), p1.ID) {
		t.Fatalf("refusal must name the active promotion %s: %v", p1.ID, err)
	}
	// Another environment is another pin location.
	if _, err := st.Promotions.CreatePromotion(ctx, promotion(b2, "prod", T0), false); err != nil {
		t.Fatal(err)
	}
	p2 := promotion(b2, "dev", T0.Add(time.Second))
	sup, err := st.Promotions.CreatePromotion(ctx, p2, true)
	if err != nil || len(sup) != 1 || sup[0].ID != p1.ID || sup[0].State != slipway.StateSuperseded {
		t.Fatalf("supersede: %+v %v", sup, err)
	}
	if got, _ := st.Promotions.Promotion(ctx, p1.ID); got.State != slipway.StateSuperseded {
		t.Fatalf("superseded promotion is %s", got.State)
	}
	// Past its pin, a promotion is not superseded: the newer one is refused.
	for _, to := range []slipway.PromotionState{slipway.StatePinning, slipway.StateSynced, slipway.StateCanary} {
		if err := st.Promotions.Transition(ctx, p2, to, "", T0); err != nil {
			t.Fatal(err)
		}
	}
	_, err = st.Promotions.CreatePromotion(ctx, promotion(b3, "dev", T0), true)
	code(t, err, slipway.ECONFLICT)
	if !strings.Contains(err.Error(), p2.ID) || !strings.Contains(err.Error(), "canary") {
		t.Fatalf("refusal must name %s and its canary: %v", p2.ID, err)
	}
	act, err := st.Promotions.Promotions(ctx, slipway.PromotionFilter{Service: "api", Env: "dev", Active: true})
	if err != nil || len(act) != 1 || act[0].ID != p2.ID {
		t.Fatalf("active: %+v %v", act, err)
	}
	if ps, _ := st.Promotions.Promotions(ctx, slipway.PromotionFilter{Digest: b2.Digest}); len(ps) != 2 {
		t.Fatalf("by digest: %d", len(ps))
	}
}

func testConcurrentCreate(t *testing.T, st slipway.Store) {
	const n = 12
	builds := make([]*slipway.Build, n)
	for i := range builds {
		builds[i] = Build(t, st, "api", fmt.Sprintf("%x", i+1))
	}
	for _, supersede := range []bool{false, true} {
		env := fmt.Sprintf("env-%v", supersede)
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, superseded := 0, 0
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				for {
					sup, err := st.Promotions.CreatePromotion(ctx, promotion(builds[i], env, T0), supersede)
					if supersede && slipway.ErrorCode(err) == slipway.ECONFLICT && strings.Contains(err.Error(), "same moment") {
						continue // lost a race the index caught: ask again
					}
					mu.Lock()
					if err == nil {
						ok++
						superseded += len(sup)
					} else if slipway.ErrorCode(err) != slipway.ECONFLICT {
						t.Errorf("create: %v", err)
					}
					mu.Unlock()
					return
				}
			}(i)
		}
		wg.Wait()
		act, err := st.Promotions.Promotions(ctx, slipway.PromotionFilter{Env: env, Active: true})
		if err != nil || len(act) != 1 {
			t.Fatalf("supersede=%v: %d active after %d concurrent requests: %v", supersede, len(act), n, err)
		}
		if !supersede && ok != 1 {
			t.Fatalf("without supersede exactly one request may get through, %d did", ok)
		}
		if supersede && (ok != n || superseded != n-1) {
			t.Fatalf("with supersede every request gets through and all but one are superseded: ok %d superseded %d", ok, superseded)
		}
	}
}

func testSupersededCannotMove(t *testing.T, st slipway.Store) {
	b1, b2 := Build(t, st, "api", "a"), Build(t, st, "api", "b")
	p1 := promotion(b1, "dev", T0)
	st.Promotions.CreatePromotion(ctx, p1, false)
	if err := st.Promotions.Transition(ctx, p1, slipway.StatePinning, "", T0); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Promotions.CreatePromotion(ctx, promotion(b2, "dev", T0), true); err != nil {
		t.Fatal(err)
	}
	// p1 still believes it is pinning: every move it tries fails.
	code(t, st.Promotions.Transition(ctx, p1, slipway.StateSynced, "pushed", T0), slipway.ECONFLICT)
	code(t, st.Promotions.Update(ctx, p1, T0), slipway.ECONFLICT)
}

func testPins(t *testing.T, st slipway.Store) {
	if r, err := st.Promotions.Pin(ctx, "api", "dev"); err != nil || r != nil {
		t.Fatalf("empty pin: %+v %v", r, err)
	}
	r := &slipway.PinRecord{Service: "api", Env: "dev", Digest: digest("a"), PromotionID: "p-1", Commit: strings.Repeat("1", 40), Updated: T0}
	if err := st.Promotions.SetPin(ctx, r); err != nil {
		t.Fatal(err)
	}
	r2 := *r
	r2.Digest, r2.PromotionID = digest("b"), "p-2"
	if err := st.Promotions.SetPin(ctx, &r2); err != nil {
		t.Fatal(err)
	}
	got, err := st.Promotions.Pin(ctx, "api", "dev")
	if err != nil || got.Digest != digest("b") || got.PromotionID != "p-2" || !got.Updated.Equal(T0) {
		t.Fatalf("pin: %+v %v", got, err)
	}
	if all, err := st.Promotions.Pins(ctx); err != nil || len(all) != 1 {
		t.Fatalf("pins: %d %v", len(all), err)
	}
	b := Build(t, st, "api", "a")
	p := promotion(b, "prod", T0)
	st.Promotions.CreatePromotion(ctx, p, false)
	if c, err := st.Promotions.CanaryProgress(ctx, p.ID); err != nil || c != nil {
		t.Fatalf("no canary yet: %+v %v", c, err)
	}
	for step := 0; step < 3; step++ {
		if err := st.Promotions.SetCanaryProgress(ctx, &slipway.CanaryProgress{PromotionID: p.ID, Step: step, Weight: 10 * step, Phase: "running", Updated: T0}); err != nil {
			t.Fatal(err)
		}
	}
	c, err := st.Promotions.CanaryProgress(ctx, p.ID)
	if err != nil || c.Step != 2 || c.Weight != 20 || c.Phase != "running" {
		t.Fatalf("progress %+v %v", c, err)
	}
}

func testApprovals(t *testing.T, st slipway.Store) {
	b := Build(t, st, "api", "a")
	p := promotion(b, "prod", T0)
	st.Promotions.CreatePromotion(ctx, p, false)
	a := &slipway.Approval{PromotionID: p.ID, User: "Bob <bob@example.com>", Digest: b.Digest, Approve: true, Comment: "ok", At: T0}
	if err := st.Gates.AddApproval(ctx, a); err != nil {
		t.Fatal(err)
	}
	// The same person under another spelling decides once.
	for _, u := range []string{"bob@example.com", "BOB@EXAMPLE.COM", "Robert <Bob@Example.com>"} {
		err := st.Gates.AddApproval(ctx, &slipway.Approval{PromotionID: p.ID, User: u, Digest: b.Digest, Approve: false, At: T0})
		code(t, err, slipway.ECONFLICT)
	}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = st.Gates.AddApproval(ctx, &slipway.Approval{PromotionID: p.ID, User: "carol@example.com", Digest: b.Digest, Approve: true, At: T0})
		}(i)
	}
	wg.Wait()
	okN := 0
	for _, err := range errs {
		if err == nil {
			okN++
		}
	}
	if okN != 1 {
		t.Fatalf("%d concurrent approvals by one person were recorded, want 1", okN)
	}
	as, err := st.Gates.Approvals(ctx, p.ID)
	if err != nil || len(as) != 2 || as[0].User != "Bob <bob@example.com>" || !as[0].Approve {
		t.Fatalf("approvals %+v %v", as, err)
	}
}

func testGates(t *testing.T, st slipway.Store) {
	d := digest("a")
	for i, passed := range []bool{false, true} {
		v := &slipway.Verification{Service: "api", Env: "staging", Check: "e2e", Digest: d, Passed: passed, URL: "u", At: T0.Add(time.Duration(i) * time.Second)}
		if err := st.Gates.AddVerification(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	vs, err := st.Gates.Verifications(ctx, "api", "staging", d)
	if err != nil || len(vs) != 2 || vs[0].Passed || !vs[1].Passed {
		t.Fatalf("verifications oldest first: %+v %v", vs, err)
	}
	if vs, _ := st.Gates.Verifications(ctx, "api", "prod", d); len(vs) != 0 {
		t.Fatal("verification leaked across environments")
	}
	s1 := &slipway.Stop{Env: "prod", By: "bob", Reason: "incident", Since: T0}
	if err := st.Gates.AddStop(ctx, s1); err != nil {
		t.Fatal(err)
	}
	s2 := &slipway.Stop{Env: "prod", By: "carol", Reason: "again", Since: T0}
	if err := st.Gates.AddStop(ctx, s2); err != nil || s2.ID != s1.ID {
		t.Fatalf("a stop already on is kept: %v %d %d", err, s1.ID, s2.ID)
	}
	if err := st.Gates.AddStop(ctx, &slipway.Stop{Env: "", By: "bob", Reason: "all", Since: T0}); err != nil {
		t.Fatal(err)
	}
	if ss, err := st.Gates.Stops(ctx); err != nil || len(ss) != 2 {
		t.Fatalf("stops: %+v %v", ss, err)
	}
	if err := st.Gates.LiftStop(ctx, "prod", "bob", T0); err != nil {
		t.Fatal(err)
	}
	code(t, st.Gates.LiftStop(ctx, "prod", "bob", T0), slipway.ENOTFOUND)
	if ss, _ := st.Gates.Stops(ctx); len(ss) != 1 || ss[0].Env != "" {
		t.Fatalf("after lift: %+v", ss)
	}
	b := Build(t, st, "api", "a")
	p := promotion(b, "prod", T0)
	st.Promotions.CreatePromotion(ctx, p, false)
	if o, err := st.Gates.Override(ctx, p.ID); err != nil || o != nil {
		t.Fatalf("no override: %+v %v", o, err)
	}
	for i, r := range []string{"first", "second"} {
		if err := st.Gates.AddOverride(ctx, &slipway.Override{PromotionID: p.ID, User: "dave", Digest: b.Digest, Reason: r, At: T0.Add(time.Duration(i) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	if o, err := st.Gates.Override(ctx, p.ID); err != nil || o.Reason != "second" {
		t.Fatalf("newest override: %+v %v", o, err)
	}
}

func testHolds(t *testing.T, st slipway.Store) {
	h := &slipway.Hold{Service: "api", Digest: digest("a"), Reason: "r", By: "bob", Created: T0}
	if err := st.Holds.AddHold(ctx, h); err != nil {
		t.Fatal(err)
	}
	h2 := &slipway.Hold{Service: "api", Digest: digest("a"), Reason: "again", Created: T0}
	if err := st.Holds.AddHold(ctx, h2); err != nil || h2.ID != h.ID {
		t.Fatalf("holding a held digest must be a no-op: %v %d %d", err, h.ID, h2.ID)
	}
	st.Holds.AddHold(ctx, &slipway.Hold{Service: "web", Digest: digest("b"), Reason: "r", By: "bob", Created: T0})
	if got, _ := st.Holds.ActiveHold(ctx, "api", digest("a")); got == nil || got.Reason != "r" {
		t.Fatal("hold not active")
	}
	if hs, _ := st.Holds.Holds(ctx, "", false); len(hs) != 2 {
		t.Fatalf("all active holds: %d", len(hs))
	}
	if err := st.Holds.ReleaseHold(ctx, "api", digest("a"), T0); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Holds.ActiveHold(ctx, "api", digest("a")); got != nil {
		t.Fatal("released hold still active")
	}
	code(t, st.Holds.ReleaseHold(ctx, "api", digest("a"), T0), slipway.ENOTFOUND)
	if hs, _ := st.Holds.Holds(ctx, "api", true); len(hs) != 1 || hs[0].Released == nil {
		t.Fatalf("released holds listed with --all: %+v", hs)
	}
	if hs, _ := st.Holds.Holds(ctx, "api", false); len(hs) != 0 {
		t.Fatalf("released hold listed as active: %+v", hs)
	}
}

func testAnalysis(t *testing.T, st slipway.Store) {
	b := Build(t, st, "api", "a")
	p := promotion(b, "prod", T0)
	st.Promotions.CreatePromotion(ctx, p, false)
	r := &slipway.AnalysisRun{PromotionID: p.ID, Phase: "Running", Started: T0}
	if err := st.Analysis.CreateAnalysisRun(ctx, r); err != nil || r.ID == 0 {
		t.Fatalf("run: %v %d", err, r.ID)
	}
	for i := 0; i < 50; i++ {
		if err := st.Analysis.AddMeasurement(ctx, &slipway.Measurement{RunID: r.ID, Metric: "errors", Phase: "Successful", Value: fmt.Sprint(i), At: T0}); err != nil {
			t.Fatal(err)
		}
	}
	fin := T0.Add(time.Minute)
	r.Phase, r.Message, r.Finished = "Successful", "ok", &fin
	if err := st.Analysis.FinishAnalysisRun(ctx, r); err != nil {
		t.Fatal(err)
	}
	rs, err := st.Analysis.AnalysisRuns(ctx, p.ID)
	if err != nil || len(rs) != 1 || rs[0].Phase != "Successful" || rs[0].Finished == nil || !rs[0].Finished.Equal(fin) {
		t.Fatalf("runs %+v %v", rs, err)
	}
	ms, err := st.Analysis.Measurements(ctx, r.ID)
	if err != nil || len(ms) != 50 || ms[49].Value != "49" {
		t.Fatalf("measurements kept in order: %d %v", len(ms), err)
	}
}

func testAudit(t *testing.T, st slipway.Store) {
	for i, kind := range []string{"promoted", "aborted", "rolled-back"} {
		e := &slipway.AuditEntry{At: T0.Add(time.Duration(i) * time.Minute), Kind: kind, Service: "api", Env: "prod", Digest: digest("a"), Approvers: []string{"bob"}}
		if err := st.Audit.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
		if e.Seq != int64(i+1) || e.Hash == "" {
			t.Fatalf("entry %d: seq %d hash %q", i, e.Seq, e.Hash)
		}
	}
	es, err := st.Audit.AuditEntries(ctx)
	if err != nil || len(es) != 3 {
		t.Fatal(err)
	}
	if err := slipway.VerifyChain(es); err != nil {
		t.Fatal(err)
	}
	es[1].Approvers = []string{"mallory"}
	if err := slipway.VerifyChain(es); err == nil || !strings.Contains(err.Error(), "audit entry 2") {
		t.Fatalf("edited entry: %v", err)
	}
	st.Audit.AppendAudit(ctx, &slipway.AuditEntry{At: T0, Kind: "promoted", Service: "api", Env: "prod", PromotionID: "p-7"})
	st.Audit.AppendAudit(ctx, &slipway.AuditEntry{At: T0, Kind: "aborted", Service: "api", Env: "prod", PromotionID: "p-7"})
	if of, err := st.Audit.AuditOf(ctx, "p-7"); err != nil || len(of) != 2 || of[1].Kind != "aborted" || of[0].Seq != 4 {
		t.Fatalf("entries of p-7: %+v %v", of, err)
	}
	if of, _ := st.Audit.AuditOf(ctx, "p-8"); len(of) != 0 {
		t.Fatalf("entries of p-8: %+v", of)
	}
}

// testAuditedPromotions: a store's narrow list of an environment's
// promotions for `slipway audit verify` (optional; both stores have it)
// says what Promotions says about the fields a leaf is checked against.
func testAuditedPromotions(t *testing.T, st slipway.Store) {
	l, ok := st.Audit.(interface {
		AuditedPromotions(ctx context.Context, env string) ([]slipway.Promotion, error)
	})
	if !ok {
		t.Skip("this store has no AuditedPromotions")
	}
	api, web := Build(t, st, "api", "a"), Build(t, st, "web", "b")
	pinned := promotion(api, "prod", T0)
	for _, p := range []*slipway.Promotion{pinned, promotion(api, "dev", T0), promotion(web, "prod", T0.Add(time.Minute))} {
		if _, err := st.Promotions.CreatePromotion(ctx, p, false); err != nil {
			t.Fatal(err)
		}
	}
	pinned.PinCommit = strings.Repeat("1", 40)
	if err := st.Promotions.Transition(ctx, pinned, slipway.StatePinning, "", T0); err != nil {
		t.Fatal(err)
	}
	pinned.Revert = strings.Repeat("2", 40)
	if err := st.Promotions.Transition(ctx, pinned, slipway.StateSynced, "", T0); err != nil {
		t.Fatal(err)
	}
	want, err := st.Promotions.Promotions(ctx, slipway.PromotionFilter{Env: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := l.AuditedPromotions(ctx, "prod")
	if err != nil || len(got) != 2 || len(want) != 2 {
		t.Fatalf("%d audited promotions (%v), %d promotions in prod, want 2", len(got), err, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.ID != w.ID || g.Service != w.Service || g.Env != w.Env || g.Digest != w.Digest || g.PinCommit != w.PinCommit || g.Revert != w.Revert {
			t.Errorf("promotion %d: audited %+v, Promotions %+v", i, g, *w)
		}
	}
	if got[0].PinCommit != pinned.PinCommit || got[0].Revert != pinned.Revert {
		t.Errorf("pin commit %q, revert %q: want those recorded", got[0].PinCommit, got[0].Revert)
	}
}

func testAuditConcurrent(t *testing.T, st slipway.Store) {
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			e := &slipway.AuditEntry{At: T0, Kind: "promoted", Service: fmt.Sprintf("s%d", i), Env: "prod", Digest: digest("a")}
			if err := st.Audit.AppendAudit(ctx, e); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	es, err := st.Audit.AuditEntries(ctx)
	if err != nil || len(es) != 16 {
		t.Fatalf("%d entries %v", len(es), err)
	}
	if err := slipway.VerifyChain(es); err != nil {
		t.Fatalf("concurrent appends forked the chain: %v", err)
	}
}

func testPRs(t *testing.T, st slipway.Store) {
	pr := &slipway.PullRequest{Branch: "slipway/prod/api/abc-p-1", Base: "main", Title: "t", Labels: []string{"slipway"}, HeadSHA: strings.Repeat("1", 40), Created: T0}
	created, err := st.PullRequests.OpenPR(ctx, pr)
	if err != nil || !created || pr.Number == 0 || pr.State != slipway.PROpen {
		t.Fatalf("open: %v %v %+v", created, err, pr)
	}
	again := &slipway.PullRequest{Branch: pr.Branch, Base: "main", Title: "other", Created: T0}
	if created, err := st.PullRequests.OpenPR(ctx, again); err != nil || created || again.Number != pr.Number || again.Title != "t" {
		t.Fatalf("opening the same branch twice must return the first PR: %+v %v", again, err)
	}
	pr.Body, pr.HeadSHA, pr.Updated = "new body", strings.Repeat("2", 40), T0
	if err := st.PullRequests.UpdatePR(ctx, pr); err != nil {
		t.Fatal(err)
	}
	got, err := st.PullRequests.PRByBranch(ctx, pr.Branch)
	if err != nil || got.Number != pr.Number || got.Body != "new body" || got.HeadSHA != pr.HeadSHA || len(got.Labels) != 1 {
		t.Fatalf("by branch: %+v %v", got, err)
	}
	pr.State = "merging"
	if err := st.PullRequests.SetPRState(ctx, pr, slipway.PROpen); err != nil {
		t.Fatal(err)
	}
	closed := *pr
	closed.State = slipway.PRClosed
	code(t, st.PullRequests.SetPRState(ctx, &closed, slipway.PROpen), slipway.ECONFLICT) // a close cannot slip into a merge
	pr.State, pr.MergeSHA, pr.MergedBy, pr.Updated = slipway.PRMerged, strings.Repeat("3", 40), "bob", T0
	if err := st.PullRequests.SetPRState(ctx, pr, "merging"); err != nil {
		t.Fatal(err)
	}
	code(t, st.PullRequests.SetPRState(ctx, pr, slipway.PROpen), slipway.ECONFLICT)
	code(t, st.PullRequests.UpdatePR(ctx, pr), slipway.ECONFLICT)
	_, err = st.PullRequests.PR(ctx, 999)
	code(t, err, slipway.ENOTFOUND)
	_, err = st.PullRequests.PRByBranch(ctx, "nope")
	code(t, err, slipway.ENOTFOUND)
	if ps, _ := st.PullRequests.PRs(ctx, slipway.PRMerged); len(ps) != 1 {
		t.Fatalf("merged PRs: %d", len(ps))
	}
	if ps, _ := st.PullRequests.PRs(ctx, slipway.PROpen); len(ps) != 0 {
		t.Fatalf("open PRs: %d", len(ps))
	}
}

func testLeases(t *testing.T, st slipway.Store) {
	l, err := st.Leases.Acquire(ctx, "promotion/p-1", "a", time.Minute)
	if err != nil || l.Token != 1 || l.Owner != "a" {
		t.Fatalf("acquire: %+v %v", l, err)
	}
	_, err = st.Leases.Acquire(ctx, "promotion/p-1", "b", time.Minute)
	code(t, err, slipway.ECONFLICT)
	if !strings.Contains(err.Error(), "a") {
		t.Fatalf("refusal names the holder: %v", err)
	}
	if l2, err := st.Leases.Acquire(ctx, "promotion/p-1", "a", time.Minute); err != nil || l2.Token != 1 {
		t.Fatalf("re-acquire by the holder renews: %+v %v", l2, err)
	}
	if _, err := st.Leases.Renew(ctx, "promotion/p-1", "a", time.Minute); err != nil {
		t.Fatal(err)
	}
	_, err = st.Leases.Renew(ctx, "promotion/p-1", "b", time.Minute)
	code(t, err, slipway.ECONFLICT)
	if err := st.Leases.Release(ctx, "promotion/p-1", "b"); err != nil {
		t.Fatal(err)
	}
	if ls, _ := st.Leases.Leases(ctx); len(ls) != 1 {
		t.Fatalf("release by a non-holder must be a no-op: %+v", ls)
	}
	if err := st.Leases.Release(ctx, "promotion/p-1", "a"); err != nil {
		t.Fatal(err)
	}
	if l, err := st.Leases.Acquire(ctx, "promotion/p-1", "b", 100*time.Millisecond); err != nil || l.Owner != "b" {
		t.Fatalf("after release: %+v %v", l, err)
	}
	time.Sleep(250 * time.Millisecond) // let b's short lease expire
	_, err = st.Leases.Renew(ctx, "promotion/p-1", "b", time.Minute)
	code(t, err, slipway.ECONFLICT)
	l, err = st.Leases.Acquire(ctx, "promotion/p-1", "c", time.Minute)
	if err != nil || l.Owner != "c" || l.Token < 2 {
		t.Fatalf("an expired lease changes hands with a higher token: %+v %v", l, err)
	}
}

func testLeaseContention(t *testing.T, st slipway.Store) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	winners := 0
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := st.Leases.Acquire(ctx, slipway.LeaderLease, fmt.Sprintf("replica-%d", i), time.Minute)
			if err == nil {
				mu.Lock()
				winners++
				mu.Unlock()
			} else if slipway.ErrorCode(err) != slipway.ECONFLICT {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	if winners != 1 {
		t.Fatalf("%d replicas hold the leader lease", winners)
	}
}

func testQueue(t *testing.T, st slipway.Store) {
	q := st.Queue
	if err := q.Enqueue(ctx, slipway.WorkAdvance, "p-1", T0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := q.Enqueue(ctx, slipway.WorkAdvance, "p-1", T0); err != nil {
		t.Fatal(err)
	}
	if err := q.Enqueue(ctx, slipway.WorkAdvance, "p-1", T0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	q.Enqueue(ctx, slipway.WorkReconcile, "", T0.Add(time.Minute))
	n, next, err := q.Pending(ctx)
	if err != nil || n != 2 || !next.Equal(T0) {
		t.Fatalf("pending %d next %s %v (one item per key, the earliest time wins)", n, next, err)
	}
	due, err := q.Due(ctx, T0, 10)
	if err != nil || len(due) != 1 || due[0].Key != "p-1" {
		t.Fatalf("due at T0: %+v %v", due, err)
	}
	it := due[0]
	// Work arrives for p-1 while it runs: Done must not drop it.
	q.Enqueue(ctx, slipway.WorkAdvance, "p-1", T0)
	if err := q.Done(ctx, it); err != nil {
		t.Fatal(err)
	}
	if due, _ := q.Due(ctx, T0, 10); len(due) != 1 {
		t.Fatalf("newer work was dropped: %+v", due)
	} else {
		it = due[0]
	}
	if err := q.Retry(ctx, it, T0.Add(30*time.Second), "git remote unreachable"); err != nil {
		t.Fatal(err)
	}
	if due, _ := q.Due(ctx, T0.Add(10*time.Second), 10); len(due) != 0 {
		t.Fatalf("retried item ran before its backoff: %+v", due)
	}
	due, _ = q.Due(ctx, T0.Add(time.Hour), 10)
	if len(due) != 2 || due[0].Attempts != 1 || due[0].LastError != "git remote unreachable" {
		t.Fatalf("after backoff: %+v", due)
	}
	for _, it := range due {
		if err := q.Done(ctx, it); err != nil {
			t.Fatal(err)
		}
	}
	if n, _, _ := q.Pending(ctx); n != 0 {
		t.Fatalf("%d left", n)
	}
}
