package gitops

import (
	"fmt"
	"path"
	"strings"
)

// Mode says what kind of scalar a pin holds.
type Mode string

const (
	// ModeDigest: the scalar is a bare digest, sha256:<hex> (Helm values
	// image.digest, kustomize images[name=...].digest). The default.
	ModeDigest Mode = "digest"
	// ModeImage: the scalar is a whole image reference; only its
	// @sha256:<hex> part is replaced or appended, repository and tag stay.
	ModeImage Mode = "image"
)

// Pin is where the GitOps repository records the digest an environment runs
// for a service. It is written by people in slipway.yaml and read by the
// promotion step that edits the GitOps checkout.
type Pin struct {
	// File is the pin file, relative to the GitOps repository root, with
	// the placeholders {service} and {env}, e.g.
	// envs/{env}/{service}/values.yaml.
	File string `yaml:"file"`
	// Path is the YAML path of the scalar in File; see ParsePath.
	Path string `yaml:"path"`
	// Mode is digest (default when empty) or image.
	Mode Mode `yaml:"mode,omitempty"`
}

// Validate checks the pin as configured, before any file is read, so that
// a typo in slipway.yaml fails at load time rather than at promotion time.
func (p Pin) Validate() error {
	if _, err := p.mode(); err != nil {
		return err
	}
	if _, err := ParsePath(p.Path); err != nil {
		return fmt.Errorf("pin path: %w", err)
	}
	if _, err := p.Render("service", "env"); err != nil {
		return err
	}
	return nil
}

func (p Pin) mode() (Mode, error) {
	switch p.Mode {
	case "", ModeDigest:
		return ModeDigest, nil
	case ModeImage:
		return ModeImage, nil
	}
	return "", fmt.Errorf("pin mode %q is unknown; use mode: digest (the field holds sha256:...) or mode: image (the field holds repo:tag@sha256:...)", p.Mode)
}

// Render fills the placeholders of File and returns a clean path relative
// to the GitOps repository root. It refuses names that would escape the
// checkout (absolute paths, ".." segments), because the path comes from
// configuration and the edit writes to disk.
func (p Pin) Render(service, env string) (string, error) {
	for _, v := range []struct{ name, value string }{{"service", service}, {"env", env}} {
		if v.value == "" || strings.ContainsAny(v.value, "/\\\x00") || v.value == "." || v.value == ".." {
			return "", fmt.Errorf("pin file %q: %s name %q cannot be used in a file path; use a name without '/', '\\' or dots only", p.File, v.name, v.value)
		}
	}
	rendered, err := fillTemplate(p.File, map[string]string{"service": service, "env": env})
	if err != nil {
		return "", err
	}
	return checkRelative(p.File, rendered)
}

// fillTemplate replaces {name} placeholders; an unknown or unclosed
// placeholder is an error, never left in the path.
func fillTemplate(tmpl string, vars map[string]string) (string, error) {
	var b strings.Builder
	rest := tmpl
	for {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			if strings.IndexByte(rest, '}') >= 0 {
				return "", fmt.Errorf("pin file %q has a '}' without '{'; placeholders are {service} and {env}", tmpl)
			}
			b.WriteString(rest)
			return b.String(), nil
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return "", fmt.Errorf("pin file %q has an unclosed '{'; placeholders are {service} and {env}", tmpl)
		}
		name := rest[open+1 : open+end]
		v, ok := vars[name]
		if !ok {
			return "", fmt.Errorf("pin file %q uses the unknown placeholder {%s}; placeholders are {service} and {env}", tmpl, name)
		}
		if strings.IndexByte(rest[:open], '}') >= 0 {
			return "", fmt.Errorf("pin file %q has a '}' without '{'; placeholders are {service} and {env}", tmpl)
		}
		b.WriteString(rest[:open])
		b.WriteString(v)
		rest = rest[open+end+1:]
	}
}

// checkRelative refuses rendered names that point outside the repository.
func checkRelative(tmpl, rendered string) (string, error) {
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("pin file %q renders to %q, which %s; write a path relative to the GitOps repository root, e.g. envs/{env}/{service}/values.yaml", tmpl, rendered, why)
	}
	switch {
	case rendered == "":
		return bad("is empty")
	case strings.ContainsAny(rendered, "\\\x00"):
		return bad("contains a backslash or NUL")
	case strings.HasPrefix(rendered, "/"):
		return bad("is absolute")
	case len(rendered) >= 2 && rendered[1] == ':':
		return bad("looks like a Windows drive path")
	}
	for _, seg := range strings.Split(rendered, "/") {
		if seg == ".." {
			return bad("has a '..' segment")
		}
	}
	clean := path.Clean(rendered)
	if clean == "." {
		return bad("names the repository root, not a file")
	}
	return clean, nil
}

// Apply writes digest into the pin's scalar in content according to the
// mode. In image mode the scalar's repository must equal imageRepo when
// imageRepo is set (so a pin pointing at another service's image is caught),
// and an empty scalar becomes imageRepo@digest. imageRepo is unused in
// digest mode. changed is false (and out is content) when the pin already
// holds the digest.
func (p Pin) Apply(content []byte, digest, imageRepo string) (out []byte, changed bool, err error) {
	mode, err := p.mode()
	if err != nil {
		return nil, false, err
	}
	if !digestRE.MatchString(digest) {
		return nil, false, &PathError{Path: p.Path, Err: ErrInvalidValue, Detail: digestProblem(digest)}
	}
	if mode == ModeDigest {
		return Set(content, p.Path, digest)
	}
	current, err := Get(content, p.Path)
	if err != nil {
		return nil, false, err
	}
	value, err := p.imageWithDigest(current, digest, imageRepo)
	if err != nil {
		return nil, false, err
	}
	return Set(content, p.Path, value)
}

// imageWithDigest computes the new image reference for image mode.
func (p Pin) imageWithDigest(current, digest, imageRepo string) (string, error) {
	invalid := func(format string, args ...any) (string, error) {
		return "", &PathError{Path: p.Path, Err: ErrInvalidValue, Detail: fmt.Sprintf(format, args...)}
	}
	if current == "" {
		if imageRepo == "" {
			return invalid("the pin is empty and no image repository is known; write the image (e.g. ghcr.io/acme/api:1.2) into the field once")
		}
		return imageRepo + "@" + digest, nil
	}
	ref, err := parseImageRef(current)
	if err != nil {
		return invalid("%v", err)
	}
	if imageRepo != "" && ref.name != imageRepo {
		return invalid("the pin holds an image of %s, but the service's image is %s; fix the pin path or the service's image in slipway.yaml", ref.name, imageRepo)
	}
	ref.digest = digest
	return ref.String(), nil
}

// Current returns the digest the pin holds in content, "" when the pin is
// empty (never promoted). A pin holding something that is not a digest is
// an error, so a hand-edited tag is noticed rather than treated as "empty".
func (p Pin) Current(content []byte) (string, error) {
	mode, err := p.mode()
	if err != nil {
		return "", err
	}
	v, err := Get(content, p.Path)
	if err != nil || v == "" {
		return "", err
	}
	digest := v
	if mode == ModeImage {
		ref, err := parseImageRef(v)
		if err != nil {
			return "", &PathError{Path: p.Path, Err: ErrInvalidValue, Detail: err.Error()}
		}
		if ref.digest == "" {
			return "", nil
		}
		digest = ref.digest
	}
	if !digestRE.MatchString(digest) {
		return "", &PathError{Path: p.Path, Err: ErrInvalidValue,
			Detail: fmt.Sprintf("the pin holds %q, which is not sha256:<64 lowercase hex>; put the digest there or fix `path:`/`mode:` of the pin", v)}
	}
	return digest, nil
}
