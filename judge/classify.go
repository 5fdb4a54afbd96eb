package judge

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/slipway/slipway/judge/wilcoxon"
)

var nanValue = math.NaN()

// Classify judges one metric: it applies the NaN strategy, then the chosen
// classifier, and marks the result critical when it must fail the canary.
//
// An invalid Input returns an *InputError together with an Error result
// that carries the same reason (so a caller can record it). Data the test
// cannot handle (infinite samples) is not an input error: it yields an Error
// classification with a nil error.
func Classify(in Input) (Result, error) {
	if err := in.Validate(); err != nil {
		return errorResult(in.Critical, err.Error()), err
	}
	in = in.normalized()
	if reason := infiniteSample(in); reason != "" {
		return errorResult(in.Critical, reason), nil
	}
	control, experiment := prepare(in, in.Control), prepare(in, in.Experiment)
	if in.Classifier == MeanInequality {
		return classifyMeans(in, control, experiment), nil
	}
	return classifyMannWhitney(in, control, experiment), nil
}

// infiniteSample describes the first infinite sample, or returns "".
func infiniteSample(in Input) string {
	for _, s := range []struct {
		side string
		v    []float64
	}{{"baseline (control)", in.Control}, {"canary (experiment)", in.Experiment}} {
		if i := slices.IndexFunc(s.v, func(x float64) bool { return math.IsInf(x, 0) }); i >= 0 {
			return fmt.Sprintf("%s sample %d of %s is %v; fix the query so it yields finite values (or NaN for no value)", s.side, i, in.Name, s.v[i])
		}
	}
	return ""
}

// prepare applies the NaN strategy and then the outlier strategy to one
// side's samples, as Kayenta's transformMetric does.
func prepare(in Input, v []float64) []float64 {
	v = applyNaNStrategy(v, in.NaNStrategy)
	if in.Outliers.Strategy == RemoveOutlier {
		v = removeOutliers(v, in.Outliers.OutlierFactor)
	}
	return v
}

// ErrorResult is an Error classification with the given reason and every
// number NaN, for a comparison that could not be made at all (for example
// unparseable input).
func ErrorResult(reason string) Result { return errorResult(false, reason) }

// errorResult is an Error classification. Unlike Kayenta, which never marks
// an Error critical, a critical metric that cannot be judged fails the
// canary: Slipway fails closed.
func errorResult(critical bool, reason string) Result {
	r := blankResult(Error, reason)
	r.Critical = critical
	return r
}

// blankResult is a classification without any statistics: every number is
// NaN until the classifier fills it in.
func blankResult(c Classification, reason string) Result {
	return Result{
		Classification: c,
		Estimate:       nanValue,
		CI:             [2]float64{nanValue, nanValue},
		Deviation:      nanValue,
		EffectSize:     nanValue,
		PValue:         nanValue,
		Confidence:     nanValue,
		Reason:         reason,
	}
}

// applyNaNStrategy drops NaN samples (remove) or counts them as 0 (replace).
func applyNaNStrategy(v []float64, s NaNStrategy) []float64 {
	out := make([]float64, 0, len(v))
	for _, x := range v {
		switch {
		case !math.IsNaN(x):
			out = append(out, x)
		case s == Replace:
			out = append(out, 0)
		}
	}
	return out
}

// missingData is the result when a side has no samples (Kayenta's rule):
// with remove it is Nodata, critical for a critical metric, or
// NodataFailMetric for a non-critical metric that must have data; with
// replace, where missing values are meant to count as zero, it passes.
func missingData(in Input, control, experiment []float64, deviation float64) (Result, bool) {
	if len(control) > 0 && len(experiment) > 0 {
		return Result{}, false
	}
	r := blankResult(Nodata, "")
	r.Deviation = deviation
	side := "canary (experiment)"
	if len(control) == 0 {
		side = "baseline (control)"
	}
	if in.NaNStrategy == Replace {
		r.Classification, r.Deviation = Pass, 1
		r.Reason = fmt.Sprintf("Pass: %s has no %s samples, and nanStrategy replace counts missing data as no change", in.Name, side)
		return r, true
	}
	r.Critical = in.Critical
	if in.MustHaveData && !in.Critical {
		r.Classification, r.Deviation = NodataFailMetric, 1
	}
	r.Reason = fmt.Sprintf("%s: %s has no %s samples (after removing NaN)", r.Classification, in.Name, side)
	return r, true
}

// classifyMannWhitney is Kayenta's MannWhitneyClassifier: the canary is High
// (Low) when the whole confidence interval of the shift lies above (below)
// the tolerance band ±tolerance·|estimate| and the effect size reaches the
// allowed increase (decrease).
func classifyMannWhitney(in Input, control, experiment []float64) Result {
	if r, ok := missingData(in, control, experiment, 1); ok {
		return r
	}
	if sameMultiset(control, experiment) {
		r := blankResult(Pass, "Pass: the canary and baseline samples are identical")
		r.Deviation = 1
		return r
	}
	if constant(slices.Concat(control, experiment)) {
		r := blankResult(Pass, "Pass: every canary and baseline sample has the same value")
		r.Deviation = 1
		return r
	}

	test, how, err := shiftInterval(experiment, control, in.Confidence)
	if err != nil {
		return errorResult(in.Critical, fmt.Sprintf("%s could not be compared: %v", in.Name, err))
	}
	es := effectSize(in.EffectSize.Measure, control, experiment)
	r := Result{
		Estimate:   test.Estimate,
		CI:         [2]float64{test.Lower, test.Upper},
		Deviation:  meanRatio(control, experiment),
		EffectSize: es,
		PValue:     test.PValue,
		Confidence: test.ConfLevel,
		Method:     how,
	}
	band := in.Tolerance * math.Abs(test.Estimate)
	d := decision{in: in, r: &r, band: band, es: es}
	d.apply()
	return r
}

// shiftInterval runs the rank-sum test of experiment against control and
// names the method used. When each side is constant (but they differ), the
// interval of the shift is the single point experiment - control; Kayenta
// adds random noise there to get R to answer, we give that limit exactly
// and deterministically.
func shiftInterval(experiment, control []float64, conf float64) (wilcoxon.Result, string, error) {
	if constant(experiment) && constant(control) {
		d := experiment[0] - control[0]
		return wilcoxon.Result{Estimate: d, Lower: d, Upper: d, ConfLevel: conf, PValue: nanValue}, "degenerate", nil
	}
	t, err := wilcoxon.RankSum(experiment, control, conf)
	if t.Exact {
		return t, "exact", err
	}
	return t, "normal approximation", err
}

// decision applies the direction, effect-size and critical rules to the
// interval of a Mann-Whitney test.
type decision struct {
	in   Input
	r    *Result
	band float64
	es   float64
}

func (v decision) apply() {
	in, r := v.in, v.r
	thr, crit := in.EffectSize.Thresholds, in.EffectSize.Critical
	measure := string(in.EffectSize.Measure)
	// If the effect size cannot be computed (a zero mean), only the
	// interval decides, as in Kayenta.
	esUnknown := math.IsNaN(v.es)
	above := r.CI[0] > v.band
	below := r.CI[1] < -v.band
	interval := fmt.Sprintf("the %s%% interval [%s, %s] of canary - baseline", pct(r.Confidence), num(r.CI[0]), num(r.CI[1]))
	bandText := "±" + num(v.band)

	switch {
	case in.Direction.allowsHigh() && above && (esUnknown || v.es >= thr[1]):
		r.Classification = High
		r.Reason = fmt.Sprintf("High: %s lies above the tolerance band %s%s", interval, bandText, v.effectText(thr[1], "is at least the allowed increase"))
		if in.Critical && (esUnknown || v.es >= crit[1]) {
			r.Critical = true
			r.Reason = fmt.Sprintf("High (critical): %s lies above the tolerance band %s%s", interval, bandText, v.effectText(crit[1], "is at least the critical increase"))
		}
	case in.Direction.allowsLow() && below && (esUnknown || v.es <= thr[0]):
		r.Classification = Low
		r.Reason = fmt.Sprintf("Low: %s lies below the tolerance band %s%s", interval, bandText, v.effectText(thr[0], "is at most the allowed decrease"))
		if in.Critical && (esUnknown || v.es <= crit[0]) {
			r.Critical = true
			r.Reason = fmt.Sprintf("Low (critical): %s lies below the tolerance band %s%s", interval, bandText, v.effectText(crit[0], "is at most the critical decrease"))
		}
	default:
		r.Classification = Pass
		switch {
		case above && !in.Direction.allowsHigh():
			r.Reason = fmt.Sprintf("Pass: %s lies above the tolerance band %s, but direction %s ignores increases", interval, bandText, in.Direction)
		case below && !in.Direction.allowsLow():
			r.Reason = fmt.Sprintf("Pass: %s lies below the tolerance band %s, but direction %s ignores decreases", interval, bandText, in.Direction)
		case above:
			r.Reason = fmt.Sprintf("Pass: %s lies above the tolerance band %s, but the %s %s is under the allowed increase %s", interval, bandText, measure, num(v.es), num(thr[1]))
		case below:
			r.Reason = fmt.Sprintf("Pass: %s lies below the tolerance band %s, but the %s %s is over the allowed decrease %s", interval, bandText, measure, num(v.es), num(thr[0]))
		default:
			r.Reason = fmt.Sprintf("Pass: %s overlaps the tolerance band %s", interval, bandText)
		}
	}
}

// effectText describes the effect-size gate that a High/Low result passed.
func (v decision) effectText(threshold float64, what string) string {
	m := string(v.in.EffectSize.Measure)
	if math.IsNaN(v.es) {
		return fmt.Sprintf(" (the %s cannot be computed, so it does not gate)", m)
	}
	return fmt.Sprintf(" and the %s %s %s %s", m, num(v.es), what, num(threshold))
}

// classifyMeans is Kayenta's MeanInequalityClassifier: High (Low) when the
// experiment mean is above (below) the control mean, with no statistics.
func classifyMeans(in Input, control, experiment []float64) Result {
	if r, ok := missingData(in, control, experiment, 0); ok {
		return r
	}
	c, e := mean(control), mean(experiment)
	r := blankResult(Pass, "")
	r.Estimate = e - c
	r.EffectSize = meanRatio(control, experiment)
	means := fmt.Sprintf("the canary mean %s vs the baseline mean %s", num(e), num(c))
	switch {
	case in.Direction.allowsHigh() && e > c:
		r.Classification, r.Critical, r.Deviation = High, in.Critical, e/c
		r.Reason = "High: " + means
	case in.Direction.allowsLow() && e < c:
		r.Classification, r.Critical, r.Deviation = Low, in.Critical, e/c
		r.Reason = "Low: " + means
	default:
		r.Classification, r.Deviation = Pass, 1
		r.Reason = fmt.Sprintf("Pass: %s (direction %s)", means, in.Direction)
	}
	return r
}

// sameMultiset reports whether a and b hold the same values, in any order.
func sameMultiset(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	as, bs := slices.Clone(a), slices.Clone(b)
	slices.Sort(as)
	slices.Sort(bs)
	return slices.Equal(as, bs)
}

// constant reports whether all values are equal (true for one value).
func constant(v []float64) bool {
	return !slices.ContainsFunc(v, func(x float64) bool { return x != v[0] })
}

// num formats a number for reasons: short, but exact for round values.
func num(f float64) string { return strconv.FormatFloat(f, 'g', 6, 64) }

// pct formats a confidence level as a percentage ("98", "66.7").
func pct(f float64) string { return strconv.FormatFloat(f*100, 'g', 3, 64) }
