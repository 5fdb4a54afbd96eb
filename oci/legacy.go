package oci

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"github.com/slipway/slipway/trust"
)

// FormatAttestation is cosign v2's legacy attestation storage: an image
// manifest under the tag "sha256-<hex>.att", one layer per attestation, each
// a DSSE envelope of an in-toto statement, with the predicate type in the
// layer annotation "predicateType".
const FormatAttestation Format = "cosign-attestation"

// Names of cosign's legacy storage beyond the simple-signing ones: what
// keyless signatures and attestations carry in their layer annotations.
const (
	// AttestationTagSuffix ends the tag legacy attestations are stored under.
	AttestationTagSuffix = ".att"
	// DSSEMediaType is the media type of each legacy attestation layer.
	DSSEMediaType = "application/vnd.dsse.envelope.v1+json"
	// CertificateAnnotation holds the PEM signing certificate (keyless).
	CertificateAnnotation = "dev.sigstore.cosign/certificate"
	// ChainAnnotation holds the PEM intermediates and root (keyless).
	ChainAnnotation = "dev.sigstore.cosign/chain"
	// RekorBundleAnnotation holds the JSON Rekor bundle (SET and entry).
	RekorBundleAnnotation = "dev.sigstore.cosign/bundle"
	// TimestampAnnotation holds the JSON RFC 3161 timestamp.
	TimestampAnnotation = "dev.sigstore.cosign/rfc3161timestamp"
	// PredicateTypeAnnotation names a legacy attestation's predicate type.
	PredicateTypeAnnotation = "predicateType"
)

// AttestationTag returns the tag cosign stores legacy attestations under:
// "sha256-<hex>.att" in the image's own repository.
func AttestationTag(ref Reference) string {
	return "sha256-" + ref.Hex() + AttestationTagSuffix
}

// legacyLayer is one signature or attestation read from a legacy layer.
type legacyLayer struct {
	entity *trust.Detached
	// payload is what was signed: the simple-signing JSON, or the
	// in-toto statement inside the DSSE envelope.
	payload []byte
	// artifact is the signed bytes of a message signature (nil for DSSE).
	artifact []byte
}

// parseLegacyLayer reads a layer of cosign's legacy formats: data is the
// layer's content and annotations its descriptor's annotations. Both come
// from whoever can push to the repository, so every field is checked.
func parseLegacyLayer(format Format, data []byte, annotations map[string]string) (*legacyLayer, error) {
	d := trust.Detached{}
	out := &legacyLayer{}
	switch format {
	case FormatSimpleSigning:
		sig, err := base64.StdEncoding.DecodeString(annotations[SignatureAnnotation])
		if err != nil || len(sig) == 0 {
			return nil, fmt.Errorf("annotation %s is missing or not base64", SignatureAnnotation)
		}
		d.Payload, d.Signature = data, sig
		out.payload, out.artifact = data, data
	case FormatAttestation:
		var env dsse.Envelope
		if err := json.Unmarshal(data, &env); err != nil {
			return nil, fmt.Errorf("not a DSSE envelope: %v", err)
		}
		payload, err := base64.StdEncoding.DecodeString(env.Payload)
		if err != nil {
			return nil, fmt.Errorf("DSSE payload is not base64: %v", err)
		}
		d.Envelope = &env
		out.payload = payload
	default:
		return nil, fmt.Errorf("unknown legacy format %q", format)
	}
	if c := annotations[CertificateAnnotation]; c != "" {
		cert, err := parseCertificate(c)
		if err != nil {
			return nil, fmt.Errorf("annotation %s: %v", CertificateAnnotation, err)
		}
		d.Certificate = cert
	}
	if ts := annotations[TimestampAnnotation]; ts != "" {
		var t struct{ SignedRFC3161Timestamp []byte }
		if err := json.Unmarshal([]byte(ts), &t); err != nil || len(t.SignedRFC3161Timestamp) == 0 {
			return nil, fmt.Errorf("annotation %s is not cosign's RFC 3161 timestamp JSON", TimestampAnnotation)
		}
		d.Timestamp = t.SignedRFC3161Timestamp
	}
	var rekor *trust.RekorBundle
	if rb := annotations[RekorBundleAnnotation]; rb != "" {
		rekor = &trust.RekorBundle{}
		if err := json.Unmarshal([]byte(rb), rekor); err != nil {
			return nil, fmt.Errorf("annotation %s is not cosign's Rekor bundle JSON: %v", RekorBundleAnnotation, err)
		}
	}
	entity, err := trust.NewDetached(d, rekor)
	if err != nil {
		return nil, err
	}
	out.entity = entity
	return out, nil
}

func parseCertificate(s string) (*x509.Certificate, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("not a PEM certificate")
	}
	return x509.ParseCertificate(block.Bytes)
}

// legacyAnnotations are the annotations cosign writes beside a legacy
// signature or attestation layer for what m carries.
func legacyAnnotations(m *trust.SignatureMaterial) (map[string]string, error) {
	a := map[string]string{}
	if m.Certificate != nil {
		a[CertificateAnnotation] = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: m.Certificate.Raw}))
		var chain []byte
		for _, c := range m.Chain {
			chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
		}
		a[ChainAnnotation] = string(chain)
	}
	if m.Tlog != nil {
		rb, err := trust.NewRekorBundle(m.Tlog)
		if err != nil {
			return nil, err
		}
		raw, err := json.Marshal(rb)
		if err != nil {
			return nil, err
		}
		a[RekorBundleAnnotation] = string(raw)
	}
	if len(m.Timestamp) > 0 {
		raw, err := json.Marshal(struct{ SignedRFC3161Timestamp []byte }{m.Timestamp})
		if err != nil {
			return nil, err
		}
		a[TimestampAnnotation] = string(raw)
	}
	return a, nil
}
