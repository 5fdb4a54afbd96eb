package oci_test

import (
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/slipway/slipway/oci"
	"github.com/slipway/slipway/trust"
)

// cosignBinary finds a cosign to check interoperability with: $SLIPWAY_COSIGN
// or cosign on PATH. cosign is not packaged for Debian and takes minutes to
// build, so this test is opt-in and says so loudly when skipped.
func cosignBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("SLIPWAY_COSIGN"); p != "" {
		return p
	}
	p, err := exec.LookPath("cosign")
	if err != nil {
		t.Skip("\n\n*** SKIPPED: cosign interoperability test: no cosign on PATH and SLIPWAY_COSIGN unset (go install github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5) ***\n\n")
	}
	return p
}

func runCosign(t *testing.T, bin, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	// No password on test keys; no network beyond the loopback registry.
	cmd.Env = append(os.Environ(), "COSIGN_PASSWORD=", "COSIGN_YES=true", "HOME="+dir, "TUF_ROOT="+filepath.Join(dir, "tuf"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cosign %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestCosignInterop checks both directions against the real cosign CLI and
// the real registry server: cosign verifies what oci.Sign wrote, oci.Verify
// accepts what cosign signed with a cosign.pub it generated, and the bytes
// cosign stores for the payload are the bytes we sign.
func TestCosignInterop(t *testing.T) {
	bin := cosignBinary(t)
	srv := startDistribution(t)
	ctx := context.Background()
	dir := t.TempDir()
	repo := srv.Host + "/interop/app"

	// cosign verifies our signature.
	ours := pushImage(t, repo, "1.0.0")
	signer, pubPath := writeKeyPair(t, dir)
	if _, err := oci.Sign(ctx, ours, signer, oci.Options{}); err != nil {
		t.Fatal(err)
	}
	runCosign(t, bin, dir, "verify", "--key", pubPath, "--insecure-ignore-tlog=true", "--allow-http-registry", ours.String())

	// We verify cosign's signature, with the cosign.pub it generated.
	theirs := pushImage(t, repo, "2.0.0")
	runCosign(t, bin, dir, "generate-key-pair")
	runCosign(t, bin, dir, "sign", "--key", filepath.Join(dir, "cosign.key"), "--tlog-upload=false", "--allow-http-registry", theirs.String())
	policy, err := trust.LoadPolicy(filepath.Join(dir, "cosign.pub"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := oci.Verify(ctx, theirs, policy, oci.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v.Format != oci.FormatSimpleSigning || v.KeyID != policy.Keys[0].ID {
		t.Errorf("Verify of cosign's signature = %+v", v)
	}

	// The payload cosign signed is byte for byte the one we would sign, and
	// its signature manifest has the config ours has.
	want, err := oci.NewSimpleSigningPayload(theirs).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(want)
	if v.PayloadDigest != "sha256:"+hex.EncodeToString(sum[:]) {
		t.Errorf("cosign signed payload %s, we would sign %s:\n%s", v.PayloadDigest, "sha256:"+hex.EncodeToString(sum[:]), want)
	}
	cfgTheirs := signatureConfig(t, theirs)
	cfgOurs := signatureConfig(t, ours)
	if strip(cfgTheirs) != strip(cfgOurs) {
		t.Errorf("signature manifest configs differ beyond the payload digest:\ncosign: %s\nours:   %s", cfgTheirs, cfgOurs)
	}
}

func signatureConfig(t *testing.T, ref oci.Reference) string {
	t.Helper()
	tag, err := name.NewTag(ref.Repository + ":" + oci.SignatureTag(ref))
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(tag)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// strip removes the diff_ids, which name each image's own payload.
func strip(config string) string {
	i := strings.Index(config, `"diff_ids":[`)
	if i < 0 {
		return config
	}
	j := strings.Index(config[i:], "]")
	return config[:i] + config[i+j:]
}

// writeKeyPair makes a slipway.key / slipway.pub pair in dir and returns the
// signer and the public key's path.
func writeKeyPair(t *testing.T, dir string) (crypto.Signer, string) {
	t.Helper()
	priv, pub := filepath.Join(dir, "slipway.key"), filepath.Join(dir, "slipway.pub")
	if _, err := trust.WriteKeyPair(priv, pub); err != nil {
		t.Fatal(err)
	}
	signer, err := trust.LoadPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return signer, pub
}
