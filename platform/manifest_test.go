package platform_test

import (
	"errors"
	"flag"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/platform"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

const d1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111"

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseYAMLAndJSONAgree(t *testing.T) {
	y, err := platform.Parse(readTestdata(t, "acme-1.4.0.yaml"), "acme-1.4.0.yaml")
	if err != nil {
		t.Fatal(err)
	}
	j, err := platform.Parse(readTestdata(t, "acme-1.4.0.json"), "acme-1.4.0.json")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(y, j) {
		t.Fatalf("YAML and JSON forms differ:\n%+v\n%+v", y, j)
	}
	// Components come out sorted by name whatever the file's order.
	var names []string
	for _, c := range y.Components {
		names = append(names, c.Name)
	}
	if strings.Join(names, ",") != "api,search,web" {
		t.Errorf("components = %v, want sorted api,search,web", names)
	}
	if y.Created.Location() != time.UTC || !y.Created.Equal(time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("created = %v, want 2026-11-28T10:00:00Z in UTC", y.Created)
	}
	api, ok := y.Component("api")
	if !ok || api.Ref() != "registry.example.com/acme/api@sha256:"+strings.Repeat("a", 64) || api.Labels["tier"] != "lite" {
		t.Errorf("Component(api) = %+v, %v", api, ok)
	}
	if !strings.Contains(api.Notes, "### ⚠ BREAKING CHANGES") {
		t.Errorf("notes lost their Markdown: %q", api.Notes)
	}
}

func TestEncodeRoundTrips(t *testing.T) {
	m, err := platform.Parse(readTestdata(t, "acme-1.4.0.yaml"), "")
	if err != nil {
		t.Fatal(err)
	}
	checkRoundTrip(t, m, func(a, b *platform.Manifest) bool { return reflect.DeepEqual(a, b) })
	// The YAML form is what the golden file pins (field order, quoting).
	got, _ := m.YAML()
	if *update {
		if err := os.WriteFile("testdata/acme-1.4.0.golden.yaml", got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if want := readTestdata(t, "acme-1.4.0.golden.yaml"); string(got) != string(want) {
		t.Errorf("YAML() differs from testdata/acme-1.4.0.golden.yaml:\n%s", got)
	}
}

func TestParseRefusesBadManifests(t *testing.T) {
	good := string(readTestdata(t, "minimal.yaml"))
	for _, tc := range []struct {
		name, edit, want string
	}{
		{"wrong apiVersion", strings.Replace(good, "slipway.dev/v1", "slipway.dev/v2", 1), "apiVersion: \"slipway.dev/v2\" is not supported"},
		{"wrong kind", strings.Replace(good, "kind: Platform", "kind: Deployment", 1), "kind: \"Deployment\""},
		{"uppercase name", strings.Replace(good, "name: acme", "name: Acme", 1), "name: \"Acme\" must be"},
		{"v prefix", strings.Replace(good, "version: 1.0.0\n", "version: v1.0.0\n", 1), "without the leading v"},
		{"not semver", strings.Replace(good, "version: 1.0.0\n", "version: \"1.0\"\n", 1), "not a SemVer 2.0 version"},
		{"no created", strings.Replace(good, "created: 2026-11-28T10:00:00Z\n", "", 1), "created: missing"},
		{"unknown field", strings.Replace(good, "kind: Platform", "kind: Platform\nflavour: spicy", 1), "field flavour not found"},
		{"tag in image", strings.Replace(good, "image: registry.example.com/acme/api", "image: registry.example.com/acme/api:1.0.0", 1), "has a tag or digest"},
		{"short digest", strings.Replace(good, d1, "sha256:1111", 1), "components[0] (api).digest: \"sha256:1111\" is not sha256:<64 lowercase hex>"},
		{"bad platform", strings.Replace(good, "platforms: [linux/amd64]", "platforms: [amd64]", 1), "platforms: \"amd64\" is not os/arch"},
		{"duplicate component", strings.Replace(good, "components:\n", "components:\n  - {name: api, version: 1.0.0, image: r.example.com/a, digest: "+d1+"}\n", 1), "listed twice"},
		{"no components", good[:strings.Index(good, "components:")] + "components: []\n", "components: empty"},
		{"two documents", good + "---\n" + good, "more than one YAML document"},
		{"empty", "", "is empty"},
		{"JSON trailing value", `{"apiVersion":"slipway.dev/v1"} {}`, "more than one JSON value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := platform.Parse([]byte(tc.edit), "p.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, platform.ErrInvalid) {
				t.Fatalf("Parse = %v, want an ErrInvalid naming %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "p.yaml: ") && !strings.Contains(err.Error(), "p.yaml") {
				t.Errorf("error does not name the file: %v", err)
			}
		})
	}
}

func TestParseRefusesHugeInput(t *testing.T) {
	big := make([]byte, platform.MaxManifestSize+1)
	if _, err := platform.Parse(big, "big.yaml"); err == nil || !strings.Contains(err.Error(), "more than the") {
		t.Fatalf("Parse of %d bytes = %v", len(big), err)
	}
}

func TestEncodeValidatesFirst(t *testing.T) {
	m := &platform.Manifest{APIVersion: platform.APIVersion, Kind: platform.Kind, Name: "acme", Version: "1.0.0"}
	if _, err := m.YAML(); !errors.Is(err, platform.ErrInvalid) {
		t.Errorf("YAML of a manifest without created/components = %v, want ErrInvalid", err)
	}
}

// FuzzParse: whatever Parse accepts is valid, and both encodings read
// back as the same manifest.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"acme-1.4.0.yaml", "acme-1.4.0.json", "minimal.yaml"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("{}"))
	f.Add([]byte("apiVersion: slipway.dev/v1\nkind: Platform\nname: a\nversion: 0.0.1-rc.1+b\ncreated: 2026-01-01T00:00:00+02:00\ncomponents: [{name: x, version: 1.0.0, image: h/x, digest: " + d1 + ", notes: \"\\u00e9 \\\"q\\\"\\n  x\"}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := platform.Parse(data, "fuzz")
		if err != nil {
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("Parse accepted an invalid manifest: %v", err)
		}
		checkRoundTrip(t, m, equivalent)
	})
}

// checkRoundTrip encodes m as YAML and as JSON and parses each back.
func checkRoundTrip(t *testing.T, m *platform.Manifest, same func(a, b *platform.Manifest) bool) {
	t.Helper()
	for name, enc := range map[string]func() ([]byte, error){"YAML": m.YAML, "JSON": m.JSON} {
		b, err := enc()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		back, err := platform.Parse(b, name)
		if err != nil {
			t.Fatalf("%s output does not parse: %v\n%s", name, err, b)
		}
		if !same(back, m) {
			t.Fatalf("%s round trip changed the manifest:\n%+v\n%+v\n%s", name, m, back, b)
		}
	}
}

// equivalent compares manifests treating empty and nil lists/maps alike.
func equivalent(a, b *platform.Manifest) bool {
	if a.APIVersion != b.APIVersion || a.Kind != b.Kind || a.Name != b.Name || a.Version != b.Version || !a.Created.Equal(b.Created) ||
		strings.Join(a.Platforms, ",") != strings.Join(b.Platforms, ",") || len(a.Components) != len(b.Components) {
		return false
	}
	for i := range a.Components {
		x, y := a.Components[i], b.Components[i]
		if x.Name != y.Name || x.Version != y.Version || x.Tag != y.Tag || x.Image != y.Image || x.Digest != y.Digest || x.Notes != y.Notes ||
			strings.Join(x.Platforms, ",") != strings.Join(y.Platforms, ",") || len(x.Labels) != len(y.Labels) {
			return false
		}
		for k, v := range x.Labels {
			if y.Labels[k] != v {
				return false
			}
		}
	}
	return true
}
