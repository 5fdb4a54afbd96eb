package bundle

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/slipway/slipway/oci"
	"github.com/slipway/slipway/platform"
	"github.com/slipway/slipway/trust"
)

// Image is one component's image as images.json records it: the index
// digest the manifest pins, and each platform's own manifest digest, each
// with the signature that was verified when the bundle was built.
type Image struct {
	Component  string `json:"component"`
	Version    string `json:"version"`
	Repository string `json:"repository"`
	// Digest is the index digest (or the single image's manifest digest).
	Digest    string `json:"digest"`
	MediaType string `json:"mediaType"`
	// Signature verified on Digest itself.
	Signature Signature       `json:"signature"`
	Platforms []PlatformImage `json:"platforms"`
}

// Ref returns "repository@digest".
func (i Image) Ref() string { return i.Repository + "@" + i.Digest }

// PlatformImage is one platform's image inside an index.
type PlatformImage struct {
	// Platform is "os/arch[/variant]".
	Platform string `json:"platform"`
	// Digest of this platform's image manifest.
	Digest    string    `json:"digest"`
	Signature Signature `json:"signature"`
}

// Signature records which key's signature, in which cosign format,
// verified a digest.
type Signature struct {
	Format string `json:"format"`
	KeyID  string `json:"keyId"`
}

// ImageList is the content of images.json.
type ImageList struct {
	Platform string `json:"platform"`
	Version  string `json:"version"`
	// RequiredPlatforms every image provides.
	RequiredPlatforms []string `json:"requiredPlatforms"`
	Images            []Image  `json:"images"`
}

func (b *build) verifyImages(ctx context.Context) error {
	required, err := requiredPlatforms(b.m.Platforms, b.opts.RequirePlatforms)
	if err != nil {
		return err
	}
	for _, c := range b.m.Components {
		img, err := resolveImage(ctx, c.Name, c.Version, c.Ref(), b.opts.Registry)
		if err != nil {
			return err
		}
		if err := checkPlatforms(b.m, c, img, required); err != nil {
			return err
		}
		policy, err := b.opts.ImagePolicy(c.Name)
		if err != nil {
			return fmt.Errorf("trust policy of component %s: %w", c.Name, err)
		}
		if err := verifyImageSignatures(ctx, &img, policy, b.opts.Registry); err != nil {
			return err
		}
		b.log.Info("bundle: image verified", "component", c.Name, "ref", img.Ref(), "platforms", len(img.Platforms))
		b.images = append(b.images, img)
	}
	b.res.Images = b.images
	return nil
}

// requiredPlatforms merges the manifest's platforms and the caller's.
func requiredPlatforms(lists ...[]string) ([]string, error) {
	var out []string
	for _, l := range lists {
		for _, p := range l {
			if _, err := parsePlatform(p); err != nil {
				return nil, fmt.Errorf("required platform: %w", err)
			}
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// resolveImage reads what ref is in its registry: an index and its
// platform images, or a single image. The manifest bytes are checked
// against the digest by go-containerregistry.
func resolveImage(ctx context.Context, component, version, refStr string, opts oci.Options) (Image, error) {
	ref, err := oci.ParseReference(refStr)
	if err != nil {
		return Image{}, fmt.Errorf("component %s: %w", component, err)
	}
	d, err := name.NewDigest(ref.String(), nameOptions(opts)...)
	if err != nil {
		return Image{}, fmt.Errorf("component %s: %w", component, err)
	}
	got, err := remote.Get(d, remoteOptions(ctx, opts)...)
	if err != nil {
		// oci.Resolve words registry errors (not found, denied, unreachable).
		if _, rerr := oci.Resolve(ctx, ref, opts); rerr != nil {
			return Image{}, fmt.Errorf("component %s: %w", component, rerr)
		}
		return Image{}, fmt.Errorf("component %s: image %s: %w", component, ref, err)
	}
	img := Image{Component: component, Version: version, Repository: ref.Repository, Digest: ref.Digest, MediaType: string(got.MediaType)}
	switch {
	case got.MediaType.IsIndex():
		idx, err := got.ImageIndex()
		if err != nil {
			return Image{}, fmt.Errorf("component %s: index %s: %w", component, ref, err)
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return Image{}, fmt.Errorf("component %s: index %s: %w", component, ref, err)
		}
		for _, m := range im.Manifests {
			if m.Platform == nil || (m.Platform.OS == "unknown" && m.Platform.Architecture == "unknown") {
				continue // attestation manifests (buildx) and platform-less entries
			}
			if m.MediaType.IsIndex() {
				return Image{}, fmt.Errorf("component %s: index %s nests another index (%s): push a flat multi-platform index", component, ref, m.Digest)
			}
			img.Platforms = append(img.Platforms, PlatformImage{Platform: platformString(m.Platform), Digest: m.Digest.String()})
		}
		if len(img.Platforms) == 0 {
			return Image{}, fmt.Errorf("component %s: index %s lists no platform images", component, ref)
		}
	case got.MediaType.IsImage():
		im, err := got.Image()
		if err != nil {
			return Image{}, fmt.Errorf("component %s: image %s: %w", component, ref, err)
		}
		cfg, err := im.ConfigFile()
		if err != nil {
			return Image{}, fmt.Errorf("component %s: config of image %s: %w", component, ref, err)
		}
		p := v1.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant}
		if cfg.OS == "" || cfg.Architecture == "" {
			return Image{}, fmt.Errorf("component %s: image %s names no OS/architecture in its config: rebuild it with a platform", component, ref)
		}
		img.Platforms = []PlatformImage{{Platform: platformString(&p), Digest: ref.Digest}}
	default:
		return Image{}, fmt.Errorf("component %s: %s is a %s, not a container image or index", component, ref, got.MediaType)
	}
	return img, nil
}

// checkPlatforms compares the registry's platforms with the manifest's and
// with what the platform requires.
func checkPlatforms(m *platform.Manifest, c platform.Component, img Image, required []string) error {
	have := make([]string, len(img.Platforms))
	for i, p := range img.Platforms {
		have[i] = p.Platform
	}
	if len(c.Platforms) > 0 {
		var claimed, actual []string
		for _, p := range c.Platforms {
			claimed = append(claimed, normalPlatform(p))
		}
		for _, p := range have {
			actual = append(actual, normalPlatform(p))
		}
		slices.Sort(claimed)
		slices.Sort(actual)
		if !slices.Equal(slices.Compact(claimed), slices.Compact(actual)) {
			return fmt.Errorf("component %s: the manifest lists platforms %s but the index %s in the registry has %s: fix the manifest's platforms (the registry is right about what the digest holds)",
				c.Name, strings.Join(c.Platforms, ", "), img.Ref(), strings.Join(have, ", "))
		}
	}
	for _, want := range required {
		if !slices.ContainsFunc(have, func(h string) bool { return normalPlatform(h) == normalPlatform(want) }) {
			return fmt.Errorf("component %s (%s) has no %s image, which platform %s %s requires (it has %s): push a multi-platform index that includes %s, or drop %s from the required platforms",
				c.Name, img.Ref(), want, m.Name, m.Version, strings.Join(have, ", "), want, want)
		}
	}
	return nil
}

// verifyImageSignatures checks the signature of the index and of every
// platform image with policy, recording which key verified each.
func verifyImageSignatures(ctx context.Context, img *Image, policy trust.Policy, opts oci.Options) error {
	check := func(digest, what string) (Signature, error) {
		ref, err := oci.ParseReference(img.Repository + "@" + digest)
		if err != nil {
			return Signature{}, err
		}
		v, err := oci.Verify(ctx, ref, policy, opts)
		if err != nil {
			return Signature{}, fmt.Errorf("component %s, %s: %w", img.Component, what, err)
		}
		return Signature{Format: string(v.Format), KeyID: v.KeyID}, nil
	}
	var err error
	if img.Signature, err = check(img.Digest, "index"); err != nil {
		return err
	}
	for i, p := range img.Platforms {
		if p.Digest == img.Digest {
			img.Platforms[i].Signature = img.Signature
			continue
		}
		if img.Platforms[i].Signature, err = check(p.Digest, "platform "+p.Platform); err != nil {
			return fmt.Errorf("%w (sign every platform image, e.g. `cosign sign --recursive`)", err)
		}
	}
	return nil
}

func platformString(p *v1.Platform) string {
	return oci.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}.String()
}

// parsePlatform reads "os/arch[/variant]".
func parsePlatform(s string) (v1.Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" || (len(parts) == 3 && parts[2] == "") {
		return v1.Platform{}, fmt.Errorf("%q is not os/arch[/variant], e.g. linux/amd64 or linux/arm/v7", s)
	}
	p := v1.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

// normalPlatform spells the default variants the way containerd matches
// them: linux/arm64 is linux/arm64/v8 and linux/arm is linux/arm/v7, so a
// requirement written either way matches an index written either way.
func normalPlatform(s string) string {
	p, err := parsePlatform(s)
	if err != nil {
		return s
	}
	if p.Variant == "" {
		switch p.Architecture {
		case "arm64":
			p.Variant = "v8"
		case "arm":
			p.Variant = "v7"
		}
	}
	return platformString(&p)
}

func nameOptions(o oci.Options) []name.Option {
	if o.Insecure {
		return []name.Option{name.Insecure}
	}
	return nil
}

// remoteOptions mirror oci.Options for direct go-containerregistry calls.
func remoteOptions(ctx context.Context, o oci.Options) []remote.Option {
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
