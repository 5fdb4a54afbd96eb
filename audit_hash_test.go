package slipway

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// FuzzPlainJSONIsMarshal: the audit hash's fast encoder writes exactly
// what json.Marshal writes whenever it claims the entry, so hashes recorded
// before it (and by any other writer) still verify.
func FuzzPlainJSONIsMarshal(f *testing.F) {
	f.Add(int64(7), int64(1767225600123456789), "promoted", "api", "prod", "sha256:"+strings.Repeat("a", 64), "cosign.pub", strings.Repeat("b", 40), 12, "bob@example.com,carol@example.com", "canary passed", "p-1", strings.Repeat("c", 64), "")
	f.Add(int64(0), int64(0), "aborted", "a<b", "é", "", "", "", 0, "", "\"quoted\"\n", "", "", "")
	f.Add(int64(-1), int64(-62135596800000000), "", "", "", "", "", "", -3, ",", "&", "\u2028", "\x7f", "\\")
	f.Fuzz(func(t *testing.T, seq, nanos int64, kind, service, env, digest, key, pin string, pr int, approvers, verdict, promotion, prev, hash string) {
		e := AuditEntry{Seq: seq, At: time.Unix(0, nanos).UTC(), Kind: kind, Service: service, Env: env, Digest: digest, KeyID: key,
			PinCommit: pin, PR: pr, Verdict: verdict, PromotionID: promotion, PrevHash: prev, Hash: hash}
		if approvers != "" {
			e.Approvers = strings.Split(approvers, ",")
		}
		got, ok := appendPlainJSON(nil, &e)
		if !ok {
			return
		}
		want, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("appendPlainJSON took %+v, which json.Marshal refuses: %v", e, err)
		}
		if string(got) != string(want) {
			t.Fatalf("appendPlainJSON wrote\n%s\njson.Marshal\n%s", got, want)
		}
	})
}

// TestComputeHashIsUnchanged: a hash recorded by the json.Marshal-only
// ComputeHash (this value) still verifies.
func TestComputeHashIsUnchanged(t *testing.T) {
	e := AuditEntry{Seq: 9, At: time.Date(2026, 3, 4, 5, 6, 7, 891011000, time.UTC), Kind: "promoted", Service: "api", Env: "prod",
		Digest: "sha256:" + strings.Repeat("a", 64), KeyID: "cosign.pub", PinCommit: strings.Repeat("b", 40), PR: 4,
		Approvers: []string{"bob@example.com"}, Verdict: "canary passed", PromotionID: "p-1", PrevHash: strings.Repeat("c", 64)}
	plain := e
	plain.Hash, plain.Seq = "", 0
	b, _ := json.Marshal(plain)
	if got, fast := e.ComputeHash(), sha256Hex(b); got != fast {
		t.Fatalf("ComputeHash %s, json.Marshal's hash %s", got, fast)
	}
	e.Verdict = "<html> & \"quotes\""
	plain.Verdict = e.Verdict
	b, _ = json.Marshal(plain)
	if e.ComputeHash() != sha256Hex(b) {
		t.Fatal("an entry with escaped text hashes differently from json.Marshal")
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
