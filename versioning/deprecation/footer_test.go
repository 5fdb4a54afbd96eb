package deprecation

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseFooter(t *testing.T) {
	tests := []struct {
		in, what, after, err string
	}{
		{"the /v1/orders endpoint; remove after 2.0.0", "the /v1/orders endpoint", "2.0.0", ""},
		{"the /v1/orders endpoint; Remove After v2.0.0.", "the /v1/orders endpoint", "2.0.0", ""},
		{"the legacy CSV export;remove after 2027-03-01", "the legacy CSV export", "2027-03-01", ""},
		{"  the\n  multi-line   footer ", "the multi-line footer", "", ""},
		{"config key a; use b instead", "config key a; use b instead", "", ""},
		{"a; b; remove after 1.2.3-rc.1", "a; b", "1.2.3-rc.1", ""},
		{"x; remove after 2.0", "x; remove after 2.0", "", `"2.0" after "remove after" is neither a version`},
		{"x; remove after 2027-02-30", "x; remove after 2027-02-30", "", "neither a version"},
		{"x; remove after", "x; remove after", "", "neither a version"},
		{"; remove after 2.0.0", "; remove after 2.0.0", "", "says when but not what"},
		{"   ", "", "", "footer is empty"},
		{"bell\x07 ringing", "bell ringing", "", "control characters"},
		{strings.Repeat("é", 300) + "; remove after 2.0.0", strings.Repeat("é", 250) + "…", "", "over 500 bytes; it was cut"},
	}
	for _, tt := range tests {
		n, err := ParseFooter(tt.in)
		if n.What != tt.what || n.RemoveAfter != tt.after {
			t.Errorf("%q: got %+v, want what %q after %q", tt.in, n, tt.what, tt.after)
		}
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("%q: unexpected error %v", tt.in, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%q: error %v, want one containing %q", tt.in, err, tt.err)
		}
	}
}

func TestID(t *testing.T) {
	for in, want := range map[string]string{
		"the /v1/orders endpoint":      "the-v1-orders-endpoint",
		"  Config key `retries`  ":     "config-key-retries",
		"ÜBER-feature (v2)":            "ber-feature-v2",
		strings.Repeat("abcdefg ", 20): "abcdefg-abcdefg-abcdefg-abcdefg-abcdefg-abcdefg-abcdefg-abcdefg",
	} {
		if got := ID(in); got != want {
			t.Errorf("ID(%q) = %q, want %q", in, got, want)
		}
	}
	if got := ID("→ ←"); !strings.HasPrefix(got, "deprecation-") || len(got) != len("deprecation-")+8 {
		t.Errorf("ID of text without letters = %q", got)
	}
}

// FuzzParseFooter: the parser never panics, never loses the footer (What
// is empty only for a blank footer), a promise it accepts is a canonical
// version or date, and a parsed notice reads back as itself.
func FuzzParseFooter(f *testing.F) {
	for _, s := range []string{
		"the /v1/orders endpoint; remove after 2.0.0", "x; remove after 2027-03-01", "a;b;c",
		"; remove after 1.0.0", "x; REMOVE AFTER v1.2.3", "x; remove after 99999999999999999999.0.0",
		"\x00\x01 y", "ü; remove after 2027-13-01", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseFooter(s)
		folded, _ := fold(s)
		if folded != "" && n.What == "" {
			t.Fatalf("%q lost its text", s)
		}
		if n.RemoveAfter != "" {
			if w, err := ParseWhen(n.RemoveAfter); err != nil || w != n.RemoveAfter {
				t.Fatalf("%q: promise %q is not canonical (%q, %v)", s, n.RemoveAfter, w, err)
			}
		}
		if err == nil && utf8.ValidString(s) {
			back, err2 := ParseFooter(n.String())
			if err2 != nil || back != n {
				t.Fatalf("%q: %+v reads back as %+v (%v)", s, n, back, err2)
			}
		}
		if id := ID(n.What); !idRE.MatchString(id) || len(id) > len("deprecation-")+maxID {
			t.Fatalf("ID(%q) = %q", n.What, id)
		}
	})
}
