// Package judge is Slipway's statistical canary judge: it compares a metric's
// samples from the canary (the experiment) with those from the baseline (the
// control) and classifies the metric as Pass, High, Low, Nodata or Error,
// then scores a set of classified metrics into a pass / marginal / fail
// verdict.
//
// It reimplements Kayenta's NetflixACAJudge rule for rule (the Mann-Whitney
// classifier with its tolerance band, effect-size gates, directions, NaN
// strategies and critical metrics; the mean-inequality classifier; the
// weighted-sum scorer), except that the Mann-Whitney interval is R's
// wilcox.test, exact for small samples, where Kayenta always uses the normal
// approximation. docs/judge.md lists every deliberate difference.
//
// The analysis engine calls Classify for a "judge" metric and Score for the
// verdict; the CLI (`slipway analysis judge|score`) wraps the same calls.
package judge

import "fmt"

// Classification is the verdict on one metric.
type Classification string

const (
	// Pass: the canary is not significantly and meaningfully different.
	Pass Classification = "Pass"
	// High: the canary is significantly and meaningfully higher.
	High Classification = "High"
	// Low: the canary is significantly and meaningfully lower.
	Low Classification = "Low"
	// Nodata: the canary or the baseline had no usable samples.
	Nodata Classification = "Nodata"
	// NodataFailMetric is Kayenta's label for a metric that had to have data
	// (mustHaveData) and had none; the scorer counts it as a failed metric.
	NodataFailMetric Classification = "NodataFailMetric"
	// Error: the comparison could not be made (invalid input, or data the
	// test cannot handle); Reason says why.
	Error Classification = "Error"
)

func (c Classification) valid() bool {
	switch c {
	case Pass, High, Low, Nodata, NodataFailMetric, Error:
		return true
	}
	return false
}

// Direction says which change of the metric counts as a failure: an
// increase (latency, errors), a decrease (throughput) or either.
type Direction string

const (
	Increase Direction = "increase"
	Decrease Direction = "decrease"
	Either   Direction = "either"
)

func (d Direction) allowsHigh() bool { return d == Increase || d == Either }
func (d Direction) allowsLow() bool  { return d == Decrease || d == Either }

// NaNStrategy says what NaN samples (a query returning no value for a step)
// mean: "remove" drops them, so an all-NaN side is Nodata; "replace" counts
// them as 0, so missing data is a value like any other.
type NaNStrategy string

const (
	Remove  NaNStrategy = "remove"
	Replace NaNStrategy = "replace"
)

// Classifier names the comparison method.
type Classifier string

const (
	// MannWhitney is the rank-sum test with a Hodges-Lehmann interval.
	MannWhitney Classifier = "mannWhitney"
	// MeanInequality compares the two means, with no statistics (Kayenta
	// uses it for benchmarking).
	MeanInequality Classifier = "meanInequality"
)

// EffectSizeMeasure names how the size of a change is measured.
type EffectSizeMeasure string

const (
	// MeanRatio is mean(experiment) / mean(control); 1 means no change.
	MeanRatio EffectSizeMeasure = "meanRatio"
	// CLES, the common language effect size, is the probability that a
	// random canary sample exceeds a random baseline sample (ties count
	// half); 0.5 means no change.
	CLES EffectSizeMeasure = "cles"
)

// neutral is the effect size of "no change", Kayenta's default threshold.
func (m EffectSizeMeasure) neutral() float64 {
	if m == CLES {
		return 0.5
	}
	return 1
}

// Input is one metric comparison. Start from DefaultInput (which ParseInput
// does for JSON) so that absent settings get Kayenta's defaults.
type Input struct {
	// Name labels the metric in reasons; optional.
	Name string `json:"name,omitempty"`
	// Classifier is mannWhitney (default) or meanInequality.
	Classifier Classifier `json:"classifier"`
	// Control holds the baseline samples, Experiment the canary samples.
	// NaN marks a missing sample (see NaNStrategy).
	Control    []float64 `json:"control"`
	Experiment []float64 `json:"experiment"`
	// Direction is the change that fails the metric (default either).
	Direction Direction `json:"direction"`
	// Confidence is the confidence level of the interval, in (0, 1);
	// Kayenta's NetflixACAJudge uses 0.98.
	Confidence float64 `json:"confidence"`
	// Tolerance widens the band a change must leave to count: the interval
	// must clear ±Tolerance·|estimate| (default 0.25).
	Tolerance float64 `json:"tolerance"`
	// NaNStrategy is remove (default) or replace.
	NaNStrategy NaNStrategy `json:"nanStrategy"`
	// Critical marks a metric whose failure fails the whole canary.
	Critical bool `json:"critical"`
	// MustHaveData turns a missing side of a non-critical metric from
	// Nodata (left out of the score) into NodataFailMetric (counted as a
	// failure), Kayenta's mustHaveData.
	MustHaveData bool `json:"mustHaveData,omitempty"`
	// Outliers optionally removes outliers from each side before comparing.
	Outliers Outliers `json:"outliers"`
	// EffectSize gates significant changes on their size.
	EffectSize EffectSize `json:"effectSize"`
}

// EffectSize is the second gate after significance: a significant change
// must also be large enough, measured by Measure, to fail the metric.
//
// Thresholds and Critical are [decrease, increase] pairs: High needs an
// effect size >= the increase value, Low one <= the decrease value. The
// two are independent and may come in any order, as Kayenta's
// allowedDecrease/allowedIncrease and criticalDecrease/criticalIncrease. A
// critical metric only fails the canary when its effect size also passes
// the Critical pair; otherwise it is High/Low like any other metric. An
// absent pair means "no change" for the measure (1 for meanRatio, 0.5 for
// cles), which makes the gate a no-op.
type EffectSize struct {
	Measure    EffectSizeMeasure `json:"measure"`
	Thresholds []float64         `json:"thresholds,omitempty"`
	Critical   []float64         `json:"critical,omitempty"`
}

// DefaultConfidence and DefaultTolerance are NetflixACAJudge's settings.
const (
	DefaultConfidence = 0.98
	DefaultTolerance  = 0.25
)

// DefaultInput is an Input with Kayenta's defaults and no samples.
func DefaultInput() Input {
	return Input{
		Classifier:  MannWhitney,
		Direction:   Either,
		Confidence:  DefaultConfidence,
		Tolerance:   DefaultTolerance,
		NaNStrategy: Remove,
		EffectSize:  EffectSize{Measure: MeanRatio},
		Outliers:    Outliers{Strategy: Keep, OutlierFactor: DefaultOutlierFactor},
	}
}

// Result is the judge's verdict on one metric.
type Result struct {
	Classification Classification `json:"classification"`
	// Critical is set when this result must fail the whole canary.
	Critical bool `json:"critical"`
	// Estimate is the estimated shift experiment - control: Hodges-Lehmann
	// for mannWhitney, the difference of the means for meanInequality; NaN
	// when no comparison was made.
	Estimate float64 `json:"estimate"`
	// CI is the confidence interval of the shift (NaN when none was made).
	CI [2]float64 `json:"ci"`
	// Deviation is mean(experiment) / mean(control), as Kayenta reports it
	// (its "ratio"); NaN when a mean is 0.
	Deviation float64 `json:"deviation"`
	// EffectSize is the measure the effect-size gates were applied to.
	EffectSize float64 `json:"effectSize"`
	// PValue is the two-sided p-value of the rank-sum test.
	PValue float64 `json:"pValue"`
	// Confidence is the confidence level the interval really has: the
	// requested one unless the samples are too small to reach it.
	Confidence float64 `json:"confidence"`
	// Method is "exact", "normal approximation" or "" (no test run).
	Method string `json:"method"`
	// Reason explains the classification to a person.
	Reason string `json:"reason"`
}

// InputError reports an invalid setting: which field, and what to do.
type InputError struct {
	Field string
	Msg   string
}

func (e *InputError) Error() string { return fmt.Sprintf("invalid %s: %s", e.Field, e.Msg) }
