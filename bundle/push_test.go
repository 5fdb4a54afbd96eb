package bundle_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/registry"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content/file"
	orasremote "oras.land/oras-go/v2/registry/remote"

	"github.com/slipway/slipway/bundle"
	"github.com/slipway/slipway/oci"
	"github.com/slipway/slipway/platform"
)

// TestPushPullRealRegistry publishes a bundle to the real registry server
// (distribution 2.8, no referrers API), pulls the chart back with Helm's
// own registry client and renders it with Helm's engine, pulls the bundle
// artifact back and verifies it, and checks that publishing is idempotent
// and never overwrites a version with other content.
func TestPushPullRealRegistry(t *testing.T) {
	f := newFixture(t, realRegistry(t))
	m := f.manifest(t)
	res := f.build(t, f.options(m, filepath.Join(t.TempDir(), "acme-1.4.0")))
	target, err := bundle.ParseTarget("oci://" + f.host + "/acme/platform")
	if err != nil {
		t.Fatal(err)
	}
	pushed, err := bundle.Push(f.ctx, res.Dir, target, bundle.PushOptions{Keys: f.policy, Signer: f.signer})
	if err != nil {
		t.Fatal(err)
	}
	if pushed.Chart != "oci://"+f.host+"/acme/platform/acme" || pushed.ChartVersion != "1.4.0" || !strings.HasPrefix(pushed.Bundle, f.host+"/acme/platform:v1.4.0@sha256:") {
		t.Fatalf("Pushed = %+v", pushed)
	}

	t.Run("helm pulls and renders the chart", func(t *testing.T) {
		client, err := registry.NewClient(registry.ClientOptPlainHTTP())
		if err != nil {
			t.Fatal(err)
		}
		got, err := client.Pull(strings.TrimPrefix(pushed.Chart, "oci://") + ":1.4.0")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Chart.Data, readFile(t, filepath.Join(res.Dir, res.Chart))) {
			t.Fatal("the chart Helm pulled differs from the bundle's archive")
		}
		if got.Manifest.Digest != pushed.ChartDigest || got.Chart.Meta.Version != "1.4.0" || got.Chart.Meta.AppVersion != "1.4.0" {
			t.Errorf("pulled manifest %s version %s/%s, pushed %s", got.Manifest.Digest, got.Chart.Meta.Version, got.Chart.Meta.AppVersion, pushed.ChartDigest)
		}
		ch, err := loader.LoadArchive(bytes.NewReader(got.Chart.Data))
		if err != nil {
			t.Fatal(err)
		}
		rendered := render(t, ch, map[string]any{"search": map[string]any{"enabled": true}})
		for _, c := range m.Components {
			if want := `image: "` + c.Ref() + `"`; !strings.Contains(rendered["acme/templates/"+c.Name+".yaml"], want) {
				t.Errorf("rendered %s lacks %s", c.Name, want)
			}
		}
	})

	t.Run("the bundle artifact verifies and holds every file", func(t *testing.T) {
		v, err := bundle.VerifyRef(f.ctx, "oci://"+f.host+"/acme/platform:v1.4.0", bundle.VerifyOptions{Keys: f.policy})
		if err != nil {
			t.Fatal(err)
		}
		if v.Digest != res.Digest || len(v.Images) != 3 {
			t.Errorf("VerifyRef = %+v, want digest %s and 3 images", v, res.Digest)
		}
		dir := filepath.Join(t.TempDir(), "pulled")
		if err := bundle.Pull(f.ctx, "oci://"+pushed.Bundle, dir, oci.Options{}); err != nil {
			t.Fatal(err)
		}
		if a, b := tree(t, res.Dir), tree(t, dir); a != b {
			t.Errorf("pulled bundle differs:\n%s\nwant:\n%s", b, a)
		}
	})

	t.Run("cosign signatures on the chart and bundle manifests", func(t *testing.T) {
		for _, r := range pushed.Signed {
			ref, err := oci.ParseReference(r)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := oci.Verify(f.ctx, ref, f.policy, oci.Options{}); err != nil {
				t.Errorf("%s: %v", r, err)
			}
		}
		if len(pushed.Signed) != 2 {
			t.Errorf("signed %v, want the bundle and the chart", pushed.Signed)
		}
	})

	t.Run("pushing the same bundle again changes nothing", func(t *testing.T) {
		again, err := bundle.Push(f.ctx, res.Dir, target, bundle.PushOptions{Keys: f.policy})
		if err != nil {
			t.Fatal(err)
		}
		if again.Bundle != pushed.Bundle || again.ChartDigest != pushed.ChartDigest {
			t.Errorf("second push %+v, first %+v", again, pushed)
		}
	})

	t.Run("another bundle of the same version is refused", func(t *testing.T) {
		other := *m
		other.Components = append([]platform.Component(nil), m.Components...)
		other.Components[0].Notes = "### Bug Fixes\n\n* a different build of 1.4.0\n"
		dir := f.build(t, f.options(&other, filepath.Join(t.TempDir(), "other"))).Dir
		_, err := bundle.Push(f.ctx, dir, target, bundle.PushOptions{Keys: f.policy})
		if err == nil || !strings.Contains(err.Error(), "already holds another bundle") {
			t.Fatalf("Push of a different 1.4.0 = %v", err)
		}
		// The chart is identical (the notes are not in it), so only the
		// bundle tag conflicts, and it still names the first push.
		if v, err := bundle.VerifyRef(f.ctx, "oci://"+f.host+"/acme/platform:v1.4.0", bundle.VerifyOptions{Keys: f.policy, Offline: true}); err != nil || v.Digest != res.Digest {
			t.Errorf("after the refused push the tag holds %+v, %v", v, err)
		}
	})

	t.Run("a file changed in the registry is named", func(t *testing.T) {
		evil := tamperArtifact(t, f.host+"/acme/platform:v1.4.0", f.host+"/acme/platform:v1.4.0-evil", bundle.ComposeFile)
		_, err := bundle.VerifyRef(f.ctx, "oci://"+evil, bundle.VerifyOptions{Keys: f.policy, Offline: true})
		wantFileError(t, err, bundle.ComposeFile)
	})
}

// tree lists a directory's files and contents' digests.
func tree(t *testing.T, dir string) string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		lines = append(lines, filepath.ToSlash(rel)+" "+sha256Hex(readFile(t, p)))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

// tamperArtifact copies the bundle manifest at src to dst with the bytes
// of one file changed: what someone with push access to the registry, but
// not the signing key, can publish.
func tamperArtifact(t *testing.T, src, dst, file string) string {
	t.Helper()
	ref, err := name.ParseReference(src)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(ref)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(desc.Manifest, &m); err != nil {
		t.Fatal(err)
	}
	evil := static.NewLayer([]byte("services: {}\n"), bundle.FileMediaType)
	if err := remote.WriteLayer(ref.Context(), evil); err != nil {
		t.Fatal(err)
	}
	d, _ := evil.Digest()
	found := false
	for _, l := range m["layers"].([]any) {
		layer := l.(map[string]any)
		if layer["annotations"].(map[string]any)["org.opencontainers.image.title"] == file {
			layer["digest"], layer["size"] = d.String(), 13
			found = true
		}
	}
	if !found {
		t.Fatalf("no layer named %s", file)
	}
	raw, _ := json.Marshal(m)
	dt, err := name.NewTag(dst)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Put(dt, rawManifest(raw)); err != nil {
		t.Fatal(err)
	}
	return dst
}

type rawManifest []byte

func (r rawManifest) RawManifest() ([]byte, error)        { return r, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }

// TestPullRefusesHostileArtifacts: file names that would escape the
// directory, duplicates and other artifact types are refused before
// anything is written.
func TestPullRefusesHostileArtifacts(t *testing.T) {
	host := inProcessRegistry(t)
	push := func(tag, artifactType string, titles ...string) string {
		var layers []v1.Descriptor
		repo, _ := name.NewRepository(host + "/acme/platform")
		for _, title := range titles {
			l := static.NewLayer([]byte("x\n"), bundle.FileMediaType)
			if err := remote.WriteLayer(repo, l); err != nil {
				t.Fatal(err)
			}
			d, _ := l.Digest()
			layers = append(layers, v1.Descriptor{MediaType: bundle.FileMediaType, Digest: d, Size: 2, Annotations: map[string]string{"org.opencontainers.image.title": title}})
		}
		cfg := static.NewLayer([]byte("{}"), "application/vnd.oci.empty.v1+json")
		if err := remote.WriteLayer(repo, cfg); err != nil {
			t.Fatal(err)
		}
		cd, _ := cfg.Digest()
		raw, _ := json.Marshal(map[string]any{
			"schemaVersion": 2, "mediaType": types.OCIManifestSchema1, "artifactType": artifactType,
			"config": v1.Descriptor{MediaType: "application/vnd.oci.empty.v1+json", Digest: cd, Size: 2}, "layers": layers,
		})
		if err := remote.Put(repo.Tag(tag), rawManifest(raw)); err != nil {
			t.Fatal(err)
		}
		return "oci://" + host + "/acme/platform:" + tag
	}
	for _, tc := range []struct {
		ref, want string
	}{
		{push("escape", bundle.ArtifactType, "../../etc/cron.d/evil"), "not a clean path inside the bundle"},
		{push("absolute", bundle.ArtifactType, "/etc/passwd"), "is absolute"},
		{push("duplicate", bundle.ArtifactType, "a.txt", "a.txt"), "two layers are named a.txt"},
		{push("other", "application/vnd.example.thing", "a.txt"), "is not a Slipway bundle"},
	} {
		dir := filepath.Join(t.TempDir(), "pulled")
		err := bundle.Pull(t.Context(), tc.ref, dir, oci.Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Pull(%s) = %v, want %q", tc.ref, err, tc.want)
		}
		if _, serr := os.Stat(dir); !errors.Is(serr, fs.ErrNotExist) {
			t.Errorf("Pull(%s) created %s", tc.ref, dir)
		}
	}
}

// TestOrasPullRecreatesTheBundle: the ORAS library (what `oras pull`
// runs) pulls the bundle artifact into a directory that verifies, because
// every layer is named by its org.opencontainers.image.title.
func TestOrasPullRecreatesTheBundle(t *testing.T) {
	f := newFixture(t, inProcessRegistry(t))
	res := f.build(t, f.options(f.manifest(t), filepath.Join(t.TempDir(), "acme-1.4.0")))
	target, _ := bundle.ParseTarget("oci://" + f.host + "/acme/platform")
	if _, err := bundle.Push(f.ctx, res.Dir, target, bundle.PushOptions{Keys: f.policy}); err != nil {
		t.Fatal(err)
	}
	repo, err := orasremote.NewRepository(f.host + "/acme/platform")
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	dir := t.TempDir()
	store, err := file.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := oras.Copy(f.ctx, repo, "v1.4.0", store, "v1.4.0", oras.DefaultCopyOptions); err != nil {
		t.Fatal(err)
	}
	if a, b := tree(t, res.Dir), tree(t, dir); a != b {
		t.Errorf("oras pulled:\n%s\nwant:\n%s", b, a)
	}
	if _, err := bundle.VerifyDir(f.ctx, dir, bundle.VerifyOptions{Keys: f.policy, Offline: true}); err != nil {
		t.Fatal(err)
	}
}
