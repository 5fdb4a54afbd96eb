package gitops

import (
	"fmt"
	"slices"
)

// Kustomize pins one entry of a kustomization's images: list, the way
// kustomize's image transformer reads it (kustomize v4.5.4 and later):
//
//	newTag and digest -> name:newTag@digest
//	digest only       -> name@digest (any tag of the base is dropped)
//	newTag only       -> name:newTag
//
// with newName, when set, replacing the name.
type Kustomize struct {
	// Name selects the entry by its name:, the image name the base
	// manifests use. Default: the service's image.
	Name string `yaml:"name,omitempty"`
}

func init() { register(func() Format { return &Kustomize{} }) }

func (*Kustomize) kind() string    { return "kustomize" }
func (*Kustomize) keys() []string  { return []string{"name"} }
func (*Kustomize) fixHint() string { return "fix name: of the pin in slipway.yaml" }

func (*Kustomize) writes() writeRule {
	return writeRule{choices: []string{"digest", "newTag", "newName", "tag@digest"}, def: Write{"digest"}}
}

func (k *Kustomize) check(p *Pin) error {
	w := effectiveWrite(p, k)
	hasDigest, hasTagDigest := slices.Contains(w, "digest"), slices.Contains(w, "tag@digest")
	switch {
	case !hasDigest && !hasTagDigest:
		return &ConfigError{Key: "write", Msg: "a kustomize pin writes the digest: add digest (or tag@digest, for a newTag holding tag@digest) to write:"}
	case hasDigest && hasTagDigest:
		return &ConfigError{Key: "write", Msg: "digest and tag@digest both carry the digest, and kustomize would join them into name:tag@digest@digest; keep one"}
	case hasTagDigest && slices.Contains(w, "newTag"):
		return &ConfigError{Key: "write", Msg: "newTag and tag@digest both write newTag; keep tag@digest (newTag: 1.4.2@sha256:...) or newTag with digest"}
	}
	return nil
}

// kustomizeWrites maps each word of write: to the entry's key and content.
var kustomizeWrites = map[string]struct {
	key   string
	field field
}{
	"digest":     {"digest", digestField{}},
	"newTag":     {"newTag", tagField{}},
	"newName":    {"newName", repositoryField{}},
	"tag@digest": {"newTag", tagDigestField{}},
}

func (k *Kustomize) fields(p *Pin, t Target, v view) ([]slot, error) {
	name := k.Name
	if name == "" {
		name = t.Image
	}
	if name == "" {
		return nil, &ConfigError{Key: "name", Msg: "a kustomize pin without name: selects its images entry by the service's image, which is not known here; set name:"}
	}
	entry := []Step{{Kind: KeyStep, Key: "images"}, {Kind: SelectStep, Match: []Condition{{Field: []string{"name"}, Value: name}}}}
	w := effectiveWrite(p, k)
	if err := k.conflicts(w, entry, v); err != nil {
		return nil, err
	}
	var slots []slot
	for _, word := range w {
		kw := kustomizeWrites[word]
		slots = append(slots, slot{path: Path{Doc: v.doc, Steps: join(entry, keyPath(kw.key))}, field: kw.field})
	}
	return slots, nil
}

// conflicts refuses an entry whose other fields would change what the
// written digest means once kustomize renders it.
func (k *Kustomize) conflicts(w Write, entry []Step, v view) error {
	conflict := func(key, detail string, args ...any) error {
		path := Path{Doc: v.doc, Steps: join(entry, keyPath(key))}
		line := 0
		if n := v.node(path.Steps...); n != nil {
			line = n.Line
		}
		return &PathError{Path: path.String(), Found: path.String(), Line: line, Err: ErrConflict, Detail: fmt.Sprintf(detail, args...)}
	}
	writesNewTag := slices.Contains(w, "newTag") || slices.Contains(w, "tag@digest")
	if tag := v.scalar(join(entry, keyPath("newTag"))...); tag != "" && !writesNewTag {
		return conflict("newTag", "the entry holds newTag: %s and the pin writes only the digest, so kustomize would render name:%s@<new digest>, a tag that names another build; add newTag to write: (the pin then writes the release's tag), or delete the newTag line", tag, tag)
	}
	if d := v.scalar(join(entry, keyPath("digest"))...); d != "" && slices.Contains(w, "tag@digest") {
		return conflict("digest", "the entry holds digest: %s and the pin writes tag@digest into newTag, so kustomize would render name:tag@digest@digest; delete the digest line or write digest instead of tag@digest", d)
	}
	return nil
}
