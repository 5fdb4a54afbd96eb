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

// Signed describes a signature written by Sign.
type Signed struct {
	// Tag is the full signature tag, "repo:sha256-<hex>.sig".
	Tag string
	// Manifest is the digest of the signature manifest after signing.
	Manifest string
	// PayloadDigest is the sha256 digest of the signed payload (the layer).
	PayloadDigest string
	// KeyID identifies the signing key (see trust.KeyID).
	KeyID string
	// AlreadySigned is true when an equivalent signature by the same key was
	// present and nothing was written.
	AlreadySigned bool
}

// Sign signs ref with signer the way `cosign sign --key K --tlog-upload=false`
// (cosign v2, legacy format) does, and stores the signature where cosign
// stores it: as a new layer appended to the image manifest under the tag
// "sha256-<hex>.sig" in the image's repository (created from an empty OCI
// image when absent). Like cosign, it does not append a signature when one
// with the same payload already verifies with the signer's key.
//
// No transparency-log entry is made, so `cosign verify` of the result needs
// --insecure-ignore-tlog (see docs/signing.md). Concurrent signers of one
// image can lose a signature (read-append-write of one tag), as with cosign.
func Sign(ctx context.Context, ref Reference, signer crypto.Signer, opts Options) (Signed, error) {
	t, err := newTarget(ctx, ref, opts)
	if err != nil {
		return Signed{}, err
	}
	if err := t.exists(); err != nil {
		return Signed{}, err
	}
	pub, err := trust.NewPublicKey(signer.Public(), "signing key")
	if err != nil {
		return Signed{}, err
	}
	payload, err := NewSimpleSigningPayload(ref).Marshal()
	if err != nil {
		return Signed{}, fmt.Errorf("sign %s: %w", ref, err)
	}
	sum := sha256.Sum256(payload)
	out := Signed{
		Tag:           t.tag(SignatureTag(ref)).String(),
		PayloadDigest: "sha256:" + hex.EncodeToString(sum[:]),
		KeyID:         pub.ID,
	}

	base, err := t.signatureImage()
	if err != nil {
		return Signed{}, err
	}
	if base == nil {
		base = emptySignatureImage()
	} else if dup, err := hasSignatureBy(base, payload, pub); err != nil {
		return Signed{}, fmt.Errorf("sign %s: read existing signatures in %s: %w", ref, out.Tag, err)
	} else if dup {
		out.AlreadySigned = true
		d, err := base.Digest()
		if err != nil {
			return Signed{}, err
		}
		out.Manifest = d.String()
		return out, nil
	}

	sig, err := trust.Sign(signer, payload)
	if err != nil {
		return Signed{}, fmt.Errorf("sign %s: %w", ref, err)
	}
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:       static.NewLayer(payload, SimpleSigningMediaType),
		Annotations: map[string]string{SignatureAnnotation: base64.StdEncoding.EncodeToString(sig)},
	})
	if err != nil {
		return Signed{}, fmt.Errorf("sign %s: %w", ref, err)
	}
	if err := remote.Write(t.tag(SignatureTag(ref)), img, t.remote...); err != nil {
		return Signed{}, classify(err, "signature of image", ref, t.registry)
	}
	d, err := img.Digest()
	if err != nil {
		return Signed{}, err
	}
	out.Manifest = d.String()
	return out, nil
}

// emptySignatureImage is the base cosign starts a signature manifest from:
// ggcr's empty image with OCI media types for the manifest and config.
func emptySignatureImage() v1.Image {
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	return mutate.ConfigMediaType(img, types.OCIConfigJSON)
}

// signatureImage returns the image under the legacy signature tag, or nil
// when there is none.
func (t target) signatureImage() (v1.Image, error) {
	img, err := remote.Image(t.tag(SignatureTag(t.ref)), t.remote...)
	if err != nil {
		cerr := classify(err, "signatures of image", t.ref, t.registry)
		if errors.Is(cerr, ErrNotFound) {
			return nil, nil
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
