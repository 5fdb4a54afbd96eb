package rekor

// No Rekor server runs here (it needs Trillian and a database). These tests
// talk to an httptest server that plays Rekor v1's REST API, and builds its
// answers with Rekor's own server-side code: the proposed entry is decoded,
// its signature checked and its body canonicalized by rekor/pkg/types (as
// rekor-server does), inclusion proofs come from a real RFC 6962 tree
// (transparency-dev/merkle), checkpoints are signed notes made by
// rekor/pkg/util, and the signed entry timestamp is the log key's signature
// over the RFC 8785 form of {body, integratedTime, logID, logIndex}, as
// rekor-server signs it. One test also checks a real entry of the public
// Rekor against its real key.

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/slipway/slipway/tlog/rekor/rekortest"

	_ "github.com/sigstore/rekor/pkg/types/hashedrekord/v0.0.1" // registers the kind, as rekor-server does
	"github.com/sigstore/rekor/pkg/util"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/transparency-dev/merkle/rfc6962"
)

// signed makes a hashedrekord the way cosign does for a key signature: an
// ECDSA P-256 signature over the payload's SHA-256, the key as PEM.
func signed(t *testing.T, payload string) HashedRekord {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(payload))
	sig, err := ecdsa.SignASN1(rand.Reader, priv, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	pemKey, err := cryptoutils.MarshalPublicKeyToPEM(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	return HashedRekord{Digest: sum[:], Signature: sig, PublicKey: pemKey}
}

func TestUploadAndVerifyOffline(t *testing.T) {
	ctx := context.Background()
	f := rekortest.New(t)
	c, err := New(f.URL, f.Key, nil)
	if err != nil {
		t.Fatal(err)
	}
	others := []HashedRekord{signed(t, "a"), signed(t, "b")}
	for _, h := range others {
		if _, err := c.Upload(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	h := signed(t, `{"critical":{"identity":{"docker-reference":"registry.example.com/api"},"image":{"docker-manifest-digest":"sha256:`+strings.Repeat("ab", 32)+`"},"type":"cosign container image signature"},"optional":null}`)
	e, err := c.Upload(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	if e.LogIndex != rekortest.ShardBase+2 || len(e.UUID) != 80 || e.IntegratedTime.IsZero() {
		t.Fatalf("entry %+v", e)
	}
	// Uploading again finds the same entry (HTTP 409, then GET).
	again, err := c.Upload(ctx, h)
	if err != nil || again.UUID != e.UUID || again.LogIndex != e.LogIndex {
		t.Fatalf("re-upload: %+v %v", again, err)
	}
	// Later, offline: only the stored response and the pinned key.
	f.Close()
	stored, err := ParseEntry(e.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := stored.Verify(f.Key, &h); err != nil {
		t.Fatalf("offline verify: %v", err)
	}
	if err := stored.Verify(f.Key, &others[0]); err == nil || !strings.Contains(err.Error(), "another artifact") {
		t.Fatalf("entry verified for another signature: %v", err)
	}
	body, err := stored.Body()
	if err != nil || !bytes.Equal(body.Signature, h.Signature) {
		t.Fatalf("body: %+v %v", body, err)
	}
}

func TestGetRetrieveAndLogInfo(t *testing.T) {
	ctx := context.Background()
	f := rekortest.New(t)
	c, _ := New(f.URL+"/", f.Key, nil)
	var hs []HashedRekord
	var es []*Entry
	for i := range 5 {
		h := signed(t, fmt.Sprint("payload ", i))
		e, err := c.Upload(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		hs, es = append(hs, h), append(es, e)
	}
	// By the 80-hex UUID and by the bare leaf hash.
	for _, id := range []string{es[1].UUID, es[1].UUID[16:]} {
		got, err := c.Get(ctx, id, &hs[1])
		if err != nil || got.LogIndex != es[1].LogIndex {
			t.Fatalf("get %s: %+v %v", id, got, err)
		}
	}
	if _, err := c.Get(ctx, es[2].UUID, &hs[1]); err == nil {
		t.Fatal("Get accepted an entry recording another signature")
	}
	if _, err := c.Get(ctx, strings.Repeat("0", 64), nil); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("missing entry: %v", err)
	}
	found, err := c.Retrieve(ctx, Query{UUIDs: []string{es[0].UUID}, LogIndexes: []int64{es[3].LogIndex}, Entries: []HashedRekord{hs[4], signed(t, "never uploaded")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 3 || found[0].UUID != es[0].UUID || found[1].UUID != es[3].UUID || found[2].UUID != es[4].UUID {
		t.Fatalf("retrieve: %d entries", len(found))
	}
	info, err := c.LogInfo(ctx)
	if err != nil || info.TreeSize != 5 || info.TreeID != fmt.Sprint(rekortest.TreeID) {
		t.Fatalf("log info: %+v %v", info, err)
	}
	pemKey, err := PublicKey(ctx, f.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if k, _ := ParsePublicKey(pemKey); k == nil || !k.(*ecdsa.PublicKey).Equal(f.Key) {
		t.Fatal("public key differs")
	}
}

func TestUploadRefusals(t *testing.T) {
	ctx := context.Background()
	f := rekortest.New(t)
	c, _ := New(f.URL, f.Key, nil)

	// Rekor checks the signature over the digest and answers 400.
	bad := signed(t, "x")
	bad.Signature[len(bad.Signature)-1] ^= 1
	if _, err := c.Upload(ctx, bad); err == nil || !strings.Contains(err.Error(), "HTTP 400") {
		t.Fatalf("bad signature: %v", err)
	}
	// Refused before sending.
	if _, err := c.Upload(ctx, HashedRekord{Digest: []byte("short"), Signature: []byte{1}, PublicKey: bad.PublicKey}); err == nil {
		t.Fatal("a non-SHA-256 digest was sent")
	}
	// A server answering with another signature's entry.
	first := signed(t, "first")
	if _, err := c.Upload(ctx, first); err != nil {
		t.Fatal(err)
	}
	f.SetReplay(true)
	if _, err := c.Upload(ctx, signed(t, "second")); err == nil || !strings.Contains(err.Error(), "another artifact") {
		t.Fatalf("replayed entry accepted: %v", err)
	}
	f.SetReplay(false)
	// A client pinned to another log's key refuses this log's entries.
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	c2, _ := New(f.URL, other.Public(), nil)
	if _, err := c2.Upload(ctx, signed(t, "third")); err == nil || !strings.Contains(err.Error(), "trusted Rekor key is log") {
		t.Fatalf("entry of another log accepted: %v", err)
	}
	for _, u := range []string{"ftp://rekor", "rekor.sigstore.dev", "https://rekor.example?x=1"} {
		if _, err := New(u, f.Key, nil); err == nil {
			t.Errorf("URL %q accepted", u)
		}
	}
	if _, err := New(f.URL, nil, nil); err == nil || !strings.Contains(err.Error(), "pin it") {
		t.Fatalf("no key: %v", err)
	}
}

// TestVerifyTamperedEntry edits a stored response the ways an attacker
// with the database could, and each edit is refused.
func TestVerifyTamperedEntry(t *testing.T) {
	ctx := context.Background()
	f := rekortest.New(t)
	c, _ := New(f.URL, f.Key, nil)
	for i := range 6 {
		if _, err := c.Upload(ctx, signed(t, fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	h := signed(t, "the one")
	e, err := c.Upload(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(change func(anon map[string]any, v map[string]any, p map[string]any)) []byte {
		var le map[string]map[string]any
		if err := json.Unmarshal(e.Raw, &le); err != nil {
			t.Fatal(err)
		}
		anon := le[e.UUID]
		v := anon["verification"].(map[string]any)
		change(anon, v, v["inclusionProof"].(map[string]any))
		b, _ := json.Marshal(le)
		return b
	}
	otherBody := base64.StdEncoding.EncodeToString(f.Body(0))
	attacker, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	attackerSV, _ := signature.LoadECDSASignerVerifier(attacker, crypto.SHA256)
	forgedCP, _ := util.CreateAndSignCheckpoint(ctx, rekortest.Host, rekortest.TreeID, f.TreeSize(), f.TreeHash(), attackerSV)

	cases := map[string]struct {
		raw  []byte
		want string
	}{
		"another body":      {edit(func(a, v, p map[string]any) { a["body"] = otherBody }), "does not name its body"},
		"later time":        {edit(func(a, v, p map[string]any) { a["integratedTime"] = a["integratedTime"].(float64) + 3600 }), "signed entry timestamp"},
		"other index":       {edit(func(a, v, p map[string]any) { a["logIndex"] = a["logIndex"].(float64) - 1 }), "signed entry timestamp"},
		"proof hash":        {edit(func(a, v, p map[string]any) { p["hashes"].([]any)[0] = strings.Repeat("00", 32) }), "inclusion proof"},
		"proof index":       {edit(func(a, v, p map[string]any) { p["logIndex"] = p["logIndex"].(float64) - 1 }), "inclusion proof"},
		"forged checkpoint": {edit(func(a, v, p map[string]any) { p["checkpoint"] = string(forgedCP) }), "checkpoint"},
		"no proof":          {edit(func(a, v, p map[string]any) { delete(v, "inclusionProof") }), "inclusion proof not provided"},
		"no SET":            {edit(func(a, v, p map[string]any) { delete(v, "signedEntryTimestamp") }), "signed entry timestamp"},
	}
	for name, tc := range cases {
		got, err := ParseEntry(tc.raw)
		if err == nil {
			err = got.Verify(f.Key, &h)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: want an error about %q, got %v", name, tc.want, err)
		}
	}
	for name, raw := range map[string]string{
		"not JSON":    "<html>",
		"two entries": `{"` + strings.Repeat("a", 64) + `":{},"` + strings.Repeat("b", 64) + `":{}}`,
		"bad uuid":    `{"xyz":{"body":"e30=","integratedTime":1,"logID":"` + strings.Repeat("a", 64) + `","logIndex":1}}`,
	} {
		if _, err := ParseEntry([]byte(raw)); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

// TestPublicRekorSET checks the signed entry timestamp of a real entry of
// the public Rekor (log index 18300934, from sigstore-go's example bundle)
// against the public Rekor key from Sigstore's trusted root: the SET bytes
// Slipway reconstructs from a stored entry are the ones Rekor signed.
func TestPublicRekorSET(t *testing.T) {
	dir := moduleDir(t, "github.com/sigstore/sigstore-go")
	var bundle struct {
		VerificationMaterial struct {
			TlogEntries []struct {
				LogIndex          string                 `json:"logIndex"`
				LogID             struct{ KeyID string } `json:"logId"`
				IntegratedTime    string                 `json:"integratedTime"`
				InclusionPromise  struct{ SignedEntryTimestamp string }
				CanonicalizedBody string `json:"canonicalizedBody"`
			} `json:"tlogEntries"`
		} `json:"verificationMaterial"`
	}
	readJSON(t, dir+"/examples/bundle-provenance.json", &bundle)
	var root struct {
		Tlogs []struct {
			BaseURL   string `json:"baseUrl"`
			PublicKey struct {
				RawBytes string `json:"rawBytes"`
			} `json:"publicKey"`
		} `json:"tlogs"`
	}
	readJSON(t, dir+"/examples/trusted-root-public-good.json", &root)
	der, _ := base64.StdEncoding.DecodeString(root.Tlogs[0].PublicKey.RawBytes)
	key, err := cryptoutils.UnmarshalPEMToPublicKey(pemBlock("PUBLIC KEY", der))
	if err != nil {
		t.Fatal(err)
	}
	te := bundle.VerificationMaterial.TlogEntries[0]
	keyID, _ := base64.StdEncoding.DecodeString(te.LogID.KeyID)
	body, _ := base64.StdEncoding.DecodeString(te.CanonicalizedBody)
	uuid := hex.EncodeToString(rfc6962.DefaultHasher.HashLeaf(body))
	raw := fmt.Sprintf(`{%q:{"body":%q,"integratedTime":%s,"logID":%q,"logIndex":%s,"verification":{"signedEntryTimestamp":%q}}}`,
		uuid, te.CanonicalizedBody, te.IntegratedTime, hex.EncodeToString(keyID), te.LogIndex, te.InclusionPromise.SignedEntryTimestamp)
	e, err := ParseEntry([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := LogID(key); id != e.LogID {
		t.Fatalf("log id %s, key's %s", e.LogID, id)
	}
	v, _ := signature.LoadVerifier(key, crypto.SHA256)
	if err := checkSET(&e.anon, v); err != nil {
		t.Fatalf("real SET does not verify: %v", err)
	}
	e.anon.IntegratedTime = ptr(*e.anon.IntegratedTime + 1)
	if err := checkSET(&e.anon, v); err == nil {
		t.Fatal("SET verified for another time")
	}
	// Slipway requires the inclusion proof too, which this old bundle lacks.
	e, _ = ParseEntry([]byte(raw))
	if err := e.Verify(key, nil); err == nil || !strings.Contains(err.Error(), "inclusion proof") {
		t.Fatalf("entry without inclusion proof: %v", err)
	}
}

func moduleDir(t *testing.T, mod string) string {
	t.Helper()
	out, err := runGo("list", "-m", "-f", "{{.Dir}}", mod)
	if err != nil || strings.TrimSpace(out) == "" {
		t.Skipf("SKIPPED: module %s not in the module cache (go mod download): %v", mod, err)
	}
	return strings.TrimSpace(out)
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := readFile(path)
	if err != nil {
		t.Skipf("SKIPPED: %v", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func runGo(args ...string) (string, error) {
	out, err := exec.Command("go", args...).Output()
	return string(out), err
}

func readFile(path string) ([]byte, error) { return os.ReadFile(path) }

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}
