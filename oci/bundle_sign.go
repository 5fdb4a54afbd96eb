package oci

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/slipway/slipway/trust"
)

// SignBundle signs ref with a key in cosign v3's default format, as `cosign
// sign --key K --tlog-upload=false` (v3) stores it; see SignBundleWith.
func SignBundle(ctx context.Context, ref Reference, signer crypto.Signer, opts Options) (Signed, error) {
	return SignBundleWith(ctx, ref, trust.KeySigner(signer), opts)
}

// SignBundleWith signs ref with m in cosign v3's default format: a Sigstore
// bundle v0.3 holding a DSSE envelope of an in-toto statement (predicate
// CosignSignPredicateType, subject the image digest), pushed as an OCI
// artifact manifest whose subject is the image. Registries without the
// referrers API get the "sha256-<hex>" referrers tag index updated instead
// (go-containerregistry does this when it pushes a manifest with a subject).
func SignBundleWith(ctx context.Context, ref Reference, m trust.SignatureMaker, opts Options) (Signed, error) {
	statement, err := NewStatement(ref, CosignSignPredicateType, nil)
	if err != nil {
		return Signed{}, err
	}
	return AttestStatement(ctx, ref, m, statement, AttestOptions{Options: opts, Format: FormatSigstoreBundle})
}

// AttestOptions say how to store an attestation.
type AttestOptions struct {
	Options
	// Format is FormatAttestation (cosign v2's ".att" tag, the default) or
	// FormatSigstoreBundle (cosign v3's bundle referrer).
	Format Format
}

// Attest signs an in-toto statement of predicate about ref with m and
// stores it as `cosign attest --type <predicateType>` does (see
// AttestStatement). predicate is marshalled as JSON.
func Attest(ctx context.Context, ref Reference, m trust.SignatureMaker, predicateType string, predicate any, opts AttestOptions) (Signed, error) {
	statement, err := NewStatement(ref, predicateType, predicate)
	if err != nil {
		return Signed{}, err
	}
	return AttestStatement(ctx, ref, m, statement, opts)
}

// AttestStatement signs statement (an in-toto statement, whatever its
// subject says) into a DSSE envelope with m and attaches it to ref: as a
// layer of the ".att" tag with cosign's annotations, or as a bundle
// referrer whose manifest annotation names the predicate type.
func AttestStatement(ctx context.Context, ref Reference, m trust.SignatureMaker, statement []byte, opts AttestOptions) (Signed, error) {
	st, err := ParseStatement(statement)
	if err != nil {
		return Signed{}, fmt.Errorf("attest %s: %w", ref, err)
	}
	t, err := newTarget(ctx, ref, opts.Options)
	if err != nil {
		return Signed{}, err
	}
	subject, err := remote.Head(t.digest, t.remote...)
	if err != nil {
		return Signed{}, classify(err, "image", ref, t.registry)
	}
	mat, err := m.SignDSSE(ctx, inTotoPayloadType, statement)
	if err != nil {
		return Signed{}, fmt.Errorf("attest %s: %w", ref, err)
	}
	sum := sha256.Sum256(statement)
	out := Signed{PayloadDigest: "sha256:" + hex.EncodeToString(sum[:])}
	if mat.PublicKey != nil {
		if out.KeyID, err = trust.KeyID(mat.PublicKey); err != nil {
			return Signed{}, err
		}
	}
	switch opts.Format {
	case FormatAttestation, "":
		out.Tag = t.tag(AttestationTag(ref)).String()
		out.Manifest, err = t.appendAttestation(mat, st.PredicateType)
	case FormatSigstoreBundle:
		out.Tag = t.tag("sha256-" + ref.Hex()).String()
		out.Manifest, err = t.pushBundle(mat, st.PredicateType, *subject)
	default:
		err = fmt.Errorf("attest %s: format %q: use %s or %s", ref, opts.Format, FormatAttestation, FormatSigstoreBundle)
	}
	if err != nil {
		return Signed{}, err
	}
	return out, nil
}

// appendAttestation adds a DSSE layer to the ".att" image, as cosign v2's
// attest does: the envelope JSON, the predicate type and the signer's
// certificate, Rekor bundle and timestamp as annotations, and an empty
// signature annotation (the signature is inside the envelope).
func (t target) appendAttestation(mat *trust.SignatureMaterial, predicateType string) (string, error) {
	env, err := json.Marshal(mat.Envelope)
	if err != nil {
		return "", err
	}
	ann, err := legacyAnnotations(mat)
	if err != nil {
		return "", err
	}
	ann[PredicateTypeAnnotation] = predicateType
	ann[SignatureAnnotation] = ""
	base, err := t.legacyImage(AttestationTag(t.ref))
	if err != nil {
		return "", err
	}
	return t.appendLayer(AttestationTag(t.ref), base, static.NewLayer(env, DSSEMediaType), ann)
}

// pushBundle uploads the bundle and the empty config, then the artifact
// manifest (by digest) that ties them to the subject image.
func (t target) pushBundle(mat *trust.SignatureMaterial, predicateType string, subject v1.Descriptor) (string, error) {
	b, err := trust.NewBundle(mat)
	if err != nil {
		return "", fmt.Errorf("bundle for %s: %w", t.ref, err)
	}
	bundleJSON, err := b.MarshalJSON()
	if err != nil {
		return "", fmt.Errorf("bundle for %s: %w", t.ref, err)
	}
	bundleLayer := static.NewLayer(bundleJSON, types.MediaType(BundleMediaType))
	configLayer := static.NewLayer([]byte("{}"), types.MediaType(emptyJSONMediaType))
	for _, l := range []v1.Layer{bundleLayer, configLayer} {
		if err := remote.WriteLayer(t.digest.Context(), l, t.remote...); err != nil {
			return "", classify(err, "signature bundle of image", t.ref, t.registry)
		}
	}
	bd, _ := bundleLayer.Digest()
	cd, _ := configLayer.Digest()
	m := artifactManifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  BundleMediaType,
		Config:        v1.Descriptor{MediaType: emptyJSONMediaType, Digest: cd, Size: 2},
		Layers: []v1.Descriptor{{
			MediaType:   BundleMediaType,
			Digest:      bd,
			Size:        int64(len(bundleJSON)),
			Annotations: map[string]string{"org.opencontainers.image.title": "sha256-" + bd.Hex + ".sigstore.json"},
		}},
		Subject: &v1.Descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size},
		Annotations: map[string]string{
			BundleContentAnnotation:            "dsse-envelope",
			BundlePredicateAnnotation:          predicateType,
			"org.opencontainers.image.created": time.Now().UTC().Format(time.RFC3339),
		},
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	h, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return "", err
	}
	if err := remote.Put(t.digest.Context().Digest(h.String()), rawManifest{raw: raw, mediaType: types.OCIManifestSchema1}, t.remote...); err != nil {
		return "", classify(err, "signature bundle of image", t.ref, t.registry)
	}
	return h.String(), nil
}

// artifactManifest is an OCI 1.1 image manifest with artifactType and subject.
type artifactManifest struct {
	SchemaVersion int64             `json:"schemaVersion"`
	MediaType     types.MediaType   `json:"mediaType"`
	ArtifactType  string            `json:"artifactType"`
	Config        v1.Descriptor     `json:"config"`
	Layers        []v1.Descriptor   `json:"layers"`
	Subject       *v1.Descriptor    `json:"subject,omitempty"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

// rawManifest lets remote.Put push manifest bytes we built ourselves.
type rawManifest struct {
	raw       []byte
	mediaType types.MediaType
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.raw, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.mediaType, nil }
