package trust

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
)

// GenerateKey returns a new ECDSA P-256 key, the kind `cosign
// generate-key-pair` creates.
func GenerateKey() (*ecdsa.PrivateKey, error) {
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

// EncodePublicKeyPEM encodes pub as a PKIX "PUBLIC KEY" PEM block, the format
// of cosign.pub.
func EncodePublicKeyPEM(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// EncodePrivateKeyPEM encodes key as an unencrypted PKCS #8 "PRIVATE KEY".
// Unlike cosign.key it is not password-protected: it is meant for demos,
// tests and CI secrets stores that encrypt at rest.
func EncodePrivateKeyPEM(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// WriteKeyPair generates an ECDSA P-256 key and writes the private key
// (mode 0600) to privPath and the public key to pubPath. It refuses to
// overwrite either file, so a trusted key is never replaced by accident.
func WriteKeyPair(privPath, pubPath string) (PublicKey, error) {
	for _, p := range []string{privPath, pubPath} {
		if _, err := os.Stat(p); err == nil {
			return PublicKey{}, fmt.Errorf("%s already exists: move it away or choose another name; keys are never overwritten", p)
		}
	}
	key, err := GenerateKey()
	if err != nil {
		return PublicKey{}, fmt.Errorf("generate key: %w", err)
	}
	privPEM, err := EncodePrivateKeyPEM(key)
	if err != nil {
		return PublicKey{}, err
	}
	pubPEM, err := EncodePublicKeyPEM(key.Public())
	if err != nil {
		return PublicKey{}, err
	}
	if err := writeNew(privPath, privPEM, 0o600); err != nil {
		return PublicKey{}, err
	}
	if err := writeNew(pubPath, pubPEM, 0o644); err != nil {
		return PublicKey{}, err
	}
	return NewPublicKey(key.Public(), pubPath)
}

func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

// ParsePrivateKeyPEM reads an unencrypted private key: PKCS #8 "PRIVATE KEY"
// (what WriteKeyPair writes) or SEC 1 "EC PRIVATE KEY". cosign's encrypted
// cosign.key ("ENCRYPTED SIGSTORE PRIVATE KEY", scrypt + secretbox) is not
// read yet; the error says how to convert it.
func ParsePrivateKeyPEM(data []byte, source string) (crypto.Signer, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM block found: expected a PEM \"PRIVATE KEY\" as written by `slipway keys generate`", sourceName(source))
	}
	switch block.Type {
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: garbled private key: %v", sourceName(source), err)
		}
		s, ok := k.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("%s: key type %T cannot sign", sourceName(source), k)
		}
		if err := checkSupported(s.Public()); err != nil {
			return nil, fmt.Errorf("%s: %w", sourceName(source), err)
		}
		return s, nil
	case "EC PRIVATE KEY":
		k, err := x509.ParseECPrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: garbled EC private key: %v", sourceName(source), err)
		}
		return k, nil
	case "ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY":
		return nil, fmt.Errorf("%s: cosign's password-encrypted cosign.key is not read yet: sign with cosign itself (`cosign sign --key cosign.key IMAGE`), or use an unencrypted key from `slipway keys generate`", sourceName(source))
	default:
		return nil, fmt.Errorf("%s: PEM block is %q, expected \"PRIVATE KEY\" (PKCS #8)", sourceName(source), block.Type)
	}
}

// LoadPrivateKey reads a private key file; see ParsePrivateKeyPEM.
func LoadPrivateKey(path string) (crypto.Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("private key %s does not exist: create one with `slipway keys generate`", path)
		}
		return nil, fmt.Errorf("private key %s: %w", path, err)
	}
	return ParsePrivateKeyPEM(data, path)
}
