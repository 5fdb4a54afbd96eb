package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (string, int) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		return out.String() + err.Error(), exitCode(err)
	}
	return out.String(), 0
}

const jobTemplate = `apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: smoke}
spec:
  args: [{name: code}]
  metrics:
  - name: smoke
    provider: {job: {spec: {backoffLimit: 0, template: {spec: {containers: [{name: c, command: [sh, -c, "exit {{args.code}}"]}]}}}}}
`

func TestAnalysisRunCLI(t *testing.T) {
	file := filepath.Join(t.TempDir(), "smoke.yaml")
	if err := os.WriteFile(file, []byte(jobTemplate), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		code     string
		wantExit int
		phase    string
	}{{"0", 0, "Successful"}, {"1", exitAnalysisFailed, "Failed"}}
	for _, tt := range tests {
		out, code := runCLI(t, "analysis", "run", file, "--arg", "code="+tt.code, "--output", "json")
		if code != tt.wantExit {
			t.Fatalf("exit %d, want %d:\n%s", code, tt.wantExit, out)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		var last struct {
			Event  string `json:"event"`
			Result struct {
				Phase string `json:"phase"`
			} `json:"result"`
		}
		// the last JSON line is the result (an error message may follow it)
		for i := len(lines) - 1; i >= 0; i-- {
			if json.Unmarshal([]byte(lines[i]), &last) == nil && last.Event == "result" {
				break
			}
		}
		if last.Result.Phase != tt.phase || !strings.Contains(out, `"event":"measurement"`) {
			t.Fatalf("result phase %q, want %s:\n%s", last.Result.Phase, tt.phase, out)
		}
	}
	if out, code := runCLI(t, "analysis", "run", file); code != exitAnalysisError || !strings.Contains(out, "args.code was not resolved") {
		t.Fatalf("missing arg: exit %d\n%s", code, out)
	}
}

func TestAnalysisValidateCLI(t *testing.T) {
	out, code := runCLI(t, "analysis", "validate", "../../analysis/testdata/invalid.yaml", "../../analysis/testdata/success-rate.yaml")
	if code != 1 || !strings.Contains(out, "spec.metrics[0].count: count must be >= failureLimit") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	out, code = runCLI(t, "analysis", "validate", "../../analysis/testdata/nested.yaml")
	if code != 0 || !strings.Contains(out, "ClusterAnalysisTemplate shared ok") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// A composed template that does not exist is one problem, printed once.
func TestAnalysisValidatePrintsAMissingTemplateOnce(t *testing.T) {
	file := filepath.Join(t.TempDir(), "composed.yaml")
	doc := "apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: composed}\nspec:\n  templates: [{templateName: missing-one}]\n"
	if err := os.WriteFile(file, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code := runCLI(t, "analysis", "validate", file)
	if code != 1 || strings.Count(out, `"missing-one" not found`) != 1 || !strings.Contains(out, "spec.templates[0].templateName") || !strings.Contains(out, "1 problem(s) found") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}
