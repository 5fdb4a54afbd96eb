package oci

import (
	"fmt"
	"strings"

	"github.com/slipway/slipway/trust"
)

// checkedAttestation is an attestation whose signature was checked.
type checkedAttestation struct {
	c         candidate
	statement *Statement
	verified  *trust.Verified
	rejection *trust.Rejection // why its signer is not trusted
}

// checkAttestations checks, under the service's signer policy, each
// attestation whose (unsigned) statement says it is of a wanted predicate
// type; the statement is only believed once its signature is.
func checkAttestations(cands []candidate, sp *trust.ServicePolicy, wanted func(predicateType string) bool) []checkedAttestation {
	var out []checkedAttestation
	for _, c := range cands {
		st, err := c.statement()
		if err != nil || !wanted(st.PredicateType) {
			continue
		}
		a := checkedAttestation{c: c, statement: st}
		a.verified, a.rejection = sp.Signers.Check(c.entity, nil)
		out = append(out, a)
	}
	return out
}

// checkSBOM returns the SBOM attestation of the digest signed by a trusted
// signer, and refuses a digest without one when the service requires it.
func checkSBOM(ref Reference, cands []candidate, sp *trust.ServicePolicy) (*SBOM, *Refusal) {
	want := sp.Require.SBOM
	if want == trust.SBOMNone {
		want = trust.SBOMAny // not required: record one if present
	}
	checked := checkAttestations(cands, sp, func(pt string) bool {
		f := sbomFormat(pt)
		return f != trust.SBOMNone && want.Accepts(f)
	})
	var details []string
	untrusted := 0
	for _, a := range checked {
		switch {
		case a.rejection != nil:
			untrusted++
			details = append(details, a.c.where+": "+a.rejection.Error())
		case !a.statement.Names(ref.Digest):
			details = append(details, fmt.Sprintf("%s: signed by %s, but about another image (subject %s)", a.c.where, a.verified.Signer, a.statement.Subjects()))
		default:
			return &SBOM{Evidence: *evidence(a.c, a.verified), Format: sbomFormat(a.statement.PredicateType), PredicateType: a.statement.PredicateType}, nil
		}
	}
	if sp.Require.SBOM == trust.SBOMNone {
		return nil, nil
	}
	kind := "an SBOM attestation (SPDX or CycloneDX)"
	if sp.Require.SBOM != trust.SBOMAny {
		kind = "a " + string(sp.Require.SBOM) + " SBOM attestation"
	}
	if untrusted > 0 {
		return nil, refuse(ref, trust.RuleSBOMUntrusted, details, "service %s requires %s signed by %s; the SBOM attestations of this digest are signed by nobody trusted", serviceName(sp), kind, sp.Signers.Describe())
	}
	return nil, refuse(ref, trust.RuleSBOMMissing, details, "service %s requires %s of this digest, and there is none (looked under tag %s and among its bundles)", serviceName(sp), kind, AttestationTag(ref))
}

// checkProvenance returns the SLSA provenance of the digest signed by a
// trusted signer; when the service requires provenance it must also name
// the build's commit as its source.
func checkProvenance(ref Reference, cands []candidate, sp *trust.ServicePolicy, commit string) (*Provenance, *Refusal) {
	checked := checkAttestations(cands, sp, isProvenance)
	commit = strings.ToLower(commit)
	var details []string
	var rejs []*trust.Rejection
	note := func(a checkedAttestation, rule trust.Rule, format string, args ...any) {
		r := &trust.Rejection{Rule: rule, Reason: fmt.Sprintf(format, args...)}
		rejs = append(rejs, r)
		details = append(details, a.c.where+": "+r.Error())
	}
	for _, a := range checked {
		if a.rejection != nil {
			note(a, trust.RuleProvenanceUntrusted, "%s", a.rejection.Reason)
			continue
		}
		if !a.statement.Names(ref.Digest) {
			note(a, trust.RuleProvenanceSubject, "signed by %s, but its subject is %s, not this digest", a.verified.Signer, a.statement.Subjects())
			continue
		}
		facts, err := ParseProvenance(a.statement.PredicateType, a.statement.Predicate)
		if err != nil {
			note(a, trust.RuleProvenanceCommit, "signed by %s, but unreadable: %v", a.verified.Signer, err)
			continue
		}
		p := &Provenance{Evidence: *evidence(a.c, a.verified), PredicateType: a.statement.PredicateType, ProvenanceFacts: facts}
		if !sp.Require.Provenance {
			return p, nil
		}
		switch facts.SourceCommit {
		case commit:
			return p, nil
		case "":
			note(a, trust.RuleProvenanceCommit, "signed by %s, but it names no source commit (builder %s)", a.verified.Signer, facts.BuilderID)
		default:
			note(a, trust.RuleProvenanceCommit, "signed by %s: built by %s from %s at commit %s, not the build's commit %s", a.verified.Signer, facts.BuilderID, facts.SourceURI, facts.SourceCommit, commit)
		}
	}
	if !sp.Require.Provenance {
		return nil, nil
	}
	if len(checked) == 0 {
		return nil, refuse(ref, trust.RuleProvenanceMissing, nil, "service %s requires SLSA provenance (%s or %s) of this digest, and there is none", serviceName(sp), PredicateSLSAv1, PredicateSLSAv02)
	}
	rule := mostTelling(rejs, []trust.Rule{trust.RuleProvenanceCommit, trust.RuleProvenanceSubject, trust.RuleProvenanceUntrusted}, trust.RuleProvenanceMissing)
	return nil, refuse(ref, rule, details, "service %s requires SLSA provenance of this digest, signed by %s, built from commit %s; none qualifies", serviceName(sp), sp.Signers.Describe(), commit)
}
