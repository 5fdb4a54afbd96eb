package trust

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"github.com/sigstore/sigstore-go/pkg/verify"
)

// RekorBundle is cosign's legacy record of a Rekor entry, stored in the
// layer annotation dev.sigstore.cosign/bundle: the entry's signed entry
// timestamp (SET) and the payload the log signed.
type RekorBundle struct {
	SignedEntryTimestamp []byte
	Payload              RekorPayload
}

// RekorPayload is what a Rekor v1 log signs in a SET.
type RekorPayload struct {
	// Body is the base64 canonicalized entry (a string in cosign's JSON).
	Body           any    `json:"body"`
	IntegratedTime int64  `json:"integratedTime"`
	LogIndex       int64  `json:"logIndex"`
	LogID          string `json:"logID"`
}

// Detached is a signature stored the way cosign's legacy formats store it
// (a payload layer plus annotations) rather than as a Sigstore bundle. It
// is a verify.SignedEntity, so it is checked by the same code as bundles.
// Set exactly one of Payload (a signature over those bytes) and Envelope
// (a DSSE envelope, whose first signature is checked).
type Detached struct {
	Payload   []byte
	Signature []byte
	Envelope  *dsse.Envelope
	// Certificate is the keyless signing certificate, when there is one.
	// Intermediates come from the trusted root, never from the registry.
	Certificate *x509.Certificate
	// Timestamp is a DER RFC 3161 timestamp response over the signature.
	Timestamp []byte

	entries []*tlog.Entry
}

// NewDetached checks the parts of a legacy signature and returns the
// entity; rekor may be nil.
func NewDetached(d Detached, rekor *RekorBundle) (*Detached, error) {
	switch {
	case d.Envelope == nil && d.Payload == nil:
		return nil, errors.New("signature has neither a payload nor a DSSE envelope")
	case d.Envelope != nil && d.Payload != nil:
		return nil, errors.New("signature has both a payload and a DSSE envelope")
	case d.Envelope != nil && len(d.Envelope.Signatures) != 1:
		return nil, fmt.Errorf("DSSE envelope has %d signatures, want exactly one (as cosign writes)", len(d.Envelope.Signatures))
	case d.Envelope == nil && len(d.Signature) == 0:
		return nil, errors.New("signature is empty")
	}
	if rekor != nil {
		e, err := rekor.entry()
		if err != nil {
			return nil, fmt.Errorf("transparency-log bundle: %w", err)
		}
		d.entries = []*tlog.Entry{e}
	}
	out := d
	return &out, nil
}

func (r *RekorBundle) entry() (*tlog.Entry, error) {
	b64, ok := r.Payload.Body.(string)
	if !ok {
		return nil, errors.New("payload.body is not a base64 string")
	}
	body, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("payload.body: %v", err)
	}
	logID, err := hex.DecodeString(r.Payload.LogID)
	if err != nil {
		return nil, fmt.Errorf("payload.logID: %v", err)
	}
	if len(r.SignedEntryTimestamp) == 0 {
		return nil, errors.New("no SignedEntryTimestamp")
	}
	//nolint:staticcheck // NewEntry is the Rekor v1 constructor, which is what cosign's legacy bundle records.
	return tlog.NewEntry(body, r.Payload.IntegratedTime, r.Payload.LogIndex, logID, r.SignedEntryTimestamp, nil)
}

// HasInclusionPromise is true when a SET came with the signature.
func (d *Detached) HasInclusionPromise() bool { return len(d.entries) > 0 }

// HasInclusionProof is false: cosign's legacy bundle holds a SET only.
func (d *Detached) HasInclusionProof() bool { return false }

// SignatureContent is the DSSE envelope or the message signature.
func (d *Detached) SignatureContent() (verify.SignatureContent, error) {
	if d.Envelope != nil {
		return &bundle.Envelope{Envelope: d.Envelope}, nil
	}
	sum := sha256.Sum256(d.Payload)
	return bundle.NewMessageSignature(sum[:], "SHA2_256", d.Signature), nil
}

// Timestamps are the RFC 3161 timestamps (zero or one).
func (d *Detached) Timestamps() ([][]byte, error) {
	if len(d.Timestamp) == 0 {
		return nil, nil
	}
	return [][]byte{d.Timestamp}, nil
}

// TlogEntries are the Rekor entries (zero or one).
func (d *Detached) TlogEntries() ([]*tlog.Entry, error) { return d.entries, nil }

// VerificationContent is the certificate, or for a key signature a key
// reference that the verifier resolves to the trusted key being tried.
func (d *Detached) VerificationContent() (verify.VerificationContent, error) {
	if d.Certificate != nil {
		return &certContent{cert: d.Certificate}, nil
	}
	return &keyContent{}, nil
}

// Version is v0.1: a SET without an inclusion proof is enough, as for
// the first bundle version (which is what cosign's legacy bundle is).
func (d *Detached) Version() (string, error) { return "v0.1", nil }

type certContent struct{ cert *x509.Certificate }

func (c *certContent) CompareKey(key any, _ root.TrustedMaterial) bool {
	k, ok := key.(*x509.Certificate)
	return ok && c.cert.Equal(k)
}

func (c *certContent) ValidAtTime(t time.Time, _ root.TrustedMaterial) bool {
	return !c.cert.NotAfter.Before(t) && !c.cert.NotBefore.After(t)
}

func (c *certContent) Certificate() *x509.Certificate      { return c.cert }
func (c *certContent) Intermediates() []*x509.Certificate  { return nil }
func (c *certContent) PublicKey() verify.PublicKeyProvider { return nil }

// keyContent names no key: legacy key signatures carry no hint, and the
// verifier's trusted material holds exactly the key being tried.
type keyContent struct{}

func (k *keyContent) Hint() string { return "" }

func (k *keyContent) CompareKey(key any, tm root.TrustedMaterial) bool {
	v, err := tm.PublicKeyVerifier("")
	if err != nil {
		return false
	}
	pub, err := v.PublicKey()
	if err != nil {
		return false
	}
	eq, ok := key.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(pub)
}

func (k *keyContent) ValidAtTime(t time.Time, tm root.TrustedMaterial) bool {
	v, err := tm.PublicKeyVerifier("")
	return err == nil && v.ValidAtTime(t)
}

func (k *keyContent) Certificate() *x509.Certificate      { return nil }
func (k *keyContent) Intermediates() []*x509.Certificate  { return nil }
func (k *keyContent) PublicKey() verify.PublicKeyProvider { return k }

// NewRekorBundle is cosign's legacy record of a log entry (the
// dev.sigstore.cosign/bundle annotation): its SET and the signed payload.
func NewRekorBundle(e *protorekor.TransparencyLogEntry) (*RekorBundle, error) {
	set := e.GetInclusionPromise().GetSignedEntryTimestamp()
	if len(set) == 0 {
		return nil, errors.New("log entry has no signed entry timestamp: cosign's legacy bundle needs one")
	}
	return &RekorBundle{
		SignedEntryTimestamp: set,
		Payload: RekorPayload{
			Body:           base64.StdEncoding.EncodeToString(e.GetCanonicalizedBody()),
			IntegratedTime: e.GetIntegratedTime(),
			LogIndex:       e.GetLogIndex(),
			LogID:          hex.EncodeToString(e.GetLogId().GetKeyId()),
		},
	}, nil
}
