package oci

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/slipway/slipway/trust"
)

// An attestation (here an SPDX SBOM statement) signed by the trusted key is
// stored exactly like a cosign v3 signature, but it is not one: it must not
// make an image count as signed.
func TestBundleAttestationIsNotASignature(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	ref, err := ParseReference(host + "/team/api@" + d.String())
	if err != nil {
		t.Fatal(err)
	}
	dn, _ := name.NewDigest(ref.String())
	if err := remote.Write(dn, img); err != nil {
		t.Fatal(err)
	}
	key, err := trust.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := trust.NewPublicKey(key.Public(), "api.pub")
	policy := trust.Policy{Keys: []trust.PublicKey{pub}}

	if _, err := Attest(context.Background(), ref, trust.KeySigner(key), PredicateSPDX, map[string]any{"spdxVersion": "SPDX-2.3"}, AttestOptions{Format: FormatSigstoreBundle}); err != nil {
		t.Fatal(err)
	}
	_, err = Verify(context.Background(), ref, policy, Options{})
	if !errors.Is(err, ErrUnsigned) || !strings.Contains(err.Error(), "its 1 attestation(s) are not signatures") {
		t.Fatalf("Verify of an image with only an SBOM attestation = %v, want ErrUnsigned saying the attestation is not a signature", err)
	}
}

// FuzzVerifyBundle: bundle bytes come from the registry, i.e. from anyone
// who can push. Parsing and checking them must never panic, and nothing
// but a real signature by the key may verify.
func FuzzVerifyBundle(f *testing.F) {
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`))
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"x"}},"dsseEnvelope":{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"MEUCIQ=="}]}}`))
	f.Add([]byte(`[]`))
	key, err := trust.GenerateKey()
	if err != nil {
		f.Fatal(err)
	}
	pub, _ := trust.NewPublicKey(key.Public(), "k.pub")
	policy := &trust.ServicePolicy{Repository: "r.example/a", Signers: trust.Policy{Keys: []trust.PublicKey{pub}}}
	ref, _ := ParseReference("r.example/a@sha256:" + strings.Repeat("0", 64))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, payload, err := parseBundle(data)
		if err != nil {
			return
		}
		c := candidate{format: FormatSigstoreBundle, entity: b, payload: payload}
		if ev, _ := checkSignature(c, policy, ref); ev != nil {
			t.Fatalf("random bytes verified: %q", data)
		}
	})
}
