package trust

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"fmt"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
)

// SignatureMaker makes signatures the way one cosign signer does: with a
// key, or keyless with a short-lived certificate, and optionally logged in
// a transparency log and timestamped. Package oci stores what it makes in
// each cosign format; KeySigner and package sigstorelocal provide makers.
type SignatureMaker interface {
	// SignMessage signs payload itself (cosign's simple-signing format).
	SignMessage(ctx context.Context, payload []byte) (*SignatureMaterial, error)
	// SignDSSE signs payload into a DSSE envelope (bundles, attestations).
	SignDSSE(ctx context.Context, payloadType string, payload []byte) (*SignatureMaterial, error)
}

// SignatureMaterial is one signature and what a verifier needs with it.
type SignatureMaterial struct {
	// Signature is the raw signature (for DSSE, the envelope's signature).
	Signature []byte
	// Envelope is the signed DSSE envelope (SignDSSE only).
	Envelope *dsse.Envelope
	// PublicKey is set for key signatures.
	PublicKey crypto.PublicKey
	// Certificate and Chain (intermediates then root) are set for keyless
	// signatures.
	Certificate *x509.Certificate
	Chain       []*x509.Certificate
	// Tlog is the transparency-log entry, with its inclusion promise
	// (SET) and proof, when the signature was logged.
	Tlog *protorekor.TransparencyLogEntry
	// Timestamp is a DER RFC 3161 timestamp response over Signature.
	Timestamp []byte
}

// KeySigner signs with a private key, with no transparency log and no
// timestamp: what `cosign sign --key K --tlog-upload=false` produces.
func KeySigner(key crypto.Signer) SignatureMaker { return keySigner{key} }

type keySigner struct{ key crypto.Signer }

func (k keySigner) SignMessage(_ context.Context, payload []byte) (*SignatureMaterial, error) {
	sig, err := Sign(k.key, payload)
	if err != nil {
		return nil, err
	}
	return &SignatureMaterial{Signature: sig, PublicKey: k.key.Public()}, nil
}

func (k keySigner) SignDSSE(_ context.Context, payloadType string, payload []byte) (*SignatureMaterial, error) {
	env, sig, err := SignEnvelope(k.key, payloadType, payload)
	if err != nil {
		return nil, err
	}
	return &SignatureMaterial{Signature: sig, Envelope: env, PublicKey: k.key.Public()}, nil
}

// SignEnvelope signs payload into a one-signature DSSE envelope: the
// signature is over the envelope's pre-authentication encoding (PAE).
func SignEnvelope(key crypto.Signer, payloadType string, payload []byte) (*dsse.Envelope, []byte, error) {
	sig, err := Sign(key, dsse.PAE(payloadType, payload))
	if err != nil {
		return nil, nil, fmt.Errorf("sign DSSE envelope: %w", err)
	}
	return &dsse.Envelope{
		PayloadType: payloadType,
		Payload:     base64.StdEncoding.EncodeToString(payload),
		Signatures:  []dsse.Signature{{Sig: base64.StdEncoding.EncodeToString(sig)}},
	}, sig, nil
}
