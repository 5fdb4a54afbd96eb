// Package ocilocal runs an OCI registry inside the process and pushes small,
// deterministic images to it (or to any registry). It is the embedded
// registry of `slipway demo` and the registry tests of other packages use;
// it is not test-only code.
package ocilocal

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sort"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/slipway/slipway/oci"
)

// Registry is an in-process registry listening on 127.0.0.1.
type Registry struct {
	// Host is "127.0.0.1:<port>", usable as a registry name.
	Host string
	srv  *http.Server
	done chan error
}

// StartOptions tune the in-process registry.
type StartOptions struct {
	// Referrers enables the OCI 1.1 referrers API (off by default, like most
	// self-hosted registries, so clients exercise the tag fallback).
	Referrers bool
}

// Start serves a fresh, empty, in-memory registry on a random loopback port.
// Its request log is discarded. Call Close when done.
func Start(opts StartOptions) (*Registry, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start in-process registry: %w", err)
	}
	h := registry.New(
		registry.Logger(log.New(io.Discard, "", 0)),
		registry.WithReferrersSupport(opts.Referrers),
	)
	r := &Registry{
		Host: ln.Addr().String(),
		srv:  &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second},
		done: make(chan error, 1),
	}
	go func() { r.done <- r.srv.Serve(ln) }()
	return r, nil
}

// Repository returns the full name of a repository in this registry.
func (r *Registry) Repository(repo string) string { return r.Host + "/" + repo }

// Close stops the registry; its contents are lost.
func (r *Registry) Close() error {
	if err := r.srv.Close(); err != nil {
		return err
	}
	if err := <-r.done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Image describes a small image. The same Image always has the same digest:
// files are stored in name order with fixed times and modes, the layer is an
// uncompressed tar, and the config has no creation time.
type Image struct {
	// Files maps a path inside the image to its content.
	Files map[string]string
	// Labels are config labels, e.g. "org.opencontainers.image.version".
	Labels map[string]string
	// Tag, when set, is also pointed at the pushed image (or index).
	Tag string
}

// Push writes img for the platform linux/amd64 to repository
// ("host:port/name") and returns its digest reference.
func Push(ctx context.Context, repository string, img Image, opts oci.Options) (oci.Reference, error) {
	built, err := build(img, oci.Platform{OS: "linux", Architecture: "amd64"})
	if err != nil {
		return oci.Reference{}, err
	}
	return write(ctx, repository, img.Tag, built, opts)
}

// PushIndex writes one image per platform (each with the same files plus
// /etc/platform naming the platform, so their digests differ) and an OCI
// index listing them, and returns the index's digest reference. With no
// platforms it uses linux/amd64 and linux/arm64.
func PushIndex(ctx context.Context, repository string, img Image, platforms []oci.Platform, opts oci.Options) (oci.Reference, error) {
	if len(platforms) == 0 {
		platforms = []oci.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}}
	}
	repo, err := name.NewRepository(repository, nameOpts(opts)...)
	if err != nil {
		return oci.Reference{}, fmt.Errorf("repository %q: %w", repository, err)
	}
	var idx v1.ImageIndex = mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range platforms {
		per := img
		per.Files = map[string]string{"etc/platform": p.String() + "\n"}
		for k, v := range img.Files {
			per.Files[k] = v
		}
		built, err := build(per, p)
		if err != nil {
			return oci.Reference{}, err
		}
		d, err := built.Digest()
		if err != nil {
			return oci.Reference{}, err
		}
		if err := remote.Write(repo.Digest(d.String()), built, remoteOpts(ctx, opts)...); err != nil {
			return oci.Reference{}, fmt.Errorf("push %s image to %s: %w", p, repository, err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        built,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}},
		})
	}
	return write(ctx, repository, img.Tag, idx, opts)
}

// taggable is what both images and indexes offer for pushing.
type taggable interface {
	remote.Taggable
	Digest() (v1.Hash, error)
}

func write(ctx context.Context, repository, tag string, t taggable, opts oci.Options) (oci.Reference, error) {
	repo, err := name.NewRepository(repository, nameOpts(opts)...)
	if err != nil {
		return oci.Reference{}, fmt.Errorf("repository %q: %w", repository, err)
	}
	d, err := t.Digest()
	if err != nil {
		return oci.Reference{}, err
	}
	var ref name.Reference = repo.Digest(d.String())
	if tag != "" {
		ref = repo.Tag(tag)
	}
	ro := remoteOpts(ctx, opts)
	switch v := t.(type) {
	case v1.ImageIndex:
		err = remote.WriteIndex(ref, v, ro...)
	case v1.Image:
		err = remote.Write(ref, v, ro...)
	default:
		err = fmt.Errorf("cannot push %T", t)
	}
	if err != nil {
		return oci.Reference{}, fmt.Errorf("push to %s: %w", repository, err)
	}
	return oci.ParseReference(repo.Name() + "@" + d.String())
}

func build(img Image, p oci.Platform) (v1.Image, error) {
	layer, err := tarLayer(img.Files)
	if err != nil {
		return nil, err
	}
	cfg := &v1.ConfigFile{
		OS:           p.OS,
		Architecture: p.Architecture,
		Variant:      p.Variant,
		Config:       v1.Config{Labels: img.Labels},
		RootFS:       v1.RootFS{Type: "layers"},
	}
	base, err := mutate.ConfigFile(mutate.MediaType(empty.Image, types.OCIManifestSchema1), cfg)
	if err != nil {
		return nil, err
	}
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	return mutate.Append(base, mutate.Addendum{Layer: layer, History: v1.History{CreatedBy: "slipway ocilocal"}})
}

// tarLayer builds an uncompressed tar layer with files in name order.
func tarLayer(files map[string]string) (v1.Layer, error) {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range names {
		body := files[n]
		hdr := &tar.Header{Name: n, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg, Format: tar.FormatPAX, ModTime: time.Unix(0, 0)}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("image file %q: %w", n, err)
		}
		if _, err := io.WriteString(tw, body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return static.NewLayer(buf.Bytes(), types.OCIUncompressedLayer), nil
}

func nameOpts(opts oci.Options) []name.Option {
	if opts.Insecure {
		return []name.Option{name.Insecure}
	}
	return nil
}

func remoteOpts(ctx context.Context, opts oci.Options) []remote.Option {
	ro := []remote.Option{remote.WithContext(ctx)}
	if opts.Transport != nil {
		ro = append(ro, remote.WithTransport(opts.Transport))
	}
	if opts.Keychain != nil {
		ro = append(ro, remote.WithAuthFromKeychain(opts.Keychain))
	}
	return ro
}
