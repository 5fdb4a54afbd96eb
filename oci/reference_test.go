package oci_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/slipway/slipway/oci"
)

var hex64 = strings.Repeat("0123456789abcdef", 4)

func TestParseReference(t *testing.T) {
	for _, tc := range []struct {
		in       string
		wantRepo string
	}{
		{"registry.example.com/team/api@sha256:" + hex64, "registry.example.com/team/api"},
		{"127.0.0.1:5000/api@sha256:" + hex64, "127.0.0.1:5000/api"},
		{"  localhost:5000/a/b/c@sha256:" + hex64 + "\n", "localhost:5000/a/b/c"},
		{"alpine@sha256:" + hex64, "index.docker.io/library/alpine"},
		// The tag is ignored: the digest alone decides what is fetched.
		{"registry.example.com/api:v1.2.3@sha256:" + hex64, "registry.example.com/api"},
	} {
		ref, err := oci.ParseReference(tc.in)
		if err != nil {
			t.Errorf("ParseReference(%q): %v", tc.in, err)
			continue
		}
		if ref.Repository != tc.wantRepo || ref.Digest != "sha256:"+hex64 {
			t.Errorf("ParseReference(%q) = %+v, want repository %q", tc.in, ref, tc.wantRepo)
		}
		if got := ref.String(); got != tc.wantRepo+"@sha256:"+hex64 {
			t.Errorf("String() = %q", got)
		}
	}
}

func TestParseReferenceErrors(t *testing.T) {
	for _, tc := range []struct {
		in       string
		mentions []string
	}{
		{"", []string{"empty"}},
		{"registry.example.com/api:v1", []string{`"registry.example.com/api:v1"`, "promoted by digest", "registry.example.com/api@sha256:", "crane digest"}},
		{"registry.example.com/api", []string{"promoted by digest"}},
		{"api@sha256:" + hex64[:63], []string{"63 hex digits, want 64"}},
		{"api@sha256:" + hex64 + "0", []string{"65 hex digits"}},
		{"api@sha256:" + strings.ToUpper(hex64), []string{"uppercase", "sha256:" + hex64}},
		{"api@SHA256:" + hex64, []string{"lowercase \"sha256\""}},
		{"api@sha512:" + hex64 + hex64, []string{`algorithm "sha512"`, "only sha256"}},
		{"api@" + hex64, []string{"no algorithm"}},
		{"api@sha256:" + hex64[:63] + "g", []string{"non-hex character 'g'"}},
		{"@sha256:" + hex64, []string{"no repository"}},
		{"Registry.example.com/API@sha256:" + hex64, []string{"repository", "lowercase"}},
	} {
		_, err := oci.ParseReference(tc.in)
		if !errors.Is(err, oci.ErrInvalidReference) {
			t.Errorf("ParseReference(%q) error = %v, want ErrInvalidReference", tc.in, err)
			continue
		}
		for _, m := range tc.mentions {
			if !strings.Contains(err.Error(), m) {
				t.Errorf("ParseReference(%q) error %q does not mention %q", tc.in, err, m)
			}
		}
	}
}

func TestValidateDigest(t *testing.T) {
	if err := oci.ValidateDigest("sha256:" + hex64); err != nil {
		t.Errorf("valid digest refused: %v", err)
	}
	for _, bad := range []string{"", "sha256:", "sha256:" + hex64[:10], "md5:" + hex64, "sha256:" + strings.ToUpper(hex64), " sha256:" + hex64} {
		if err := oci.ValidateDigest(bad); err == nil {
			t.Errorf("ValidateDigest(%q) accepted", bad)
		}
	}
}

// FuzzParseReference checks that parsing never panics and that whatever it
// accepts is canonical: valid digest, and re-parsing gives the same value.
func FuzzParseReference(f *testing.F) {
	for _, s := range []string{"a@sha256:" + hex64, "r.io/a:t@sha256:" + hex64, "a:t", "@", "a@sha256:", "a@@sha256:" + hex64, "[::1]:5000/a@sha256:" + hex64} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, err := oci.ParseReference(s)
		if err != nil {
			if !errors.Is(err, oci.ErrInvalidReference) {
				t.Fatalf("error %v does not wrap ErrInvalidReference", err)
			}
			return
		}
		if err := oci.ValidateDigest(ref.Digest); err != nil {
			t.Fatalf("accepted %q with an invalid digest: %v", s, err)
		}
		again, err := oci.ParseReference(ref.String())
		if err != nil || again != ref {
			t.Fatalf("%q parsed to %+v, which re-parses to %+v, %v", s, ref, again, err)
		}
	})
}
