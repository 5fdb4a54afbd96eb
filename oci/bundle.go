package oci

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	intoto "github.com/in-toto/attestation/go/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/slipway/slipway/trust"
)

// FormatSigstoreBundle is cosign v3's default: a Sigstore bundle (v0.3) in
// an OCI artifact manifest whose subject is the image, found through the
// OCI 1.1 referrers API or, where the registry lacks it, the referrers tag
// "sha256-<hex>". The bundle holds a DSSE envelope of an in-toto statement
// with predicate type CosignSignPredicateType and the image as subject.
const FormatSigstoreBundle Format = "sigstore-bundle"

// Names of cosign v3's bundle storage (cosign's specs/BUNDLE_SPEC.md).
const (
	BundleMediaType           = "application/vnd.dev.sigstore.bundle.v0.3+json"
	bundleMediaTypePrefix     = "application/vnd.dev.sigstore.bundle"
	BundleContentAnnotation   = "dev.sigstore.bundle.content"
	BundlePredicateAnnotation = "dev.sigstore.bundle.predicateType"
	// CosignSignPredicateType marks a statement as an image signature (as
	// opposed to an attestation such as an SBOM, which is stored the same way).
	CosignSignPredicateType = "https://sigstore.dev/cosign/sign/v1"
	inTotoPayloadType       = "application/vnd.in-toto+json"
	inTotoStatementType     = "https://in-toto.io/Statement/v1"
	emptyJSONMediaType      = "application/vnd.oci.empty.v1+json"
	maxBundleSize           = 4 << 20
)

// verifySigstoreBundles checks cosign v3 bundles attached to the image.
func verifySigstoreBundles(t target, policy trust.Policy) (outcome, error) {
	idx, err := remote.Referrers(t.digest, t.remote...)
	if err != nil {
		return outcome{}, classify(err, "referrers of image", t.ref, t.registry)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return outcome{}, fmt.Errorf("referrers of %s: %w", t.ref, err)
	}
	var o outcome
	for _, d := range m.Manifests {
		if !mayBeBundle(d.ArtifactType) {
			continue // SBOMs in other formats, Notation signatures, ...
		}
		v, why, err := verifyBundleManifest(t, d, policy)
		switch {
		case err != nil:
			return outcome{}, err
		case why == errNotABundle:
			continue
		}
		o.found++
		if v != nil {
			o.verified = v
			return o, nil
		}
		o.rejected = append(o.rejected, "bundle "+d.Digest.String()+": "+why)
	}
	return o, nil
}

// errNotABundle marks a referrer that turned out not to hold a bundle.
const errNotABundle = "not a Sigstore bundle"

// mayBeBundle says whether a referrer with this artifactType may hold a
// Sigstore bundle. Besides the bundle type itself it admits the empty-JSON
// config type and "", because some registries (go-containerregistry's own
// among them) report the config media type instead of the manifest's
// artifactType; those manifests are fetched and checked.
func mayBeBundle(artifactType string) bool {
	return strings.HasPrefix(artifactType, bundleMediaTypePrefix) || artifactType == emptyJSONMediaType || artifactType == ""
}

// verifyBundleManifest checks one referrer. It returns a Verification, or
// a reason for rejecting it, or an error for registry failures.
func verifyBundleManifest(t target, d v1.Descriptor, policy trust.Policy) (*Verification, string, error) {
	img, err := remote.Image(t.digest.Context().Digest(d.Digest.String()), t.remote...)
	if err != nil {
		return nil, "", classify(err, "signature bundle of image", t.ref, t.registry)
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, "unreadable manifest: " + err.Error(), nil
	}
	if !strings.HasPrefix(m.ArtifactType, bundleMediaTypePrefix) && !strings.HasPrefix(string(m.Config.MediaType), bundleMediaTypePrefix) {
		return nil, errNotABundle, nil
	}
	// With the tag fallback, anyone who can push may list anything; only a
	// manifest whose subject is our image counts.
	if m.Subject == nil || m.Subject.Digest.String() != t.ref.Digest {
		return nil, "its subject is not this image", nil
	}
	var layer *v1.Descriptor
	for i := range m.Layers {
		if strings.HasPrefix(string(m.Layers[i].MediaType), bundleMediaTypePrefix) {
			layer = &m.Layers[i]
			break
		}
	}
	if layer == nil {
		return nil, "no layer holds a Sigstore bundle", nil
	}
	if layer.Size > maxBundleSize {
		return nil, fmt.Sprintf("bundle is %d bytes, more than the %d allowed", layer.Size, maxBundleSize), nil
	}
	data, err := readBlobLimit(img, *layer, maxBundleSize)
	if err != nil {
		return nil, err.Error(), nil
	}
	v, why := verifyBundle(t.ref, data, policy)
	if v == nil {
		return nil, why, nil
	}
	v.SignatureManifest = d.Digest.String()
	return v, "", nil
}

// verifyBundle checks a bundle's signature with each trusted key in turn,
// that its statement names the image's digest, and that it is a signature
// (predicate type CosignSignPredicateType), not some other attestation.
//
// Only the key is checked: transparency-log entries and timestamps in the
// bundle are not verified (like `cosign verify --insecure-ignore-tlog`).
func verifyBundle(ref Reference, data []byte, policy trust.Policy) (*Verification, string) {
	var b bundle.Bundle
	if err := b.UnmarshalJSON(data); err != nil {
		return nil, "not a valid Sigstore bundle: " + err.Error()
	}
	if b.GetDsseEnvelope() == nil {
		return nil, "bundle holds a message signature, not a DSSE statement about an image"
	}
	// The signature is checked by sigstore-go; what it is about (subject
	// and predicate type) we check ourselves, to name the exact problem.
	pol := verify.NewPolicy(verify.WithoutArtifactUnsafe(), verify.WithKey())
	for _, key := range policy.Keys {
		res, err := verifyBundleWithKey(&b, key, pol)
		if err != nil {
			continue
		}
		st := res.Statement
		if st == nil {
			return nil, fmt.Sprintf("signed by %s, but the envelope holds no in-toto statement", key)
		}
		if !statementNames(st.GetSubject(), ref) {
			return nil, fmt.Sprintf("signed by %s but for another image (subject %s); the signature was copied, not made for this digest", key, describeSubjects(st.GetSubject()))
		}
		if st.GetPredicateType() != CosignSignPredicateType {
			return nil, fmt.Sprintf("signed by %s, but it is an attestation of type %q, not an image signature (%s)", key, st.GetPredicateType(), CosignSignPredicateType)
		}
		sum := sha256.Sum256(b.GetDsseEnvelope().GetPayload())
		return &Verification{
			Ref:           ref,
			Format:        FormatSigstoreBundle,
			KeyID:         key.ID,
			KeySource:     key.Source,
			PayloadDigest: "sha256:" + hex.EncodeToString(sum[:]),
		}, ""
	}
	return nil, "not signed by a trusted key"
}

func statementNames(subjects []*intoto.ResourceDescriptor, ref Reference) bool {
	for _, s := range subjects {
		if s.GetDigest()["sha256"] == ref.Hex() {
			return true
		}
	}
	return false
}

func describeSubjects(subjects []*intoto.ResourceDescriptor) string {
	var out []string
	for _, s := range subjects {
		out = append(out, "sha256:"+s.GetDigest()["sha256"])
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

func verifyBundleWithKey(b *bundle.Bundle, key trust.PublicKey, pol verify.PolicyBuilder) (*verify.VerificationResult, error) {
	sv, err := signature.LoadVerifier(key.Key, crypto.SHA256)
	if err != nil {
		return nil, err
	}
	// The key is trusted whatever hint the bundle carries: the hint is
	// unauthenticated and cosign's own verify --key ignores it too.
	material := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) {
		return root.NewExpiringKey(sv, time.Time{}, time.Time{}), nil
	})
	v, err := verify.NewVerifier(material, verify.WithNoObserverTimestamps())
	if err != nil {
		return nil, err
	}
	return v.Verify(b, pol)
}

// readBlobLimit reads a blob of img, bounded, checked against its digest.
func readBlobLimit(img v1.Image, d v1.Descriptor, limit int64) ([]byte, error) {
	l, err := img.LayerByDigest(d.Digest)
	if err != nil {
		return nil, err
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(rc, limit+1)); err != nil {
		return nil, err
	}
	if int64(buf.Len()) > limit {
		return nil, fmt.Errorf("blob %s exceeds %d bytes", d.Digest, limit)
	}
	sum := sha256.Sum256(buf.Bytes())
	if d.Digest.Algorithm != "sha256" || d.Digest.Hex != hex.EncodeToString(sum[:]) {
		return nil, fmt.Errorf("blob %s: content does not match its digest", d.Digest)
	}
	return buf.Bytes(), nil
}

// inTotoStatement is the statement cosign v3 signs for an image.
type inTotoStatement struct {
	Type    string `json:"_type"`
	Subject []struct {
		Name   string            `json:"name"`
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
	PredicateType string         `json:"predicateType"`
	Predicate     map[string]any `json:"predicate"`
}

// newStatement returns the in-toto statement, with an empty predicate, that
// cosign v3 signs for an image.
func newStatement(ref Reference, predicateType string) ([]byte, error) {
	s := inTotoStatement{Type: inTotoStatementType, PredicateType: predicateType, Predicate: map[string]any{}}
	s.Subject = append(s.Subject, struct {
		Name   string            `json:"name"`
		Digest map[string]string `json:"digest"`
	}{Name: ref.Repository, Digest: map[string]string{"sha256": ref.Hex()}})
	return json.Marshal(s)
}
