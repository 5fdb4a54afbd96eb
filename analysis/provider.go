package analysis

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// Observation is what a provider measured.
type Observation struct {
	// Result is what the conditions see as `result` (a float, a []float64, a
	// decoded JSON value, …).
	Result any
	// Value is the result as persisted and shown ("[0.1,0.2]").
	Value string
	// Empty says the provider found no data (an empty vector, a missing JSON
	// path); the metric's noData policy decides what that means.
	Empty bool
	// EmptyErr is the error Rollouts reports for this empty result (web: the
	// JSON path matched nothing); it decides the measurement (Error) when
	// the metric has no noData policy.
	EmptyErr error
	// Phase is set by providers that decide a measurement themselves (job:
	// exit status); empty means the metric's conditions decide.
	Phase    Phase
	Message  string
	Metadata map[string]string
}

// Provider takes one measurement. Measure must return promptly when ctx is
// cancelled (the run is being aborted or stopped).
type Provider interface {
	Measure(ctx context.Context) (Observation, error)
}

// ProviderFactory builds a provider for a metric from its provider
// configuration node (arguments already substituted). It should reject
// unknown fields so a typo is reported.
type ProviderFactory func(config *yaml.Node, m Metric) (Provider, error)

// Registry maps provider kinds (the key under `provider:`) to factories. A
// new provider (e.g. the statistical judge) is one file that calls
// Register in its init.
type Registry struct {
	mu        sync.RWMutex
	factories map[string]ProviderFactory
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{factories: map[string]ProviderFactory{}} }

var defaultRegistry = NewRegistry()

// DefaultRegistry holds the providers Slipway ships: prometheus, web, job.
func DefaultRegistry() *Registry { return defaultRegistry }

// Register adds or replaces a provider kind.
func (r *Registry) Register(kind string, f ProviderFactory) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.factories[kind] = f
}

// Kinds lists the runnable kinds.
func (r *Registry) Kinds() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.factories))
	for k := range r.factories {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (r *Registry) factory(kind string) (ProviderFactory, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	f, ok := r.factories[kind]
	return f, ok
}

// ArgoProviderKinds are the provider kinds of the Argo Rollouts CRD. All of
// them parse; those without a registered factory fail at run time.
var ArgoProviderKinds = []string{"prometheus", "kayenta", "web", "datadog", "wavefront", "newRelic", "job", "cloudWatch", "graphite", "influxdb", "skywalking", "plugin"}

// New builds the provider of a metric.
func (r *Registry) New(m Metric) (Provider, error) {
	kinds := m.Provider.Kinds()
	if len(kinds) != 1 {
		return nil, fmt.Errorf("metric %q: exactly one provider is required, found %d (%s)", m.Name, len(kinds), strings.Join(kinds, ", "))
	}
	kind := kinds[0]
	f, ok := r.factory(kind)
	if !ok {
		name := kind
		if kind == "plugin" {
			if n := m.Provider.Config(kind); n != nil && len(n.Content) > 0 {
				name = "plugin " + n.Content[0].Value
			}
		}
		return nil, fmt.Errorf("metric %q: provider %s is not supported by Slipway (it runs %s): run this template in Argo Rollouts, or measure the same thing with one of those providers", m.Name, name, strings.Join(r.Kinds(), ", "))
	}
	p, err := f(m.Provider.Config(kind), m)
	if err != nil {
		return nil, fmt.Errorf("metric %q: provider %s: %w", m.Name, kind, err)
	}
	return p, nil
}

// decodeStrict decodes a provider configuration node, rejecting unknown
// fields.
func decodeStrict(n *yaml.Node, out any) error {
	if n == nil {
		return fmt.Errorf("configuration is empty")
	}
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	err = dec.Decode(out)
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs := make([]string, len(te.Errors))
		for i, e := range te.Errors {
			msgs[i] = unknownFieldRe.ReplaceAllString(e, `unknown field "$1"`)
			msgs[i] = lineRe.ReplaceAllString(msgs[i], "")
		}
		return errors.New(strings.Join(msgs, "; "))
	}
	return err
}

var (
	unknownFieldRe = regexp.MustCompile(`field (\S+) not found in type \S+`)
	lineRe         = regexp.MustCompile(`^line \d+: `)
)
