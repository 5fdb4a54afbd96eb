package demo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/slipway/slipway/app"
	"github.com/slipway/slipway/git"
	"github.com/slipway/slipway/oci/ocilocal"
	"github.com/slipway/slipway/trust/sigstorelocal"
)

// The release workflow that signs the demo's images.
const (
	ghIssuer   = "https://token.actions.githubusercontent.com"
	ciSubject  = "https://github.com/acme/api/.github/workflows/release.yml@refs/heads/main"
	sourceRepo = "https://github.com/acme/api"
	workflow   = ".github/workflows/release.yml"
)

// setup creates the repositories, the registry, the signing key, the runtime
// and slipway.yaml.
func (s *story) setup(ctx context.Context) error {
	r := s.res
	r.AppRepo = filepath.Join(r.Dir, "app")
	r.GitOps = filepath.Join(r.Dir, "gitops.git")
	r.StateDir = filepath.Join(r.Dir, ".slipway")
	r.ConfigPath = filepath.Join(r.Dir, "slipway.yaml")

	var err error
	if s.registry, err = ocilocal.Start(ocilocal.StartOptions{}); err != nil {
		return err
	}
	r.Registry = s.registry.Host
	r.Image = s.registry.Repository("acme/api")
	s.say("setup", r.Registry, "in-process OCI registry on %s", r.Registry)

	// CI signs keyless: a Sigstore of our own (Fulcio-like CA, Rekor-like
	// log, timestamp authority) stands in for the public one.
	sigstore, err := sigstorelocal.New()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(r.Dir, "sigstore"), 0o755); err != nil {
		return err
	}
	if err := sigstore.WriteTrustedRoot(filepath.Join(r.Dir, "sigstore", "trusted_root.json")); err != nil {
		return err
	}
	s.ci = sigstore.Keyless(ciSubject, ghIssuer, sigstorelocal.Options{Tlog: true, Timestamp: true})
	s.say("setup", "sigstore/trusted_root.json", "in-process Sigstore: CI signs keyless as %s", ciSubject)

	if s.runtime, err = StartRuntime(r.Image, true); err != nil {
		return err
	}
	s.say("setup", s.runtime.URL, "demo runtime (webhook rollout driver) on %s", s.runtime.URL)

	if err := s.initApp(); err != nil {
		return err
	}
	if err := s.initGitOps(ctx); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(r.Dir, "analysis"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(r.Dir, "analysis", "error-rate.yaml"), []byte(errorRateTemplate), 0o644); err != nil {
		return err
	}
	if err := s.writePlatformKey(); err != nil {
		return err
	}
	cfg := fmt.Sprintf(configTemplate, r.GitOps, r.Image, s.runtime.DriverURL(), s.runtime.URL, ghIssuer)
	if err := os.WriteFile(r.ConfigPath, []byte(cfg), 0o644); err != nil {
		return err
	}
	if r.LogKey, err = app.LogKey(r.StateDir); err != nil {
		return err
	}
	s.say("setup", "", "transparency log created; its key, pinned for later checks: %s", r.LogKey)
	if err := s.open(ctx); err != nil {
		return err
	}
	return s.startServer(ctx)
}

func (s *story) initApp() error {
	r := s.res
	if err := os.MkdirAll(r.AppRepo, 0o755); err != nil {
		return err
	}
	if _, err := run(r.AppRepo, nil, "git", "init", "-q", "-b", "main"); err != nil {
		return err
	}
	s.app = git.Open(r.AppRepo)
	history := []struct{ msg, file, body string }{
		{"feat(api): serve orders", "api/orders.go", "package api // orders\n"},
		{"docs: describe the orders API", "README.md", "# api\n"},
		{"fix(api): reject an empty cart\n\nAn empty cart used to create an order with no lines.", "api/cart.go", "package api // cart\n"},
	}
	for _, h := range history {
		if _, err := s.commit(alice, h.msg, map[string]string{h.file: h.body}); err != nil {
			return err
		}
	}
	if _, err := s.commit(alice, "chore(deploy): chart and Compose skeletons for self-hosters", deploySkeletons); err != nil {
		return err
	}
	// Its remote, where hotfix branches are pushed.
	bare := filepath.Join(r.Dir, "app.git")
	if _, err := run(r.Dir, nil, "git", "init", "-q", "--bare", "-b", "main", bare); err != nil {
		return err
	}
	if _, err := run(r.AppRepo, nil, "git", "remote", "add", "origin", bare); err != nil {
		return err
	}
	if _, err := run(r.AppRepo, nil, "git", "push", "-q", "origin", "main"); err != nil {
		return err
	}
	s.say("setup", "app", "app repository with %d Conventional Commits by %s; its remote is app.git", len(history), alice)
	return nil
}

// initGitOps creates the bare GitOps remote with one values file per environment.
func (s *story) initGitOps(ctx context.Context) error {
	r := s.res
	if _, err := run(r.Dir, nil, "git", "init", "-q", "--bare", "-b", "main", r.GitOps); err != nil {
		return err
	}
	seed := filepath.Join(r.Dir, "gitops-seed")
	if _, err := run(r.Dir, nil, "git", "clone", "-q", r.GitOps, seed); err != nil {
		return err
	}
	for _, env := range []string{"dev", "staging", "prod"} {
		p := filepath.Join(seed, "envs", env, service, "values.yaml")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(fmt.Sprintf(valuesTemplate, service, env, r.Image)), 0o644); err != nil {
			return err
		}
	}
	if _, err := run(seed, nil, "git", "add", "-A"); err != nil {
		return err
	}
	if _, err := run(seed, gitAs("platform@example.com"), "git", "commit", "-q", "-m", "chore: values for dev, staging and prod"); err != nil {
		return err
	}
	if _, err := run(seed, nil, "git", "push", "-q", "origin", "HEAD:main"); err != nil {
		return err
	}
	s.say("setup", "gitops.git", "bare GitOps remote with envs/{dev,staging,prod}/%s/values.yaml", service)
	return os.RemoveAll(seed)
}

const valuesTemplate = `# Helm values of %s in %s.
replicaCount: 2
image:
  repository: %s
  # Written by Slipway on promotion; everything else is edited by people.
  digest: ""
resources:
  limits: {cpu: 500m, memory: 256Mi}
`

const errorRateTemplate = `# The canary's error rate, as the demo runtime reports it.
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: error-rate
spec:
  args:
    - name: runtime
  metrics:
    - name: canary-error-rate
      interval: 500ms
      count: 4
      failureLimit: 1
      successCondition: result < 0.05
      provider:
        web:
          url: "{{args.runtime}}/stats?track=canary"
          jsonPath: "{$.errorRate}"
`

const configTemplate = `# slipway.yaml of the demo.
app:
  repo: app
gitops:
  remote: %[1]s
  branch: main
registry:
  insecure: true
platform: {name: acme, key: platform.key}
groups:
  sre: [bob@example.com, carol@example.com]
auth:
  roles:
    - {role: releaser, members: [alice@example.com]}
    - {role: approver, members: [sre, alice@example.com]}
services:
  - name: api
    image: %[2]s
    identities:
      - issuer: %[5]s
        subjectRegExp: ^https://github\.com/acme/api/\.github/workflows/
    trustedRoot: sigstore/trusted_root.json
    require: {sbom: spdx, provenance: true, tlog: true}
environments:
  - name: dev
    autoPromote: true
    promotion: direct
    pin: {file: "envs/{env}/{service}/values.yaml", path: image.digest}
  - name: staging
    autoPromote: true
    promotion: pull-request
    pin: {file: "envs/{env}/{service}/values.yaml", path: image.digest}
  - name: prod
    promotion: pull-request
    pin: {file: "envs/{env}/{service}/values.yaml", path: image.digest}
    gates:
      approvals: {required: 2, groups: [sre], expiresAfter: 72h}
      verifications: [e2e, load, soak]
      soak: 10m
      windows:
        - kind: allow
          schedule: "0 9 * * 1-5"
          duration: 8h
          timeZone: Europe/Berlin
          applications: ["*"]
    canary:
      rollout: {driver: webhook, url: "%[3]s"}
      templates: [analysis/error-rate.yaml]
      steps:
        - setWeight: 25
        - analysis: {templates: [{templateName: error-rate}], args: [{name: runtime, value: "%[4]s"}]}
        - setWeight: 50
        - analysis: {templates: [{templateName: error-rate}], args: [{name: runtime, value: "%[4]s"}]}
`
