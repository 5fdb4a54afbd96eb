package bundle

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/template"

	"github.com/slipway/slipway/platform"
)

// Variable is one variable compose.yaml reads from the environment, which
// `docker compose` fills from the .env file next to it (and the shell).
type Variable struct {
	Name string
	// Default is the value after ":-" or "-" in ${NAME:-default}.
	Default string
	// Required: ${NAME:?message} or ${NAME?message}; compose refuses to
	// start when it is unset.
	Required bool
	// PassThrough: a service lists NAME under environment: without a
	// value, so the container receives it from .env or the shell.
	PassThrough bool
	// UsedBy are the services that read it, or "(project)" for the
	// top-level networks, volumes, configs, secrets...
	UsedBy []string
}

const projectScope = "(project)"

// composeVariables lists every variable a compose model reads, in name
// order: the ${…} interpolations compose-go itself finds (its
// template.ExtractVariables, the code behind `docker compose config
// --variables`), and the environment entries passed through without a
// value. `$$` is an escape, not a variable.
func composeVariables(model map[string]any) []Variable {
	byName := map[string]*Variable{}
	use := func(name, scope string) *Variable {
		v := byName[name]
		if v == nil {
			v = &Variable{Name: name}
			byName[name] = v
		}
		if !slices.Contains(v.UsedBy, scope) {
			v.UsedBy = append(v.UsedBy, scope)
		}
		return v
	}
	add := func(tree map[string]any, scope string) {
		for _, tv := range template.ExtractVariables(tree, nil) {
			v := use(tv.Name, scope)
			v.Required = v.Required || tv.Required
			if v.Default == "" {
				v.Default = tv.DefaultValue
			}
		}
	}
	services := asMap(model["services"])
	rest := map[string]any{}
	for k, v := range model {
		if k != "services" {
			rest[k] = v
		}
	}
	add(rest, projectScope)
	for name, s := range services {
		svc := asMap(s)
		add(svc, name)
		for _, n := range passThrough(svc["environment"]) {
			use(n, name).PassThrough = true
		}
	}
	out := make([]Variable, 0, len(byName))
	for _, v := range byName {
		slices.Sort(v.UsedBy)
		out = append(out, *v)
	}
	slices.SortFunc(out, func(a, b Variable) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// envNameRE is what Compose accepts as a variable name.
var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// passThrough returns the names an environment: section lists without a
// value: "- NAME" in the list form, "NAME:" (null) in the mapping form.
func passThrough(env any) []string {
	var out []string
	switch t := env.(type) {
	case []any:
		for _, item := range t {
			if s, ok := item.(string); ok && !strings.Contains(s, "=") && envNameRE.MatchString(strings.TrimSpace(s)) {
				out = append(out, strings.TrimSpace(s))
			}
		}
	case map[string]any:
		for k, v := range t {
			if v == nil && envNameRE.MatchString(k) {
				out = append(out, k)
			}
		}
	}
	slices.Sort(out)
	return out
}

// serviceEnvFiles returns the env_file: paths of one service.
func serviceEnvFiles(svc map[string]any) []string {
	var paths []string
	switch t := svc["env_file"].(type) {
	case string:
		paths = []string{t}
	case []any:
		for _, e := range t {
			switch et := e.(type) {
			case string:
				paths = append(paths, et)
			case map[string]any:
				if p, ok := et["path"].(string); ok {
					paths = append(paths, p)
				}
			}
		}
	}
	return paths
}

// envFilesList lists every env_file: path of the project.
func envFilesList(model map[string]any) []string {
	var out []string
	for _, s := range asMap(model["services"]) {
		out = append(out, serviceEnvFiles(asMap(s))...)
	}
	return out
}

// envFiles maps the env_file: paths services name to those services, for
// .env.example's notes.
func envFiles(model map[string]any) map[string][]string {
	out := map[string][]string{}
	for name, s := range asMap(model["services"]) {
		for _, p := range serviceEnvFiles(asMap(s)) {
			if !slices.Contains(out[p], name) {
				out[p] = append(out[p], name)
				slices.Sort(out[p])
			}
		}
	}
	return out
}

// parseDotenv reads a .env file with compose-go's own parser, without
// looking anything up in this process's environment.
func parseDotenv(data []byte, label string) (map[string]string, error) {
	if len(data) == 0 {
		return map[string]string{}, nil
	}
	m, err := dotenv.ParseWithLookup(bytes.NewReader(data), func(string) (string, bool) { return "", false })
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	return m, nil
}

// renderEnvExample writes .env.example: the skeleton's own .env.example
// verbatim (its values and comments are the authors'), then every
// variable compose.yaml reads that it does not set. Required variables
// are left to fill ("NAME="); the others are commented out with their
// default ("# NAME=default"), so a default changed by a later release
// still applies to an installation that copied this file.
func renderEnvExample(m *platform.Manifest, skeleton []byte, set map[string]string, vars []Variable, files map[string][]string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Environment of the %s %s Compose bundle: copy it to .env next to\n", m.Name, m.Version)
	b.WriteString("# compose.yaml and edit it (cp .env.example .env). It lists every\n")
	b.WriteString("# variable compose.yaml reads; `docker compose` reads .env by itself.\n")
	if len(skeleton) > 0 {
		b.WriteString("\n")
		b.Write(skeleton)
		if skeleton[len(skeleton)-1] != '\n' {
			b.WriteByte('\n')
		}
	}
	var missing []Variable
	for _, v := range vars {
		if _, ok := set[v.Name]; !ok {
			missing = append(missing, v)
		}
	}
	if len(missing) > 0 {
		if len(skeleton) > 0 {
			b.WriteString("\n# Variables compose.yaml reads that the lines above do not set:\n")
		}
		for _, v := range missing {
			b.WriteString("\n")
			b.WriteString("# " + describeVariable(v) + "\n")
			switch {
			case v.Required:
				b.WriteString(v.Name + "=\n")
			default:
				b.WriteString("# " + v.Name + "=" + dotenvValue(v.Default) + "\n")
			}
		}
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for i, p := range paths {
		if i == 0 {
			b.WriteString("\n# Some services also read variables from their env_file (shipped with this bundle):\n")
		}
		fmt.Fprintf(&b, "#   %s: read by %s\n", p, strings.Join(files[p], ", "))
	}
	return b.Bytes()
}

func describeVariable(v Variable) string {
	var parts []string
	switch {
	case v.Required:
		parts = append(parts, "required: compose refuses to start without it")
	case v.Default != "":
		parts = append(parts, "optional, default "+v.Default)
	case v.PassThrough:
		parts = append(parts, "passed to the container when set")
	default:
		parts = append(parts, "optional, empty when unset")
	}
	return strings.Join(parts, "; ") + "; used by " + strings.Join(v.UsedBy, ", ")
}

// safeDotenvRE are values a .env line holds without quotes.
var safeDotenvRE = regexp.MustCompile(`^[A-Za-z0-9_./:@,+%=-]*$`)

// dotenvValue writes a value so that compose's .env parser reads it back
// unchanged: bare when safe, single-quoted (no interpolation) otherwise;
// a value that cannot be written that way is left out ("") rather than
// written wrong.
func dotenvValue(v string) string {
	candidates := []string{v, "'" + v + "'"}
	for _, c := range candidates {
		if c == v && !safeDotenvRE.MatchString(v) {
			continue
		}
		got, err := parseDotenv([]byte("X="+c+"\n"), "value")
		if err == nil && got["X"] == v {
			return c
		}
	}
	return ""
}

// validationEnv is the environment compose.yaml is validated with: the
// skeleton .env.example's values, and a placeholder for each required
// variable it leaves unset (defaults apply to the others).
func validationEnv(vars []Variable, set map[string]string) map[string]string {
	env := map[string]string{}
	for k, v := range set {
		env[k] = v
	}
	for _, v := range vars {
		if _, ok := env[v.Name]; !ok && v.Required {
			env[v.Name] = "example"
		}
	}
	return env
}
