package oci

import (
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/slipway/slipway/trust"
)

// Signed describes a signature or attestation written by this package.
type Signed struct {
	// Tag is the tag it is stored under: "repo:sha256-<hex>.sig" (or
	// ".att"), or for a bundle the referrers fallback tag "repo:sha256-<hex>".
	Tag string
	// Manifest is the digest of the manifest that holds it after writing.
	Manifest string
	// PayloadDigest is the sha256 digest of the signed payload.
	PayloadDigest string
	// KeyID identifies the signing key (see trust.KeyID); empty for
	// keyless signatures.
	KeyID string
	// AlreadySigned is true when an equivalent signature by the same key was
	// present and nothing was written.
	AlreadySigned bool
}

// Sign signs ref with a key the way `cosign sign --key K --tlog-upload=false`
// (cosign v2, legacy format) does; see SignWith.
func Sign(ctx context.Context, ref Reference, signer crypto.Signer, opts Options) (Signed, error) {
	return SignWith(ctx, ref, trust.KeySigner(signer), opts)
}

// SignWith signs ref with m in cosign v2's legacy format and stores the
// signature where cosign stores it: a new layer appended to the image
// manifest under the tag "sha256-<hex>.sig" in the image's repository
// (created from an empty OCI image when absent), with the certificate,
// chain, Rekor bundle and timestamp annotations m's material calls for.
// Like cosign, it does not append a key signature when one with the same
// payload already verifies with the same key.
//
// Concurrent signers of one image can lose a signature (read-append-write
// of one tag), as with cosign.
func SignWith(ctx context.Context, ref Reference, m trust.SignatureMaker, opts Options) (Signed, error) {
	t, err := newTarget(ctx, ref, opts)
	if err != nil {
		return Signed{}, err
	}
	if err := t.exists(); err != nil {
		return Signed{}, err
	}
	payload, err := NewSimpleSigningPayload(ref).Marshal()
	if err != nil {
		return Signed{}, fmt.Errorf("sign %s: %w", ref, err)
	}
	mat, err := m.SignMessage(ctx, payload)
	if err != nil {
		return Signed{}, fmt.Errorf("sign %s: %w", ref, err)
	}
	sum := sha256.Sum256(payload)
	out := Signed{Tag: t.tag(SignatureTag(ref)).String(), PayloadDigest: "sha256:" + hex.EncodeToString(sum[:])}
	var pub *trust.PublicKey
	if mat.PublicKey != nil {
		k, err := trust.NewPublicKey(mat.PublicKey, "signing key")
		if err != nil {
			return Signed{}, err
		}
		pub, out.KeyID = &k, k.ID
	}
	base, err := t.legacyImage(SignatureTag(ref))
	if err != nil {
		return Signed{}, err
	}
	if pub != nil {
		if dup, err := hasSignatureBy(base, payload, *pub); err != nil {
			return Signed{}, fmt.Errorf("sign %s: read existing signatures in %s: %w", ref, out.Tag, err)
		} else if dup {
			d, err := base.Digest()
			if err != nil {
				return Signed{}, err
			}
			out.Manifest, out.AlreadySigned = d.String(), true
			return out, nil
		}
	}
	ann, err := legacyAnnotations(mat)
	if err != nil {
		return Signed{}, fmt.Errorf("sign %s: %w", ref, err)
	}
	ann[SignatureAnnotation] = base64.StdEncoding.EncodeToString(mat.Signature)
	out.Manifest, err = t.appendLayer(SignatureTag(ref), base, static.NewLayer(payload, SimpleSigningMediaType), ann)
	return out, err
}

// appendLayer appends one layer to a legacy signature or attestation
// image and writes it under tag.
func (t target) appendLayer(tag string, base v1.Image, layer v1.Layer, annotations map[string]string) (string, error) {
	img, err := mutate.Append(base, mutate.Addendum{Layer: layer, Annotations: annotations})
	if err != nil {
		return "", fmt.Errorf("%s of %s: %w", tag, t.ref, err)
	}
	if err := remote.Write(t.tag(tag), img, t.remote...); err != nil {
		return "", classify(err, "signature of image", t.ref, t.registry)
	}
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	return d.String(), nil
}

// emptySignatureImage is the base cosign starts a signature manifest from:
// ggcr's empty image with OCI media types for the manifest and config.
func emptySignatureImage() v1.Image {
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	return mutate.ConfigMediaType(img, types.OCIConfigJSON)
}

// legacyImage returns the image under a legacy signature or attestation
// tag, or the empty base when there is none.
func (t target) legacyImage(tag string) (v1.Image, error) {
	img, err := remote.Image(t.tag(tag), t.remote...)
	if err != nil {
		cerr := classify(err, "signatures of image", t.ref, t.registry)
		if errors.Is(cerr, ErrNotFound) {
			return emptySignatureImage(), nil
		}
		return nil, cerr
	}
	return img, nil
}

// hasSignatureBy reports whether img already holds a signature of payload
// that verifies with pub (cosign's duplicate detection).
func hasSignatureBy(img v1.Image, payload []byte, pub trust.PublicKey) (bool, error) {
	m, err := img.Manifest()
	if err != nil {
		return false, err
	}
	want := sha256.Sum256(payload)
	for _, l := range m.Layers {
		if l.Digest.Hex != hex.EncodeToString(want[:]) || string(l.MediaType) != SimpleSigningMediaType {
			continue
		}
		sig, err := base64.StdEncoding.DecodeString(l.Annotations[SignatureAnnotation])
		if err != nil {
			continue
		}
		if pub.VerifySignature(payload, sig) == nil {
			return true, nil
		}
	}
	return false, nil
}
