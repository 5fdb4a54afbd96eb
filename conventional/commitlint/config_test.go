package commitlint

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// configCases are project configurations in each file format commitlint
// reads, together using every rule. golden-configs.jsonl records the real
// commitlint's verdicts under each.
var configCases = map[string]struct{ file, content string }{
	"json": {".commitlintrc.json", `{
  "extends": ["@commitlint/config-conventional"],
  "rules": {
    "header-max-length": [2, "always", 72],
    "subject-case": [0],
    "scope-enum": [2, "always", ["api", "web", "a/b"]],
    "body-max-line-length": [1, "always", 80]
  }
}`},
	"yaml": {".commitlintrc.yaml", `extends: ['@commitlint/config-conventional']
defaultIgnores: false
rules:
  type-enum: [2, always, [feat, fix, wip]]
  scope-case: [2, always, kebab-case]
  footer-leading-blank: [2, always]
  body-leading-blank: [2, never]
`},
	"rc": {".commitlintrc", `extends: '@commitlint/config-conventional'
rules:
  subject-full-stop: [2, always, '.']
  header-case: [2, never, upper-case]
  type-case: [1, always, [lower-case, upper-case]]
`},
	"cjs": {"commitlint.config.js", `/* eslint-disable */
// Our rules.
module.exports = {
  extends: ['@commitlint/config-conventional'],
  rules: {
    'type-case': [2, 'always', ['lower-case', 'upper-case']], // shouting allowed
    'references-empty': [1, 'never'],
    'signed-off-by': [1, 'always', "Signed-off-by:"],
    'body-case': [2, 'never', [{ when: 'always', case: 'upper-case' }]],
  },
};
`},
	"mjs": {"commitlint.config.mjs", "export default {\n  extends: [`@commitlint/config-conventional`],\n" + `  helpUrl: 'https://example.com/commits',
  rules: {
    'scope-empty': [2, 'never'],
    'subject-min-length': [2, 'always', 10],
    'scope-enum': [2, 'always', { scopes: ['a', 'b'], delimiters: ['/'] }],
    'scope-delimiter-style': [2, 'always', ['/']],
    'subject-max-length': [2, 'always', 50],
  },
};
`},
	"ts": {"commitlint.config.ts", `import type { UserConfig } from '@commitlint/types';
import { RuleConfigSeverity } from '@commitlint/types';

const Configuration: UserConfig = {
  extends: ['@commitlint/config-conventional'],
  rules: {
    'type-enum': [RuleConfigSeverity.Error, 'always', ['feat', 'fix', 'chore']] as const,
    'breaking-change-exclamation-mark': [RuleConfigSeverity.Warning, 'always'],
    'subject-exclamation-mark': [RuleConfigSeverity.Warning, 'never'],
    'header-trim': [RuleConfigSeverity.Disabled],
  },
};

export default Configuration;
`},
	"package": {"package.json", `{
  "name": "app",
  "version": "1.0.0",
  "commitlint": {
    "extends": ["@commitlint/config-conventional"],
    "rules": {
      "body-full-stop": [2, "always", "."],
      "footer-empty": [1, "never"],
      "body-empty": [1, "never"],
      "header-full-stop": [2, "never", "!"],
      "scope-case": [2, "always", {"cases": ["lower-case"], "delimiters": ["/", ","]}]
    }
  }
}`},
	"lengths": {".commitlintrc.yml", `extends: ['@commitlint/config-conventional']
rules:
  header-min-length: [2, always, 12]
  type-max-length: [2, always, 4]
  type-min-length: [2, always, 3]
  scope-max-length: [2, always, 5]
  scope-min-length: [2, always, 2]
  body-max-length: [2, always, 120]
  body-min-length: [1, always, 5]
  footer-max-length: [2, always, 40]
  footer-min-length: [1, always, 12]
  trailer-exists: [1, always, 'Signed-off-by:']
  subject-case: [2, always, [sentence-case, lower-case]]
`},
}

// writeConfigCase writes the named configuration into dir/<name>/ and
// returns that directory.
func writeConfigCase(t *testing.T, dir, name string) string {
	t.Helper()
	cc, ok := configCases[name]
	if !ok {
		t.Fatalf("no config case %q", name)
	}
	d := filepath.Join(dir, name)
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, cc.file), []byte(cc.content), 0o644); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestConfigFormats(t *testing.T) {
	for name := range configCases {
		t.Run(name, func(t *testing.T) {
			cfg, err := Load(writeConfigCase(t, t.TempDir(), name))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(cfg.Source, configCases[name].file) {
				t.Errorf("source %q, want the %s file", cfg.Source, configCases[name].file)
			}
			// config-conventional's rules come first, in its order, then the
			// project's new ones.
			if cfg.Rules[0].Name != "body-leading-blank" || cfg.Rules[11].Name != "type-enum" {
				t.Errorf("rule order: %s ... %s", cfg.Rules[0].Name, cfg.Rules[11].Name)
			}
		})
	}
}

func TestConfigOverridesInPlace(t *testing.T) {
	cfg, err := Load(writeConfigCase(t, t.TempDir(), "json"))
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Rule{}
	var order []string
	for _, r := range cfg.Rules {
		byName[r.Name] = r
		order = append(order, r.Name)
	}
	if r := byName["header-max-length"]; r.Value != 72.0 || r.Level != Error {
		t.Errorf("header-max-length = %+v, want the project's 72", r)
	}
	if r := byName["subject-case"]; r.Level != Disabled {
		t.Errorf("subject-case = %+v, want [0]", r)
	}
	if r := byName["body-max-line-length"]; r.Level != Warning || r.Value != 80.0 {
		t.Errorf("body-max-line-length = %+v", r)
	}
	if got := strings.Join(order[len(order)-1:], ","); got != "scope-enum" {
		t.Errorf("new rules go last: order ends with %s", got)
	}
	if len(order) != 13 {
		t.Errorf("%d rules, want config-conventional's 12 and scope-enum", len(order))
	}
}

func TestConfigSearch(t *testing.T) {
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	// No file: config-conventional alone.
	cfg, err := Load(sub)
	if err != nil || cfg.Source != "@commitlint/config-conventional" {
		t.Fatalf("no file: %v %v", cfg, err)
	}
	// A package.json without a commitlint key and an empty .commitlintrc
	// are passed over; the first real file found upwards wins.
	write := func(dir, name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(sub, "package.json", `{"name": "x"}`)
	write(sub, ".commitlintrc", "  \n")
	write(root, "commitlint.config.js", `module.exports = {extends: ['@commitlint/config-conventional'], rules: {'header-max-length': [2, 'always', 50]}}`)
	write(root, ".commitlintrc.json", `{"extends": ["@commitlint/config-conventional"], "rules": {"header-max-length": [2, "always", 60]}}`)
	path, err := Find(sub)
	if err != nil || path != filepath.Join(root, ".commitlintrc.json") {
		t.Fatalf("Find = %q, %v; want the .commitlintrc.json, which commitlint tries before commitlint.config.js", path, err)
	}
	// The search stops at the repository root.
	outside := filepath.Dir(root)
	_ = outside
	inner := t.TempDir()
	if err := os.Mkdir(filepath.Join(inner, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	if path, err := Find(inner); err != nil || path != "" {
		t.Errorf("Find in a repo without a file = %q, %v", path, err)
	}
}

// TestConfigRefusals: configurations that need JavaScript, or that
// commitlint itself would reject, fail with the file, the place and the fix.
func TestConfigRefusals(t *testing.T) {
	const ext = `extends: ['@commitlint/config-conventional'], `
	cases := []struct {
		file, content string
		want          []string
	}{
		{"commitlint.config.js", `const x = require('./types'); module.exports = {` + ext + `}`, []string{"commitlint.config.js:1:11", "require(...)", "needs JavaScript", ".commitlintrc.json"}},
		{"commitlint.config.js", `module.exports = {` + ext + `ignores: [(commit) => commit.includes('WIP')]}`, []string{"1:75", "arrow function"}},
		{"commitlint.config.js", `module.exports = {` + ext + `ignores: [commit => commit === '']}`, []string{"arrow function"}},
		{"commitlint.config.js", `const base = {}; module.exports = {...base, ` + ext + `}`, []string{"spread"}},
		{"commitlint.config.js", `module.exports = {` + ext + `rules: {'header-max-length': [2, 'always', MAX]}}`, []string{"the variable `MAX`"}},
		{"commitlint.config.js", `module.exports = {` + ext + `rules: {[name]: [0]}}`, []string{"computed key"}},
		{"commitlint.config.js", `module.exports = {` + ext + `rules}`, []string{"shorthand property `rules`"}},
		{"commitlint.config.js", `module.exports = {` + ext + `rules: {'x': [2, 'always', ` + "`${n}`" + `]}}`, []string{"template literal with ${...}"}},
		{"commitlint.config.mjs", `import conventional from '@commitlint/config-conventional'; export default {extends: ['@commitlint/config-conventional']}`, []string{"import of code"}},
		{"commitlint.config.mjs", `import { defineConfig } from 'cz-git'; export default defineConfig({` + ext + `})`, []string{"defineConfig", "cz-git"}},
		{"commitlint.config.ts", `export default defineConfig({` + ext + `})`, []string{"the call defineConfig(...)"}},
		{"commitlint.config.js", `module.exports = {` + ext + `rules: {'x': async () => [2]}}`, []string{"async"}},
		{"commitlint.config.js", `module.exports = {` + ext + `parserPreset: {parserOpts: {issuePrefixes: ['PROJ-']}}}`, []string{"parserPreset", "needs JavaScript"}},
		{".commitlintrc.json", `{"extends": ["@commitlint/config-angular"]}`, []string{"extend @commitlint/config-conventional and nothing else", "config-angular"}},
		{".commitlintrc.json", `{"rules": {"header-max-length": [2, "always", 72]}}`, []string{"extends: ['@commitlint/config-conventional']"}},
		{".commitlintrc.json", `{"extends": ["@commitlint/config-conventional"], "plugins": ["commitlint-plugin-x"]}`, []string{"plugins needs JavaScript"}},
		{".commitlintrc.json", `{"extends": ["@commitlint/config-conventional"], "formatter": "commitlint-format-json"}`, []string{"formatter", "--output json"}},
		{".commitlintrc.json", `{"extends": ["@commitlint/config-conventional"], "rules": {"header-max-lenght": [2, "always", 72]}}`, []string{"rules without implementation: header-max-lenght", "header-max-length"}},
		{".commitlintrc.json", `{"extends": ["@commitlint/config-conventional"], "rules": {"header-max-length": [3, "always", 72]}}`, []string{"rules.header-max-length", "level must be 0 (off), 1 (warning) or 2 (error); got 3"}},
		{".commitlintrc.json", `{"extends": ["@commitlint/config-conventional"], "rules": {"header-max-length": [2, "sometimes", 72]}}`, []string{"\"always\" or \"never\""}},
		{".commitlintrc.json", `{"extends": ["@commitlint/config-conventional"], "rules": {"header-max-length": [2, "always", "72"]}}`, []string{"must be a number", `"72"`}},
		{".commitlintrc.json", `{"extends": ["@commitlint/config-conventional"], "rules": {"header-max-length": 72}}`, []string{"must be an array"}},
		{".commitlintrc.json", `{"extends": ["@commitlint/config-conventional"], "rules": {"subject-case": [2, "never", ["title-case"]]}}`, []string{`"title-case" is not a case`}},
		{".commitlintrc.json", `{"extends": ["@commitlint/config-conventional"], "rules": {"type-enum": [2, "always", "feat"]}}`, []string{"list of strings"}},
		{".commitlintrc.json", `{"extends": ["@commitlint/config-conventional"], "rules": {"header-max-length": [2, "always", 72, 1]}}`, []string{"at most [level, when, value]"}},
		{".commitlintrc.json", `{"extends": ["@commitlint/config-conventional"], "rules": {"header-max-length": [2]}}`, []string{"needs a condition"}},
		{".commitlintrc.json", `{"extends": ["@commitlint/config-conventional"],}`, []string{"not valid JSON"}},
		{".commitlintrc.yaml", "extends: [@commitlint/config-conventional]\n", []string{"not valid YAML"}},
		{".commitlintrc.yaml", "- a\n- b\n", []string{"must be an object"}},
	}
	for _, tc := range cases {
		dir := t.TempDir()
		path := filepath.Join(dir, tc.file)
		if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadFile(path)
		if err == nil {
			t.Errorf("%s %s: accepted", tc.file, tc.content)
			continue
		}
		if !strings.Contains(err.Error(), path) {
			t.Errorf("%s: the error does not name the file: %v", tc.content, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tc.content, err, w)
			}
		}
	}
}

func TestConfigNeedsJSErrorType(t *testing.T) {
	_, err := ParseJSConfig("c.js", "module.exports = require('x')")
	var nj *NeedsJSError
	if !errors.As(err, &nj) || nj.Line != 1 || nj.Col != 18 {
		t.Fatalf("err = %#v", err)
	}
}

func TestParseJSConfigForms(t *testing.T) {
	forms := []string{
		`module.exports = {extends: ['@commitlint/config-conventional'], rules: {'header-max-length': [2, 'always', 72]}};`,
		`"use strict"; module.exports = {"extends": ["@commitlint/config-conventional"], "rules": {"header-max-length": [2, "always", 72,],},};`,
		`export default {extends: [` + "`@commitlint/config-conventional`" + `], rules: {'header-max-length': [2, 'always', 0x48]}}`,
		`/** @type {import('@commitlint/types').UserConfig} */
const config = {
  // extends
  extends: ['@commitlint/config-conventional'],
  /* rules */ rules: {'header-max-length': [2, 'always', 72]},
};
module.exports = config;`,
		`import type { UserConfig } from '@commitlint/types';
import { RuleConfigSeverity as S, type QualifiedRules } from "@commitlint/types";
export default {
  extends: ['@commitlint/config-conventional'],
  rules: {'header-max-length': [S.Error, 'always', 72] as const},
} satisfies UserConfig;`,
		`const config: import('@commitlint/types').UserConfig = {extends: '\u0040commitlint/config-conventional', rules: {'header-max-length': [2, 'always', 7.2e1]}}
export default config`,
		"#!/usr/bin/env node\nmodule.exports = {extends: ['@commitlint/config-conventional'], rules: {'header-max-length': [+2, 'always', 72]}}",
	}
	for _, src := range forms {
		o, err := ParseJSConfig("commitlint.config.ts", src)
		if err != nil {
			t.Errorf("%s\n-> %v", src, err)
			continue
		}
		cfg, err := FromObject("commitlint.config.ts", o)
		if err != nil {
			t.Errorf("%s\n-> %v", src, err)
			continue
		}
		for _, r := range cfg.Rules {
			if r.Name == "header-max-length" && (r.Value != 72.0 || r.Level != Error) {
				t.Errorf("%s\n-> header-max-length %+v", src, r)
			}
		}
	}
}

func TestConfigDefaultIgnoresOff(t *testing.T) {
	cfg, err := Load(writeConfigCase(t, t.TempDir(), "yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DefaultIgnores {
		t.Fatal("defaultIgnores: false was not applied")
	}
	if o := cfg.Lint("Merge branch 'main' into dev", Options{}); o.Valid {
		t.Errorf("with defaultIgnores off a merge message is linted: %+v", o)
	}
	if o := ConfigConventional().Lint("Merge branch 'main' into dev", Options{}); !o.Valid {
		t.Errorf("by default a merge message is ignored: %+v", o)
	}
}
