package bundle

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/slipway/slipway/oci"
	"github.com/slipway/slipway/platform"
	"github.com/slipway/slipway/trust"
)

// VerifyOptions say what a bundle must be signed with.
type VerifyOptions struct {
	// Keys are the public keys one of which must have signed SHA256SUMS.
	Keys trust.Policy
	// ImagePolicy returns the keys a component's images must be signed
	// with; nil means Keys.
	ImagePolicy func(component string) (trust.Policy, error)
	// Offline skips the registry: only checksums and the bundle signature
	// are checked (they need no network).
	Offline  bool
	Registry oci.Options
}

// Verified describes a bundle that passed verification.
type Verified struct {
	Dir      string
	Manifest *platform.Manifest
	// Digest is "sha256:<hex>" of SHA256SUMS.
	Digest string
	// KeyID signed SHA256SUMS.
	KeyID string
	// Files is the number of files checked against SHA256SUMS.
	Files int
	// Images were resolved and their signatures verified in the registry
	// (empty when Offline).
	Images []Image
}

// VerifyDir checks a bundle directory: SHA256SUMS.sig (and, when present,
// SHA256SUMS.sigstore.json) verify SHA256SUMS with one of opts.Keys; every
// file is listed with the right digest and no file is missing or added;
// platform.yaml and images.json agree; and, unless opts.Offline, every
// image digest of images.json is in its registry with the same platform
// images, each signed by the component's keys. Failures wrap ErrVerify
// and, for file problems, carry a *FileError naming the file.
func VerifyDir(ctx context.Context, dir string, opts VerifyOptions) (*Verified, error) {
	if len(opts.Keys.Keys) == 0 {
		return nil, errors.New("verify bundle: no public key: pass --key with the bundle signer's public key")
	}
	fail := func(err error) (*Verified, error) {
		return nil, fmt.Errorf("%w: %s: %w", ErrVerify, dir, err)
	}
	sums, err := readBundleFile(dir, SumsFile, maxSumsSize)
	if err != nil {
		return fail(err)
	}
	sig, err := readBundleFile(dir, SigFile, 64<<10)
	if err != nil {
		return fail(err)
	}
	key, err := verifySig(sums, sig, opts.Keys)
	if err != nil {
		return fail(err)
	}
	if sb, err := readBundleFile(dir, SigstoreFile, 1<<20); err == nil {
		if _, err := verifySigstore(sums, sb, opts.Keys); err != nil {
			return fail(err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fail(err)
	}
	listed, err := ParseSums(sums)
	if err != nil {
		return fail(&FileError{File: SumsFile, Problem: "is malformed: " + err.Error()})
	}
	if err := checkSums(dir, listed); err != nil {
		return fail(err)
	}
	m, list, err := readIndex(dir)
	if err != nil {
		return fail(err)
	}
	v := &Verified{Dir: dir, Manifest: m, Digest: sumsDigest(sums), KeyID: key.ID, Files: len(listed)}
	if opts.Offline {
		return v, nil
	}
	for _, want := range list.Images {
		policy := opts.Keys
		if opts.ImagePolicy != nil {
			if policy, err = opts.ImagePolicy(want.Component); err != nil {
				return nil, fmt.Errorf("trust policy of component %s: %w", want.Component, err)
			}
		}
		got, err := resolveImage(ctx, want.Component, want.Version, want.Ref(), opts.Registry)
		if err != nil {
			return fail(err)
		}
		if !samePlatformImages(got.Platforms, want.Platforms) {
			return fail(fmt.Errorf("%s: component %s: the registry's index %s lists other platform images than the bundle recorded", ImagesFile, want.Component, want.Ref()))
		}
		if err := verifyImageSignatures(ctx, &got, policy, opts.Registry); err != nil {
			return fail(err)
		}
		v.Images = append(v.Images, got)
	}
	return v, nil
}

// readBundleFile reads a bundle file that must be a regular file (not a
// symlink) of at most limit bytes.
func readBundleFile(dir, rel string, limit int64) ([]byte, error) {
	p := filepath.Join(dir, filepath.FromSlash(rel))
	st, err := os.Lstat(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %w", &FileError{File: rel, Problem: "is missing"}, fs.ErrNotExist)
		}
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &FileError{File: rel, Problem: "is not a regular file"}
	}
	if st.Size() > limit {
		return nil, &FileError{File: rel, Problem: fmt.Sprintf("is %d bytes, more than the %d allowed", st.Size(), limit)}
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, limit+1))
}

// readIndex parses platform.yaml and images.json and checks they describe
// the same images.
func readIndex(dir string) (*platform.Manifest, *ImageList, error) {
	y, err := readBundleFile(dir, ManifestFile, platform.MaxManifestSize)
	if err != nil {
		return nil, nil, err
	}
	m, err := platform.Parse(y, ManifestFile)
	if err != nil {
		return nil, nil, &FileError{File: ManifestFile, Problem: "is not a valid manifest: " + err.Error()}
	}
	j, err := readBundleFile(dir, ImagesFile, 16<<20)
	if err != nil {
		return nil, nil, err
	}
	var list ImageList
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&list); err != nil {
		return nil, nil, &FileError{File: ImagesFile, Problem: "is not valid: " + err.Error()}
	}
	if list.Platform != m.Name || list.Version != m.Version || len(list.Images) != len(m.Components) {
		return nil, nil, &FileError{File: ImagesFile, Problem: "does not describe the components of " + ManifestFile}
	}
	for i, img := range list.Images {
		c := m.Components[i]
		if img.Component != c.Name || img.Ref() != c.Ref() {
			return nil, nil, &FileError{File: ImagesFile, Problem: fmt.Sprintf("lists %s %s where %s has %s %s", img.Component, img.Ref(), ManifestFile, c.Name, c.Ref())}
		}
	}
	return m, &list, nil
}

func samePlatformImages(a, b []PlatformImage) bool {
	key := func(ps []PlatformImage) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Platform+"@"+p.Digest)
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(key(a), key(b))
}
