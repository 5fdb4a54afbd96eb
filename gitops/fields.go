package gitops

import (
	"errors"
	"fmt"
	"strings"
)

// slot is one scalar a pin writes: where it is and what it holds.
type slot struct {
	path  Path
	field field
}

// field is what a scalar holds (a digest, a tag, an image reference...):
// how to compute its new value and how to read the digest back from it.
type field interface {
	// next is the value to write, given the one the file holds now.
	next(current string, w want) (string, error)
	// digestOf reads the digest current holds ("" when it holds none
	// yet). holds is false for fields that never carry a digest (a tag,
	// a repository): they are written but not read back.
	digestOf(current string) (digest string, holds bool, err error)
}

// want is what a promotion writes: the target and the rendered tag.
type want struct {
	Target
	tag string // "" when the pin writes no tag
}

// errField marks a field's own complaint about a value; edit and read
// attach the path and line.
var errField = errors.New("field")

func fieldErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errField, fmt.Sprintf(format, args...))
}

// fieldDetail strips the marker for messages.
func fieldDetail(err error) string {
	return strings.TrimPrefix(err.Error(), errField.Error()+": ")
}

// digestField holds a bare digest: Helm's image.digest, kustomize's digest.
type digestField struct{}

func (digestField) next(_ string, w want) (string, error) { return w.Digest, nil }

func (digestField) digestOf(cur string) (string, bool, error) {
	if cur == "" {
		return "", true, nil
	}
	if !digestRE.MatchString(cur) {
		return "", true, fieldErrorf("the pin holds %q, which is not sha256:<64 lowercase hex>; put the digest there or fix `path:`/`mode:` of the pin", cur)
	}
	return cur, true, nil
}

// imageForm is how an image-reference field is rewritten.
type imageForm int

const (
	// keepTag replaces only the @digest part: repository and tag stay as
	// written (write: image, the older mode: image).
	keepTag imageForm = iota
	// repoDigest writes repo@digest, dropping any tag.
	repoDigest
	// repoTagDigest writes repo:tag@digest with the release's tag.
	repoTagDigest
)

// imageField holds a whole image reference, e.g. a container's image:.
// Its repository must be the service's (so a pin pointing at another
// container is caught); the repository is kept as written.
type imageField struct{ form imageForm }

func (f imageField) next(cur string, w want) (string, error) {
	var ref imageRef
	if cur == "" {
		if w.Image == "" {
			return "", fieldErrorf("the pin is empty and no image repository is known; write the image (e.g. ghcr.io/acme/api:1.2) into the field once")
		}
		ref.name = w.Image
	} else {
		var err error
		if ref, err = parseImageRef(cur); err != nil {
			return "", fieldErrorf("%v", err)
		}
		if w.Image != "" && !sameRepository(ref.name, w.Image) {
			return "", fieldErrorf("the pin holds an image of %s, but the service's image is %s; fix the pin path or the service's image in slipway.yaml", ref.name, w.Image)
		}
	}
	switch f.form {
	case repoDigest:
		ref.tag = ""
	case repoTagDigest:
		ref.tag = w.tag
	}
	ref.digest = w.Digest
	return ref.String(), nil
}

func (imageField) digestOf(cur string) (string, bool, error) {
	if cur == "" {
		return "", true, nil
	}
	ref, err := parseImageRef(cur)
	if err != nil {
		return "", true, fieldErrorf("%v", err)
	}
	if ref.digest == "" {
		return "", true, nil
	}
	if !digestRE.MatchString(ref.digest) {
		return "", true, fieldErrorf("the pin holds %q, whose digest part %q is not sha256:<64 lowercase hex>; put repo:tag@sha256:<digest> there or fix the pin", cur, ref.digest)
	}
	return ref.digest, true, nil
}

// tagDigestField holds tag@digest in one field: Helm's image.tag read by
// charts that print repository:tag, or a kustomize newTag.
type tagDigestField struct{}

func (tagDigestField) next(_ string, w want) (string, error) { return w.tag + "@" + w.Digest, nil }

func (tagDigestField) digestOf(cur string) (string, bool, error) {
	at := strings.LastIndexByte(cur, '@')
	if at < 0 {
		return "", true, nil // a plain tag: never pinned by digest
	}
	if d := cur[at+1:]; !digestRE.MatchString(d) || at == 0 {
		return "", true, fieldErrorf("the pin holds %q, which is not tag@sha256:<64 lowercase hex>; put tag@digest there or fix the pin", cur)
	}
	return cur[at+1:], true, nil
}

// tagField holds the image tag alone.
type tagField struct{}

func (tagField) next(_ string, w want) (string, error) { return w.tag, nil }

func (tagField) digestOf(string) (string, bool, error) { return "", false, nil }

// repositoryField holds the repository: the whole image (ghcr.io/acme/api)
// or, beside a registry field, the part below the registry (acme/api).
type repositoryField struct{ belowRegistry bool }

func (f repositoryField) next(_ string, w want) (string, error) {
	if w.Image == "" {
		return "", fieldErrorf("the service's image repository is unknown, so it cannot be written")
	}
	if f.belowRegistry {
		_, repo := splitRegistry(w.Image)
		return repo, nil
	}
	return w.Image, nil
}

func (repositoryField) digestOf(string) (string, bool, error) { return "", false, nil }

// registryField holds the registry host (docker.io, ghcr.io), as the
// Bitnami charts' image.registry does.
type registryField struct{}

func (registryField) next(_ string, w want) (string, error) {
	if w.Image == "" {
		return "", fieldErrorf("the service's image repository is unknown, so its registry cannot be written")
	}
	registry, _ := splitRegistry(w.Image)
	return registry, nil
}

func (registryField) digestOf(string) (string, bool, error) { return "", false, nil }
