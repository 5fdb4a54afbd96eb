// Package trust holds who a service trusts to vouch for its images (public
// keys, keyless Fulcio identities, a Sigstore trusted root, and the
// supply-chain requirements of slipway.yaml) and decides, with sigstore-go,
// whether one signature was made by one of them (Policy.Check), naming the
// rule that failed when not. It also reads cosign-style PEM keys, names keys
// by a stable id, and signs, for demos and tests.
//
// Signature formats (where a signature is stored, what is signed) live in
// package oci; this package answers "is this signature, with its
// certificate, log entry and timestamps, by a signer we trust?".
package trust

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
)

// PublicKey is one trusted verification key.
type PublicKey struct {
	// Key is an *ecdsa.PublicKey, ed25519.PublicKey or *rsa.PublicKey.
	Key crypto.PublicKey
	// ID names the key in results and audit records: the lowercase hex
	// SHA-256 of the key's DER-encoded SubjectPublicKeyInfo (see KeyID).
	ID string
	// Source says where the key came from (a file path), for error messages.
	Source string
}

// String is how a key is named to people: its source and a short id.
func (k PublicKey) String() string {
	id := k.ID
	if len(id) > 12 {
		id = id[:12]
	}
	if k.Source == "" {
		return "key " + id
	}
	return fmt.Sprintf("%s (key %s)", k.Source, id)
}

// KeyID returns the id Slipway gives a public key: the lowercase hex SHA-256
// of its DER SubjectPublicKeyInfo. It is the same id TUF and Sigstore's
// trusted-root tooling use for a key, so it can be compared with their
// output, and it does not depend on how the PEM file was formatted.
func KeyID(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("key id: %w", err)
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:]), nil
}

// NewPublicKey wraps a key, computing its id and checking it is a kind of
// key cosign can sign with.
func NewPublicKey(pub crypto.PublicKey, source string) (PublicKey, error) {
	if err := checkSupported(pub); err != nil {
		return PublicKey{}, fmt.Errorf("%s: %w", sourceName(source), err)
	}
	id, err := KeyID(pub)
	if err != nil {
		return PublicKey{}, fmt.Errorf("%s: %w", sourceName(source), err)
	}
	return PublicKey{Key: pub, ID: id, Source: source}, nil
}

// ParsePublicKeyPEM reads the first PEM block of data as a PKIX "PUBLIC KEY",
// the form `cosign generate-key-pair` writes to cosign.pub. source names the
// input in errors (a path, or "flag --key").
func ParsePublicKeyPEM(data []byte, source string) (PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return PublicKey{}, fmt.Errorf("%s: no PEM block found: expected a PEM \"PUBLIC KEY\" such as cosign.pub from `cosign generate-key-pair` or `slipway keys generate`", sourceName(source))
	}
	switch block.Type {
	case "PUBLIC KEY":
	case "PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY", "RSA PRIVATE KEY":
		return PublicKey{}, fmt.Errorf("%s: this is a private key (PEM %q); a trust policy lists public keys: pass the .pub file instead", sourceName(source), block.Type)
	default:
		return PublicKey{}, fmt.Errorf("%s: PEM block is %q, expected \"PUBLIC KEY\" (PKIX), as cosign.pub contains", sourceName(source), block.Type)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return PublicKey{}, fmt.Errorf("%s: garbled public key: %v: regenerate or re-export the key (`cosign public-key --key cosign.key`)", sourceName(source), err)
	}
	return NewPublicKey(pub, source)
}

// LoadPublicKey reads a PEM public key file.
func LoadPublicKey(path string) (PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return PublicKey{}, fmt.Errorf("public key %s does not exist: check the service's trust policy, or create a key pair with `slipway keys generate`", path)
		}
		return PublicKey{}, fmt.Errorf("public key %s: %w", path, err)
	}
	return ParsePublicKeyPEM(data, path)
}

// checkSupported refuses keys cosign cannot produce signatures for, so a
// mistake shows up when the policy loads rather than as "untrusted" later.
func checkSupported(pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return nil
	case ed25519.PublicKey:
		return nil
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return fmt.Errorf("RSA key of %d bits is too small: use at least 2048 bits", k.N.BitLen())
		}
		return nil
	default:
		return fmt.Errorf("unsupported public key type %T: use ECDSA (P-256, cosign's default), Ed25519 or RSA", pub)
	}
}

func sourceName(source string) string {
	if strings.TrimSpace(source) == "" {
		return "public key"
	}
	return source
}
