package trust

import "fmt"

// Rule names one supply-chain rule an image can fail at intake. Rules are
// stable identifiers: they are recorded with refused intakes, shown by
// `slipway build list --refused` and matched by tests and alerts.
type Rule string

// The rules, in the order intake checks them. docs/signing.md has the table.
const (
	// RuleNotFound: the registry does not have the digest.
	RuleNotFound Rule = "not-found"
	// RuleUnsigned: no signature in any format cosign writes.
	RuleUnsigned Rule = "unsigned"
	// RuleUntrustedKey: signed with a key the service does not trust (or,
	// for a key signature that names no key, its payload was changed).
	RuleUntrustedKey Rule = "untrusted-key"
	// RuleUntrustedCertificate: a keyless certificate that does not chain
	// to the trusted root at a verified time.
	RuleUntrustedCertificate Rule = "untrusted-certificate"
	// RuleIssuerMismatch: a keyless certificate from an OIDC issuer no
	// identity of the service names.
	RuleIssuerMismatch Rule = "issuer-mismatch"
	// RuleIdentityMismatch: a trusted issuer, but a subject no identity names.
	RuleIdentityMismatch Rule = "identity-mismatch"
	// RuleTamperedPayload: a trusted signer is named, but the signature does
	// not verify over the stored content: it was changed after signing.
	RuleTamperedPayload Rule = "tampered-payload"
	// RuleTlogMissing: require.tlog, and no transparency-log entry verifies.
	RuleTlogMissing Rule = "tlog-missing"
	// RuleWrongDigest: a trusted signature of another digest, copied here.
	RuleWrongDigest Rule = "wrong-digest"
	// RuleWrongRepository: a trusted simple-signing signature whose
	// docker-reference names another repository.
	RuleWrongRepository Rule = "wrong-repository"
	// RulePlatformMissing: require.platforms names a platform the image lacks.
	RulePlatformMissing Rule = "platform-missing"
	// RulePlatformManifestMissing: the index lists a platform manifest the
	// registry does not have.
	RulePlatformManifestMissing Rule = "platform-manifest-missing"
	// RulePlatformUnsigned: a platform manifest carries no trusted signature
	// (checked only when intake is asked to verify platforms).
	RulePlatformUnsigned Rule = "platform-unsigned"
	// RuleSBOMMissing: require.sbom, and no SBOM attestation of that format
	// is about this digest.
	RuleSBOMMissing Rule = "sbom-missing"
	// RuleSBOMUntrusted: SBOM attestations about this digest exist, none is
	// signed by a trusted signer.
	RuleSBOMUntrusted Rule = "sbom-untrusted"
	// RuleProvenanceMissing: require.provenance, and no SLSA provenance.
	RuleProvenanceMissing Rule = "provenance-missing"
	// RuleProvenanceUntrusted: provenance exists, signed by nobody trusted.
	RuleProvenanceUntrusted Rule = "provenance-untrusted"
	// RuleProvenanceSubject: trusted provenance whose subject is not the digest.
	RuleProvenanceSubject Rule = "provenance-subject"
	// RuleProvenanceCommit: trusted provenance of this digest built from
	// another commit than the build's.
	RuleProvenanceCommit Rule = "provenance-commit"
)

// Rules lists every rule, in check order.
var Rules = []Rule{
	RuleNotFound, RuleUnsigned, RuleUntrustedKey, RuleUntrustedCertificate, RuleIssuerMismatch,
	RuleIdentityMismatch, RuleTamperedPayload, RuleTlogMissing, RuleWrongDigest, RuleWrongRepository,
	RulePlatformMissing, RulePlatformManifestMissing, RulePlatformUnsigned, RuleSBOMMissing,
	RuleSBOMUntrusted, RuleProvenanceMissing, RuleProvenanceUntrusted, RuleProvenanceSubject,
	RuleProvenanceCommit,
}

// Fix says what to do about a refusal by this rule.
func (r Rule) Fix() string {
	switch r {
	case RuleNotFound:
		return "push the image first, or check the repository and digest"
	case RuleUnsigned:
		return "sign the digest (`cosign sign --key <service key> IMAGE@DIGEST`, or keyless from CI) and register it again"
	case RuleUntrustedKey:
		return "sign with a key the service trusts (`cosign sign --key <service key> IMAGE@DIGEST`), or add the signer's public key to the service's keys:"
	case RuleUntrustedCertificate:
		return "sign through the Fulcio (and timestamp authority or Rekor) of the service's trustedRoot:, or update trustedRoot:"
	case RuleIssuerMismatch, RuleIdentityMismatch:
		return "sign from a workflow the service's identities: name, or add this signer's issuer and subject to identities:"
	case RuleTamperedPayload:
		return "the stored signature was altered after signing: do not promote this image; sign the digest again from a trusted build and find out who changed it"
	case RuleTlogMissing:
		return "sign with transparency-log upload on (cosign's default; not --tlog-upload=false) against the trusted root's Rekor"
	case RuleWrongDigest:
		return "a signature of another image was copied next to this one: sign this digest itself"
	case RuleWrongRepository:
		return "the signature was made for another repository's image: sign this image in the service's repository"
	case RulePlatformMissing:
		return "build and push the missing platforms into the image index, or change require.platforms:"
	case RulePlatformManifestMissing:
		return "push every platform image of the index to the registry (docker buildx --push pushes them together)"
	case RulePlatformUnsigned:
		return "sign every platform manifest (`cosign sign --recursive`)"
	case RuleSBOMMissing:
		return "attach a signed SBOM attestation (`cosign attest --type spdxjson|cyclonedx --predicate sbom.json IMAGE@DIGEST`)"
	case RuleSBOMUntrusted:
		return "sign the SBOM attestation with a key or identity the service trusts"
	case RuleProvenanceMissing:
		return "attach signed SLSA provenance (`cosign attest --type slsaprovenance1 ...`, or your builder's provenance generator)"
	case RuleProvenanceUntrusted:
		return "sign the provenance with a key or identity the service trusts"
	case RuleProvenanceSubject:
		return "the provenance describes another image: attach provenance whose subject is this digest"
	case RuleProvenanceCommit:
		return "this image was built from another commit than the build event says: register the image with the commit it was built from"
	}
	return "see docs/signing.md"
}

// Rejection is why one signature or attestation was not accepted.
type Rejection struct {
	Rule   Rule
	Reason string
}

func (r *Rejection) Error() string { return fmt.Sprintf("%s: %s", r.Rule, r.Reason) }

func reject(rule Rule, format string, args ...any) *Rejection {
	return &Rejection{Rule: rule, Reason: fmt.Sprintf(format, args...)}
}
