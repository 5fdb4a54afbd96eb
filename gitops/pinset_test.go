package gitops

import (
	"bytes"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"
)

// goldenTarget is the promotion every golden case applies: release
// 1.5.0 of api into prod.
var goldenTarget = Target{
	Service: "api", Env: "prod", Image: "ghcr.io/acme/api", Digest: newDigest,
	Version: "1.5.0", Commit: "1234567d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f7",
}

// pinCase is testdata/pins/<name>/case.yaml: the pins as slipway.yaml
// writes them, and the digest they hold before the promotion. The files
// are under in/; the files the promotion changes, as they must be after
// it, under golden/.
type pinCase struct {
	Pins   PinSet `yaml:"pins"`
	Before string `yaml:"before"`
}

func loadPinCase(t *testing.T, dir string) (pinCase, map[string][]byte) {
	t.Helper()
	var c pinCase
	dec := yaml.NewDecoder(bytes.NewReader(readFile(t, filepath.Join(dir, "case.yaml"))))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("case.yaml: %v", err)
	}
	return c, readTree(t, filepath.Join(dir, "in"))
}

// readTree reads every file under dir into a map keyed by slash path.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = readFile(t, p)
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return files
}

// TestPinGolden applies every case in testdata/pins and compares the
// changed files byte for byte with the golden ones; rerun with -update
// to rewrite them after reviewing the diff.
func TestPinGolden(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join("testdata", "pins", "*", "case.yaml"))
	if len(dirs) < 15 {
		t.Fatalf("found %d golden cases, want every kind covered", len(dirs))
	}
	for _, caseFile := range dirs {
		dir := filepath.Dir(caseFile)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			c, files := loadPinCase(t, dir)
			if err := c.Pins.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			before := cloneFiles(files)
			if got, err := c.Pins.Current(files, goldenTarget); err != nil || got != c.Before {
				t.Errorf("Current before = %q, %v; want %q", got, err, c.Before)
			}
			changed, err := c.Pins.Apply(files, goldenTarget)
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if !equalFiles(files, before) {
				t.Fatal("Apply modified the map it was given")
			}
			checkGoldenTree(t, filepath.Join(dir, "golden"), changed)
			wanted, _ := c.Pins.Files(goldenTarget.Service, goldenTarget.Env)
			for rel, out := range changed {
				if !slices.Contains(wanted, rel) {
					t.Errorf("Apply changed %s, which is not among Files() %v", rel, wanted)
				}
				onlyPinnedLinesChange(t, rel, files[rel], out)
			}
			after := cloneFiles(files)
			maps.Copy(after, changed)
			if got, err := c.Pins.Current(after, goldenTarget); err != nil || got != newDigest {
				t.Errorf("Current after = %q, %v; want the promoted digest", got, err)
			}
			// A retried promotion (after a crash) finds nothing to change.
			if again, err := c.Pins.Apply(after, goldenTarget); err != nil || len(again) != 0 {
				t.Errorf("second Apply changed %v, %v; want nothing", slices.Collect(maps.Keys(again)), err)
			}
		})
	}
}

// checkGoldenTree compares the changed files with dir's tree: the same
// files, the same bytes.
func checkGoldenTree(t *testing.T, dir string, changed map[string][]byte) {
	t.Helper()
	if *update {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		for rel, b := range changed {
			mustWrite(t, filepath.Join(dir, filepath.FromSlash(rel)), string(b), 0o644)
		}
	}
	want := readTree(t, dir)
	for rel, b := range changed {
		if w, ok := want[rel]; !ok {
			t.Errorf("Apply changed %s, which has no golden file", rel)
		} else if !bytes.Equal(b, w) {
			t.Errorf("%s differs from its golden file (rerun with -update after checking)\n got: %q\nwant: %q", rel, b, w)
		}
	}
	for rel := range want {
		if _, ok := changed[rel]; !ok {
			t.Errorf("golden file %s was not changed by Apply", rel)
		}
	}
}

// onlyPinnedLinesChange: the file keeps its line count, and every line
// that differs now holds something the promotion wrote.
func onlyPinnedLinesChange(t *testing.T, rel string, in, out []byte) {
	t.Helper()
	a, b := bytes.Split(in, []byte("\n")), bytes.Split(out, []byte("\n"))
	if len(a) != len(b) {
		t.Errorf("%s: %d lines became %d", rel, len(a), len(b))
		return
	}
	written := [][]byte{[]byte(newDigest), []byte("1.5.0"), []byte("1234567"), []byte("ghcr.io"), []byte("acme/api")}
	for i := range a {
		if bytes.Equal(a[i], b[i]) {
			continue
		}
		if !slices.ContainsFunc(written, func(w []byte) bool { return bytes.Contains(b[i], w) }) {
			t.Errorf("%s:%d changed but holds nothing the promotion wrote: %q -> %q", rel, i+1, a[i], b[i])
		}
	}
}

func cloneFiles(m map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(m))
	for k, v := range m {
		out[k] = bytes.Clone(v)
	}
	return out
}

func equalFiles(a, b map[string][]byte) bool {
	return maps.EqualFunc(a, b, bytes.Equal)
}
