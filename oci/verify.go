package oci

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/slipway/slipway/trust"
)

// Verification says why an image is trusted.
type Verification struct {
	Ref Reference
	// Format is the storage format of the signature that verified.
	Format Format
	// KeyID is the trust.KeyID of the key that verified it; KeySource is
	// where that key was loaded from.
	KeyID     string
	KeySource string
	// PayloadDigest is "sha256:<hex>" of the signed payload bytes.
	PayloadDigest string
	// SignatureManifest is the digest of the manifest that holds the
	// signature, so an audit record can point at the exact bytes.
	SignatureManifest string
}

// formatVerifier looks for signatures of one storage format and checks them
// against the policy. Formats are tried in order; a new one (keyless
// certificates, say) is one more function in formatVerifiers. err is kept
// for registry failures: a bad signature is a rejection, not an error.
type formatVerifier func(t target, policy trust.Policy) (outcome, error)

// outcome is what one format's search found.
type outcome struct {
	verified *Verification // the first signature accepted, if any
	found    int           // signatures of this format present
	rejected []string      // why each present signature was refused
}

var formatVerifiers = []formatVerifier{verifySimpleSigning, verifySigstoreBundles}

// Verify checks that ref carries a signature, in a cosign format, by one of
// policy's keys, that covers ref's own digest. Errors wrap ErrNotFound (the
// digest is unknown), ErrUnsigned (no signature), ErrUntrusted (signatures,
// none by a trusted key for this digest), or ErrUnreachable / ErrDenied.
func Verify(ctx context.Context, ref Reference, policy trust.Policy, opts Options) (Verification, error) {
	if len(policy.Keys) == 0 {
		return Verification{}, fmt.Errorf("verify %s: the trust policy has no public keys: add the service's cosign.pub", ref)
	}
	t, err := newTarget(ctx, ref, opts)
	if err != nil {
		return Verification{}, err
	}
	if err := t.exists(); err != nil {
		return Verification{}, err
	}
	found := 0
	var rejected []string
	for _, verify := range formatVerifiers {
		o, err := verify(t, policy)
		if err != nil {
			return Verification{}, err
		}
		if o.verified != nil {
			return *o.verified, nil
		}
		found += o.found
		rejected = append(rejected, o.rejected...)
	}
	if found == 0 {
		return Verification{}, fmt.Errorf("%w: %s has no cosign signature (looked for tag %s and for Sigstore bundles among its referrers): sign it with `cosign sign --key <service key> %s` and register it again",
			ErrUnsigned, ref, SignatureTag(ref), ref)
	}
	return Verification{}, fmt.Errorf("%w: %s has %d signature(s) but none is by a trusted key for this digest (trusted: %s): %s; sign it with the service's key (`cosign sign --key <service key> %s`) or add the signer's public key to the service's trust policy",
		ErrUntrusted, ref, found, policy.Describe(), strings.Join(rejected, "; "), ref)
}

// verifySimpleSigning checks cosign's legacy "sha256-<hex>.sig" signatures.
func verifySimpleSigning(t target, policy trust.Policy) (outcome, error) {
	img, err := t.signatureImage()
	if err != nil || img == nil {
		return outcome{}, err
	}
	m, err := img.Manifest()
	if err != nil {
		return outcome{}, fmt.Errorf("signatures of %s: %w", t.ref, err)
	}
	manifestDigest, err := img.Digest()
	if err != nil {
		return outcome{}, err
	}
	var rejected []string
	for i, l := range m.Layers {
		where := fmt.Sprintf("%s layer %d", SignatureTag(t.ref), i)
		if string(l.MediaType) != SimpleSigningMediaType {
			rejected = append(rejected, fmt.Sprintf("%s: media type %q is not a cosign signature", where, l.MediaType))
			continue
		}
		sig, err := base64.StdEncoding.DecodeString(l.Annotations[SignatureAnnotation])
		if err != nil || len(sig) == 0 {
			rejected = append(rejected, fmt.Sprintf("%s: annotation %s is missing or not base64", where, SignatureAnnotation))
			continue
		}
		payload, err := readBlobLimit(img, l, maxPayloadSize)
		if err != nil {
			rejected = append(rejected, fmt.Sprintf("%s: %v", where, err))
			continue
		}
		key, err := policy.Verify(payload, sig)
		if err != nil {
			rejected = append(rejected, fmt.Sprintf("%s: not signed by a trusted key", where))
			continue
		}
		p, err := ParseSimpleSigningPayload(payload)
		if err != nil {
			rejected = append(rejected, fmt.Sprintf("%s: %v", where, err))
			continue
		}
		if got := p.Critical.Image.DockerManifestDigest; got != t.ref.Digest {
			rejected = append(rejected, fmt.Sprintf("%s: signed by %s but for another image (%s); the signature was copied, not made for this digest", where, key, got))
			continue
		}
		sum := sha256.Sum256(payload)
		return outcome{found: len(m.Layers), verified: &Verification{
			Ref:               t.ref,
			Format:            FormatSimpleSigning,
			KeyID:             key.ID,
			KeySource:         key.Source,
			PayloadDigest:     "sha256:" + hex.EncodeToString(sum[:]),
			SignatureManifest: manifestDigest.String(),
		}}, nil
	}
	return outcome{found: len(m.Layers), rejected: rejected}, nil
}
