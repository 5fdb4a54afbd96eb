// Package bundletest provides what building a bundle needs, for tests and
// demos: a sample app repository with chart and Compose skeletons, upgrade
// stops and migrations (the layout docs/bundle.md describes), and signed
// multi-arch component images pushed to a registry. It is not test-only
// code: `slipway demo` can use it to show a bundle.
package bundletest

import (
	"context"
	"crypto"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/slipway/slipway/bundle"
	"github.com/slipway/slipway/oci"
	"github.com/slipway/slipway/oci/ocilocal"
	"github.com/slipway/slipway/platform"
	"github.com/slipway/slipway/trust"
)

//go:embed all:app
var app embed.FS

// WriteApp writes the sample app repository into dir: components api and
// web (tier lite) and search (tier standard), a PostgreSQL service pinned
// by digest, one required upgrade stop (1.2.0) and two api migrations.
func WriteApp(dir string) error {
	return fs.WalkDir(app, "app", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(strings.TrimPrefix(p, "app"), "/")))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := app.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

// Tiers of the sample components.
var Tiers = map[string]string{"api": "lite", "web": "lite", "search": "standard"}

// PushComponent pushes a small multi-platform index for one component
// (one image per platform, e.g. "linux/amd64") to repository, tagged with
// version, signs the index and every platform image with signer (cosign's
// format, like `cosign sign --recursive`), and returns the manifest entry.
// The component name is the repository's last path element; its tier
// comes from Tiers.
func PushComponent(ctx context.Context, repository, version string, platforms []string, signer crypto.Signer, opts oci.Options) (platform.Component, error) {
	var ps []oci.Platform
	for _, p := range platforms {
		parts := strings.Split(p, "/")
		if len(parts) < 2 {
			return platform.Component{}, fmt.Errorf("platform %q is not os/arch[/variant]", p)
		}
		op := oci.Platform{OS: parts[0], Architecture: parts[1]}
		if len(parts) > 2 {
			op.Variant = parts[2]
		}
		ps = append(ps, op)
	}
	ref, err := ocilocal.PushIndex(ctx, repository, ocilocal.Image{
		Tag:    version,
		Files:  map[string]string{"version": version + "\n"},
		Labels: map[string]string{"org.opencontainers.image.version": version},
	}, ps, opts)
	if err != nil {
		return platform.Component{}, err
	}
	if signer != nil {
		refs, err := Children(ctx, ref, opts)
		if err != nil {
			return platform.Component{}, err
		}
		for _, r := range append([]oci.Reference{ref}, refs...) {
			if _, err := oci.Sign(ctx, r, signer, opts); err != nil {
				return platform.Component{}, err
			}
		}
	}
	comp := path.Base(repository)
	return platform.Component{
		Name:      comp,
		Version:   version,
		Tag:       comp + "/v" + version,
		Image:     ref.Repository,
		Digest:    ref.Digest,
		Platforms: platforms,
		Labels:    map[string]string{"tier": Tiers[comp]},
	}, nil
}

// Children returns the platform images of an index.
func Children(ctx context.Context, index oci.Reference, opts oci.Options) ([]oci.Reference, error) {
	d, err := name.NewDigest(index.String())
	if err != nil {
		return nil, err
	}
	idx, err := remote.Index(d, remote.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	var out []oci.Reference
	for _, c := range m.Manifests {
		r, err := oci.ParseReference(index.Repository + "@" + c.Digest.String())
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Manifest returns the platform manifest of the given components, as
// platform.Parse would read it (components sorted).
func Manifest(name, version string, created time.Time, comps ...platform.Component) (*platform.Manifest, error) {
	m := &platform.Manifest{APIVersion: platform.APIVersion, Kind: platform.Kind, Name: name, Version: version, Created: created.UTC(), Components: comps}
	y, err := m.YAML()
	if err != nil {
		return nil, err
	}
	return platform.Parse(y, "bundletest")
}

// Demo builds a complete sample bundle, for `slipway demo`: it writes the
// sample app into dir/app, pushes signed multi-arch images of api 2.3.0,
// web 3.0.2 and search 1.0.0 to the registry at host (e.g. an
// ocilocal.Registry), and builds platform acme 1.0.0 into dir/bundle,
// signed by signer, which also signs the images.
func Demo(ctx context.Context, host string, signer crypto.Signer, dir string, created time.Time) (*bundle.Result, error) {
	app := filepath.Join(dir, "app")
	if err := WriteApp(app); err != nil {
		return nil, err
	}
	var comps []platform.Component
	for _, c := range []struct{ name, version string }{{"api", "2.3.0"}, {"web", "3.0.2"}, {"search", "1.0.0"}} {
		comp, err := PushComponent(ctx, host+"/acme/"+c.name, c.version, []string{"linux/amd64", "linux/arm64"}, signer, oci.Options{})
		if err != nil {
			return nil, fmt.Errorf("push %s: %w", c.name, err)
		}
		comp.Notes = "### Features\n\n* " + c.name + " " + c.version + " for self-hosters\n"
		comps = append(comps, comp)
	}
	m, err := Manifest("acme", "1.0.0", created, comps...)
	if err != nil {
		return nil, err
	}
	pub, err := trust.NewPublicKey(signer.Public(), "demo key")
	if err != nil {
		return nil, err
	}
	policy := trust.Policy{Keys: []trust.PublicKey{pub}}
	return bundle.Build(ctx, bundle.Options{
		Manifest: m, AppDir: app, OutDir: filepath.Join(dir, "bundle"), Signer: signer,
		ImagePolicy: func(string) (trust.Policy, error) { return policy, nil },
	})
}
