package oci

import (
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/slipway/slipway/trust"
)

// Evidence is an accepted signature or attestation: who signed it, in
// which format, and where its bytes are.
type Evidence struct {
	Format Format
	// Signer is the trusted key or keyless identity that signed it.
	Signer trust.Signer
	// PayloadDigest is "sha256:<hex>" of the signed payload: the
	// simple-signing JSON or the in-toto statement (for an SBOM, the
	// statement that carries it).
	PayloadDigest string
	// Manifest is the digest of the manifest that stores it (the .sig or
	// .att image, or the bundle's artifact manifest): the signature's
	// digest in audit records.
	Manifest string
	// Blob is the digest of the layer that holds it.
	Blob string
	// Tlog are its verified transparency-log (Rekor) entries.
	Tlog []trust.TlogEntry
	// Times are its verified timestamps (RFC 3161 or log integration).
	Times []time.Time
	// Where names it for people: tag and layer, or bundle digest.
	Where string
	// Signature is the raw signature of a message signature (simple
	// signing) and SignedSHA256 the SHA-256 of the bytes it signs: with
	// the key, what a Rekor hashedrekord entry records. Nil for DSSE.
	Signature, SignedSHA256 []byte
}

func evidence(c candidate, v *trust.Verified) *Evidence {
	ev := &Evidence{Format: c.format, Signer: v.Signer, PayloadDigest: c.payloadDigest(), Manifest: c.manifest,
		Blob: c.blob, Tlog: v.Tlog, Times: v.Times, Where: c.where}
	if c.artifact != nil && c.entity != nil {
		if sc, err := c.entity.SignatureContent(); err == nil && sc.MessageSignatureContent() != nil {
			sum := sha256.Sum256(c.artifact)
			ev.Signature, ev.SignedSHA256 = sc.MessageSignatureContent().Signature(), sum[:]
		}
	}
	return ev
}

// checkSignature decides one image-signature candidate: a trusted signer
// (trust.Policy.Check), then what was signed: this digest, and for simple
// signing this repository.
func checkSignature(c candidate, sp *trust.ServicePolicy, ref Reference) (*Evidence, *trust.Rejection) {
	if c.entity == nil {
		return nil, brokenRejection(c)
	}
	v, rej := sp.Signers.Check(c.entity, c.artifact)
	if rej != nil {
		return nil, rej
	}
	switch c.format {
	case FormatSimpleSigning:
		p, err := ParseSimpleSigningPayload(c.payload)
		if err != nil {
			return nil, &trust.Rejection{Rule: trust.RuleWrongDigest, Reason: fmt.Sprintf("signed by %s, but %v", v.Signer, err)}
		}
		if got := p.Critical.Image.DockerManifestDigest; got != ref.Digest {
			return nil, &trust.Rejection{Rule: trust.RuleWrongDigest, Reason: fmt.Sprintf("signed by %s but for another image (%s); the signature was copied, not made for this digest", v.Signer, got)}
		}
		if !sameRepository(p.Critical.Identity.DockerReference, sp.Repository) {
			return nil, &trust.Rejection{Rule: trust.RuleWrongRepository, Reason: fmt.Sprintf("signed by %s for an image of repository %q, not of %s", v.Signer, p.Critical.Identity.DockerReference, sp.Repository)}
		}
	default:
		st, err := ParseStatement(c.payload)
		if err != nil {
			return nil, &trust.Rejection{Rule: trust.RuleWrongDigest, Reason: fmt.Sprintf("signed by %s, but %v", v.Signer, err)}
		}
		if !st.Names(ref.Digest) {
			return nil, &trust.Rejection{Rule: trust.RuleWrongDigest, Reason: fmt.Sprintf("signed by %s but for another image (subject %s); the signature was copied, not made for this digest", v.Signer, st.Subjects())}
		}
		if st.PredicateType != CosignSignPredicateType {
			return nil, &trust.Rejection{Rule: trust.RuleUnsigned, Reason: fmt.Sprintf("signed by %s, but it is an attestation of type %q, not an image signature (%s)", v.Signer, st.PredicateType, CosignSignPredicateType)}
		}
	}
	return evidence(c, v), nil
}

func brokenRejection(c candidate) *trust.Rejection {
	rule := c.brokenRule
	if rule == "" {
		rule = trust.RuleUnsigned
	}
	return &trust.Rejection{Rule: rule, Reason: c.broken}
}

// sameRepository compares the repository a signer named with the
// service's, as go-containerregistry normalizes names ("alpine" is
// "index.docker.io/library/alpine").
func sameRepository(named, service string) bool {
	n, err := trust.NormalizeRepository(named)
	return err == nil && n == service
}

// verifySignature finds the image signature the policy accepts among f's,
// or the refusal saying why there is none.
func verifySignature(ref Reference, f *found, sp *trust.ServicePolicy) (*Evidence, *Refusal) {
	var rejs []*trust.Rejection
	var details []string
	for _, c := range f.signatures {
		ev, rej := checkSignature(c, sp, ref)
		if ev != nil {
			return ev, nil
		}
		rejs = append(rejs, rej)
		details = append(details, c.where+": "+rej.Error())
	}
	if len(f.signatures) == 0 {
		also := ""
		if n := len(f.attestations); n > 0 {
			also = fmt.Sprintf("; its %d attestation(s) are not signatures", n)
		}
		return nil, refuse(ref, trust.RuleUnsigned, nil, "has no cosign signature (looked for tag %s and for Sigstore bundles among its referrers%s)", SignatureTag(ref), also)
	}
	rule := mostTelling(rejs, signatureRulePrecedence, trust.RuleUnsigned)
	return nil, refuse(ref, rule, details, "has %d signature(s), none acceptable to service %s", len(f.signatures), serviceName(sp))
}

func serviceName(sp *trust.ServicePolicy) string {
	if sp.Service == "" {
		return "policy"
	}
	return sp.Service
}
