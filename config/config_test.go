package config

import (
	"strings"
	"testing"

	"github.com/slipway/slipway/gitops"
)

const valid = `
gitops: {remote: ../gitops.git}
groups: {sre: [bob]}
services:
  - name: api
    image: ghcr.io/acme/api
    keys: [cosign.pub]
environments:
  - name: dev
    autoPromote: true
    pin: {file: "envs/{env}/{service}/values.yaml", path: image.digest}
  - name: prod
    promotion: pull-request
    pin: {file: "envs/{env}/{service}/values.yaml", path: image.digest}
    gates:
      approvals: {required: 2, groups: [sre], expiresAfter: 72h}
      verifications: [e2e]
      soak: 30m
`

func TestParseValidAppliesDefaults(t *testing.T) {
	c, err := Parse("/x/slipway.yaml", []byte(valid))
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Service("api")
	if err != nil {
		t.Fatal(err)
	}
	if s.TagFormat != "v{version}" || s.Preset != "release-please" || s.Application != "api" {
		t.Errorf("service defaults not applied: %+v", s)
	}
	prod, i, err := c.Environment("prod")
	if err != nil || i != 1 {
		t.Fatalf("prod: %v %d", err, i)
	}
	if prod.Gates.Approvals.ExpiresAfter.Hours() != 72 || prod.Gates.Soak.Minutes() != 30 {
		t.Errorf("durations: %+v", prod.Gates)
	}
	if !prod.RequireRelease() || c.Environments[0].RequireRelease() {
		t.Errorf("requireRelease default: later environments only")
	}
	if c.Previous("prod").Name != "dev" || c.Next("dev").Name != "prod" || c.Previous("dev") != nil {
		t.Error("environment order")
	}
	if c.Resolve("cosign.pub") != "/x/cosign.pub" {
		t.Errorf("resolve: %s", c.Resolve("cosign.pub"))
	}
	if !c.InGroup("bob", []string{"sre"}) || c.InGroup("alice", []string{"sre"}) {
		t.Error("groups")
	}
}

func TestParseErrorsNameFileLineAndField(t *testing.T) {
	cases := []struct {
		name, edit, want string
	}{
		{"unknown field", strings.Replace(valid, "autoPromote: true", "autoPromte: true", 1), "field autoPromte not found"},
		{"bad promotion", strings.Replace(valid, "promotion: pull-request", "promotion: pr", 1), "slipway.yaml:13: environments[1].promotion: \"pr\": use direct or pull-request"},
		{"bad duration", strings.Replace(valid, "soak: 30m", "soak: thirty", 1), "\"thirty\" is not a duration"},
		{"unknown group", strings.Replace(valid, "groups: [sre],", "groups: [ops],", 1), "group \"ops\" is not defined"},
		{"no keys", strings.Replace(valid, "keys: [cosign.pub]", "keys: []", 1), "trusts no signing key"},
		{"bad name", strings.Replace(valid, "name: api", "name: API", 1), "services[0].name: \"API\" is not a valid name"},
		{"image with digest", strings.Replace(valid, "ghcr.io/acme/api", "ghcr.io/acme/api@sha256:00", 1), "services[0].image"},
		{"gates on first env", strings.Replace(valid, "autoPromote: true", "autoPromote: true\n    gates: {soak: 5m}", 1), "the first environment has no previous one"},
		{"bad pin path", strings.Replace(valid, "path: image.digest}\n  - name: prod", "path: \"image[\"}\n  - name: prod", 1), "environments[0].pin"},
		{"rekor without a URL", "rekor: {url: rekor.example.com, publicKey: rekor.pub}\n" + valid, "slipway.yaml:1: rekor.url: \"rekor.example.com\" is not a Rekor URL"},
		{"rekor without its key", "rekor: {url: https://rekor.sigstore.dev}\n" + valid, "rekor.publicKey: the log's public key is required"},
		{"not yaml", "services: [", "slipway.yaml"},
		{"empty", "", "the file is empty"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("/x/slipway.yaml", []byte(tc.edit))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), "/x/slipway.yaml") {
				t.Errorf("error does not name the file: %v", err)
			}
		})
	}
}

func TestUnknownNamesListKnownOnes(t *testing.T) {
	c, err := Parse("/x/slipway.yaml", []byte(valid))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Service("web"); err == nil || !strings.Contains(err.Error(), "defines api") {
		t.Errorf("unknown service: %v", err)
	}
	if _, _, err := c.Environment("qa"); err == nil || !strings.Contains(err.Error(), "dev, prod") {
		t.Errorf("unknown env: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(valid))
	f.Add([]byte(trusted))
	f.Add([]byte("services: []\nenvironments: []"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("/f/slipway.yaml", data)
		if err == nil && (len(c.Services) == 0 || len(c.Environments) == 0) {
			t.Fatal("a config without services or environments was accepted")
		}
	})
}

const withPins = `
gitops: {remote: ../gitops.git}
services:
  - name: api
    image: ghcr.io/acme/api
    keys: [cosign.pub]
  - name: web
    image: ghcr.io/acme/web
    keys: [cosign.pub]
    pins:
      prod:
        - kind: kustomize
          file: "apps/{service}/overlays/{env}/kustomization.yaml"
environments:
  - name: dev
    pin: {file: "envs/{env}/{service}/values.yaml", path: image.digest}
  - name: prod
    promotion: pull-request
    pins:
      - kind: helm
        file: "envs/{env}/{service}/values.yaml"
        write: [tag, digest]
      - kind: argocd
        file: "apps/{env}/{service}.yaml"
        document: {name: api-prod}
        source: {chart: api}
        write: digest
`

// TestParsePins: pins: holds several pins of any kind, pin: is a
// one-element pins:, and a service's own pins replace the environment's.
func TestParsePins(t *testing.T) {
	c, err := Parse("/x/slipway.yaml", []byte(withPins))
	if err != nil {
		t.Fatal(err)
	}
	dev, prod := c.Environments[0], c.Environments[1]
	if len(dev.Pins) != 1 || dev.Pins[0].Path != "image.digest" {
		t.Errorf("pin: did not become a one-element pins: %+v", dev.Pins)
	}
	if len(prod.Pins) != 2 || prod.Pins[0].Kind != "helm" || prod.Pins[1].Kind != "argocd" {
		t.Fatalf("prod pins: %+v", prod.Pins)
	}
	if a, ok := prod.Pins[1].Spec.(*gitops.ArgoCD); !ok || a.Source == nil || a.Source.Chart != "api" {
		t.Errorf("argocd options not decoded: %#v", prod.Pins[1].Spec)
	}
	if !prod.Pin.IsZero() {
		t.Errorf("with two pins, Pin must stay empty so nothing reads only the first: %+v", prod.Pin)
	}
	api, err := c.PinSet("api", "prod")
	if err != nil || len(api) != 2 {
		t.Errorf("PinSet(api, prod) = %v, %v; want the environment's two pins", api, err)
	}
	web, err := c.PinSet("web", "prod")
	if err != nil || len(web) != 1 || web[0].Kind != "kustomize" {
		t.Errorf("PinSet(web, prod) = %v, %v; want the service's kustomize pin", web, err)
	}
	if webDev, _ := c.PinSet("web", "dev"); len(webDev) != 1 || webDev[0].Path != "image.digest" {
		t.Errorf("PinSet(web, dev) = %v; want the environment's pin", webDev)
	}
	if _, err := c.PinSet("api", "qa"); err == nil {
		t.Error("PinSet of an unknown environment succeeded")
	}
	one := strings.Replace(withPins, "    pin: {file: \"envs/{env}/{service}/values.yaml\", path: image.digest}", "    pins: [{file: \"envs/{env}/{service}/values.yaml\", path: image.digest}]", 1)
	c, err = Parse("/x/slipway.yaml", []byte(one))
	if err != nil {
		t.Fatal(err)
	}
	if c.Environments[0].Pin.Path != "image.digest" {
		t.Errorf("a one-element pins: must fill Pin for callers reading one pin: %+v", c.Environments[0].Pin)
	}
}

func TestParsePinErrors(t *testing.T) {
	cases := []struct{ name, old, new, want string }{
		{"pin and pins", "    promotion: pull-request\n", "    promotion: pull-request\n    pin: {file: x.yaml, path: a}\n",
			"slipway.yaml:20: environments[1].pins: pin: and pins: are both set"},
		{"unknown kind", "kind: helm", "kind: helmm", `line 20: pin kind "helmm" is unknown; use one of argocd, helm, kustomize, yaml`},
		{"key of another kind", "write: [tag, digest]", "path: image.digest", `line 22: pin key "path" is not a key of kind helm pins`},
		{"misspelt key", "source: {chart: api}", "sources: {chart: api}", `pin key "sources" is not a key of kind argocd pins`},
		{"bad write", "write: [tag, digest]", "write: [tag, digests]", `slipway.yaml:22: environments[1].pins[0].write: "digests" is not something this kind writes`},
		{"no digest written", "write: [tag, digest]", "write: [tag]", "environments[1].pins[0].write: the pin must write the digest"},
		{"bad helm option", "write: digest\n", "write: digest\n        helm: values\n", `slipway.yaml:28: environments[1].pins[1].helm: "values": write helm: parameters`},
		{"bad source", "source: {chart: api}", "source: {chart: api, index: 1}", "slipway.yaml:26: environments[1].pins[1].source: choose the source by index"},
		{"tagFormat without tag", "write: digest\n", "write: digest\n        tagFormat: v{version}\n", "environments[1].pins[1].tagFormat: the pin writes no tag"},
		{"bad tagFormat", "write: [tag, digest]", "write: [tag, digest]\n        tagFormat: \"{semver}\"", "environments[1].pins[0].tagFormat: tagFormat \"{semver}\" uses the unknown placeholder {semver}"},
		{"service pins for unknown env", "      prod:\n        - kind: kustomize", "      qa:\n        - kind: kustomize", "services[1].pins.qa: unknown environment \"qa\""},
		{"bad service pin", "          file: \"apps/{service}/overlays/{env}/kustomization.yaml\"", "          file: \"../{service}.yaml\"", "services[1].pins.prod[0].file: pin file \"../{service}.yaml\" renders to"},
		{"no pins", "    pin: {file: \"envs/{env}/{service}/values.yaml\", path: image.digest}\n", "", "environments[0].pins: the environment has no pins"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(withPins, tc.old) {
				t.Fatalf("fixture lacks %q", tc.old)
			}
			_, err := Parse("/x/slipway.yaml", []byte(strings.Replace(withPins, tc.old, tc.new, 1)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

// TestServicePinsMakeEnvironmentPinsOptional: an environment may omit
// pins when every service lists its own for it.
func TestServicePinsMakeEnvironmentPinsOptional(t *testing.T) {
	src := strings.Replace(withPins, "  - name: api\n    image: ghcr.io/acme/api\n    keys: [cosign.pub]\n",
		"  - name: api\n    image: ghcr.io/acme/api\n    keys: [cosign.pub]\n    pins: {prod: [{file: a.yaml, path: image.digest}]}\n", 1)
	start := strings.Index(src, "    pins:\n      - kind: helm")
	end := strings.Index(src, "        write: digest\n") + len("        write: digest\n")
	src = src[:start] + src[end:]
	c, err := Parse("/x/slipway.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if pins, _ := c.PinSet("api", "prod"); len(pins) != 1 || pins[0].File != "a.yaml" {
		t.Errorf("PinSet(api, prod) = %v", pins)
	}
}

// TestLintPreset: lint.preset names spec or commitlint-conventional; the
// spec preset's fields beside commitlint's would do nothing, so they are
// refused with the rules to use instead.
func TestLintPreset(t *testing.T) {
	for _, p := range []string{"", "spec", "commitlint-conventional"} {
		c, err := Parse("/x/slipway.yaml", []byte(valid+"lint: {preset: "+p+"}\n"))
		if err != nil {
			t.Errorf("preset %q: %v", p, err)
			continue
		}
		if c.Lint.Preset != p {
			t.Errorf("preset %q read as %q", p, c.Lint.Preset)
		}
	}
	cases := map[string]string{
		"lint: {preset: commitlint}\n":                                             `slipway.yaml:19: lint.preset: "commitlint" is not a lint preset: use spec (the default) or commitlint-conventional`,
		"lint: {preset: commitlint-conventional, types: [feat]}\n":                 "lint: types, scopes, requireScope and maxHeaderLength belong to the spec preset",
		"lint: {preset: commitlint-conventional, maxHeaderLength: 72}\n":           "header-max-length",
		"lint: {preset: spec, types: [feat], scopes: [api], requireScope: true}\n": "",
	}
	for add, want := range cases {
		_, err := Parse("/x/slipway.yaml", []byte(valid+add))
		if want == "" {
			if err != nil {
				t.Errorf("%s: %v", add, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", add, err, want)
		}
	}
}

// TestAppBranchesAndPolicy: the hotfix settings default to origin, main
// and hotfix/{service}/v{major}.{minor}; a bad pattern, branch, remote or
// deprecation window is refused at its line.
func TestAppBranchesAndPolicy(t *testing.T) {
	c, err := Parse("/x/slipway.yaml", []byte(valid))
	if err != nil {
		t.Fatal(err)
	}
	if c.App.Remote != "origin" || c.App.Branch != "main" || c.App.HotfixBranch != "hotfix/{service}/v{major}.{minor}" || !c.Policy.Window().IsZero() {
		t.Errorf("defaults: %+v %+v", c.App, c.Policy)
	}
	set, err := Parse("/x/slipway.yaml", []byte(valid+"app: {repo: app, remote: upstream, branch: trunk, hotfixBranch: \"release/{service}-{major}\"}\npolicy: {deprecationWindow: 2 minors}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if set.App.Remote != "upstream" || set.App.Branch != "trunk" || set.Policy.Window().Minors != 2 {
		t.Errorf("set: %+v %+v", set.App, set.Policy)
	}
	for add, want := range map[string]string{
		"policy: {deprecationWindow: soon}\n":         `slipway.yaml:19: policy.deprecationWindow: deprecation window "soon" does not start with a number`,
		"policy: {deprecationWindow: 90h}\n":          `has unit "h"`,
		"app: {hotfixBranch: \"hotfix/{service}\"}\n": "app.hotfixBranch: hotfix branch pattern \"hotfix/{service}\" must contain {major} once",
		"app: {branch: \"a..b\"}\n":                   "app.branch:",
		"app: {remote: \"-x\"}\n":                     "app.remote: \"-x\" is not a remote name",
		"policy: {window: 90d}\n":                     "field window not found",
	} {
		if _, err := Parse("/x/slipway.yaml", []byte(valid+add)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", add, err, want)
		}
	}
}

func TestRekorKeyIsRelativeToTheConfig(t *testing.T) {
	c, err := Parse("/x/slipway.yaml", []byte("rekor: {url: https://rekor.sigstore.dev, publicKey: keys/rekor.pub}\n"+valid))
	if err != nil {
		t.Fatal(err)
	}
	if c.Rekor.URL != "https://rekor.sigstore.dev" || c.Rekor.PublicKey != "/x/keys/rekor.pub" {
		t.Fatalf("rekor: %+v", c.Rekor)
	}
}
