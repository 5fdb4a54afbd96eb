package bundle_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway/slipway/bundle"
	"github.com/slipway/slipway/bundle/bundletest"
	"github.com/slipway/slipway/oci"
	"github.com/slipway/slipway/platform"
)

// editApp rewrites a file of the fixture's app repository.
func (f *fixture) editApp(t *testing.T, rel, old, new string) {
	t.Helper()
	p := filepath.Join(f.app, filepath.FromSlash(rel))
	data := string(readFile(t, p))
	if !strings.Contains(data, old) {
		t.Fatalf("%s does not contain %q", rel, old)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(data, old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func replaceComponent(t *testing.T, m *platform.Manifest, c platform.Component) *platform.Manifest {
	t.Helper()
	comps := []platform.Component{c}
	for _, x := range m.Components {
		if x.Name != c.Name {
			comps = append(comps, x)
		}
	}
	out, err := bundletest.Manifest(m.Name, m.Version, m.Created, comps...)
	if err != nil {
		t.Fatal(err)
	}
	out.Platforms = m.Platforms
	return out
}

// TestBuildRefuses: each bad input stops the build with an error that
// names the input and the fix, and leaves no output directory behind.
func TestBuildRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		// setup changes the fixture and may change the options.
		setup func(t *testing.T, f *fixture, o *bundle.Options)
		want  []string
		is    error
	}{
		{
			name: "a component lacks a platform the platform requires",
			setup: func(t *testing.T, f *fixture, o *bundle.Options) {
				o.Manifest = replaceComponent(t, o.Manifest, f.push(t, "search", "1.0.0", []string{"linux/amd64"}))
			},
			want: []string{"component search", "has no linux/arm64 image, which platform acme 1.4.0 requires", "it has linux/amd64"},
		},
		{
			name: "--require-platform adds a platform nobody built",
			setup: func(t *testing.T, f *fixture, o *bundle.Options) {
				o.RequirePlatforms = []string{"linux/s390x"}
			},
			want: []string{"component api", "has no linux/s390x image"},
		},
		{
			name: "the manifest claims a platform the index lacks",
			setup: func(t *testing.T, f *fixture, o *bundle.Options) {
				c, _ := o.Manifest.Component("web")
				c.Platforms = []string{"linux/amd64", "linux/arm64", "linux/arm/v7"}
				o.Manifest = replaceComponent(t, o.Manifest, c)
			},
			want: []string{"component web: the manifest lists platforms linux/amd64, linux/arm64, linux/arm/v7 but the index", "has linux/amd64, linux/arm64"},
		},
		{
			name: "a platform image is unsigned (only the index was signed)",
			setup: func(t *testing.T, f *fixture, o *bundle.Options) {
				c, err := bundletest.PushComponent(f.ctx, f.host+"/acme/web", "3.0.3", bothPlatforms, nil, oci.Options{})
				if err != nil {
					t.Fatal(err)
				}
				ref, _ := oci.ParseReference(c.Ref())
				if _, err := oci.Sign(f.ctx, ref, f.signer, oci.Options{}); err != nil {
					t.Fatal(err)
				}
				o.Manifest = replaceComponent(t, o.Manifest, c)
			},
			want: []string{"component web, platform linux/amd64", "cosign sign --recursive"},
			is:   oci.ErrUnsigned,
		},
		{
			name: "images signed by a key the policy does not trust",
			setup: func(t *testing.T, f *fixture, o *bundle.Options) {
				k, _ := otherKey(t)
				c, err := bundletest.PushComponent(f.ctx, f.host+"/acme/api", "2.3.1", bothPlatforms, k, oci.Options{})
				if err != nil {
					t.Fatal(err)
				}
				o.Manifest = replaceComponent(t, o.Manifest, c)
			},
			want: []string{"component api, index"},
			is:   oci.ErrUntrusted,
		},
		{
			name: "a digest the registry does not have",
			setup: func(t *testing.T, f *fixture, o *bundle.Options) {
				c, _ := o.Manifest.Component("api")
				c.Digest = "sha256:" + strings.Repeat("1", 64)
				o.Manifest = replaceComponent(t, o.Manifest, c)
			},
			want: []string{"component api"},
			is:   oci.ErrNotFound,
		},
		{
			name: "an unknown tier label",
			setup: func(t *testing.T, f *fixture, o *bundle.Options) {
				c, _ := o.Manifest.Component("web")
				c.Labels = map[string]string{"tier": "premium"}
				o.Manifest = replaceComponent(t, o.Manifest, c)
			},
			want: []string{`component web has label tier: "premium"`, "use lite"},
		},
		{
			name: "a lite service with a profile in the compose skeleton",
			setup: func(t *testing.T, f *fixture, o *bundle.Options) {
				f.editApp(t, "deploy/compose/compose.yaml", "  web:\n", "  web:\n    profiles: [frontend]\n")
			},
			want: []string{"deploy/compose/compose.yaml: services.web has profiles [frontend]", "component web is tier lite"},
		},
		{
			name: "a component without a compose service",
			setup: func(t *testing.T, f *fixture, o *bundle.Options) {
				f.editApp(t, "deploy/compose/compose.yaml", "  web:\n", "  webapp:\n")
			},
			want: []string{"component web has no service: add a service named web"},
		},
		{
			name: "a third-party image not pinned by digest",
			setup: func(t *testing.T, f *fixture, o *bundle.Options) {
				f.editApp(t, "deploy/compose/compose.yaml", "postgres:16@sha256:4aea012537edfad80f98d870a36e6b90b4c09b27be7f4b4759d72db863baeebb", "postgres:16")
			},
			want: []string{`services.db image "postgres:16" is not pinned by digest`, "crane digest postgres:16"},
		},
		{
			name: "a lite service that needs a standard one",
			setup: func(t *testing.T, f *fixture, o *bundle.Options) {
				f.editApp(t, "deploy/compose/compose.yaml", "    depends_on: [api]\n", "    depends_on: [api, search]\n")
			},
			want: []string{"compose/compose.yaml does not load without profiles (compose-go)", "search"},
		},
		{
			name: "a values.yaml entry without image.digest",
			setup: func(t *testing.T, f *fixture, o *bundle.Options) {
				f.editApp(t, "deploy/chart/values.yaml", "    repository: \"\"\n    digest: \"\"\n\n", "    repository: \"\"\n\n")
			},
			want: []string{"deploy/chart/values.yaml:12: web.image has no digest", "Slipway fills web.image.repository and web.image.digest"},
		},
		{
			name: "a template that renders a tag instead of the digest",
			setup: func(t *testing.T, f *fixture, o *bundle.Options) {
				f.editApp(t, "deploy/chart/templates/web.yaml", `{{ include "acme.image" .Values.web.image | quote }}`, `"{{ .Values.web.image.repository }}:latest"`)
			},
			want: []string{"chart template acme/templates/web.yaml renders image", "without the digest"},
		},
		{
			name: "a chart dependency that is not vendored",
			setup: func(t *testing.T, f *fixture, o *bundle.Options) {
				f.editApp(t, "deploy/chart/Chart.yaml", "keywords:", "dependencies:\n  - name: redis\n    version: 1.0.0\n    repository: https://charts.example.com\nkeywords:")
			},
			want: []string{"depends on chart redis, which is not in deploy/chart/charts/", "helm dependency build"},
		},
		{
			name: "an env_file outside the compose folder",
			setup: func(t *testing.T, f *fixture, o *bundle.Options) {
				f.editApp(t, "deploy/compose/compose.yaml", "    depends_on: [api]\n", "    depends_on: [api]\n    env_file: ../../secrets.env\n")
			},
			want: []string{"deploy/compose/compose.yaml reads ../../secrets.env, which is not a file inside deploy/compose/"},
		},
		{
			name: "a symlink in a skeleton",
			setup: func(t *testing.T, f *fixture, o *bundle.Options) {
				if err := os.Symlink("/etc/passwd", filepath.Join(f.app, "deploy/compose/passwd")); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"deploy/compose/passwd is a symbolic link, not a regular file"},
		},
		{
			name: "a bad upgrade-stops file",
			setup: func(t *testing.T, f *fixture, o *bundle.Options) {
				f.editApp(t, "deploy/upgrade-stops.yaml", "version: 1.2.0", "version: v1.2.0")
			},
			want: []string{"deploy/upgrade-stops.yaml: stops[0].version \"v1.2.0\""},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, inProcessRegistry(t))
			out := filepath.Join(t.TempDir(), "out")
			o := f.options(f.manifest(t), out)
			tc.setup(t, f, &o)
			_, err := bundle.Build(f.ctx, o)
			if err == nil {
				t.Fatal("Build succeeded")
			}
			t.Logf("error: %v", err)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error is not %v: %v", tc.is, err)
			}
			if _, serr := os.Stat(out); !os.IsNotExist(serr) {
				t.Errorf("a failed build left %s behind", out)
			}
			if left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".out.partial-*")); len(left) > 0 {
				t.Errorf("a failed build left its staging directory: %v", left)
			}
		})
	}
}

func TestBuildRefusesANonEmptyOutput(t *testing.T) {
	f := newFixture(t, inProcessRegistry(t))
	out := t.TempDir()
	keep := filepath.Join(out, "keep.txt")
	if err := os.WriteFile(keep, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := bundle.Build(f.ctx, f.options(f.manifest(t), out))
	if err == nil || !strings.Contains(err.Error(), "is not empty: a bundle is never written over another") {
		t.Fatalf("Build into a non-empty directory = %v", err)
	}
	if string(readFile(t, keep)) != "mine" {
		t.Error("the existing file was changed")
	}
}

// TestBuildSkipsMissingSkeletons: an app without chart or compose
// skeleton still gets a bundle, and the result says what is missing.
func TestBuildSkipsMissingSkeletons(t *testing.T) {
	f := newFixture(t, inProcessRegistry(t))
	for _, d := range []string{"deploy/chart", "deploy/compose"} {
		if err := os.RemoveAll(filepath.Join(f.app, d)); err != nil {
			t.Fatal(err)
		}
	}
	res := f.build(t, f.options(f.manifest(t), filepath.Join(t.TempDir(), "out")))
	if len(res.Skipped) != 2 || !strings.Contains(strings.Join(res.Skipped, "\n"), "no Helm chart") || res.Chart != "" {
		t.Errorf("Skipped = %q, Chart = %q", res.Skipped, res.Chart)
	}
	if _, err := bundle.VerifyDir(f.ctx, res.Dir, bundle.VerifyOptions{Keys: f.policy}); err != nil {
		t.Fatal(err)
	}
}
