package judge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// ParseInput decodes a judge request (the stdin of `slipway analysis judge`).
// Absent settings take Kayenta's defaults (DefaultInput); unknown fields are
// rejected so that a misspelt setting cannot silently fall back to a
// default. Samples may be JSON numbers, null or the strings "NaN", "+Inf",
// "-Inf" (as Prometheus writes them). The result is validated.
func ParseInput(data []byte) (Input, error) {
	in := DefaultInput()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return Input{}, fmt.Errorf("judge input: %w; expected an object such as "+
			`{"control":[1,2],"experiment":[3,4],"confidence":0.98}`, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Input{}, errors.New("judge input: unexpected data after the JSON object; send exactly one object")
	}
	return in, in.Validate()
}

// UnmarshalJSON decodes samples leniently (see ParseInput), rejects unknown
// fields, and leaves absent fields as they were, so that defaults survive.
func (in *Input) UnmarshalJSON(data []byte) error {
	type plain Input // without methods, to avoid recursion
	wire := struct {
		*plain
		Control    samples `json:"control"`
		Experiment samples `json:"experiment"`
	}{plain: (*plain)(in), Control: in.Control, Experiment: in.Experiment}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&wire); err != nil {
		return err
	}
	in.Control, in.Experiment = wire.Control, wire.Experiment
	return nil
}

// MarshalJSON writes the input as ParseInput reads it, with non-finite
// samples as the strings "NaN", "+Inf" and "-Inf".
func (in Input) MarshalJSON() ([]byte, error) {
	type plain Input
	return json.Marshal(struct {
		plain
		Control    samples `json:"control"`
		Experiment samples `json:"experiment"`
	}{plain: plain(in), Control: in.Control, Experiment: in.Experiment})
}

// samples is a list of metric values in JSON, where a missing value may be
// null or "NaN" and infinities are strings.
type samples []float64

func (s *samples) UnmarshalJSON(data []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return errors.New("samples must be an array of numbers")
	}
	out := make([]float64, len(raw))
	for i, r := range raw {
		v, err := parseSample(r)
		if err != nil {
			return fmt.Errorf("sample %d (%s): %w", i, r, err)
		}
		out[i] = v
	}
	*s = out
	return nil
}

func (s samples) MarshalJSON() ([]byte, error) {
	out := []byte{'['}
	for i, v := range s {
		if i > 0 {
			out = append(out, ',')
		}
		switch {
		case math.IsNaN(v):
			out = append(out, `"NaN"`...)
		case math.IsInf(v, 1):
			out = append(out, `"+Inf"`...)
		case math.IsInf(v, -1):
			out = append(out, `"-Inf"`...)
		default:
			out = strconv.AppendFloat(out, v, 'g', -1, 64)
		}
	}
	return append(out, ']'), nil
}

func parseSample(r json.RawMessage) (float64, error) {
	if string(r) == "null" {
		return math.NaN(), nil
	}
	var f float64
	if json.Unmarshal(r, &f) == nil {
		return f, nil
	}
	var str string
	if json.Unmarshal(r, &str) == nil {
		switch str {
		case "NaN", "nan":
			return math.NaN(), nil
		case "+Inf", "Inf", "Infinity", "+Infinity":
			return math.Inf(1), nil
		case "-Inf", "-Infinity":
			return math.Inf(-1), nil
		}
	}
	return 0, errors.New(`want a number, null, "NaN", "+Inf" or "-Inf"`)
}

// Validate checks every setting and returns an *InputError naming the first
// bad one. Empty enum strings are allowed and mean the default.
func (in Input) Validate() error {
	n := in.normalized()
	switch n.Classifier {
	case MannWhitney, MeanInequality:
	default:
		return &InputError{"classifier", fmt.Sprintf("%q is not a classifier; use %q or %q", in.Classifier, MannWhitney, MeanInequality)}
	}
	switch n.Direction {
	case Increase, Decrease, Either:
	default:
		return &InputError{"direction", fmt.Sprintf("%q is not a direction; use increase, decrease or either", in.Direction)}
	}
	switch n.NaNStrategy {
	case Remove, Replace:
	default:
		return &InputError{"nanStrategy", fmt.Sprintf("%q is not a NaN strategy; use remove or replace", in.NaNStrategy)}
	}
	if !(n.Confidence > 0 && n.Confidence < 1) {
		return &InputError{"confidence", fmt.Sprintf("%v must lie strictly between 0 and 1, e.g. 0.98", in.Confidence)}
	}
	if !(n.Tolerance >= 0) || math.IsInf(n.Tolerance, 0) {
		return &InputError{"tolerance", fmt.Sprintf("%v must be a finite number >= 0, e.g. 0.25", in.Tolerance)}
	}
	switch n.Outliers.Strategy {
	case Keep, RemoveOutlier:
	default:
		return &InputError{"outliers.strategy", fmt.Sprintf("%q is not an outlier strategy; use keep or remove", in.Outliers.Strategy)}
	}
	if n.Outliers.Strategy == RemoveOutlier && (!(n.Outliers.OutlierFactor > 0) || math.IsInf(n.Outliers.OutlierFactor, 0)) {
		return &InputError{"outliers.outlierFactor", fmt.Sprintf("%v must be a finite number > 0, e.g. 3", in.Outliers.OutlierFactor)}
	}
	switch n.EffectSize.Measure {
	case MeanRatio, CLES:
	default:
		return &InputError{"effectSize.measure", fmt.Sprintf("%q is not a measure; use meanRatio or cles", in.EffectSize.Measure)}
	}
	for _, p := range []struct {
		field string
		v     []float64
	}{{"effectSize.thresholds", in.EffectSize.Thresholds}, {"effectSize.critical", in.EffectSize.Critical}} {
		if err := checkPair(p.field, p.v, n.EffectSize.Measure); err != nil {
			return err
		}
	}
	return nil
}

// checkPair validates a [decrease, increase] threshold pair. As in Kayenta,
// the two bounds are independent: the first is compared with the effect
// size of a Low result (Low when the effect size is at or below it), the
// second with that of a High result (at or above it), so any order is
// meaningful ([1.2, 1.0] makes every significant change count, whatever
// its size). What is refused is a bound the measure can never be compared
// with: not a number, an infinity, a negative mean ratio, or a cles outside
// [0, 1].
func checkPair(field string, v []float64, m EffectSizeMeasure) error {
	if v == nil {
		return nil
	}
	if len(v) != 2 {
		return &InputError{field, fmt.Sprintf("has %d values; give [decrease, increase], e.g. [%v, %v]", len(v), m.neutral(), m.neutral())}
	}
	for i, x := range v {
		bound := [...]string{"decrease", "increase"}[i]
		switch {
		case math.IsNaN(x) || math.IsInf(x, 0):
			return &InputError{field, fmt.Sprintf("the %s bound %v is not a finite number", bound, x)}
		case m == CLES && (x < 0 || x > 1):
			return &InputError{field, fmt.Sprintf("the %s bound %v is not a cles: a cles is a probability between 0 and 1 (0.5 is no change)", bound, x)}
		case m == MeanRatio && x < 0:
			return &InputError{field, fmt.Sprintf("the %s bound %v is a negative mean ratio: write the ratio canary/baseline itself, e.g. 0.8 for a 20%% decrease, 1.2 for a 20%% increase", bound, x)}
		}
	}
	return nil
}

// normalized fills empty enums and threshold pairs with their defaults.
func (in Input) normalized() Input {
	d := DefaultInput()
	if in.Classifier == "" {
		in.Classifier = d.Classifier
	}
	if in.Direction == "" {
		in.Direction = d.Direction
	}
	if in.NaNStrategy == "" {
		in.NaNStrategy = d.NaNStrategy
	}
	if in.Outliers.Strategy == "" {
		in.Outliers.Strategy = d.Outliers.Strategy
	}
	if in.EffectSize.Measure == "" {
		in.EffectSize.Measure = d.EffectSize.Measure
	}
	neutral := in.EffectSize.Measure.neutral()
	if in.EffectSize.Thresholds == nil {
		in.EffectSize.Thresholds = []float64{neutral, neutral}
	}
	if in.EffectSize.Critical == nil {
		in.EffectSize.Critical = []float64{neutral, neutral}
	}
	if in.Name == "" {
		in.Name = "the metric"
	}
	return in
}
