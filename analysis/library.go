package analysis

import (
	"errors"
	"fmt"
	"regexp"
)

// Library holds the templates a run may reference by name: the ones named in
// a canary spec and the ones their `templates:` lists pull in.
type Library struct {
	namespaced map[string]*Template
	cluster    map[string]*Template
	order      []*Template
}

// NewLibrary returns an empty library.
func NewLibrary() *Library {
	return &Library{namespaced: map[string]*Template{}, cluster: map[string]*Template{}}
}

// Add registers templates; a second template of the same kind and name is
// an error naming both sources.
func (l *Library) Add(ts ...*Template) error {
	for _, t := range ts {
		m := l.namespaced
		if t.Kind == KindClusterAnalysisTemplate {
			m = l.cluster
		}
		if prev, ok := m[t.Metadata.Name]; ok {
			return fmt.Errorf("%s: %s %q is already defined in %s: give one of them another metadata.name", t.Source, t.Kind, t.Metadata.Name, prev.Source)
		}
		m[t.Metadata.Name] = t
		l.order = append(l.order, t)
	}
	return nil
}

// Templates lists the templates in the order they were added.
func (l *Library) Templates() []*Template { return append([]*Template(nil), l.order...) }

// Get finds a template by reference.
func (l *Library) Get(ref TemplateRef) (*Template, error) {
	m, kind := l.namespaced, KindAnalysisTemplate
	if ref.ClusterScope {
		m, kind = l.cluster, KindClusterAnalysisTemplate
	}
	t, ok := m[ref.TemplateName]
	if !ok {
		return nil, &MissingTemplateError{Kind: kind, Name: ref.TemplateName}
	}
	return t, nil
}

// MissingTemplateError is a reference to a template the library does not
// hold.
type MissingTemplateError struct {
	Kind string // AnalysisTemplate or ClusterAnalysisTemplate
	Name string
	// In is the template whose spec.templates holds the reference (nil for
	// a reference given to Get or Resolve directly).
	In *Template
}

func (e *MissingTemplateError) Error() string {
	return fmt.Sprintf("%s %q not found: add the file that defines it to the canary's templates list", e.Kind, e.Name)
}

// Resolve merges the referenced templates (and, recursively, the templates
// they reference) into one template, as Rollouts does when it creates an
// AnalysisRun from several templates: metrics and args are combined; two
// metrics with one name, or two values for one argument, are errors.
func (l *Library) Resolve(refs ...TemplateRef) (*Template, error) {
	out := &Template{APIVersion: APIVersion, Kind: KindAnalysisTemplate}
	seen := map[TemplateRef]bool{}
	var visit func(t *Template, stack []string) error
	visit = func(t *Template, stack []string) error {
		for _, ref := range t.Spec.Templates {
			if contains(stack, ref.TemplateName) {
				return fmt.Errorf("%s: templates reference each other in a cycle (%v -> %s): remove one reference", t.Source, stack, ref.TemplateName)
			}
			if seen[ref] {
				continue
			}
			seen[ref] = true
			child, err := l.Get(ref)
			if err != nil {
				var missing *MissingTemplateError
				if errors.As(err, &missing) {
					missing.In = t
				}
				return fmt.Errorf("%s: spec.templates: %w", t.Source, err)
			}
			if err := visit(child, append(stack, ref.TemplateName)); err != nil {
				return err
			}
		}
		return mergeInto(out, t)
	}
	for _, ref := range refs {
		if seen[ref] {
			continue
		}
		seen[ref] = true
		t, err := l.Get(ref)
		if err != nil {
			return nil, err
		}
		if err := visit(t, []string{ref.TemplateName}); err != nil {
			return nil, err
		}
		if out.Metadata.Name == "" {
			out.Metadata.Name = t.Metadata.Name
			out.Source = t.Source
		}
	}
	return out, nil
}

// Flatten merges a single template with the templates it references.
func (l *Library) Flatten(t *Template) (*Template, error) {
	if len(t.Spec.Templates) == 0 {
		return t, nil
	}
	tmp := NewLibrary()
	for _, x := range l.order {
		_ = tmp.Add(x)
	}
	if _, err := tmp.Get(TemplateRef{TemplateName: t.Metadata.Name, ClusterScope: t.Kind == KindClusterAnalysisTemplate}); err != nil {
		if err := tmp.Add(t); err != nil {
			return nil, err
		}
	}
	out, err := tmp.Resolve(TemplateRef{TemplateName: t.Metadata.Name, ClusterScope: t.Kind == KindClusterAnalysisTemplate})
	if err != nil {
		return nil, err
	}
	out.Metadata = t.Metadata
	out.Source = t.Source
	return out, nil
}

func mergeInto(out, t *Template) error {
	for _, m := range t.Spec.Metrics {
		for _, have := range out.Spec.Metrics {
			if have.Name == m.Name {
				return fmt.Errorf("%s: two metrics have the same name %q: rename one of them", t.Source, m.Name)
			}
		}
		out.Spec.Metrics = append(out.Spec.Metrics, m)
	}
	for _, a := range t.Spec.Args {
		i := findArg(out.Spec.Args, a.Name)
		if i < 0 {
			out.Spec.Args = append(out.Spec.Args, a)
			continue
		}
		have := out.Spec.Args[i]
		switch {
		case have.Value != nil && a.Value != nil && *have.Value != *a.Value:
			return fmt.Errorf("%s: argument %q has two different values (%q and %q) in the merged templates: keep one", t.Source, a.Name, *have.Value, *a.Value)
		case have.Value == nil && have.ValueFrom == nil:
			out.Spec.Args[i] = a
		}
	}
	out.Spec.DryRun = append(out.Spec.DryRun, t.Spec.DryRun...)
	out.Spec.MeasurementRetention = append(out.Spec.MeasurementRetention, t.Spec.MeasurementRetention...)
	return nil
}

func findArg(args []Argument, name string) int {
	for i, a := range args {
		if a.Name == name {
			return i
		}
	}
	return -1
}

// dryRunMetrics returns the names of the dry-run metrics. Like Rollouts, each
// spec.dryRun rule is a regular expression that must match at least one
// metric.
func dryRunMetrics(spec TemplateSpec) (map[string]bool, error) {
	out := map[string]bool{}
	for _, m := range spec.Metrics {
		if m.DryRun {
			out[m.Name] = true
		}
	}
	for i, rule := range spec.DryRun {
		re, err := regexp.Compile(rule.MetricName)
		if err != nil {
			return nil, fmt.Errorf("spec.dryRun[%d].metricName: %q is not a regular expression: %v", i, rule.MetricName, err)
		}
		matched := 0
		for _, m := range spec.Metrics {
			if re.MatchString(m.Name) {
				out[m.Name] = true
				matched++
			}
		}
		if matched == 0 {
			return nil, fmt.Errorf("spec.dryRun[%d]: rule %q didn't match any metric name", i, rule.MetricName)
		}
	}
	return out, nil
}
