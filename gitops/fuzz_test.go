package gitops

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// FuzzSet edits random YAML at random paths. Set must never panic, and when
// it reports success the result must parse, read back the value through
// Get, and differ from the input only inside the span of the edited scalar.
func FuzzSet(f *testing.F) {
	for _, tc := range goldenCases {
		in, err := os.ReadFile(filepath.Join("testdata", "set", tc.name+".in.yaml"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(in, tc.path, newDigest)
	}
	for _, s := range []struct{ yaml, path, value string }{
		{"a: 1\n", "a", "x: y"},
		{"a: 'x'\n", "a", "it's\nhere"},
		{"a: [x, y]\n", "a[1]", "p, q"},
		{"a: {b: c}\n", "a.b", "#x"},
		{"a: b # c\n", "a", "null"},
		{"a: \"b\\\"c\"\n", "a", "\x00\t"},
		{"- a\n- b\n", "[1]", ""},
		{"a:\n  - {n: x, v: 1}\n  - {n: y, v: 2}\n", "a[n=y].v", "3"},
		{"a: &x 1\nb: *x\n", "b", "2"},
		{"a: |\n  x\n", "a", "y"},
		{"a: x\n  y\n", "a", "z"},
	} {
		f.Add([]byte(s.yaml), s.path, s.value)
	}
	f.Fuzz(func(t *testing.T, in []byte, path, value string) {
		checkSet(t, in, path, value)
		// Random paths rarely resolve in random YAML; also edit a scalar
		// that exists, chosen by the value, so splicing gets exercised.
		if paths := scalarPaths(in); len(paths) > 0 {
			checkSet(t, in, paths[len(value)%len(paths)], value)
		}
	})
}

// checkSet runs Set and checks the properties FuzzSet promises.
func checkSet(t *testing.T, in []byte, path, value string) {
	t.Helper()
	orig := bytes.Clone(in)
	out, sp, changed, err := set(in, path, value)
	if !bytes.Equal(in, orig) {
		t.Fatalf("Set modified its input")
	}
	if err != nil {
		var pe *PathError
		var se *SyntaxError
		var pse *PathSyntaxError
		if !errors.As(err, &pe) && !errors.As(err, &se) && !errors.As(err, &pse) {
			t.Fatalf("Set(%q) returned an untyped error: %v", path, err)
		}
		return
	}
	if got, err := Get(out, path); err != nil || got != value {
		t.Fatalf("after Set(%q, %q): Get = %q, %v", path, value, got, err)
	}
	if !changed {
		if !bytes.Equal(out, in) {
			t.Fatalf("changed=false but the bytes differ")
		}
		return
	}
	if _, err := parseStream(out); err != nil {
		t.Fatalf("output does not parse: %v\n%q", err, out)
	}
	tail := len(in) - sp.end
	if !bytes.Equal(out[:sp.start], in[:sp.start]) || !bytes.Equal(out[len(out)-tail:], in[sp.end:]) {
		t.Fatalf("bytes outside the edited span [%d,%d) changed:\n in: %q\nout: %q", sp.start, sp.end, in, out)
	}
	if edited := string(out[sp.start : len(out)-tail]); strings.ContainsAny(edited, "\r\n") {
		t.Fatalf("the new scalar %q spans lines", edited)
	}
}

// scalarPaths lists a path for every scalar reachable through scalar keys
// and list indices, in every document.
func scalarPaths(in []byte) []string {
	docs, err := parseStream(in)
	if err != nil {
		return nil
	}
	var paths []string
	var visit func(n *yaml.Node, p Path)
	visit = func(n *yaml.Node, p Path) {
		if len(p.Steps) > 20 {
			return
		}
		switch n.Kind {
		case yaml.ScalarNode:
			if len(p.Steps) > 0 {
				paths = append(paths, p.String())
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if k := n.Content[i]; k.Kind == yaml.ScalarNode {
					visit(n.Content[i+1], Path{Doc: p.Doc, Steps: append(slices.Clip(p.Steps), Step{Kind: KeyStep, Key: k.Value})})
				}
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				visit(c, Path{Doc: p.Doc, Steps: append(slices.Clip(p.Steps), Step{Kind: IndexStep, Index: i})})
			}
		}
	}
	for i, d := range docs {
		if root := docRoot(d); root != nil {
			visit(root, Path{Doc: &Step{Kind: IndexStep, Index: i}})
		}
	}
	return paths
}
