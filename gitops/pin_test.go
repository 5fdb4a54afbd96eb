package gitops

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestPinRender(t *testing.T) {
	tests := []struct{ file, service, env, want string }{
		{"envs/{env}/{service}/values.yaml", "api", "prod", "envs/prod/api/values.yaml"},
		{"apps/{service}/overlays/{env}/kustomization.yaml", "api", "staging", "apps/api/overlays/staging/kustomization.yaml"},
		{"./clusters/{env}//{service}.yaml", "web", "dev", "clusters/dev/web.yaml"},
		{"values-{env}.yaml", "api", "prod", "values-prod.yaml"},
		{"{service}/{service}-{env}.yaml", "api", "prod", "api/api-prod.yaml"},
	}
	for _, tc := range tests {
		got, err := Pin{File: tc.file}.Render(tc.service, tc.env)
		if err != nil || got != tc.want {
			t.Errorf("Render(%q, %q, %q) = %q, %v; want %q", tc.file, tc.service, tc.env, got, err, tc.want)
		}
	}
}

func TestPinRenderRefuses(t *testing.T) {
	tests := []struct{ file, service, env, want string }{
		{"/etc/{service}.yaml", "api", "prod", "is absolute"},
		{"../{service}.yaml", "api", "prod", "has a '..' segment"},
		{"envs/{env}/../../x.yaml", "api", "prod", "has a '..' segment"},
		{"envs/{env}/{service}.yaml", "..", "prod", `service name ".." cannot be used`},
		{"envs/{env}/{service}.yaml", "api", "a/../../b", `env name "a/../../b" cannot be used`},
		{"envs/{env}/{service}.yaml", "", "prod", `service name ""`},
		{"envs/{region}/{service}.yaml", "api", "prod", "unknown placeholder {region}"},
		{"envs/{env/{service}.yaml", "api", "prod", "unknown placeholder {env/{service}"},
		{"envs/{env}/{service.yaml", "api", "prod", "unclosed '{'"},
		{"envs/env}/{service}.yaml", "api", "prod", "'}' without '{'"},
		{`C:\envs\{service}.yaml`, "api", "prod", "backslash"},
		{"C:/envs/{service}.yaml", "api", "prod", "Windows drive"},
		{"", "api", "prod", "is empty"},
		{".", "api", "prod", "names the repository root"},
	}
	for _, tc := range tests {
		_, err := Pin{File: tc.file}.Render(tc.service, tc.env)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Render(%q, %q, %q) error = %v; want it to contain %q", tc.file, tc.service, tc.env, err, tc.want)
		}
	}
}

func TestPinValidate(t *testing.T) {
	ok := Pin{File: "envs/{env}/{service}/values.yaml", Path: "image.digest"}
	if err := ok.Validate(); err != nil {
		t.Errorf("Validate(%+v) = %v", ok, err)
	}
	for _, tc := range []struct {
		pin  Pin
		want string
	}{
		{Pin{File: "x.yaml", Path: "image.digest", Mode: "tag"}, `pin mode "tag" is unknown`},
		{Pin{File: "x.yaml", Path: "image..digest"}, "invalid pin path"},
		{Pin{File: "../x.yaml", Path: "image.digest"}, "has a '..' segment"},
	} {
		if err := tc.pin.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v; want it to contain %q", tc.pin, err, tc.want)
		}
	}
}

// TestPinYAML: a pin is written in slipway.yaml with the keys file, path
// and mode.
func TestPinYAML(t *testing.T) {
	var p Pin
	src := "file: envs/{env}/{service}/values.yaml\npath: image.digest\nmode: image\n"
	if err := yaml.Unmarshal([]byte(src), &p); err != nil {
		t.Fatal(err)
	}
	want := Pin{File: "envs/{env}/{service}/values.yaml", Path: "image.digest", Mode: ModeImage}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("decoded %+v, want %+v", p, want)
	}
}

func TestPinApplyDigestMode(t *testing.T) {
	pin := Pin{Path: "image.digest"}
	in := []byte("image:\n  digest: \"" + oldDigest + "\"\n")
	for _, bad := range []string{
		"", "sha256:abc", "SHA256:" + newDigest[7:], "sha256:" + strings.ToUpper(newDigest[7:]),
		"sha512:" + newDigest[7:], newDigest[7:], "ghcr.io/acme/api@" + newDigest, newDigest + "\n",
	} {
		_, _, err := pin.Apply(in, bad, "")
		if !errors.Is(err, ErrInvalidValue) || !strings.Contains(err.Error(), "sha256:<64 lowercase hex>") {
			t.Errorf("Apply(%q) error = %v; want ErrInvalidValue naming the digest form", bad, err)
		}
	}
	out, changed, err := pin.Apply(in, newDigest, "ignored in digest mode")
	if err != nil || !changed || string(out) != "image:\n  digest: \""+newDigest+"\"\n" {
		t.Fatalf("Apply = %q, %v, %v", out, changed, err)
	}
	if got, err := pin.Current(out); err != nil || got != newDigest {
		t.Errorf("Current = %q, %v; want %q", got, err, newDigest)
	}
}

func TestPinApplyImageMode(t *testing.T) {
	pin := Pin{Path: "image", Mode: ModeImage}
	tests := []struct{ in, repo, want string }{
		{"ghcr.io/acme/api:1.2@" + oldDigest, "ghcr.io/acme/api", "ghcr.io/acme/api:1.2@" + newDigest},
		{"ghcr.io/acme/api:1.2", "ghcr.io/acme/api", "ghcr.io/acme/api:1.2@" + newDigest},
		{"ghcr.io/acme/api@" + oldDigest, "", "ghcr.io/acme/api@" + newDigest},
		{"localhost:5000/api:1.2", "localhost:5000/api", "localhost:5000/api:1.2@" + newDigest},
		{"localhost:5000/api", "localhost:5000/api", "localhost:5000/api@" + newDigest},
		{"", "ghcr.io/acme/api", "ghcr.io/acme/api@" + newDigest},
	}
	for _, tc := range tests {
		in := []byte("image: \"" + tc.in + "\"\n")
		out, changed, err := pin.Apply(in, newDigest, tc.repo)
		if err != nil || !changed || string(out) != "image: \""+tc.want+"\"\n" {
			t.Errorf("Apply(%q, repo %q) = %q, %v, %v; want image %q", tc.in, tc.repo, out, changed, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, repo, want string }{
		{"ghcr.io/acme/web:1.2", "ghcr.io/acme/api", "the pin holds an image of ghcr.io/acme/web, but the service's image is ghcr.io/acme/api"},
		{"", "", "the pin is empty and no image repository is known"},
		{"ghcr.io/acme/api:", "", "empty tag"},
		{"a b", "", "is not an image reference"},
		{"ghcr.io/acme/api@x@y", "", "malformed digest part"},
	} {
		_, _, err := pin.Apply([]byte("image: \""+tc.in+"\"\n"), newDigest, tc.repo)
		if !errors.Is(err, ErrInvalidValue) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Apply(%q, repo %q) error = %v; want it to contain %q", tc.in, tc.repo, err, tc.want)
		}
	}
}

func TestPinCurrent(t *testing.T) {
	tests := []struct {
		mode Mode
		yaml string
		want string
		err  string
	}{
		{ModeDigest, "v: \"\"\n", "", ""},
		{ModeDigest, "v:\n", "", ""},
		{ModeDigest, "v: " + oldDigest + "\n", oldDigest, ""},
		{ModeDigest, "v: latest\n", "", `the pin holds "latest", which is not sha256:<64 lowercase hex>`},
		{ModeImage, "v: ghcr.io/acme/api:1.2\n", "", ""},
		{ModeImage, "v: ghcr.io/acme/api:1.2@" + oldDigest + "\n", oldDigest, ""},
		{ModeImage, "v: ghcr.io/acme/api@sha256:short\n", "", "is not sha256:<64 lowercase hex>"},
		{ModeDigest, "w: x\n", "", "not found"},
		{"tag", "v: x\n", "", `pin mode "tag" is unknown`},
	}
	for _, tc := range tests {
		got, err := Pin{Path: "v", Mode: tc.mode}.Current([]byte(tc.yaml))
		if tc.err == "" && (err != nil || got != tc.want) {
			t.Errorf("Current(%s, %q) = %q, %v; want %q", tc.mode, tc.yaml, got, err, tc.want)
		}
		if tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("Current(%s, %q) error = %v; want it to contain %q", tc.mode, tc.yaml, err, tc.err)
		}
	}
}

// FuzzRender: whatever the template and names, a rendered pin file stays
// inside the repository.
func FuzzRender(f *testing.F) {
	f.Add("envs/{env}/{service}/values.yaml", "api", "prod")
	f.Add("../{service}", "a", "b")
	f.Add("{env}/{env}/x{service}y", "a.b", "c-d")
	f.Fuzz(func(t *testing.T, file, service, env string) {
		rel, err := Pin{File: file}.Render(service, env)
		if err != nil {
			return
		}
		if rel == "" || strings.HasPrefix(rel, "/") || strings.Contains(rel, "\\") || rel == "." {
			t.Fatalf("Render(%q, %q, %q) = %q, which is not a relative file path", file, service, env, rel)
		}
		for _, seg := range strings.Split(rel, "/") {
			if seg == ".." {
				t.Fatalf("Render(%q, %q, %q) = %q escapes the repository", file, service, env, rel)
			}
		}
	})
}

// FuzzImageRef: an accepted image reference splits into parts that join
// back into the same string, so image mode changes nothing but the digest.
func FuzzImageRef(f *testing.F) {
	for _, s := range []string{"ghcr.io/acme/api:1.2@" + oldDigest, "localhost:5000/api", "api@sha256:x", "a/b:c/d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, err := parseImageRef(s)
		if err != nil {
			return
		}
		if ref.String() != s {
			t.Fatalf("parseImageRef(%q) rejoins as %q", s, ref.String())
		}
		ref.digest = newDigest
		again, err := parseImageRef(ref.String())
		if err != nil || again.name != ref.name || again.tag != ref.tag || again.digest != newDigest {
			t.Fatalf("after replacing the digest of %q: %+v, %v", s, again, err)
		}
	})
}
