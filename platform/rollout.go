package platform

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Rollout is the `platform.rollout` block of slipway.yaml: how `slipway
// platform promote` orders the components of a platform version, in the
// shape of Argo CD ApplicationSet's RollingSync strategy
// (spec.strategy.rollingSync.steps), read against the services' labels.
type Rollout struct {
	// Steps run in order; a step starts when every service of the steps
	// before it succeeded. No steps: one step with every service.
	Steps []Step `yaml:"steps" json:"steps"`
	// RollbackOnFailure says what a failed step rolls back: "wave" (the
	// default: the failed step's services) or "all" (every step so far).
	RollbackOnFailure string `yaml:"rollbackOnFailure" json:"rollbackOnFailure,omitempty"`
}

// Step is one RollingSync step.
type Step struct {
	// MatchExpressions select services by label; all must hold (AND).
	// None selects every service.
	MatchExpressions []MatchExpression `yaml:"matchExpressions" json:"matchExpressions,omitempty"`
	// MaxUpdate caps how many of the step's services are being promoted
	// at once; unset means all of them.
	MaxUpdate *MaxUpdate `yaml:"maxUpdate" json:"maxUpdate,omitempty"`
}

// MatchExpression is a label requirement. In and NotIn are RollingSync's;
// Exists and DoesNotExist are Kubernetes label-selector operators Argo CD
// does not accept, with their Kubernetes meaning.
type MatchExpression struct {
	Key      string   `yaml:"key" json:"key"`
	Operator string   `yaml:"operator" json:"operator"`
	Values   []string `yaml:"values" json:"values,omitempty"`
}

// Operators.
const (
	OpIn           = "In"
	OpNotIn        = "NotIn"
	OpExists       = "Exists"
	OpDoesNotExist = "DoesNotExist"
)

// Rollback scopes.
const (
	RollbackWave = "wave"
	RollbackAll  = "all"
)

// MaxUpdate is an int or a percentage, as Kubernetes' IntOrString.
type MaxUpdate struct {
	// Percent is true for "N%"; Value is N then, else the count.
	Percent bool
	Value   int
}

// String writes it back as in slipway.yaml.
func (m MaxUpdate) String() string {
	if m.Percent {
		return strconv.Itoa(m.Value) + "%"
	}
	return strconv.Itoa(m.Value)
}

// UnmarshalYAML reads 2 or "25%". A quoted number without '%' is refused
// as Kubernetes refuses it (a string must be a percentage).
func (m *MaxUpdate) UnmarshalYAML(n *yaml.Node) error {
	v, err := parseMaxUpdate(n)
	if err != nil {
		return fmt.Errorf("line %d: maxUpdate: %w", n.Line, err)
	}
	*m = v
	return nil
}

// MarshalYAML writes an int or a percentage string.
func (m MaxUpdate) MarshalYAML() (any, error) {
	if m.Percent {
		return m.String(), nil
	}
	return m.Value, nil
}

// MarshalJSON writes an int or a percentage string.
func (m MaxUpdate) MarshalJSON() ([]byte, error) {
	if m.Percent {
		return []byte(strconv.Quote(m.String())), nil
	}
	return []byte(strconv.Itoa(m.Value)), nil
}

func parseMaxUpdate(n *yaml.Node) (MaxUpdate, error) {
	if n.Kind != yaml.ScalarNode {
		return MaxUpdate{}, errors.New("write a number of services (2) or a percentage (\"25%\")")
	}
	if n.Tag == "!!int" {
		v, err := strconv.Atoi(n.Value)
		if err != nil || v < 0 {
			return MaxUpdate{}, fmt.Errorf("%q: write a whole number of services, 0 or more (0: the step waits for a person)", n.Value)
		}
		return MaxUpdate{Value: v}, nil
	}
	if n.Tag == "!!float" {
		return MaxUpdate{}, fmt.Errorf("%q: write a whole number of services, or a whole percentage such as \"25%%\"", n.Value)
	}
	s := n.Value
	num, ok := strings.CutSuffix(s, "%")
	if !ok {
		return MaxUpdate{}, fmt.Errorf("%q: a string must be a percentage such as \"25%%\"; write a number without quotes for a count", s)
	}
	v, err := strconv.Atoi(num)
	if err != nil || v < 0 || strings.HasPrefix(num, "+") {
		return MaxUpdate{}, fmt.Errorf("%q: write a whole percentage such as \"25%%\"", s)
	}
	return MaxUpdate{Percent: true, Value: v}, nil
}

// Scale resolves MaxUpdate against a step of total services, as RollingSync
// does (intstr.GetScaledValueFromIntOrPercent, rounding down): a percentage
// above 0% allows at least one service; 0 and "0%" allow none, so the step
// waits for a person. nil allows all.
func (m *MaxUpdate) Scale(total int) int {
	switch {
	case m == nil:
		return total
	case !m.Percent:
		return m.Value
	}
	v := m.Value * total / 100 // floor: both are non-negative
	if m.Value > 0 && v < 1 {
		v = 1
	}
	return v
}

// Validate checks a rollout block; errors name the step and the field.
func (r *Rollout) Validate() error {
	var errs []error
	switch r.RollbackOnFailure {
	case "", RollbackWave, RollbackAll:
	default:
		errs = append(errs, fmt.Errorf("rollbackOnFailure: %q: write wave (roll back the failed step's services) or all (every step so far)", r.RollbackOnFailure))
	}
	for i, s := range r.Steps {
		for j, e := range s.MatchExpressions {
			if err := e.Validate(); err != nil {
				errs = append(errs, fmt.Errorf("steps[%d].matchExpressions[%d].%w", i, j, err))
			}
		}
	}
	return errors.Join(errs...)
}

// Validate checks one expression; the error starts with the field at fault.
func (e MatchExpression) Validate() error {
	if strings.TrimSpace(e.Key) == "" || strings.ContainsAny(e.Key, " \t\r\n") {
		return fmt.Errorf("key: %q: give the label key to match, e.g. key: tier", e.Key)
	}
	switch e.Operator {
	case OpIn, OpNotIn:
		if len(e.Values) == 0 {
			return fmt.Errorf("values: %s needs at least one value, e.g. values: [backend]", e.Operator)
		}
	case OpExists, OpDoesNotExist:
		if len(e.Values) > 0 {
			return fmt.Errorf("values: %s takes no values: remove values:", e.Operator)
		}
	default:
		return fmt.Errorf("operator: %q: use In, NotIn, Exists or DoesNotExist", e.Operator)
	}
	return nil
}

// Matches reports whether labels satisfy the expression. As in RollingSync,
// a missing key fails In and passes NotIn.
func (e MatchExpression) Matches(labels map[string]string) bool {
	v, ok := labels[e.Key]
	switch e.Operator {
	case OpIn:
		return ok && slices.Contains(e.Values, v)
	case OpNotIn:
		return !ok || !slices.Contains(e.Values, v)
	case OpExists:
		return ok
	case OpDoesNotExist:
		return !ok
	}
	return false
}

// Selects reports whether every expression of the step holds for labels.
func (s Step) Selects(labels map[string]string) bool {
	for _, e := range s.MatchExpressions {
		if !e.Matches(labels) {
			return false
		}
	}
	return true
}

// Wave is one step of a plan, with the services it selected.
type Wave struct {
	Step      int      // 1-based index of the step
	MaxUpdate int      // resolved against len(Services)
	Services  []string // sorted
}

// Plan is the waves of a rollout and what RollingSync would report about
// them.
type Plan struct {
	Waves []Wave
	// Excluded services match no step: RollingSync leaves them out, and
	// so does Slipway (promote them by hand).
	Excluded []string
	// Warnings repeat RollingSync's validation messages that do not stop
	// it: a service selected by several steps (it goes with the first),
	// steps that select nothing (they pass at once).
	Warnings []string
}

// Plan assigns services (name → labels) to the rollout's steps: each to
// the first step that selects it, as RollingSync's appStepMap does.
func (r *Rollout) Plan(services map[string]map[string]string) Plan {
	names := make([]string, 0, len(services))
	for n := range services {
		names = append(names, n)
	}
	slices.Sort(names)
	steps := r.Steps
	if len(steps) == 0 {
		steps = []Step{{}} // AllAtOnce: one step selecting every service
	}
	var p Plan
	p.Waves = make([]Wave, len(steps))
	for i := range steps {
		p.Waves[i].Step = i + 1
	}
	for _, n := range names {
		var hit []int
		for i, s := range steps {
			if s.Selects(services[n]) {
				hit = append(hit, i)
			}
		}
		if len(hit) == 0 {
			p.Excluded = append(p.Excluded, n)
			continue
		}
		p.Waves[hit[0]].Services = append(p.Waves[hit[0]].Services, n)
		if len(hit) > 1 {
			var nums []string
			for _, h := range hit {
				nums = append(nums, strconv.Itoa(h+1))
			}
			p.Warnings = append(p.Warnings, fmt.Sprintf("service %s is selected by steps %s: it is promoted in step %d", n, strings.Join(nums, ", "), hit[0]+1))
		}
	}
	var empty []string
	for i := range p.Waves {
		p.Waves[i].MaxUpdate = steps[i].MaxUpdate.Scale(len(p.Waves[i].Services))
		if len(p.Waves[i].Services) == 0 {
			empty = append(empty, strconv.Itoa(i+1))
		}
	}
	if len(empty) > 0 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("steps %s select no service: they pass at once", strings.Join(empty, ", ")))
	}
	return p
}

// ParseRollout reads a rollout block on its own (YAML or JSON), refusing
// unknown fields, and validates it. source names the input in errors.
func ParseRollout(data []byte, source string) (*Rollout, error) {
	if len(data) > MaxManifestSize {
		return nil, fmt.Errorf("%s: %d bytes is more than the %d allowed for a rollout block", source, len(data), MaxManifestSize)
	}
	var r Rollout
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&r); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %s", source, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return &r, nil
}
