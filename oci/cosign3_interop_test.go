package oci_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/slipway/slipway/oci"
	"github.com/slipway/slipway/trust"
)

// TestCosignV3BundleInterop checks cosign v3's Sigstore bundle format both
// ways against the real registry server (no referrers API, so the
// "sha256-<hex>" referrers tag is used): cosign v3 verifies what
// oci.SignBundle wrote, and oci.Verify accepts what cosign v3 signed.
// Opt-in: $SLIPWAY_COSIGN3 names a cosign v3 binary
// (go install github.com/sigstore/cosign/v3/cmd/cosign@v3.1.3).
func TestCosignV3BundleInterop(t *testing.T) {
	bin := os.Getenv("SLIPWAY_COSIGN3")
	if bin == "" {
		t.Skip("\n\n*** SKIPPED: cosign v3 bundle interoperability test: SLIPWAY_COSIGN3 unset (go install github.com/sigstore/cosign/v3/cmd/cosign@v3.1.3) ***\n\n")
	}
	srv := startDistribution(t)
	ctx := context.Background()
	dir := t.TempDir()
	repo := srv.Host + "/interop/v3"

	// cosign v3 verifies our bundle.
	ours := pushImage(t, repo, "1.0.0")
	signer, pubPath := writeKeyPair(t, dir)
	if _, err := oci.SignBundle(ctx, ours, signer, oci.Options{}); err != nil {
		t.Fatal(err)
	}
	runCosign(t, bin, dir, "verify", "--key", pubPath, "--insecure-ignore-tlog=true", "--allow-http-registry", ours.String())

	// We verify cosign v3's bundle, with the cosign.pub it generated.
	theirs := pushImage(t, repo, "2.0.0")
	runCosign(t, bin, dir, "generate-key-pair")
	runCosign(t, bin, dir, "sign", "--key", filepath.Join(dir, "cosign.key"), "--tlog-upload=false", "--use-signing-config=false", "--allow-http-registry", theirs.String())
	policy, err := trust.LoadPolicy(filepath.Join(dir, "cosign.pub"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := oci.Verify(ctx, theirs, policy, oci.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v.Format != oci.FormatSigstoreBundle || v.KeyID != policy.Keys[0].ID {
		t.Errorf("Verify of cosign v3's signature = %+v, want a bundle verified by %s", v, policy.Keys[0].ID)
	}
}
