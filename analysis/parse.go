package analysis

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// FieldError is one problem in a template, named by its field path
// ("spec.metrics[0].count") so a person can find it.
type FieldError struct {
	Source string // file and document ("canary.yaml#1")
	Path   string
	Msg    string
}

func (e FieldError) Error() string {
	if e.Source == "" {
		return fmt.Sprintf("%s: %s", e.Path, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", e.Source, e.Path, e.Msg)
}

// ValidationError lists every problem found in a set of templates.
type ValidationError struct{ Problems []FieldError }

func (e *ValidationError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Error()
	}
	return strings.Join(msgs, "\n")
}

// Parse decodes every AnalysisTemplate / ClusterAnalysisTemplate document in
// data (multi-document YAML, flow style and block scalars included). source
// names the input in errors. It checks structure and field names (like a
// strict CRD schema) but not semantics: call Validate for those.
func Parse(data []byte, source string) ([]*Template, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []*Template
	var problems []FieldError
	for doc := 1; ; doc++ {
		var root yaml.Node
		err := dec.Decode(&root)
		if errors.Is(err, io.EOF) {
			break
		}
		src := fmt.Sprintf("%s#%d", source, doc)
		if err != nil {
			return nil, fmt.Errorf("%s: not valid YAML: %w", src, err)
		}
		if len(root.Content) == 0 || (root.Content[0].Kind == yaml.ScalarNode && root.Content[0].Tag == "!!null") {
			continue // empty document between separators
		}
		body := root.Content[0]
		if body.Kind != yaml.MappingNode {
			problems = append(problems, FieldError{src, "(document)", "expected a mapping with apiVersion, kind, metadata and spec"})
			continue
		}
		unknown := checkKnownFields(body, "")
		for _, u := range unknown {
			u.Source = src
			problems = append(problems, u)
		}
		var t Template
		if err := body.Decode(&t); err != nil {
			problems = append(problems, FieldError{src, "(document)", err.Error()})
			continue
		}
		t.Source = src
		attachRawMetrics(&t, body)
		out = append(out, &t)
	}
	if len(problems) > 0 {
		return out, &ValidationError{Problems: problems}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no AnalysisTemplate found: the file must hold at least one document with kind AnalysisTemplate or ClusterAnalysisTemplate", source)
	}
	return out, nil
}

// ParseFile reads and parses one file.
func ParseFile(path string) ([]*Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read analysis template: %w", err)
	}
	return Parse(data, path)
}

// LoadFiles parses every file (relative paths are taken from baseDir, the
// directory of slipway.yaml) into a Library.
func LoadFiles(baseDir string, paths ...string) (*Library, error) {
	lib := NewLibrary()
	for _, p := range paths {
		if !filepath.IsAbs(p) && baseDir != "" {
			p = filepath.Join(baseDir, p)
		}
		ts, err := ParseFile(p)
		if err != nil {
			return nil, err
		}
		if err := lib.Add(ts...); err != nil {
			return nil, err
		}
	}
	return lib, nil
}

// metricRawKey is where the decoded metric keeps its source node, so that
// arguments are substituted in the YAML (any field, int-or-string included)
// before the metric is decoded for a run.
func attachRawMetrics(t *Template, body *yaml.Node) {
	spec := mapValue(body, "spec")
	metrics := mapValue(spec, "metrics")
	if metrics == nil || metrics.Kind != yaml.SequenceNode {
		return
	}
	for i := range t.Spec.Metrics {
		if i < len(metrics.Content) {
			t.Spec.Metrics[i].raw = metrics.Content[i]
		}
	}
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// knownFields is the schema of the CRD as field names per path ("[]" marks
// list items). Paths absent here (metadata, provider configs) are free-form
// or checked elsewhere.
var knownFields = map[string][]string{
	"":                                   {"apiVersion", "kind", "metadata", "spec"},
	"spec":                               {"metrics", "args", "dryRun", "measurementRetention", "templates"},
	"spec.args[]":                        {"name", "value", "valueFrom"},
	"spec.args[].valueFrom":              {"secretKeyRef", "podTemplateHashValue", "fieldRef"},
	"spec.args[].valueFrom.secretKeyRef": {"name", "key"},
	"spec.args[].valueFrom.fieldRef":     {"fieldPath"},
	"spec.dryRun[]":                      {"metricName"},
	"spec.measurementRetention[]":        {"metricName", "limit"},
	"spec.templates[]":                   {"templateName", "clusterScope"},
	"spec.metrics[]":                     {"name", "interval", "initialDelay", "count", "successCondition", "failureCondition", "failureLimit", "inconclusiveLimit", "consecutiveErrorLimit", "consecutiveSuccessLimit", "provider", "dryRun", "noData"},
}

func checkKnownFields(n *yaml.Node, pattern string) []FieldError {
	return walkKnown(n, pattern, pattern)
}

func walkKnown(n *yaml.Node, pattern, path string) []FieldError {
	var out []FieldError
	switch n.Kind {
	case yaml.MappingNode:
		allowed, checked := knownFields[pattern]
		if !checked {
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			childPath := joinPath(path, k)
			if !contains(allowed, k) {
				out = append(out, FieldError{Path: childPath, Msg: fmt.Sprintf("unknown field %q (line %d); known fields here: %s", k, n.Content[i].Line, strings.Join(sorted(allowed), ", "))})
				continue
			}
			out = append(out, walkKnown(n.Content[i+1], joinPath(pattern, k), childPath)...)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			out = append(out, walkKnown(c, pattern+"[]", fmt.Sprintf("%s[%d]", path, i))...)
		}
	}
	return out
}

func joinPath(base, k string) string {
	if base == "" {
		return k
	}
	return base + "." + k
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sorted(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	return out
}
