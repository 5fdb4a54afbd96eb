// Package sigstorelocal is a Sigstore of one's own, in process: a
// Fulcio-like certificate authority, a Rekor-like transparency log and an
// RFC 3161 timestamp authority, built on sigstore-go's virtual Sigstore
// (pkg/testing/ca). It signs keyless the way cosign does against the public
// Sigstore, and writes the trusted_root.json a verifier needs, so that
// `slipway demo` and tests exercise keyless verification with no network.
//
// It is a test and demo authority: its keys live in memory and its
// certificates and log are valid for about an hour from New.
package sigstorelocal

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"time"

	"github.com/go-openapi/runtime"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/rekor/pkg/generated/models"
	"github.com/sigstore/rekor/pkg/pki"
	rekortypes "github.com/sigstore/rekor/pkg/types"
	rekordsse "github.com/sigstore/rekor/pkg/types/dsse"
	_ "github.com/sigstore/rekor/pkg/types/dsse/v0.0.1" // registers the dsse entry type
	"github.com/sigstore/rekor/pkg/types/hashedrekord"
	_ "github.com/sigstore/rekor/pkg/types/hashedrekord/v0.0.1" // registers the hashedrekord entry type
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/tlog"

	"github.com/slipway/slipway/trust"
)

// Authority is one in-process Sigstore.
type Authority struct {
	vs *ca.VirtualSigstore
}

// New creates a Sigstore with fresh keys.
func New() (*Authority, error) {
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		return nil, fmt.Errorf("virtual sigstore: %w", err)
	}
	return &Authority{vs: vs}, nil
}

// TrustedRoot is the trust material a verifier of this Sigstore's
// signatures needs: its CA, log key and timestamp authority.
func (a *Authority) TrustedRoot() (*root.TrustedRoot, error) {
	rekor, err := rawLogIDs(a.vs.RekorLogs())
	if err != nil {
		return nil, err
	}
	ct, err := rawLogIDs(a.vs.CTLogs())
	if err != nil {
		return nil, err
	}
	return root.NewTrustedRoot(root.TrustedRootMediaType01,
		a.vs.FulcioCertificateAuthorities(), ct, a.vs.TimestampingAuthorities(), rekor)
}

// rawLogIDs fixes the virtual Sigstore's log ids for serialization: it
// keeps the hex text of the id where trusted_root.json wants the raw
// bytes, so a root read back from JSON would not know its own log.
func rawLogIDs(logs map[string]*root.TransparencyLog) (map[string]*root.TransparencyLog, error) {
	out := make(map[string]*root.TransparencyLog, len(logs))
	for id, l := range logs {
		raw, err := hex.DecodeString(id)
		if err != nil {
			return nil, fmt.Errorf("log id %q: %w", id, err)
		}
		c := *l
		c.ID = raw
		out[id] = &c
	}
	return out, nil
}

// TrustedRootJSON is the trusted_root.json of this Sigstore.
func (a *Authority) TrustedRootJSON() ([]byte, error) {
	tr, err := a.TrustedRoot()
	if err != nil {
		return nil, err
	}
	return tr.MarshalJSON()
}

// WriteTrustedRoot writes trusted_root.json to path (mode 0644).
func (a *Authority) WriteTrustedRoot(path string) error {
	data, err := a.TrustedRootJSON()
	if err != nil {
		return fmt.Errorf("trusted root: %w", err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write trusted root: %w", err)
	}
	return nil
}

// Options say what evidence a signature carries besides itself.
type Options struct {
	// Tlog logs the signature and attaches the entry, with its signed
	// entry timestamp and inclusion proof.
	Tlog bool
	// Timestamp attaches an RFC 3161 timestamp of the signature.
	Timestamp bool
}

// Keyless returns a signer that, like cosign with an OIDC token, gets a
// fresh 10-minute certificate for subject from issuer for every signature.
func (a *Authority) Keyless(subject, issuer string, o Options) trust.SignatureMaker {
	return &signer{a: a, o: o, subject: subject, issuer: issuer}
}

// Key returns a signer with a long-lived key whose signatures this
// Sigstore logs and timestamps as o says (`cosign sign --key` with
// transparency-log upload on).
func (a *Authority) Key(key crypto.Signer, o Options) trust.SignatureMaker {
	return &signer{a: a, o: o, key: key}
}

type signer struct {
	a               *Authority
	o               Options
	key             crypto.Signer // nil for keyless
	subject, issuer string
}

// identity returns the signing key and the material naming it.
func (s *signer) identity() (crypto.Signer, *trust.SignatureMaterial, []byte, error) {
	if s.key != nil {
		pemKey, err := trust.EncodePublicKeyPEM(s.key.Public())
		return s.key, &trust.SignatureMaterial{PublicKey: s.key.Public()}, pemKey, err
	}
	cert, priv, err := s.a.vs.GenerateLeafCert(s.subject, s.issuer)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("issue certificate: %w", err)
	}
	key, ok := priv.(crypto.Signer)
	if !ok {
		return nil, nil, nil, fmt.Errorf("certificate key %T cannot sign", priv)
	}
	cas := s.a.vs.FulcioCertificateAuthorities()
	fca := cas[0].(*root.FulcioCertificateAuthority)
	m := &trust.SignatureMaterial{Certificate: cert, Chain: append(append([]*x509.Certificate{}, fca.Intermediates...), fca.Root)}
	return key, m, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), nil
}

func (s *signer) SignMessage(ctx context.Context, payload []byte) (*trust.SignatureMaterial, error) {
	key, m, pemKey, err := s.identity()
	if err != nil {
		return nil, err
	}
	if m.Signature, err = trust.Sign(key, payload); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(payload)
	props := rekortypes.ArtifactProperties{ArtifactHash: hex.EncodeToString(sum[:]), SignatureBytes: m.Signature}
	return s.evidence(ctx, m, hashedrekord.KIND, hashedrekord.New().DefaultVersion(), props, pemKey)
}

func (s *signer) SignDSSE(ctx context.Context, payloadType string, payload []byte) (*trust.SignatureMaterial, error) {
	key, m, pemKey, err := s.identity()
	if err != nil {
		return nil, err
	}
	if m.Envelope, m.Signature, err = trust.SignEnvelope(key, payloadType, payload); err != nil {
		return nil, err
	}
	env, err := json.Marshal(m.Envelope)
	if err != nil {
		return nil, err
	}
	props := rekortypes.ArtifactProperties{ArtifactBytes: env}
	return s.evidence(ctx, m, rekordsse.KIND, rekordsse.New().DefaultVersion(), props, pemKey)
}

// evidence adds the timestamp and log entry the options ask for.
func (s *signer) evidence(ctx context.Context, m *trust.SignatureMaterial, kind, version string, props rekortypes.ArtifactProperties, pemKey []byte) (*trust.SignatureMaterial, error) {
	var err error
	if s.o.Timestamp {
		if m.Timestamp, err = s.a.vs.TimestampResponse(m.Signature); err != nil {
			return nil, fmt.Errorf("timestamp: %w", err)
		}
	}
	if !s.o.Tlog {
		return m, nil
	}
	props.PublicKeyBytes = [][]byte{pemKey}
	props.PKIFormat = string(pki.X509)
	body, err := entryBody(ctx, kind, version, props)
	if err != nil {
		return nil, fmt.Errorf("transparency-log entry: %w", err)
	}
	if m.Tlog, err = s.a.logEntry(body, kind, version); err != nil {
		return nil, fmt.Errorf("transparency-log entry: %w", err)
	}
	return m, nil
}

// entryBody builds the canonical Rekor v1 entry, as Rekor stores it.
func entryBody(ctx context.Context, kind, version string, props rekortypes.ArtifactProperties) ([]byte, error) {
	pe, err := rekortypes.NewProposedEntry(ctx, kind, version, props)
	if err != nil {
		return nil, err
	}
	impl, err := rekortypes.CreateVersionedEntry(pe)
	if err != nil {
		return nil, err
	}
	can, err := rekortypes.CanonicalizeEntry(ctx, impl)
	if err != nil {
		return nil, err
	}
	// Rekor canonicalizes what it received once more before storing it.
	pe2, err := models.UnmarshalProposedEntry(bytes.NewReader(can), runtime.JSONConsumer())
	if err != nil {
		return nil, err
	}
	impl2, err := rekortypes.UnmarshalEntry(pe2)
	if err != nil {
		return nil, err
	}
	return impl2.Canonicalize(ctx)
}

// logEntry "logs" body: the log signs an inclusion promise (SET) and a
// checkpoint of a one-leaf tree whose inclusion proof is returned too.
// Every entry is at index 0 of its own tree: the virtual log keeps no state.
func (a *Authority) logEntry(body []byte, kind, version string) (*protorekor.TransparencyLogEntry, error) {
	logID, err := a.vs.RekorLogID()
	if err != nil {
		return nil, err
	}
	rawID, err := hex.DecodeString(logID)
	if err != nil {
		return nil, err
	}
	// One second ahead, so the time is inside the certificate's validity
	// whatever sub-second the certificate's NotBefore was truncated from.
	integrated := time.Now().Add(time.Second).Unix()
	const index = 0
	set, err := a.vs.RekorSignPayload(tlog.RekorPayload{
		Body: base64.StdEncoding.EncodeToString(body), IntegratedTime: integrated, LogIndex: index, LogID: logID,
	})
	if err != nil {
		return nil, err
	}
	proof, err := a.vs.GetInclusionProof(body)
	if err != nil {
		return nil, err
	}
	rootHash, err := hex.DecodeString(*proof.RootHash)
	if err != nil {
		return nil, err
	}
	hashes := make([][]byte, len(proof.Hashes))
	for i, h := range proof.Hashes {
		if hashes[i], err = hex.DecodeString(h); err != nil {
			return nil, err
		}
	}
	return &protorekor.TransparencyLogEntry{
		LogIndex:          index,
		LogId:             &protocommon.LogId{KeyId: rawID},
		KindVersion:       &protorekor.KindVersion{Kind: kind, Version: version},
		IntegratedTime:    integrated,
		InclusionPromise:  &protorekor.InclusionPromise{SignedEntryTimestamp: set},
		InclusionProof:    &protorekor.InclusionProof{LogIndex: *proof.LogIndex, RootHash: rootHash, TreeSize: *proof.TreeSize, Hashes: hashes, Checkpoint: &protorekor.Checkpoint{Envelope: *proof.Checkpoint}},
		CanonicalizedBody: body,
	}, nil
}
