package judge

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// Cases from Kayenta's own ClassifierSuite.scala (spinnaker/kayenta,
// kayenta-judge/src/test), with its data and settings: tolerance 0.10,
// confidence 0.95, the thresholds each test gives. Kayenta's classifier
// takes effectSizeThresholds and criticalThresholds as (decrease, increase)
// pairs with no order between them; its "Critical Low" test uses
// (1.2, 1.0), a decrease bound above the increase bound.
func TestKayentaClassifierSuite(t *testing.T) {
	highExp := []float64{20.0, 22.0, 21.0, 25.0, 30.0}
	highCtl := []float64{1.0, 2.2, 1.1, 2.5, 3.0}
	zeros := []float64{0, 0, 0, 0, 0}
	kayenta := func(control, experiment []float64, edits ...func(*Input)) Input {
		return input(control, experiment, append([]func(*Input){func(in *Input) {
			in.Tolerance, in.Confidence = 0.10, 0.95
		}}, edits...)...)
	}
	effect := func(dec, inc float64) func(*Input) {
		return func(in *Input) { in.EffectSize.Thresholds = []float64{dec, inc} }
	}
	criticalAt := func(dec, inc float64) func(*Input) {
		return func(in *Input) { in.Critical, in.EffectSize.Critical = true, []float64{dec, inc} }
	}
	for _, c := range []struct {
		name         string
		in           Input
		want         Classification
		wantCritical bool
	}{
		{"Critical Effect Size: Critical High", kayenta(highCtl, highExp, criticalAt(1.0, 1.2)), High, true},
		{"Critical Effect Size: Critical Low", kayenta([]float64{10.0, 20.2, 10.1, 20.5, 30.0}, []float64{2.0, 2.0, 2.0, 2.0, 3.0}, criticalAt(1.2, 1.0)), Low, true},
		{"Critical Effect Size: High", kayenta(highCtl, highExp, effect(1.0, 5.0), criticalAt(1.0, 13.0)), High, false},
		{"Critical Effect Size: Pass", kayenta(highCtl, highExp, effect(1.0, 13.0), criticalAt(1.0, 15.0)), Pass, false},
		{"Critical Effect Size: Critical High (Default Thresholds)", kayenta(highCtl, highExp, func(in *Input) { in.Critical = true }), High, true},
		{"Mean Ratio Effect Size: High", kayenta(highCtl, highExp, effect(0.8, 1.2)), High, false},
		{"Mean Ratio Effect Size: Pass", kayenta([]float64{20.0, 22.0, 21.0, 25.0, 30.0}, []float64{10.0, 12.2, 10.1, 12.5, 23.0}, effect(0.5, 1.0)), Pass, false},
		{"Zero Mean: High Metric with Effect Size", kayenta(zeros, []float64{54.9, 54.5, 55.1, 55.6, 57.4}, effect(0.8, 1.2)), High, false},
		{"Zero Mean: Low Metric with Effect Size", kayenta([]float64{54.9, 54.5, 55.1, 55.6, 57.4}, zeros, effect(0.8, 1.2)), Low, false},
		{"Zero Mean: Critical Metric", kayenta(make([]float64, 10), []float64{
			0.05000000074505806, 0.05000000074505806, 0.01666666753590107,
			0.01666666753590107, 0.01666666753590107, 0.05000000074505806,
			0.03333333507180214, 0.05000000260770321, 0.05000000260770321,
			0.13333333656191826,
		}, criticalAt(0.8, 1.2), func(in *Input) { in.NaNStrategy = Replace }), High, true},
		{"Zero Mean: Pass Metric", kayenta(zeros, zeros, effect(0.8, 1.2)), Pass, false},
	} {
		expectClass(t, c.name, c.in, c.want, c.wantCritical)
	}
}

// expectClass classifies in (which Kayenta accepts) and wants the given
// classification and criticality.
func expectClass(t *testing.T, name string, in Input, want Classification, wantCritical bool) {
	t.Run(name, func(t *testing.T) {
		got, err := Classify(in)
		if err != nil {
			t.Fatalf("Kayenta accepts these settings; Slipway refused them: %v", err)
		}
		if got.Classification != want || got.Critical != wantCritical {
			t.Fatalf("got %s critical=%v, want %s critical=%v (%s)", got.Classification, got.Critical, want, wantCritical, got.Reason)
		}
	})
}

// TestThresholdPairsInAnyOrder: each bound of a pair gates its own
// direction, whatever the other one says (Kayenta's meaning).
func TestThresholdPairsInAnyOrder(t *testing.T) {
	base := series(100, 1, 20)   // mean 109.5
	higher := series(130, 1, 20) // mean ratio 1.27
	lower := series(70, 1, 20)   // mean ratio 0.73
	pair := func(field string, dec, inc float64) func(*Input) {
		return func(in *Input) {
			if field == "critical" {
				in.Critical, in.EffectSize.Critical = true, []float64{dec, inc}
			} else {
				in.EffectSize.Thresholds = []float64{dec, inc}
			}
		}
	}
	for _, c := range []struct {
		name         string
		in           Input
		want         Classification
		wantCritical bool
	}{
		// Reversed allowed pair: both gates open wider than "no change".
		{"reversed thresholds, increase", input(base, higher, pair("thresholds", 1.5, 0.9)), High, false},
		{"reversed thresholds, decrease", input(base, lower, pair("thresholds", 1.5, 0.9)), Low, false},
		// The increase bound alone decides a High: 1.27 < 1.3.
		{"reversed thresholds, increase too small", input(base, higher, pair("thresholds", 2, 1.3)), Pass, false},
		// The decrease bound alone decides a Low: 0.73 > 0.7.
		{"reversed thresholds, decrease too small", input(base, lower, pair("thresholds", 0.7, 0.5)), Pass, false},
		{"reversed critical, High reaches 1.0", input(base, higher, pair("critical", 1.2, 1.0)), High, true},
		{"reversed critical, Low under 1.2", input(base, lower, pair("critical", 1.2, 1.0)), Low, true},
		{"reversed critical, High under 1.3", input(base, higher, pair("critical", 0.5, 1.3)), High, false},
		{"equal bounds away from 1", input(base, higher, pair("thresholds", 1.25, 1.25)), High, false},
		{"zero decrease bound: decreases never fail", input(base, lower, pair("thresholds", 0, 1)), Pass, false},
		{"cles pair reversed", input(base, higher, func(in *Input) {
			in.EffectSize = EffectSize{Measure: CLES, Thresholds: []float64{0.9, 0.6}}
		}), High, false},
	} {
		expectClass(t, c.name, c.in, c.want, c.wantCritical)
	}
}

// TestThresholdsKayentaCannotEvaluate: a bound that no effect size can be
// compared with is refused, naming the field and the bound.
func TestThresholdsKayentaCannotEvaluate(t *testing.T) {
	for _, c := range []struct {
		field, mention string
		es             EffectSize
	}{
		{"effectSize.thresholds", "decrease bound NaN is not a finite number", EffectSize{Thresholds: []float64{math.NaN(), 1}}},
		{"effectSize.critical", "increase bound +Inf", EffectSize{Critical: []float64{1, math.Inf(1)}}},
		{"effectSize.thresholds", "negative mean ratio", EffectSize{Thresholds: []float64{-0.2, 1.2}}},
		{"effectSize.critical", "increase bound -1 is a negative mean ratio", EffectSize{Critical: []float64{1, -1}}},
		{"effectSize.thresholds", "increase bound 1.5 is not a cles", EffectSize{Measure: CLES, Thresholds: []float64{0.2, 1.5}}},
		{"effectSize.critical", "decrease bound -0.1 is not a cles", EffectSize{Measure: CLES, Critical: []float64{-0.1, 0.9}}},
		{"effectSize.thresholds", "has 3 values", EffectSize{Thresholds: []float64{0.8, 1, 1.2}}},
	} {
		_, err := Classify(input([]float64{1}, []float64{2}, func(in *Input) {
			in.EffectSize = c.es
			if in.EffectSize.Measure == "" {
				in.EffectSize.Measure = MeanRatio
			}
		}))
		var ie *InputError
		if !errors.As(err, &ie) || ie.Field != c.field || !strings.Contains(err.Error(), c.mention) {
			t.Errorf("%+v: error %v, want one for %s mentioning %q", c.es, err, c.field, c.mention)
		}
	}
	// The JSON form reaches the same rule.
	if _, err := ParseInput([]byte(`{"effectSize":{"critical":[1.2,1.0]}}`)); err != nil {
		t.Errorf("Kayenta's (1.2, 1.0) critical pair refused: %v", err)
	}
}
