package config

import (
	"reflect"
	"strings"
	"testing"
)

// trusted is valid with the whole supply-chain policy of issue 10.
const trusted = `
services:
  - name: api
    image: ghcr.io/acme/api
    keys: [keys/cosign.pub]
    identities:
      - issuer: https://token.actions.githubusercontent.com
        subjectRegExp: ^https://github.com/acme/api/\.github/workflows/
    trustedRoot: sigstore/trusted_root.json
    require:
      sbom: any
      provenance: true
      platforms: [linux/amd64, linux/arm64]
      tlog: true
environments:
  - name: dev
    pin: {file: "envs/{env}/{service}/values.yaml", path: image.digest}
`

func TestTrustPolicyParses(t *testing.T) {
	c, err := Parse("/x/slipway.yaml", []byte(trusted))
	if err != nil {
		t.Fatal(err)
	}
	s := c.Services[0]
	want := Service{
		Name: "api", Image: "ghcr.io/acme/api", TagFormat: "v{version}", Preset: "release-please", Application: "api",
		Keys:        []string{"keys/cosign.pub"},
		Identities:  []Identity{{Issuer: "https://token.actions.githubusercontent.com", SubjectRegExp: `^https://github.com/acme/api/\.github/workflows/`}},
		TrustedRoot: "sigstore/trusted_root.json",
		Require:     Require{SBOM: "any", Provenance: true, Platforms: []string{"linux/amd64", "linux/arm64"}, Tlog: true},
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("service =\n %+v\nwant\n %+v", s, want)
	}
}

func TestKeylessOnlyIsEnough(t *testing.T) {
	if _, err := Parse("/x/slipway.yaml", []byte(strings.Replace(trusted, "    keys: [keys/cosign.pub]\n", "", 1))); err != nil {
		t.Fatalf("a service with identities and no keys: %v", err)
	}
}

func TestTrustPolicyErrorsNameLineAndFix(t *testing.T) {
	cases := []struct{ name, edit, want string }{
		{"neither keys nor identities",
			strings.Replace(strings.Replace(trusted, "    keys: [keys/cosign.pub]\n", "", 1), "    identities:\n      - issuer: https://token.actions.githubusercontent.com\n        subjectRegExp: ^https://github.com/acme/api/\\.github/workflows/\n", "", 1),
			"slipway.yaml:3: services[0].keys: service \"api\" trusts no signing key and no keyless identity"},
		{"issuer missing", strings.Replace(trusted, "      - issuer: https://token.actions.githubusercontent.com\n        subjectRegExp", "      - subjectRegExp", 1),
			"slipway.yaml:7: services[0].identities[0].issuer: missing: give issuer (exact) or issuerRegExp"},
		{"both subject forms", strings.Replace(trusted, "        subjectRegExp:", "        subject: x\n        subjectRegExp:", 1),
			"slipway.yaml:9: services[0].identities[0].subjectRegExp: give subject or subjectRegExp, not both"},
		{"bad regexp", strings.Replace(trusted, `workflows/`, `workflows/(`, 1),
			"slipway.yaml:8: services[0].identities[0].subjectRegExp: \"^https://github.com/acme/api/\\\\.github/workflows/(\" is not a regular expression"},
		{"identities without root", strings.Replace(trusted, "    trustedRoot: sigstore/trusted_root.json\n", "", 1),
			"services[0].trustedRoot: keyless identities are verified against a Sigstore trusted root"},
		{"bad sbom", strings.Replace(trusted, "sbom: any", "sbom: syft", 1),
			"slipway.yaml:11: services[0].require.sbom: \"syft\": use spdx, cyclonedx or any"},
		{"bad platform", strings.Replace(trusted, "linux/arm64]", "arm64]", 1),
			"slipway.yaml:13: services[0].require.platforms[1]: \"arm64\" is not a platform"},
		{"platform twice", strings.Replace(trusted, "linux/arm64]", "linux/amd64]", 1),
			"services[0].require.platforms[1]: \"linux/amd64\" is listed twice"},
		{"unknown require field", strings.Replace(trusted, "tlog: true", "rekor: true", 1), "field rekor not found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("/x/slipway.yaml", []byte(tc.edit))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
	// tlog needs the log's keys: without identities, the root is still required.
	noRoot := strings.Replace(strings.Replace(trusted, "    trustedRoot: sigstore/trusted_root.json\n", "", 1), "    identities:\n      - issuer: https://token.actions.githubusercontent.com\n        subjectRegExp: ^https://github.com/acme/api/\\.github/workflows/\n", "", 1)
	if _, err := Parse("/x/slipway.yaml", []byte(noRoot)); err == nil || !strings.Contains(err.Error(), "slipway.yaml:10: services[0].require.tlog: transparency-log entries are verified") {
		t.Errorf("tlog without a trusted root: %v", err)
	}
}
