package analysis

import (
	"fmt"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// SecretResolver supplies the value of a Kubernetes secretKeyRef outside a
// cluster.
type SecretResolver interface {
	Secret(name, key string) (string, error)
}

// SecretSource says where one secret key's value is read from: an
// environment variable or a file (trailing newline trimmed).
type SecretSource struct {
	Env  string `yaml:"env,omitempty" json:"env,omitempty"`
	File string `yaml:"file,omitempty" json:"file,omitempty"`
}

// SecretMap maps "secretName/key" to its source; it is the `secrets:` block
// of the Slipway configuration. Keys without an entry fall back to the
// environment variable SLIPWAY_SECRET_<NAME>_<KEY> (upper case, every
// character other than a letter or digit replaced by '_').
type SecretMap map[string]SecretSource

// Secret implements SecretResolver.
func (m SecretMap) Secret(name, key string) (string, error) {
	ref := name + "/" + key
	if src, ok := m[ref]; ok {
		switch {
		case src.Env != "":
			v, ok := os.LookupEnv(src.Env)
			if !ok {
				return "", fmt.Errorf("secret %s: environment variable %s is not set: export it or change the secrets mapping", ref, src.Env)
			}
			return v, nil
		case src.File != "":
			b, err := os.ReadFile(src.File)
			if err != nil {
				return "", fmt.Errorf("secret %s: %w", ref, err)
			}
			return strings.TrimRight(string(b), "\r\n"), nil
		}
	}
	env := DefaultSecretEnv(name, key)
	if v, ok := os.LookupEnv(env); ok {
		return v, nil
	}
	return "", fmt.Errorf("secret %s is not mapped: add `secrets: {%q: {env: VAR}}` (or {file: PATH}) to the configuration, or export %s", ref, ref, env)
}

var nonAlnum = regexp.MustCompile(`[^A-Za-z0-9]`)

// DefaultSecretEnv is the environment variable consulted for an unmapped
// secret key.
func DefaultSecretEnv(name, key string) string {
	return "SLIPWAY_SECRET_" + strings.ToUpper(nonAlnum.ReplaceAllString(name, "_")+"_"+nonAlnum.ReplaceAllString(key, "_"))
}

// resolveArgs merges the caller's values into the template's arguments the
// way Rollouts' MergeArgs does (a supplied value overrides the default;
// supplied names the template does not declare are ignored), resolves
// secretKeyRef values, and fails when an argument has no value. It returns
// the values and the secret values (to redact from messages).
func resolveArgs(declared []Argument, supplied map[string]string, secrets SecretResolver) (map[string]string, []string, error) {
	values := map[string]string{}
	var secretValues []string
	for _, a := range declared {
		if v, ok := supplied[a.Name]; ok {
			values[a.Name] = v
			continue
		}
		switch {
		case a.Value != nil && a.ValueFrom != nil:
			return nil, nil, fmt.Errorf("arg %s has both value and valueFrom: keep one", a.Name)
		case a.Value != nil:
			values[a.Name] = *a.Value
		case a.ValueFrom != nil && a.ValueFrom.SecretKeyRef != nil:
			if secrets == nil {
				secrets = SecretMap(nil)
			}
			ref := a.ValueFrom.SecretKeyRef
			v, err := secrets.Secret(ref.Name, ref.Key)
			if err != nil {
				return nil, nil, fmt.Errorf("args.%s: %w", a.Name, err)
			}
			values[a.Name] = v
			if v != "" {
				secretValues = append(secretValues, v)
			}
		case a.ValueFrom != nil:
			return nil, nil, fmt.Errorf("args.%s: valueFrom podTemplateHashValue/fieldRef needs a Rollout object: pass the value with --arg %s=VALUE", a.Name, a.Name)
		default:
			return nil, nil, fmt.Errorf("args.%s was not resolved: pass a value (--arg %s=VALUE or the canary's analysis args)", a.Name, a.Name)
		}
	}
	return values, secretValues, nil
}

// placeholder matches {{ … }} tags as Rollouts' template engine sees them.
var placeholder = regexp.MustCompile(`\{\{(.*?)\}\}`)

// substitute replaces every {{args.name}} (spaces allowed inside the braces)
// in s. Like Rollouts, any tag that is not a known argument is an error.
func substitute(s string, values map[string]string) (string, error) {
	var firstErr error
	out := placeholder.ReplaceAllStringFunc(s, func(tag string) string {
		inner := strings.TrimSpace(tag[2 : len(tag)-2])
		if name, ok := strings.CutPrefix(inner, "args."); ok {
			if v, ok := values[name]; ok {
				return v
			}
		}
		if firstErr == nil {
			firstErr = fmt.Errorf("failed to resolve %s: declare the argument in spec.args and give it a value", tag)
		}
		return tag
	})
	return out, firstErr
}

// substituteNode returns a deep copy of n with placeholders replaced in every
// scalar (so int-or-string fields such as count take argument values). Each
// node is copied once, and an alias points at its anchor's copy, so alias
// bombs cost linear time.
func substituteNode(n *yaml.Node, values map[string]string) (*yaml.Node, error) {
	return substituteMemo(n, values, map[*yaml.Node]*yaml.Node{})
}

func substituteMemo(n *yaml.Node, values map[string]string, memo map[*yaml.Node]*yaml.Node) (*yaml.Node, error) {
	if n == nil {
		return nil, nil
	}
	if c, ok := memo[n]; ok {
		return c, nil
	}
	c := *n
	memo[n] = &c
	if n.Kind == yaml.ScalarNode && templated(n.Value) {
		v, err := substitute(n.Value, values)
		if err != nil {
			return nil, err
		}
		c.Value = v
	}
	if len(n.Content) > 0 {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, ch := range n.Content {
			sc, err := substituteMemo(ch, values, memo)
			if err != nil {
				return nil, err
			}
			c.Content[i] = sc
		}
	}
	if n.Alias != nil {
		a, err := substituteMemo(n.Alias, values, memo)
		if err != nil {
			return nil, err
		}
		c.Alias = a
	}
	return &c, nil
}

// resolveMetric substitutes arguments into the metric as written and decodes
// it again.
func resolveMetric(m Metric, values map[string]string) (Metric, error) {
	if m.raw == nil {
		return m, nil
	}
	n, err := substituteNode(m.raw, values)
	if err != nil {
		return Metric{}, fmt.Errorf("metric %q: %w", m.Name, err)
	}
	var out Metric
	if err := n.Decode(&out); err != nil {
		return Metric{}, fmt.Errorf("metric %q after argument substitution: %w", m.Name, err)
	}
	out.raw = m.raw
	return out, nil
}

func walkScalars(n *yaml.Node, fn func(string)) {
	if n == nil {
		return
	}
	if n.Kind == yaml.ScalarNode {
		fn(n.Value)
	}
	for _, c := range n.Content {
		walkScalars(c, fn)
	}
}

func nodeTemplated(n *yaml.Node) bool {
	found := false
	walkScalars(n, func(s string) { found = found || templated(s) })
	return found
}
