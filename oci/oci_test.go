package oci_test

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/slipway/slipway/oci"
	"github.com/slipway/slipway/oci/ocilocal"
	"github.com/slipway/slipway/trust"
)

// startRegistry runs an in-process registry for one test.
func startRegistry(t *testing.T) *ocilocal.Registry {
	t.Helper()
	reg, err := ocilocal.Start(ocilocal.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := reg.Close(); err != nil {
			t.Errorf("close registry: %v", err)
		}
	})
	return reg
}

func pushImage(t *testing.T, repository, version string) oci.Reference {
	t.Helper()
	ref, err := ocilocal.Push(context.Background(), repository, ocilocal.Image{
		Files:  map[string]string{"app/version": version},
		Labels: map[string]string{"org.opencontainers.image.version": version},
	}, oci.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// newKey returns a fresh ECDSA P-256 signer and the policy trusting it.
func newKey(t *testing.T, source string) (crypto.Signer, trust.Policy) {
	t.Helper()
	k, err := trust.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k, policyFor(t, k, source)
}

func policyFor(t *testing.T, k crypto.Signer, source string) trust.Policy {
	t.Helper()
	pub, err := trust.NewPublicKey(k.Public(), source)
	if err != nil {
		t.Fatal(err)
	}
	return trust.Policy{Keys: []trust.PublicKey{pub}}
}

func TestSignThenVerify(t *testing.T) {
	ctx := context.Background()
	reg := startRegistry(t)
	ref := pushImage(t, reg.Repository("team/api"), "1.0.0")

	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, _ := newKey(t, "")
	for _, tc := range []struct {
		name   string
		signer crypto.Signer
	}{
		{"ecdsa-p256", ecKey},
		{"ed25519", ed},
		{"rsa-2048", rsaKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			policy := policyFor(t, tc.signer, tc.name+".pub")
			signed, err := oci.Sign(ctx, ref, tc.signer, oci.Options{})
			if err != nil {
				t.Fatal(err)
			}
			v, err := oci.Verify(ctx, ref, policy, oci.Options{})
			if err != nil {
				t.Fatal(err)
			}
			want := oci.Verification{
				Ref:               ref,
				Format:            oci.FormatSimpleSigning,
				KeyID:             policy.Keys[0].ID,
				KeySource:         tc.name + ".pub",
				PayloadDigest:     signed.PayloadDigest,
				SignatureManifest: signed.Manifest,
			}
			if v != want {
				t.Errorf("Verify =\n %+v\nwant\n %+v", v, want)
			}
		})
	}
}

func TestSignAppendsAndDeduplicates(t *testing.T) {
	ctx := context.Background()
	reg := startRegistry(t)
	ref := pushImage(t, reg.Repository("team/api"), "1.0.0")
	k1, p1 := newKey(t, "k1.pub")
	k2, p2 := newKey(t, "k2.pub")

	first, err := oci.Sign(ctx, ref, k1, oci.Options{})
	if err != nil {
		t.Fatal(err)
	}
	again, err := oci.Sign(ctx, ref, k1, oci.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !again.AlreadySigned || again.Manifest != first.Manifest {
		t.Errorf("re-signing with the same key wrote a new signature: %+v after %+v", again, first)
	}
	second, err := oci.Sign(ctx, ref, k2, oci.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if second.AlreadySigned || second.Manifest == first.Manifest {
		t.Errorf("signing with a second key did not append: %+v", second)
	}
	if n := layerCount(t, ref); n != 2 {
		t.Errorf("signature manifest has %d layers, want 2 (one per key)", n)
	}
	// Both keys' signatures remain verifiable.
	for _, p := range []trust.Policy{p1, p2} {
		v, err := oci.Verify(ctx, ref, p, oci.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if v.KeyID != p.Keys[0].ID {
			t.Errorf("verified with key %s, want %s", v.KeyID, p.Keys[0].ID)
		}
	}
}

func layerCount(t *testing.T, ref oci.Reference) int {
	t.Helper()
	tag, err := name.NewTag(ref.Repository + ":" + oci.SignatureTag(ref))
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(tag)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	return len(layers)
}

func TestVerifyRefuses(t *testing.T) {
	ctx := context.Background()
	reg := startRegistry(t)
	repo := reg.Repository("team/api")
	signer, policy := newKey(t, "keys/api.pub")
	_, otherPolicy := newKey(t, "keys/other.pub")

	unsigned := pushImage(t, repo, "1.0.0")
	signed := pushImage(t, repo, "1.1.0")
	if _, err := oci.Sign(ctx, signed, signer, oci.Options{}); err != nil {
		t.Fatal(err)
	}
	// A signature made for `signed`, copied under the tag of `copied`: the
	// signature itself verifies, but its payload names another digest.
	copied := pushImage(t, repo, "1.2.0")
	copySignature(t, signed, copied)
	missing, err := oci.ParseReference(repo + "@sha256:" + strings.Repeat("ab", 32))
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name     string
		ref      oci.Reference
		policy   trust.Policy
		want     error
		mentions []string
	}{
		{"unsigned", unsigned, policy, oci.ErrUnsigned, []string{unsigned.String(), oci.SignatureTag(unsigned), "cosign sign --key"}},
		{"wrong key", signed, otherPolicy, oci.ErrUntrusted, []string{signed.String(), "keys/other.pub", "not signed by a trusted key", "cosign sign --key"}},
		{"copied signature", copied, policy, oci.ErrUntrusted, []string{copied.String(), "for another image (" + signed.Digest + ")"}},
		{"unknown digest", missing, policy, oci.ErrNotFound, []string{missing.String(), reg.Host, "push it first"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := oci.Verify(ctx, tc.ref, tc.policy, oci.Options{})
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify error = %v, want %v", err, tc.want)
			}
			for _, m := range tc.mentions {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
		})
	}
}

// copySignature writes from's signature manifest under to's signature tag.
func copySignature(t *testing.T, from, to oci.Reference) {
	t.Helper()
	copyManifest(t, from.Repository+":"+oci.SignatureTag(from), to.Repository+":"+oci.SignatureTag(to))
}

// copyManifest copies the image named by src (a tag or digest reference)
// to dst, as anyone who can push can.
func copyManifest(t *testing.T, src, dst string) {
	t.Helper()
	from, err := name.ParseReference(src)
	if err != nil {
		t.Fatal(err)
	}
	to, err := name.ParseReference(dst)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(to, img); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyNeedsKeys(t *testing.T) {
	ref, _ := oci.ParseReference("127.0.0.1:1/a@sha256:" + strings.Repeat("0", 64))
	if _, err := oci.Verify(context.Background(), ref, trust.Policy{}, oci.Options{}); err == nil || !strings.Contains(err.Error(), "no public keys") {
		t.Fatalf("Verify with an empty policy = %v, want an error about missing keys", err)
	}
}

func TestSignUnknownDigest(t *testing.T) {
	reg := startRegistry(t)
	signer, _ := newKey(t, "")
	ref, _ := oci.ParseReference(reg.Repository("a") + "@sha256:" + strings.Repeat("0", 64))
	_, err := oci.Sign(context.Background(), ref, signer, oci.Options{})
	if !errors.Is(err, oci.ErrNotFound) {
		t.Fatalf("Sign of an unknown digest = %v, want ErrNotFound", err)
	}
}
