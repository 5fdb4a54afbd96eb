// Package testworld builds a small, real Slipway world on disk for tests and
// benchmarks that drive Slipway from outside: a bare GitOps remote with one
// pin file per service and environment, an in-process OCI registry holding
// signed images, slipway.yaml, and registered builds. Processes (the slipway
// binary, `slipway serve`) and the harness share its state directory.
package testworld

import (
	"context"
	"crypto"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/app"
	"github.com/slipway/slipway/config"
	"github.com/slipway/slipway/engine"
	"github.com/slipway/slipway/oci"
	"github.com/slipway/slipway/oci/ocilocal"
	"github.com/slipway/slipway/rollout/webhook"
	"github.com/slipway/slipway/trust"
)

// Env describes one environment of the world.
type Env struct {
	Name        string
	PullRequest bool // promotion by pull request (else direct push)
	AutoMerge   bool
	Auto        bool // autoPromote
	Approvals   int  // approvals required (group "sre")
	// Canary adds a canary through the world's webhook runtime: setWeight
	// 50, a short analysis of the world's health endpoint (failing for
	// digests marked bad), setWeight 100.
	Canary bool
	// CanaryPause adds a pause of this long after the first canary step.
	CanaryPause time.Duration
}

// Options shape a world.
type Options struct {
	Dir      string
	Services int   // named s1, s2, …
	Builds   int   // signed images pushed and registered per service
	Envs     []Env // in promotion order
	// Store is "" for SQLite under the state directory, or a postgres:// URL.
	Store string
	// Register registers the builds (with the first environment's autoPromote
	// off while doing so, so nothing is promoted by setup).
	Register bool
	// Labels are the services' labels in slipway.yaml, by service.
	Labels map[string]map[string]string
	// Platform, when set, is the body of slipway.yaml's platform: block
	// (YAML indented by two spaces), e.g. "  name: acme\n  key: platform.key\n".
	Platform string
}

// World is the built world.
type World struct {
	Opts       Options
	Dir        string
	Remote     string // the bare GitOps remote
	StateDir   string
	ConfigPath string
	Registry   *ocilocal.Registry
	Signer     crypto.Signer
	Runtime    *webhook.MemoryRuntime
	runtimeSrv *httptest.Server
	health     *httptest.Server

	mu     sync.Mutex
	bad    map[string]bool // digests whose canary analysis fails
	Builds map[string][]*slipway.Build
}

// Services lists the service names.
func (w *World) Services() []string {
	var s []string
	for i := 1; i <= w.Opts.Services; i++ {
		s = append(s, fmt.Sprintf("s%d", i))
	}
	return s
}

// New builds the world.
func New(ctx context.Context, o Options) (*World, error) {
	w := &World{Opts: o, Dir: o.Dir, bad: map[string]bool{}, Builds: map[string][]*slipway.Build{}}
	w.Remote = filepath.Join(o.Dir, "gitops.git")
	w.StateDir = filepath.Join(o.Dir, "state")
	w.ConfigPath = filepath.Join(o.Dir, "slipway.yaml")
	var err error
	if w.Registry, err = ocilocal.Start(ocilocal.StartOptions{}); err != nil {
		return nil, err
	}
	priv, pub := filepath.Join(o.Dir, "cosign.key"), filepath.Join(o.Dir, "cosign.pub")
	if _, err := trust.WriteKeyPair(priv, pub); err != nil {
		return nil, err
	}
	if w.Signer, err = trust.LoadPrivateKey(priv); err != nil {
		return nil, err
	}
	w.Runtime = webhook.NewMemoryRuntime()
	w.runtimeSrv = httptest.NewServer(webhook.Handler(w.Runtime))
	w.health = httptest.NewServer(http.HandlerFunc(w.serveHealth))
	if err := w.initGitOps(); err != nil {
		return nil, err
	}
	if err := os.WriteFile(w.ConfigPath, []byte(w.config(o.Register)), 0o644); err != nil {
		return nil, err
	}
	if o.Register {
		if err := w.register(ctx); err != nil {
			return nil, err
		}
		if err := os.WriteFile(w.ConfigPath, []byte(w.config(false)), 0o644); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// Close stops the registry and servers.
func (w *World) Close() {
	w.runtimeSrv.Close()
	w.health.Close()
	w.Registry.Close()
}

// MarkBad makes the canary analysis of digest fail.
func (w *World) MarkBad(digest string) {
	w.mu.Lock()
	w.bad[digest] = true
	w.mu.Unlock()
}

// serveHealth answers the canary analysis: {"errorRate": 0.5} for a bad
// canary digest, 0 otherwise.
func (w *World) serveHealth(rw http.ResponseWriter, r *http.Request) {
	w.mu.Lock()
	bad := w.bad[r.URL.Query().Get("digest")]
	w.mu.Unlock()
	rate := 0.0
	if bad {
		rate = 0.5
	}
	fmt.Fprintf(rw, `{"errorRate": %v}`, rate)
}

func (w *World) initGitOps() error {
	seed := filepath.Join(w.Dir, "seed")
	for _, args := range [][]string{{"init", "-q", "--bare", "-b", "main", w.Remote}, {"init", "-q", "-b", "main", seed}} {
		if out, err := exec.Command("git", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("git %v: %v: %s", args, err, out)
		}
	}
	for _, env := range w.Opts.Envs {
		for _, s := range w.Services() {
			p := filepath.Join(seed, "envs", env.Name, s+".yaml")
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte("# "+s+" in "+env.Name+"\nimage:\n  digest: \"\"\n"), 0o644); err != nil {
				return err
			}
		}
	}
	for _, args := range [][]string{{"add", "-A"}, {"-c", "user.name=seed", "-c", "user.email=seed@example.com", "commit", "-q", "-m", "chore: seed"}, {"push", "-q", w.Remote, "HEAD:main"}} {
		if out, err := exec.Command("git", append([]string{"-C", seed}, args...)...).CombinedOutput(); err != nil {
			return fmt.Errorf("git %v: %v: %s", args, err, out)
		}
	}
	return nil
}

// config renders slipway.yaml; setup keeps autoPromote off.
func (w *World) config(setup bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "gitops: {remote: %s}\nregistry: {insecure: true}\n", w.Remote)
	b.WriteString("groups: {sre: [bob@example.com, carol@example.com, dave@example.com]}\nservices:\n")
	for _, s := range w.Services() {
		labels := ""
		for k, v := range w.Opts.Labels[s] {
			labels += fmt.Sprintf("%q: %q, ", k, v)
		}
		if labels != "" {
			labels = ", labels: {" + strings.TrimSuffix(labels, ", ") + "}"
		}
		fmt.Fprintf(&b, "  - {name: %s, image: %s, keys: [cosign.pub]%s}\n", s, w.Registry.Repository("acme/"+s), labels)
	}
	if w.Opts.Platform != "" {
		b.WriteString("platform:\n" + w.Opts.Platform)
	}
	b.WriteString("environments:\n")
	for i, e := range w.Opts.Envs {
		mode := "direct"
		if e.PullRequest {
			mode = "pull-request"
		}
		fmt.Fprintf(&b, "  - name: %s\n    promotion: %s\n    autoMerge: %v\n    autoPromote: %v\n    requireRelease: false\n", e.Name, mode, e.AutoMerge, e.Auto && !setup)
		fmt.Fprintf(&b, "    pin: {file: \"envs/{env}/{service}.yaml\", path: image.digest}\n")
		if e.Approvals > 0 && i > 0 {
			fmt.Fprintf(&b, "    gates: {approvals: {required: %d, groups: [sre]}}\n", e.Approvals)
		}
		if e.Canary {
			fmt.Fprintf(&b, `    canary:
      rollout: {driver: webhook, url: %q}
      steps:
        - setWeight: 50
%s        - analysis:
            templates: [{templateName: health}]
        - setWeight: 100
      templates:
        - apiVersion: argoproj.io/v1alpha1
          kind: AnalysisTemplate
          metadata: {name: health}
          spec:
            args: [{name: canary-digest}]
            metrics:
              - name: error-rate
                interval: 100ms
                count: 2
                failureLimit: 0
                successCondition: result < 0.05
                provider: {web: {url: "%s/?digest={{args.canary-digest}}", jsonPath: "{$.errorRate}"}}
`, w.runtimeSrv.URL, pauseStep(e.CanaryPause), w.health.URL)
		}
	}
	return b.String()
}

// Open opens an engine on the world (Controller: only enqueue work).
func (w *World) Open(ctx context.Context, controller bool) (*engine.Engine, error) {
	cfg, err := config.Load(w.ConfigPath)
	if err != nil {
		return nil, err
	}
	return app.Open(ctx, app.Options{Config: cfg, StateDir: w.StateDir, Store: w.Opts.Store, Controller: controller, Log: quiet})
}

// register pushes, signs and registers Opts.Builds images per service.
func (w *World) register(ctx context.Context) error {
	e, err := w.Open(ctx, false)
	if err != nil {
		return err
	}
	defer e.Close()
	commit := strings.Repeat("c", 40)
	for _, s := range w.Services() {
		for i := 0; i < w.Opts.Builds; i++ {
			ref, err := ocilocal.Push(ctx, w.Registry.Repository("acme/"+s), ocilocal.Image{Files: map[string]string{"build": fmt.Sprintf("%s-%d-%d", s, i, time.Now().UnixNano())}}, oci.Options{Insecure: true})
			if err != nil {
				return err
			}
			if _, err := oci.Sign(ctx, ref, w.Signer, oci.Options{Insecure: true}); err != nil {
				return err
			}
			b, _, err := e.RegisterBuild(ctx, s, commit, ref.String())
			if err != nil {
				return err
			}
			w.Builds[s] = append(w.Builds[s], b)
		}
	}
	return nil
}

// Release records a release of one of the world's builds (the world has
// no app repository to compute versions from: the test names the version
// and its changelog section, as engine.Release would have stored them).
func (w *World) Release(ctx context.Context, e *engine.Engine, b *slipway.Build, version, notes string) (*slipway.Release, error) {
	r := &slipway.Release{Service: b.Service, Version: version, Tag: b.Service + "/v" + version, BuildID: b.ID, Commit: b.Commit, Notes: notes, Authors: []string{"alice@example.com"}, Created: time.Now().UTC()}
	return r, e.Store.Releases.CreateRelease(ctx, r)
}

// GitDigest reads the digest pinned for service in env on the remote's main.
func (w *World) GitDigest(service, env string) (string, error) {
	out, err := exec.Command("git", "-C", w.Remote, "show", "main:envs/"+env+"/"+service+".yaml").Output()
	if err != nil {
		return "", err
	}
	for _, l := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "digest:"); ok {
			return strings.Trim(strings.TrimSpace(v), `"`), nil
		}
	}
	return "", fmt.Errorf("no digest in envs/%s/%s.yaml", env, service)
}

var quiet = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))

func pauseStep(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return fmt.Sprintf("        - pause: {duration: %ds}\n", int(d.Seconds()))
}
