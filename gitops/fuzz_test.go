package gitops

import (
	"bytes"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path"
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

// FuzzPinConfig decodes arbitrary pin configuration (the Pin and Write
// decoders, every kind's options, tagFormat). It must never panic, and a
// pin that validates must render files inside the repository.
func FuzzPinConfig(f *testing.F) {
	for _, s := range []string{
		"{file: v.yaml, path: image.digest}",
		"{kind: kustomize, file: k.yaml, name: api, write: [newTag, digest], tagFormat: 'v{version}'}",
		"{kind: helm, file: v.yaml, image: api.image, keys: {tag: version, registry: reg}, write: [registry, repository, tag, digest]}",
		"{kind: argocd, file: a.yaml, document: {name: x}, source: {repoURL: https://x, chart: c}, helm: valuesObject}",
		"{kind: argocd, file: a.yaml, source: {index: 3}}",
		"{file: '{service}/{env}.yaml', path: 'doc[kind=A].x', write: tag@digest, tagFormat: '{shortCommit}'}",
		"{kind: yaml, file: x, path: a, write: [digest], mode: image}",
		"[1, 2]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		var p Pin
		if err := yaml.Unmarshal([]byte(src), &p); err != nil {
			return
		}
		if err := p.Validate(); err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Key == "" || ce.Msg == "" {
				t.Fatalf("Validate(%q) returned %T %v, want a *ConfigError naming a key", src, err, err)
			}
			return
		}
		files, err := PinSet{p}.Files("api", "prod")
		if err != nil || len(files) != 1 {
			t.Fatalf("a valid pin %q has files %v, %v", src, files, err)
		}
		if _, why := relativePath(files[0]); why != "" || files[0] != path.Clean(files[0]) {
			t.Fatalf("a valid pin %q renders the file %q, which %s", src, files[0], why)
		}
	})
}

// FuzzPinSetApply writes random files through the pins of every golden
// case. Apply must never panic or change its input; when it succeeds,
// every changed file parses, every pin reads back the digest, and a
// second Apply changes nothing.
func FuzzPinSetApply(f *testing.F) {
	dirs, _ := filepath.Glob(filepath.Join("testdata", "pins", "*", "case.yaml"))
	var cases []PinSet
	for _, caseFile := range dirs {
		var c pinCase
		if err := yaml.Unmarshal(readFile(f, caseFile), &c); err != nil {
			f.Fatal(err)
		}
		in := filepath.Join(filepath.Dir(caseFile), "in")
		_ = filepath.WalkDir(in, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				f.Add(uint8(len(cases)), readFile(f, p))
			}
			return err
		})
		cases = append(cases, c.Pins)
	}
	f.Fuzz(func(t *testing.T, which uint8, content []byte) {
		pins := cases[int(which)%len(cases)]
		names, err := pins.Files(goldenTarget.Service, goldenTarget.Env)
		if err != nil {
			t.Fatal(err)
		}
		files := map[string][]byte{}
		for _, n := range names {
			files[n] = content
		}
		orig := bytes.Clone(content)
		changed, err := pins.Apply(files, goldenTarget)
		if !bytes.Equal(content, orig) {
			t.Fatal("Apply modified its input")
		}
		if err != nil {
			var pe *PinError
			if !errors.As(err, &pe) {
				t.Fatalf("Apply returned %T, want *PinError: %v", err, err)
			}
			return
		}
		after := maps.Clone(files)
		for n, b := range changed {
			if _, err := parseStream(b); err != nil {
				t.Fatalf("%s does not parse after Apply: %v\n%q", n, err, b)
			}
			after[n] = b
		}
		if got, err := pins.Current(after, goldenTarget); err != nil || got != newDigest {
			t.Fatalf("after Apply, Current = %q, %v", got, err)
		}
		if again, err := pins.Apply(after, goldenTarget); err != nil || len(again) != 0 {
			t.Fatalf("second Apply changed %d files, %v", len(again), err)
		}
	})
}

// FuzzTagFormat: a rendered tag is always a valid image tag, or an error.
func FuzzTagFormat(f *testing.F) {
	f.Add("v{version}", "1.5.0", "1234567d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f7")
	f.Add("{version}+{shortCommit}", "1.5.0-rc.1", "")
	f.Add("{{version}}", "", "x")
	f.Fuzz(func(t *testing.T, format, version, commit string) {
		tag, err := renderTag(format, Target{Version: version, Commit: commit})
		if err == nil && !tagRE.MatchString(tag) {
			t.Fatalf("renderTag(%q) = %q, not a valid image tag", format, tag)
		}
	})
}
