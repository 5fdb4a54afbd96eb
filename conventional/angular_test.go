package conventional

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

// oracleCase is one case of versioning/testdata/semantic-release: commits
// and what semantic-release's own parser made of each message
// (expected.json is written by oracle.mjs, which runs the real
// conventional-commits-parser with conventional-changelog-angular's
// options).
type oracleCase struct {
	Name    string `json:"name"`
	Commits []struct {
		Hash    string `json:"hash"`
		Message string `json:"message"`
	} `json:"commits"`
}

type oracleParse struct {
	Skipped bool    `json:"skipped"`
	Throws  bool    `json:"throws"`
	Header  *string `json:"header"`
	Type    *string `json:"type"`
	Notes   int     `json:"notes"`
	Revert  *struct {
		Header *string `json:"header"`
		Hash   *string `json:"hash"`
	} `json:"revert"`
}

func loadOracle(t *testing.T) ([]oracleCase, [][]oracleParse) {
	t.Helper()
	var cases []oracleCase
	var expected []struct {
		Name   string        `json:"name"`
		Parsed []oracleParse `json:"parsed"`
	}
	for file, v := range map[string]any{"cases.json": &cases, "expected.json": &expected} {
		data, err := os.ReadFile("../versioning/testdata/semantic-release/" + file)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, v); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
	}
	if len(cases) != len(expected) {
		t.Fatalf("%d cases, %d expectations: regenerate expected.json with oracle.mjs", len(cases), len(expected))
	}
	parsed := make([][]oracleParse, len(cases))
	for i := range cases {
		if cases[i].Name != expected[i].Name {
			t.Fatalf("case %d is %q in cases.json, %q in expected.json", i, cases[i].Name, expected[i].Name)
		}
		parsed[i] = expected[i].Parsed
	}
	return cases, parsed
}

// TestParseAngularMatchesTheRealParser replays every message of the
// semantic-release oracle through ParseAngular: header, type, number of
// BREAKING CHANGE notes, the revert capture and the parser's failures must
// be those of conventional-commits-parser 6.4 with the angular options.
func TestParseAngularMatchesTheRealParser(t *testing.T) {
	cases, parsed := loadOracle(t)
	for i, c := range cases {
		for j, m := range c.Commits {
			want := parsed[i][j]
			got, ok := ParseAngular(m.Message)
			where := c.Name + ": " + strings.SplitN(m.Message, "\n", 2)[0]
			if ok == want.Skipped {
				t.Errorf("%s: parsed %v, skipped by semantic-release %v", where, ok, want.Skipped)
				continue
			}
			if !ok {
				continue
			}
			if (got.Throws != "") != want.Throws {
				t.Errorf("%s: throws %q, the parser throws: %v", where, got.Throws, want.Throws)
				continue
			}
			if want.Throws {
				continue
			}
			if h := deref(want.Header); got.Header != h {
				t.Errorf("%s: header %q, want %q", where, got.Header, h)
			}
			if typ, _ := got.Field("type"); typ != deref(want.Type) {
				t.Errorf("%s: type %q, want %q", where, typ, deref(want.Type))
			}
			if got.Notes != want.Notes {
				t.Errorf("%s: %d notes, want %d", where, got.Notes, want.Notes)
			}
			switch {
			case (got.Revert != nil) != (want.Revert != nil):
				t.Errorf("%s: revert %+v, want %+v", where, got.Revert, want.Revert)
			case got.Revert != nil && (got.Revert.Header != deref(want.Revert.Header) || got.Revert.Hash != deref(want.Revert.Hash)):
				t.Errorf("%s: revert %+v, want header %q hash %q", where, *got.Revert, deref(want.Revert.Header), deref(want.Revert.Hash))
			}
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestParseAngularJSRegexpSemantics pins where JavaScript's regular
// expressions differ from Go's, and the parser with them.
func TestParseAngularJSRegexpSemantics(t *testing.T) {
	for _, c := range []struct {
		name, msg     string
		typ           string
		notes         int
		revert, throw bool
	}{
		// /i folds ASCII only: the Kelvin sign is not "K".
		{"kelvin sign is not K", "refactor: x\n\nBREA\u212aING CHANGE: y", "refactor", 0, false, false},
		{"long s is not s", "Revert \"feat: x\"\n\nThis reverts commit\u017f abcdef1234.", "", 0, false, false},
		// \s is Unicode in JavaScript: a no-break space separates.
		{"no-break space before the hash", "Revert\u00a0\"feat: x\"\n\nThis reverts commit abcdef1234.", "", 0, true, false},
		{"ideographic space before the note", "refactor: x\n\n\u3000BREAKING CHANGE: y", "refactor", 1, false, false},
		// "." stops at U+2028: the header pattern cannot reach the end.
		{"line separator in the subject", "feat: a\u2028b", "", 0, false, false},
		{"carriage return in the subject", "feat: a\rb", "", 0, false, false},
		// trim() removes U+FEFF.
		{"byte order mark", "\ufefffeat: bom", "feat", 0, false, false},
		{"meta at the end of a note throws", "feat: x\n\nBREAKING CHANGE: y\n-tail-", "feat", 1, false, true},
		{"notes meta field throws", "feat: x\n\n-notes-\nz", "feat", 0, false, true},
		{"mentions meta field without a mention", "feat: x\n\n-mentions-\nz", "feat", 0, false, false},
		{"mentions meta field with a mention", "feat: x @bob\n\n-mentions-\nz", "feat", 0, false, true},
		{"revert meta field", "chore: x\n\n-revert-\nsomething", "chore", 0, true, false},
		{"empty type is null", ": no type", "", 0, false, false},
	} {
		got, ok := ParseAngular(c.msg)
		if !ok {
			t.Errorf("%s: skipped", c.name)
			continue
		}
		typ, _ := got.Field("type")
		if typ != c.typ || got.Notes != c.notes || got.IsRevert() != c.revert || (got.Throws != "") != c.throw {
			t.Errorf("%s: type %q notes %d revert %v throws %q; want %q %d %v %v", c.name, typ, got.Notes, got.IsRevert(), got.Throws, c.typ, c.notes, c.revert, c.throw)
		}
	}
}

// TestHasReferences: each line as the real parser judged it (oracle.mjs's
// parser on "chore: x\n\n" + line).
func TestHasReferences(t *testing.T) {
	for line, want := range map[string]bool{
		"Closes #12":                     true,
		"see #12, #13":                   true,
		"fixes #12 and closes #13":       true,
		"fixes nothing, see #12":         true, // the text after a keyword, up to the next one
		"prefix #12":                     true, // "fix" inside a word is a keyword
		"issue #12x":                     true,
		"#12.":                           false,
		"https://example.com/x#12":       false,
		"see https://example.com and #1": false, // a sentence with a URL has no reference
		"no reference":                   false,
		"#":                              false,
		"resolves\u00a0#4":               true,
		"closes\r#5":                     true,
		"fix #1 http://a.b":              false,
	} {
		if got := hasReferences(line); got != want {
			t.Errorf("hasReferences(%q) = %v, want %v", line, got, want)
		}
	}
}

// FuzzParseAngular: any message parses without panicking; the header is
// the first kept line, a revert's hash is 7 to 40 word characters, and
// parsing is deterministic.
func FuzzParseAngular(f *testing.F) {
	for _, s := range []string{
		"feat(scope): x\n\nBREAKING CHANGE: y",
		"Revert \"feat: x\"\r\n\r\nThis reverts commit 0123456789abcdef0123456789abcdef01234567.\r\n",
		"revert: fix: y\n\nThis reverts commit abcdef1, reversing\nchanges made to 1234567.",
		"chore: x\n\n---\n-type-\nfeat\n--\nBREAKING CHANGE: z\nCloses #1",
		"gpg: x\n\nfeat: y",
		"feat: x\n\nBREAKING CHANGE: y\n-z-",
		"\ufeff Revert\u00a0\"x\" This reverts commit aaaaaaa",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		a, ok := ParseAngular(msg)
		b, _ := ParseAngular(msg)
		if ok != (JSTrim(msg) != "") {
			t.Fatalf("ok = %v for %q", ok, msg)
		}
		if !ok {
			return
		}
		if a.Header != b.Header || a.Notes != b.Notes || a.Throws != b.Throws || (a.Revert == nil) != (b.Revert == nil) {
			t.Fatalf("two parses differ: %+v / %+v", a, b)
		}
		if r := a.Revert; r != nil && (len(r.Hash) < 7 || len(r.Hash) > 40 || r.Header == "") {
			t.Fatalf("revert capture %+v", *r)
		}
		if a.Throws == "" && a.Fields["header"] == "" && utf8.ValidString(msg) && strings.Contains(a.Header, "\n") && !strings.Contains(msg, "-header-") {
			t.Fatalf("header %q spans lines", a.Header)
		}
	})
}

// TestParseAngularOnLineCombinations replays parser-combinations.json: 600
// messages joined from random lines (reverts, hash lines, notes, meta
// fields, references, gpg lines, CRLF) and how the real parser read each.
func TestParseAngularOnLineCombinations(t *testing.T) {
	data, err := os.ReadFile("../versioning/testdata/semantic-release/parser-combinations.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Message string `json:"message"`
		Parsed  struct {
			oracleParse
			Scope    *string         `json:"scope"`
			IsRevert bool            `json:"isRevert"`
			Revert   json.RawMessage `json:"revert"` // a meta field makes it text
		} `json:"parsed"`
	}
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 600 {
		t.Fatalf("%d cases", len(cases))
	}
	for _, c := range cases {
		w := c.Parsed
		g, ok := ParseAngular(c.Message)
		var diff []string
		switch {
		case ok == w.Skipped:
			diff = append(diff, "skipped")
		case !ok:
		case (g.Throws != "") != w.Throws:
			diff = append(diff, "throws")
		case w.Throws:
		default:
			if g.Header != deref(w.Header) {
				diff = append(diff, "header")
			}
			if g.Type != deref(w.Type) || g.Scope != deref(w.Scope) {
				diff = append(diff, "type/scope")
			}
			if g.Notes != w.Notes {
				diff = append(diff, "notes")
			}
			if g.IsRevert() != w.IsRevert {
				diff = append(diff, "revert")
			}
			var r struct{ Header, Hash *string }
			if json.Unmarshal(w.Revert, &r) == nil && r.Header != nil && (g.Revert == nil || g.Revert.Header != *r.Header || g.Revert.Hash != *r.Hash) {
				diff = append(diff, "revert capture")
			}
		}
		if diff != nil {
			t.Errorf("%q: %v differ\n go %+v\n js %+v", c.Message, diff, g, w)
		}
	}
}
