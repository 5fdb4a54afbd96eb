package oci_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/slipway/slipway/oci"
	"github.com/slipway/slipway/oci/ocilocal"
)

// startDistribution runs the real registry server (Debian's docker-registry)
// for one test, or skips loudly when it is not installed.
func startDistribution(t *testing.T) *ocilocal.Server {
	t.Helper()
	if _, err := os.Stat(ocilocal.DistributionBinary); err != nil {
		t.Skipf("\n\n*** SKIPPED: real registry integration test: %s not found (apt-get install docker-registry) ***\n\n", ocilocal.DistributionBinary)
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
	return srv
}

// TestRealRegistry runs intake end to end against the distribution registry
// server, which has no referrers API: signatures live under tags only.
// TestIntakeRealRegistry is the intake suite on the real registry server.
func TestIntakeRealRegistry(t *testing.T) {
	intakeSuite(t, startDistribution(t).Host)
}

func TestRealRegistry(t *testing.T) {
	srv := startDistribution(t)
	ctx := context.Background()
	repo := srv.Host + "/team/web"
	signer, policy := newKey(t, "web.pub")
	_, otherPolicy := newKey(t, "other.pub")

	ref, err := ocilocal.PushIndex(ctx, repo, ocilocal.Image{Tag: "1.0.0", Labels: map[string]string{"org.opencontainers.image.version": "1.0.0"}}, nil, oci.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := oci.Resolve(ctx, ref, oci.Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantPlatforms := []oci.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}}
	if !d.IsIndex || !reflect.DeepEqual(d.Platforms, wantPlatforms) {
		t.Errorf("Resolve = %+v, want an index of %v", d, wantPlatforms)
	}

	if _, err := oci.Verify(ctx, ref, policy, oci.Options{}); !errors.Is(err, oci.ErrUnsigned) {
		t.Fatalf("Verify before signing = %v, want ErrUnsigned", err)
	}
	signed, err := oci.Sign(ctx, ref, signer, oci.Options{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := oci.Verify(ctx, ref, policy, oci.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v.KeyID != policy.Keys[0].ID || v.SignatureManifest != signed.Manifest || v.Format != oci.FormatSimpleSigning {
		t.Errorf("Verify = %+v after Sign = %+v", v, signed)
	}
	if _, err := oci.Verify(ctx, ref, otherPolicy, oci.Options{}); !errors.Is(err, oci.ErrUntrusted) {
		t.Errorf("Verify with another key = %v, want ErrUntrusted", err)
	}
	missing, _ := oci.ParseReference(repo + "@sha256:" + strings.Repeat("1", 64))
	if _, err := oci.Resolve(ctx, missing, oci.Options{}); !errors.Is(err, oci.ErrNotFound) {
		t.Errorf("Resolve of an unknown digest = %v, want ErrNotFound", err)
	}

	// cosign v3's bundle format, through the referrers tag fallback (this
	// registry has no referrers API).
	bundleSigner, bundlePolicy := newKey(t, "web-v3.pub")
	bundled, err := oci.SignBundle(ctx, ref, bundleSigner, oci.Options{})
	if err != nil {
		t.Fatal(err)
	}
	v, err = oci.Verify(ctx, ref, bundlePolicy, oci.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v.Format != oci.FormatSigstoreBundle || v.SignatureManifest != bundled.Manifest {
		t.Errorf("Verify of the bundle = %+v after SignBundle = %+v", v, bundled)
	}
	if !hasFallbackTag(t, ref) {
		t.Error("no referrers tag sha256-<hex> after SignBundle on a registry without the referrers API")
	}

	// A second, independent client sees the signature where cosign looks.
	if skopeo, err := exec.LookPath("skopeo"); err == nil {
		out, err := exec.Command(skopeo, "inspect", "--raw", "--tls-verify=false", "docker://"+repo+":"+oci.SignatureTag(ref)).CombinedOutput()
		if err != nil || !strings.Contains(string(out), oci.SimpleSigningMediaType) {
			t.Errorf("skopeo inspect of the signature tag: %v\n%s", err, out)
		}
	}
}
