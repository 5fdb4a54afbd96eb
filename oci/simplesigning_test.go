package oci_test

import (
	"strings"
	"testing"

	"github.com/slipway/slipway/oci"
)

func TestSimpleSigningPayloadRoundTrip(t *testing.T) {
	ref, err := oci.ParseReference("registry.example.com/team/api@sha256:" + hex64)
	if err != nil {
		t.Fatal(err)
	}
	data, err := oci.NewSimpleSigningPayload(ref).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"critical":{"identity":{"docker-reference":"registry.example.com/team/api"},"image":{"docker-manifest-digest":"sha256:` + hex64 + `"},"type":"cosign container image signature"},"optional":null}`
	if string(data) != want {
		t.Fatalf("payload =\n %s\nwant\n %s", data, want)
	}
	p, err := oci.ParseSimpleSigningPayload(data)
	if err != nil {
		t.Fatal(err)
	}
	if p.Critical.Image.DockerManifestDigest != ref.Digest || p.Critical.Identity.DockerReference != ref.Repository {
		t.Errorf("parsed %+v", p)
	}
}

func TestParseSimpleSigningPayloadErrors(t *testing.T) {
	good := `{"critical":{"identity":{"docker-reference":"r"},"image":{"docker-manifest-digest":"sha256:` + hex64 + `"},"type":"cosign container image signature"},"optional":{"a":"b"}}`
	if _, err := oci.ParseSimpleSigningPayload([]byte(good)); err != nil {
		t.Fatalf("valid payload with annotations refused: %v", err)
	}
	for _, tc := range []struct {
		name, payload, mention string
	}{
		{"not JSON", "hello", "not valid JSON"},
		{"trailing data", good + "}", "data after the JSON object"},
		{"wrong type", strings.Replace(good, "cosign container image signature", "atomic container signature", 1), `critical.type "atomic container signature"`},
		{"short digest", strings.Replace(good, hex64, hex64[:10], 1), "docker-manifest-digest"},
		{"no digest", `{"critical":{"type":"cosign container image signature"}}`, "docker-manifest-digest"},
		{"too large", strings.Repeat(" ", 1<<20+1), "more than the"},
	} {
		_, err := oci.ParseSimpleSigningPayload([]byte(tc.payload))
		if err == nil || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.mention)
		}
	}
}

// FuzzParseSimpleSigningPayload: never panics; whatever it accepts names a
// valid digest and survives a marshal/parse round trip.
func FuzzParseSimpleSigningPayload(f *testing.F) {
	f.Add([]byte(`{"critical":{"identity":{"docker-reference":"r"},"image":{"docker-manifest-digest":"sha256:` + hex64 + `"},"type":"cosign container image signature"},"optional":null}`))
	f.Add([]byte(`{"critical":{}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := oci.ParseSimpleSigningPayload(data)
		if err != nil {
			return
		}
		if err := oci.ValidateDigest(p.Critical.Image.DockerManifestDigest); err != nil {
			t.Fatalf("accepted an invalid digest: %v", err)
		}
		again, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := oci.ParseSimpleSigningPayload(again); err != nil {
			t.Fatalf("re-marshalled payload refused: %v", err)
		}
	})
}
