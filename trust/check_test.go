package trust_test

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/slipway/slipway/trust"
	"github.com/slipway/slipway/trust/sigstorelocal"
)

const (
	ghIssuer  = "https://token.actions.githubusercontent.com"
	ciSubject = "https://github.com/acme/api/.github/workflows/release.yml@refs/heads/main"
	statement = `{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"` + hex64 + `"}}],"predicateType":"https://sigstore.dev/cosign/sign/v1","predicate":{}}`
	hex64     = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
)

// sigstore starts an in-process Sigstore and loads its trusted root the
// way a service does: written to trusted_root.json and read back.
func sigstore(t *testing.T) (*sigstorelocal.Authority, trust.Policy) {
	t.Helper()
	a, err := sigstorelocal.New()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "trusted_root.json")
	if err := a.WriteTrustedRoot(path); err != nil {
		t.Fatal(err)
	}
	tr, err := trust.LoadTrustedRoot(path)
	if err != nil {
		t.Fatal(err)
	}
	id, err := trust.NewIdentity(ghIssuer, "", "", `^https://github\.com/acme/api/\.github/workflows/`)
	if err != nil {
		t.Fatal(err)
	}
	return a, trust.Policy{Identities: []trust.Identity{id}, TrustedRoot: tr, TrustedRootSource: path}
}

func dsseBundle(t *testing.T, m trust.SignatureMaker) *bundle.Bundle {
	t.Helper()
	mat, err := m.SignDSSE(context.Background(), "application/vnd.in-toto+json", []byte(statement))
	if err != nil {
		t.Fatal(err)
	}
	b, err := trust.NewBundle(mat)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func wantRule(t *testing.T, v *trust.Verified, rej *trust.Rejection, rule trust.Rule, text string) {
	t.Helper()
	if rej == nil {
		t.Fatalf("accepted (%+v), want refusal by %s", v, rule)
	}
	if rej.Rule != rule || !strings.Contains(rej.Reason, text) {
		t.Fatalf("refusal = %v, want rule %s mentioning %q", rej, rule, text)
	}
}

func TestKeylessBundle(t *testing.T) {
	a, policy := sigstore(t)
	withTlog := policy
	withTlog.RequireTlog = true

	// Logged and timestamped: accepted with and without the tlog rule.
	b := dsseBundle(t, a.Keyless(ciSubject, ghIssuer, sigstorelocal.Options{Tlog: true, Timestamp: true}))
	for _, p := range []trust.Policy{policy, withTlog} {
		v, rej := p.Check(b, nil)
		if rej != nil {
			t.Fatalf("RequireTlog=%v: %v", p.RequireTlog, rej)
		}
		if v.Signer.Subject != ciSubject || v.Signer.Issuer != ghIssuer || !v.Signer.Keyless() {
			t.Errorf("signer = %+v", v.Signer)
		}
		if len(v.Tlog) != 1 || v.Tlog[0].Kind != "dsse" || v.Tlog[0].LogID == "" || len(v.Tlog[0].LeafHash) != 64 {
			t.Errorf("tlog = %+v, want the one dsse entry", v.Tlog)
		}
	}

	// Timestamp only: enough for a certificate, unless the log is required.
	b = dsseBundle(t, a.Keyless(ciSubject, ghIssuer, sigstorelocal.Options{Timestamp: true}))
	if v, rej := policy.Check(b, nil); rej != nil || len(v.Tlog) != 0 || len(v.Times) != 1 {
		t.Fatalf("timestamped keyless: %+v, %v", v, rej)
	}
	v, rej := withTlog.Check(b, nil)
	wantRule(t, v, rej, trust.RuleTlogMissing, "has no transparency-log entry")

	// Neither: a certificate has no time at which it was valid.
	b = dsseBundle(t, a.Keyless(ciSubject, ghIssuer, sigstorelocal.Options{}))
	v, rej = policy.Check(b, nil)
	wantRule(t, v, rej, trust.RuleUntrustedCertificate, "does not verify against trusted root")
}

func TestKeylessIdentityRules(t *testing.T) {
	a, policy := sigstore(t)
	opts := sigstorelocal.Options{Tlog: true}

	v, rej := policy.Check(dsseBundle(t, a.Keyless("https://github.com/evil/api/.github/workflows/x.yml@refs/heads/main", ghIssuer, opts)), nil)
	wantRule(t, v, rej, trust.RuleIdentityMismatch, `subject "https://github.com/evil/api/`)

	v, rej = policy.Check(dsseBundle(t, a.Keyless(ciSubject, "https://accounts.google.com", opts)), nil)
	wantRule(t, v, rej, trust.RuleIssuerMismatch, `OIDC issuer "https://accounts.google.com"`)

	// A certificate with the right identity from another Sigstore.
	other, err := sigstorelocal.New()
	if err != nil {
		t.Fatal(err)
	}
	v, rej = policy.Check(dsseBundle(t, other.Keyless(ciSubject, ghIssuer, opts)), nil)
	wantRule(t, v, rej, trust.RuleUntrustedCertificate, "")

	// Keys only: a keyless signature is not enough.
	k, _ := trust.GenerateKey()
	pub, _ := trust.NewPublicKey(k.Public(), "cosign.pub")
	keysOnly := trust.Policy{Keys: []trust.PublicKey{pub}, TrustedRoot: policy.TrustedRoot}
	v, rej = keysOnly.Check(dsseBundle(t, a.Keyless(ciSubject, ghIssuer, opts)), nil)
	wantRule(t, v, rej, trust.RuleIssuerMismatch, "trusts keys only")
}

// tamper replaces the statement in a bundle, keeping its signature.
func tamper(t *testing.T, b *bundle.Bundle) *bundle.Bundle {
	t.Helper()
	env := b.GetDsseEnvelope()
	env.Payload = []byte(strings.Replace(string(env.Payload), hex64, strings.Repeat("f", 64), 1))
	return b
}

func TestTamperedPayload(t *testing.T) {
	a, policy := sigstore(t)
	v, rej := policy.Check(tamper(t, dsseBundle(t, a.Keyless(ciSubject, ghIssuer, sigstorelocal.Options{Timestamp: true}))), nil)
	wantRule(t, v, rej, trust.RuleTamperedPayload, "changed after signing")

	// A key bundle names its key in a hint: a changed payload is told apart
	// from a stranger's key.
	k, _ := trust.GenerateKey()
	keys := keyPolicy(t, k)
	v, rej = keys.Check(tamper(t, dsseBundle(t, trust.KeySigner(k))), nil)
	wantRule(t, v, rej, trust.RuleTamperedPayload, "says it is by cosign.pub")
}

func keyPolicy(t *testing.T, k crypto.Signer) trust.Policy {
	t.Helper()
	pub, err := trust.NewPublicKey(k.Public(), "cosign.pub")
	if err != nil {
		t.Fatal(err)
	}
	return trust.Policy{Keys: []trust.PublicKey{pub}}
}

func TestKeySignatures(t *testing.T) {
	k, _ := trust.GenerateKey()
	other, _ := trust.GenerateKey()
	policy := keyPolicy(t, k)

	v, rej := policy.Check(dsseBundle(t, trust.KeySigner(k)), nil)
	if rej != nil || v.Signer.KeyID != policy.Keys[0].ID || v.Signer.KeySource != "cosign.pub" {
		t.Fatalf("key bundle: %+v %v", v, rej)
	}
	v, rej = policy.Check(dsseBundle(t, trust.KeySigner(other)), nil)
	wantRule(t, v, rej, trust.RuleUntrustedKey, "not signed by a trusted key (trusted: cosign.pub")

	// A legacy message signature, no hint: verified with each trusted key.
	payload := []byte(`{"critical":{}}`)
	m, err := trust.KeySigner(k).SignMessage(context.Background(), payload)
	if err != nil {
		t.Fatal(err)
	}
	d, err := trust.NewDetached(trust.Detached{Payload: payload, Signature: m.Signature}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, rej := policy.Check(d, payload); rej != nil {
		t.Fatalf("legacy key signature: %v", rej)
	}
	if v, rej := policy.Check(d, []byte(`{"critical":{"x":1}}`)); rej == nil || rej.Rule != trust.RuleUntrustedKey {
		t.Fatalf("legacy key signature over other bytes: %+v %v", v, rej)
	}
}

func TestKeyWithTransparencyLog(t *testing.T) {
	a, keyless := sigstore(t)
	k, _ := trust.GenerateKey()
	policy := keyPolicy(t, k)
	policy.TrustedRoot, policy.RequireTlog = keyless.TrustedRoot, true

	v, rej := policy.Check(dsseBundle(t, a.Key(k, sigstorelocal.Options{Tlog: true})), nil)
	if rej != nil || len(v.Tlog) != 1 || v.Signer.KeyID != policy.Keys[0].ID {
		t.Fatalf("logged key signature: %+v %v", v, rej)
	}
	v, rej = policy.Check(dsseBundle(t, trust.KeySigner(k)), nil)
	wantRule(t, v, rej, trust.RuleTlogMissing, "has no transparency-log entry")

	// The log entry of another signature does not count for this one.
	logged, _ := a.Key(k, sigstorelocal.Options{Tlog: true}).SignDSSE(context.Background(), "application/vnd.in-toto+json", []byte(statement))
	unlogged, _ := trust.KeySigner(k).SignDSSE(context.Background(), "application/vnd.in-toto+json", []byte(statement))
	unlogged.Tlog = logged.Tlog
	b, err := trust.NewBundle(unlogged)
	if err != nil {
		t.Fatal(err)
	}
	v, rej = policy.Check(b, nil)
	wantRule(t, v, rej, trust.RuleTlogMissing, "does not verify")
}

// TestLegacyKeylessSignature checks cosign v2's keyless layer format: the
// certificate, the SET bundle and a message signature over the payload.
func TestLegacyKeylessSignature(t *testing.T) {
	a, policy := sigstore(t)
	policy.RequireTlog = true
	payload := []byte(`{"critical":{"identity":{"docker-reference":"r"}}}`)
	m, err := a.Keyless(ciSubject, ghIssuer, sigstorelocal.Options{Tlog: true}).SignMessage(context.Background(), payload)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := trust.NewRekorBundle(m.Tlog)
	if err != nil {
		t.Fatal(err)
	}
	// Through JSON, as it is stored in the annotation.
	raw, _ := json.Marshal(rb)
	var back trust.RekorBundle
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	d, err := trust.NewDetached(trust.Detached{Payload: payload, Signature: m.Signature, Certificate: m.Certificate}, &back)
	if err != nil {
		t.Fatal(err)
	}
	v, rej := policy.Check(d, payload)
	if rej != nil || len(v.Tlog) != 1 || v.Tlog[0].Kind != "hashedrekord" {
		t.Fatalf("legacy keyless: %+v %v", v, rej)
	}
	tampered := append([]byte{}, payload...)
	tampered[len(tampered)-3] = 'x'
	d2, _ := trust.NewDetached(trust.Detached{Payload: tampered, Signature: m.Signature, Certificate: m.Certificate}, &back)
	v, rej = policy.Check(d2, tampered)
	wantRule(t, v, rej, trust.RuleTamperedPayload, "changed after signing")
}

// TestLegacyAttestationEnvelope checks cosign v2's .att layer: a DSSE
// envelope with the certificate beside it.
func TestLegacyAttestationEnvelope(t *testing.T) {
	a, policy := sigstore(t)
	m, err := a.Keyless(ciSubject, ghIssuer, sigstorelocal.Options{Tlog: true}).SignDSSE(context.Background(), "application/vnd.in-toto+json", []byte(statement))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(m.Envelope)
	var env dsse.Envelope
	_ = json.Unmarshal(raw, &env)
	rb, _ := trust.NewRekorBundle(m.Tlog)
	d, err := trust.NewDetached(trust.Detached{Envelope: &env, Certificate: m.Certificate}, rb)
	if err != nil {
		t.Fatal(err)
	}
	if v, rej := policy.Check(d, nil); rej != nil || len(v.Tlog) != 1 {
		t.Fatalf("legacy attestation: %+v %v", v, rej)
	}
	env.Payload = base64.StdEncoding.EncodeToString([]byte(strings.Replace(statement, hex64, strings.Repeat("e", 64), 1)))
	v, rej := policy.Check(d, nil)
	wantRule(t, v, rej, trust.RuleTamperedPayload, "")
}

var _ verify.SignedEntity = (*trust.Detached)(nil)
