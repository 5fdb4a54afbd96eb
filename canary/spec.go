// Package canary runs a canary the way an Argo Rollouts canary strategy
// does: steps (setWeight, pause, analysis) moved through a rollout.Driver,
// with an optional background analysis across the steps. A Failed or Error
// analysis aborts to stable at once; Inconclusive pauses for a decision;
// finishing the steps promotes.
package canary

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/slipway/slipway/analysis"
)

// Spec is the `canary:` block of an environment in slipway.yaml; its steps
// and analysis blocks are written exactly as in a Rollout's
// spec.strategy.canary.
type Spec struct {
	Steps []Step `yaml:"steps" json:"steps"`
	// Analysis is the background analysis (strategy.canary.analysis).
	Analysis *BackgroundAnalysis `yaml:"analysis,omitempty" json:"analysis,omitempty"`
	// Templates are the AnalysisTemplates the steps reference: file paths
	// (relative to the configuration's directory) or inline documents.
	Templates []TemplateSource `yaml:"templates,omitempty" json:"templates,omitempty"`
}

// Step is one canary step; exactly one field is set.
type Step struct {
	SetWeight *int          `yaml:"setWeight,omitempty" json:"setWeight,omitempty"`
	Pause     *Pause        `yaml:"pause,omitempty" json:"pause,omitempty"`
	Analysis  *AnalysisStep `yaml:"analysis,omitempty" json:"analysis,omitempty"`
	// Other holds step kinds Rollouts has and Slipway does not run
	// (experiment, setCanaryScale, setHeaderRoute, …): they parse, and
	// Validate rejects them by name.
	Other map[string]yaml.Node `yaml:",inline" json:"-"`
}

// Pause waits Duration ("30s", "1h", or a number of seconds); without a
// duration it waits for an external decision (Rollouts' indefinite pause).
type Pause struct {
	Duration *analysis.IntOrString `yaml:"duration,omitempty" json:"duration,omitempty"`
}

// DurationValue returns the pause's duration; ok is false for an
// indefinite pause.
func (p Pause) DurationValue() (d time.Duration, ok bool, err error) {
	if p.Duration == nil {
		return 0, false, nil
	}
	if !p.Duration.IsString {
		return time.Duration(p.Duration.Int) * time.Second, true, nil
	}
	s := strings.TrimSpace(p.Duration.Str)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Duration(n) * time.Second, true, nil
	}
	d, err = time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, false, fmt.Errorf("pause duration %q: use a duration such as 30s or 10m, or a number of seconds", s)
	}
	return d, true, nil
}

// AnalysisStep is an inline analysis step (and the shape of the background
// analysis): the templates to merge and the args to pass.
type AnalysisStep struct {
	Templates []analysis.TemplateRef `yaml:"templates" json:"templates"`
	Args      []AnalysisArg          `yaml:"args,omitempty" json:"args,omitempty"`
}

// BackgroundAnalysis runs across the steps from StartingStep on.
type BackgroundAnalysis struct {
	AnalysisStep `yaml:",inline" json:",inline"`
	StartingStep int `yaml:"startingStep,omitempty" json:"startingStep,omitempty"`
}

// AnalysisArg is a Rollout's analysis argument. valueFrom.podTemplateHashValue
// maps to the digests Slipway rolls: Stable → the stable digest, Latest → the
// canary digest.
type AnalysisArg struct {
	Name      string `yaml:"name" json:"name"`
	Value     string `yaml:"value,omitempty" json:"value,omitempty"`
	ValueFrom *struct {
		PodTemplateHashValue string `yaml:"podTemplateHashValue,omitempty" json:"podTemplateHashValue,omitempty"`
		FieldRef             *struct {
			FieldPath string `yaml:"fieldPath" json:"fieldPath"`
		} `yaml:"fieldRef,omitempty" json:"fieldRef,omitempty"`
	} `yaml:"valueFrom,omitempty" json:"valueFrom,omitempty"`
}

// TemplateSource is a file path (a YAML string) or an inline template
// document (a YAML mapping).
type TemplateSource struct {
	Path   string
	Inline *yaml.Node
}

// UnmarshalYAML accepts a string or a mapping.
func (s *TemplateSource) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		s.Path = n.Value
		return nil
	case yaml.MappingNode:
		s.Inline = n
		return nil
	}
	return fmt.Errorf("line %d: a template is a file path or an inline AnalysisTemplate document", n.Line)
}

// MarshalYAML writes the path or the document.
func (s TemplateSource) MarshalYAML() (any, error) {
	if s.Inline != nil {
		return s.Inline, nil
	}
	return s.Path, nil
}

// LoadTemplates parses the spec's templates (paths relative to baseDir)
// into a library and validates them.
func LoadTemplates(spec Spec, baseDir string) (*analysis.Library, error) {
	lib := analysis.NewLibrary()
	for i, src := range spec.Templates {
		var ts []*analysis.Template
		var err error
		if src.Inline != nil {
			b, merr := yaml.Marshal(src.Inline)
			if merr != nil {
				return nil, merr
			}
			ts, err = analysis.Parse(b, fmt.Sprintf("canary.templates[%d]", i))
		} else {
			p := src.Path
			if !filepath.IsAbs(p) && baseDir != "" {
				p = filepath.Join(baseDir, p)
			}
			ts, err = analysis.ParseFile(p)
		}
		if err != nil {
			return nil, err
		}
		if err := lib.Add(ts...); err != nil {
			return nil, err
		}
	}
	if err := analysis.Validate(lib, nil, lib.Templates()...); err != nil {
		return nil, err
	}
	return lib, nil
}

// Validate checks the steps and that every referenced template is in lib.
func (s Spec) Validate(lib *analysis.Library) error {
	var probs []string
	add := func(format string, a ...any) { probs = append(probs, fmt.Sprintf(format, a...)) }
	checkRefs := func(path string, a AnalysisStep) {
		if len(a.Templates) == 0 {
			add("%s.templates: at least one templateName is required", path)
		}
		if lib != nil && len(a.Templates) > 0 {
			if _, err := lib.Resolve(a.Templates...); err != nil {
				add("%s.templates: %v", path, err)
			}
		}
		for j, arg := range a.Args {
			if arg.ValueFrom != nil {
				switch {
				case arg.ValueFrom.FieldRef != nil:
					add("%s.args[%d].valueFrom.fieldRef: Rollout fields do not exist outside Kubernetes: use value", path, j)
				case arg.ValueFrom.PodTemplateHashValue != "Stable" && arg.ValueFrom.PodTemplateHashValue != "Latest":
					add("%s.args[%d].valueFrom.podTemplateHashValue: must be Stable or Latest", path, j)
				}
			}
		}
	}
	for i, st := range s.Steps {
		path := fmt.Sprintf("canary.steps[%d]", i)
		n := 0
		if st.SetWeight != nil {
			n++
			if *st.SetWeight < 0 || *st.SetWeight > 100 {
				add("%s.setWeight: %d is not a percentage (0-100)", path, *st.SetWeight)
			}
		}
		if st.Pause != nil {
			n++
			if _, _, err := st.Pause.DurationValue(); err != nil {
				add("%s.pause: %v", path, err)
			}
		}
		if st.Analysis != nil {
			n++
			checkRefs(path+".analysis", *st.Analysis)
		}
		for k := range st.Other {
			n++
			add("%s.%s: this Argo Rollouts step is not supported by Slipway's canary runner (it runs setWeight, pause and analysis)", path, k)
		}
		if n != 1 {
			add("%s: a step has exactly one of setWeight, pause, analysis", path)
		}
	}
	if s.Analysis != nil {
		checkRefs("canary.analysis", s.Analysis.AnalysisStep)
		if s.Analysis.StartingStep < 0 || s.Analysis.StartingStep > len(s.Steps) {
			add("canary.analysis.startingStep: %d is outside the %d steps", s.Analysis.StartingStep, len(s.Steps))
		}
	}
	if len(probs) > 0 {
		return fmt.Errorf("invalid canary spec:\n  %s", strings.Join(probs, "\n  "))
	}
	return nil
}
