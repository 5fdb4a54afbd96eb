// Package oci is Slipway's intake from OCI registries: it pins an image by
// digest, resolves what the digest is (image or multi-arch index, platforms),
// and checks cosign-compatible signatures against a service's trust policy.
// It also writes such signatures, for demos and tests.
//
// Images are promoted by digest, never by tag, so every entry point takes a
// Reference, which can only be made from "repo@sha256:<64 hex>".
package oci

import (
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// ErrInvalidReference reports input that is not "repo@sha256:<64 hex>".
var ErrInvalidReference = errors.New("invalid image reference")

// Reference is an image pinned by its sha256 digest.
type Reference struct {
	// Repository is the fully qualified repository, e.g.
	// "registry.example.com/team/api" or "index.docker.io/library/alpine".
	Repository string
	// Digest is "sha256:<64 lowercase hex>".
	Digest string
}

// String returns "repository@digest".
func (r Reference) String() string { return r.Repository + "@" + r.Digest }

// Hex returns the digest's hex part.
func (r Reference) Hex() string { return strings.TrimPrefix(r.Digest, "sha256:") }

// name returns the go-containerregistry form of r. insecure lets the
// registry be reached over plain HTTP.
func (r Reference) name(insecure bool) (name.Digest, error) {
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	return name.NewDigest(r.String(), opts...)
}

// ParseReference parses "repo@sha256:<64 hex>". A tag alone is refused:
// tags move, and Slipway promotes the exact bytes that were built and
// signed. A reference with both ("repo:tag@sha256:…") is accepted and the tag
// ignored, because the digest alone decides what is fetched.
func ParseReference(s string) (Reference, error) {
	in := s
	s = strings.TrimSpace(s)
	if s == "" {
		return Reference{}, fmt.Errorf("%w: empty: pass the image as REPO@sha256:<64 hex>", ErrInvalidReference)
	}
	repo, digest, ok := strings.Cut(s, "@")
	if !ok {
		hint := "REPO@sha256:<64 hex>"
		if _, err := name.NewTag(s); err == nil {
			hint = fmt.Sprintf("%s@sha256:<64 hex> (find it with `crane digest %s` or `docker buildx imagetools inspect %s`)", withoutTag(s), s, s)
		}
		return Reference{}, fmt.Errorf("%w %q: it has no digest, and images are promoted by digest: pass %s", ErrInvalidReference, in, hint)
	}
	if err := ValidateDigest(digest); err != nil {
		return Reference{}, fmt.Errorf("%w %q: %v", ErrInvalidReference, in, err)
	}
	if repo == "" {
		return Reference{}, fmt.Errorf("%w %q: no repository before '@': pass REPO@%s", ErrInvalidReference, in, digest)
	}
	d, err := name.NewDigest(repo + "@" + digest)
	if err != nil {
		return Reference{}, fmt.Errorf("%w %q: repository %q: %v: use lowercase letters, digits and . _ - / (e.g. registry.example.com/team/api)", ErrInvalidReference, in, repo, err)
	}
	return Reference{Repository: d.Context().Name(), Digest: d.DigestStr()}, nil
}

// withoutTag strips a ":tag" after the last "/" for use in hints.
func withoutTag(s string) string {
	slash := strings.LastIndex(s, "/")
	if colon := strings.LastIndex(s, ":"); colon > slash {
		return s[:colon]
	}
	return s
}

// ValidateDigest checks that s is "sha256:" followed by exactly 64 lowercase
// hex digits, the only digest form Slipway records.
func ValidateDigest(s string) error {
	alg, hex, ok := strings.Cut(s, ":")
	if !ok {
		return fmt.Errorf("digest %q has no algorithm: expected sha256:<64 lowercase hex>", s)
	}
	if alg != "sha256" {
		if strings.EqualFold(alg, "sha256") {
			return fmt.Errorf("digest %q: algorithm must be lowercase \"sha256\"", s)
		}
		return fmt.Errorf("digest %q uses algorithm %q: only sha256 is accepted (expected sha256:<64 lowercase hex>)", s, alg)
	}
	if len(hex) != 64 {
		return fmt.Errorf("digest %q has %d hex digits, want 64: was it truncated or copied with extra characters?", s, len(hex))
	}
	for i := 0; i < len(hex); i++ {
		c := hex[i]
		switch {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f':
		case 'A' <= c && c <= 'F':
			return fmt.Errorf("digest %q has uppercase hex: digests are lowercase, write %s", s, "sha256:"+strings.ToLower(hex))
		default:
			return fmt.Errorf("digest %q has a non-hex character %q at position %d", s, c, len("sha256:")+i)
		}
	}
	return nil
}
