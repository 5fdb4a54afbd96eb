package oci

import (
	"context"
	"encoding/base64"
	"testing"

	"github.com/slipway/slipway/trust"
)

// FuzzParseLegacyLayer: layers and their annotations are written by anyone
// who can push to the repository. Parsing must not panic, and whatever
// parses must not verify under a policy whose key signed nothing.
func FuzzParseLegacyLayer(f *testing.F) {
	key, err := trust.GenerateKey()
	if err != nil {
		f.Fatal(err)
	}
	payload := []byte(`{"critical":{"identity":{"docker-reference":"r.example/a"},"image":{"docker-manifest-digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000"},"type":"cosign container image signature"},"optional":null}`)
	m, _ := trust.KeySigner(key).SignMessage(context.Background(), payload)
	sig := base64.StdEncoding.EncodeToString(m.Signature)
	f.Add(false, payload, sig, "", `{"SignedEntryTimestamp":"AA==","Payload":{"body":"e30=","integratedTime":1,"logIndex":0,"logID":"00"}}`, `{"SignedRFC3161Timestamp":"AA=="}`)
	f.Add(true, []byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"keyid":"","sig":"AA=="}]}`), "", "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n", "", "")
	other, _ := trust.GenerateKey()
	pub, _ := trust.NewPublicKey(other.Public(), "other.pub")
	policy := trust.Policy{Keys: []trust.PublicKey{pub}}
	f.Fuzz(func(t *testing.T, att bool, data []byte, sig, cert, rekor, ts string) {
		format := FormatSimpleSigning
		if att {
			format = FormatAttestation
		}
		ann := map[string]string{SignatureAnnotation: sig, CertificateAnnotation: cert, RekorBundleAnnotation: rekor, TimestampAnnotation: ts}
		l, err := parseLegacyLayer(format, data, ann)
		if err != nil {
			return
		}
		if v, _ := policy.Check(l.entity, l.artifact); v != nil {
			t.Fatalf("a layer verified with a key that signed nothing: %q", data)
		}
	})
}
