package commitlint

import (
	"errors"
	"fmt"
	"strings"
)

// Level is a rule's severity: 0 off, 1 warning, 2 error.
type Level int

const (
	Disabled Level = 0
	Warning  Level = 1
	Error    Level = 2
)

// Object is a JSON, YAML or JavaScript object literal with its keys in
// the order written (rule order decides report order).
type Object struct {
	keys []string
	vals map[string]any
}

// NewObject returns an empty object.
func NewObject() *Object { return &Object{vals: map[string]any{}} }

// Get returns the value of key k.
func (o *Object) Get(k string) (any, bool) {
	v, ok := o.vals[k]
	return v, ok
}

// Set sets k, keeping its first position when it is already there (as a
// JavaScript object does).
func (o *Object) Set(k string, v any) {
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

// Keys returns the keys in order.
func (o *Object) Keys() []string { return o.keys }

// Rule is one configured rule: [level, when, value].
type Rule struct {
	Name  string
	Level Level
	// When is "always" or "never" ("" only for a bare [0]).
	When string
	// Value is the third item, decoded (float64, string, bool, nil,
	// []any, *Object); HasValue says whether there was one.
	Value    any
	HasValue bool
	check    check
}

// Config is a resolved commitlint configuration: config-conventional's
// rules with a project's overrides applied.
type Config struct {
	// Source says where the configuration came from: a file path, or
	// "@commitlint/config-conventional" for the built-in preset alone.
	Source string
	Rules  []Rule
	// DefaultIgnores applies commitlint's built-in ignore list (merge,
	// revert, fixup!, release commits...). A config may turn it off.
	DefaultIgnores bool
	// HelpURL is printed under a report with problems.
	HelpURL string
}

// Preset is the name of this preset in slipway.yaml and on the command line.
const Preset = "commitlint-conventional"

// ConfigConventionalVersion is the @commitlint/config-conventional release
// whose rules ConfigConventional reproduces.
const ConfigConventionalVersion = "21.2.4"

// DefaultHelpURL is commitlint's default help link.
const DefaultHelpURL = "https://github.com/conventional-changelog/commitlint/#what-is-commitlint"

const extendsName = "@commitlint/config-conventional"

// conventionalRules are @commitlint/config-conventional's rules, in its
// order, as JSON-compatible values.
func conventionalRules() *Object {
	o := NewObject()
	list := func(items ...string) []any {
		out := make([]any, len(items))
		for i, s := range items {
			out[i] = s
		}
		return out
	}
	o.Set("body-leading-blank", []any{1.0, "always"})
	o.Set("body-max-line-length", []any{2.0, "always", 100.0})
	o.Set("footer-leading-blank", []any{1.0, "always"})
	o.Set("footer-max-line-length", []any{2.0, "always", 100.0})
	o.Set("header-max-length", []any{2.0, "always", 100.0})
	o.Set("header-trim", []any{2.0, "always"})
	o.Set("subject-case", []any{2.0, "never", list("sentence-case", "start-case", "pascal-case", "upper-case")})
	o.Set("subject-empty", []any{2.0, "never"})
	o.Set("subject-full-stop", []any{2.0, "never", "."})
	o.Set("type-case", []any{2.0, "always", "lower-case"})
	o.Set("type-empty", []any{2.0, "never"})
	o.Set("type-enum", []any{2.0, "always", list("build", "chore", "ci", "docs", "feat", "fix", "perf", "refactor", "revert", "style", "test")})
	return o
}

// ConfigConventional returns the built-in preset: @commitlint/config-conventional
// with nothing overridden.
func ConfigConventional() *Config {
	c, err := compile(extendsName, conventionalRules())
	if err != nil {
		panic(err) // the built-in rules are fixed; a failure is a bug
	}
	return c
}

// FromObject resolves a project configuration (the decoded content of a
// commitlint config file) on top of config-conventional. It refuses what
// only JavaScript could honour: other presets, plugins, parser presets,
// custom formatters and ignore functions.
func FromObject(source string, user *Object) (*Config, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%s: "+format, append([]any{source}, args...)...)
	}
	ext, ok := user.Get("extends")
	if !ok || !extendsConventional(ext) {
		return nil, fail("Slipway's %s preset reads configurations that extend %s and nothing else; got extends: %s. Set extends: ['%s'] or lint with the default preset", Preset, extendsName, describe(ext), extendsName)
	}
	merged := conventionalRules()
	var rulesObj *Object
	if r, ok := user.Get("rules"); ok && r != nil {
		if rulesObj, ok = r.(*Object); !ok {
			return nil, fail("rules must be an object of rule name to [level, when, value]; got %s", describe(r))
		}
		var missing []string
		for _, name := range rulesObj.Keys() {
			if _, ok := findRule(name); !ok {
				missing = append(missing, name)
			}
		}
		if len(missing) > 0 {
			return nil, fail("found rules without implementation: %s. Supported rules are: %s", strings.Join(missing, ", "), strings.Join(RuleNames(), ", "))
		}
		for _, name := range rulesObj.Keys() {
			v, _ := rulesObj.Get(name)
			merged.Set(name, v)
		}
	}
	cfg, err := compile(source, merged)
	if err != nil {
		return nil, err
	}
	for _, k := range user.Keys() {
		v, _ := user.Get(k)
		switch k {
		case "extends", "rules", "prompt", "$schema":
		case "defaultIgnores":
			b, ok := v.(bool)
			if !ok {
				return nil, fail("defaultIgnores must be true or false; got %s", describe(v))
			}
			cfg.DefaultIgnores = b
		case "helpUrl":
			s, ok := v.(string)
			if !ok {
				return nil, fail("helpUrl must be a string; got %s", describe(v))
			}
			cfg.HelpURL = s
		case "parserPreset":
			if v != "conventional-changelog-conventionalcommits" {
				return nil, fail("parserPreset %s changes how messages are parsed, which needs JavaScript; remove it (config-conventional already uses conventional-changelog-conventionalcommits)", describe(v))
			}
		case "formatter":
			if v != "@commitlint/format" {
				return nil, fail("formatter %s is a JavaScript module; remove it (Slipway prints commitlint's default format, or JSON with --output json)", describe(v))
			}
		case "plugins", "ignores":
			if l, ok := v.([]any); !ok || len(l) > 0 {
				return nil, fail("%s needs JavaScript to run; remove it (Slipway implements commitlint's built-in rules only)", k)
			}
		}
	}
	return cfg, nil
}

func extendsConventional(v any) bool {
	switch t := v.(type) {
	case string:
		return t == extendsName
	case []any:
		return len(t) == 1 && t[0] == extendsName
	}
	return false
}

// compile validates every rule as @commitlint/lint does before linting
// and compiles the values of the enabled ones.
func compile(source string, rules *Object) (*Config, error) {
	cfg := &Config{Source: source, DefaultIgnores: true, HelpURL: DefaultHelpURL}
	var errs []error
	for _, name := range rules.Keys() {
		v, _ := rules.Get(name)
		r, err := compileRule(name, v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: rules.%s: %w", source, name, err))
			continue
		}
		cfg.Rules = append(cfg.Rules, r)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return cfg, nil
}

func compileRule(name string, v any) (Rule, error) {
	r := Rule{Name: name}
	items, ok := v.([]any)
	if !ok {
		return r, fmt.Errorf("must be an array [level, when, value], e.g. [2, 'always', 100]; got %s", describe(v))
	}
	if len(items) == 0 {
		return r, fmt.Errorf("must not be empty: write [0] to turn the rule off")
	}
	level, ok := items[0].(float64)
	if !ok {
		return r, fmt.Errorf("level must be a number (0 off, 1 warning, 2 error); got %s", describe(items[0]))
	}
	if level != 0 && level != 1 && level != 2 {
		return r, fmt.Errorf("level must be 0 (off), 1 (warning) or 2 (error); got %s", jsNumber(level))
	}
	r.Level = Level(level)
	if r.Level == Disabled && len(items) == 1 {
		return r, nil
	}
	if len(items) > 3 {
		return r, fmt.Errorf("has %d items; write at most [level, when, value]", len(items))
	}
	if len(items) < 2 {
		return r, fmt.Errorf("needs a condition: [%s, 'always'] or [%s, 'never']", jsNumber(level), jsNumber(level))
	}
	when, ok := items[1].(string)
	if !ok || when != "always" && when != "never" {
		return r, fmt.Errorf("condition must be \"always\" or \"never\"; got %s", describe(items[1]))
	}
	r.When = when
	if len(items) == 3 {
		r.Value, r.HasValue = items[2], true
	}
	if r.Level == Disabled {
		return r, nil // never run, so its value is never read
	}
	def, _ := findRule(name)
	c, err := def.compile(r.Value, r.HasValue)
	if err != nil {
		return r, err
	}
	r.check = c
	return r, nil
}

// describe names a decoded value for error messages.
func describe(v any) string {
	switch t := v.(type) {
	case nil:
		return "nothing"
	case string:
		return fmt.Sprintf("%q", t)
	case float64:
		return jsNumber(t)
	case bool:
		return fmt.Sprintf("%t", t)
	case []any:
		parts := make([]string, len(t))
		for i, e := range t {
			parts[i] = describe(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case *Object:
		return "an object"
	}
	return fmt.Sprintf("%v", v)
}
