package trust_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway/slipway/trust"
)

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// The key ids in testdata were computed by openssl
// (`openssl pkey -pubin -outform DER | sha256sum`), independently of our code.
func TestLoadPublicKeyAndKeyID(t *testing.T) {
	for _, tc := range []struct {
		file string
		want func(any) bool
	}{
		{"ec.pub", func(k any) bool { e, ok := k.(*ecdsa.PublicKey); return ok && e.Curve == elliptic.P256() }},
		{"ed.pub", func(k any) bool { _, ok := k.(ed25519.PublicKey); return ok }},
	} {
		path := filepath.Join("testdata", tc.file)
		k, err := trust.LoadPublicKey(path)
		if err != nil {
			t.Fatalf("LoadPublicKey(%s): %v", path, err)
		}
		if !tc.want(k.Key) {
			t.Errorf("%s: key type %T", path, k.Key)
		}
		if want := readFile(t, path+".keyid"); k.ID != want {
			t.Errorf("%s: ID = %s, want %s (openssl)", path, k.ID, want)
		}
		if k.Source != path || !strings.Contains(k.String(), path) {
			t.Errorf("%s: Source = %q, String = %q", path, k.Source, k.String())
		}
	}
}

// msg.txt.sig was made by `openssl dgst -sha256 -sign` with the private half
// of ec.pub: an independent ECDSA implementation, in the ASN.1 form cosign uses.
func TestVerifySignatureAgainstOpenSSL(t *testing.T) {
	k, err := trust.LoadPublicKey("testdata/ec.pub")
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := os.ReadFile("testdata/msg.txt")
	sig, _ := os.ReadFile("testdata/msg.txt.sig")
	if err := k.VerifySignature(msg, sig); err != nil {
		t.Fatalf("openssl signature refused: %v", err)
	}
	if err := k.VerifySignature(append(msg, '!'), sig); !errors.Is(err, trust.ErrBadSignature) {
		t.Fatalf("signature over other bytes = %v, want ErrBadSignature", err)
	}
}

func TestPublicKeyErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	priv, err := trust.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	privPEM, _ := trust.EncodePrivateKeyPEM(priv)
	for _, tc := range []struct {
		name     string
		path     string
		mentions []string
	}{
		{"missing", filepath.Join(dir, "nope.pub"), []string{"nope.pub", "does not exist", "slipway keys generate"}},
		{"not PEM", write("text.pub", "hello"), []string{"text.pub", "no PEM block"}},
		{"garbled", write("garbled.pub", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"), []string{"garbled.pub", "garbled public key"}},
		{"private key", write("cosign.key", string(privPEM)), []string{"cosign.key", "private key", ".pub"}},
		{"certificate", write("cert.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), []string{"cert.pem", `"CERTIFICATE"`, "PUBLIC KEY"}},
		{"small RSA", "testdata/rsa1024.pub", []string{"rsa1024.pub", "1024 bits is too small"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := trust.LoadPublicKey(tc.path)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, m := range tc.mentions {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
		})
	}
}

func TestWriteKeyPairRoundTrip(t *testing.T) {
	dir := t.TempDir()
	priv, pub := filepath.Join(dir, "slipway.key"), filepath.Join(dir, "slipway.pub")
	written, err := trust.WriteKeyPair(priv, pub)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(priv); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("private key mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	signer, err := trust.LoadPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	policy, err := trust.LoadPolicy(pub)
	if err != nil {
		t.Fatal(err)
	}
	if policy.Keys[0].ID != written.ID {
		t.Errorf("loaded key id %s, written %s", policy.Keys[0].ID, written.ID)
	}
	sig, err := trust.Sign(signer, []byte("payload"))
	if err != nil {
		t.Fatal(err)
	}
	if v, rej := policy.Check(messageSignature(t, []byte("payload"), sig), []byte("payload")); rej != nil || v.Signer.KeyID != written.ID {
		t.Errorf("Check = %+v, %v", v, rej)
	}
	if _, err := trust.WriteKeyPair(priv, filepath.Join(dir, "other.pub")); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("WriteKeyPair over an existing key = %v, want refusal", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "other.pub")); !os.IsNotExist(err) {
		t.Error("a refused WriteKeyPair still wrote the public key")
	}
}

func TestPolicy(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.pub"), filepath.Join(dir, "b.pub")
	if _, err := trust.WriteKeyPair(filepath.Join(dir, "a.key"), a); err != nil {
		t.Fatal(err)
	}
	if _, err := trust.WriteKeyPair(filepath.Join(dir, "b.key"), b); err != nil {
		t.Fatal(err)
	}
	policy, err := trust.LoadPolicy(a, b)
	if err != nil {
		t.Fatal(err)
	}
	signerB, err := trust.LoadPrivateKey(filepath.Join(dir, "b.key"))
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := trust.Sign(signerB, []byte("m"))
	v, rej := policy.Check(messageSignature(t, []byte("m"), sig), []byte("m"))
	if rej != nil || v.Signer.KeySource != b {
		t.Errorf("Check matched %+v, %v; want the key from %s", v, rej, b)
	}
	if _, rej := policy.Check(messageSignature(t, []byte("other"), sig), []byte("other")); rej == nil || rej.Rule != trust.RuleUntrustedKey || !strings.Contains(rej.Reason, "a.pub") {
		t.Errorf("Check of a wrong message = %v, want untrusted-key naming the keys", rej)
	}

	for _, tc := range []struct {
		name    string
		paths   []string
		mention string
	}{
		{"no keys", nil, "no public keys"},
		{"duplicate", []string{a, a}, "same key twice"},
		{"missing file", []string{a, filepath.Join(dir, "gone.pub")}, "gone.pub"},
	} {
		if _, err := trust.LoadPolicy(tc.paths...); err == nil || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("%s: LoadPolicy = %v, want an error mentioning %q", tc.name, err, tc.mention)
		}
	}
}

func TestParsePrivateKeyErrors(t *testing.T) {
	for _, tc := range []struct {
		name, pem, mention string
	}{
		{"cosign encrypted", "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n", "not read yet"},
		{"public key", readFile(t, "testdata/ec.pub"), `"PUBLIC KEY"`},
		{"garbage", "nope", "no PEM block"},
	} {
		if _, err := trust.ParsePrivateKeyPEM([]byte(tc.pem), "k.key"); err == nil || !strings.Contains(err.Error(), tc.mention) || !strings.Contains(err.Error(), "k.key") {
			t.Errorf("%s: error %v, want one naming k.key and mentioning %q", tc.name, err, tc.mention)
		}
	}
}

// FuzzParsePublicKeyPEM: never panics; an accepted key has a 64-hex id and
// names its source.
func FuzzParsePublicKeyPEM(f *testing.F) {
	for _, p := range []string{"testdata/ec.pub", "testdata/ed.pub", "testdata/rsa1024.pub"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\n\n-----END PUBLIC KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := trust.ParsePublicKeyPEM(data, "fuzz.pub")
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.pub") {
				t.Fatalf("error %q does not name the input", err)
			}
			return
		}
		if len(k.ID) != 64 {
			t.Fatalf("key id %q", k.ID)
		}
	})
}

// FuzzParsePrivateKeyPEM: never panics; errors name the input; an accepted
// key can sign something its public half verifies.
func FuzzParsePrivateKeyPEM(f *testing.F) {
	k, err := trust.GenerateKey()
	if err != nil {
		f.Fatal(err)
	}
	pemBytes, _ := trust.EncodePrivateKeyPEM(k)
	f.Add(pemBytes)
	f.Add([]byte("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := trust.ParsePrivateKeyPEM(data, "fuzz.key")
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.key") {
				t.Fatalf("error %q does not name the input", err)
			}
			return
		}
		pub, err := trust.NewPublicKey(s.Public(), "fuzz")
		if err != nil {
			t.Fatal(err)
		}
		sig, err := trust.Sign(s, []byte("m"))
		if err != nil {
			t.Fatal(err)
		}
		if err := pub.VerifySignature([]byte("m"), sig); err != nil {
			t.Fatal(err)
		}
	})
}

// messageSignature is a legacy (simple-signing style) signature of msg.
func messageSignature(t *testing.T, msg, sig []byte) *trust.Detached {
	t.Helper()
	d, err := trust.NewDetached(trust.Detached{Payload: msg, Signature: sig}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
