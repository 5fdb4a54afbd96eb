package gitops

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/set")

const (
	oldDigest   = "sha256:cba06b5736faf67e54b07b561eae94395e774c517a7d910a54369e1263ccfbd4"
	newDigest   = "sha256:11507a0e2f5e69d5dfa40a62a1bd7b6ee57e6bcd85c67c9b8431b36fff21c437"
	otherDigest = "sha256:d9298a10d1b0735837dc4bd85dac641b0f3cef27a47e5d53a54f2f3f5b2fcffa"
)

// goldenCase edits testdata/set/<name>.in.yaml and compares the result
// byte for byte with testdata/set/<name>.golden.yaml. With a pin mode the
// edit goes through Pin.Apply (value is the digest), otherwise through Set.
type goldenCase struct {
	name      string
	path      string
	mode      Mode
	value     string
	imageRepo string
}

var goldenCases = []goldenCase{
	{name: "helm-values", path: "image.digest", mode: ModeDigest, value: newDigest},
	{name: "helm-plain", path: "image.digest", mode: ModeDigest, value: newDigest},
	{name: "helm-single-quoted", path: "image.digest", mode: ModeDigest, value: newDigest},
	{name: "helm-empty-string", path: "image.digest", mode: ModeDigest, value: newDigest},
	{name: "helm-empty-null", path: "image.digest", mode: ModeDigest, value: newDigest},
	{name: "helm-tilde", path: "image.digest", mode: ModeDigest, value: newDigest},
	{name: "kustomization", path: "images[name=ghcr.io/acme/api].digest", mode: ModeDigest, value: newDigest},
	{name: "multi-doc", path: "doc[kind=Deployment,metadata.name=api].spec.template.spec.containers[name=api].image",
		mode: ModeImage, value: newDigest, imageRepo: "ghcr.io/acme/api"},
	{name: "flow-mapping", path: "image.digest", mode: ModeDigest, value: newDigest},
	{name: "crlf", path: "image.digest", mode: ModeDigest, value: newDigest},
	{name: "no-trailing-newline", path: "image.digest", mode: ModeDigest, value: newDigest},
	{name: "utf8-before-scalar", path: "image.digest", mode: ModeDigest, value: newDigest},
	{name: "key-with-dots", path: `podAnnotations."example.com/digest"`, mode: ModeDigest, value: newDigest},
	{name: "index", path: "containers[1].image", mode: ModeImage, value: newDigest, imageRepo: "ghcr.io/acme/api"},
	{name: "doc-index", path: "doc[1].data.version", value: "2"},
	{name: "tagged", path: "image.digest", mode: ModeDigest, value: newDigest},
	{name: "bom", path: "image.digest", mode: ModeDigest, value: newDigest},
	{name: "block-seq-null", path: "digests[0]", value: "sha256:y"},
}

func TestSetGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			in := readFile(t, filepath.Join("testdata", "set", tc.name+".in.yaml"))
			out, changed, err := tc.apply(in)
			if err != nil {
				t.Fatalf("edit %s: %v", tc.path, err)
			}
			if !changed {
				t.Fatalf("edit %s: changed=false, want true", tc.path)
			}
			checkGolden(t, filepath.Join("testdata", "set", tc.name+".golden.yaml"), out)
			// Applying the same edit again is a no-op that returns the
			// very same bytes: promotions are retried after crashes.
			again, changed, err := tc.apply(out)
			if err != nil || changed || !bytes.Equal(again, out) {
				t.Errorf("second edit: changed=%v err=%v, want an unchanged no-op", changed, err)
			}
		})
	}
}

func (tc goldenCase) apply(in []byte) ([]byte, bool, error) {
	if tc.mode == "" {
		return Set(in, tc.path, tc.value)
	}
	return Pin{Path: tc.path, Mode: tc.mode}.Apply(in, tc.value, tc.imageRepo)
}

// TestGoldenCurrent reads back what the golden edits wrote, through the
// same pin, so Current and Apply agree on every layout.
func TestGoldenCurrent(t *testing.T) {
	for _, tc := range goldenCases {
		if tc.mode == "" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			out := readFile(t, filepath.Join("testdata", "set", tc.name+".golden.yaml"))
			got, err := Pin{Path: tc.path, Mode: tc.mode}.Current(out)
			if err != nil || got != tc.value {
				t.Errorf("Current = %q, %v; want %q", got, err, tc.value)
			}
		})
	}
}

// checkGolden compares got with the golden file byte for byte; with
// -update it rewrites the file first.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if want := readFile(t, path); !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (rerun with -update after checking)\n got: %q\nwant: %q", path, got, want)
	}
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
