package judge

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

// series returns n values start, start+step, ... (distinct, so the exact
// test applies when n < 50).
func series(start, step float64, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = start + step*float64(i)
	}
	return v
}

// input is DefaultInput with the samples and the edits applied.
func input(control, experiment []float64, edits ...func(*Input)) Input {
	in := DefaultInput()
	in.Control, in.Experiment = control, experiment
	for _, e := range edits {
		e(&in)
	}
	return in
}

func TestClassifyMannWhitneyRules(t *testing.T) {
	base := series(100, 1, 20)       // 100..119
	higher := series(130, 1, 20)     // clearly above
	lower := series(70, 1, 20)       // clearly below
	slightly := series(100.5, 1, 20) // overlaps the baseline
	withNaN := append(series(130, 1, 10), series(math.NaN(), 0, 10)...)
	dir := func(d Direction) func(*Input) { return func(in *Input) { in.Direction = d } }
	critical := func(in *Input) { in.Critical = true }
	thresholds := func(lo, hi float64) func(*Input) {
		return func(in *Input) { in.EffectSize.Thresholds = []float64{lo, hi} }
	}
	criticalAt := func(lo, hi float64) func(*Input) {
		return func(in *Input) { in.EffectSize.Critical = []float64{lo, hi} }
	}

	for _, c := range []struct {
		name           string
		in             Input
		want           Classification
		wantCritical   bool
		reasonContains string
	}{
		{"clearly higher", input(base, higher), High, false, "above the tolerance band"},
		{"clearly lower", input(base, lower), Low, false, "below the tolerance band"},
		{"overlapping", input(base, slightly), Pass, false, "overlaps"},
		{"increase ignores a decrease", input(base, lower, dir(Increase)), Pass, false, "ignores decreases"},
		{"decrease ignores an increase", input(base, higher, dir(Decrease)), Pass, false, "ignores increases"},
		{"decrease catches a decrease", input(base, lower, dir(Decrease)), Low, false, ""},
		// mean ratio of higher/base is 139.5/109.5 = 1.27
		{"effect size below the allowed increase", input(base, higher, thresholds(0.8, 1.3)), Pass, false, "is under the allowed increase 1.3"},
		{"effect size reaches the allowed increase", input(base, higher, thresholds(0.8, 1.2)), High, false, "is at least the allowed increase 1.2"},
		// lower/base = 79.5/109.5 = 0.73
		{"effect size above the allowed decrease", input(base, lower, thresholds(0.7, 1.3)), Pass, false, "is over the allowed decrease 0.7"},
		{"critical High", input(base, higher, critical), High, true, "High (critical)"},
		{"critical Low", input(base, lower, critical), Low, true, "Low (critical)"},
		{"critical metric under the critical increase", input(base, higher, critical, criticalAt(0.5, 2)), High, false, "High:"},
		{"critical metric over the critical increase", input(base, higher, critical, criticalAt(0.5, 1.25)), High, true, "critical increase 1.25"},
		{"critical metric that passes is not critical", input(base, slightly, critical), Pass, false, ""},
		{"NaN removed", input(base, withNaN), High, false, ""},
		{"NaN replaced by 0 lowers the canary", input(base, withNaN, func(in *Input) { in.NaNStrategy = Replace }), Pass, false, ""},
		{"no canary data", input(base, nil), Nodata, false, "no canary"},
		{"only NaN baseline", input([]float64{math.NaN()}, higher), Nodata, false, "no baseline"},
		{"no data on a critical metric", input(base, nil, critical), Nodata, true, ""},
		{"no data with replace passes", input(base, nil, func(in *Input) { in.NaNStrategy = Replace }), Pass, false, "replace"},
		{"identical samples", input([]float64{3, 1, 2}, []float64{1, 2, 3}), Pass, false, "identical"},
		{"one value everywhere", input([]float64{5, 5}, []float64{5, 5, 5}), Pass, false, "same value"},
		{"two constant samples", input([]float64{5, 5, 5}, []float64{6, 6}), High, false, ""},
		{"tolerance hides a small shift", input(base, series(104, 1, 20), func(in *Input) { in.Tolerance = 2 }), Pass, false, "overlaps"},
		{"infinite sample", input(base, []float64{1, math.Inf(1)}), Error, false, "+Inf"},
		{"infinite sample on a critical metric fails closed", input(base, []float64{1, math.Inf(1)}, critical), Error, true, ""},
		{"zero means skip the effect-size gate", input(series(-10, 1, 21), series(30, 1, 21), thresholds(0.5, 100)), High, false, "cannot be computed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Classify(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if got.Classification != c.want || got.Critical != c.wantCritical {
				t.Errorf("got %s critical=%v, want %s critical=%v (%s)", got.Classification, got.Critical, c.want, c.wantCritical, got.Reason)
			}
			if !strings.Contains(got.Reason, c.reasonContains) {
				t.Errorf("reason %q does not mention %q", got.Reason, c.reasonContains)
			}
		})
	}
}

// Swapping canary and baseline mirrors the verdict: the judge has no
// built-in bias towards either side.
func TestClassifySymmetry(t *testing.T) {
	pairs := [][2][]float64{
		{series(100, 1, 20), series(130, 1, 20)},
		{series(1, 0.5, 60), series(20, 0.5, 70)},
		{[]float64{1, 2, 2, 3, 5}, []float64{8, 9, 9, 12}},
	}
	mirror := map[Classification]Classification{High: Low, Low: High, Pass: Pass}
	for _, p := range pairs {
		a, _ := Classify(input(p[0], p[1]))
		b, _ := Classify(input(p[1], p[0]))
		if mirror[a.Classification] != b.Classification {
			t.Errorf("%v vs %v: %s one way, %s the other", p[0], p[1], a.Classification, b.Classification)
		}
		if math.Abs(a.Estimate+b.Estimate) > 1e-3 || math.Abs(a.CI[0]+b.CI[1]) > 1e-3 {
			t.Errorf("estimate %v / interval %v does not mirror %v / %v", a.Estimate, a.CI, b.Estimate, b.CI)
		}
	}
}

func TestClassifyReportsTheTest(t *testing.T) {
	small, _ := Classify(input(series(1, 1, 10), series(5.5, 1, 10)))
	if small.Method != "exact" || small.Confidence != DefaultConfidence {
		t.Errorf("small distinct samples: method %q confidence %v, want exact at %v", small.Method, small.Confidence, DefaultConfidence)
	}
	tied, _ := Classify(input([]float64{1, 1, 2, 3}, []float64{2, 4, 5, 5}))
	if tied.Method != "normal approximation" {
		t.Errorf("tied samples: method %q, want normal approximation", tied.Method)
	}
	tiny, _ := Classify(input([]float64{1, 2}, []float64{5, 6}))
	if !(tiny.Confidence < 0.7) {
		t.Errorf("2 vs 2 samples cannot reach 98%%; reported confidence %v", tiny.Confidence)
	}
	if !(small.PValue > 0 && small.PValue < 1) {
		t.Errorf("p-value %v out of range", small.PValue)
	}
}

func TestClassifyCLES(t *testing.T) {
	cl := func(in *Input) { in.EffectSize.Measure = CLES }
	// Every canary value exceeds every baseline value: CLES = 1.
	res, _ := Classify(input(series(1, 1, 10), series(100, 1, 10), cl))
	if res.EffectSize != 1 || res.Classification != High {
		t.Errorf("separated samples: CLES %v, %s; want 1, High", res.EffectSize, res.Classification)
	}
	// Half the pairs favour each side, ties count half: CLES = 0.5.
	if got := cles([]float64{1, 2, 3}, []float64{2}); got != 0.5 {
		t.Errorf("cles = %v, want 0.5", got)
	}
	if got := cles([]float64{1, 2}, []float64{2, 3}); got != 0.875 {
		// pairs: 2>1, 2=2 (half), 3>1, 3>2 -> 3.5/4
		t.Errorf("cles = %v, want 0.875", got)
	}
	// A CLES threshold of 1.0 blocks High unless the separation is total.
	strict := func(in *Input) { in.EffectSize.Thresholds = []float64{0, 1} }
	res, _ = Classify(input(series(1, 1, 30), series(20, 1, 30), cl, strict))
	if res.Classification != Pass {
		t.Errorf("partial overlap with allowed increase 1.0: %s (CLES %v), want Pass", res.Classification, res.EffectSize)
	}
}

func TestClassifyMeanInequality(t *testing.T) {
	mi := func(in *Input) { in.Classifier = MeanInequality }
	for _, c := range []struct {
		name          string
		in            Input
		want          Classification
		wantDeviation float64
	}{
		{"higher mean", input([]float64{1, 2, 3}, []float64{2, 3, 4}, mi), High, 1.5},
		{"lower mean", input([]float64{2, 4}, []float64{1, 2}, mi), Low, 0.5},
		{"equal means", input([]float64{1, 3}, []float64{2, 2}, mi), Pass, 1},
		{"higher but only decreases count", input([]float64{1}, []float64{2}, mi, func(in *Input) { in.Direction = Decrease }), Pass, 1},
		{"no data", input(nil, []float64{2}, mi), Nodata, 0},
	} {
		got, err := Classify(c.in)
		if err != nil {
			t.Fatal(err)
		}
		if got.Classification != c.want || got.Deviation != c.wantDeviation {
			t.Errorf("%s: %s deviation %v, want %s deviation %v", c.name, got.Classification, got.Deviation, c.want, c.wantDeviation)
		}
	}
	crit, _ := Classify(input([]float64{1}, []float64{2}, mi, func(in *Input) { in.Critical = true }))
	if !crit.Critical {
		t.Error("a High critical metric must be critical")
	}
}

func TestInputValidation(t *testing.T) {
	for _, c := range []struct {
		field string
		edit  func(*Input)
	}{
		{"classifier", func(in *Input) { in.Classifier = "tTest" }},
		{"direction", func(in *Input) { in.Direction = "up" }},
		{"nanStrategy", func(in *Input) { in.NaNStrategy = "ignore" }},
		{"confidence", func(in *Input) { in.Confidence = 0 }},
		{"confidence", func(in *Input) { in.Confidence = 1 }},
		{"tolerance", func(in *Input) { in.Tolerance = -0.1 }},
		{"tolerance", func(in *Input) { in.Tolerance = math.NaN() }},
		{"effectSize.measure", func(in *Input) { in.EffectSize.Measure = "cohenD" }},
		{"effectSize.thresholds", func(in *Input) { in.EffectSize.Thresholds = []float64{1} }},
		{"effectSize.thresholds", func(in *Input) { in.EffectSize.Thresholds = []float64{-0.8, 1.2} }},
		{"effectSize.critical", func(in *Input) { in.EffectSize.Critical = []float64{0, math.Inf(1)} }},
		{"effectSize.thresholds", func(in *Input) {
			in.EffectSize.Measure = CLES
			in.EffectSize.Thresholds = []float64{0.2, 1.5}
		}},
	} {
		in := input([]float64{1}, []float64{2}, c.edit)
		res, err := Classify(in)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Field != c.field {
			t.Errorf("%s: error %v, want an InputError for %s", c.field, err, c.field)
			continue
		}
		if res.Classification != Error || res.Reason != err.Error() {
			t.Errorf("%s: result %s %q, want Error with the same reason", c.field, res.Classification, res.Reason)
		}
	}
	// Empty enums mean the defaults.
	if _, err := Classify(Input{Confidence: 0.9, Control: []float64{1}, Experiment: []float64{2}}); err != nil {
		t.Errorf("zero enums should default: %v", err)
	}
}

func TestParseInput(t *testing.T) {
	in, err := ParseInput([]byte(`{"control":[1,null,"NaN",2],"experiment":[3,"+Inf"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if in.Confidence != DefaultConfidence || in.Tolerance != DefaultTolerance || in.Direction != Either {
		t.Errorf("defaults not applied: %+v", in)
	}
	if len(in.Control) != 4 || !math.IsNaN(in.Control[1]) || !math.IsNaN(in.Control[2]) || !math.IsInf(in.Experiment[1], 1) {
		t.Errorf("samples = %v / %v", in.Control, in.Experiment)
	}
	// An explicit 0 tolerance is kept, not replaced by the default.
	in, _ = ParseInput([]byte(`{"tolerance":0}`))
	if in.Tolerance != 0 {
		t.Errorf("tolerance 0 became %v", in.Tolerance)
	}
	for _, bad := range []struct{ json, mention string }{
		{`{"confidenceLevel":0.9}`, "confidenceLevel"},
		{`{"effectSize":{"measure":"cles","allowedIncrease":2}}`, "allowedIncrease"},
		{`{"control":[1,"x"]}`, "sample 1"},
		{`{"control":{}}`, "array"},
		{`{"control":[1]} {}`, "exactly one object"},
		{`[1,2]`, "expected an object"},
		{`{"confidence":1.5}`, "confidence"},
	} {
		_, err := ParseInput([]byte(bad.json))
		if err == nil || !strings.Contains(err.Error(), bad.mention) {
			t.Errorf("%s: error %v, want one mentioning %q", bad.json, err, bad.mention)
		}
	}
}

func TestResultJSONRoundTrip(t *testing.T) {
	res, _ := Classify(input(series(100, 1, 20), series(130, 1, 20)))
	b, err := res.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var back Result
	if err := back.UnmarshalJSON(b); err != nil {
		t.Fatal(err)
	}
	if back.Classification != res.Classification || back.Estimate != res.Estimate || back.CI != res.CI || back.Reason != res.Reason {
		t.Errorf("round trip changed the result:\n%+v\n%+v", res, back)
	}
	nd := ErrorResult("x")
	b, _ = nd.MarshalJSON()
	if err := back.UnmarshalJSON(b); err != nil || !math.IsNaN(back.Estimate) {
		t.Errorf("NaN did not survive a round trip: %s -> %v (%v)", b, back.Estimate, err)
	}
}

func TestInputJSONRoundTrip(t *testing.T) {
	in := input([]float64{1, math.NaN(), math.Inf(1)}, []float64{math.Inf(-1), 2.5}, func(in *Input) {
		in.Name, in.Direction, in.Critical, in.Tolerance = "p99", Increase, true, 0
		in.EffectSize = EffectSize{Measure: CLES, Thresholds: []float64{0.3, 0.7}}
	})
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseInput(b)
	if err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	// Compare printed forms: NaN != NaN defeats a deep comparison.
	if fmt.Sprint(back) != fmt.Sprint(in) {
		t.Errorf("round trip changed the input:\n%+v\n%+v", in, back)
	}
}
