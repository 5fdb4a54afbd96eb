package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/slipway/slipway/oci"
	"github.com/slipway/slipway/tlog/rekor"
	"github.com/slipway/slipway/trust"
)

// SignatureLog records a signature in a transparency log and returns the
// entry, verified against the log's key (rekor.Client, wired from
// slipway.yaml's rekor:). Recording twice returns the same entry.
type SignatureLog interface {
	Upload(ctx context.Context, h rekor.HashedRekord) (*rekor.Entry, error)
}

var _ SignatureLog = (*rekor.Client)(nil)

// recordSignature puts a key signature that came without a log entry into
// e.Rekor, so the build's audit leaf can name one ("" when there is nothing
// to record: no log configured, a keyless signature, one already logged,
// or an attestation envelope). The entry must record exactly this
// signature, this key and these signed bytes.
func (e *Engine) recordSignature(ctx context.Context, policy *trust.ServicePolicy, sig oci.Evidence) (string, error) {
	if e.Rekor == nil || len(sig.Tlog) > 0 || sig.Signer.Keyless() || sig.Signature == nil {
		return "", nil
	}
	var pemKey []byte
	for _, k := range policy.Signers.Keys {
		if k.ID == sig.Signer.KeyID {
			b, err := trust.EncodePublicKeyPEM(k.Key)
			if err != nil {
				return "", err
			}
			pemKey = b
			break
		}
	}
	if pemKey == nil {
		return "", fmt.Errorf("the key %s that signed it is not among the service's keys", sig.Signer.KeyID)
	}
	entry, err := e.Rekor.Upload(ctx, rekor.HashedRekord{Digest: sig.SignedSHA256, Signature: sig.Signature, PublicKey: pemKey})
	if err != nil {
		return "", err
	}
	uuid := strings.ToLower(entry.UUID)
	if len(uuid) < 64 {
		return "", fmt.Errorf("rekor entry UUID %q is not 64 or 80 hex digits", entry.UUID)
	}
	return fmt.Sprintf("%d:%s", entry.LogIndex, uuid[len(uuid)-64:]), nil
}
