package config

import (
	"strings"
	"testing"
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
