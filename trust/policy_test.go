package trust_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway/slipway/config"
	"github.com/slipway/slipway/trust"
	"github.com/slipway/slipway/trust/sigstorelocal"
)

// loadService writes slipway.yaml with one service (its body given) into
// dir and loads that service's policy.
func loadService(t *testing.T, dir, body string) (*trust.ServicePolicy, error) {
	t.Helper()
	yaml := "services:\n  - name: api\n" + body + "environments:\n  - name: dev\n    pin: {file: a.yaml, path: image.digest}\n"
	path := filepath.Join(dir, "slipway.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return trust.ForService(c, &c.Services[0])
}

func TestForService(t *testing.T) {
	dir := t.TempDir()
	if _, err := trust.WriteKeyPair(filepath.Join(dir, "cosign.key"), filepath.Join(dir, "cosign.pub")); err != nil {
		t.Fatal(err)
	}
	a, err := sigstorelocal.New()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.WriteTrustedRoot(filepath.Join(dir, "root.json")); err != nil {
		t.Fatal(err)
	}
	sp, err := loadService(t, dir, `    image: alpine
    keys: [cosign.pub]
    identities: [{issuerRegExp: "^https://token\\.actions\\.githubusercontent\\.com$", subject: "https://github.com/acme/api/.github/workflows/release.yml@refs/heads/main"}]
    trustedRoot: root.json
    require: {sbom: spdx, provenance: true, platforms: [linux/amd64], tlog: true}
`)
	if err != nil {
		t.Fatal(err)
	}
	if sp.Service != "api" || sp.Repository != "index.docker.io/library/alpine" {
		t.Errorf("service %q repository %q, want api and the normalized index.docker.io/library/alpine", sp.Service, sp.Repository)
	}
	p := sp.Signers
	if len(p.Keys) != 1 || p.Keys[0].Source != filepath.Join(dir, "cosign.pub") || len(p.Identities) != 1 || p.TrustedRoot == nil || !p.RequireTlog {
		t.Errorf("signers = %+v", p)
	}
	if id := p.Identities[0]; !id.MatchesIssuer("https://token.actions.githubusercontent.com") || id.MatchesIssuer("https://token.actions.githubusercontent.com.evil") ||
		!id.MatchesSubject("https://github.com/acme/api/.github/workflows/release.yml@refs/heads/main") || id.MatchesSubject("https://github.com/acme/api/.github/workflows/other.yml@refs/heads/main") {
		t.Errorf("identity %s matches the wrong things", id)
	}
	if r := sp.Require; r.SBOM != trust.SBOMSPDX || !r.Provenance || len(r.Platforms) != 1 {
		t.Errorf("require = %+v", r)
	}

	if err := os.WriteFile(filepath.Join(dir, "garbled.json"), []byte(`{"mediaType":"x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, body, want string }{
		{"missing key", "    image: r.example/api\n    keys: [nope.pub]\n", "service api: public key " + filepath.Join(dir, "nope.pub") + " does not exist"},
		{"missing root", "    image: r.example/api\n    keys: [cosign.pub]\n    trustedRoot: nope.json\n", "trusted root " + filepath.Join(dir, "nope.json") + " does not exist: download Sigstore's"},
		{"garbled root", "    image: r.example/api\n    keys: [cosign.pub]\n    trustedRoot: garbled.json\n", "garbled.json is not a Sigstore trusted_root.json"},
		{"private key listed", "    image: r.example/api\n    keys: [cosign.key]\n", "this is a private key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := loadService(t, dir, tc.body); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestIdentityNeedsBothParts(t *testing.T) {
	for _, tc := range [][4]string{
		{"", "", "s", ""},
		{"i", "", "", ""},
		{"i", "i", "s", ""},
		{"i", "", "s", "("},
	} {
		if _, err := trust.NewIdentity(tc[0], tc[1], tc[2], tc[3]); err == nil {
			t.Errorf("NewIdentity%q accepted", tc)
		}
	}
}
