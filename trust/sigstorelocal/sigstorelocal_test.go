package sigstorelocal_test

import (
	"context"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/slipway/slipway/trust"
	"github.com/slipway/slipway/trust/sigstorelocal"
)

// TestBundleVerifiesWithSigstoreGo checks what the local Sigstore makes with
// sigstore-go's own verifier and identity policy, not with Slipway's
// checks: a trusted_root.json read back from JSON, a Rekor entry with both
// its SET and inclusion proof, a timestamp, and the certificate identity.
func TestBundleVerifiesWithSigstoreGo(t *testing.T) {
	a, err := sigstorelocal.New()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := a.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := root.NewTrustedRootFromJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	const subject, issuer = "https://github.com/acme/api/.github/workflows/release.yml@refs/heads/main", "https://token.actions.githubusercontent.com"
	m, err := a.Keyless(subject, issuer, sigstorelocal.Options{Tlog: true, Timestamp: true}).SignDSSE(context.Background(), "application/vnd.in-toto+json",
		[]byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"00"}}],"predicateType":"p","predicate":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	if m.Tlog.GetInclusionPromise() == nil || m.Tlog.GetInclusionProof() == nil || len(m.Timestamp) == 0 || len(m.Chain) != 2 {
		t.Fatalf("material lacks evidence: %+v", m)
	}
	b, err := trust.NewBundle(m)
	if err != nil {
		t.Fatal(err)
	}
	v, err := verify.NewVerifier(tr, verify.WithTransparencyLog(1), verify.WithSignedTimestamps(1), verify.WithIntegratedTimestamps(1))
	if err != nil {
		t.Fatal(err)
	}
	id, err := verify.NewShortCertificateIdentity(issuer, "", subject, "")
	if err != nil {
		t.Fatal(err)
	}
	res, err := v.Verify(b, verify.NewPolicy(verify.WithoutArtifactUnsafe(), verify.WithCertificateIdentity(id)))
	if err != nil {
		t.Fatalf("sigstore-go refuses the local Sigstore's bundle: %v", err)
	}
	if len(res.VerifiedTimestamps) != 2 {
		t.Errorf("verified timestamps = %+v, want the log's and the TSA's", res.VerifiedTimestamps)
	}
	other, _ := verify.NewShortCertificateIdentity(issuer, "", "https://github.com/evil/x", "")
	if _, err := v.Verify(b, verify.NewPolicy(verify.WithoutArtifactUnsafe(), verify.WithCertificateIdentity(other))); err == nil {
		t.Error("sigstore-go accepted the bundle for another identity")
	}
}
