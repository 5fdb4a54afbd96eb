package oci

import (
	"context"
	"errors"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/slipway/slipway/trust"
)

// IntakeOptions tune one intake.
type IntakeOptions struct {
	Options
	// Commit is the full SHA of the source commit the build event names.
	// Required when the policy requires provenance, whose source commit
	// must be this one.
	Commit string
	// VerifyPlatforms also requires a trusted signature on each platform
	// manifest of an index (what `cosign sign --recursive` makes).
	VerifyPlatforms bool
}

// IntakeResult is everything intake verified about a digest, for the build
// record and the audit log.
type IntakeResult struct {
	Ref Reference
	// MediaType of the manifest; IsIndex for a multi-platform index.
	MediaType string
	IsIndex   bool
	// Platforms of the index (or of the single image), in index order.
	Platforms []Platform
	// Signature is the accepted image signature.
	Signature Evidence
	// PlatformSignatures are the accepted signatures of each platform
	// manifest, with IntakeOptions.VerifyPlatforms.
	PlatformSignatures []PlatformEvidence
	// SBOM is the accepted SBOM attestation, when there is one (required
	// or not). Its digest is SBOM.PayloadDigest.
	SBOM *SBOM
	// Provenance is the accepted SLSA provenance, when there is one.
	Provenance *Provenance
}

// PlatformEvidence is the signature of one platform manifest of an index.
type PlatformEvidence struct {
	Platform  Platform
	Digest    string
	Signature Evidence
}

// SBOM is an accepted SBOM attestation.
type SBOM struct {
	Evidence
	// Format is spdx or cyclonedx; PredicateType the statement's.
	Format        trust.SBOMFormat
	PredicateType string
}

// Provenance is accepted SLSA provenance.
type Provenance struct {
	Evidence
	PredicateType string
	ProvenanceFacts
}

// Intake decides whether the digest ref may become a build of the service
// sp governs. It resolves the digest; requires a signature, in any format
// cosign writes, by a signer of the policy, covering this digest (and for
// simple signing this repository), with the transparency-log evidence the
// policy asks for; checks an index's platforms and that their manifests
// exist; and checks the SBOM and provenance requirements against
// attestations signed under the same policy.
//
// A refusal is a *Refusal naming the rule (errors.Is ErrRefused); other
// errors (ErrUnreachable, ErrDenied, bad options) mean nothing was decided
// and intake can be retried.
func Intake(ctx context.Context, ref Reference, sp *trust.ServicePolicy, opts IntakeOptions) (*IntakeResult, error) {
	if sp == nil || (len(sp.Signers.Keys) == 0 && len(sp.Signers.Identities) == 0) {
		return nil, fmt.Errorf("intake of %s: the service's trust policy has no keys and no identities: add keys: or identities: to the service", ref)
	}
	if sp.Require.Provenance && !gitCommitRE.MatchString(strings.ToLower(opts.Commit)) {
		return nil, fmt.Errorf("intake of %s: service %s requires provenance, whose source commit is checked against the build's: pass the build's full commit SHA (got %q)", ref, serviceName(sp), opts.Commit)
	}
	t, err := newTarget(ctx, ref, opts.Options)
	if err != nil {
		return nil, err
	}
	if repo := t.digest.Context().Name(); repo != sp.Repository {
		return nil, refuse(ref, trust.RuleWrongRepository, nil, "the image is in repository %s, not in service %s's repository %s", repo, serviceName(sp), sp.Repository)
	}
	var desc Descriptor
	var index *v1.IndexManifest
	var f *found
	var derr, ferr error
	forEach(2, func(i int) {
		if i == 0 {
			desc, index, derr = t.describe()
		} else {
			f, ferr = t.collect(true)
		}
	})
	if derr != nil {
		if errors.Is(derr, ErrNotFound) {
			return nil, &Refusal{Rule: trust.RuleNotFound, Ref: ref, Message: derr.Error()}
		}
		return nil, derr
	}
	if ferr != nil {
		return nil, ferr
	}
	res := &IntakeResult{Ref: ref, MediaType: desc.MediaType, IsIndex: desc.IsIndex, Platforms: desc.Platforms}
	ev, refusal := verifySignature(ref, f, sp)
	if refusal != nil {
		return nil, refusal
	}
	res.Signature = *ev
	if refusal := checkPlatforms(ref, desc, sp.Require.Platforms); refusal != nil {
		return nil, refusal
	}
	if index != nil {
		if res.PlatformSignatures, err = t.checkIndexManifests(index, sp, opts.VerifyPlatforms); err != nil {
			return nil, err
		}
	}
	if res.SBOM, refusal = checkSBOM(ref, f.attestations, sp); refusal != nil {
		return nil, refusal
	}
	if res.Provenance, refusal = checkProvenance(ref, f.attestations, sp, opts.Commit); refusal != nil {
		return nil, refusal
	}
	return res, nil
}

// checkPlatforms refuses an image that lacks a required platform. A
// requirement without a variant accepts any variant ("linux/arm64" is met
// by linux/arm64/v8).
func checkPlatforms(ref Reference, desc Descriptor, required []string) *Refusal {
	var have []string
	for _, p := range desc.Platforms {
		have = append(have, p.String())
	}
	var missing []string
	for _, want := range required {
		ok := false
		for _, p := range desc.Platforms {
			ok = ok || p.String() == want || p.OS+"/"+p.Architecture == want
		}
		if !ok {
			missing = append(missing, want)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	what := "the image"
	if desc.IsIndex {
		what = "the image index"
	}
	return refuse(ref, trust.RulePlatformMissing, nil, "%s lacks required platform(s) %s (it has %s)", what, strings.Join(missing, ", "), list(have))
}

func list(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// checkIndexManifests checks that every manifest an index lists is in the
// registry and, with verify, that each platform manifest is signed.
func (t target) checkIndexManifests(index *v1.IndexManifest, sp *trust.ServicePolicy, verify bool) ([]PlatformEvidence, error) {
	type result struct {
		ev      *PlatformEvidence
		refusal *Refusal
		err     error
	}
	if len(index.Manifests) > maxCandidates {
		return nil, fmt.Errorf("image index %s lists %d manifests, more than the %d intake reads", t.ref, len(index.Manifests), maxCandidates)
	}
	results := make([]result, len(index.Manifests))
	forEach(len(index.Manifests), func(i int) {
		results[i].ev, results[i].refusal, results[i].err = t.checkIndexManifest(index.Manifests[i], sp, verify)
	})
	var out []PlatformEvidence
	for _, r := range results {
		if r.err != nil {
			return nil, r.err
		}
		if r.refusal != nil {
			return nil, r.refusal
		}
		if r.ev != nil {
			out = append(out, *r.ev)
		}
	}
	return out, nil
}

func (t target) checkIndexManifest(d v1.Descriptor, sp *trust.ServicePolicy, verify bool) (*PlatformEvidence, *Refusal, error) {
	p := platformOf(d)
	child := Reference{Repository: t.ref.Repository, Digest: d.Digest.String()}
	ct := target{ref: child, digest: t.digest.Context().Digest(child.Digest), registry: t.registry, remote: t.remote}
	if _, err := remote.Head(ct.digest, ct.remote...); err != nil {
		cerr := classify(err, "platform manifest", child, t.registry)
		if errors.Is(cerr, ErrNotFound) {
			return nil, refuse(t.ref, trust.RulePlatformManifestMissing, nil, "the index lists %s manifest %s, which is not in registry %s", p, d.Digest, t.registry), nil
		}
		return nil, nil, cerr
	}
	if !verify || isAttestationManifest(d) {
		return nil, nil, nil
	}
	f, err := ct.collect(false)
	if err != nil {
		return nil, nil, err
	}
	ev, refusal := verifySignature(child, f, sp)
	if refusal != nil {
		return nil, refuse(t.ref, trust.RulePlatformUnsigned, []string{refusal.Error()}, "the %s manifest %s has no acceptable signature (rule %s)", p, d.Digest, refusal.Rule), nil
	}
	return &PlatformEvidence{Platform: p, Digest: child.Digest, Signature: *ev}, nil, nil
}

func platformOf(d v1.Descriptor) Platform {
	if d.Platform == nil {
		return Platform{OS: "unknown", Architecture: "unknown"}
	}
	return Platform{OS: d.Platform.OS, Architecture: d.Platform.Architecture, Variant: d.Platform.Variant}
}

// isAttestationManifest: buildx stores its attestations as index entries
// of platform unknown/unknown; they are not images to sign.
func isAttestationManifest(d v1.Descriptor) bool {
	return d.Platform != nil && d.Platform.OS == "unknown" && d.Platform.Architecture == "unknown"
}
