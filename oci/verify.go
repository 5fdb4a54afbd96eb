package oci

import (
	"context"
	"fmt"

	"github.com/slipway/slipway/trust"
)

// Verification says why an image is trusted.
type Verification struct {
	Ref Reference
	// Format is the storage format of the signature that verified.
	Format Format
	// KeyID is the trust.KeyID of the key that verified it; KeySource is
	// where that key was loaded from. Both are empty for keyless signers.
	KeyID     string
	KeySource string
	// PayloadDigest is "sha256:<hex>" of the signed payload bytes.
	PayloadDigest string
	// SignatureManifest is the digest of the manifest that holds the
	// signature, so an audit record can point at the exact bytes.
	SignatureManifest string
}

// Verify checks that ref carries a signature, in a cosign format, by a
// signer of policy, that covers ref's own digest (and, for simple signing,
// ref's repository). It is the signature part of Intake, with no
// requirements. Errors wrap ErrNotFound (the digest is unknown),
// ErrUnsigned (no signature), ErrUntrusted (signatures, none acceptable; a
// *Refusal names the rule), or ErrUnreachable / ErrDenied.
func Verify(ctx context.Context, ref Reference, policy trust.Policy, opts Options) (Verification, error) {
	if len(policy.Keys) == 0 && len(policy.Identities) == 0 {
		return Verification{}, fmt.Errorf("verify %s: the trust policy has no public keys and no keyless identities: add the service's cosign.pub", ref)
	}
	t, err := newTarget(ctx, ref, opts)
	if err != nil {
		return Verification{}, err
	}
	if err := t.exists(); err != nil {
		return Verification{}, err
	}
	f, err := t.collect(false)
	if err != nil {
		return Verification{}, err
	}
	sp := &trust.ServicePolicy{Repository: t.digest.Context().Name(), Signers: policy}
	ev, refusal := verifySignature(ref, f, sp)
	if refusal != nil {
		return Verification{}, refusal
	}
	return Verification{Ref: ref, Format: ev.Format, KeyID: ev.Signer.KeyID, KeySource: ev.Signer.KeySource,
		PayloadDigest: ev.PayloadDigest, SignatureManifest: ev.Manifest}, nil
}
