package gitops

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"strings"
)

// Mode is the older spelling of a yaml pin's write: what kind of scalar
// the pin holds.
type Mode string

const (
	// ModeDigest: the scalar is a bare digest, sha256:<hex> (Helm values
	// image.digest, kustomize images[name=...].digest). The default.
	ModeDigest Mode = "digest"
	// ModeImage: the scalar is a whole image reference; only its
	// @sha256:<hex> part is replaced or appended, repository and tag stay.
	ModeImage Mode = "image"
)

// Pin is one place in the GitOps repository that records the image an
// environment runs for a service. People write it in slipway.yaml; the
// promotion step that edits the GitOps checkout reads it.
//
// Kind names the pin's format (yaml, kustomize, helm, argocd; see Kinds),
// and Spec holds that format's own options. The keys every kind shares are
// fields of Pin; Path and Mode belong to kind yaml, the default, and stay
// on Pin because a single `pin:` has always been written that way.
type Pin struct {
	// Kind is the format: "" or "yaml" (a path to one scalar), "kustomize",
	// "helm" or "argocd".
	Kind string `yaml:"kind,omitempty"`
	// File is the pin file, relative to the GitOps repository root, with
	// the placeholders {service} and {env}, e.g.
	// envs/{env}/{service}/values.yaml.
	File string `yaml:"file"`
	// Document chooses one document of a multi-document file by kind and
	// metadata.name; nil means the file's only document (or the one
	// document where the pin's fields exist).
	Document *Document `yaml:"document,omitempty"`
	// Path is the YAML path of the scalar in File (kind yaml); see ParsePath.
	Path string `yaml:"path,omitempty"`
	// Mode is digest or image (kind yaml): the older spelling of Write.
	Mode Mode `yaml:"mode,omitempty"`
	// Write says what the pin writes; each kind lists its choices and
	// default (docs/pins.md). A single word or a list.
	Write Write `yaml:"write,omitempty"`
	// TagFormat renders the image tag written where Write asks for one,
	// from {version}, {commit} and {shortCommit}; default {version}.
	TagFormat string `yaml:"tagFormat,omitempty"`
	// Spec holds the options of Kind beyond the shared ones: *Kustomize,
	// *Helm or *ArgoCD; nil means the kind's defaults.
	Spec Format `yaml:"-"`
}

// Document chooses one document of a multi-document YAML file.
type Document struct {
	// Kind must equal the document's kind, e.g. Deployment.
	Kind string `yaml:"kind,omitempty"`
	// Name must equal the document's metadata.name; {service} and {env}
	// are replaced, so one environment-wide pin can name each service's
	// document (name: "{service}-{env}").
	Name string `yaml:"name,omitempty"`
}

// selector renders the document selector as a path step; nil for none.
func (d *Document) selector(t Target) (*Step, error) {
	if d == nil {
		return nil, nil
	}
	st := &Step{Kind: SelectStep}
	if d.Kind != "" {
		st.Match = append(st.Match, Condition{Field: []string{"kind"}, Value: d.Kind})
	}
	if d.Name != "" {
		name, err := expandNames("document name", d.Name, t)
		if err != nil {
			return nil, err
		}
		st.Match = append(st.Match, Condition{Field: []string{"metadata", "name"}, Value: name})
	}
	return st, nil
}

// expandNames fills {service} and {env} in a name from configuration.
func expandNames(what, tmpl string, t Target) (string, error) {
	if !strings.ContainsAny(tmpl, "{}") {
		return tmpl, nil
	}
	if t.Service == "" || t.Env == "" {
		return "", fmt.Errorf("%s %q names the service and environment, which are not known here; read the pin through a PinSet", what, tmpl)
	}
	return fillTemplate(what, tmpl, fileVars, map[string]string{"service": t.Service, "env": t.Env})
}

// sampleTarget checks templates at load time.
var sampleTarget = Target{Service: "service", Env: "env"}

// IsZero reports an unset pin (no key written), so configuration can tell
// `pin:` from `pins:`.
func (p Pin) IsZero() bool {
	return p.Kind == "" && p.File == "" && p.Document == nil && p.Path == "" &&
		p.Mode == "" && len(p.Write) == 0 && p.TagFormat == "" && p.Spec == nil
}

// kind is the pin's kind name with the default filled in.
func (p Pin) kind() string {
	if p.Kind == "" {
		return kindYAML
	}
	return p.Kind
}

// format returns the pin's format: its Spec, or the kind's defaults.
func (p Pin) format() (Format, error) {
	newSpec, ok := kinds[p.kind()]
	if !ok {
		return nil, &ConfigError{Key: "kind", Msg: fmt.Sprintf("%q is not a pin kind; use one of %s", p.Kind, strings.Join(Kinds(), ", "))}
	}
	if p.Spec != nil {
		if p.Spec.kind() != p.kind() {
			return nil, &ConfigError{Key: "kind", Msg: fmt.Sprintf("the pin is kind %s but its options are those of kind %s", p.kind(), p.Spec.kind())}
		}
		return p.Spec, nil
	}
	return newSpec(), nil
}

// Validate checks the pin as configured, before any file is read, so that
// a typo in slipway.yaml fails at load time rather than at promotion time.
// Errors are *ConfigError naming the key to fix.
func (p Pin) Validate() error {
	f, err := p.format()
	if err != nil {
		return err
	}
	if p.kind() != kindYAML && (p.Path != "" || p.Mode != "") {
		return &ConfigError{Key: "path", Msg: fmt.Sprintf("path: and mode: belong to kind yaml; a %s pin does not take them (see docs/pins.md)", p.kind())}
	}
	if d := p.Document; d != nil && d.Kind == "" && d.Name == "" {
		return &ConfigError{Key: "document", Msg: "document: needs kind:, name: or both, e.g. {kind: Deployment, name: api}"}
	}
	if _, err := p.Document.selector(sampleTarget); err != nil {
		return &ConfigError{Key: "document.name", Msg: err.Error()}
	}
	if err := checkWrite(p.Write, f.writes()); err != nil {
		return err
	}
	if err := f.check(&p); err != nil {
		return err
	}
	if err := checkTagFormat(p, f); err != nil {
		return err
	}
	// The file last: the single-file helpers (Apply, Current) skip this
	// one error for pins built in Go without a file.
	if p.File == "" {
		return &ConfigError{Key: "file", Msg: "a pin needs file:, the file relative to the GitOps repository root, e.g. envs/{env}/{service}/values.yaml"}
	}
	if _, err := p.Render("service", "env"); err != nil {
		return &ConfigError{Key: "file", Msg: err.Error()}
	}
	return nil
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
	rendered, err := fillTemplate("pin file", p.File, fileVars, map[string]string{"service": service, "env": env})
	if err != nil {
		return "", err
	}
	return checkRelative(p.File, rendered)
}

// fileVars are the placeholders of a pin's file, in the order messages list them.
var fileVars = []string{"service", "env"}

// fillTemplate replaces {name} placeholders; an unknown or unclosed
// placeholder is an error, never left in the result. what names the
// template in messages ("pin file", "tagFormat"); names lists the
// placeholders it accepts.
func fillTemplate(what, tmpl string, names []string, vars map[string]string) (string, error) {
	known := placeholderList(names)
	var b strings.Builder
	rest := tmpl
	for {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			if strings.IndexByte(rest, '}') >= 0 {
				return "", fmt.Errorf("%s %q has a '}' without '{'; placeholders are %s", what, tmpl, known)
			}
			b.WriteString(rest)
			return b.String(), nil
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return "", fmt.Errorf("%s %q has an unclosed '{'; placeholders are %s", what, tmpl, known)
		}
		name := rest[open+1 : open+end]
		v, ok := vars[name]
		if !ok {
			return "", fmt.Errorf("%s %q uses the unknown placeholder {%s}; placeholders are %s", what, tmpl, name, known)
		}
		if strings.IndexByte(rest[:open], '}') >= 0 {
			return "", fmt.Errorf("%s %q has a '}' without '{'; placeholders are %s", what, tmpl, known)
		}
		b.WriteString(rest[:open])
		b.WriteString(v)
		rest = rest[open+end+1:]
	}
}

// placeholderList writes "{a}, {b} and {c}".
func placeholderList(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = "{" + n + "}"
	}
	if len(quoted) == 1 {
		return quoted[0]
	}
	return strings.Join(quoted[:len(quoted)-1], ", ") + " and " + quoted[len(quoted)-1]
}

// checkRelative refuses rendered names that point outside the repository.
func checkRelative(tmpl, rendered string) (string, error) {
	clean, why := relativePath(rendered)
	if why != "" {
		return "", fmt.Errorf("pin file %q renders to %q, which %s; write a path relative to the GitOps repository root, e.g. envs/{env}/{service}/values.yaml", tmpl, rendered, why)
	}
	return clean, nil
}

// relativePath cleans a slash-separated path that must stay inside a
// repository; why says what is wrong with it ("" when nothing is).
func relativePath(rel string) (clean, why string) {
	switch {
	case rel == "":
		return "", "is empty"
	case strings.ContainsAny(rel, "\\\x00"):
		return "", "contains a backslash or NUL"
	case strings.HasPrefix(rel, "/"):
		return "", "is absolute"
	case len(rel) >= 2 && rel[1] == ':':
		return "", "looks like a Windows drive path"
	}
	for _, seg := range strings.Split(rel, "/") {
		if seg == ".." {
			return "", "has a '..' segment"
		}
	}
	clean = path.Clean(rel)
	if clean == "." {
		return "", "names the repository root, not a file"
	}
	return clean, ""
}

// Apply writes digest into the pin in content, one file's worth of a
// PinSet.Apply kept for callers that edit a single file. In image modes
// the scalar's repository must be imageRepo when imageRepo is set (so a
// pin pointing at another service's image is caught), and an empty scalar
// becomes imageRepo@digest. A pin that writes a tag cannot be applied
// here (there is no release version): use PinSet.Apply. changed is false
// (and out is content) when the pin already holds the digest.
func (p Pin) Apply(content []byte, digest, imageRepo string) (out []byte, changed bool, err error) {
	if err := p.Validate(); err != nil && !isFileError(err) {
		return nil, false, err
	}
	if !digestRE.MatchString(digest) {
		return nil, false, &PathError{Path: p.Path, Err: ErrInvalidValue, Detail: digestProblem(digest)}
	}
	out, err = p.apply(content, Target{Image: imageRepo, Digest: digest})
	if err != nil {
		return nil, false, unwrapPinError(err)
	}
	return out, !bytes.Equal(out, content), nil
}

// Current returns the digest the pin holds in content, "" when the pin is
// empty (never promoted). A pin holding something that is not a digest is
// an error, so a hand-edited tag is noticed rather than treated as "empty".
// imageRepo is not needed by kind yaml, helm and argocd pins; a kustomize
// pin without name: selects its entry by the service's image, so use
// PinSet.Current for it.
func (p Pin) Current(content []byte) (string, error) {
	if err := p.Validate(); err != nil && !isFileError(err) {
		return "", err
	}
	readings, err := p.read(content, Target{})
	if err != nil {
		return "", unwrapPinError(err)
	}
	return agree(readings, "", "")
}

// isFileError: the single-file helpers are called with pins built in Go
// without File; only the content matters to them.
func isFileError(err error) bool {
	var ce *ConfigError
	return errors.As(err, &ce) && ce.Key == "file"
}

// unwrapPinError returns what a *PinError wraps, for the single-file
// helpers whose callers add the file name themselves (SetFile).
func unwrapPinError(err error) error {
	var pe *PinError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
