package gitops

import (
	"fmt"
	"regexp"
	"strings"
)

// digestRE is the only digest form a pin accepts: what registries return
// for OCI images today. Anything else in a digest pin is a typo or a tag.
var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// ValidateDigest returns an ErrInvalidValue error unless d is
// sha256:<64 lowercase hex>.
func ValidateDigest(d string) error {
	if digestRE.MatchString(d) {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrInvalidValue, digestProblem(d))
}

func digestProblem(d string) string {
	return fmt.Sprintf("%q is not an image digest of the form sha256:<64 lowercase hex>; pass the digest the registry reports for the image (e.g. `crane digest <image>`)", d)
}

// imageRef is an image reference split into the parts an image-mode pin
// touches: name (registry and repository), tag and digest. The tag stays
// as written; only the digest changes.
type imageRef struct {
	name, tag, digest string
}

// parseImageRef splits "registry/repo[:tag][@algo:hex]". It only checks
// what it must to replace the digest safely: a name, no whitespace, at most
// one '@'.
func parseImageRef(s string) (imageRef, error) {
	var r imageRef
	if s == "" || strings.ContainsAny(s, " \t\r\n") {
		return r, fmt.Errorf("%q is not an image reference such as ghcr.io/acme/api:1.2@sha256:...", s)
	}
	rest := s
	if at := strings.IndexByte(s, '@'); at >= 0 {
		rest, r.digest = s[:at], s[at+1:]
		if strings.IndexByte(r.digest, '@') >= 0 || r.digest == "" {
			return r, fmt.Errorf("image reference %q has a malformed digest part; write repo[:tag]@sha256:<hex>", s)
		}
	}
	r.name = rest
	if colon := strings.LastIndexByte(rest, ':'); colon > strings.LastIndexByte(rest, '/') {
		r.name, r.tag = rest[:colon], rest[colon+1:]
		if r.tag == "" {
			return r, fmt.Errorf("image reference %q has an empty tag after ':'", s)
		}
	}
	if r.name == "" {
		return r, fmt.Errorf("image reference %q has no repository", s)
	}
	return r, nil
}

func (r imageRef) String() string {
	s := r.name
	if r.tag != "" {
		s += ":" + r.tag
	}
	if r.digest != "" {
		s += "@" + r.digest
	}
	return s
}
