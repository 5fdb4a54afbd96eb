// Package analysis runs Argo Rollouts AnalysisTemplates: it parses the
// templates users already have, resolves their arguments, takes measurements
// through providers (prometheus, web, job, and any registered later) and
// decides each measurement, metric and run exactly as the Argo Rollouts
// analysis controller does. Deliberate differences are listed in
// docs/analysis.md.
package analysis

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// APIVersion is the only apiVersion accepted for templates.
const APIVersion = "argoproj.io/v1alpha1"

// Template kinds accepted by Parse.
const (
	KindAnalysisTemplate        = "AnalysisTemplate"
	KindClusterAnalysisTemplate = "ClusterAnalysisTemplate"
)

// Template is one AnalysisTemplate or ClusterAnalysisTemplate document.
type Template struct {
	APIVersion string       `yaml:"apiVersion"`
	Kind       string       `yaml:"kind"`
	Metadata   ObjectMeta   `yaml:"metadata"`
	Spec       TemplateSpec `yaml:"spec"`

	// Source names where the document came from ("file.yaml#2"), for errors.
	Source string `yaml:"-"`
}

// ObjectMeta keeps the metadata fields Slipway reads; labels and
// annotations are accepted and ignored.
type ObjectMeta struct {
	Name        string            `yaml:"name"`
	Namespace   string            `yaml:"namespace,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

// TemplateSpec mirrors AnalysisTemplateSpec of the CRD.
type TemplateSpec struct {
	Metrics              []Metric               `yaml:"metrics,omitempty"`
	Args                 []Argument             `yaml:"args,omitempty"`
	DryRun               []DryRun               `yaml:"dryRun,omitempty"`
	MeasurementRetention []MeasurementRetention `yaml:"measurementRetention,omitempty"`
	Templates            []TemplateRef          `yaml:"templates,omitempty"`
}

// Argument is a template argument; Value nil means "required".
type Argument struct {
	Name      string     `yaml:"name"`
	Value     *string    `yaml:"value,omitempty"`
	ValueFrom *ValueFrom `yaml:"valueFrom,omitempty"`
}

// ValueFrom names where an argument's value comes from. Only
// secretKeyRef is resolvable outside a cluster (see SecretResolver);
// podTemplateHashValue and fieldRef exist in Rollouts and parse, but a
// run reports them as unresolvable unless the caller supplies the value.
type ValueFrom struct {
	SecretKeyRef         *SecretKeyRef `yaml:"secretKeyRef,omitempty"`
	PodTemplateHashValue *string       `yaml:"podTemplateHashValue,omitempty"`
	FieldRef             *FieldRef     `yaml:"fieldRef,omitempty"`
}

// SecretKeyRef names a key of a Kubernetes Secret.
type SecretKeyRef struct {
	Name string `yaml:"name"`
	Key  string `yaml:"key"`
}

// FieldRef is a Rollout field path (e.g. metadata.labels['app']).
type FieldRef struct {
	FieldPath string `yaml:"fieldPath"`
}

// DryRun marks the metrics whose name matches MetricName (a regular
// expression, as in Rollouts) as not affecting the run's phase.
type DryRun struct {
	MetricName string `yaml:"metricName"`
}

// MeasurementRetention is accepted for compatibility; Slipway persists every
// measurement, so it only limits how many are kept in a Result in memory.
type MeasurementRetention struct {
	MetricName string `yaml:"metricName"`
	Limit      int32  `yaml:"limit"`
}

// TemplateRef references another template whose metrics and args are merged
// into this one.
type TemplateRef struct {
	TemplateName string `yaml:"templateName"`
	ClusterScope bool   `yaml:"clusterScope,omitempty"`
}

// Metric mirrors the CRD's Metric.
type Metric struct {
	Name                    string       `yaml:"name"`
	Interval                string       `yaml:"interval,omitempty"`
	InitialDelay            string       `yaml:"initialDelay,omitempty"`
	Count                   *IntOrString `yaml:"count,omitempty"`
	SuccessCondition        string       `yaml:"successCondition,omitempty"`
	FailureCondition        string       `yaml:"failureCondition,omitempty"`
	FailureLimit            *IntOrString `yaml:"failureLimit,omitempty"`
	InconclusiveLimit       *IntOrString `yaml:"inconclusiveLimit,omitempty"`
	ConsecutiveErrorLimit   *IntOrString `yaml:"consecutiveErrorLimit,omitempty"`
	ConsecutiveSuccessLimit *IntOrString `yaml:"consecutiveSuccessLimit,omitempty"`
	Provider                ProviderSpec `yaml:"provider"`

	// DryRun is a Slipway convenience equal to a spec.dryRun entry naming
	// exactly this metric.
	DryRun bool `yaml:"dryRun,omitempty"`
	// NoData is a Slipway extension: what an empty provider result means.
	// Empty keeps Argo's behaviour (the condition sees an empty result,
	// which usually is an expression error).
	NoData NoDataPolicy `yaml:"noData,omitempty"`

	raw *yaml.Node // the metric as written, for argument substitution
}

// NoDataPolicy says how a measurement with an empty result is judged.
type NoDataPolicy string

// The noData policies.
const (
	NoDataDefault      NoDataPolicy = ""
	NoDataFail         NoDataPolicy = "fail"
	NoDataError        NoDataPolicy = "error"
	NoDataInconclusive NoDataPolicy = "inconclusive"
	NoDataIgnore       NoDataPolicy = "ignore"
)

// ProviderSpec holds the metric's provider block as written. Each kind
// (prometheus, web, job, datadog, …) decodes its own configuration, so a
// template using a provider Slipway cannot run still parses.
type ProviderSpec struct {
	nodes map[string]*yaml.Node
	order []string
}

// UnmarshalYAML keeps every provider kind's node.
func (p *ProviderSpec) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: provider must be a mapping such as {prometheus: {...}}", n.Line)
	}
	p.nodes = map[string]*yaml.Node{}
	p.order = nil
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i].Value
		p.nodes[k] = n.Content[i+1]
		p.order = append(p.order, k)
	}
	return nil
}

// MarshalYAML writes the provider block back.
func (p ProviderSpec) MarshalYAML() (any, error) {
	out := &yaml.Node{Kind: yaml.MappingNode}
	for _, k := range p.order {
		out.Content = append(out.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, p.nodes[k])
	}
	return out, nil
}

// Kinds lists the provider kinds present, in document order.
func (p ProviderSpec) Kinds() []string { return append([]string(nil), p.order...) }

// Kind is the single provider kind of the metric ("" when there is none or
// more than one; Validate reports those).
func (p ProviderSpec) Kind() string {
	if len(p.order) != 1 {
		return ""
	}
	return p.order[0]
}

// Config is the provider's configuration node for kind, or nil.
func (p ProviderSpec) Config(kind string) *yaml.Node { return p.nodes[kind] }

// NewProviderSpec builds a provider block from one kind and its node; used by
// tests and by callers that build metrics in Go.
func NewProviderSpec(kind string, config *yaml.Node) ProviderSpec {
	return ProviderSpec{nodes: map[string]*yaml.Node{kind: config}, order: []string{kind}}
}

// IntOrString is Kubernetes' intstr: a YAML int or a string, so that
// `count: "{{args.count}}"` parses before the argument is known.
type IntOrString struct {
	IsString bool
	Int      int64
	Str      string
}

// UnmarshalYAML accepts a plain integer or any string.
func (v *IntOrString) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: expected an integer or a string", n.Line)
	}
	if n.Tag == "!!int" {
		i, err := strconv.ParseInt(n.Value, 0, 64)
		if err != nil {
			return fmt.Errorf("line %d: %q is not an integer", n.Line, n.Value)
		}
		*v = IntOrString{Int: i}
		return nil
	}
	*v = IntOrString{IsString: true, Str: n.Value}
	return nil
}

// MarshalYAML writes the int or the string.
func (v IntOrString) MarshalYAML() (any, error) {
	if v.IsString {
		return v.Str, nil
	}
	return v.Int, nil
}

// Value is the integer value. A string must be a base-10 integer (as
// intstr.IntValue does after argument resolution); otherwise an error.
func (v *IntOrString) Value() (int64, error) {
	if !v.IsString {
		return v.Int, nil
	}
	i, err := strconv.ParseInt(strings.TrimSpace(v.Str), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer", v.Str)
	}
	return i, nil
}

func (v *IntOrString) String() string {
	if v == nil {
		return ""
	}
	if v.IsString {
		return v.Str
	}
	return strconv.FormatInt(v.Int, 10)
}

// templated reports whether s still holds a {{…}} placeholder.
func templated(s string) bool { return strings.Contains(s, "{{") }
