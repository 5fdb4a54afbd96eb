package oci

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/sigstore-go/pkg/bundle"

	"github.com/slipway/slipway/trust"
)

// FormatSigstoreBundle is cosign v3's default: a Sigstore bundle (v0.3) in
// an OCI artifact manifest whose subject is the image, found through the
// OCI 1.1 referrers API or, where the registry lacks it, the referrers tag
// "sha256-<hex>". The bundle holds a DSSE envelope of an in-toto statement:
// predicate type CosignSignPredicateType for a signature, the attestation's
// own type (SBOM, provenance) otherwise.
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
	maxBundleSize           = maxAttestationPayload + 1<<20
)

// bundleCandidates reads the Sigstore bundles attached to the image.
func (t target) bundleCandidates() ([]candidate, error) {
	idx, err := remote.Referrers(t.digest, t.remote...)
	if err != nil {
		return nil, classify(err, "referrers of image", t.ref, t.registry)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("referrers of %s: %w", t.ref, err)
	}
	type result struct {
		c   candidate
		ok  bool
		err error
	}
	if len(m.Manifests) > maxCandidates {
		return nil, fmt.Errorf("image %s has %d referrers, more than the %d intake reads: delete stale signatures and attestations from registry %s", t.ref, len(m.Manifests), maxCandidates, t.registry)
	}
	results := make([]result, len(m.Manifests))
	forEach(len(m.Manifests), func(i int) {
		if d := m.Manifests[i]; mayBeBundle(d.ArtifactType) { // not SBOMs in other formats, Notation signatures, ...
			r := &results[i]
			r.c, r.ok, r.err = t.bundleCandidate(d)
		}
	})
	var out []candidate
	for _, r := range results {
		if r.err != nil {
			return nil, r.err
		}
		if r.ok {
			out = append(out, r.c)
		}
	}
	return out, nil
}

// mayBeBundle says whether a referrer with this artifactType may hold a
// Sigstore bundle. Besides the bundle type itself it admits the empty-JSON
// config type and "", because some registries (go-containerregistry's own
// among them) report the config media type instead of the manifest's
// artifactType; those manifests are fetched and checked.
func mayBeBundle(artifactType string) bool {
	return strings.HasPrefix(artifactType, bundleMediaTypePrefix) || artifactType == emptyJSONMediaType || artifactType == ""
}

// bundleCandidate reads one referrer. ok is false when it turns out not to
// hold a bundle; err is kept for registry failures.
func (t target) bundleCandidate(d v1.Descriptor) (candidate, bool, error) {
	c := candidate{format: FormatSigstoreBundle, where: "bundle " + d.Digest.String(), manifest: d.Digest.String()}
	img, err := remote.Image(t.digest.Context().Digest(d.Digest.String()), t.remote...)
	if err != nil {
		return c, false, classify(err, "signature bundle of image", t.ref, t.registry)
	}
	m, err := img.Manifest()
	if err != nil {
		c.broken = "unreadable manifest: " + err.Error()
		return c, true, nil
	}
	if !strings.HasPrefix(m.ArtifactType, bundleMediaTypePrefix) && !strings.HasPrefix(string(m.Config.MediaType), bundleMediaTypePrefix) {
		return c, false, nil
	}
	c.predicateHint = m.Annotations[BundlePredicateAnnotation]
	// With the tag fallback, anyone who can push may list anything; only a
	// manifest whose subject is our image counts.
	if m.Subject == nil || m.Subject.Digest.String() != t.ref.Digest {
		c.broken, c.brokenRule = "its manifest's subject is not this image", trust.RuleWrongDigest
		return c, true, nil
	}
	var layer *v1.Descriptor
	for i := range m.Layers {
		if strings.HasPrefix(string(m.Layers[i].MediaType), bundleMediaTypePrefix) {
			layer = &m.Layers[i]
			break
		}
	}
	if layer == nil {
		c.broken = "no layer holds a Sigstore bundle"
		return c, true, nil
	}
	c.blob = layer.Digest.String()
	if layer.Size > maxBundleSize {
		c.broken = fmt.Sprintf("bundle is %d bytes, more than the %d allowed", layer.Size, maxBundleSize)
		return c, true, nil
	}
	data, err := readBlobLimit(img, *layer, maxBundleSize)
	if err != nil {
		c.broken = err.Error()
		return c, true, nil
	}
	b, payload, err := parseBundle(data)
	if err != nil {
		c.broken = err.Error()
		return c, true, nil
	}
	c.entity, c.payload = b, payload
	return c, true, nil
}

// parseBundle decodes a bundle holding a DSSE statement.
func parseBundle(data []byte) (*bundle.Bundle, []byte, error) {
	var b bundle.Bundle
	if err := b.UnmarshalJSON(data); err != nil {
		return nil, nil, fmt.Errorf("not a valid Sigstore bundle: %v", err)
	}
	env := b.GetDsseEnvelope()
	if env == nil {
		return nil, nil, fmt.Errorf("bundle holds a message signature, not a DSSE statement about an image")
	}
	return &b, env.GetPayload(), nil
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

// NewStatement returns the in-toto statement cosign makes about ref:
// cosign sign (v3) signs a v1 statement with predicate
// CosignSignPredicateType and an empty predicate; cosign attest signs a
// v0.1 statement of the attestation's predicate, the subject named by the
// repository. predicate nil means {}.
func NewStatement(ref Reference, predicateType string, predicate any) ([]byte, error) {
	if predicate == nil {
		predicate = map[string]any{}
	}
	raw, err := json.Marshal(predicate)
	if err != nil {
		return nil, fmt.Errorf("predicate %s: %w", predicateType, err)
	}
	s := Statement{Type: inTotoStatementV01, PredicateType: predicateType, Predicate: raw,
		Subject: []StatementSubject{{Name: ref.Repository, Digest: map[string]string{"sha256": ref.Hex()}}}}
	if predicateType == CosignSignPredicateType {
		s.Type = inTotoStatementType
		s.Subject[0].Name = ""
	}
	return json.Marshal(s)
}
