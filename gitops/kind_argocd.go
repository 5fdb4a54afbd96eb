package gitops

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// ArgoCD pins the Helm image block of an Argo CD Application, either in
// spec.source.helm.parameters (entries {name: image.digest, value: ...})
// or in spec.source.helm.valuesObject. A multi-source Application's
// source is chosen from spec.sources by repoURL, chart, path, name or
// index. Argo CD gives parameters precedence over valuesObject, which
// beats values and valueFiles; a pin writing valuesObject therefore
// refuses an Application whose parameters set the same field.
type ArgoCD struct {
	HelmImage `yaml:",inline"`
	// Source chooses one of spec.sources; nil means spec.source (or the
	// only item of spec.sources).
	Source *Source `yaml:"source,omitempty"`
	// Helm is where the values go: parameters (default) or valuesObject.
	Helm string `yaml:"helm,omitempty"`
}

// Source chooses an item of an Application's spec.sources: all the fields
// set must match, or Index picks it by position.
//
// {service} and {env} are replaced in repoURL, chart, path and name, so
// one environment-wide pin can choose each service's chart.
type Source struct {
	RepoURL string `yaml:"repoURL,omitempty"`
	Chart   string `yaml:"chart,omitempty"`
	Path    string `yaml:"path,omitempty"`
	Name    string `yaml:"name,omitempty"`
	Index   *int   `yaml:"index,omitempty"`
}

func init() { register(func() Format { return &ArgoCD{} }) }

const (
	argoParameters   = "parameters"
	argoValuesObject = "valuesObject"
	argoAPIVersion   = "argoproj.io/v1alpha1"
)

func (*ArgoCD) kind() string   { return "argocd" }
func (*ArgoCD) keys() []string { return []string{"image", "keys", "source", "helm"} }
func (*ArgoCD) fixHint() string {
	return "fix image:, keys:, helm: or source: of the pin in slipway.yaml"
}
func (*ArgoCD) writes() writeRule { return helmWriteRule }

func (a *ArgoCD) check(p *Pin) error {
	switch a.Helm {
	case "", argoParameters, argoValuesObject:
	default:
		return &ConfigError{Key: "helm", Msg: fmt.Sprintf("%q: write helm: parameters (spec.source.helm.parameters) or helm: valuesObject", a.Helm)}
	}
	if d := p.Document; d != nil && d.Kind != "" && d.Kind != "Application" {
		return &ConfigError{Key: "document", Msg: fmt.Sprintf("an argocd pin edits an Application, not a %s; choose it with document: {name: ...}", d.Kind)}
	}
	if s := a.Source; s != nil {
		if _, err := s.step(sampleTarget); err != nil {
			return &ConfigError{Key: "source", Msg: err.Error()}
		}
		named := s.RepoURL != "" || s.Chart != "" || s.Path != "" || s.Name != ""
		switch {
		case s.Index != nil && named:
			return &ConfigError{Key: "source", Msg: "choose the source by index: or by repoURL:/chart:/path:/name:, not both"}
		case s.Index == nil && !named:
			return &ConfigError{Key: "source", Msg: "source: needs repoURL:, chart:, path:, name: or index:"}
		case s.Index != nil && *s.Index < 0:
			return &ConfigError{Key: "source", Msg: "index: counts from 0"}
		}
	}
	return a.checkImage(p, a, a.Helm == argoValuesObject)
}

// document always selects an Application: in a file of several
// documents the pin can only mean it, and in a file of one it checks
// that the pin points at an Application.
func (a *ArgoCD) document(p *Pin) *Document {
	d := &Document{Kind: "Application"}
	if p.Document != nil {
		d.Name = p.Document.Name
	}
	return d
}

func (a *ArgoCD) fields(p *Pin, t Target, v view) ([]slot, error) {
	src, err := a.source(v, t)
	if err != nil {
		return nil, err
	}
	w := effectiveWrite(p, a)
	if a.Helm == argoValuesObject {
		base, err := a.imageSteps()
		if err != nil {
			return nil, err
		}
		if err := a.overridden(w, src, v); err != nil {
			return nil, err
		}
		at := func(key string) []Step { return join(src, keyPath("helm", "valuesObject"), base, keyPath(key)) }
		return a.slots(w, at, v)
	}
	return a.slots(w, a.parameter(src), v)
}

// parameter maps a key of the image block to its parameter's value.
func (a *ArgoCD) parameter(src []Step) func(key string) []Step {
	return func(key string) []Step {
		sel := Step{Kind: SelectStep, Match: []Condition{{Field: []string{"name"}, Value: a.imagePath() + "." + key}}}
		return join(src, keyPath("helm", "parameters"), []Step{sel}, keyPath("value"))
	}
}

// overridden refuses a valuesObject write that a parameter would override.
func (a *ArgoCD) overridden(w Write, src []Step, v view) error {
	at := a.parameter(src)
	for _, word := range w {
		steps := at(a.key(roleOf(word)))
		if n := v.node(steps[:len(steps)-1]...); n != nil {
			path := Path{Doc: v.doc, Steps: steps[:len(steps)-1]}
			return &PathError{Path: path.String(), Found: path.String(), Line: n.Line, Err: ErrConflict,
				Detail: fmt.Sprintf("the Application sets the parameter %s, and Argo CD gives parameters precedence over valuesObject, so the pin would change nothing that runs; delete the parameter, or pin it with helm: parameters", steps[len(steps)-2].Match[0].Value)}
		}
	}
	return nil
}

// source returns the steps to the Application source the pin edits.
func (a *ArgoCD) source(v view, t Target) ([]Step, error) {
	single, multi := keyPath("spec", "source"), keyPath("spec", "sources")
	hasSingle := v.node(single...) != nil
	sources := v.node(multi...)
	if sources != nil && sources.Kind != yaml.SequenceNode {
		sources = nil
	}
	if a.Source == nil {
		switch {
		case hasSingle || sources == nil:
			return single, nil
		case len(sources.Content) == 1:
			return join(multi, []Step{{Kind: IndexStep, Index: 0}}), nil
		}
		return nil, &PathError{Path: Path{Doc: v.doc, Steps: multi}.String(), Found: Path{Doc: v.doc, Steps: multi}.String(), Line: sources.Line, Err: ErrAmbiguous,
			Detail: fmt.Sprintf("the Application has %s; choose one with source: {chart: ...} (or repoURL:, path:, name:, index:); they are: %s",
				plural(len(sources.Content), "source"), summarizeItems(sources.Content, sourceFields))}
	}
	sel, err := a.Source.step(t)
	if err != nil {
		return nil, err
	}
	if sources != nil || !hasSingle {
		return join(multi, []Step{sel}), nil
	}
	// A single-source Application: spec.source must be the one asked for.
	node := v.node(single...)
	if sel.Kind == IndexStep && sel.Index == 0 || sel.Kind == SelectStep && matches(node, sel.Match) {
		return single, nil
	}
	path := Path{Doc: v.doc, Steps: single}
	return nil, &PathError{Path: path.String(), Found: path.String(), Line: node.Line, Err: ErrNotFound,
		Detail: fmt.Sprintf("the Application has one source, spec.source, with %s; it does not match source: %s of the pin; fix source: or remove it",
			describeFields(node, sourceFields), strings.TrimSuffix(strings.TrimPrefix(sel.String(), "["), "]"))}
}

// sourceFields are the fields a source is described and chosen by.
var sourceFields = []Condition{{Field: []string{"repoURL"}}, {Field: []string{"chart"}}, {Field: []string{"path"}}, {Field: []string{"name"}}}

// step turns the chosen source into a path step.
func (s *Source) step(t Target) (Step, error) {
	if s.Index != nil {
		return Step{Kind: IndexStep, Index: *s.Index}, nil
	}
	st := Step{Kind: SelectStep}
	for _, c := range []struct{ field, value string }{{"repoURL", s.RepoURL}, {"chart", s.Chart}, {"path", s.Path}, {"name", s.Name}} {
		if c.value == "" {
			continue
		}
		value, err := expandNames("source "+c.field, c.value, t)
		if err != nil {
			return Step{}, err
		}
		st.Match = append(st.Match, Condition{Field: []string{c.field}, Value: value})
	}
	return st, nil
}
