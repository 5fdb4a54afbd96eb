package gitops

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func decodePin(t *testing.T, src string) (Pin, error) {
	t.Helper()
	var p Pin
	err := yaml.Unmarshal([]byte(src), &p)
	return p, err
}

// TestPinDecode: the shared keys land on Pin, each kind's own keys in its
// Spec, and write: is a word or a list.
func TestPinDecode(t *testing.T) {
	tests := []struct {
		src  string
		want Pin
	}{
		{"{file: v.yaml, path: image.digest}", Pin{File: "v.yaml", Path: "image.digest"}},
		{"{kind: yaml, file: v.yaml, path: image, write: repo:tag@digest, tagFormat: 'v{version}', document: {kind: Deployment, name: api}}",
			Pin{Kind: "yaml", File: "v.yaml", Path: "image", Write: Write{"repo:tag@digest"}, TagFormat: "v{version}", Document: &Document{Kind: "Deployment", Name: "api"}}},
		{"{kind: kustomize, file: k.yaml, name: api, write: [newTag, digest]}",
			Pin{Kind: "kustomize", File: "k.yaml", Write: Write{"newTag", "digest"}, Spec: &Kustomize{Name: "api"}}},
		{"{kind: helm, file: v.yaml, image: api.image, keys: {tag: version}}",
			Pin{Kind: "helm", File: "v.yaml", Spec: &Helm{HelmImage{Image: "api.image", Keys: map[string]string{"tag": "version"}}}}},
		{"{kind: argocd, file: a.yaml, helm: valuesObject, source: {index: 1}}",
			Pin{Kind: "argocd", File: "a.yaml", Spec: &ArgoCD{Helm: "valuesObject", Source: &Source{Index: ptr(1)}}}},
	}
	for _, tc := range tests {
		got, err := decodePin(t, tc.src)
		if err != nil {
			t.Errorf("decode %s: %v", tc.src, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("decode %s\n got %#v\nwant %#v", tc.src, got, tc.want)
		}
		if err := got.Validate(); err != nil {
			t.Errorf("Validate(%s) = %v", tc.src, err)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// TestPinDecodeRefuses: a key this kind does not have, or an unknown
// kind, is an error with the line, never silently dropped.
func TestPinDecodeRefuses(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"{kind: helmet, file: v.yaml}", `line 1: pin kind "helmet" is unknown; use one of argocd, helm, kustomize, yaml`},
		{"{kind: helm, file: v.yaml, path: image.digest}", `line 1: pin key "path" is not a key of kind helm pins; the keys are kind, file, document, write, tagFormat, image, keys`},
		{"file: v.yaml\npath: a\nmdoe: image\n", `line 3: pin key "mdoe" is not a key of kind yaml pins`},
		{"{kind: kustomize, file: k.yaml, newTag: x}", `pin key "newTag" is not a key of kind kustomize pins`},
		{"[file, v.yaml]", "a pin is a mapping"},
		{"{file: v.yaml, path: a, write: {x: 1}}", "write: is a word"},
		{"{file: v.yaml, path: a, write: [[digest]]}", "each item of write: is a word"},
	} {
		_, err := decodePin(t, tc.src)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("decode %s: %v; want %q", tc.src, err, tc.want)
		}
	}
}

// TestPinValidate: every refusal names the key to fix.
func TestPinValidateByKind(t *testing.T) {
	for _, tc := range []struct{ src, key, want string }{
		{"{file: v.yaml}", "path", "a yaml pin needs path:"},
		{"{file: v.yaml, path: 'a['}", "path", "invalid pin path"},
		{"{file: v.yaml, path: a, mode: image, write: image}", "mode", "older spelling of write:"},
		{"{file: v.yaml, path: a, mode: tag}", "mode", `pin mode "tag" is unknown`},
		{"{file: v.yaml, path: a, write: [digest, image]}", "write", "this kind writes one scalar"},
		{"{file: v.yaml, path: a, write: newTag}", "write", `"newTag" is not something this kind writes; use digest, image, repo@digest, repo:tag@digest, tag@digest`},
		{"{file: v.yaml, path: 'doc[0].a', document: {kind: X}}", "document", "keep one of them"},
		{"{file: v.yaml, path: a, document: {}}", "document", "needs kind:, name: or both"},
		{"{file: v.yaml, path: a, tagFormat: 'v{version}'}", "tagFormat", "the pin writes no tag"},
		{"{file: v.yaml, path: a, write: tag@digest, tagFormat: 'v{version'}", "tagFormat", "unclosed '{'"},
		{"{file: v.yaml, path: a, write: tag@digest, tagFormat: 'v+{version}'}", "tagFormat", "not a valid image tag"},
		{"{file: '../v.yaml', path: a}", "file", "has a '..' segment"},
		{"{path: a}", "file", "a pin needs file:"},
		{"{kind: kustomize, file: k.yaml, write: newTag}", "write", "a kustomize pin writes the digest"},
		{"{kind: kustomize, file: k.yaml, write: [digest, tag@digest]}", "write", "keep one"},
		{"{kind: kustomize, file: k.yaml, write: [newTag, tag@digest]}", "write", "both write newTag"},
		{"{kind: kustomize, file: k.yaml, write: [digest, digest]}", "write", `"digest" is listed twice`},
		{"{kind: helm, file: v.yaml, write: [tag]}", "write", "the pin must write the digest"},
		{"{kind: helm, file: v.yaml, write: [tag, tag@digest]}", "write", "both write the tag field"},
		{"{kind: helm, file: v.yaml, keys: {version: v}}", "keys", `"version" is not a field of an image block`},
		{"{kind: helm, file: v.yaml, keys: {tag: ''}}", "keys.tag", "is not a key"},
		{"{kind: helm, file: v.yaml, write: [tag, digest], keys: {tag: digest}}", "keys", `would both be written to the key "digest"`},
		{"{kind: helm, file: v.yaml, image: 'doc[0].image'}", "image", "choose the document with document:"},
		{"{kind: helm, file: v.yaml, image: 'a..b'}", "image", "invalid pin path"},
		{"{kind: argocd, file: a.yaml, helm: values}", "helm", "write helm: parameters"},
		{"{kind: argocd, file: a.yaml, document: {kind: Deployment}}", "document", "edits an Application, not a Deployment"},
		{"{kind: argocd, file: a.yaml, source: {chart: api, index: 0}}", "source", "not both"},
		{"{kind: argocd, file: a.yaml, source: {index: -1}}", "source", "counts from 0"},
		{"{kind: argocd, file: a.yaml, image: 'my image'}", "image", "not a parameter name prefix"},
	} {
		p, err := decodePin(t, tc.src)
		if err != nil {
			t.Errorf("decode %s: %v", tc.src, err)
			continue
		}
		err = p.Validate()
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Key != tc.key || !strings.Contains(ce.Msg, tc.want) {
			t.Errorf("Validate(%s) = %v; want key %s saying %q", tc.src, err, tc.key, tc.want)
		}
	}
	// Built in Go: a kind's options must match its kind, and path: is
	// kind yaml's alone.
	for _, tc := range []struct {
		p         Pin
		key, want string
	}{
		{Pin{Kind: "helm", File: "v.yaml", Spec: &Kustomize{}}, "kind", "options are those of kind kustomize"},
		{Pin{Kind: "helm", File: "v.yaml", Path: "image.digest"}, "path", "belong to kind yaml"},
		{Pin{Kind: "nope", File: "v.yaml"}, "kind", `"nope" is not a pin kind`},
	} {
		var ce *ConfigError
		if err := tc.p.Validate(); !errors.As(err, &ce) || ce.Key != tc.key || !strings.Contains(ce.Msg, tc.want) {
			t.Errorf("Validate(%+v) = %v; want key %s saying %q", tc.p, err, tc.key, tc.want)
		}
	}
}

// TestKindKeysMatchSpecTypes: each kind's declared keys are exactly the
// yaml tags of its options type, so decoding and the schema cannot drift.
func TestKindKeysMatchSpecTypes(t *testing.T) {
	for _, name := range Kinds() {
		spec := kinds[name]()
		var tags []string
		if name == kindYAML {
			tags = []string{"path", "mode"} // kind yaml's keys live on Pin
		} else {
			tags = yamlTags(reflect.TypeOf(spec).Elem())
		}
		if !slices.Equal(spec.keys(), tags) {
			t.Errorf("kind %s declares keys %v, its type has %v", name, spec.keys(), tags)
		}
		if got := KindKeys(name); !slices.Equal(got[:len(commonKeys)], commonKeys) {
			t.Errorf("KindKeys(%s) = %v", name, got)
		}
		for _, k := range spec.keys() {
			if slices.Contains(commonKeys, k) {
				t.Errorf("kind %s redefines the shared key %s", name, k)
			}
		}
	}
	if KindKeys("nope") != nil || WriteChoices("nope") != nil {
		t.Error("unknown kinds have no keys")
	}
}

// yamlTags lists the yaml keys of a struct, following inline fields.
func yamlTags(typ reflect.Type) []string {
	var tags []string
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if opts == "inline" {
			tags = append(tags, yamlTags(f.Type)...)
			continue
		}
		if name != "" && name != "-" {
			tags = append(tags, name)
		}
	}
	return tags
}

// TestRenderTag covers tagFormat's placeholders.
func TestRenderTag(t *testing.T) {
	target := Target{Version: "1.5.0", Commit: "1234567d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f7"}
	for format, want := range map[string]string{
		"":                        "1.5.0",
		"v{version}":              "v1.5.0",
		"sha-{shortCommit}":       "sha-1234567",
		"{commit}":                target.Commit,
		"{version}-{shortCommit}": "1.5.0-1234567",
	} {
		got, err := renderTag(format, target)
		if err != nil || got != want {
			t.Errorf("renderTag(%q) = %q, %v; want %q", format, got, err, want)
		}
	}
	if _, err := renderTag("sha-{shortCommit}", Target{Version: "1.5.0"}); err == nil || !strings.Contains(err.Error(), "no source commit") {
		t.Errorf("no commit: %v", err)
	}
}

func TestSameRepository(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"nginx", "docker.io/library/nginx", true},
		{"index.docker.io/library/nginx", "nginx", true},
		{"bitnami/nginx", "docker.io/bitnami/nginx", true},
		{"ghcr.io/acme/api", "ghcr.io/acme/api", true},
		{"localhost:5000/api", "localhost:5000/api", true},
		{"ghcr.io/acme/api", "ghcr.io/acme/web", false},
		{"acme/api", "ghcr.io/acme/api", false},
		{"localhost/api", "docker.io/localhost/api", false},
	} {
		if got := sameRepository(tc.a, tc.b); got != tc.want {
			t.Errorf("sameRepository(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
	for image, want := range map[string][2]string{
		"ghcr.io/acme/api":   {"ghcr.io", "acme/api"},
		"localhost:5000/api": {"localhost:5000", "api"},
		"bitnami/nginx":      {"docker.io", "bitnami/nginx"},
		"nginx":              {"docker.io", "nginx"},
	} {
		if r, p := splitRegistry(image); r != want[0] || p != want[1] {
			t.Errorf("splitRegistry(%q) = %q, %q", image, r, p)
		}
	}
}

// TestNamePlaceholders: document.name and an Argo CD source may name the
// service and environment, so one environment-wide pin fits every service.
func TestNamePlaceholders(t *testing.T) {
	for _, tc := range []struct{ src, key, want string }{
		{"{file: v.yaml, path: a, document: {name: '{service}-{region}'}}", "document.name", "unknown placeholder {region}"},
		{"{kind: argocd, file: a.yaml, source: {chart: '{chart'}}", "source", "unclosed '{'"},
	} {
		p, err := decodePin(t, tc.src)
		if err != nil {
			t.Fatal(err)
		}
		var ce *ConfigError
		if err := p.Validate(); !errors.As(err, &ce) || ce.Key != tc.key || !strings.Contains(ce.Msg, tc.want) {
			t.Errorf("Validate(%s) = %v; want key %s saying %q", tc.src, err, tc.key, tc.want)
		}
	}
	// Without a service (the single-file helper), a templated name is an
	// error, never a selector for "-".
	p := Pin{File: "a.yaml", Path: "x", Document: &Document{Name: "{service}-{env}"}}
	if _, err := p.Current([]byte("metadata: {name: api-prod}\nx: ''\n")); err == nil || !strings.Contains(err.Error(), "read the pin through a PinSet") {
		t.Errorf("Current with a templated document name: %v", err)
	}
}
