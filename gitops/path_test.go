package gitops

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func key(k string) Step       { return Step{Kind: KeyStep, Key: k} }
func index(i int) Step        { return Step{Kind: IndexStep, Index: i} }
func sel(c ...Condition) Step { return Step{Kind: SelectStep, Match: c} }
func cond(value string, field ...string) Condition {
	return Condition{Field: field, Value: value}
}

func TestParsePath(t *testing.T) {
	tests := []struct {
		in        string
		want      Path
		canonical string // "" means the input is already canonical
	}{
		{in: "image.digest", want: Path{Steps: []Step{key("image"), key("digest")}}},
		{in: `annotations."example.com/digest"`, want: Path{Steps: []Step{key("annotations"), key("example.com/digest")}}},
		{in: `annotations["example.com/digest"]`, want: Path{Steps: []Step{key("annotations"), key("example.com/digest")}},
			canonical: `annotations."example.com/digest"`},
		{in: `annotations['it''s.here']`, want: Path{Steps: []Step{key("annotations"), key("it's.here")}},
			canonical: `annotations."it's.here"`},
		{in: "containers[0].image", want: Path{Steps: []Step{key("containers"), index(0), key("image")}}},
		{in: "containers[12]", want: Path{Steps: []Step{key("containers"), index(12)}}},
		{in: "containers[name=api].image", want: Path{Steps: []Step{key("containers"), sel(cond("api", "name")), key("image")}}},
		{in: "images[name=ghcr.io/acme/api].digest",
			want: Path{Steps: []Step{key("images"), sel(cond("ghcr.io/acme/api", "name")), key("digest")}}},
		{in: "items[ name = api , kind=x ]", want: Path{Steps: []Step{key("items"), sel(cond("api", "name"), cond("x", "kind"))}},
			canonical: "items[name=api,kind=x]"},
		{in: `items[name="a,b]"].v`, want: Path{Steps: []Step{key("items"), sel(cond("a,b]", "name")), key("v")}}},
		{in: `items["x.y"=1]`, want: Path{Steps: []Step{key("items"), sel(cond("1", "x.y"))}}},
		{in: `items[metadata.name=api]`, want: Path{Steps: []Step{key("items"), sel(cond("api", "metadata", "name"))}}},
		{in: "[0].a", want: Path{Steps: []Step{index(0), key("a")}}},
		{in: "doc[1].spec.replicas", want: Path{Doc: &Step{Kind: IndexStep, Index: 1}, Steps: []Step{key("spec"), key("replicas")}}},
		{in: "doc[kind=Deployment,metadata.name=api].spec.template.spec.containers[name=api].image",
			want: Path{Doc: &Step{Kind: SelectStep, Match: []Condition{cond("Deployment", "kind"), cond("api", "metadata", "name")}},
				Steps: []Step{key("spec"), key("template"), key("spec"), key("containers"), sel(cond("api", "name")), key("image")}}},
		{in: "doc[0][1]", want: Path{Doc: &Step{Kind: IndexStep, Index: 0}, Steps: []Step{index(1)}}},
		{in: `"doc"[0]`, want: Path{Steps: []Step{key("doc"), index(0)}}},
		{in: "doc.x", want: Path{Steps: []Step{key("doc"), key("x")}}},
		{in: "documents[0]", want: Path{Steps: []Step{key("documents"), index(0)}}},
		{in: `"".a`, want: Path{Steps: []Step{key(""), key("a")}}},
		{in: "größe.ü", want: Path{Steps: []Step{key("größe"), key("ü")}}},
		{in: `a."b\"c"`, want: Path{Steps: []Step{key("a"), key(`b"c`)}}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParsePath(tc.in)
			if err != nil {
				t.Fatalf("ParsePath(%q): %v", tc.in, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParsePath(%q)\n got %#v\nwant %#v", tc.in, got, tc.want)
			}
			canonical := tc.canonical
			if canonical == "" {
				canonical = tc.in
			}
			if s := got.String(); s != canonical {
				t.Errorf("String() = %q, want %q", s, canonical)
			}
		})
	}
}

func TestParsePathErrors(t *testing.T) {
	tests := []struct {
		in, wantMsg string
		offset      int
	}{
		{"", "the path is empty", 0},
		{".a", `a key is missing before '.'`, 0},
		{"a.", "a key is missing at the end", 2},
		{"a..b", `a key is missing before '.'`, 2},
		{"a b", `expected '.' or '['`, 1},
		{"a[", "'[' is not closed", 1},
		{"a[0", "'[' is not closed", 1},
		{"a[]", "empty brackets", 2},
		{"a[-1]", "negative indices", 2},
		{"a[01]", "leading zero", 2},
		{"a[99999999999999999999999]", "too large", 2},
		{"a[name]", "a selector needs field=value", 6},
		{"a[name=]", "selector value is empty", 7},
		{`a["b`, "double-quoted string is not closed", 2},
		{`a['b`, "single-quoted string is not closed", 2},
		{`a."\q"`, "bad escape", 2},
		{"doc[0]", "must be followed by the field", 6},
		{`doc["a"].b`, "a selector needs field=value", 7},
		{"a]", `expected '.' or '['`, 1},
		{"doc[0]x", `expected '.' or '['`, 6},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			_, err := ParsePath(tc.in)
			var pse *PathSyntaxError
			if !errors.As(err, &pse) {
				t.Fatalf("ParsePath(%q) error = %v, want *PathSyntaxError", tc.in, err)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) || !strings.Contains(err.Error(), "docs/pins.md") {
				t.Errorf("error %q does not contain %q and a pointer to docs/pins.md", err, tc.wantMsg)
			}
			if pse.Offset != tc.offset {
				t.Errorf("offset = %d, want %d", pse.Offset, tc.offset)
			}
		})
	}
}

// FuzzParsePath: parsing never panics, and every accepted path survives a
// round trip through its canonical form.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{
		"image.digest", `annotations."example.com/digest"`, `a['b''c']`, "containers[0].image",
		"containers[name=api].image", `doc[kind=Deployment,metadata.name=api].spec`, "doc[1].a",
		`"doc"[0]`, `items["x.y"=1]`, `x[a="b,c"]`, "[0][1]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			return
		}
		canonical := p.String()
		q, err := ParsePath(canonical)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canonical, s, err)
		}
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("round trip of %q via %q changed the path:\n%#v\n%#v", s, canonical, p, q)
		}
		if again := q.String(); again != canonical {
			t.Fatalf("String is not stable: %q then %q", canonical, again)
		}
	})
}
