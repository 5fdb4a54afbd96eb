package gitops

import (
	"fmt"
	"slices"
	"strings"
)

// Helm pins the image block of a Helm values file:
//
//	image:
//	  registry: ghcr.io        # Bitnami-style charts only
//	  repository: acme/api
//	  tag: "1.4.2"
//	  digest: sha256:...
//
// or, for charts that print repository:tag, tag: "1.4.2@sha256:..." in
// one field.
type Helm struct {
	HelmImage `yaml:",inline"`
}

func init() { register(func() Format { return &Helm{} }) }

func (*Helm) kind() string         { return "helm" }
func (*Helm) keys() []string       { return []string{"image", "keys"} }
func (*Helm) fixHint() string      { return "fix image: or keys: of the pin in slipway.yaml" }
func (*Helm) writes() writeRule    { return helmWriteRule }
func (h *Helm) check(p *Pin) error { return h.checkImage(p, h, true) }

func (h *Helm) fields(p *Pin, _ Target, v view) ([]slot, error) {
	base, err := h.imageSteps()
	if err != nil {
		return nil, err
	}
	at := func(key string) []Step { return join(base, keyPath(key)) }
	return h.slots(effectiveWrite(p, h), at, v)
}

// HelmImage is the image block of Helm values and its options, shared by
// kinds helm (a values file) and argocd (an Application's parameters or
// valuesObject).
type HelmImage struct {
	// Image is where the image block is: the values path of its mapping
	// (helm, argocd valuesObject) or the prefix of its parameter names
	// (argocd parameters). Default: image.
	Image string `yaml:"image,omitempty"`
	// Keys renames the block's fields for charts that name them
	// otherwise, e.g. {tag: version}. The fields are registry,
	// repository, tag and digest.
	Keys map[string]string `yaml:"keys,omitempty"`
}

// helmRoles are the fields of an image block, by their default key.
var helmRoles = []string{"registry", "repository", "tag", "digest"}

var helmWriteRule = writeRule{choices: []string{"registry", "repository", "tag", "digest", "tag@digest"}, def: Write{"digest"}}

const defaultHelmImage = "image"

func (h HelmImage) imagePath() string {
	if h.Image == "" {
		return defaultHelmImage
	}
	return h.Image
}

// imageSteps parses Image as a values path.
func (h HelmImage) imageSteps() ([]Step, error) {
	p, err := ParsePath(h.imagePath())
	if err != nil {
		return nil, &ConfigError{Key: "image", Msg: err.Error()}
	}
	if p.Doc != nil {
		return nil, &ConfigError{Key: "image", Msg: "image: is a path inside the values; choose the document with document: {kind: ..., name: ...}"}
	}
	return p.Steps, nil
}

// key is the chart's key for a role.
func (h HelmImage) key(role string) string {
	if k, ok := h.Keys[role]; ok {
		return k
	}
	return role
}

// roleOf is the field a word of write: fills: tag@digest goes in the tag.
func roleOf(word string) string {
	if word == "tag@digest" {
		return "tag"
	}
	return word
}

// checkImage validates write: and the options; asPath says Image is a
// values path rather than a parameter prefix.
func (h HelmImage) checkImage(p *Pin, f Format, asPath bool) error {
	w := effectiveWrite(p, f)
	switch {
	case !slices.Contains(w, "digest") && !slices.Contains(w, "tag@digest"):
		return &ConfigError{Key: "write", Msg: "the pin must write the digest: add digest (or tag@digest, for a tag field holding 1.4.2@sha256:...) to write:"}
	case slices.Contains(w, "tag") && slices.Contains(w, "tag@digest"):
		return &ConfigError{Key: "write", Msg: "tag and tag@digest both write the tag field; keep one"}
	}
	for role, key := range h.Keys {
		if !slices.Contains(helmRoles, role) {
			return &ConfigError{Key: "keys", Msg: fmt.Sprintf("%q is not a field of an image block; keys: renames %s", role, strings.Join(helmRoles, ", "))}
		}
		if key == "" || strings.ContainsAny(key, " \t\n") {
			return &ConfigError{Key: "keys." + role, Msg: fmt.Sprintf("%q is not a key; write the chart's key for the %s, e.g. keys: {%s: image%s}", key, role, role, strings.ToUpper(role[:1])+role[1:])}
		}
	}
	byKey := map[string]string{}
	for _, word := range w {
		key := h.key(roleOf(word))
		if other, dup := byKey[key]; dup {
			return &ConfigError{Key: "keys", Msg: fmt.Sprintf("%s and %s would both be written to the key %q; rename one in keys:", other, word, key)}
		}
		byKey[key] = word
	}
	if !asPath {
		if strings.ContainsAny(h.imagePath(), " \t\n") {
			return &ConfigError{Key: "image", Msg: fmt.Sprintf("%q is not a parameter name prefix such as image or api.image", h.Image)}
		}
		return nil
	}
	_, err := h.imageSteps()
	return err
}

// fieldFor is what the scalar of a write: word holds.
func fieldFor(word string, w Write) field {
	switch word {
	case "digest":
		return digestField{}
	case "tag":
		return tagField{}
	case "tag@digest":
		return tagDigestField{}
	case "registry":
		return registryField{}
	}
	return repositoryField{belowRegistry: slices.Contains(w, "registry")}
}

// slots lists the scalars of the block; at maps a key of the block to its
// path from the document root.
func (h HelmImage) slots(w Write, at func(key string) []Step, v view) ([]slot, error) {
	if slices.Contains(w, "repository") && !slices.Contains(w, "registry") {
		if reg := v.scalar(at(h.key("registry"))...); reg != "" {
			path := Path{Doc: v.doc, Steps: at(h.key("registry"))}
			line := 0
			if n := v.node(path.Steps...); n != nil {
				line = n.Line
			}
			return nil, &PathError{Path: path.String(), Found: path.String(), Line: line, Err: ErrConflict,
				Detail: fmt.Sprintf("the block holds a registry (%s) that the chart puts in front of the repository, so writing the whole image into the repository would name %s/<image>; add registry to write:", reg, reg)}
		}
	}
	slots := make([]slot, 0, len(w))
	for _, word := range w {
		slots = append(slots, slot{path: Path{Doc: v.doc, Steps: at(h.key(roleOf(word)))}, field: fieldFor(word, w)})
	}
	return slots, nil
}
