package bundle

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/registry"

	"github.com/slipway/slipway/oci"
	"github.com/slipway/slipway/trust"
)

// The bundle as an OCI artifact: an OCI image manifest with this
// artifactType, the empty config, and one layer per file of the bundle
// directory, in path order, each with the file's bundle path as its
// org.opencontainers.image.title (so `oras pull` recreates the directory).
const (
	ArtifactType       = "application/vnd.slipway.platform.bundle.v1"
	FileMediaType      = "application/vnd.slipway.platform.bundle.file.v1"
	emptyJSONMediaType = "application/vnd.oci.empty.v1+json"
	titleAnnotation    = "org.opencontainers.image.title"
	// DigestAnnotation on the manifest repeats the signed bundle digest
	// (SHA-256 of SHA256SUMS).
	DigestAnnotation = "dev.slipway.bundle.digest"
)

// Limits on what Pull accepts from a registry.
const (
	maxBundleFiles = 10000
	maxFileSize    = 1 << 30
	maxBundleSize  = 4 << 30
)

// Target is where a bundle is published: "oci://REGISTRY/REPOSITORY".
// The bundle goes to REPOSITORY:v<version>, the chart (Helm's layout) to
// REPOSITORY/<chart>:<version>.
type Target struct {
	// Repository is "registry/path", without scheme or tag.
	Repository string
}

// ParseTarget reads "oci://REGISTRY/REPOSITORY".
func ParseTarget(s string) (Target, error) {
	rest, ok := strings.CutPrefix(s, "oci://")
	if !ok {
		return Target{}, fmt.Errorf("push target %q: write oci://REGISTRY/REPOSITORY (e.g. oci://registry.example.com/acme/platform)", s)
	}
	rest = strings.TrimSuffix(rest, "/")
	repo, err := name.NewRepository(rest)
	if err != nil || strings.ContainsAny(rest, "@") || !strings.Contains(rest, "/") {
		return Target{}, fmt.Errorf("push target %q: %q is not REGISTRY/REPOSITORY without tag or digest (e.g. oci://registry.example.com/acme/platform)", s, rest)
	}
	return Target{Repository: repo.Name()}, nil
}

// String returns "oci://registry/repository".
func (t Target) String() string { return "oci://" + t.Repository }

// Pushed names what Push published.
type Pushed struct {
	// Bundle is "registry/repo:vX.Y.Z@sha256:…" of the bundle artifact.
	Bundle string
	// Chart is "oci://registry/repo/chart" and ChartVersion its tag (as
	// `helm install … --version` wants them); ChartDigest its manifest.
	Chart, ChartVersion, ChartDigest string
	// Signed lists the manifests signed with cosign's format.
	Signed []string
}

// PushOptions are the inputs of Push.
type PushOptions struct {
	// Keys verify the bundle before it is pushed (never publish what does
	// not verify).
	Keys trust.Policy
	// Signer, when set, also signs the bundle and chart manifests in the
	// registry (cosign's format, `cosign verify` accepts them).
	Signer   crypto.Signer
	Registry oci.Options
}

// Push publishes a bundle directory: the chart with Helm's registry client
// (Helm's OCI media types, so `helm pull/install oci://…` work) and the
// whole directory as one artifact. Both are idempotent: a tag that already
// holds the same content is left alone; a tag holding other content is an
// error, because a platform version is never republished differently.
func Push(ctx context.Context, dir string, target Target, opts PushOptions) (*Pushed, error) {
	v, err := VerifyDir(ctx, dir, VerifyOptions{Keys: opts.Keys, Offline: true})
	if err != nil {
		return nil, fmt.Errorf("push: %w", err)
	}
	out := &Pushed{}
	charts, _ := filepath.Glob(filepath.Join(dir, ChartDir, "*.tgz"))
	if len(charts) > 1 {
		return nil, fmt.Errorf("push: %s holds %d charts: a bundle has one", ChartDir, len(charts))
	}
	if len(charts) == 1 {
		if err := pushChart(ctx, charts[0], target, opts, out); err != nil {
			return nil, err
		}
	}
	ref, err := pushArtifact(ctx, dir, v, target, opts.Registry)
	if err != nil {
		return nil, err
	}
	out.Bundle = ref.tag + "@" + ref.digest
	if opts.Signer != nil {
		for _, r := range []string{target.Repository + "@" + ref.digest, strings.TrimPrefix(out.Chart, "oci://") + "@" + out.ChartDigest} {
			if strings.HasSuffix(r, "@") {
				continue
			}
			pr, err := oci.ParseReference(r)
			if err != nil {
				return nil, err
			}
			if _, err := oci.Sign(ctx, pr, opts.Signer, opts.Registry); err != nil {
				return nil, fmt.Errorf("push: sign %s: %w", r, err)
			}
			out.Signed = append(out.Signed, r)
		}
	}
	return out, nil
}

// pushChart pushes the archive with Helm's registry client unless its tag
// already holds the same archive.
func pushChart(ctx context.Context, archive string, target Target, opts PushOptions, out *Pushed) error {
	data, err := os.ReadFile(archive)
	if err != nil {
		return err
	}
	ch, err := loader.LoadArchive(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("push: %s: %w", archive, err)
	}
	repo := target.Repository + "/" + ch.Name()
	tag := repo + ":" + ch.Metadata.Version
	out.Chart, out.ChartVersion = "oci://"+repo, ch.Metadata.Version
	sum := sha256.Sum256(data)
	existing, err := existingManifest(ctx, tag, opts.Registry)
	if err != nil {
		return err
	}
	if existing != nil {
		if len(existing.manifest.Layers) == 0 || existing.manifest.Layers[0].Digest.Hex != hex.EncodeToString(sum[:]) {
			return fmt.Errorf("push: %s already holds another chart %s (manifest %s): a platform version is published once; release a new version", tag, ch.Metadata.Version, existing.digest)
		}
		out.ChartDigest = existing.digest
		return nil
	}
	client, err := helmClient(target, opts.Registry)
	if err != nil {
		return err
	}
	// The creation time is the platform's (stamped on the archive), so the
	// chart's manifest is the same whenever the bundle is pushed.
	res, err := client.Push(data, tag, registry.PushOptCreationTime(ch.ModTime.UTC().Format(time.RFC3339)))
	if err != nil {
		return fmt.Errorf("push chart %s to %s: %w", ch.Name(), tag, err)
	}
	out.ChartDigest = res.Manifest.Digest
	return ctx.Err()
}

// helmClient is Helm's registry client, over plain HTTP for loopback
// registries (as oci.Options does) or when Insecure is set.
func helmClient(target Target, o oci.Options) (*registry.Client, error) {
	opts := []registry.ClientOption{registry.ClientOptWriter(io.Discard)}
	if o.Insecure || isLoopback(registryHost(target.Repository)) {
		opts = append(opts, registry.ClientOptPlainHTTP())
	}
	if o.Transport != nil {
		opts = append(opts, registry.ClientOptHTTPClient(&http.Client{Transport: o.Transport}))
	}
	return registry.NewClient(opts...)
}

func registryHost(repo string) string {
	host, _, _ := strings.Cut(repo, "/")
	return host
}

func isLoopback(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

type manifestAt struct {
	digest   string
	manifest *v1.Manifest
}

// existingManifest returns what a tag holds, or nil when it does not exist.
func existingManifest(ctx context.Context, tag string, o oci.Options) (*manifestAt, error) {
	t, err := name.NewTag(tag, nameOptions(o)...)
	if err != nil {
		return nil, fmt.Errorf("push: %q: %w", tag, err)
	}
	desc, err := remote.Get(t, remoteOptions(ctx, o)...)
	if err != nil {
		var terr *transport.Error
		if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
			return nil, nil
		}
		return nil, fmt.Errorf("push: look up %s: %w", tag, err)
	}
	m, err := v1.ParseManifest(bytes.NewReader(desc.Manifest))
	if err != nil {
		return nil, fmt.Errorf("push: %s holds something that is not an OCI manifest (%s): choose another repository", tag, desc.MediaType)
	}
	return &manifestAt{digest: desc.Digest.String(), manifest: m}, nil
}

type artifactRef struct{ tag, digest string }

// pushArtifact uploads every file as a blob, then the manifest by tag.
func pushArtifact(ctx context.Context, dir string, v *Verified, target Target, o oci.Options) (artifactRef, error) {
	tag := target.Repository + ":v" + v.Manifest.Version
	raw, layers, err := artifactManifest(dir, v)
	if err != nil {
		return artifactRef{}, err
	}
	h := sha256.Sum256(raw)
	digest := "sha256:" + hex.EncodeToString(h[:])
	existing, err := existingManifest(ctx, tag, o)
	if err != nil {
		return artifactRef{}, err
	}
	if existing != nil {
		if existing.digest != digest {
			return artifactRef{}, fmt.Errorf("push: %s already holds another bundle (manifest %s, this one is %s): a platform version is published once; release a new version", tag, existing.digest, digest)
		}
		return artifactRef{tag: tag, digest: digest}, nil
	}
	repo, err := name.NewRepository(target.Repository, nameOptions(o)...)
	if err != nil {
		return artifactRef{}, err
	}
	ro := remoteOptions(ctx, o)
	for _, l := range layers {
		if err := remote.WriteLayer(repo, l, ro...); err != nil {
			return artifactRef{}, fmt.Errorf("push bundle file to %s: %w", target.Repository, err)
		}
	}
	t, _ := name.NewTag(tag, nameOptions(o)...)
	if err := remote.Put(t, rawManifest{raw: raw, mediaType: types.OCIManifestSchema1}, ro...); err != nil {
		return artifactRef{}, fmt.Errorf("push bundle manifest to %s: %w", tag, err)
	}
	return artifactRef{tag: tag, digest: digest}, nil
}

// artifactManifest builds the bundle's manifest and its layers (the empty
// config first). The manifest depends only on the files and the platform
// manifest, so pushing the same bundle twice gives the same digest.
func artifactManifest(dir string, v *Verified) ([]byte, []v1.Layer, error) {
	sums, err := sumDir(dir)
	if err != nil {
		return nil, nil, err
	}
	all := append([]Sum{}, sums...)
	for _, f := range unsummed {
		if _, err := os.Lstat(filepath.Join(dir, f)); err == nil {
			all = append(all, Sum{Path: f})
		}
	}
	config := static.NewLayer([]byte("{}"), emptyJSONMediaType)
	layers := []v1.Layer{config}
	cd, _ := config.Digest()
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		Config:        v1.Descriptor{MediaType: emptyJSONMediaType, Digest: cd, Size: 2},
		Annotations: map[string]string{
			"org.opencontainers.image.title":   v.Manifest.Name,
			"org.opencontainers.image.version": v.Manifest.Version,
			"org.opencontainers.image.created": v.Manifest.Created.UTC().Format("2006-01-02T15:04:05Z"),
			DigestAnnotation:                   v.Digest,
		},
	}
	for _, s := range all {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(s.Path)))
		if err != nil {
			return nil, nil, err
		}
		l := static.NewLayer(data, FileMediaType)
		d, _ := l.Digest()
		layers = append(layers, l)
		m.Layers = append(m.Layers, v1.Descriptor{MediaType: FileMediaType, Digest: d, Size: int64(len(data)), Annotations: map[string]string{titleAnnotation: s.Path}})
	}
	// v1.Manifest has no artifactType field in every version; add it.
	b, err := json.Marshal(m)
	if err != nil {
		return nil, nil, err
	}
	var generic map[string]any
	if err := json.Unmarshal(b, &generic); err != nil {
		return nil, nil, err
	}
	generic["artifactType"] = ArtifactType
	raw, err := json.Marshal(generic)
	return raw, layers, err
}

// rawManifest lets remote.Put push manifest bytes built here.
type rawManifest struct {
	raw       []byte
	mediaType types.MediaType
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.raw, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.mediaType, nil }

// ParseBundleRef reads "oci://REGISTRY/REPOSITORY:vX.Y.Z" or
// "oci://REGISTRY/REPOSITORY@sha256:…".
func ParseBundleRef(s string) (name.Reference, error) {
	rest, ok := strings.CutPrefix(s, "oci://")
	if !ok {
		return nil, fmt.Errorf("bundle reference %q: write oci://REGISTRY/REPOSITORY:vX.Y.Z", s)
	}
	ref, err := name.ParseReference(rest, name.StrictValidation)
	if err != nil {
		return nil, fmt.Errorf("bundle reference %q: %v: write oci://REGISTRY/REPOSITORY:vX.Y.Z or …@sha256:<digest>", s, err)
	}
	return ref, nil
}

// Pull downloads the bundle artifact at ref into dir (created; it must not
// exist or be empty). It checks the artifact type, every file name (no
// absolute path, no "..", no duplicate) and every blob against its
// digest, within size limits. It does not verify signatures: call
// VerifyDir on the result (VerifyRef does both).
func Pull(ctx context.Context, ref string, dir string, o oci.Options) error {
	r, err := ParseBundleRef(ref)
	if err != nil {
		return err
	}
	if o.Insecure {
		if r, err = name.ParseReference(r.String(), name.Insecure); err != nil {
			return err
		}
	}
	ro := remoteOptions(ctx, o)
	desc, err := remote.Get(r, ro...)
	if err != nil {
		return fmt.Errorf("pull bundle %s: %w", ref, err)
	}
	m, err := v1.ParseManifest(bytes.NewReader(desc.Manifest))
	if err != nil || desc.MediaType != types.OCIManifestSchema1 {
		return fmt.Errorf("pull bundle %s: %s is not a Slipway bundle (media type %s)", ref, desc.Digest, desc.MediaType)
	}
	var header struct {
		ArtifactType string `json:"artifactType"`
	}
	_ = json.Unmarshal(desc.Manifest, &header)
	if header.ArtifactType != ArtifactType {
		return fmt.Errorf("pull bundle %s: artifact type %q is not %s: this reference is not a Slipway bundle", ref, header.ArtifactType, ArtifactType)
	}
	if len(m.Layers) > maxBundleFiles {
		return fmt.Errorf("pull bundle %s: %d files, more than the %d allowed", ref, len(m.Layers), maxBundleFiles)
	}
	var total int64
	seen := map[string]bool{}
	for _, l := range m.Layers {
		p := l.Annotations[titleAnnotation]
		if err := checkBundlePath(p); err != nil {
			return fmt.Errorf("pull bundle %s: layer %s: %w", ref, l.Digest, err)
		}
		if seen[p] {
			return fmt.Errorf("pull bundle %s: two layers are named %s", ref, p)
		}
		seen[p] = true
		if l.Size < 0 || l.Size > maxFileSize {
			return fmt.Errorf("pull bundle %s: %s is %d bytes, more than the %d allowed", ref, p, l.Size, maxFileSize)
		}
		if total += l.Size; total > maxBundleSize {
			return fmt.Errorf("pull bundle %s: more than %d bytes in all", ref, maxBundleSize)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		return fmt.Errorf("pull bundle: %s is not empty: pull into a new directory", dir)
	}
	for _, l := range m.Layers {
		p := l.Annotations[titleAnnotation]
		blob, err := remote.Layer(r.Context().Digest(l.Digest.String()), ro...)
		if err != nil {
			return fmt.Errorf("pull bundle %s: %s: %w", ref, p, err)
		}
		if err := writeBlob(blob, l, filepath.Join(dir, filepath.FromSlash(p))); err != nil {
			return fmt.Errorf("pull bundle %s: %s: %w", ref, p, err)
		}
	}
	return nil
}

// writeBlob writes a layer's bytes, refusing more than its descriptor says
// and content whose digest differs.
func writeBlob(l v1.Layer, d v1.Descriptor, path string) error {
	rc, err := l.Compressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, io.LimitReader(rc, d.Size+1)); err != nil {
		return err
	}
	sum := sha256.Sum256(buf.Bytes())
	if int64(buf.Len()) != d.Size || d.Digest.Hex != hex.EncodeToString(sum[:]) {
		return fmt.Errorf("content does not match its digest %s", d.Digest)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// VerifyRef pulls a bundle into a temporary directory and verifies it.
func VerifyRef(ctx context.Context, ref string, opts VerifyOptions) (*Verified, error) {
	dir, err := os.MkdirTemp("", "slipway-bundle-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := Pull(ctx, ref, dir, opts.Registry); err != nil {
		return nil, err
	}
	v, err := VerifyDir(ctx, dir, opts)
	if v != nil {
		v.Dir = ref
	}
	return v, err
}
