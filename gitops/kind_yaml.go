package gitops

import "fmt"

// yamlKind pins one scalar at a YAML path in any file: a Helm value, a
// container's image: in a manifest, a field of a custom resource. Its
// options are Pin.Path and Pin.Mode (or Write).
type yamlKind struct{}

func init() { register(func() Format { return yamlKind{} }) }

func (yamlKind) kind() string    { return kindYAML }
func (yamlKind) keys() []string  { return []string{"path", "mode"} }
func (yamlKind) fixHint() string { return fixPathHint }

// The words of write: for kind yaml, each a way to fill one scalar.
var yamlWrites = map[string]field{
	"digest":          digestField{},
	"image":           imageField{form: keepTag},
	"repo@digest":     imageField{form: repoDigest},
	"repo:tag@digest": imageField{form: repoTagDigest},
	"tag@digest":      tagDigestField{},
}

func (yamlKind) writes() writeRule {
	return writeRule{
		choices: []string{"digest", "image", "repo@digest", "repo:tag@digest", "tag@digest"},
		def:     Write{"digest"},
		single:  true,
	}
}

func (yamlKind) check(p *Pin) error {
	if p.Path == "" {
		return &ConfigError{Key: "path", Msg: "a yaml pin needs path:, the YAML path of the field, e.g. image.digest"}
	}
	path, err := ParsePath(p.Path)
	if err != nil {
		return &ConfigError{Key: "path", Msg: err.Error()}
	}
	if p.Document != nil && path.Doc != nil {
		return &ConfigError{Key: "document", Msg: fmt.Sprintf("path: %s starts with a document selector and document: chooses one too; keep one of them", p.Path)}
	}
	switch p.Mode {
	case "", ModeDigest, ModeImage:
	default:
		return &ConfigError{Key: "mode", Msg: fmt.Sprintf("pin mode %q is unknown; use mode: digest (the field holds sha256:...) or mode: image (the field holds repo:tag@sha256:...)", p.Mode)}
	}
	if p.Mode != "" && len(p.Write) > 0 {
		return &ConfigError{Key: "mode", Msg: "mode: is the older spelling of write:; keep only write: (mode: image is write: image)"}
	}
	return nil
}

func (k yamlKind) fields(p *Pin, _ Target, v view) ([]slot, error) {
	path, err := ParsePath(p.Path)
	if err != nil {
		return nil, err
	}
	if path.Doc == nil {
		path.Doc = v.doc
	}
	word := string(p.Mode)
	if len(p.Write) > 0 {
		word = p.Write[0]
	}
	if word == "" {
		word = k.writes().def[0]
	}
	f, ok := yamlWrites[word]
	if !ok {
		return nil, &ConfigError{Key: "write", Msg: fmt.Sprintf("%q is not something a yaml pin writes", word)}
	}
	return []slot{{path: path, field: f}}, nil
}
