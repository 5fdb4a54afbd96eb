package bundle

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/slipway/slipway/trust"
)

// sigstoreBundleMediaType is the Sigstore bundle version cosign v3 writes.
const sigstoreBundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"

// Signatures are the two forms of the signature over SHA256SUMS.
type Signatures struct {
	// Sig is SHA256SUMS.sig: the base64 of an ASN.1 DER ECDSA signature
	// over SHA-256(SHA256SUMS), what `cosign sign-blob --key` prints and
	// `cosign verify-blob --key K --signature SHA256SUMS.sig` checks.
	Sig []byte
	// Sigstore is SHA256SUMS.sigstore.json: the same signature as a Sigstore
	// bundle v0.3 (message signature, public-key hint, no transparency-log
	// entry), the form cosign v3 reads with --bundle.
	Sigstore []byte
	// KeyID is the trust.KeyID of the signing key.
	KeyID string
}

// SignSums signs the bytes of SHA256SUMS. ECDSA keys sign
// deterministically (RFC 6979), so the same bundle signed twice with the
// same key is byte-identical and its OCI digest does not change on a re-run.
func SignSums(signer crypto.Signer, sums []byte) (Signatures, error) {
	pub, err := trust.NewPublicKey(signer.Public(), "signing key")
	if err != nil {
		return Signatures{}, err
	}
	sum := sha256.Sum256(sums)
	var sig []byte
	if k, ok := signer.(*ecdsa.PrivateKey); ok {
		sig, err = k.Sign(nil, sum[:], crypto.SHA256) // nil: RFC 6979
	} else {
		sig, err = trust.Sign(signer, sums)
	}
	if err != nil {
		return Signatures{}, fmt.Errorf("sign %s: %w", SumsFile, err)
	}
	if err := pub.VerifySignature(sums, sig); err != nil {
		return Signatures{}, fmt.Errorf("sign %s: the key's own signature does not verify: %w", SumsFile, err)
	}
	out := Signatures{Sig: []byte(base64.StdEncoding.EncodeToString(sig)), KeyID: pub.ID}
	if _, ok := signer.Public().(*ecdsa.PublicKey); ok {
		// Sigstore bundles here carry ECDSA only, like cosign's key mode.
		if out.Sigstore, err = sigstoreBlobBundle(pub, sum[:], sig); err != nil {
			return Signatures{}, err
		}
	}
	return out, nil
}

// sigstoreBlobBundle builds the bundle `cosign sign-blob --key K
// --bundle F --tlog-upload=false` writes: a message signature over the
// SHA-256 of the blob and, as verification material, a hint naming the key
// (base64 of its id), which verifiers must not trust.
func sigstoreBlobBundle(pub trust.PublicKey, digest, sig []byte) ([]byte, error) {
	id, _ := hex.DecodeString(pub.ID)
	pb := &protobundle.Bundle{
		MediaType: sigstoreBundleMediaType,
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content: &protobundle.VerificationMaterial_PublicKey{
				PublicKey: &protocommon.PublicKeyIdentifier{Hint: base64.StdEncoding.EncodeToString(id)},
			},
		},
		Content: &protobundle.Bundle_MessageSignature{MessageSignature: &protocommon.MessageSignature{
			MessageDigest: &protocommon.HashOutput{Algorithm: protocommon.HashAlgorithm_SHA2_256, Digest: digest},
			Signature:     sig,
		}},
	}
	b, err := (&sgbundle.Bundle{Bundle: pb}).MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", SigstoreFile, err)
	}
	return b, nil
}

// verifySig checks SHA256SUMS.sig over sums with the policy's keys.
func verifySig(sums, sigB64 []byte, policy trust.Policy) (trust.PublicKey, error) {
	raw := bytes.TrimSpace(sigB64)
	sig, err := base64.StdEncoding.DecodeString(string(raw))
	if err != nil || len(sig) == 0 {
		return trust.PublicKey{}, &FileError{File: SigFile, Problem: "is not a base64 signature"}
	}
	key, err := policy.VerifyBlob(sums, sig)
	if err != nil {
		return trust.PublicKey{}, &FileError{File: SigFile, Problem: fmt.Sprintf("does not verify %s with %s: either file was changed, or the bundle was signed by another key", SumsFile, policy.Describe())}
	}
	return key, nil
}

// verifySigstore checks SHA256SUMS.sigstore.json: a message signature over
// sums by one of the policy's keys. Transparency-log entries and timestamps
// in it are not checked (cosign's --insecure-ignore-tlog); Slipway never
// writes any.
func verifySigstore(sums, bundleJSON []byte, policy trust.Policy) (trust.PublicKey, error) {
	bad := func(problem string) error { return &FileError{File: SigstoreFile, Problem: problem} }
	var b sgbundle.Bundle
	if err := b.UnmarshalJSON(bundleJSON); err != nil {
		return trust.PublicKey{}, bad("is not a valid Sigstore bundle: " + err.Error())
	}
	if b.GetMessageSignature() == nil {
		return trust.PublicKey{}, bad("holds no message signature (a DSSE envelope is not a blob signature)")
	}
	for _, key := range policy.Keys {
		if _, ok := key.Key.(*ecdsa.PublicKey); !ok {
			continue
		}
		sv, err := signature.LoadVerifier(key.Key, crypto.SHA256)
		if err != nil {
			continue
		}
		// The key comes from the policy whatever hint the bundle carries.
		material := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) {
			return root.NewExpiringKey(sv, time.Time{}, time.Time{}), nil
		})
		v, err := verify.NewVerifier(material, verify.WithNoObserverTimestamps())
		if err != nil {
			return trust.PublicKey{}, err
		}
		pol := verify.NewPolicy(verify.WithArtifact(bytes.NewReader(sums)), verify.WithKey())
		if _, err := v.Verify(&b, pol); err == nil {
			return key, nil
		}
	}
	return trust.PublicKey{}, bad(fmt.Sprintf("does not verify %s with %s: either file was changed, or the bundle was signed by another key", SumsFile, policy.Describe()))
}

// FileError names the bundle file that failed verification.
type FileError struct {
	// File is relative to the bundle directory.
	File    string
	Problem string
}

func (e *FileError) Error() string { return e.File + " " + e.Problem }

// ErrVerify is wrapped by every verification failure, so callers can tell
// "the bundle is not authentic" from "could not read it".
var ErrVerify = errors.New("bundle verification failed")
