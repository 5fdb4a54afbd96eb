package analysis

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func mustParse(t *testing.T, file string) []*Template {
	t.Helper()
	ts, err := ParseFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatalf("ParseFile(%s): %v", file, err)
	}
	return ts
}

func TestParseDocumentationExample(t *testing.T) {
	ts := mustParse(t, "success-rate.yaml")
	if len(ts) != 1 {
		t.Fatalf("got %d templates, want 1", len(ts))
	}
	tp := ts[0]
	if tp.Metadata.Name != "success-rate" || tp.Kind != KindAnalysisTemplate {
		t.Fatalf("metadata = %+v kind %s", tp.Metadata, tp.Kind)
	}
	if err := Validate(nil, nil, tp); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	m := tp.Spec.Metrics[0]
	if m.Count == nil || !m.Count.IsString || m.Count.Str != "{{args.count}}" {
		t.Fatalf("count = %+v, want the placeholder kept as a string", m.Count)
	}
	if !strings.Contains(m.Provider.Config("prometheus").Content[7].Value, "irate(") {
		// the block scalar query keeps its newlines
		t.Logf("prometheus node: %+v", m.Provider.Config("prometheus").Content)
	}
	if got := tp.Spec.Metrics[1].Provider.Kind(); got != "prometheus" {
		t.Fatalf("flow-style provider kind = %q", got)
	}
	if tp.Spec.DryRun[0].MetricName != "latency.*" || tp.Spec.MeasurementRetention[0].Limit != 20 {
		t.Fatalf("dryRun/measurementRetention = %+v %+v", tp.Spec.DryRun, tp.Spec.MeasurementRetention)
	}
}

func TestArgumentsResolveEverywhere(t *testing.T) {
	tp := mustParse(t, "success-rate.yaml")[0]
	t.Setenv(DefaultSecretEnv("token-secret", "apiToken"), "s3cret")
	values, secrets, err := resolveArgs(tp.Spec.Args, map[string]string{"service-name": "api.prod", "count": "7"}, SecretMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(secrets) != 1 || secrets[0] != "s3cret" {
		t.Fatalf("secrets = %v", secrets)
	}
	m, err := resolveMetric(tp.Spec.Metrics[0], values)
	if err != nil {
		t.Fatal(err)
	}
	l, err := LimitsOf(m)
	if err != nil || l.Count == nil || *l.Count != 7 {
		t.Fatalf("count from {{args.count}} = %v (%v), want 7", l.Count, err)
	}
	var cfg PrometheusMetric
	if err := decodeStrict(m.Provider.Config("prometheus"), &cfg); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cfg.Query, `destination_service=~"api.prod"`) || strings.Contains(cfg.Query, "{{") {
		t.Fatalf("query not substituted: %s", cfg.Query)
	}
	if cfg.Headers[0].Value != "Bearer s3cret" {
		t.Fatalf("header = %q (spaces inside braces must be allowed)", cfg.Headers[0].Value)
	}
	// The original template is untouched: a second run can use other values.
	if !templated(tp.Spec.Metrics[0].Count.Str) {
		t.Fatal("resolution modified the template")
	}
}

func TestArgumentErrors(t *testing.T) {
	tp := mustParse(t, "success-rate.yaml")[0]
	t.Setenv(DefaultSecretEnv("token-secret", "apiToken"), "x")
	_, _, err := resolveArgs(tp.Spec.Args, nil, SecretMap(nil))
	if err == nil || !strings.Contains(err.Error(), "args.service-name was not resolved") {
		t.Fatalf("missing required arg: err = %v", err)
	}
	_, err = substitute("{{args.nope}}", map[string]string{})
	if err == nil || !strings.Contains(err.Error(), "failed to resolve {{args.nope}}") {
		t.Fatalf("unknown arg: err = %v", err)
	}
	_, err = substitute("{{ workflow.name }}", map[string]string{})
	if err == nil {
		t.Fatal("a tag that is not an argument must be an error, as in Rollouts")
	}
}

func TestSecretMap(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "token")
	if err := os.WriteFile(file, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MY_TOKEN", "from-env")
	m := SecretMap{"a/k": {Env: "MY_TOKEN"}, "b/k": {File: file}, "c/k": {Env: "UNSET_VAR_FOR_TEST"}}
	for ref, want := range map[string]string{"a/k": "from-env", "b/k": "from-file"} {
		name, key, _ := strings.Cut(ref, "/")
		if got, err := m.Secret(name, key); err != nil || got != want {
			t.Errorf("Secret(%s) = %q, %v; want %q", ref, got, err, want)
		}
	}
	if _, err := m.Secret("c", "k"); err == nil || !strings.Contains(err.Error(), "UNSET_VAR_FOR_TEST") {
		t.Errorf("unset env: err = %v", err)
	}
	if _, err := m.Secret("d", "k"); err == nil || !strings.Contains(err.Error(), "SLIPWAY_SECRET_D_K") {
		t.Errorf("unmapped: err = %v, want the fallback variable named", err)
	}
}

func TestEveryProviderKindParses(t *testing.T) {
	ts := mustParse(t, "every-provider.yaml")
	if err := Validate(nil, nil, ts...); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	var kinds []string
	for _, m := range ts[0].Spec.Metrics {
		kinds = append(kinds, m.Provider.Kind())
	}
	want := "web job datadog newRelic cloudWatch wavefront kayenta graphite influxdb skywalking plugin"
	if got := strings.Join(kinds, " "); got != want {
		t.Fatalf("kinds = %s, want %s", got, want)
	}
	// Runnable providers build; the others are rejected when built, with a
	// message naming the provider.
	for _, m := range ts[0].Spec.Metrics {
		_, err := DefaultRegistry().New(m)
		runnable := m.Provider.Kind() == "web" || m.Provider.Kind() == "job"
		if runnable && err != nil {
			t.Errorf("%s: %v", m.Name, err)
		}
		if !runnable && (err == nil || !strings.Contains(err.Error(), "not supported by Slipway")) {
			t.Errorf("%s: err = %v, want 'not supported by Slipway'", m.Name, err)
		}
	}
}

func TestNestedTemplates(t *testing.T) {
	ts := mustParse(t, "nested.yaml")
	lib := NewLibrary()
	if err := lib.Add(ts...); err != nil {
		t.Fatal(err)
	}
	if err := Validate(lib, nil, ts...); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	flat, err := lib.Flatten(ts[0])
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range flat.Spec.Metrics {
		names = append(names, m.Name)
	}
	if strings.Join(names, ",") != "child-metric,shared-metric" {
		t.Fatalf("merged metrics = %v", names)
	}
	if i := findArg(flat.Spec.Args, "service"); i < 0 || flat.Spec.Args[i].Value == nil || *flat.Spec.Args[i].Value != "api" {
		t.Fatalf("merged args = %+v", flat.Spec.Args)
	}
	if _, err := lib.Resolve(TemplateRef{TemplateName: "absent"}); err == nil || !strings.Contains(err.Error(), `"absent" not found`) {
		t.Fatalf("missing ref: %v", err)
	}
}

// TestValidateGolden pins the field paths and messages of every problem in
// testdata/invalid.yaml.
func TestValidateGolden(t *testing.T) {
	for _, name := range []string{"invalid", "unknown-field"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", name+".yaml")
			ts, err := ParseFile(path)
			if err == nil {
				err = Validate(nil, nil, ts...)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want a *ValidationError", err)
			}
			got := ve.Error() + "\n"
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got != string(want) {
				t.Fatalf("validation output differs from %s:\n%s", golden, got)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := map[string]string{
		"not yaml":        "a: [",
		"no template":     "---\n",
		"scalar document": "hello",
		"provider scalar": "apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: x}\nspec: {metrics: [{name: m, provider: 3}]}",
		"count is a list": "apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: x}\nspec: {metrics: [{name: m, count: [1], provider: {web: {url: x}}}]}",
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(in), "input.yaml")
			if err == nil || !strings.Contains(err.Error(), "input.yaml") {
				t.Fatalf("err = %v, want an error naming the input", err)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"success-rate.yaml", "every-provider.yaml", "nested.yaml", "invalid.yaml"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ts, err := Parse(data, "fuzz.yaml")
		if err != nil {
			return
		}
		_ = Validate(nil, nil, ts...)
		for _, tp := range ts {
			for _, m := range tp.Spec.Metrics {
				if rm, err := resolveMetric(m, map[string]string{}); err == nil {
					_, _ = LimitsOf(rm)
				}
			}
		}
	})
}

func FuzzEvalCondition(f *testing.F) {
	f.Add("result[0] >= 0.95", 0.5)
	f.Add("all(result, # < 1000)", 1.0)
	f.Add("asInt(result) > 1", 2.0)
	f.Fuzz(func(t *testing.T, cond string, v float64) {
		p, err := EvaluateResult([]float64{v}, cond, "")
		if (err != nil) != (p == PhaseError) {
			t.Fatalf("phase %s with error %v", p, err)
		}
	})
}

// TestValidateReportsAMissingTemplateOnce: a reference to a template that
// does not exist is one problem, reported where the reference is written,
// not once more by every template that composes it.
func TestValidateReportsAMissingTemplateOnce(t *testing.T) {
	ts, lib := parseLibrary(t, "c.yaml", `
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: top}
spec:
  templates: [{templateName: middle}]
---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: middle}
spec:
  metrics: [{name: m, provider: {web: {url: "http://127.0.0.1/"}}}]
  templates: [{templateName: gone}]
---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: direct}
spec:
  templates: [{templateName: absent}]
`)
	problems := func(ts ...*Template) string {
		var ve *ValidationError
		if err := Validate(lib, nil, ts...); !errors.As(err, &ve) {
			t.Fatalf("err = %v, want a *ValidationError", err)
		}
		return ve.Error()
	}
	all := problems(ts...)
	want := `c.yaml#2: spec.templates[0].templateName: AnalysisTemplate "gone" not found: add the file that defines it to the canary's templates list
c.yaml#3: spec.templates[0].templateName: AnalysisTemplate "absent" not found: add the file that defines it to the canary's templates list`
	if all != want {
		t.Fatalf("problems:\n%s\nwant:\n%s", all, want)
	}
	// Checked alone, the composing template names the one at fault.
	alone := problems(ts[0])
	if alone != `c.yaml#1: spec.templates: c.yaml#2: spec.templates: AnalysisTemplate "gone" not found: add the file that defines it to the canary's templates list` {
		t.Fatalf("top alone: %s", alone)
	}
}

// TestValidateCycleNamesItsTemplateOnce: other composition errors keep
// their message, without the template's own name repeated.
func TestValidateCycleNamesItsTemplateOnce(t *testing.T) {
	ts, lib := parseLibrary(t, "loop.yaml", `
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: a}
spec:
  metrics: [{name: m, provider: {web: {url: "http://127.0.0.1/"}}}]
  templates: [{templateName: a}]
`)
	err := Validate(lib, nil, ts...)
	want := "loop.yaml#1: spec.templates: templates reference each other in a cycle ([a] -> a): remove one reference"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}

// parseLibrary parses doc (named source) into templates and a library
// holding them.
func parseLibrary(t *testing.T, source, doc string) ([]*Template, *Library) {
	t.Helper()
	ts, err := Parse([]byte(doc), source)
	if err != nil {
		t.Fatal(err)
	}
	lib := NewLibrary()
	if err := lib.Add(ts...); err != nil {
		t.Fatal(err)
	}
	return ts, lib
}
