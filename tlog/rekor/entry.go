package rekor

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-openapi/strfmt"
	"github.com/sigstore/rekor/pkg/generated/models"
	"github.com/sigstore/rekor/pkg/util"
	"github.com/sigstore/rekor/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/transparency-dev/merkle/rfc6962"
)

// Entry is one Rekor log entry as the server returned it. Raw is what to
// store: ParseEntry(Raw) and Verify prove it again later, offline.
type Entry struct {
	UUID           string    // as the server named it (80 hex: tree id + leaf hash)
	LogIndex       int64     // the virtual log index (across shards)
	IntegratedTime time.Time // when Rekor integrated it; covered by the SET once verified
	LogID          string    // hex SHA-256 of the log key
	Raw            []byte    // the LogEntry JSON: {"<uuid>": {body, integratedTime, logID, logIndex, verification}}

	anon models.LogEntryAnon
}

// ParseEntry reads a stored LogEntry response (one entry). It checks the
// shape only; Verify checks the proofs.
func ParseEntry(raw []byte) (*Entry, error) {
	var le models.LogEntry
	if err := json.Unmarshal(raw, &le); err != nil {
		return nil, fmt.Errorf("rekor entry: not a LogEntry object: %w", err)
	}
	if len(le) != 1 {
		return nil, fmt.Errorf("rekor entry: want one entry, got %d", len(le))
	}
	if err := le.Validate(strfmt.Default); err != nil {
		return nil, fmt.Errorf("rekor entry: %w", err)
	}
	for uuid, anon := range le {
		if !uuidRE.MatchString(uuid) {
			return nil, fmt.Errorf("rekor entry UUID %q: want 64 or 80 hex digits", uuid)
		}
		if _, ok := anon.Body.(string); !ok {
			return nil, fmt.Errorf("rekor entry %s: body is %T, want base64 text", uuid, anon.Body)
		}
		return &Entry{
			UUID: uuid, LogIndex: *anon.LogIndex, IntegratedTime: time.Unix(*anon.IntegratedTime, 0).UTC(),
			LogID: strings.ToLower(*anon.LogID), Raw: append([]byte(nil), raw...), anon: anon,
		}, nil
	}
	panic("unreachable")
}

// Verify proves, with only the log's public key: the entry's body is the
// leaf its UUID names; the entry comes from that key's log; its inclusion
// proof reaches the root of a checkpoint the key signed; the signed entry
// timestamp covers body, index, time and log id. Given want, the body must
// be a hashedrekord of exactly that digest, signature and key.
func (e *Entry) Verify(key crypto.PublicKey, want *HashedRekord) error {
	body, err := e.bodyBytes()
	if err != nil {
		return err
	}
	leaf := hex.EncodeToString(rfc6962.DefaultHasher.HashLeaf(body))
	if !strings.EqualFold(e.UUID[len(e.UUID)-64:], leaf) {
		return fmt.Errorf("entry UUID %s does not name its body (leaf hash %s): the body was altered", e.UUID, leaf)
	}
	logID, err := LogID(key)
	if err != nil {
		return err
	}
	if e.LogID != logID {
		return fmt.Errorf("entry is from log %s, the trusted Rekor key is log %s: another log, or the wrong key pinned", e.LogID, logID)
	}
	v, err := signature.LoadVerifier(key, crypto.SHA256)
	if err != nil {
		return fmt.Errorf("rekor key: %w", err)
	}
	ctx := context.Background()
	if err := verify.VerifyInclusion(ctx, &e.anon); err != nil {
		return fmt.Errorf("inclusion proof: %w", err)
	}
	if err := verify.VerifyCheckpointSignature(&e.anon, v); err != nil {
		return fmt.Errorf("checkpoint of the inclusion proof: %w", err)
	}
	if err := checkSET(&e.anon, v); err != nil {
		return err
	}
	if want == nil {
		return nil
	}
	got, err := e.Body()
	if err != nil {
		return err
	}
	switch {
	case !bytes.Equal(got.Digest, want.Digest):
		return fmt.Errorf("entry records digest %x, not %x: it is another artifact's entry", got.Digest, want.Digest)
	case !bytes.Equal(got.Signature, want.Signature):
		return errors.New("entry records another signature")
	}
	gotKey, err := parseKeyOrCert(got.PublicKey)
	if err != nil {
		return fmt.Errorf("entry's public key: %w", err)
	}
	wantKey, err := parseKeyOrCert(want.PublicKey)
	if err != nil {
		return err
	}
	if !bytes.Equal(gotKey, wantKey) {
		return errors.New("entry records another public key or certificate")
	}
	return nil
}

// checkSET verifies the signed entry timestamp: the log key's signature
// over the RFC 8785 form of {body, integratedTime, logID, logIndex}.
func checkSET(anon *models.LogEntryAnon, v signature.Verifier) error {
	if err := verify.VerifySignedEntryTimestamp(context.Background(), anon, v); err != nil {
		return fmt.Errorf("signed entry timestamp: %w", err)
	}
	return nil
}

func (e *Entry) bodyBytes() ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(e.anon.Body.(string))
	if err != nil {
		return nil, fmt.Errorf("entry body is not base64: %w", err)
	}
	return b, nil
}

// Body decodes the entry's body as a hashedrekord v0.0.1 (the only kind
// Slipway records). It does not verify anything: call Verify.
func (e *Entry) Body() (*HashedRekord, error) {
	b, err := e.bodyBytes()
	if err != nil {
		return nil, err
	}
	var body struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Spec       struct {
			Data struct {
				Hash struct {
					Algorithm string `json:"algorithm"`
					Value     string `json:"value"`
				} `json:"hash"`
			} `json:"data"`
			Signature struct {
				Content   []byte `json:"content"`
				PublicKey struct {
					Content []byte `json:"content"`
				} `json:"publicKey"`
			} `json:"signature"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(b, &body); err != nil {
		return nil, fmt.Errorf("entry body: %w", err)
	}
	if body.Kind != "hashedrekord" || body.APIVersion != "0.0.1" {
		return nil, fmt.Errorf("entry is a %s %s, not a hashedrekord 0.0.1", body.Kind, body.APIVersion)
	}
	if body.Spec.Data.Hash.Algorithm != "sha256" {
		return nil, fmt.Errorf("entry hashes with %q, Slipway records sha256", body.Spec.Data.Hash.Algorithm)
	}
	digest, err := hex.DecodeString(body.Spec.Data.Hash.Value)
	if err != nil || len(digest) != 32 {
		return nil, fmt.Errorf("entry digest %q is not a SHA-256", body.Spec.Data.Hash.Value)
	}
	return &HashedRekord{Digest: digest, Signature: body.Spec.Signature.Content, PublicKey: body.Spec.Signature.PublicKey.Content}, nil
}

// parseKeyOrCert returns the DER that identifies a PEM public key or
// certificate, so two encodings of one key compare equal.
func parseKeyOrCert(pemBytes []byte) ([]byte, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("hashedrekord: public key is not PEM")
	}
	switch block.Type {
	case "CERTIFICATE":
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("hashedrekord: certificate: %w", err)
		}
		return c.Raw, nil
	case "PUBLIC KEY":
		k, err := cryptoutils.UnmarshalPEMToPublicKey(pemBytes)
		if err != nil {
			return nil, fmt.Errorf("hashedrekord: public key: %w", err)
		}
		return cryptoutils.MarshalPublicKeyToDER(k)
	}
	return nil, fmt.Errorf("hashedrekord: PEM %q, want PUBLIC KEY or CERTIFICATE", block.Type)
}

// verifyCheckpoint checks a Rekor signed tree head against key and, when
// root is given, that it signs root; it returns the tree size.
func verifyCheckpoint(note string, key crypto.PublicKey, root []byte) (uint64, error) {
	var sc util.SignedCheckpoint
	if err := sc.UnmarshalText([]byte(note)); err != nil {
		return 0, err
	}
	v, err := signature.LoadVerifier(key, crypto.SHA256)
	if err != nil {
		return 0, err
	}
	if !sc.Verify(v) {
		return 0, errors.New("not signed by the trusted Rekor key")
	}
	if root != nil && !bytes.Equal(sc.Hash, root) {
		return 0, fmt.Errorf("signs root %x, the answer says %x", sc.Hash, root)
	}
	return sc.Size, nil
}
