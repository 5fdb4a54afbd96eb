// Package apitest is a small real world for tests of the API, the CLI's
// client mode and the benchmark: an app repository with Conventional
// Commits, a bare GitOps remote with dev and prod pins for two services, an
// in-process OCI registry, a signing key, a rollout runtime speaking the
// webhook protocol (a canary pauses for a person in prod), a SQLite store,
// an engine, users with roles, and the API served on loopback.
package apitest

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/api"
	"github.com/slipway/slipway/app"
	"github.com/slipway/slipway/auth"
	"github.com/slipway/slipway/config"
	"github.com/slipway/slipway/engine"
	"github.com/slipway/slipway/oci"
	"github.com/slipway/slipway/oci/ocilocal"
	"github.com/slipway/slipway/rollout"
	"github.com/slipway/slipway/rollout/webhook"
	"github.com/slipway/slipway/trust"
)

// Users of the world and what slipway.yaml grants them.
const (
	Alice  = "alice@example.com"  // releaser and approver; writes the code
	Bob    = "bob@example.com"    // approver (group sre)
	Carol  = "carol@example.com"  // approver (group sre)
	Oscar  = "oscar@example.com"  // on call: rollback, hold-release, canary-decide, override, expedite, stop
	Victor = "victor@example.com" // viewer
	Root   = "root@example.com"   // admin
)

// Password is every user's password.
const Password = "correct horse battery staple"

// HookKey is the build hook's key (hooks.build.secretFile).
const HookKey = "build-hook-key-for-tests"

const configTemplate = `
app: {repo: app}
gitops: {remote: gitops.git}
registry: {insecure: true}
groups: {sre: [bob@example.com, carol@example.com]}
services:
  - {name: api, image: %[1]s/api, keys: [cosign.pub], tagFormat: "{component}/v{version}"}
  - {name: web, image: %[1]s/web, keys: [cosign.pub], tagFormat: "{component}/v{version}"}
environments:
  - name: dev
    autoPromote: true
    pin: {file: "envs/{env}/{service}.yaml", path: image.digest}
    checks: {smoke: {template: smoke.yaml}}
  - name: prod
    promotion: pull-request
    pin: {file: "envs/{env}/{service}.yaml", path: image.digest}
    gates:
      approvals: {required: 1, groups: [sre]}
    canary:
      rollout: {driver: webhook, url: "%[2]s"}
      steps: [{setWeight: 50}, {pause: {}}]
auth:
  roles:
    - {role: viewer, members: [victor@example.com, alice@example.com, oscar@example.com, sre]}
    - {role: releaser, members: [alice@example.com]}
    - {role: approver, members: [sre, alice@example.com]}
    - {permissions: [rollback, hold-release, canary-decide, override, expedite, stop, promote], members: [oscar@example.com]}
    - {role: admin, members: [root@example.com]}
hooks:
  build: {secretFile: hook.key}
%[3]s`

// smokeTemplate is dev's check: a job that passes.
const smokeTemplate = `apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: smoke}
spec:
  args: [{name: digest}, {name: service}, {name: env}]
  metrics:
    - name: smoke
      provider:
        job:
          spec:
            template:
              spec:
                containers:
                  - {name: smoke, image: unused, command: [sh, -c, 'test -n "{{args.digest}}"']}
`

// World is the running world.
type World struct {
	T            testing.TB
	Dir          string
	Remote       string
	Registry     *ocilocal.Registry
	Signer       crypto.Signer
	Engine       *engine.Engine
	Auth         *auth.Service
	API          *api.Server
	Server       *httptest.Server
	Runtime      *Runtime
	mu           sync.Mutex
	stopRegistry sync.Once
	now          time.Time
	tokens       map[string]string
	version      int
}

// Options shape a world.
type Options struct {
	// Config is appended to slipway.yaml (e.g. notifications:).
	Config string
}

// New starts a world; everything stops with the test.
func New(t testing.TB, o Options) *World {
	t.Helper()
	w := &World{T: t, Dir: t.TempDir(), now: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC), tokens: map[string]string{}}
	var err error
	if w.Registry, err = ocilocal.Start(ocilocal.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.StopRegistry)
	if _, err := trust.WriteKeyPair(filepath.Join(w.Dir, "cosign.key"), filepath.Join(w.Dir, "cosign.pub")); err != nil {
		t.Fatal(err)
	}
	if w.Signer, err = trust.LoadPrivateKey(filepath.Join(w.Dir, "cosign.key")); err != nil {
		t.Fatal(err)
	}
	w.Runtime = StartRuntime()
	t.Cleanup(w.Runtime.Close)
	w.Remote = filepath.Join(w.Dir, "gitops.git")
	w.git(w.Dir, "init", "-q", "-b", "main", filepath.Join(w.Dir, "app"))
	w.Commit(Alice, "feat: first", "a.txt", "1")
	w.git(w.Dir, "init", "-q", "--bare", "-b", "main", w.Remote)
	seed := filepath.Join(w.Dir, "seed")
	w.git(w.Dir, "clone", "-q", w.Remote, seed)
	for _, env := range []string{"dev", "prod"} {
		os.MkdirAll(filepath.Join(seed, "envs", env), 0o755)
		for _, svc := range []string{"api", "web"} {
			os.WriteFile(filepath.Join(seed, "envs", env, svc+".yaml"), []byte("image:\n  digest: \"\"\n"), 0o644)
		}
	}
	w.git(seed, "add", "-A")
	w.git(seed, "-c", "user.name=p", "-c", "user.email=p@example.com", "commit", "-q", "-m", "chore: seed")
	w.git(seed, "push", "-q", "origin", "HEAD:main")
	os.WriteFile(filepath.Join(w.Dir, "hook.key"), []byte(HookKey+"\n"), 0o600)
	os.WriteFile(filepath.Join(w.Dir, "smoke.yaml"), []byte(smokeTemplate), 0o644)
	cfgText := fmt.Sprintf(configTemplate, w.Registry.Host, w.Runtime.DriverURL(), o.Config)
	if err := os.WriteFile(filepath.Join(w.Dir, "slipway.yaml"), []byte(cfgText), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(filepath.Join(w.Dir, "slipway.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	quiet := slogDiscard()
	w.Engine, err = app.Open(context.Background(), app.Options{Config: cfg, StateDir: filepath.Join(w.Dir, ".slipway"), Now: w.Now, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Engine.Close() })
	w.Auth = &auth.Service{Store: w.Engine.Store, Policy: cfg.AccessPolicy(), Now: w.Now}
	w.API = api.New(w.Engine, w.Auth, quiet)
	w.API.Now = w.Now
	w.Server = httptest.NewServer(w.API.Handler())
	t.Cleanup(w.Server.Close)
	for _, u := range []string{Alice, Bob, Carol, Oscar, Victor, Root} {
		if _, err := w.Auth.AddUser(context.Background(), u, Password); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// StopRegistry takes the registry down (once).
func (w *World) StopRegistry() {
	w.stopRegistry.Do(func() { w.Registry.Close() })
}

// Now is the world's clock.
func (w *World) Now() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

// Travel moves the clock.
func (w *World) Travel(d time.Duration) {
	w.mu.Lock()
	w.now = w.now.Add(d)
	w.mu.Unlock()
}

func (w *World) git(dir string, args ...string) string {
	w.T.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		w.T.Fatalf("git %v: %v: %s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// Commit commits a file in the app repository as author.
func (w *World) Commit(author, msg, file, content string) string {
	app := filepath.Join(w.Dir, "app")
	os.WriteFile(filepath.Join(app, file), []byte(content), 0o644)
	w.git(app, "add", "-A")
	w.git(app, "-c", "user.name=x", "-c", "user.email="+author, "commit", "-q", "-m", msg)
	return w.git(app, "rev-parse", "HEAD")
}

// Image pushes a signed image of service for the app repository's HEAD
// and returns its reference and the commit.
func (w *World) Image(service string) (oci.Reference, string) {
	w.T.Helper()
	w.mu.Lock()
	w.version++
	v := w.version
	w.mu.Unlock()
	ctx := context.Background()
	ref, err := ocilocal.Push(ctx, w.Registry.Host+"/"+service, ocilocal.Image{Files: map[string]string{"v": fmt.Sprint(v)}}, oci.Options{Insecure: true})
	if err != nil {
		w.T.Fatal(err)
	}
	if _, err := oci.Sign(ctx, ref, w.Signer, oci.Options{Insecure: true}); err != nil {
		w.T.Fatal(err)
	}
	return ref, w.git(filepath.Join(w.Dir, "app"), "rev-parse", "HEAD")
}

// Released commits a feature, builds, registers and releases a build of
// service (as Slipway itself); dev pins it.
func (w *World) Released(service string) *slipway.Build {
	w.T.Helper()
	w.Commit(Alice, "feat: change "+fmt.Sprint(time.Now().UnixNano()), "f.txt", fmt.Sprint(time.Now().UnixNano()))
	ref, sha := w.Image(service)
	ctx := slipway.WithActor(context.Background(), slipway.System)
	b, _, err := w.Engine.RegisterBuild(ctx, service, sha, ref.String())
	if err != nil {
		w.T.Fatal(err)
	}
	if _, err := w.Engine.Release(ctx, engine.ReleaseRequest{Service: service, BuildID: b.ID}); err != nil {
		w.T.Fatal(err)
	}
	return b
}

// Waiting returns a prod promotion of a new release of service, waiting
// for its approval (requested by alice).
func (w *World) Waiting(service string) *slipway.Promotion {
	w.T.Helper()
	w.Settle(service)
	b := w.Released(service)
	p, err := w.Engine.Promote(w.As(Alice), engine.PromoteRequest{Service: service, Env: "prod", BuildID: b.ID})
	if err != nil {
		w.T.Fatal(err)
	}
	return p
}

// Settle promotes a paused canary of service in prod, so the pin is free
// for the next promotion.
func (w *World) Settle(service string) {
	w.T.Helper()
	ctx := slipway.WithActor(context.Background(), slipway.System)
	ps, err := w.Engine.Store.Promotions.Promotions(ctx, slipway.PromotionFilter{Service: service, Env: "prod", State: slipway.StatePaused})
	if err != nil {
		w.T.Fatal(err)
	}
	for _, p := range ps {
		if _, err := w.Engine.DecideCanary(ctx, p.ID, "slipway", true, "settled by the test world"); err != nil {
			w.T.Fatal(err)
		}
	}
}

// ReviewOpen returns a prod promotion approved by bob, its pull request open.
func (w *World) ReviewOpen(service string) *slipway.Promotion {
	w.T.Helper()
	p := w.Waiting(service)
	p, err := w.Engine.Approve(w.As(Bob), p.ID, "", true, "ok")
	if err != nil || p.PR == 0 {
		w.T.Fatalf("approve %s: %v %+v", p.ID, err, p)
	}
	return p
}

// Paused returns a prod promotion whose canary waits for a person.
func (w *World) Paused(service string) *slipway.Promotion {
	w.T.Helper()
	p := w.ReviewOpen(service)
	if err := w.Engine.MergePR(w.As(Alice), p.PR, ""); err != nil {
		w.T.Fatal(err)
	}
	p, err := w.Engine.Store.Promotions.Promotion(context.Background(), p.ID)
	if err != nil || p.State != slipway.StatePaused {
		w.T.Fatalf("canary of %s should be paused: %v %+v", p.ID, err, p)
	}
	return p
}

// As is a context whose actor is the user.
func (w *World) As(user string) context.Context {
	return slipway.WithActor(context.Background(), &slipway.Actor{Name: user, Kind: slipway.ActorUser, Via: "token"})
}

// Token returns (creating once) a personal API token of user.
func (w *World) Token(user string) string {
	w.T.Helper()
	w.mu.Lock()
	tok, ok := w.tokens[user]
	w.mu.Unlock()
	if ok {
		return tok
	}
	tok, _, err := w.Auth.CreateToken(w.As(user), auth.TokenRequest{Name: "tests"})
	if err != nil {
		w.T.Fatal(err)
	}
	w.mu.Lock()
	w.tokens[user] = tok
	w.mu.Unlock()
	return tok
}

// CIToken creates a CI token for service.
func (w *World) CIToken(service string) string {
	w.T.Helper()
	tok, _, err := w.Auth.CreateToken(w.As(Root), auth.TokenRequest{Name: service + " ci", Kind: slipway.TokenCI, Service: service})
	if err != nil {
		w.T.Fatal(err)
	}
	return tok
}

// Response is an answer of the API.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("answer %d is not the JSON expected: %v\n%s", r.Status, err, r.Body)
	}
}

// Code is the error code of an error answer.
func (r Response) Code() string {
	var e api.ErrorBody
	json.Unmarshal(r.Body, &e)
	return e.Error.Code
}

// Do calls the API with a token ("" for none) and a JSON body (nil for none).
func (w *World) Do(method, path, token string, body any) Response {
	w.T.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			w.T.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, w.Server.URL+path, rd)
	if err != nil {
		w.T.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := w.Server.Client().Do(req)
	if err != nil {
		w.T.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// Runtime is a rollout runtime speaking the webhook protocol, in memory:
// it records weights and decisions per service and reports the canary as
// progressing until promoted or aborted.
type Runtime struct {
	*httptest.Server
	mu       sync.Mutex
	services map[string]*webhook.StatusResponse
}

// StartRuntime serves a runtime on loopback.
func StartRuntime() *Runtime {
	rt := &Runtime{services: map[string]*webhook.StatusResponse{}}
	rt.Server = httptest.NewServer(webhook.Handler(rt))
	return rt
}

// DriverURL is the runtime's base URL for the webhook driver.
func (rt *Runtime) DriverURL() string { return rt.URL }

func (rt *Runtime) state(req webhook.Request) *webhook.StatusResponse {
	s := rt.services[req.Service]
	if s == nil {
		s = &webhook.StatusResponse{Service: req.Service, Phase: rollout.PhasePromoted}
		rt.services[req.Service] = s
	}
	return s
}

// SetWeight sends weight percent of traffic to the canary.
func (rt *Runtime) SetWeight(_ context.Context, req webhook.Request) error {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	s := rt.state(req)
	s.CanaryDigest, s.Phase = req.CanaryDigest, rollout.PhaseProgressing
	if req.Weight != nil {
		s.Weight = *req.Weight
	}
	return nil
}

// Promote makes the canary stable.
func (rt *Runtime) Promote(_ context.Context, req webhook.Request) error {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	s := rt.state(req)
	s.StableDigest, s.CanaryDigest, s.Weight, s.Phase = req.CanaryDigest, "", 0, rollout.PhasePromoted
	return nil
}

// Abort sends traffic back to stable.
func (rt *Runtime) Abort(_ context.Context, req webhook.Request) error {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	s := rt.state(req)
	s.CanaryDigest, s.Weight, s.Phase = "", 0, rollout.PhaseAborted
	return nil
}

// Status reports a service's rollout.
func (rt *Runtime) Status(_ context.Context, service string) (webhook.StatusResponse, error) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return *rt.state(webhook.Request{Service: service}), nil
}

func slogDiscard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
