package analysis

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	aca "github.com/slipway/slipway/judge"
)

// The `judge` provider compares a canary query with a baseline query using
// the statistical judge (package judge, Kayenta's NetflixACAJudge):
//
//	provider:
//	  judge:
//	    classifier: mannWhitney   # any judge.Input setting by its JSON name
//	    direction: increase
//	    control:                  # baseline samples: any other provider
//	      prometheus: {address: ..., query: 'latency{track="stable"}'}
//	    experiment:               # canary samples
//	      prometheus: {address: ..., query: 'latency{track="canary"}'}
//
// The result the conditions see is the classification ("Pass", "High",
// "Low", "Nodata", "NodataFailMetric"); without conditions the provider
// decides the measurement itself. docs/judge.md ("Inside an
// AnalysisTemplate") is the user's reference.

func init() { defaultRegistry.Register("judge", NewJudgeFactory(defaultRegistry)) }

// judgeSides are the two sample sources of a judge metric.
var judgeSides = [2]string{"control", "experiment"}

// judgeSettings are the judge.Input fields a judge metric may set, by JSON
// name, with the nested objects' fields.
var judgeSettings = map[string][]string{
	"":           {"name", "classifier", "direction", "confidence", "tolerance", "nanStrategy", "critical", "mustHaveData", "outliers", "effectSize", "control", "experiment"},
	"outliers":   {"strategy", "outlierFactor"},
	"effectSize": {"measure", "thresholds", "critical"},
}

// judgeNumeric and judgeBool are the settings whose quoted values (as
// arguments must be written: `confidence: "{{args.confidence}}"`) are read
// as numbers and booleans.
var (
	judgeNumeric = map[string]bool{"confidence": true, "tolerance": true, "outliers.outlierFactor": true, "effectSize.thresholds[]": true, "effectSize.critical[]": true}
	judgeBool    = map[string]bool{"critical": true, "mustHaveData": true}
)

// judgeNotNestable are the provider kinds that cannot supply samples: a
// judge (its result is a classification) and job (it decides a phase, it
// has no value).
var judgeNotNestable = map[string]string{
	"judge": "a judge's result is a classification, not samples",
	"job":   "a job decides a phase and returns no samples",
}

type judgeProvider struct {
	input      aca.Input
	sides      [2]Provider
	kinds      [2]string
	conditions bool
}

// NewJudgeFactory returns the factory of the `judge` provider. Its control
// and experiment providers are built from reg, looked up when a metric is
// built (so kinds registered later are usable). DefaultRegistry has it as
// kind "judge"; a custom Registry registers NewJudgeFactory(itself).
func NewJudgeFactory(reg *Registry) ProviderFactory {
	return func(n *yaml.Node, m Metric) (Provider, error) { return newJudgeProvider(reg, n, m) }
}

func newJudgeProvider(reg *Registry, n *yaml.Node, m Metric) (Provider, error) {
	if n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		return nil, fmt.Errorf("configuration is empty: give at least control and experiment, each a provider block such as {prometheus: {address: ..., query: ...}}")
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("must be a mapping of judge settings with control and experiment")
	}
	settings := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	var sideNodes [2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i].Value, n.Content[i+1]
		switch k {
		case judgeSides[0]:
			sideNodes[0] = v
		case judgeSides[1]:
			sideNodes[1] = v
		default:
			settings.Content = append(settings.Content, n.Content[i], v)
		}
	}
	in, err := decodeJudgeInput(settings)
	if err != nil {
		return nil, err
	}
	if in.Name == "" {
		in.Name = m.Name
	}
	p := &judgeProvider{input: in, conditions: m.SuccessCondition != "" || m.FailureCondition != ""}
	for i, side := range judgeSides {
		p.sides[i], p.kinds[i], err = newJudgeSide(reg, side, sideNodes[i], m)
		if err != nil {
			return nil, err
		}
	}
	return p, nil
}

// newJudgeSide builds the provider of one side from its provider block.
func newJudgeSide(reg *Registry, side string, n *yaml.Node, m Metric) (Provider, string, error) {
	what := "the baseline's"
	if side == "experiment" {
		what = "the canary's"
	}
	example := fmt.Sprintf("e.g. %s: {prometheus: {address: ..., query: ...}}", side)
	if n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		return nil, "", fmt.Errorf("%s is required: give %s samples as a provider block, %s", side, what, example)
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode || len(n.Content) != 2 {
		return nil, "", fmt.Errorf("%s must be exactly one provider block (%s samples), %s", side, what, example)
	}
	kind := n.Content[0].Value
	if why, bad := judgeNotNestable[kind]; bad {
		return nil, "", fmt.Errorf("%s: provider %s cannot supply a judge's samples (%s): use a provider that returns numbers, such as prometheus or web", side, kind, why)
	}
	f, ok := reg.factory(kind)
	if !ok {
		var usable []string
		for _, k := range reg.Kinds() {
			if _, bad := judgeNotNestable[k]; !bad {
				usable = append(usable, k)
			}
		}
		return nil, "", fmt.Errorf("%s: provider %s is not supported by Slipway: use one of %s", side, kind, strings.Join(usable, ", "))
	}
	sub := m
	sub.Provider = NewProviderSpec(kind, n.Content[1])
	sub.SuccessCondition, sub.FailureCondition = "", ""
	p, err := f(n.Content[1], sub)
	if err != nil {
		return nil, "", fmt.Errorf("%s.%s: %w", side, kind, err)
	}
	return p, kind, nil
}

// decodeJudgeInput reads the judge settings over judge.DefaultInput,
// rejecting unknown fields, and validates them.
func decodeJudgeInput(settings *yaml.Node) (aca.Input, error) {
	var raw map[string]any
	if err := settings.Decode(&raw); err != nil {
		return aca.Input{}, fmt.Errorf("judge settings: %v", lineRe.ReplaceAllString(err.Error(), ""))
	}
	if err := normalizeJudgeSettings(raw, ""); err != nil {
		return aca.Input{}, err
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return aca.Input{}, fmt.Errorf("judge settings: %v", err)
	}
	in := aca.DefaultInput()
	if err := json.Unmarshal(b, &in); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			field := strings.TrimPrefix(strings.TrimPrefix(te.Field, "plain"), ".")
			want := "a " + te.Type.Kind().String()
			switch te.Type.Kind() {
			case reflect.Float64:
				want = "a number"
			case reflect.Bool:
				want = "true or false"
			case reflect.Slice:
				want = "a list"
			}
			return aca.Input{}, fmt.Errorf("%s: expected %s, got %s", field, want, te.Value)
		}
		return aca.Input{}, fmt.Errorf("judge settings: %v", strings.TrimPrefix(err.Error(), "json: "))
	}
	if err := in.Validate(); err != nil {
		return aca.Input{}, err
	}
	return in, nil
}

// normalizeJudgeSettings rejects unknown fields (naming them and the known
// ones) and turns quoted numbers and booleans of numeric and boolean
// settings into numbers and booleans.
func normalizeJudgeSettings(m map[string]any, prefix string) error {
	known := judgeSettings[prefix]
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		path := joinPath(prefix, k)
		if !contains(known, k) {
			return fmt.Errorf("unknown field %q; known fields here: %s", path, strings.Join(sorted(known), ", "))
		}
		switch v := m[k].(type) {
		case map[string]any:
			if _, nested := judgeSettings[path]; !nested {
				return fmt.Errorf("%s: expected a value, got a mapping", path)
			}
			if err := normalizeJudgeSettings(v, path); err != nil {
				return err
			}
		case []any:
			for i, e := range v {
				c, err := judgeScalar(path+"[]", fmt.Sprintf("%s[%d]", path, i), e)
				if err != nil {
					return err
				}
				v[i] = c
			}
		default:
			if _, nested := judgeSettings[path]; nested && v != nil {
				return fmt.Errorf("%s: expected a mapping with %s", path, strings.Join(judgeSettings[path], ", "))
			}
			c, err := judgeScalar(path, path, v)
			if err != nil {
				return err
			}
			m[k] = c
		}
	}
	return nil
}

func judgeScalar(pattern, path string, v any) (any, error) {
	s, isString := v.(string)
	switch {
	case judgeNumeric[pattern]:
		f, ok := v.(float64)
		if i, isInt := v.(int); isInt {
			f, ok = float64(i), true
		}
		if isString {
			var err error
			if f, err = strconv.ParseFloat(strings.TrimSpace(s), 64); err != nil {
				return nil, fmt.Errorf("%s: %q is not a number", path, s)
			}
			ok = true
		}
		if !ok {
			return v, nil // the decoder names the type problem
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%s: %v is not a finite number", path, f)
		}
		return f, nil
	case judgeBool[pattern] && isString:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not true or false", path, s)
		}
		return b, nil
	}
	return v, nil
}

// Measure reads both sides concurrently and classifies the canary.
func (p *judgeProvider) Measure(ctx context.Context) (Observation, error) {
	var (
		obs  [2]Observation
		errs [2]error
		wg   sync.WaitGroup
	)
	for i := range p.sides {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			obs[i], errs[i] = p.sides[i].Measure(ctx)
		}(i)
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return Observation{}, err
	}
	var samples [2][]float64
	var sideErrs, notes []string
	for i, side := range judgeSides {
		label := fmt.Sprintf("%s (%s)", side, p.kinds[i])
		if errs[i] != nil {
			sideErrs = append(sideErrs, fmt.Sprintf("%s: %v", label, errs[i]))
			continue
		}
		o := obs[i]
		if o.Phase != "" {
			sideErrs = append(sideErrs, fmt.Sprintf("%s: the provider decided a phase (%s) instead of returning samples", label, o.Phase))
			continue
		}
		if o.Empty {
			samples[i] = []float64{}
			if o.EmptyErr != nil {
				notes = append(notes, fmt.Sprintf("%s: %v", label, o.EmptyErr))
			}
			continue
		}
		s, err := judgeSamples(o.Result)
		if err != nil {
			sideErrs = append(sideErrs, fmt.Sprintf("%s: %v", label, err))
			continue
		}
		samples[i] = s
	}
	if len(sideErrs) > 0 {
		return Observation{}, errors.New(strings.Join(sideErrs, "; "))
	}
	in := p.input
	in.Control, in.Experiment = samples[0], samples[1]
	res, err := aca.Classify(in)
	if err != nil && res.Classification == "" {
		return Observation{}, err
	}
	msg := res.Reason
	if len(notes) > 0 {
		msg += " (" + strings.Join(notes, "; ") + ")"
	}
	out := Observation{
		Result:  string(res.Classification),
		Value:   string(res.Classification),
		Message: msg,
		Metadata: map[string]string{
			"estimate":          formatFloat(res.Estimate),
			"ci":                formatFloats(res.CI[:]),
			"deviation":         formatFloat(res.Deviation),
			"effectSize":        formatFloat(res.EffectSize),
			"pValue":            formatFloat(res.PValue),
			"confidence":        formatFloat(res.Confidence),
			"method":            res.Method,
			"critical":          strconv.FormatBool(res.Critical),
			"controlSamples":    strconv.Itoa(len(samples[0])),
			"experimentSamples": strconv.Itoa(len(samples[1])),
		},
	}
	for i, side := range judgeSides {
		if v := obs[i].Value; v != "" {
			out.Metadata[side+"Value"] = judgeTruncate(v, 256)
		}
		for k, v := range obs[i].Metadata {
			out.Metadata[side+"."+k] = v
		}
	}
	switch res.Classification {
	case aca.Error:
		// The comparison could not be made: an Error measurement whatever
		// the conditions say, so consecutiveErrorLimit applies.
		out.Phase = PhaseError
		return out, nil
	case aca.Nodata, aca.NodataFailMetric:
		// The metric's noData policy, when it has one, decides first.
		out.Empty = true
	}
	if !p.conditions {
		out.Phase = judgePhase(res.Classification)
	}
	return out, nil
}

// judgePhase is the measurement phase of a classification when the metric
// has no conditions.
func judgePhase(c aca.Classification) Phase {
	switch c {
	case aca.Pass:
		return PhaseSuccessful
	case aca.High, aca.Low, aca.NodataFailMetric:
		return PhaseFailed
	case aca.Nodata:
		return PhaseInconclusive
	default:
		return PhaseError
	}
}

// judgeSamples turns a provider's result into samples: a number, a numeric
// string ("NaN" and "+Inf" included, as Prometheus writes them), or a list
// of those (null in a list is a missing sample, NaN).
func judgeSamples(result any) ([]float64, error) {
	if result == nil {
		return []float64{}, nil
	}
	if fs, ok := result.([]float64); ok {
		return append([]float64{}, fs...), nil
	}
	if f, ok := judgeNumber(result); ok {
		return []float64{f}, nil
	}
	list, ok := result.([]any)
	if !ok {
		return nil, fmt.Errorf("the result is %s; a judge needs a number or a list of numbers", describeResult(result))
	}
	out := make([]float64, len(list))
	for i, e := range list {
		if e == nil {
			out[i] = math.NaN()
			continue
		}
		f, ok := judgeNumber(e)
		if !ok {
			return nil, fmt.Errorf("element %d of the result is %s; a judge needs a number or a list of numbers", i, describeResult(e))
		}
		out[i] = f
	}
	return out, nil
}

func judgeNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			return 0, false
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			var ne *strconv.NumError
			if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
				return f, true
			}
			return 0, false
		}
		return f, true
	}
	return 0, false
}

// describeResult names a result's type and shows a bounded excerpt.
func describeResult(v any) string {
	var kind string
	switch v.(type) {
	case string:
		kind = "a string"
	case bool:
		kind = "a boolean"
	case map[string]any:
		kind = "an object"
	case []any:
		kind = "a list"
	default:
		kind = fmt.Sprintf("a %T", v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(fmt.Sprint(v))
	}
	b = bytes.TrimSpace(b)
	const max = 80
	if len(b) > max {
		b = append(b[:max:max], "…"...)
	}
	return fmt.Sprintf("%s (%s)", kind, b)
}

func judgeTruncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
