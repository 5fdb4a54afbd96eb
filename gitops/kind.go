package gitops

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Format is one kind of pin. It turns a pin's configuration and a target
// into the scalars to write, each with what it holds. Every kind is a
// small type registered by name in kinds, so a new format is a new type,
// not a new branch in a switch.
type Format interface {
	// kind is the name the format is registered under.
	kind() string
	// keys lists the format's own keys in slipway.yaml, beyond the keys
	// every pin has (kind, file, document, write, tagFormat).
	keys() []string
	// fixHint names the keys that choose the fields, for "not found"
	// messages: "fix name: of the pin in slipway.yaml".
	fixHint() string
	// writes says what write: may hold for this kind.
	writes() writeRule
	// check validates the format's options in p, before any file is read.
	check(p *Pin) error
	// fields lists the scalars p writes for t. v shows the file's
	// documents, for kinds whose layout decides the path (an Argo CD
	// Application's source or sources) or where a value elsewhere in the
	// file would contradict the pin (a kustomize newTag left behind).
	fields(p *Pin, t Target, v view) ([]slot, error)
}

// kinds is the registry of pin formats by name.
var kinds = map[string]func() Format{}

const kindYAML = "yaml"

// register adds a format; called from the init of each kind's file.
func register(newSpec func() Format) {
	name := newSpec().kind()
	if _, dup := kinds[name]; dup {
		panic("gitops: pin kind " + name + " registered twice")
	}
	kinds[name] = newSpec
}

// Kinds lists the registered pin kinds, sorted.
func Kinds() []string {
	names := make([]string, 0, len(kinds))
	for n := range kinds {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// commonKeys are the keys of every pin, whatever its kind.
var commonKeys = []string{"kind", "file", "document", "write", "tagFormat"}

// KindKeys lists the keys a pin of kind may have in slipway.yaml: the
// shared ones, then the kind's own. Nil for an unknown kind. The JSON
// schema of slipway.yaml is tested against it.
func KindKeys(kind string) []string {
	newSpec, ok := kinds[kind]
	if !ok {
		return nil
	}
	return append(slices.Clone(commonKeys), newSpec().keys()...)
}

// WriteChoices lists what write: may hold for kind, for the schema and docs.
func WriteChoices(kind string) []string {
	newSpec, ok := kinds[kind]
	if !ok {
		return nil
	}
	return slices.Clone(newSpec().writes().choices)
}

// ConfigError reports a pin option that cannot work, naming the key to fix
// so that configuration errors can point at its line in slipway.yaml.
type ConfigError struct {
	// Key is the pin's key at fault: "write", "source", "keys.tag"...
	Key string
	// Msg says what is wrong and what to write instead.
	Msg string
}

func (e *ConfigError) Error() string { return e.Key + ": " + e.Msg }

// Write lists what a pin writes. In YAML it is a single word
// (write: digest) or a list (write: [tag, digest]).
type Write []string

// UnmarshalYAML accepts a scalar or a list of scalars.
func (w *Write) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*w = Write{n.Value}
		return nil
	case yaml.SequenceNode:
		out := make(Write, 0, len(n.Content))
		for _, item := range n.Content {
			if item.Kind != yaml.ScalarNode {
				return typeError(item, "each item of write: is a word such as digest or tag")
			}
			out = append(out, item.Value)
		}
		*w = out
		return nil
	}
	return typeError(n, "write: is a word (write: digest) or a list (write: [tag, digest])")
}

// writeRule is what write: may hold for one kind.
type writeRule struct {
	choices []string // the words it accepts
	def     Write    // the default when write: is absent
	single  bool     // exactly one word (kind yaml: one scalar)
}

// checkWrite validates w against a kind's rule.
func checkWrite(w Write, rule writeRule) error {
	if len(w) == 0 {
		return nil
	}
	if rule.single && len(w) > 1 {
		return &ConfigError{Key: "write", Msg: fmt.Sprintf("%v: this kind writes one scalar, so write: is one of %s", []string(w), strings.Join(rule.choices, ", "))}
	}
	seen := map[string]bool{}
	for _, word := range w {
		if !slices.Contains(rule.choices, word) {
			return &ConfigError{Key: "write", Msg: fmt.Sprintf("%q is not something this kind writes; use %s", word, strings.Join(rule.choices, ", "))}
		}
		if seen[word] {
			return &ConfigError{Key: "write", Msg: fmt.Sprintf("%q is listed twice", word)}
		}
		seen[word] = true
	}
	return nil
}

// effectiveWrite is the pin's write: or its kind's default.
func effectiveWrite(p *Pin, f Format) Write {
	if len(p.Write) > 0 {
		return p.Write
	}
	return f.writes().def
}

// typeError makes an error that yaml.v3 collects with the others of the
// same file and prefixes like its own ("line 12: ...").
func typeError(n *yaml.Node, format string, args ...any) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %s", n.Line, fmt.Sprintf(format, args...))}}
}

// UnmarshalYAML decodes a pin: the shared keys into Pin, the kind's own
// keys into its Spec. A key that neither knows is an error naming the
// keys this kind accepts, as a misspelt key must never be ignored.
func (p *Pin) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return typeError(n, "a pin is a mapping such as {file: envs/{env}/{service}/values.yaml, path: image.digest}")
	}
	kind := kindYAML
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "kind" {
			kind = n.Content[i+1].Value
		}
	}
	newSpec, ok := kinds[kind]
	if !ok {
		return typeError(n, "pin kind %q is unknown; use one of %s", kind, strings.Join(Kinds(), ", "))
	}
	spec := newSpec()
	allowed := KindKeys(kind)
	var errs []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !slices.Contains(allowed, k.Value) {
			errs = append(errs, fmt.Sprintf("line %d: pin key %q is not a key of kind %s pins; the keys are %s", k.Line, k.Value, kind, strings.Join(allowed, ", ")))
		}
	}
	if len(errs) > 0 {
		return &yaml.TypeError{Errors: errs}
	}
	type plain Pin // without this method, so Decode does not recurse
	if err := n.Decode((*plain)(p)); err != nil {
		return err
	}
	if len(spec.keys()) > 0 && kind != kindYAML {
		if err := n.Decode(spec); err != nil {
			return err
		}
		p.Spec = spec
	}
	return nil
}
