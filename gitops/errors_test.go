package gitops

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

const helmValues = `image:
  repository: ghcr.io/acme/api
  tag: "1.4.2"
`

func TestSetErrors(t *testing.T) {
	tests := []struct {
		name, yaml, path, value string
		kind                    error // sentinel for *PathError; nil for *SyntaxError
		line                    int
		found                   string
		want                    []string // substrings of the message
	}{
		{name: "missing key names the deepest part and the fix", yaml: helmValues, path: "image.digest",
			kind: ErrNotFound, line: 1, found: "image",
			want: []string{"pin path image.digest: not found", "`image` (line 1) has no key \"digest\"",
				"add `digest: \"\"` under `image:` or fix `path:` of the pin in slipway.yaml"}},
		{name: "missing top-level key", yaml: helmValues, path: "images[0].digest",
			kind: ErrNotFound, line: 1, found: "",
			want: []string{"the document root (line 1) has no key \"images\"", "add `images: \"\"` at the top level"}},
		{name: "missing key in a list item", yaml: "containers:\n  - name: api\n", path: "containers[0].image",
			kind: ErrNotFound, line: 2, found: "containers[0]",
			want: []string{"add `image: \"\"` in `containers[0]`"}},
		{name: "key on a list", yaml: "containers:\n  - name: api\n", path: "containers.image",
			kind: ErrNotFound, line: 1, found: "containers",
			want: []string{"`containers` (line 1) is a list, not a mapping", "use an index like [0] or a selector like [name=api]"}},
		{name: "key under a scalar", yaml: "image: ghcr.io/acme/api\n", path: "image.digest",
			kind: ErrNotFound, line: 1, found: "image",
			want: []string{"is the scalar \"ghcr.io/acme/api\", not a mapping", "pin it with `path: image` and `mode: image`"}},
		{name: "index out of range", yaml: "l: [a, b]\n", path: "l[2]",
			kind: ErrNotFound, line: 1, found: "l",
			want: []string{"`l` (line 1) has 2 items, numbered from 0, so [2] does not exist"}},
		{name: "selector without match lists the items", yaml: "c:\n  - name: web\n  - name: worker\n", path: "c[name=api].image",
			kind: ErrNotFound, line: 1, found: "c",
			want: []string{"no item of `c` (line 1) matches [name=api]", "[0] name=web; [1] name=worker"}},
		{name: "ambiguous selector", yaml: "c:\n  - name: api\n    image: a\n  - name: api\n    image: b\n", path: "c[name=api].image",
			kind: ErrAmbiguous, line: 4, found: "c",
			want: []string{"[name=api] matches 2 items of `c` (line 1) (lines 2 and 4)"}},
		{name: "duplicate key", yaml: "a: 1\na: 2\n", path: "a",
			kind: ErrAmbiguous, line: 2,
			want: []string{"has the key \"a\" twice (lines 1 and 2); remove the duplicate"}},
		{name: "mapping instead of scalar", yaml: helmValues, path: "image",
			kind: ErrNotScalar, line: 1, found: "image",
			want: []string{"`image` (line 1) is a mapping; point the path at the field that holds the value, e.g. image.digest"}},
		{name: "list instead of scalar", yaml: "l: [a]\n", path: "l",
			kind: ErrNotScalar, line: 1, found: "l", want: []string{"is a list", "e.g. l[0] or l[name=api]"}},
		{name: "alias target", yaml: "base: &d sha256:x\nimage:\n  digest: *d\n", path: "image.digest",
			kind: ErrAlias, line: 3, found: "image.digest", want: []string{"is the alias *d of the value anchored &d", "write a value of its own here"}},
		{name: "anchored target", yaml: "base: &d sha256:x\nimage:\n  digest: *d\n", path: "base",
			kind: ErrAlias, line: 1, found: "base", want: []string{"carries the anchor &d", "would change every alias *d too"}},
		{name: "alias on the way", yaml: "base: &b {digest: x}\nimage: *b\n", path: "image.digest",
			kind: ErrAlias, line: 2, found: "image", want: []string{"does not edit through aliases"}},
		{name: "merge key hint", yaml: "base: &b {digest: x}\nimage:\n  <<: *b\n", path: "image.digest",
			kind: ErrNotFound, found: "image", line: 2, want: []string{"does not follow merge keys (<<)"}},
		{name: "block scalar", yaml: "digest: |\n  sha256:x\n", path: "digest",
			kind: ErrUnsupported, line: 1, want: []string{"block scalar (| or >); write it on one line"}},
		{name: "multi-line plain scalar", yaml: "digest: sha256:x\n  continued\n", path: "digest",
			kind: ErrUnsupported, line: 1, want: []string{"spans several lines"}},
		{name: "multi-doc without selector", yaml: "kind: Deployment\nmetadata: {name: api}\nimage: a\n---\nkind: Deployment\nmetadata: {name: worker}\nimage: b\n",
			path: "image", kind: ErrAmbiguous, line: 1,
			want: []string{"document 0 (line 1) and document 1 (line 5)", "e.g. doc[kind=Deployment,metadata.name=api].image"}},
		{name: "multi-doc not found says where it came closest", yaml: "a: {b: 1}\n---\nc: 1\n", path: "a.x",
			kind: ErrNotFound, line: 1, found: "a", want: []string{"(closest match in document 0 of 2)"}},
		{name: "document selector without match", yaml: "kind: A\n---\nkind: B\n", path: "doc[kind=C].x",
			kind: ErrNotFound, want: []string{"no document matches doc[kind=C]; documents here: 0: kind=A; 1: kind=B"}},
		{name: "document selector matching twice", yaml: "kind: A\n---\nkind: A\n", path: "doc[kind=A].x",
			kind: ErrAmbiguous, line: 3, want: []string{"doc[kind=A] matches document 0 (line 1) and document 1 (line 3)"}},
		{name: "document index out of range", yaml: "a: 1\n", path: "doc[3].a",
			kind: ErrNotFound, want: []string{"the file has 1 document, numbered from 0"}},
		{name: "empty file", yaml: "", path: "a", kind: ErrNotFound, want: []string{"holds no YAML document"}},
		{name: "value not UTF-8", yaml: "a: b\n", path: "a", value: "\xff", kind: ErrInvalidValue, want: []string{"not UTF-8"}},
		{name: "not YAML", yaml: "image:\n  digest: x\n tag: [1\n", path: "image.digest",
			line: 2, want: []string{"is not valid YAML near line 2: did not find expected key", "check the indentation and quoting"}},
		{name: "not YAML on line 1", yaml: "a: b: c\n", path: "a",
			want: []string{"is not valid YAML: mapping values are not allowed in this context"}},
		{name: "not UTF-8", yaml: "a: x\nb: \xff\n", path: "a", line: 2, want: []string{"not UTF-8 text; save the file as UTF-8"}},
	}
	// Every message, in full, in one reviewable golden file.
	var all strings.Builder
	defer func() {
		checkGolden(t, filepath.Join("testdata", "errors.golden"), []byte(all.String()))
	}()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			value := tc.value
			if value == "" {
				value = newDigest
			}
			out, changed, err := Set([]byte(tc.yaml), tc.path, value)
			if err == nil {
				t.Fatalf("Set succeeded with %q, want an error", out)
			}
			if out != nil || changed {
				t.Errorf("failed Set returned out=%q changed=%v, want nil, false", out, changed)
			}
			if tc.kind == nil {
				var se *SyntaxError
				if !errors.As(err, &se) {
					t.Fatalf("error %v is %T, want *SyntaxError", err, err)
				}
				if se.Line != tc.line {
					t.Errorf("Line = %d, want %d", se.Line, tc.line)
				}
			} else {
				var pe *PathError
				if !errors.As(err, &pe) || !errors.Is(err, tc.kind) {
					t.Fatalf("error %v (%T), want *PathError wrapping %v", err, err, tc.kind)
				}
				if tc.line != 0 && pe.Line != tc.line {
					t.Errorf("Line = %d, want %d", pe.Line, tc.line)
				}
				if pe.Found != tc.found {
					t.Errorf("Found = %q, want %q", pe.Found, tc.found)
				}
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error message\n  %s\ndoes not contain\n  %s", err, w)
				}
			}
			// Get reports the same problem, except for those only a write
			// has: Get may read through aliases.
			onlyWrite := tc.kind == ErrUnsupported || tc.kind == ErrInvalidValue || tc.kind == ErrAlias
			if _, getErr := Get([]byte(tc.yaml), tc.path); !onlyWrite && (getErr == nil || getErr.Error() != err.Error()) {
				t.Errorf("Get error = %v, want %v", getErr, err)
			}
			fmt.Fprintf(&all, "# %s\n%s\n\n", tc.name, SetFile(err, "values.yaml"))
		})
	}
}

func TestSetFileNamesTheFile(t *testing.T) {
	_, _, err := Set([]byte(helmValues), "image.digest", newDigest)
	err = SetFile(err, "envs/prod/api/values.yaml")
	if want := "envs/prod/api/values.yaml:1: pin path image.digest: not found"; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error = %q, want prefix %q", err, want)
	}
	_, err = Get([]byte("a: [\n"), "a")
	err = SetFile(err, "values.yaml")
	if want := "values.yaml is not valid YAML"; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error = %q, want prefix %q", err, want)
	}
	if SetFile(nil, "x") != nil {
		t.Error("SetFile(nil) != nil")
	}
}

func TestGet(t *testing.T) {
	tests := []struct{ yaml, path, want string }{
		{helmValues, "image.tag", "1.4.2"},
		{"a:\n", "a", ""},
		{"a: ~\n", "a", ""},
		{"a: null\n", "a", ""},
		{"a: \"\"\n", "a", ""},
		{"a: 3\n", "a", "3"},
		{"a: 'it''s'\n", "a", "it's"},
		{"a: \"tab\\there\"\n", "a", "tab\there"},
		// Reading anchors and aliases is fine; TestSetErrors covers writing.
		{"base: &d x\nimage: {digest: y}\n", "base", "x"},
		{"base: &d x\nimage: {digest: *d}\n", "image.digest", "x"},
		{"base: &b {digest: x}\nimage: *b\n", "image.digest", "x"},
		{"l: [{n: a, v: 1}, {n: b, v: 2}]\n", "l[n=b].v", "2"},
		{"kind: A\nv: 1\n---\nkind: B\nw: 2\n", "w", "2"},      // only one document has it
		{"c:\n  - image: a\n  - image: b\n", "c.1.image", "b"}, // Kargo's index style
		{"c:\n  \"1\": {image: a}\n", "c.1.image", "a"},        // ... but a mapping key stays a key
		{"l: [{n: x, d: 1}, {n: y, d: 2}]\n", "l[n=y].d", "2"}, // selectors in flow style
	}
	for _, tc := range tests {
		got, err := Get([]byte(tc.yaml), tc.path)
		if err != nil || got != tc.want {
			t.Errorf("Get(%q, %q) = %q, %v; want %q", tc.yaml, tc.path, got, err, tc.want)
		}
	}
}

// TestSetKeepsStyleUnlessItMustNot: a value keeps the scalar's quoting
// unless that quoting would read back differently.
func TestSetKeepsStyleUnlessItMustNot(t *testing.T) {
	tests := []struct{ yaml, path, value, want string }{
		{"a: x\n", "", "y", "a: y\n"},
		{"a: x\n", "", "true", "a: \"true\"\n"}, // plain true would be a boolean
		{"a: x\n", "", "null", "a: \"null\"\n"},
		{"a: x\n", "", "b #c", "a: \"b #c\"\n"},
		{"a: x\n", "", "b: c", "a: \"b: c\"\n"},
		{"a: x\n", "", "", "a: \"\"\n"},
		{"a: 3\n", "", "4", "a: 4\n"}, // an integer stays an integer
		{"a: 'x'\n", "", "it's", "a: 'it''s'\n"},
		{"a: 'x'\n", "", "two\nlines", "a: \"two\\nlines\"\n"},
		{"a: \"x\"\n", "", "say \"hi\"", "a: \"say \\\"hi\\\"\"\n"},
		{"a: [x, y]\n", "a[0]", "p, q", "a: [\"p, q\", y]\n"},
		{"a: {b: x}\n", "a.b", "}", "a: {b: \"}\"}\n"},
		{"a: \"multi\n  line\" # c\n", "", "one", "a: \"one\" # c\n"},
		{"größe: {ü: x}\n", "größe.ü", "ÿ", "größe: {ü: ÿ}\n"},
		{"a: {b: , c: 1}\n", "a.b", "x", "a: {b: x , c: 1}\n"},
		{"a: {b: }\n", "a.b", "}", "a: {b: \"}\" }\n"},
		{"a:\n", "", "", "a:\n"}, // already empty: nothing to do
	}
	for _, tc := range tests {
		path := tc.path
		if path == "" {
			path = "a"
		}
		out, _, err := Set([]byte(tc.yaml), path, tc.value)
		if err != nil || string(out) != tc.want {
			t.Errorf("Set(%q, %q) = %q, %v; want %q", tc.yaml, tc.value, out, err, tc.want)
		}
	}
}

func TestSetUnchangedReturnsSameBytes(t *testing.T) {
	in := []byte("image:\n  digest: \"" + newDigest + "\"\n")
	out, changed, err := Set(in, "image.digest", newDigest)
	if err != nil || changed || &out[0] != &in[0] {
		t.Errorf("Set of the current value: changed=%v err=%v, same slice=%v; want false, nil, true", changed, err, &out[0] == &in[0])
	}
}

// TestVerifyCatchesCollateralChanges exercises the safety net directly:
// Set's renderings normally never trip it, so feed it edits that do.
func TestVerifyCatchesCollateralChanges(t *testing.T) {
	in := []byte("a: x\nb: y # keep\n")
	docs, err := parseStream(in)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := ParsePath("a")
	old, _ := locate(docs, p, forWrite)
	tests := []struct {
		out  string
		want bool
	}{
		{"a: v\nb: y # keep\n", true},
		{"a: 'v'\nb: y # keep\n", true},
		{"a: v\nb: z # keep\n", false},       // another value changed
		{"a: v # new\nb: y # keep\n", false}, // a comment appeared
		{"a: v\nb: y\n", false},              // a comment vanished
		{"a: v\nb: y # keep\nc: 1\n", false}, // a key appeared
		{"a: [v]\nb: y # keep\n", false},     // the target changed kind
		{"a: ~\nb: y # keep\n", false},       // the value reads as null
		{"a: v\n---\nb: y # keep\n", false},  // a document appeared
		{"a: v\nb: !!str y # keep\n", false}, // a tag appeared
		{"a: v\nb: &y y # keep\n", false},    // an anchor appeared
		{"a: v\nb: \"y\" # keep\n", false},   // another style changed
		{"a: v\nb: y # keep\n  c: 1", false}, // no longer YAML
	}
	for _, tc := range tests {
		if got := verify([]byte(tc.out), docs, old, p, "v", anyType); got != tc.want {
			t.Errorf("verify(%q) = %v, want %v", tc.out, got, tc.want)
		}
	}
}
