package oci

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/sign"

	"github.com/slipway/slipway/trust"
)

// SignBundle signs ref in cosign v3's default format, as `cosign sign --key K
// --tlog-upload=false` (v3) stores it: a Sigstore bundle v0.3 holding a DSSE
// envelope of an in-toto statement (predicate CosignSignPredicateType,
// subject the image digest), pushed as an OCI artifact manifest whose
// subject is the image. Registries without the referrers API get the
// "sha256-<hex>" referrers tag index updated instead (go-containerregistry
// does this when it pushes a manifest with a subject).
//
// Only ECDSA P-256 signers are supported (cosign's default key type).
func SignBundle(ctx context.Context, ref Reference, signer crypto.Signer, opts Options) (Signed, error) {
	statement, err := newStatement(ref, CosignSignPredicateType)
	if err != nil {
		return Signed{}, err
	}
	return signStatement(ctx, ref, signer, statement, CosignSignPredicateType, opts)
}

// signStatement signs an in-toto statement about ref into a bundle and
// attaches it to ref. Attestations (SBOMs) will reuse it.
func signStatement(ctx context.Context, ref Reference, signer crypto.Signer, statement []byte, predicateType string, opts Options) (Signed, error) {
	t, err := newTarget(ctx, ref, opts)
	if err != nil {
		return Signed{}, err
	}
	subject, err := remote.Head(t.digest, t.remote...)
	if err != nil {
		return Signed{}, classify(err, "image", ref, t.registry)
	}
	kp, err := newKeypair(signer)
	if err != nil {
		return Signed{}, fmt.Errorf("sign %s: %w", ref, err)
	}
	pb, err := sign.Bundle(&sign.DSSEData{Data: statement, PayloadType: inTotoPayloadType}, kp, sign.BundleOptions{Context: ctx})
	if err != nil {
		return Signed{}, fmt.Errorf("sign %s: %w", ref, err)
	}
	bundleJSON, err := (&bundle.Bundle{Bundle: pb}).MarshalJSON()
	if err != nil {
		return Signed{}, fmt.Errorf("sign %s: %w", ref, err)
	}
	manifest, err := t.pushBundle(bundleJSON, predicateType, *subject)
	if err != nil {
		return Signed{}, err
	}
	sum := sha256.Sum256(statement)
	return Signed{
		Tag:           t.tag("sha256-" + ref.Hex()).String(),
		Manifest:      manifest,
		PayloadDigest: "sha256:" + hex.EncodeToString(sum[:]),
		KeyID:         kp.pub.ID,
	}, nil
}

// pushBundle uploads the bundle and the empty config, then the artifact
// manifest (by digest) that ties them to the subject image.
func (t target) pushBundle(bundleJSON []byte, predicateType string, subject v1.Descriptor) (string, error) {
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
			BundlePredicateAnnotation:          CosignSignPredicateType,
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

// keypair adapts a crypto.Signer to sigstore-go's sign.Keypair.
type keypair struct {
	signer crypto.Signer
	pub    trust.PublicKey
}

func newKeypair(signer crypto.Signer) (*keypair, error) {
	ec, ok := signer.Public().(*ecdsa.PublicKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, fmt.Errorf("bundle signing needs an ECDSA P-256 key, got %T", signer.Public())
	}
	pub, err := trust.NewPublicKey(ec, "signing key")
	if err != nil {
		return nil, err
	}
	return &keypair{signer: signer, pub: pub}, nil
}

func (k *keypair) GetHashAlgorithm() protocommon.HashAlgorithm {
	return protocommon.HashAlgorithm_SHA2_256
}

func (k *keypair) GetSigningAlgorithm() protocommon.PublicKeyDetails {
	return protocommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256
}

// GetHint returns base64 of the SHA-256 of the DER public key, the hint
// sigstore-go's own keypairs put in bundles. Verifiers must not rely on it.
func (k *keypair) GetHint() []byte {
	b, _ := hex.DecodeString(k.pub.ID)
	return []byte(base64.StdEncoding.EncodeToString(b))
}

func (k *keypair) GetKeyAlgorithm() string        { return "ECDSA" }
func (k *keypair) GetPublicKey() crypto.PublicKey { return k.signer.Public() }

func (k *keypair) GetPublicKeyPem() (string, error) {
	der, err := x509.MarshalPKIXPublicKey(k.signer.Public())
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

func (k *keypair) SignData(_ context.Context, data []byte) ([]byte, []byte, error) {
	sum := sha256.Sum256(data)
	sig, err := k.signer.Sign(rand.Reader, sum[:], crypto.SHA256)
	return sig, sum[:], err
}
