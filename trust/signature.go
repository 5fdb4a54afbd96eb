package trust

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
)

// ErrBadSignature reports a signature that does not verify with a key.
var ErrBadSignature = errors.New("signature does not verify")

// VerifySignature checks sig over message the way cosign's key-based
// verification does: ECDSA (any curve) as an ASN.1 signature of the SHA-256
// of message, RSA as PKCS #1 v1.5 with SHA-256, Ed25519 over message itself.
func (k PublicKey) VerifySignature(message, sig []byte) error {
	switch pub := k.Key.(type) {
	case *ecdsa.PublicKey:
		sum := sha256.Sum256(message)
		if !ecdsa.VerifyASN1(pub, sum[:], sig) {
			return fmt.Errorf("%s: %w", k, ErrBadSignature)
		}
	case ed25519.PublicKey:
		if !ed25519.Verify(pub, message, sig) {
			return fmt.Errorf("%s: %w", k, ErrBadSignature)
		}
	case *rsa.PublicKey:
		sum := sha256.Sum256(message)
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
			return fmt.Errorf("%s: %w", k, ErrBadSignature)
		}
	default:
		return fmt.Errorf("%s: unsupported key type %T", k, k.Key)
	}
	return nil
}

// Sign signs message with signer in the form VerifySignature (and cosign)
// accepts for the signer's key type.
func Sign(signer crypto.Signer, message []byte) ([]byte, error) {
	switch signer.Public().(type) {
	case *ecdsa.PublicKey, *rsa.PublicKey:
		sum := sha256.Sum256(message)
		// crypto/ecdsa signers return ASN.1 DER, which is what cosign stores.
		return signer.Sign(rand.Reader, sum[:], crypto.SHA256)
	case ed25519.PublicKey:
		return signer.Sign(rand.Reader, message, crypto.Hash(0))
	default:
		return nil, fmt.Errorf("sign: unsupported key type %T: use ECDSA, Ed25519 or RSA", signer.Public())
	}
}
