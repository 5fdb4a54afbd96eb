package trust

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
)

// BundleMediaType is the Sigstore bundle version cosign v3 writes.
const BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"

// NewBundle packs a DSSE signature into a Sigstore bundle v0.3, as cosign
// v3 does: the certificate (keyless) or a key hint, the log entry and the
// timestamp, and the envelope.
func NewBundle(m *SignatureMaterial) (*bundle.Bundle, error) {
	if m.Envelope == nil || len(m.Envelope.Signatures) != 1 {
		return nil, errors.New("a bundle holds a DSSE envelope with one signature")
	}
	payload, err := base64.StdEncoding.DecodeString(m.Envelope.Payload)
	if err != nil {
		return nil, fmt.Errorf("DSSE payload: %v", err)
	}
	vm := &protobundle.VerificationMaterial{}
	switch {
	case m.Certificate != nil:
		vm.Content = &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: m.Certificate.Raw}}
	case m.PublicKey != nil:
		id, err := KeyID(m.PublicKey)
		if err != nil {
			return nil, err
		}
		raw, _ := hex.DecodeString(id)
		// sigstore-go's own key signers write this hint; verifiers must not trust it.
		vm.Content = &protobundle.VerificationMaterial_PublicKey{PublicKey: &protocommon.PublicKeyIdentifier{Hint: base64.StdEncoding.EncodeToString(raw)}}
	default:
		return nil, errors.New("signature has neither a certificate nor a public key")
	}
	if m.Tlog != nil {
		vm.TlogEntries = []*protorekor.TransparencyLogEntry{m.Tlog}
	}
	if len(m.Timestamp) > 0 {
		vm.TimestampVerificationData = &protobundle.TimestampVerificationData{
			Rfc3161Timestamps: []*protocommon.RFC3161SignedTimestamp{{SignedTimestamp: m.Timestamp}},
		}
	}
	pb := &protobundle.Bundle{
		MediaType:            BundleMediaType,
		VerificationMaterial: vm,
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload:     payload,
			PayloadType: m.Envelope.PayloadType,
			Signatures:  []*protodsse.Signature{{Sig: m.Signature, Keyid: m.Envelope.Signatures[0].KeyID}},
		}},
	}
	return bundle.NewBundle(pb)
}
