package tlog

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cyberphone/json-canonicalization/go/src/webpki.org/jsoncanonicalizer"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// fullLeaf sets every field, as a promotion with a PR, approvals, an analysis
// and a Rekor entry would.
func fullLeaf() Leaf {
	return Leaf{
		Kind: KindPromoted, Service: "api", Env: "prod", PromotionID: "p-7", Release: "v1.2.3",
		Digest:          "sha256:" + strings.Repeat("a1", 32),
		Signer:          "8c5d0e2b7f1a4c3d9e6b5a4f3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d",
		SignatureDigest: "sha256:" + strings.Repeat("b2", 32),
		Rekor:           &RekorEntry{LogIndex: 123456789, UUID: "24296fb24b8ad77a" + strings.Repeat("c3", 32)},
		PinCommit:       strings.Repeat("d4", 20),
		PR:              42,
		PRHead:          strings.Repeat("e5", 20),
		Approvers:       []string{"bob@example.com", "alice@example.com"},
		Verdict:         "Successful",
		Measurements:    "sha256:" + strings.Repeat("f6", 32),
		Reason:          `canary passed: "error-rate" < 1% & p99 <= 300ms`,
		Time:            time.Date(2026, 11, 30, 7, 30, 13, 123456000, time.FixedZone("CET", 3600)),
	}
}

// TestLeafGolden pins the version-1 encoding byte for byte: a change here
// breaks every verifier of every existing log.
func TestLeafGolden(t *testing.T) {
	got, err := fullLeaf().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "leaf-v1.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("encoding changed:\n got %s\nwant %s", got, want)
	}
	// Canonical in the RFC 8785 sense, so other languages can recompute it.
	jcs, err := jsoncanonicalizer.Transform(got)
	if err != nil || !bytes.Equal(jcs, got) {
		t.Fatalf("not RFC 8785 canonical:\n got %s\n jcs %s (%v)", got, jcs, err)
	}
	// Time in UTC, approvers sorted.
	if !bytes.Contains(got, []byte(`"time":"2026-11-30T06:30:13.123456Z"`)) || !bytes.Contains(got, []byte(`"approvers":["alice@example.com","bob@example.com"]`)) {
		t.Fatalf("time or approvers not normalised: %s", got)
	}
}

func TestLeafRoundTrip(t *testing.T) {
	minimal := Leaf{Kind: KindOverride, Service: "api", Env: "prod", PromotionID: "p-1",
		Digest: "sha256:" + strings.Repeat("0", 64), Approvers: []string{"dave"}, Reason: "INC-42", Time: time.Unix(1, 0)}
	for name, l := range map[string]Leaf{"full": fullLeaf(), "minimal": minimal} {
		b, err := l.Marshal()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := ParseLeaf(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		again, err := got.Marshal()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("%s: round trip changed the bytes:\n%s\n%s", name, b, again)
		}
		if !got.Time.Equal(l.Time) || got.Digest != l.Digest || got.Reason != l.Reason {
			t.Fatalf("%s: round trip changed the leaf: %+v", name, got)
		}
	}
}

func TestLeafValidateRefuses(t *testing.T) {
	cases := map[string]func(*Leaf){
		"no kind":             func(l *Leaf) { l.Kind = "" },
		"kind with space":     func(l *Leaf) { l.Kind = "promoted now" },
		"service upper":       func(l *Leaf) { l.Service = "API" },
		"digest tag":          func(l *Leaf) { l.Digest = "latest" },
		"digest upper hex":    func(l *Leaf) { l.Digest = "sha256:" + strings.Repeat("A", 64) },
		"short pin commit":    func(l *Leaf) { l.PinCommit = "abc123" },
		"pr head without pr":  func(l *Leaf) { l.PR = 0 },
		"negative pr":         func(l *Leaf) { l.PR = -1 },
		"duplicate approver":  func(l *Leaf) { l.Approvers = []string{"a", "a"} },
		"empty approver":      func(l *Leaf) { l.Approvers = []string{""} },
		"bidi in approver":    func(l *Leaf) { l.Approvers = []string{"eve\u202e@example.com"} },
		"newline in reason":   func(l *Leaf) { l.Reason = "ok\nforged line" },
		"invalid utf8":        func(l *Leaf) { l.Signer = "\xff" },
		"padded signer":       func(l *Leaf) { l.Signer = " key" },
		"zero time":           func(l *Leaf) { l.Time = time.Time{} },
		"rekor bad uuid":      func(l *Leaf) { l.Rekor.UUID = "xyz" },
		"rekor huge index":    func(l *Leaf) { l.Rekor.LogIndex = 1 << 60 },
		"verdict lowercase":   func(l *Leaf) { l.Verdict = "successful" },
		"measurements no alg": func(l *Leaf) { l.Measurements = strings.Repeat("f", 64) },
		"reason too long":     func(l *Leaf) { l.Reason = strings.Repeat("x", 5000) },
	}
	for name, mutate := range cases {
		l := fullLeaf()
		l.Rekor = &RekorEntry{LogIndex: 1, UUID: strings.Repeat("c", 64)}
		mutate(&l)
		if _, err := l.Marshal(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestParseLeafRefusesNonCanonical feeds encodings of the same leaf that a
// lax parser would accept: each must be refused, so one leaf has one hash.
func TestParseLeafRefusesNonCanonical(t *testing.T) {
	b, _ := fullLeaf().Marshal()
	s := string(b)
	cases := map[string]string{
		"unknown field":   strings.Replace(s, `"v":1`, `"v":1,"zz":true`, 1),
		"extra space":     strings.Replace(s, `"kind":`, `"kind": `, 1),
		"key order":       `{"v":1,` + strings.Replace(s[1:], `,"v":1`, "", 1),
		"duplicate key":   strings.Replace(s, `"env":"prod"`, `"env":"dev","env":"prod"`, 1),
		"case of key":     strings.Replace(s, `"kind"`, `"Kind"`, 1),
		"escaped char":    strings.Replace(s, `"api"`, `"\u0061pi"`, 1),
		"html escape":     strings.Replace(s, `&`, `\u0026`, 1),
		"unsorted":        strings.Replace(s, `["alice@example.com","bob@example.com"]`, `["bob@example.com","alice@example.com"]`, 1),
		"local time":      strings.Replace(s, `06:30:13.123456Z`, `07:30:13.123456+01:00`, 1),
		"padded nanos":    strings.Replace(s, `13.123456Z`, `13.123456000Z`, 1),
		"null field":      strings.Replace(s, `"v":1`, `"v":1,"reason":null`, 1),
		"trailing data":   s + " {}",
		"trailing space":  s + " ",
		"version 2":       strings.Replace(s, `"v":1`, `"v":2`, 1),
		"version string":  strings.Replace(s, `"v":1`, `"v":"1"`, 1),
		"no version":      strings.Replace(s, `,"v":1`, "", 1),
		"pr as float":     strings.Replace(s, `"pr":42`, `"pr":42.0`, 1),
		"not json":        "promoted api prod",
		"array":           `[1]`,
		"empty approvers": strings.Replace(s, `["alice@example.com","bob@example.com"]`, `[]`, 1),
	}
	for name, in := range cases {
		if in == s {
			t.Fatalf("%s: the mutation did not apply", name)
		}
		if _, err := ParseLeaf([]byte(in)); err == nil {
			t.Errorf("%s: accepted %s", name, in)
		}
	}
	_, err := ParseLeaf([]byte(strings.Replace(s, `"v":1`, `"v":2`, 1)))
	if err == nil || !strings.Contains(err.Error(), "upgrade Slipway") {
		t.Errorf("a newer version should say to upgrade, got %v", err)
	}
}

// FuzzParseLeaf: whatever ParseLeaf accepts re-encodes to the same bytes
// (one leaf, one encoding) and is RFC 8785 canonical.
func FuzzParseLeaf(f *testing.F) {
	b, _ := fullLeaf().Marshal()
	f.Add(b)
	f.Add([]byte(`{"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","env":"prod","kind":"aborted","promotion":"p-1","service":"api","time":"1970-01-01T00:00:01Z","v":1}`))
	f.Add([]byte(`{"v":1}`))
	f.Add([]byte(`{"v":2,"kind":"x"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		l, err := ParseLeaf(in)
		if err != nil {
			return
		}
		out, err := l.Marshal()
		if err != nil {
			t.Fatalf("parsed leaf does not marshal: %v", err)
		}
		if !bytes.Equal(out, in) {
			t.Fatalf("accepted a non-canonical encoding:\n in %q\nout %q", in, out)
		}
		if jcs, err := jsoncanonicalizer.Transform(in); err != nil || !bytes.Equal(jcs, in) {
			t.Fatalf("accepted leaf is not RFC 8785 canonical: %q", in)
		}
	})
}
