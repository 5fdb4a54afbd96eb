package oci

import (
	"context"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Options say how to reach the registry.
type Options struct {
	// Insecure allows plain HTTP to any registry. Loopback registries
	// (127.0.0.1, ::1, localhost) are spoken to over HTTP without it.
	Insecure bool
	// Keychain supplies credentials; nil means authn.DefaultKeychain
	// (docker/podman config files and credential helpers).
	Keychain authn.Keychain
	// Transport is the HTTP transport; nil means http.DefaultTransport.
	Transport http.RoundTripper
}

func (o Options) remote(ctx context.Context) []remote.Option {
	kc := o.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(kc)}
	if o.Transport != nil {
		opts = append(opts, remote.WithTransport(o.Transport))
	}
	return opts
}

// Descriptor is what a digest turned out to be in the registry.
type Descriptor struct {
	Ref Reference
	// MediaType of the manifest, e.g. application/vnd.oci.image.index.v1+json.
	MediaType string
	// Size of the manifest in bytes.
	Size int64
	// IsIndex is true for a multi-platform index (OCI index or Docker
	// manifest list); the digest then names the whole set of platforms.
	IsIndex bool
	// Platforms are the index's image platforms in index order, or the single
	// image's platform read from its config (empty when the config has none).
	// Attestation manifests (platform unknown/unknown) are left out.
	Platforms []Platform
}

// Platform is an image's os/architecture[/variant].
type Platform struct {
	OS           string
	Architecture string
	Variant      string
}

// String returns "os/arch" or "os/arch/variant", as docker and crane print it.
func (p Platform) String() string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// Resolve looks the digest up in its registry and describes it. Errors wrap
// ErrNotFound, ErrUnreachable or ErrDenied where that is the cause.
func Resolve(ctx context.Context, ref Reference, opts Options) (Descriptor, error) {
	t, err := newTarget(ctx, ref, opts)
	if err != nil {
		return Descriptor{}, fmt.Errorf("%w %s: %v", ErrInvalidReference, ref, err)
	}
	desc, _, err := t.describe()
	return desc, err
}

// describe resolves t's digest; for an index it also returns the index.
func (t target) describe() (Descriptor, *v1.IndexManifest, error) {
	ref := t.ref
	// Get (not Head) so the manifest body is fetched and go-containerregistry
	// checks it hashes to the digest we asked for.
	got, err := remote.Get(t.digest, t.remote...)
	if err != nil {
		return Descriptor{}, nil, classify(err, "image", ref, t.registry)
	}
	desc := Descriptor{
		Ref:       ref,
		MediaType: string(got.MediaType),
		Size:      got.Size,
		IsIndex:   got.MediaType.IsIndex(),
	}
	if desc.IsIndex {
		idx, err := got.ImageIndex()
		if err != nil {
			return Descriptor{}, nil, fmt.Errorf("image %s: read index: %w", ref, err)
		}
		m, err := idx.IndexManifest()
		if err != nil {
			return Descriptor{}, nil, fmt.Errorf("image %s: read index: %w", ref, err)
		}
		desc.Platforms = indexPlatforms(m)
		return desc, m, nil
	}
	if !got.MediaType.IsImage() {
		// An artifact (e.g. a Helm chart) has no runtime platform.
		return desc, nil, nil
	}
	img, err := got.Image()
	if err != nil {
		return Descriptor{}, nil, fmt.Errorf("image %s: %w", ref, err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return Descriptor{}, nil, classify(err, "config of image", ref, t.registry)
	}
	if cfg.OS != "" || cfg.Architecture != "" {
		desc.Platforms = []Platform{{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant}}
	}
	return desc, nil, nil
}

func indexPlatforms(m *v1.IndexManifest) []Platform {
	var out []Platform
	for _, d := range m.Manifests {
		if d.Platform == nil || isAttestationManifest(d) {
			continue // buildx attestation manifests
		}
		out = append(out, Platform{OS: d.Platform.OS, Architecture: d.Platform.Architecture, Variant: d.Platform.Variant})
	}
	return out
}
