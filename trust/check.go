package trust

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"time"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"
)

// Signer is who made an accepted signature: a trusted key, or a keyless
// identity (the verified certificate's issuer and subject).
type Signer struct {
	KeyID     string // trust.KeyID of the key; empty for keyless
	KeySource string // where the key was loaded from
	Issuer    string // OIDC issuer of the certificate; empty for keys
	Subject   string // the certificate's subject (SAN)
}

// Keyless reports whether the signer is a certificate identity.
func (s Signer) Keyless() bool { return s.KeyID == "" }

// String is "key 1a2b3c4d5e6f (keys/cosign.pub)" or "subject from issuer".
func (s Signer) String() string {
	if s.Keyless() {
		return s.Subject + " from " + s.Issuer
	}
	return PublicKey{ID: s.KeyID, Source: s.KeySource}.String()
}

// TlogEntry is a verified transparency-log (Rekor) entry of a signature.
type TlogEntry struct {
	// LogID is the hex SHA-256 of the log's public key.
	LogID string
	// LogIndex is the entry's index in the log.
	LogIndex int64
	// IntegratedTime is when the log says it added the entry.
	IntegratedTime time.Time
	// Kind is the entry type, e.g. hashedrekord or dsse.
	Kind string
	// LeafHash is the hex RFC 6962 leaf hash of the entry body, the
	// entry's UUID in Rekor (without the tree-id prefix).
	LeafHash string
}

// Verified is what Check learnt about an accepted signature.
type Verified struct {
	Signer Signer
	// Tlog are the transparency-log entries that verified (none when the
	// policy neither requires nor was given any for a keyless signature).
	Tlog []TlogEntry
	// Times are the verified observer timestamps (RFC 3161 or log).
	Times []time.Time
}

// Check decides whether one signature (a Sigstore bundle or a Detached
// legacy signature) was made by a signer the policy trusts, with the
// transparency-log and timestamp evidence the policy asks for. artifact
// is the signed payload for a message signature, and nil for a DSSE
// envelope, whose statement's subject the caller checks.
//
// A refusal says which rule failed. It never looks at unauthenticated
// hints to accept a signature; they only sharpen the reason it gives.
func (p *Policy) Check(e verify.SignedEntity, artifact []byte) (*Verified, *Rejection) {
	vc, err := e.VerificationContent()
	if err != nil {
		return nil, reject(RuleUntrustedKey, "no key or certificate: %v", err)
	}
	if cert := vc.Certificate(); cert != nil {
		sum, err := certificate.SummarizeCertificate(cert)
		if err != nil {
			return nil, reject(RuleUntrustedCertificate, "certificate names no identity: %v", err)
		}
		return p.checkKeyless(e, Signer{Issuer: sum.Issuer, Subject: sum.SubjectAlternativeName}, artifact)
	}
	return p.checkKeys(e, vc, artifact)
}

func (p *Policy) checkKeyless(e verify.SignedEntity, who Signer, artifact []byte) (*Verified, *Rejection) {
	if len(p.Identities) == 0 {
		return nil, reject(RuleIssuerMismatch, "keyless signature by %s, but the service trusts keys only (%s)", who, p.Describe())
	}
	var byIssuer []Identity
	for _, id := range p.Identities {
		if id.MatchesIssuer(who.Issuer) {
			byIssuer = append(byIssuer, id)
		}
	}
	if len(byIssuer) == 0 {
		return nil, reject(RuleIssuerMismatch, "certificate of %q was issued for OIDC issuer %q, which no trusted identity names (trusted: %s)", who.Subject, who.Issuer, describeIdentities(p.Identities))
	}
	matched := false
	for _, id := range byIssuer {
		matched = matched || id.MatchesSubject(who.Subject)
	}
	if !matched {
		return nil, reject(RuleIdentityMismatch, "certificate subject %q (issuer %s) is not a trusted identity (trusted: %s)", who.Subject, who.Issuer, describeIdentities(byIssuer))
	}
	if p.TrustedRoot == nil {
		return nil, reject(RuleUntrustedCertificate, "keyless signature by %s, but the policy has no trusted root to verify its certificate", who)
	}
	entries, _ := e.TlogEntries()
	// A log entry that is present is verified even when not required, so
	// what is recorded about the signature is always true.
	withLog := p.RequireTlog || len(entries) > 0
	res, err := verifyEntity(e, p.TrustedRoot, artifact, keylessOptions(withLog))
	if err == nil {
		return verified(who, res, entries, withLog), nil
	}
	if p.RequireTlog && len(entries) == 0 {
		if _, err2 := verifyEntity(e, p.TrustedRoot, artifact, keylessOptions(false)); err2 == nil {
			return nil, reject(RuleTlogMissing, "signature by %s has no transparency-log entry, and the service requires one", who)
		}
	}
	if signatureOnly(e, p.TrustedRoot, artifact) != nil {
		return nil, reject(RuleTamperedPayload, "the certificate of %s is in the signature, but the signature does not verify over the stored content: it was changed after signing", who)
	}
	if cert := certOf(e); cert != nil {
		// The chain alone, at a moment the certificate itself claims: a
		// certificate from another CA fails here whatever its evidence.
		if _, cerr := verify.VerifyLeafCertificate(cert.NotBefore, cert, p.TrustedRoot); cerr != nil {
			return nil, reject(RuleUntrustedCertificate, "the certificate of %s was not issued by a certificate authority of %s: %v", who, p.rootName(), cerr)
		}
	}
	if withLog {
		if _, lerr := verify.VerifyTlogEntry(e, p.TrustedRoot, 1, true); lerr != nil {
			return nil, reject(RuleTlogMissing, "the transparency-log entry of the signature by %s does not verify against %s: %v", who, p.rootName(), lerr)
		}
	}
	return nil, reject(RuleUntrustedCertificate, "the certificate of %s does not verify against %s: %v", who, p.rootName(), err)
}

func (p *Policy) checkKeys(e verify.SignedEntity, vc verify.VerificationContent, artifact []byte) (*Verified, *Rejection) {
	if len(p.Keys) == 0 {
		return nil, reject(RuleUntrustedKey, "signed with a key, but the service trusts keyless identities only (%s)", describeIdentities(p.Identities))
	}
	entries, _ := e.TlogEntries()
	for _, k := range p.Keys {
		tm, err := p.keyMaterial(k)
		if err != nil {
			continue
		}
		opts := []verify.VerifierOption{verify.WithNoObserverTimestamps()}
		if p.RequireTlog {
			opts = []verify.VerifierOption{verify.WithTransparencyLog(1), verify.WithObserverTimestamps(1)}
		}
		res, err := verifyEntity(e, tm, artifact, opts)
		if err == nil {
			return verified(Signer{KeyID: k.ID, KeySource: k.Source}, res, entries, p.RequireTlog), nil
		}
	}
	for _, k := range p.Keys {
		tm, err := p.keyMaterial(k)
		if err != nil || signatureOnly(e, tm, artifact) != nil {
			continue
		}
		if len(entries) == 0 {
			return nil, reject(RuleTlogMissing, "signature by %s has no transparency-log entry, and the service requires one", k)
		}
		_, lerr := verify.VerifyTlogEntry(e, tm, 1, true)
		return nil, reject(RuleTlogMissing, "the transparency-log entry of the signature by %s does not verify against %s: %v", k, p.rootName(), lerr)
	}
	if pk := vc.PublicKey(); pk != nil {
		for _, k := range p.Keys {
			if hintNames(pk.Hint(), k) {
				return nil, reject(RuleTamperedPayload, "the signature says it is by %s, but it does not verify over the stored content: it was changed after signing", k)
			}
		}
	}
	return nil, reject(RuleUntrustedKey, "not signed by a trusted key (trusted: %s): it was made with another key, or its payload was changed after signing", p.Describe())
}

// keyMaterial is what sigstore-go verifies with for one trusted key: the
// key itself, whatever hint the signature carries (the hint is
// unauthenticated; cosign's verify --key ignores it too), plus the trusted
// root's logs when transparency-log entries are checked.
func (p *Policy) keyMaterial(k PublicKey) (root.TrustedMaterial, error) {
	sv, err := signature.LoadVerifier(k.Key, crypto.SHA256)
	if err != nil {
		return nil, err
	}
	km := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) {
		return root.NewExpiringKey(sv, time.Time{}, time.Time{}), nil
	})
	if p.TrustedRoot == nil {
		return km, nil
	}
	return root.TrustedMaterialCollection{km, p.TrustedRoot}, nil
}

func (p *Policy) rootName() string {
	if p.TrustedRootSource != "" {
		return "trusted root " + p.TrustedRootSource
	}
	return "the trusted root"
}

// keylessOptions: a certificate is only valid at a verified time, from an
// RFC 3161 timestamp or a log entry; withLog also requires a log entry.
func keylessOptions(withLog bool) []verify.VerifierOption {
	if withLog {
		return []verify.VerifierOption{verify.WithTransparencyLog(1), verify.WithObserverTimestamps(1)}
	}
	return []verify.VerifierOption{verify.WithObserverTimestamps(1)}
}

func verifyEntity(e verify.SignedEntity, tm root.TrustedMaterial, artifact []byte, opts []verify.VerifierOption) (*verify.VerificationResult, error) {
	// The predicate is read from the verified payload by the caller, so
	// sigstore-go need not build it (large SBOMs cost much to parse twice).
	v, err := verify.NewVerifier(tm, append(opts, verify.WithoutStatementPredicate())...)
	if err != nil {
		return nil, err
	}
	art := verify.WithoutArtifactUnsafe()
	if artifact != nil {
		art = verify.WithArtifact(bytes.NewReader(artifact))
	}
	return v.Verify(e, verify.NewPolicy(art, verify.WithoutIdentitiesUnsafe()))
}

// signatureOnly checks the signature bytes alone (no chain, log or time),
// to tell a changed payload from an untrusted signer.
func signatureOnly(e verify.SignedEntity, tm root.TrustedMaterial, artifact []byte) error {
	sc, err := e.SignatureContent()
	if err != nil {
		return err
	}
	vc, err := e.VerificationContent()
	if err != nil {
		return err
	}
	if artifact != nil {
		return verify.VerifySignatureWithArtifacts(sc, vc, tm, []io.Reader{bytes.NewReader(artifact)})
	}
	return verify.VerifySignature(sc, vc, tm)
}

func verified(who Signer, res *verify.VerificationResult, entries []*tlog.Entry, logChecked bool) *Verified {
	v := &Verified{Signer: who}
	for _, ts := range res.VerifiedTimestamps {
		v.Times = append(v.Times, ts.Timestamp)
	}
	if !logChecked {
		return v
	}
	for _, e := range entries {
		tle := e.TransparencyLogEntry()
		leaf := sha256.Sum256(append([]byte{0}, tle.GetCanonicalizedBody()...))
		v.Tlog = append(v.Tlog, TlogEntry{
			LogID:          hex.EncodeToString(tle.GetLogId().GetKeyId()),
			LogIndex:       e.LogIndex(),
			IntegratedTime: e.IntegratedTime(),
			Kind:           entryKind(tle.GetKindVersion().GetKind(), tle.GetCanonicalizedBody()),
			LeafHash:       hex.EncodeToString(leaf[:]),
		})
	}
	return v
}

// hintNames reports whether a bundle's key hint names k, in the forms
// signers write: hex or base64 of the SHA-256 of the DER public key.
func hintNames(hint string, k PublicKey) bool {
	if hint == "" {
		return false
	}
	raw, err := hex.DecodeString(k.ID)
	if err != nil {
		return false
	}
	return hint == k.ID || hint == base64.StdEncoding.EncodeToString(raw)
}

// entryKind is the log entry's type; legacy bundles do not record it
// beside the body, which names it.
func entryKind(kind string, body []byte) string {
	if kind != "" {
		return kind
	}
	var b struct {
		Kind string `json:"kind"`
	}
	_ = json.Unmarshal(body, &b)
	return b.Kind
}

func certOf(e verify.SignedEntity) *x509.Certificate {
	vc, err := e.VerificationContent()
	if err != nil {
		return nil
	}
	return vc.Certificate()
}
