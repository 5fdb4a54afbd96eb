package judge

import (
	"errors"
	"math"
	"slices"
	"testing"
)

func TestPercentileR7MatchesR(t *testing.T) {
	// R: quantile(x, c(.01, .25, .5, .75, .99, 1), type = 7)
	x := []float64{12, 3, 7.5, 100, 8, 9, 10, 11, 7, 6, 8.5}
	slices.Sort(x)
	for p, want := range map[float64]float64{
		1: 3.3000000000000003, 25: 7.25, 50: 8.5, 75: 10.5, 99: 91.2000000000000171, 100: 100,
	} {
		if got := percentileR7(x, p); math.Abs(got-want) > 1e-13 {
			t.Errorf("P%v = %.17g, R says %.17g", p, got, want)
		}
	}
	if got := percentileR7([]float64{5}, 1); got != 5 {
		t.Errorf("percentile of one value = %v", got)
	}
	if got := percentileR7([]float64{1, 2}, 99); math.Abs(got-1.99) > 1e-15 {
		t.Errorf("P99 of {1, 2} = %v, R says 1.99", got)
	}
}

func TestRemoveOutliers(t *testing.T) {
	x := []float64{12, 3, 7.5, 100, 8, 9, 10, 11, 7, 6, 8.5}
	// Fences: min(P1 = 3.3, Q1 - 3·IQR = -2.5) and max(P99 = 91.2, Q3 + 3·IQR = 20.25).
	got := removeOutliers(x, 3)
	want := []float64{12, 3, 7.5, 8, 9, 10, 11, 7, 6, 8.5}
	if !slices.Equal(got, want) {
		t.Errorf("removeOutliers = %v, want %v (only 100 goes)", got, want)
	}
	if !slices.Equal(x[:4], []float64{12, 3, 7.5, 100}) {
		t.Error("removeOutliers modified its input")
	}
	// A sample without spread keeps everything.
	flat := []float64{5, 5, 5, 5}
	if got := removeOutliers(flat, 3); !slices.Equal(got, flat) {
		t.Errorf("constant sample lost values: %v", got)
	}
	if got := removeOutliers(nil, 3); len(got) != 0 {
		t.Errorf("empty sample gave %v", got)
	}
}

func TestClassifyWithOutlierRemoval(t *testing.T) {
	control := series(100, 1, 20)
	// The canary is like the baseline but for three wild spikes.
	experiment := append(series(100.5, 1, 17), 5000, 6000, 7000)
	keep, _ := Classify(input(control, experiment))
	removed, _ := Classify(input(control, experiment, func(in *Input) {
		in.Outliers = Outliers{Strategy: RemoveOutlier, OutlierFactor: 3}
	}))
	if removed.Classification != Pass {
		t.Errorf("with the spikes removed: %s (%s), want Pass", removed.Classification, removed.Reason)
	}
	if !(removed.Deviation < keep.Deviation) {
		t.Errorf("removing the spikes should lower the mean ratio: %v -> %v", keep.Deviation, removed.Deviation)
	}
}

func TestMustHaveData(t *testing.T) {
	must := func(in *Input) { in.MustHaveData = true }
	res, _ := Classify(input(series(1, 1, 5), nil, must))
	if res.Classification != NodataFailMetric || res.Critical {
		t.Errorf("mustHaveData without data: %s critical=%v, want NodataFailMetric, not critical", res.Classification, res.Critical)
	}
	// A critical metric stays Nodata, and critical, as in Kayenta.
	res, _ = Classify(input(series(1, 1, 5), nil, must, func(in *Input) { in.Critical = true }))
	if res.Classification != Nodata || !res.Critical {
		t.Errorf("critical mustHaveData: %s critical=%v, want critical Nodata", res.Classification, res.Critical)
	}
}

func TestOutlierValidation(t *testing.T) {
	for field, edit := range map[string]func(*Input){
		"outliers.strategy":      func(in *Input) { in.Outliers.Strategy = "clip" },
		"outliers.outlierFactor": func(in *Input) { in.Outliers = Outliers{Strategy: RemoveOutlier, OutlierFactor: 0} },
	} {
		_, err := Classify(input([]float64{1}, []float64{2}, edit))
		var ie *InputError
		if !errors.As(err, &ie) || ie.Field != field {
			t.Errorf("%s: error %v", field, err)
		}
	}
}
