package config

import (
	"strings"
	"testing"
)

const withPlatform = `
gitops: {remote: ../gitops.git}
services:
  - name: api
    image: ghcr.io/acme/api
    keys: [cosign.pub]
    labels: {tier: backend, acme.io/team: core}
  - name: web
    image: ghcr.io/acme/web
    keys: [cosign.pub]
    labels: {tier: frontend}
environments:
  - name: prod
    pin: {file: "envs/{env}/{service}/values.yaml", path: image.digest}
platform:
  name: acme
  key: keys/platform.key
  rollout:
    steps:
      - matchExpressions: [{key: tier, operator: In, values: [backend]}]
      - matchExpressions: [{key: tier, operator: Exists}]
        maxUpdate: 50%
`

func TestPlatformBlock(t *testing.T) {
	c, err := Parse("/x/slipway.yaml", []byte(withPlatform))
	if err != nil {
		t.Fatal(err)
	}
	p := c.Platform
	if p.Name != "acme" || c.Resolve(p.Key) != "/x/keys/platform.key" || p.Rollout.RollbackOnFailure != "wave" || len(p.Rollout.Steps) != 2 || p.Rollout.Steps[1].MaxUpdate.String() != "50%" {
		t.Fatalf("platform block: %+v", p)
	}
	if s, _ := c.Service("api"); s.Labels["acme.io/team"] != "core" {
		t.Errorf("labels: %+v", s.Labels)
	}
}

// TestPlatformErrors: each mistake is named at its line with the fix.
func TestPlatformErrors(t *testing.T) {
	for _, tc := range []struct{ from, to, want string }{
		{"operator: Exists}]", "operator: Exist}]", `slipway.yaml:21: platform.rollout.steps[1].matchExpressions[0]: operator: "Exist": use In, NotIn, Exists or DoesNotExist`},
		{"values: [backend]}]", "values: []}]", `slipway.yaml:20: platform.rollout.steps[0].matchExpressions[0]: values: In needs at least one value`},
		{"maxUpdate: 50%", `maxUpdate: "5"`, `line 22: maxUpdate: "5": a string must be a percentage`},
		{"name: acme", "name: Acme", `slipway.yaml:16: platform.name: "Acme" is not a valid name`},
		{"  name: acme\n", "", `platform.name: missing: name the platform`},
		{"  rollout:\n", "  rollout:\n    rollbackOnFailure: some\n", `platform.rollout.rollbackOnFailure: "some": write wave`},
		{"tier: frontend}", "tier: front end}", `slipway.yaml:11: services[1].labels.tier: "front end" is not a label value`},
		{"acme.io/team: core", "-team: core", `services[0].labels.-team: "-team" is not a label key`},
	} {
		src := strings.Replace(withPlatform, tc.from, tc.to, 1)
		_, err := Parse("/x/slipway.yaml", []byte(src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s -> %s: got %v\nwant %s", tc.from, tc.to, err, tc.want)
		}
	}
}
