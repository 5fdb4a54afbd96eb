package bundle_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"helm.sh/helm/v4/pkg/chart/common"
	commonutil "helm.sh/helm/v4/pkg/chart/common/util"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"

	"github.com/slipway/slipway/bundle"
	"github.com/slipway/slipway/platform"
)

// TestBuild builds the sample platform against the in-process registry and
// checks each part of the bundle with an independent reader: sha256sum and
// openssl for the checksums and signature, Helm's loader and template
// engine for the chart, compose-go for the Compose bundle.
func TestBuild(t *testing.T) {
	f := newFixture(t, inProcessRegistry(t))
	m := f.manifest(t)
	out := filepath.Join(t.TempDir(), "acme-1.4.0")
	res := f.build(t, f.options(m, out))

	var files []string
	for _, s := range res.Sums {
		files = append(files, s.Path)
	}
	f.golden(t, "build/files.txt", []byte(strings.Join(files, "\n")+"\n"))
	for _, name := range []string{bundle.ReleaseNotesFile, bundle.UpgradeFile, bundle.MigrationsFile, bundle.ComposeFile, bundle.EnvExampleFile, bundle.ImagesFile, bundle.ImageListFile, bundle.ManifestFile, bundle.ReadmeFile} {
		f.golden(t, "build/"+name, readFile(t, filepath.Join(out, name)))
	}
	if len(res.Skipped) != 0 {
		t.Errorf("skipped = %v, want nothing skipped", res.Skipped)
	}

	t.Run("sha256sum -c accepts SHA256SUMS", func(t *testing.T) {
		if _, err := exec.LookPath("sha256sum"); err != nil {
			t.Skip("\n\n*** SKIPPED: sha256sum not installed (coreutils) ***\n\n")
		}
		got := run(t, out, "sha256sum", "--check", "--strict", bundle.SumsFile)
		if strings.Count(got, ": OK") != len(res.Sums) {
			t.Errorf("sha256sum -c checked %d files, want %d:\n%s", strings.Count(got, ": OK"), len(res.Sums), got)
		}
	})

	t.Run("openssl verifies SHA256SUMS.sig", func(t *testing.T) {
		if _, err := exec.LookPath("openssl"); err != nil {
			t.Skip("\n\n*** SKIPPED: openssl not installed ***\n\n")
		}
		// cosign verify-blob --key checks exactly this: an ASN.1 ECDSA
		// signature (base64 in the file) over SHA-256 of the blob.
		der, err := base64.StdEncoding.DecodeString(string(readFile(t, filepath.Join(out, bundle.SigFile))))
		if err != nil {
			t.Fatal(err)
		}
		sigPath := filepath.Join(t.TempDir(), "sig.der")
		if err := os.WriteFile(sigPath, der, 0o600); err != nil {
			t.Fatal(err)
		}
		got := run(t, out, "openssl", "dgst", "-sha256", "-verify", f.pubPath, "-signature", sigPath, bundle.SumsFile)
		if !strings.Contains(got, "Verified OK") {
			t.Errorf("openssl: %s", got)
		}
	})

	t.Run("verify passes online and offline", func(t *testing.T) {
		for _, offline := range []bool{true, false} {
			v, err := bundle.VerifyDir(f.ctx, out, bundle.VerifyOptions{Keys: f.policy, Offline: offline})
			if err != nil {
				t.Fatalf("offline=%v: %v", offline, err)
			}
			if v.Digest != res.Digest || v.KeyID != f.policy.Keys[0].ID || v.Files != len(res.Sums) {
				t.Errorf("offline=%v: Verified = %+v, want digest %s", offline, v, res.Digest)
			}
			if !offline && len(v.Images) != 3 {
				t.Errorf("online verify checked %d images, want 3", len(v.Images))
			}
		}
	})

	t.Run("chart", func(t *testing.T) { checkChart(t, f, m, filepath.Join(out, res.Chart)) })
	t.Run("compose", func(t *testing.T) { checkCompose(t, m, filepath.Join(out, bundle.ComposeDir)) })

	t.Run("same inputs give the same bundle", func(t *testing.T) {
		again := f.build(t, f.options(m, filepath.Join(t.TempDir(), "again")))
		if again.Digest != res.Digest {
			t.Fatalf("second build digest %s, first %s", again.Digest, res.Digest)
		}
		for _, name := range []string{bundle.SigFile, res.Chart} {
			if !bytes.Equal(readFile(t, filepath.Join(out, name)), readFile(t, filepath.Join(again.Dir, name))) {
				t.Errorf("%s differs between two builds of the same inputs", name)
			}
		}
	})
}

// checkChart loads the packaged chart with Helm's loader, checks the
// skeleton survived byte for byte except the pinned scalars, and renders
// it with Helm's engine.
func checkChart(t *testing.T, f *fixture, m *platform.Manifest, archive string) {
	ch, err := loader.LoadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Metadata.Version != m.Version || ch.Metadata.AppVersion != m.Version || ch.Name() != "acme" {
		t.Errorf("chart %s version %s appVersion %s, want acme %s", ch.Name(), ch.Metadata.Version, ch.Metadata.AppVersion, m.Version)
	}
	if ch.Metadata.Description != "Acme, self-hosted" || strings.Join(ch.Metadata.Keywords, ",") != "acme,self-hosted" {
		t.Errorf("Chart.yaml's other fields changed: %+v", ch.Metadata)
	}
	skeleton := filepath.Join(f.app, bundle.AppChartDir)
	for _, tpl := range ch.Templates {
		if want := readFile(t, filepath.Join(skeleton, tpl.Name)); !bytes.Equal(tpl.Data, want) {
			t.Errorf("%s changed in the package:\n%s", tpl.Name, tpl.Data)
		}
	}
	// values.yaml: the skeleton with only the image scalars replaced (in
	// the skeleton's order: api, web, search), quoting kept.
	want := string(readFile(t, filepath.Join(skeleton, "values.yaml")))
	for _, name := range []string{"api", "web", "search"} {
		c, _ := m.Component(name)
		want = strings.Replace(want, `repository: ""`, `repository: "`+c.Image+`"`, 1)
		want = strings.Replace(want, `digest: ""`, `digest: "`+c.Digest+`"`, 1)
	}
	var got []byte
	for _, r := range ch.Raw {
		if r.Name == "values.yaml" {
			got = r.Data
		}
	}
	if string(got) != want {
		t.Errorf("values.yaml is not the skeleton with the pins filled in:\n%s\nwant:\n%s", got, want)
	}

	for _, enabled := range []bool{false, true} {
		rendered := render(t, ch, map[string]any{"search": map[string]any{"enabled": enabled}})
		for _, c := range m.Components {
			file := "acme/templates/" + c.Name + ".yaml"
			wantRef := `image: "` + c.Ref() + `"`
			has := strings.Contains(rendered[file], wantRef)
			if should := c.Name != "search" || enabled; has != should {
				t.Errorf("search.enabled=%v: %s renders %q: %v, want %v:\n%s", enabled, file, wantRef, has, should, rendered[file])
			}
		}
	}
}

func render(t *testing.T, ch *chartv2.Chart, overrides map[string]any) map[string]string {
	t.Helper()
	vals, err := commonutil.ToRenderValues(ch, overrides, common.ReleaseOptions{Name: "acme", Namespace: "default", IsInstall: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := engine.Render(ch, vals)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkCompose loads the bundle's compose.yaml the way `docker compose`
// does, with the .env a self-hoster makes from .env.example, with and
// without the standard profile.
func checkCompose(t *testing.T, m *platform.Manifest, dir string) {
	env := strings.ReplaceAll(string(readFile(t, filepath.Join(dir, ".env.example"))), "DB_PASSWORD=change-me", "DB_PASSWORD=s3cret")
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(env), 0o600); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(filepath.Join(dir, ".env"))
	load := func(profiles []string) *types.Project {
		opts, err := cli.NewProjectOptions(nil, cli.WithWorkingDirectory(dir), cli.WithDefaultConfigPath, cli.WithEnvFiles(), cli.WithDotEnv, cli.WithProfiles(profiles), cli.WithName("acme"))
		if err != nil {
			t.Fatal(err)
		}
		p, err := opts.LoadProject(context.Background())
		if err != nil {
			t.Fatalf("profiles %v: %v", profiles, err)
		}
		return p
	}
	lite := load(nil)
	if got := strings.Join(lite.ServiceNames(), ","); got != "api,db,web" {
		t.Errorf("default services = %s, want api,db,web (search is standard)", got)
	}
	std := load([]string{"standard"})
	if got := strings.Join(std.ServiceNames(), ","); got != "api,db,search,web" {
		t.Errorf("--profile standard services = %s, want api,db,search,web", got)
	}
	for _, c := range m.Components {
		if got := std.Services[c.Name].Image; got != c.Ref() {
			t.Errorf("service %s image = %s, want %s", c.Name, got, c.Ref())
		}
	}
	if got := std.Services["api"].Environment["DATABASE_URL"]; got == nil || !strings.Contains(*got, "s3cret") {
		t.Errorf("api DATABASE_URL = %v: .env not applied", got)
	}
}
