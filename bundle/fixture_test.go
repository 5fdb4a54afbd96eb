package bundle_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/bundle"
	"github.com/slipway/slipway/bundle/bundletest"
	"github.com/slipway/slipway/oci"
	"github.com/slipway/slipway/oci/ocilocal"
	"github.com/slipway/slipway/platform"
	"github.com/slipway/slipway/trust"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// fixture is a sample platform: signed multi-arch images in a registry,
// the sample app repository, and the keys.
type fixture struct {
	ctx     context.Context
	host    string
	signer  *ecdsa.PrivateKey
	policy  trust.Policy
	pubPath string
	app     string
	images  map[string]platform.Component // by component, latest pushed
}

var created = time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)

// inProcessRegistry starts go-containerregistry's registry for one test.
func inProcessRegistry(t testing.TB) string {
	t.Helper()
	reg, err := ocilocal.Start(ocilocal.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Close() })
	return reg.Host
}

// realRegistry runs Debian's docker-registry (CNCF distribution 2.8) for
// one test, or skips loudly when it is not installed.
func realRegistry(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(ocilocal.DistributionBinary); err != nil {
		t.Skipf("\n\n*** SKIPPED: real registry test: %s not found (apt-get install docker-registry) ***\n\n", ocilocal.DistributionBinary)
	}
	srv, err := ocilocal.StartDistribution(context.Background(), ocilocal.DistributionBinary, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("registry output:\n%s", srv.Output())
		}
		if err := srv.Close(); err != nil {
			t.Errorf("stop registry: %v", err)
		}
	})
	return srv.Host
}

func newFixture(t testing.TB, host string) *fixture {
	t.Helper()
	dir := t.TempDir()
	pub := filepath.Join(dir, "slipway.pub")
	if _, err := trust.WriteKeyPair(filepath.Join(dir, "slipway.key"), pub); err != nil {
		t.Fatal(err)
	}
	signer, err := trust.LoadPrivateKey(filepath.Join(dir, "slipway.key"))
	if err != nil {
		t.Fatal(err)
	}
	policy, err := trust.LoadPolicy(pub)
	if err != nil {
		t.Fatal(err)
	}
	app := filepath.Join(dir, "app")
	if err := bundletest.WriteApp(app); err != nil {
		t.Fatal(err)
	}
	return &fixture{ctx: context.Background(), host: host, signer: signer.(*ecdsa.PrivateKey), policy: policy, pubPath: pub, app: app, images: map[string]platform.Component{}}
}

var bothPlatforms = []string{"linux/amd64", "linux/arm64"}

// push pushes and signs one component version.
func (f *fixture) push(t testing.TB, comp, version string, platforms []string) platform.Component {
	t.Helper()
	c, err := bundletest.PushComponent(f.ctx, f.host+"/acme/"+comp, version, platforms, f.signer, oci.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.images[comp] = c
	return c
}

const apiNotes = `## [2.3.0](https://example.com/compare/api/v2.2.0...api/v2.3.0) (2026-11-27)


### ⚠ BREAKING CHANGES

* **orders:** the v1 orders endpoint is gone; call /v2/orders

### Deprecations

* **orders:** the ` + "`status`" + ` field; read ` + "`state`" + `

### Features

* **orders:** v2 endpoint ([abc1234](https://example.com/c/abc1234))

### Bug Fixes

* keep the cart when the session renews
`

// manifest pushes the three sample components and returns platform 1.4.0.
func (f *fixture) manifest(t testing.TB) *platform.Manifest {
	t.Helper()
	api := f.push(t, "api", "2.3.0", bothPlatforms)
	api.Notes = apiNotes
	web := f.push(t, "web", "3.0.2", bothPlatforms)
	web.Notes = "### Bug Fixes\n\n* **ui:** no flicker on load\n"
	search := f.push(t, "search", "1.0.0", bothPlatforms)
	m, err := bundletest.Manifest("acme", "1.4.0", created, api, web, search)
	if err != nil {
		t.Fatal(err)
	}
	m.Platforms = bothPlatforms
	return m
}

func (f *fixture) options(m *platform.Manifest, out string) bundle.Options {
	return bundle.Options{
		Manifest: m,
		AppDir:   f.app,
		OutDir:   out,
		Signer:   f.signer,
		ImagePolicy: func(string) (trust.Policy, error) {
			return f.policy, nil
		},
	}
}

func (f *fixture) build(t testing.TB, opts bundle.Options) *bundle.Result {
	t.Helper()
	res, err := bundle.Build(f.ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// golden compares got with testdata/name after replacing the registry
// host (a random port) with REGISTRY.
func (f *fixture) golden(t *testing.T, name string, got []byte) {
	t.Helper()
	text := strings.ReplaceAll(string(got), f.host, "REGISTRY")
	text = strings.ReplaceAll(text, f.policy.Keys[0].ID, "KEYID")
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if text != string(want) {
		t.Errorf("%s differs from %s (run go test -update after checking the change):\n%s", name, path, text)
	}
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func run(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
