package platform_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/slipway/slipway/platform"
)

func parseTestdata(t *testing.T, name string) *platform.Manifest {
	t.Helper()
	m, err := platform.Parse(readTestdata(t, name), name)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// golden compares got with testdata/name (rewritten with -update).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile("testdata/"+name, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if want := readTestdata(t, name); string(got) != string(want) {
		t.Errorf("differs from testdata/%s:\n%s", name, got)
	}
}

// TestDiffGolden pins the diff of two releases, as `slipway platform diff`
// prints it and as JSON: search added (minor), queue removed (major), api
// 1.9.4 -> 2.3.0 (major), web patch; the platform bump is the strongest.
func TestDiffGolden(t *testing.T) {
	d := platform.Compare(parseTestdata(t, "acme-1.3.0.yaml"), parseTestdata(t, "acme-1.4.0.yaml"))
	if d.Bump != platform.BumpMajor {
		t.Errorf("bump %s, want major", d.Bump)
	}
	golden(t, "diff-1.3.0-1.4.0.golden.txt", []byte(d.Text()))
	j, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "diff-1.3.0-1.4.0.golden.json", append(j, '\n'))
}

// TestManifestJSONGolden pins the JSON encoding next to the YAML one.
func TestManifestJSONGolden(t *testing.T) {
	j, err := parseTestdata(t, "acme-1.4.0.yaml").JSON()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "acme-1.4.0.golden.json", j)
}

// TestBumpRules: the platform version follows its components.
func TestBumpRules(t *testing.T) {
	base := func(cs ...platform.Component) *platform.Manifest {
		return &platform.Manifest{APIVersion: platform.APIVersion, Kind: platform.Kind, Name: "acme", Version: "1.0.0", Components: cs}
	}
	c := func(name, version, hex string) platform.Component {
		return platform.Component{Name: name, Version: version, Image: "r.example.com/" + name, Digest: "sha256:" + repeat(hex)}
	}
	prev := base(c("api", "1.2.3", "a"), c("web", "0.4.0", "b"))
	for _, tc := range []struct {
		name string
		next *platform.Manifest
		want platform.Bump
		from string
		to   string
	}{
		{"nothing changed", base(c("web", "0.4.0", "b"), c("api", "1.2.3", "a")), platform.BumpNone, "1.4.0", "1.4.0"},
		{"a patch", base(c("api", "1.2.4", "c"), c("web", "0.4.0", "b")), platform.BumpPatch, "1.4.0", "1.4.1"},
		{"a prerelease", base(c("api", "1.2.4-rc.1", "c"), c("web", "0.4.0", "b")), platform.BumpPatch, "1.4.0", "1.4.1"},
		{"same version, another digest", base(c("api", "1.2.3", "c"), c("web", "0.4.0", "b")), platform.BumpPatch, "1.4.0", "1.4.1"},
		{"a minor beats a patch", base(c("api", "1.2.4", "c"), c("web", "0.5.0", "d")), platform.BumpMinor, "1.4.0", "1.5.0"},
		{"a component added", base(c("api", "1.2.3", "a"), c("web", "0.4.0", "b"), c("cron", "0.1.0", "e")), platform.BumpMinor, "1.4.2", "1.5.0"},
		{"a major", base(c("api", "2.0.0", "c"), c("web", "0.4.1", "d")), platform.BumpMajor, "1.4.0", "2.0.0"},
		{"a downgrade across majors", base(c("api", "0.9.0", "c"), c("web", "0.4.0", "b")), platform.BumpMajor, "1.4.0", "2.0.0"},
		{"a component removed", base(c("api", "1.2.3", "a")), platform.BumpMajor, "1.4.0", "2.0.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := platform.Compare(prev, tc.next)
			if d.Bump != tc.want {
				t.Fatalf("bump %s, want %s (%+v)", d.Bump, tc.want, d.Changes)
			}
			if got, err := platform.Next(tc.from, d.Bump); err != nil || got != tc.to {
				t.Errorf("Next(%s, %s) = %s %v, want %s", tc.from, d.Bump, got, err, tc.to)
			}
		})
	}
	if d := platform.Compare(nil, prev); d.Bump != platform.BumpInitial || len(d.Changes) != 2 {
		t.Errorf("first release: %+v", d)
	}
	if v, _ := platform.Next("", platform.BumpInitial); v != "1.0.0" {
		t.Errorf("the first platform version is %s, want 1.0.0", v)
	}
	down := platform.Compare(prev, base(c("api", "1.1.0", "c"), c("web", "0.4.0", "b")))
	if len(down.Changes) != 1 || !down.Changes[0].Downgrade || down.Bump != platform.BumpMinor {
		t.Errorf("a minor downgrade: %+v", down)
	}
}

func repeat(hex string) string {
	s := ""
	for len(s) < 64 {
		s += hex
	}
	return s[:64]
}
