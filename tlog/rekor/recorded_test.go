package rekor

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/slipway/slipway/tlog/rekor/rekortest"
)

var update = flag.Bool("update", false, "record testdata/ again from the fake Rekor")

// recording is one Rekor answer kept on disk, with what it must verify
// against: how Slipway stores an entry to verify it offline years later.
type recording struct {
	RekorKey string       `json:"rekorKey"` // PEM
	Want     HashedRekord `json:"want"`
	Entry    string       `json:"entry"` // the LogEntry response, byte for byte
}

const recordingPath = "testdata/hashedrekord-entry.json"

func TestRecordedEntryVerifiesOffline(t *testing.T) {
	if *update {
		f := rekortest.New(t)
		c, _ := New(f.URL, f.Key, nil)
		for _, p := range []string{"one", "two", "three"} {
			if _, err := c.Upload(context.Background(), signed(t, p)); err != nil {
				t.Fatal(err)
			}
		}
		h := signed(t, `{"critical":{"identity":{"docker-reference":"registry.example.com/api"},"image":{"docker-manifest-digest":"sha256:`+strings.Repeat("ab", 32)+`"},"type":"cosign container image signature"},"optional":null}`)
		e, err := c.Upload(context.Background(), h)
		if err != nil {
			t.Fatal(err)
		}
		pemKey, _ := cryptoutils.MarshalPublicKeyToPEM(f.Key)
		b, _ := json.MarshalIndent(recording{RekorKey: string(pemKey), Want: h, Entry: string(e.Raw)}, "", "  ")
		if err := os.WriteFile(recordingPath, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rec := loadRecording(t)
	key, err := ParsePublicKey([]byte(rec.RekorKey))
	if err != nil {
		t.Fatal(err)
	}
	e, err := ParseEntry([]byte(rec.Entry))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Verify(key, &rec.Want); err != nil {
		t.Fatalf("recorded entry: %v", err)
	}
	if e.LogIndex != rekortest.ShardBase+3 {
		t.Fatalf("log index %d", e.LogIndex)
	}
}

func loadRecording(t testing.TB) recording {
	b, err := os.ReadFile(filepath.FromSlash(recordingPath))
	if err != nil {
		t.Fatalf("%v (run go test -run Recorded ./tlog/rekor -update)", err)
	}
	var rec recording
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

// FuzzParseEntry: a stored entry is hostile input (whoever can write the
// database wrote it): parsing and verifying never panic, and anything that
// verifies against the recorded key still names the recorded signature.
func FuzzParseEntry(f *testing.F) {
	rec := loadRecording(f)
	key, err := ParsePublicKey([]byte(rec.RekorKey))
	if err != nil {
		f.Fatal(err)
	}
	recorded, err := ParseEntry([]byte(rec.Entry))
	if err != nil {
		f.Fatal(err)
	}
	leaf := strings.ToLower(recorded.UUID[len(recorded.UUID)-64:])
	f.Add([]byte(rec.Entry))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"` + strings.Repeat("a", 64) + `":{"body":"e30=","integratedTime":1,"logID":"` + strings.Repeat("a", 64) + `","logIndex":1,"verification":{"inclusionProof":{"checkpoint":"x","hashes":[],"logIndex":0,"rootHash":"` + strings.Repeat("0", 64) + `","treeSize":1}}}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, err := ParseEntry(raw)
		if err != nil {
			return
		}
		if err := e.Verify(key, nil); err != nil {
			return
		}
		// Only the recorded entry was signed by this key: whatever else
		// verifies must be it (re-encoded JSON at most).
		if strings.ToLower(e.UUID[len(e.UUID)-64:]) != leaf {
			t.Fatalf("an entry that was never logged verified: %s", e.UUID)
		}
	})
}
