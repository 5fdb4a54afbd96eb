package demo

import (
	"context"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/app"
	"github.com/slipway/slipway/bundle"
	"github.com/slipway/slipway/config"
	"github.com/slipway/slipway/engine"
	"github.com/slipway/slipway/gitops"
	"github.com/slipway/slipway/tlog"
	"github.com/slipway/slipway/trust"
)

// TestStory plays the demo (the same code `slipway demo` runs) and then
// checks what it left: the store, the GitOps remote, the app repo's tags and
// the audit chain. Every part is real: git repositories on disk, an
// in-process OCI registry, ECDSA signatures, SQLite, and a runtime speaking
// the webhook driver protocol over HTTP on 127.0.0.1.
func TestStory(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end story: skipped with -short")
	}
	ctx := context.Background()
	res, err := Run(ctx, Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	e := reopen(t, res)

	t.Run("promotions and their history", func(t *testing.T) {
		good, err := e.Store.Promotions.Promotion(ctx, res.GoodProd.ID)
		if err != nil {
			t.Fatal(err)
		}
		if good.State != slipway.StateSucceeded || good.PR == 0 || good.PinCommit == "" {
			t.Errorf("v1.0.0 in prod: %+v", good)
		}
		var states []string
		hist, err := e.Store.Promotions.History(ctx, good.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hist {
			states = append(states, string(h.To))
		}
		if got, want := strings.Join(states, ">"), "waiting>pinning>review-open>synced>canary>succeeded"; got != want {
			t.Errorf("history of %s: %s, want %s", good.ID, got, want)
		}
		bad, err := e.Store.Promotions.Promotion(ctx, res.BadProd.ID)
		if err != nil {
			t.Fatal(err)
		}
		if bad.State != slipway.StateAborted || bad.Revert == "" || !strings.Contains(bad.Reason, "canary-error-rate") {
			t.Errorf("v1.1.0 in prod should be aborted with a revert and the failing metric named: %+v", bad)
		}
		cur, err := e.Store.Promotions.Current(ctx, service, "prod")
		if err != nil || cur == nil || cur.Digest != res.Hotfix.Digest {
			t.Errorf("prod should run the hotfix v1.0.1, store says %+v (%v)", cur, err)
		}
		runs, err := e.Store.Analysis.AnalysisRuns(ctx, bad.ID)
		if err != nil || len(runs) != 1 || runs[0].Phase != "Failed" {
			t.Fatalf("analysis runs of %s: %+v %v", bad.ID, runs, err)
		}
		ms, err := e.Store.Analysis.Measurements(ctx, runs[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		failed := 0
		for _, m := range ms {
			if m.Phase == "Failed" {
				failed++
			}
		}
		if failed < 2 { // failureLimit 1: the second failure decides
			t.Errorf("expected at least 2 failed measurements persisted, got %d of %d", failed, len(ms))
		}
	})

	t.Run("hotfix lane", func(t *testing.T) { checkHotfixLane(t, res, e) })
	t.Run("self-host bundle", func(t *testing.T) { checkSelfHost(t, res) })

	t.Run("gitops remote", func(t *testing.T) {
		remote := res.GitOps
		prodFile := "envs/prod/api/values.yaml"
		if got := pinAt(t, remote, "main", prodFile); got != res.Hotfix.Digest {
			t.Errorf("prod pin at main = %s, want v1.0.1's %s", got, res.Hotfix.Digest)
		}
		bad, _ := e.Store.Promotions.Promotion(ctx, res.BadProd.ID)
		if got := pinAt(t, remote, bad.PinCommit, prodFile); got != res.Bad.Digest {
			t.Errorf("prod pin at the merge of v1.1.0 = %s, want %s", got, res.Bad.Digest)
		}
		msg := gitOut(t, remote, "log", "-1", "--format=%B", bad.Revert)
		if !strings.Contains(msg, "Slipway-Reverts: "+bad.PinCommit) || !strings.Contains(msg, "This reverts commit "+bad.PinCommit) {
			t.Errorf("revert commit message lacks its trailers:\n%s", msg)
		}
		// Comments and formatting of the values file survive every edit.
		content := gitOut(t, remote, "show", "main:"+prodFile)
		for _, keep := range []string{"# Helm values of api in prod.", "# Written by Slipway on promotion", "resources:\n  limits: {cpu: 500m, memory: 256Mi}"} {
			if !strings.Contains(content, keep) {
				t.Errorf("values file lost %q:\n%s", keep, content)
			}
		}
		// Every pin commit carries its promotion and digest trailers.
		log := gitOut(t, remote, "log", "--format=%H %(trailers:key=Slipway-Promotion,valueonly,separator=)", "main")
		for _, id := range []string{"p-1", "p-2", "p-3", "p-4", "p-5", "p-6"} {
			if !strings.Contains(log, " "+id+"\n") && !strings.HasSuffix(log, " "+id) {
				t.Errorf("no commit with Slipway-Promotion: %s on main:\n%s", id, log)
			}
		}
	})

	t.Run("tags name the digests", func(t *testing.T) {
		for tag, b := range map[string]slipway.Build{"v1.0.0": res.Good, "v1.1.0": res.Bad, "v1.0.1": res.Hotfix} {
			if got := gitOut(t, res.AppRepo, "rev-parse", tag+"^{commit}"); got != b.Commit {
				t.Errorf("%s points at %s, want the build's commit %s", tag, got, b.Commit)
			}
			if typ := gitOut(t, res.AppRepo, "cat-file", "-t", tag); typ != "tag" {
				t.Errorf("%s is a %s, want an annotated tag", tag, typ)
			}
			if msg := gitOut(t, res.AppRepo, "tag", "-l", "--format=%(contents)", tag); !strings.Contains(msg, "Digest: "+b.Digest) {
				t.Errorf("%s message does not name the digest:\n%s", tag, msg)
			}
		}
	})

	t.Run("transparency log", func(t *testing.T) {
		var leaves []tlog.Leaf
		if err := tlog.ReadLeaves(ctx, app.TlogDir(res.StateDir), 0, func(_ uint64, l tlog.Leaf) error { leaves = append(leaves, l); return nil }); err != nil {
			t.Fatal(err)
		}
		// v1.0.0 promoted, v1.1.0 aborted, then the hotfix: expedited, promoted.
		if len(leaves) != 4 || leaves[0].Kind != tlog.KindPromoted || leaves[1].Kind != tlog.KindAborted || leaves[3].Kind != tlog.KindPromoted || leaves[3].Release != "v1.0.1" {
			t.Fatalf("leaves: %+v", leaves)
		}
		good, bad := leaves[0], leaves[1]
		// Keyless, logged in Rekor, with an SBOM and provenance: all bound.
		if good.Digest != res.Good.Digest || good.Signer != res.Good.KeyID || !strings.Contains(good.Signer, "https://github.com/acme/api/.github/workflows/release.yml") ||
			good.SignatureDigest != res.Good.SignatureDigest || good.Rekor == nil || good.Verdict != "Successful" || good.Measurements == "" ||
			good.PR == 0 || good.PRHead == "" || len(good.Approvers) != 2 || good.Release != "v1.0.0" {
			t.Errorf("promoted leaf: %+v", good)
		}
		if res.Good.SBOMDigest == "" || res.Good.Builder == "" || res.Good.RekorEntry == "" {
			t.Errorf("intake recorded no SBOM, builder or Rekor entry: %+v", res.Good)
		}
		badProd, _ := e.Store.Promotions.Promotion(ctx, res.BadProd.ID)
		if bad.PinCommit != badProd.Revert || bad.Verdict != "Failed" {
			t.Errorf("aborted leaf should name the revert %s and the failed verdict: %+v", badProd.Revert, bad)
		}
		rep, err := e.VerifyLog(ctx, engine.VerifyLogOptions{PublicKey: res.LogKey, Checkpoint: res.Checkpoint})
		if err != nil || rep.Size != 4 || rep.SavedSize != 1 || rep.PinCommits != 3 {
			t.Fatalf("verify: %+v %v", rep, err)
		}
	})

	t.Run("audit chain", func(t *testing.T) {
		entries, err := e.Store.Audit.AuditEntries(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, x := range entries {
			kinds = append(kinds, x.Kind)
		}
		if got := strings.Join(kinds, " "); got != "promoted aborted expedited promoted platform-release" {
			t.Fatalf("audit entries: %s", got)
		}
		if x := entries[2]; x.PromotionID != res.HotfixProd.ID || !strings.Contains(x.Verdict, "INC-7: negative quantities corrupt orders") || !strings.Contains(x.Verdict, "skips staging") {
			t.Errorf("the expedite's audit entry: %+v", x)
		}
		first := entries[0]
		if first.Digest != res.Good.Digest || first.KeyID == "" || first.PR == 0 || len(first.Approvers) != 2 {
			t.Errorf("prod audit entry lacks the chain's links: %+v", first)
		}
		if entries[1].PrevHash != first.Hash {
			t.Error("entries are not chained")
		}
		if _, err := e.VerifyAudit(ctx); err != nil {
			t.Fatal(err)
		}
		// Tamper with the first entry: verification must name it.
		db, err := sql.Open("sqlite", filepath.Join(res.StateDir, "slipway.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(`UPDATE audit SET entry = replace(entry, ?, ?) WHERE seq = 1`, bob, "mallory@example.com"); err != nil {
			t.Fatal(err)
		}
		_, err = e.VerifyAudit(ctx)
		if err == nil || !strings.Contains(err.Error(), "audit entry 1") {
			t.Errorf("tampered chain: %v", err)
		}
	})
}

// checkHotfixLane checks what the hotfix scene left: the maintenance
// branch on the app remote, v1.0.1 on it, its expedited promotion through
// prod's approvals and canary, and main's v1.1.1 naming it.
func checkHotfixLane(t *testing.T, res *Result, e *engine.Engine) {
	ctx := context.Background()
	appRemote := filepath.Join(res.Dir, "app.git")
	// The remote's maintenance branch starts at v1.0.0 and carries v1.0.1's
	// changelog commit, as the local branch does.
	tip := gitOut(t, appRemote, "rev-parse", res.HotfixBranch)
	if local := gitOut(t, res.AppRepo, "rev-parse", res.HotfixBranch); tip != local {
		t.Errorf("%s on the app remote at %s, the local branch at %s", res.HotfixBranch, tip, local)
	}
	if base := gitOut(t, appRemote, "merge-base", res.HotfixBranch, "main"); base != res.Good.Commit {
		t.Errorf("%s forks from main at %s, want v1.0.0's commit %s", res.HotfixBranch, base, res.Good.Commit)
	}
	if on := gitOut(t, res.AppRepo, "branch", "--contains", "v1.0.1", "--format=%(refname:short)"); on != res.HotfixBranch {
		t.Errorf("v1.0.1 should be on %s only, is on %q", res.HotfixBranch, on)
	}
	if cl := gitOut(t, res.AppRepo, "show", res.HotfixBranch+":CHANGELOG.md"); !strings.Contains(cl, "## 1.0.1") || !strings.Contains(cl, "reject a negative quantity") {
		t.Errorf("the hotfix branch's CHANGELOG.md:\n%s", cl)
	}
	p, err := e.Store.Promotions.Promotion(ctx, res.HotfixProd.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.State != slipway.StateSucceeded || p.Expedited == "" || p.PR == 0 {
		t.Errorf("the expedited promotion: %+v", p)
	}
	hist, _ := e.Store.Promotions.History(ctx, p.ID)
	var states []string
	for _, h := range hist {
		states = append(states, string(h.To))
	}
	if got := strings.Join(states, ">"); got != "waiting>pinning>review-open>synced>canary>succeeded" {
		t.Errorf("history of the expedited promotion: %s (the canary must run)", got)
	}
	as, _ := e.Store.Gates.Approvals(ctx, p.ID)
	if len(as) != 2 {
		t.Errorf("the expedited promotion needed prod's 2 approvals, has %d", len(as))
	}
	runs, err := e.Store.Analysis.AnalysisRuns(ctx, p.ID)
	if err != nil || len(runs) != 1 || runs[0].Phase != "Successful" {
		t.Errorf("analysis of the expedited canary: %+v %v", runs, err)
	}
	if staging, _ := e.Store.Promotions.Promotions(ctx, slipway.PromotionFilter{Service: service, Env: "staging", Digest: res.Hotfix.Digest, State: slipway.StateSucceeded}); len(staging) != 0 {
		t.Error("the hotfix should have skipped staging")
	}
	notes := res.MainAfterHotfix.Notes
	if !strings.Contains(notes, "Includes fixes first released in v1.0.1.") || strings.Contains(notes, "negative quantity") {
		t.Errorf("main's v1.1.1 notes:\n%s", notes)
	}
	if cl := gitOut(t, res.AppRepo, "show", "main:CHANGELOG.md"); strings.Contains(cl, "negative quantity") || !strings.Contains(cl, "## 1.1.1") {
		t.Errorf("main's CHANGELOG.md repeats the hotfix:\n%s", cl)
	}
}

// TestBadInputChangesNothing sends each kind of bad input to an engine in the
// state the story left and checks the refusal names the input and that
// neither the store nor the GitOps remote changed.
func TestBadInputChangesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the story's state: skipped with -short")
	}
	ctx := context.Background()
	res, err := Run(ctx, Options{Dir: t.TempDir(), KeepServers: true})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	e := reopen(t, res)
	zero := "sha256:" + strings.Repeat("0", 64)
	cases := []struct {
		name, code, want string
		do               func() error
	}{
		{"unknown service", slipway.EINVALID, `unknown service "web"`, func() error {
			_, err := e.Promote(ctx, engine.PromoteRequest{Service: "web", Env: "prod", Release: "v1.0.0", Requester: alice})
			return err
		}},
		{"unknown environment", slipway.EINVALID, `unknown environment "qa"`, func() error {
			_, err := e.Promote(ctx, engine.PromoteRequest{Service: service, Env: "qa", Release: "v1.0.0", Requester: alice})
			return err
		}},
		{"malformed digest", slipway.EINVALID, "sha256:abc", func() error {
			_, _, err := e.RegisterBuild(ctx, service, res.Good.Commit, res.Image+"@sha256:abc")
			return err
		}},
		{"unknown digest", slipway.ENOTFOUND, zero, func() error {
			_, _, err := e.RegisterBuild(ctx, service, res.Good.Commit, res.Image+"@"+zero)
			return err
		}},
		{"held digest", slipway.EFORBIDDEN, "is held", func() error {
			_, err := e.Promote(ctx, engine.PromoteRequest{Service: service, Env: "prod", Release: "v1.1.0", Requester: alice})
			return err
		}},
		{"verification for an unknown digest", slipway.ENOTFOUND, "no build of api has digest", func() error {
			return e.ReportVerification(ctx, &slipway.Verification{Service: service, Env: "staging", Check: "e2e", Digest: zero, Passed: true})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := snapshot(t, e, res)
			err := tc.do()
			if err == nil || slipway.ErrorCode(err) != tc.code || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %s: %v; want a %s error containing %q", slipway.ErrorCode(err), err, tc.code, tc.want)
			}
			if after := snapshot(t, e, res); after != before {
				t.Errorf("state changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// snapshot summarises the store and the remote: any change shows.
func snapshot(t *testing.T, e *engine.Engine, res *Result) string {
	t.Helper()
	ctx := context.Background()
	ps, err := e.Store.Promotions.Promotions(ctx, slipway.PromotionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	bs, _ := e.Store.Builds.Builds(ctx, "")
	hs, _ := e.Store.Holds.Holds(ctx, "", true)
	refs := gitOut(t, res.GitOps, "for-each-ref", "--format=%(refname) %(objectname)")
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.ID + ":" + string(p.State) + " ")
	}
	return b.String() + " builds=" + strconv.Itoa(len(bs)) + " holds=" + strconv.Itoa(len(hs)) + " refs=" + refs
}

func reopen(t *testing.T, res *Result) *engine.Engine {
	t.Helper()
	cfg, err := config.Load(res.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	e, err := app.Open(context.Background(), app.Options{Config: cfg, StateDir: res.StateDir, Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v: %s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func pinAt(t *testing.T, repo, ref, file string) string {
	t.Helper()
	v, err := gitops.Get([]byte(gitOut(t, repo, "show", ref+":"+file)+"\n"), "image.digest")
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// checkSelfHost checks the self-host scene: the platform manifest names the
// digest that runs in prod; the bundle verifies offline with the platform
// key, pins that digest in its chart and Compose file, and the published
// bundle was pulled back from the registry and verified, images included
// (the scene itself does that, while the registry runs).
func checkSelfHost(t *testing.T, res *Result) {
	ctx := context.Background()
	if res.Platform == nil || res.Bundle == nil || res.Pushed == nil {
		t.Fatal("the self-host scene left no platform release, bundle or push")
	}
	c := res.Platform.Manifest.Components[0]
	if c.Name != service || c.Digest != res.Hotfix.Digest {
		t.Errorf("platform component %s %s, want api at the hotfix's digest %s (what runs in prod)", c.Name, c.Digest, res.Hotfix.Digest)
	}
	signer, err := trust.LoadPrivateKey(filepath.Join(res.Dir, platformKey))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := trust.NewPublicKey(signer.Public(), "platform key")
	if err != nil {
		t.Fatal(err)
	}
	keys := trust.Policy{Keys: []trust.PublicKey{pub}}
	v, err := bundle.VerifyDir(ctx, res.Bundle.Dir, bundle.VerifyOptions{Keys: keys, Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	if v.Manifest.Version != "1.0.0" || v.Digest != res.Bundle.Digest {
		t.Errorf("verified bundle %s %s, want 1.0.0 %s", v.Manifest.Version, v.Digest, res.Bundle.Digest)
	}
	compose, err := os.ReadFile(filepath.Join(res.Bundle.Dir, bundle.ComposeFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(compose), res.Image+"@"+res.Hotfix.Digest) {
		t.Errorf("the Compose bundle does not pin api to %s:\n%s", res.Hotfix.Digest, compose)
	}
}
