package auditjson

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway"
)

// stored is an entry as AppendAudit stores it: json.Marshal of the chained entry.
func stored(t testing.TB, e slipway.AuditEntry) string {
	e.Hash = e.ComputeHash()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func sample() slipway.AuditEntry {
	return slipway.AuditEntry{Seq: 7, At: time.Date(2026, 3, 1, 12, 0, 0, 123456000, time.UTC), Kind: "promoted", Service: "api", Env: "prod",
		Digest: "sha256:" + strings.Repeat("ab", 32), KeyID: "SHA256:key", PinCommit: strings.Repeat("c", 40), PR: 42,
		Approvers: []string{"bob@example.com", "carol@example.com"}, Verdict: "canary passed", PromotionID: "p-9", PrevHash: strings.Repeat("d", 64)}
}

// same fails unless Decode and json.Unmarshal read body alike (error or value).
func same(t *testing.T, body string) (plain bool) {
	t.Helper()
	var want, got slipway.AuditEntry
	werr := json.Unmarshal([]byte(body), &want)
	gerr := Decode(body, &got)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("%q: json.Unmarshal says %v, Decode %v", body, werr, gerr)
	}
	if werr != nil {
		return false
	}
	if !got.At.Equal(want.At) || got.At.Format(time.RFC3339Nano) != want.At.Format(time.RFC3339Nano) {
		t.Fatalf("%q: at %v, json.Unmarshal %v", body, got.At, want.At)
	}
	got.At, want.At = time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q:\nDecode         %#v\njson.Unmarshal %#v", body, got, want)
	}
	var p slipway.AuditEntry
	return decodePlain(body, &p)
}

// What the stores hold decodes like json.Unmarshal, on the fast path, and
// its hash still verifies.
func TestDecodeStoredEntries(t *testing.T) {
	e := sample()
	local := e
	local.At = local.At.In(time.FixedZone("CET", 3600))
	none := e
	none.Approvers, none.PR, none.KeyID = nil, 0, ""
	empty := e
	empty.Approvers = []string{}
	utf := e
	utf.Verdict, utf.Service = "café — ünïcode ✓", "svc-é"
	escaped := e // json.Marshal escapes these: still the fast path
	escaped.Verdict, escaped.Approvers = "error rate 0.35 > 0.05 & p99 < 2s: \"failed\"\n\tretry\\ \u2028 \x01", []string{"<bob>"}
	for name, x := range map[string]slipway.AuditEntry{"full": e, "local time": local, "no approvers": none, "empty approvers": empty, "utf-8": utf, "escaped": escaped} {
		body := stored(t, x)
		if !same(t, body) {
			t.Errorf("%s: %s took the slow path", name, body)
		}
		var got slipway.AuditEntry
		if err := Decode(body, &got); err != nil {
			t.Fatal(err)
		}
		if err := slipway.VerifyChain([]slipway.AuditEntry{got}); err != nil && x.PrevHash == "" {
			t.Errorf("%s: %v", name, err)
		}
		if got.ComputeHash() != got.Hash {
			t.Errorf("%s: the decoded entry's hash does not verify", name)
		}
	}
}

// Bodies outside the plain form are read by json.Unmarshal itself: the
// same value or the same refusal.
func TestDecodeUnusualBodies(t *testing.T) {
	e := sample()
	body := stored(t, e)
	for _, b := range []string{
		strings.Replace(body, `"kind":"promoted"`, `"Kind":"promoted"`, 1),                  // json matches names without case
		strings.Replace(body, `"kind":"promoted"`, `"kind":"promoted","kind":"aborted"`, 1), // the last one wins
		strings.Replace(body, `"verdict":"canary passed"`, `"verdict":"canary \"passed\"\n"`, 1),
		strings.Replace(body, `"verdict":"canary passed"`, `"verdict":"caf\u00e9 \ud83d\ude00"`, 1), // a surrogate pair
		strings.Replace(body, `"verdict":"canary passed"`, `"verdict":"lone \udc00 \u12"`, 1),
		strings.Replace(body, `"verdict":"canary passed"`, `"verdict":"\x \u+123 \uzzzz \U0041"`, 1),
		strings.Replace(body, `"verdict":"canary passed"`, `"verdict":"\u0041\/\b\f\r"`, 1),
		strings.Replace(body, `"verdict":"canary passed"`, "\"verdict\":\"esc\\n then bad \xff\"", 1),
		strings.Replace(body, `"verdict":"canary passed"`, "\"verdict\":\"bad \xff utf-8\"", 1),
		strings.Replace(body, `"pr":42`, `"pr":4.2e1`, 1),
		strings.Replace(body, `"pr":42`, `"pr":1e400`, 1),
		strings.Replace(body, `"pr":42`, `"pr":99999999999999999999`, 1),
		strings.Replace(body, `"pr":42`, `"pr":null`, 1),
		strings.Replace(body, `"seq":7`, `"seq":-0`, 1),
		strings.Replace(body, `"seq":7`, `"seq":007`, 1),
		strings.Replace(body, `"at":"2026-03-01T12:00:00.123456Z"`, `"at":"yesterday"`, 1),
		strings.Replace(body, `"at":"2026-03-01T12:00:00.123456Z"`, `"at":null`, 1),
		strings.Replace(body, `,"hash"`, ` , "hash"`, 1),
		strings.Replace(body, `"approvers":[`, `"approvers":[1,`, 1),
		strings.Replace(body, `"promotionId":"p-9"`, `"promotionId":"p-9","extra":{"a":[1,2]}`, 1),
		body + " ", body + "x", body[:len(body)-1], "{}", "null", "[]", "", `{"seq":1}`, `{"approvers":[]}`,
	} {
		same(t, b)
	}
}

// FuzzDecode: for any body, Decode and json.Unmarshal agree.
func FuzzDecode(f *testing.F) {
	body := stored(f, sample())
	for _, s := range []string{body, `{"seq":1,"approvers":null}`, `{"pr":-12,"hash":"x"}`, `{"at":"2026-01-01T00:00:00+01:00"}`, "{\"kind\":\"\x01\"}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { same(t, s) })
}

var sink slipway.AuditEntry

func BenchmarkDecode(b *testing.B) {
	body := stored(b, sample())
	b.Run("Decode", func(b *testing.B) {
		for b.Loop() {
			if err := Decode(body, &sink); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json.Unmarshal", func(b *testing.B) {
		for b.Loop() {
			sink = slipway.AuditEntry{}
			if err := json.Unmarshal([]byte(body), &sink); err != nil {
				b.Fatal(err)
			}
		}
	})
}
