package engine_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/bundle"
	"github.com/slipway/slipway/controller"
	"github.com/slipway/slipway/engine"
	"github.com/slipway/slipway/internal/testworld"
	"github.com/slipway/slipway/platform"
	"github.com/slipway/slipway/trust"
)

// platformWorld is a testworld with a platform key and a rollout config.
type platformWorld struct {
	*testworld.World
	t      *testing.T
	sign   engine.BlobSigner
	pub    trust.Policy
	e      *engine.Engine
	notes  map[string]string // release notes by service/version
	builds map[string][]*slipway.Build
}

func newPlatformWorld(t *testing.T, o testworld.Options) *platformWorld {
	t.Helper()
	ctx := context.Background()
	o.Dir = t.TempDir()
	if _, err := trust.WriteKeyPair(filepath.Join(o.Dir, "platform.key"), filepath.Join(o.Dir, "platform.pub")); err != nil {
		t.Fatal(err)
	}
	w, err := testworld.New(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	signer, err := trust.LoadPrivateKey(filepath.Join(o.Dir, "platform.key"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := trust.LoadPolicy(filepath.Join(o.Dir, "platform.pub"))
	if err != nil {
		t.Fatal(err)
	}
	pw := &platformWorld{World: w, t: t, pub: pub, notes: map[string]string{}, builds: w.Builds,
		sign: func(b []byte) ([]byte, string, error) {
			s, err := bundle.SignSums(signer, b)
			return s.Sig, s.KeyID, err
		}}
	pw.open(false)
	return pw
}

func (w *platformWorld) open(controller bool) {
	w.t.Helper()
	if w.e != nil {
		w.e.Close()
	}
	e, err := w.Open(context.Background(), controller)
	if err != nil {
		w.t.Fatal(err)
	}
	w.e = e
	w.t.Cleanup(func() { e.Close() })
}

// release records build i of service as version and promotes it through envs.
func (w *platformWorld) release(service string, i int, version string, envs ...string) *slipway.Build {
	w.t.Helper()
	ctx := context.Background()
	b := w.builds[service][i]
	notes := fmt.Sprintf("### Features\n\n* %s %s: change %d", service, version, i)
	if _, err := w.Release(ctx, w.e, b, version, notes); err != nil {
		w.t.Fatal(err)
	}
	for _, env := range envs {
		p, err := w.e.Promote(ctx, engine.PromoteRequest{Service: service, Env: env, BuildID: b.ID, Requester: "alice@example.com"})
		if err != nil || p.State != slipway.StateSucceeded {
			w.t.Fatalf("promote %s %s to %s: %v %+v", service, version, env, err, p)
		}
	}
	return b
}

func (w *platformWorld) git(args ...string) string {
	w.t.Helper()
	out, err := exec.Command("git", append([]string{"-C", w.Remote}, args...)...).CombinedOutput()
	if err != nil {
		w.t.Fatalf("git %v: %v: %s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func (w *platformWorld) prodPromotions(service string) []*slipway.Promotion {
	ps, err := w.e.Store.Promotions.Promotions(context.Background(), slipway.PromotionFilter{Service: service, Env: "prod"})
	if err != nil {
		w.t.Fatal(err)
	}
	return ps
}

func (w *platformWorld) pinned(service, env string) string {
	w.t.Helper()
	d, err := w.GitDigest(service, env)
	if err != nil {
		w.t.Fatal(err)
	}
	return d
}

const fiveServiceSteps = `  name: acme
  key: platform.key
  rollout:
    steps:
      - matchExpressions: [{key: tier, operator: In, values: [data]}]
      - matchExpressions: [{key: tier, operator: In, values: [backend]}]
        maxUpdate: 50%
      - matchExpressions: [{key: tier, operator: NotIn, values: [data, backend]}]
`

// TestPlatformReleaseDiffAndWaves is the proof on the embedded
// defaults: five services released as platform versions (signed, committed,
// tagged, audited, found by content when re-run), diffed, then promoted
// into prod in three waves whose second wave's canary fails: the third
// wave never starts, the second is rolled back (revert + hold), the first
// stays.
func TestPlatformReleaseDiffAndWaves(t *testing.T) {
	ctx := context.Background()
	w := newPlatformWorld(t, testworld.Options{Services: 5, Builds: 3, Register: true,
		Envs: []testworld.Env{{Name: "dev"}, {Name: "staging"}, {Name: "prod", Canary: true}},
		Labels: map[string]map[string]string{
			"s1": {"tier": "data"}, "s2": {"tier": "backend"}, "s3": {"tier": "backend"}, "s4": {"tier": "frontend"}, "s5": {"tier": "frontend"},
		},
		Platform: fiveServiceSteps,
	})
	// v1.0.0 of s1..s4 runs in prod; s5 only reached staging.
	old := map[string]*slipway.Build{}
	for _, s := range []string{"s1", "s2", "s3", "s4"} {
		old[s] = w.release(s, 0, "1.0.0", "dev", "staging", "prod")
	}
	w.release("s5", 0, "1.0.0", "dev", "staging")

	rel, err := w.e.ReleasePlatform(ctx, engine.PlatformReleaseRequest{Requester: "bob@example.com", Sign: w.sign})
	if err != nil {
		t.Fatal(err)
	}
	if rel.Version != "1.0.0" || rel.Bump != platform.BumpInitial || len(rel.Manifest.Components) != 4 || rel.Tag != "platform-v1.0.0" {
		t.Fatalf("first platform release: %+v", rel)
	}
	if !strings.Contains(strings.Join(rel.Notes, "\n"), "s5 is left out: nothing of it runs in prod") {
		t.Errorf("s5 should be named as left out: %v", rel.Notes)
	}
	checkPublished(t, w, "1.0.0", rel.Commit, map[string]string{"s1": old["s1"].Digest, "s4": old["s4"].Digest})

	// Nothing changed: no release, nothing written.
	head := w.git("rev-parse", "main")
	again, err := w.e.ReleasePlatform(ctx, engine.PlatformReleaseRequest{Sign: w.sign})
	if err != nil || again.Bump != platform.BumpNone || again.Version != "" || w.git("rev-parse", "main") != head {
		t.Fatalf("a release with nothing changed: %+v %v", again, err)
	}
	// A crash after the commit, before the tag: the re-run finds the
	// manifest by its content and finishes it, with no second commit.
	w.git("tag", "-d", "platform-v1.0.0")
	again, err = w.e.ReleasePlatform(ctx, engine.PlatformReleaseRequest{Sign: w.sign})
	if err != nil || !again.Resumed || again.Version != "1.0.0" || w.git("rev-parse", "platform-v1.0.0^{commit}") != rel.Commit || w.git("rev-parse", "main") != head {
		t.Fatalf("re-run after a lost tag: %+v %v", again, err)
	}
	if es, _ := w.e.Store.Audit.AuditOf(ctx, "platform/acme/v1.0.0"); len(es) != 1 {
		t.Fatalf("the platform release is audited once, got %d entries", len(es))
	}

	// A planted manifest (signed by another key) is refused, never trusted.
	plant(t, w)
	_, err = w.e.ReleasePlatform(ctx, engine.PlatformReleaseRequest{Sign: w.sign})
	if slipway.ErrorCode(err) != slipway.EFORBIDDEN || !strings.Contains(err.Error(), "platform/v9.0.0.yaml is not signed by the platform key") {
		t.Fatalf("planted manifest: %v", err)
	}
	if _, err := w.e.PlatformManifest(ctx, "v9.0.0"); slipway.ErrorCode(err) != slipway.EFORBIDDEN {
		t.Fatalf("show of a planted manifest: %v", err)
	}
	unplant(t, w)

	// New releases reach staging: s1 twice (1.0.1 then 1.1.0), s2 patch,
	// s3 major, s4 patch, s5 minor. The platform cut from staging is 2.0.0.
	w.release("s1", 1, "1.0.1", "dev", "staging")
	next := map[string]*slipway.Build{"s1": w.release("s1", 2, "1.1.0", "dev", "staging")}
	for s, v := range map[string]string{"s2": "1.0.1", "s3": "2.0.0", "s4": "1.0.1", "s5": "1.1.0"} {
		next[s] = w.release(s, 1, v, "dev", "staging")
	}
	rel2, err := w.e.ReleasePlatform(ctx, engine.PlatformReleaseRequest{From: "staging", Requester: "bob@example.com", Sign: w.sign})
	if err != nil {
		t.Fatal(err)
	}
	if rel2.Version != "2.0.0" || rel2.Bump != platform.BumpMajor || rel2.Previous != "1.0.0" || len(rel2.Manifest.Components) != 5 {
		t.Fatalf("second platform release: %+v", rel2)
	}
	d, err := w.e.DiffPlatform(ctx, "v1.0.0", "v2.0.0")
	if err != nil {
		t.Fatal(err)
	}
	want := "s1:bumped:minor:1.0.0->1.1.0:[1.0.1 1.1.0] s2:bumped:patch:1.0.0->1.0.1:[1.0.1] s3:bumped:major:1.0.0->2.0.0:[2.0.0] s4:bumped:patch:1.0.0->1.0.1:[1.0.1] s5:added:minor:->1.1.0:[1.1.0]"
	if got := diffSummary(d); got != want {
		t.Errorf("diff 1.0.0 -> 2.0.0:\n got  %s\n want %s", got, want)
	}
	if txt := d.Text(); !strings.Contains(txt, "## s1 1.0.1\n\n### Features\n\n* s1 1.0.1: change 1") {
		t.Errorf("diff text lacks s1's intermediate changelog section:\n%s", txt)
	}

	// s3 2.0.0's canary will fail in prod.
	w.MarkBad(next["s3"].Digest)
	ro, err := w.e.PromotePlatform(ctx, engine.PlatformPromoteRequest{Version: "v2.0.0", Env: "prod", Requester: "carol@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	ro, err = w.e.Store.Rollouts.Rollout(ctx, ro.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ro.State != slipway.RolloutFailed || ro.Wave != 1 {
		t.Fatalf("rollout should have failed in wave 2: %s wave %d: %s", ro.State, ro.Wave+1, ro.Reason)
	}
	states := map[string]string{}
	for _, s := range ro.Services {
		states[s.Service] = s.State
	}
	if fmt.Sprint(states) != "map[s1:succeeded s2:rolled-back s3:failed s4:skipped s5:skipped]" {
		t.Errorf("service states: %v", states)
	}
	// Wave 1 untouched: prod runs s1 1.1.0, not held.
	if got := w.pinned("s1", "prod"); got != next["s1"].Digest {
		t.Errorf("s1 in prod: %s, want wave 1's %s", got, next["s1"].Digest)
	}
	if h, _ := w.e.Store.Holds.ActiveHold(ctx, "s1", next["s1"].Digest); h != nil {
		t.Errorf("s1 should not be held: %+v", h)
	}
	// Wave 2: s2 went first (maxUpdate 50% of 2 = 1), succeeded, then was
	// rolled back when s3's canary failed; both back on 1.0.0 and held.
	p2, p3 := w.prodPromotions("s2"), w.prodPromotions("s3")
	last2, last3 := p2[len(p2)-1], p3[len(p3)-1]
	if last2.State != slipway.StateRolledBack || last3.State != slipway.StateAborted || !lessID(last2.ID, last3.ID) {
		t.Errorf("wave 2: s2 %s %s, s3 %s %s (s2 must start first and be rolled back, s3 aborted)", last2.ID, last2.State, last3.ID, last3.State)
	}
	for _, s := range []string{"s2", "s3"} {
		if got := w.pinned(s, "prod"); got != old[s].Digest {
			t.Errorf("%s in prod after the failed wave: %s, want 1.0.0's %s", s, got, old[s].Digest)
		}
		if h, _ := w.e.Store.Holds.ActiveHold(ctx, s, next[s].Digest); h == nil {
			t.Errorf("%s %s should be held", s, next[s].Digest)
		}
	}
	// Wave 3 never started: no prod promotion of s4 2.x or s5, pins unchanged.
	for _, s := range []string{"s4", "s5"} {
		for _, p := range w.prodPromotions(s) {
			if p.Digest == next[s].Digest {
				t.Errorf("wave 3 started: %s %s", p.ID, p.Service)
			}
		}
	}
	if got := w.pinned("s4", "prod"); got != old["s4"].Digest {
		t.Errorf("s4 in prod: %s", got)
	}
	if got := w.pinned("s5", "prod"); got != "" {
		t.Errorf("s5 in prod: %q", got)
	}
	rep, err := w.e.RolloutStatus(ctx, "", "prod")
	if err != nil {
		t.Fatal(err)
	}
	var waves []string
	for _, wv := range rep.Waves {
		waves = append(waves, fmt.Sprintf("%d:%s:%d", wv.Number, wv.State, wv.MaxUpdate))
	}
	if got := strings.Join(waves, " "); got != "1:succeeded:1 2:failed:1 3:not-started:2" {
		t.Errorf("waves: %s\n%s", got, rep.Text())
	}
	t.Log("\n" + rep.Text())
	if !strings.Contains(rep.Text(), "wave 2 failed: s3") {
		t.Errorf("status should name the failing service:\n%s", rep.Text())
	}
	if n, err := w.e.VerifyAudit(ctx); err != nil {
		t.Fatalf("audit chain (%d entries): %v", n, err)
	}
}

func lessID(a, b string) bool {
	var x, y int
	fmt.Sscanf(a, "p-%d", &x)
	fmt.Sscanf(b, "p-%d", &y)
	return x < y
}

func diffSummary(d *platform.Diff) string {
	var parts []string
	for _, c := range d.Changes {
		var vs []string
		for _, s := range c.Sections {
			vs = append(vs, s.Version)
		}
		parts = append(parts, fmt.Sprintf("%s:%s:%s:%s->%s:%v", c.Component, c.Kind, c.Bump, c.From, c.To, vs))
	}
	return strings.Join(parts, " ")
}

// checkPublished reads the released files straight from the remote and
// checks them as a self-hoster would: the signatures verify with the
// platform's public key over the exact bytes, the YAML and JSON say the
// same, the tag is annotated on the commit that added them and names the
// YAML's digest, and the audit entry binds that digest.
func checkPublished(t *testing.T, w *platformWorld, version, commit string, digests map[string]string) {
	t.Helper()
	y := []byte(w.git("show", "main:platform/v"+version+".yaml") + "\n")
	j := []byte(w.git("show", "main:platform/v"+version+".json") + "\n")
	for name, data := range map[string][]byte{"yaml": y, "json": j} {
		sig, err := base64.StdEncoding.DecodeString(w.git("show", "main:platform/v"+version+"."+name+".sig"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.pub.VerifyBlob(data, sig); err != nil {
			t.Errorf("%s signature does not verify: %v", name, err)
		}
		if _, err := w.pub.VerifyBlob(append(data, ' '), sig); err == nil {
			t.Errorf("%s signature verifies changed bytes", name)
		}
	}
	my, err := platform.Parse(y, "yaml")
	if err != nil {
		t.Fatal(err)
	}
	mj, err := platform.Parse(j, "json")
	if err != nil {
		t.Fatal(err)
	}
	if platform.Compare(my, mj).Bump != platform.BumpNone || my.Version != version {
		t.Errorf("YAML and JSON differ or wrong version %s", my.Version)
	}
	for s, d := range digests {
		if c, ok := my.Component(s); !ok || c.Digest != d || c.Labels["tier"] == "" || !strings.Contains(c.Notes, s+" ") {
			t.Errorf("component %s: %+v", s, c)
		}
	}
	tag := "platform-v" + version
	if typ := w.git("cat-file", "-t", tag); typ != "tag" {
		t.Errorf("%s is a %s, want an annotated tag", tag, typ)
	}
	if got := w.git("rev-parse", tag+"^{commit}"); got != commit {
		t.Errorf("%s points at %s, want %s", tag, got, commit)
	}
	sum := sha256.Sum256(y)
	dig := "sha256:" + hex.EncodeToString(sum[:])
	if msg := w.git("tag", "-l", "--format=%(contents)", tag); !strings.Contains(msg, "Manifest-SHA256: "+dig) {
		t.Errorf("tag message does not name the manifest digest:\n%s", msg)
	}
	es, err := w.e.Store.Audit.AuditOf(context.Background(), "platform/acme/v"+version)
	if err != nil || len(es) != 1 || es[0].Kind != "platform-release" || es[0].Digest != dig || es[0].PinCommit != commit {
		t.Errorf("audit entry of the platform release: %+v %v", es, err)
	}
}

// plant pushes a platform/v9.0.0 manifest signed by another key, as anyone
// with push access to the GitOps repository could.
func plant(t *testing.T, w *platformWorld) {
	t.Helper()
	other, err := trust.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	m, _ := platform.Parse([]byte(w.git("show", "main:platform/v1.0.0.yaml")), "v1")
	m.Version = "9.0.0"
	y, _ := m.YAML()
	js, _ := m.JSON()
	pushToGitOps(t, w, "platform 9.0.0", func(dir string) {
		os.MkdirAll(filepath.Join(dir, "platform"), 0o755)
		for name, data := range map[string][]byte{"yaml": y, "json": js} {
			s, err := bundle.SignSums(other, data)
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, "platform", "v9.0.0."+name), data, 0o644)
			os.WriteFile(filepath.Join(dir, "platform", "v9.0.0."+name+".sig"), s.Sig, 0o644)
		}
	})
}

func unplant(t *testing.T, w *platformWorld) {
	t.Helper()
	pushToGitOps(t, w, "remove the plant", func(dir string) {
		for _, f := range []string{"yaml", "json", "yaml.sig", "json.sig"} {
			os.Remove(filepath.Join(dir, "platform", "v9.0.0."+f))
		}
	})
}

// pushToGitOps commits what change does to a clone of the GitOps remote
// and pushes it, as a person would.
func pushToGitOps(t *testing.T, w *platformWorld, msg string, change func(dir string)) {
	t.Helper()
	dir := t.TempDir()
	run := func(args ...string) {
		if out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v: %s", args, err, out)
		}
	}
	run("clone", "-q", w.Remote, ".")
	change(dir)
	run("add", "-A")
	run("-c", "user.name=m", "-c", "user.email=m@example.com", "commit", "-qm", msg)
	run("push", "-q", "origin", "HEAD:main")
}

const twoStepsHold = `  name: acme
  key: platform.key
  rollout:
    steps:
      - matchExpressions: [{key: tier, operator: In, values: [a]}]
      - matchExpressions: [{key: tier, operator: Exists}]
        maxUpdate: 0
`

// TestPlatformRolloutResumesWithoutDuplicates: the controller starts wave
// 1 and dies before recording the promotion's id; a new process resumes the
// rollout at wave 1, finds the promotion by its digest instead of starting
// another, and goes on. Wave 2 (maxUpdate 0) waits for a person: a service
// promoted by hand is adopted, pause and resume work between waves, and
// resume continues the wave. Every service ends with exactly one prod
// promotion.
func TestPlatformRolloutResumesWithoutDuplicates(t *testing.T) {
	ctx := context.Background()
	w := newPlatformWorld(t, testworld.Options{Services: 3, Builds: 1, Register: true,
		Envs:     []testworld.Env{{Name: "dev"}, {Name: "prod"}},
		Labels:   map[string]map[string]string{"s1": {"tier": "a"}, "s2": {"tier": "b"}, "s3": {"tier": "b"}},
		Platform: twoStepsHold,
	})
	for _, s := range w.Services() {
		w.release(s, 0, "1.0.0", "dev")
	}
	if _, err := w.e.ReleasePlatform(ctx, engine.PlatformReleaseRequest{From: "dev", Sign: w.sign}); err != nil {
		t.Fatal(err)
	}

	// The controller's process: the rollout is queued, then one worker pass
	// starts wave 1 (its promotion is queued for other workers).
	w.open(true)
	ro, err := w.e.PromotePlatform(ctx, engine.PlatformPromoteRequest{Version: "1.0.0", Env: "prod", Requester: "carol@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if due, _ := w.e.Store.Queue.Due(ctx, w.e.Now().Add(1e9), 10); !hasWork(due, slipway.WorkPlatform, ro.ID) {
		t.Fatalf("the rollout is not on the controller's queue: %+v", due)
	}
	if _, err := w.e.AdvanceRollout(ctx, ro.ID); err != nil {
		t.Fatal(err)
	}
	ro, _ = w.e.Store.Rollouts.Rollout(ctx, ro.ID)
	first := ro.Service("s1")
	if first.State != slipway.ServicePromoting || first.PromotionID == "" || len(w.prodPromotions("s1")) != 1 || len(w.prodPromotions("s2")) != 0 {
		t.Fatalf("wave 1 should have started s1 only: %+v", ro.Services)
	}
	started := first.PromotionID
	// The process dies after creating the promotion, before recording it.
	first.PromotionID, first.Reason = "", "starting"
	if err := w.e.Store.Rollouts.UpdateRollout(ctx, ro); err != nil {
		t.Fatal(err)
	}

	// A new process without a controller resumes at wave 1.
	w.open(false)
	if _, err := w.e.AdvanceRollout(ctx, ro.ID); err != nil {
		t.Fatal(err)
	}
	ro, _ = w.e.Store.Rollouts.Rollout(ctx, ro.ID)
	if ps := w.prodPromotions("s1"); len(ps) != 1 || ps[0].ID != started || ps[0].State != slipway.StateSucceeded || ro.Service("s1").PromotionID != started {
		t.Fatalf("s1 promoted twice or not adopted: %v, rollout has %q", promotionIDs(ps), ro.Service("s1").PromotionID)
	}
	// Wave 2 has maxUpdate 0: it waits for a person and starts nothing.
	rep, _ := w.e.RolloutStatus(ctx, ro.ID, "")
	if ro.Wave != 1 || ro.State != slipway.RolloutRunning || rep.Waves[1].State != "waiting-for-person" || !strings.Contains(ro.Reason, "maxUpdate 0") || len(w.prodPromotions("s2")) != 0 {
		t.Fatalf("wave 2 should wait for a person: wave %d %s %q\n%s", ro.Wave+1, ro.State, ro.Reason, rep.Text())
	}
	// A person promotes s2 by hand: the rollout counts it (RollingSync
	// counts an application synced by hand).
	if p, err := w.e.Promote(ctx, engine.PromoteRequest{Service: "s2", Env: "prod", BuildID: w.builds["s2"][0].ID, Requester: "dave@example.com"}); err != nil || p.State != slipway.StateSucceeded {
		t.Fatalf("promote s2 by hand: %v %+v", err, p)
	}
	if _, err := w.e.AdvanceRollout(ctx, ro.ID); err != nil {
		t.Fatal(err)
	}
	ro, _ = w.e.Store.Rollouts.Rollout(ctx, ro.ID)
	if s := ro.Service("s2"); s.State != slipway.ServiceSucceeded || len(w.prodPromotions("s2")) != 1 {
		t.Fatalf("s2 promoted by hand should be adopted: %+v", s)
	}
	// Pause between waves, then resume: resume also continues the wave.
	if _, err := w.e.PauseRollout(ctx, "prod", "dave@example.com", "change freeze"); err != nil {
		t.Fatal(err)
	}
	if len(w.prodPromotions("s3")) != 0 {
		t.Fatal("a paused rollout started a promotion")
	}
	if _, err := w.e.PauseRollout(ctx, "prod", "dave@example.com", ""); slipway.ErrorCode(err) != slipway.ECONFLICT {
		t.Fatalf("pausing twice: %v", err)
	}
	if _, err := w.e.ResumeRollout(ctx, "prod", "dave@example.com"); err != nil {
		t.Fatal(err)
	}
	ro, _ = w.e.Store.Rollouts.Rollout(ctx, ro.ID)
	if ro.State != slipway.RolloutSucceeded || !ro.Waves[1].Continued {
		t.Fatalf("rollout after resume: %s %q", ro.State, ro.Reason)
	}
	for _, s := range w.Services() {
		if ps := w.prodPromotions(s); len(ps) != 1 || ps[0].State != slipway.StateSucceeded {
			t.Errorf("%s: prod promotions %v, want exactly one that succeeded", s, promotionIDs(ps))
		}
	}
	if _, err := w.e.ResumeRollout(ctx, "prod", "dave@example.com"); slipway.ErrorCode(err) != slipway.ENOTFOUND {
		t.Fatalf("resume with no rollout under way: %v", err)
	}
}

func hasWork(items []slipway.WorkItem, kind, key string) bool {
	for _, it := range items {
		if it.Kind == kind && it.Key == key {
			return true
		}
	}
	return false
}

func promotionIDs(ps []*slipway.Promotion) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.ID+":"+string(p.State))
	}
	return out
}

// TestPlatformRolloutUnderTheController: with `slipway serve`'s loop
// running, platform promote only queues the rollout; the controller's
// workers drive its waves and promotions to the end.
func TestPlatformRolloutUnderTheController(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := newPlatformWorld(t, testworld.Options{Services: 3, Builds: 1, Register: true,
		Envs:     []testworld.Env{{Name: "dev"}, {Name: "prod"}},
		Labels:   map[string]map[string]string{"s1": {"tier": "a"}, "s2": {"tier": "b"}, "s3": {"tier": "b"}},
		Platform: fiveServiceSteps,
	})
	for _, s := range w.Services() {
		w.release(s, 0, "1.0.0", "dev")
	}
	if _, err := w.e.ReleasePlatform(ctx, engine.PlatformReleaseRequest{From: "dev", Sign: w.sign}); err != nil {
		t.Fatal(err)
	}
	w.open(true)
	c := &controller.Controller{Engine: w.e, PollEvery: 20 * time.Millisecond, FetchEvery: 200 * time.Millisecond, LeaderTTL: time.Second}
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	ro, err := w.e.PromotePlatform(ctx, engine.PlatformPromoteRequest{Version: "1.0.0", Env: "prod", Requester: "carol@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if ro.State != slipway.RolloutRunning || len(w.prodPromotions("s1")) != 0 {
		t.Fatalf("promote should only queue the rollout: %+v", ro)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		ro, _ = w.e.Store.Rollouts.Rollout(ctx, ro.ID)
		if !ro.State.Active() || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	<-done
	// fiveServiceSteps: s1, s2, s3 carry tiers a and b, which only the
	// third step (NotIn data, backend) selects: one wave of three.
	if ro.State != slipway.RolloutSucceeded || ro.Wave != 3 || len(ro.InWave(2)) != 3 {
		t.Fatalf("rollout under the controller: %s wave %d %q %+v", ro.State, ro.Wave, ro.Reason, ro.Services)
	}
	for _, s := range w.Services() {
		if ps := w.prodPromotions(s); len(ps) != 1 || ps[0].State != slipway.StateSucceeded {
			t.Errorf("%s: %v", s, promotionIDs(ps))
		}
	}
}
