package versioning

import (
	"context"
	"strings"
	"testing"

	"github.com/slipway/slipway/changelog"
)

const monorepoConfig = `{
  "release-type": "node",
  "bump-minor-pre-major": true,
  "plugins": [
    "node-workspace",
    {"type": "linked-versions", "groupName": "ui", "components": ["ui-kit", "ui-icons"]}
  ],
  "packages": {
    "packages/core": {},
    "packages/api": {"changelog-path": "docs/CHANGES.md"},
    "packages/ui-kit": {},
    "packages/ui-icons": {},
    "tools": {"release-type": "simple", "component": "tools", "include-v-in-tag": false, "tag-separator": "/",
              "exclude-paths": ["tools/generated"]}
  }
}`

const monorepoManifest = `{"packages/core": "1.0.0", "packages/api": "2.1.0", "packages/ui-kit": "0.3.0", "packages/ui-icons": "0.3.0", "tools": "1.0.0"}`

// A monorepo as release-please manages it: config and manifest files,
// npm workspace dependencies, a linked group and a path with odd tags.
func newMonorepo(t *testing.T) *fixture {
	f := newFixture(t)
	f.write(ReleasePleaseConfigFile, monorepoConfig)
	f.write(ReleasePleaseManifestFile, monorepoManifest)
	f.write("packages/core/package.json", `{"name": "@acme/core", "version": "1.0.0"}`)
	f.write("packages/api/package.json", `{"name": "@acme/api", "version": "2.1.0", "dependencies": {"@acme/core": "^1.0.0", "left-pad": "1.0.0"}}`)
	f.write("packages/ui-kit/package.json", `{"name": "ui-kit", "version": "0.3.0", "devDependencies": {"@acme/core": "workspace:*"}}`)
	f.write("packages/ui-icons/package.json", `{"name": "ui-icons", "version": "0.3.0"}`)
	f.commit("chore: bootstrap", "tools/run.sh")
	for _, tag := range []string{"core-v1.0.0", "api-v2.1.0", "ui-kit-v0.3.0", "ui-icons-v0.3.0", "tools/1.0.0"} {
		f.tag(tag)
	}
	return f
}

func TestPlanMonorepo(t *testing.T) {
	f := newMonorepo(t)
	f.commit("feat(api): scope is cosmetic, path decides", "packages/core/index.js")
	f.commit("fix: icons", "packages/ui-icons/i.svg")
	f.commit("fix: shared helper", "packages/core/h.js", "tools/run.sh")
	f.commit("fix: regenerate", "tools/generated/x.go")
	f.commit("docs: root readme", "README.md")

	cfg, err := LoadReleasePlease(f.dir)
	if err != nil || cfg == nil {
		t.Fatalf("config: %v", err)
	}
	results, err := Plan(context.Background(), f.dir, cfg, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*Result{}
	for _, r := range results {
		got[r.Component] = r
	}
	want := []struct{ comp, next, bump, tag string }{
		{"core", "1.1.0", "minor", "core-v1.1.0"},
		{"api", "2.1.1", "patch", "api-v2.1.1"},           // workspace dependency
		{"ui-icons", "0.3.1", "patch", "ui-icons-v0.3.1"}, // its own fix
		{"ui-kit", "0.3.1", "patch", "ui-kit-v0.3.1"},     // linked to ui-icons
		{"tools", "1.0.1", "patch", "tools/1.0.1"},        // generated/ excluded, shared fix counts
	}
	for _, w := range want {
		r := got[w.comp]
		if r == nil || r.Next != w.next || r.Bump != w.bump || r.Tag != w.tag {
			t.Errorf("%s: got %+v, want %s %s %s", w.comp, r, w.next, w.bump, w.tag)
		}
	}
	if c := got["core"].Commits; c != 2 {
		t.Errorf("core commits = %d", c)
	}
	if c := got["tools"].Commits; c != 1 {
		t.Errorf("tools commits = %d (exclude-paths)", c)
	}
	deps := got["api"].Dependencies
	if len(deps) != 1 || deps[0] != (changelog.DependencyUpdate{Kind: "dependencies", Name: "@acme/core", From: "^1.0.0", To: "^1.1.0"}) {
		t.Errorf("api dependencies = %+v", deps)
	}
	md := changelog.Markdown(got["api"].ChangelogRelease(day0), changelog.Options{})
	if !strings.Contains(md, "* The following workspace dependencies were updated\n  * dependencies\n    * @acme/core bumped from ^1.0.0 to ^1.1.0") {
		t.Errorf("api changelog:\n%s", md)
	}
	api, _ := cfg.Component("api")
	if api.ChangelogPath != "packages/api/docs/CHANGES.md" {
		t.Errorf("changelog path = %s", api.ChangelogPath)
	}
	// The single-component API agrees with the plan for a plain component.
	core, _ := cfg.Component("core")
	single := f.next(Request{Component: core.Name, Paths: []string{core.Path}, TagFormat: core.TagFormat, Rules: core.Rules})
	if single.Next != "1.1.0" || single.Commits != 2 {
		t.Errorf("Next for core = %+v", single)
	}
}

func TestPlanWithoutReleasesUsesManifestAndBootstrap(t *testing.T) {
	f := newFixture(t)
	first := f.commit("chore: old history", "a/x")
	f.commit("feat: before bootstrap", "a/x")
	boot := f.commit("chore: adopt release-please", "a/x")
	f.commit("fix: after", "a/x")
	f.write(ReleasePleaseConfigFile, `{"bootstrap-sha": "`+boot+`", "packages": {"a": {"bump-minor-pre-major": true}}}`)
	f.write(ReleasePleaseManifestFile, `{"a": "0.4.0"}`)
	cfg, err := LoadReleasePlease(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	results, err := Plan(context.Background(), f.dir, cfg, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := results[0]
	if r.Component != "a" || r.Current != "0.4.0" || r.Next != "0.4.1" || r.Commits != 1 || r.Tag != "a-v0.4.1" {
		t.Fatalf("got %+v (first=%s)", r, first)
	}
}

func TestConfigErrorsNameTheProblem(t *testing.T) {
	tests := []struct{ raw, want string }{
		{`{`, "JSON syntax"},
		{`{}`, `"packages"`},
		{`{"packages": {"../x": {}}}`, "inside the repository"},
		{`{"packages": {"a": {}}, "plugins": [{"type": "linked-versions", "groupName": "g", "components": ["nope"]}]}`, `no component "nope"`},
	}
	for _, tt := range tests {
		_, err := ParseReleasePlease([]byte(tt.raw), nil, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.raw, err, tt.want)
		}
	}
}

func TestReleasePleaseTagDefaults(t *testing.T) {
	cfg, err := ParseReleasePlease([]byte(`{"packages": {".": {}, "svc/a": {}, "svc/b": {"include-component-in-tag": false}, "svc/c": {"package-name": "@o/cee", "tag-separator": "/"}}}`), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{".": "v{version}", "svc/a": "{component}-v{version}", "svc/b": "v{version}", "svc/c": "{component}/v{version}"}
	for _, c := range cfg.Components {
		if c.TagFormat != want[c.Path] {
			t.Errorf("%s: %s", c.Path, c.TagFormat)
		}
	}
	if c, _ := cfg.Component("svc/c"); c.Name != "cee" {
		t.Errorf("component name = %q", c.Name)
	}
}

func FuzzParseReleasePlease(f *testing.F) {
	f.Add([]byte(monorepoConfig), []byte(monorepoManifest))
	f.Add([]byte(`{"packages":{".":{}}}`), []byte(`{}`))
	f.Fuzz(func(t *testing.T, raw, manifest []byte) {
		cfg, err := ParseReleasePlease(raw, map[string]string{".": string(manifest)}, nil)
		if err != nil {
			return
		}
		if len(cfg.Components) == 0 {
			t.Fatal("config without components accepted")
		}
		for _, c := range cfg.Components {
			if _, err := ParseTagFormat(c.TagFormat, c.Name); err != nil && c.Name != "" {
				t.Fatalf("config produced a bad tag format: %v", err)
			}
		}
	})
}

func FuzzTagFormat(f *testing.F) {
	f.Add("{component}-v{version}", "api", "api-v1.2.3-rc.1")
	f.Add("v{version}", "", "v1.0.0")
	f.Fuzz(func(t *testing.T, format, comp, tag string) {
		tf, err := ParseTagFormat(format, comp)
		if err != nil {
			return
		}
		if v, ok := tf.Version(tag); ok {
			if back := tf.Tag(v); back != tag {
				t.Fatalf("round trip %q -> %q", tag, back)
			}
		}
	})
}

// TestReleaseOfAWorkspaceDependent: a component released only because its
// workspace dependency was is tagged with the plan's version (release-as) and
// its notes carry the "Dependencies" part, as slipway release does it.
func TestReleaseOfAWorkspaceDependent(t *testing.T) {
	f := newMonorepo(t)
	f.commit("feat: faster core", "packages/core/index.js")
	head := f.git("rev-parse", "HEAD")
	cfg, err := LoadReleasePlease(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	results, err := Plan(context.Background(), f.dir, cfg, PlanOptions{Target: head})
	if err != nil {
		t.Fatal(err)
	}
	api, _ := cfg.Component("api")
	var planned *Result
	for i := range cfg.Components {
		if &cfg.Components[i] == api {
			planned = results[i]
		}
	}
	if planned == nil || planned.Next != "2.1.1" || len(planned.Dependencies) != 1 {
		t.Fatalf("plan for api: %+v", planned)
	}
	req := ReleaseRequest{Request: api.Request(f.dir, head), Dependencies: planned.Dependencies, Date: day0}
	req.Rules.ReleaseAs = planned.Next
	out, err := Release(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if out.Tag != "api-v2.1.1" || !strings.Contains(out.Notes, "@acme/core bumped from ^1.0.0 to ^1.1.0") {
		t.Fatalf("release %s:\n%s", out.Tag, out.Notes)
	}
}
