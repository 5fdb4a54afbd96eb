package analysis

import (
	"testing"
	"time"

	"github.com/prometheus/common/model"
)

func TestRangeQueryResolve(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	r, err := (&PrometheusRange{Start: `now() - duration("5m")`, End: "now()", Step: "1m"}).resolve(now)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Start.Equal(now.Add(-5*time.Minute)) || !r.End.Equal(now) || r.Step != time.Minute {
		t.Fatalf("range = %+v", r)
	}
	for _, bad := range []PrometheusRange{
		{Start: "now(", End: "now()", Step: "1m"},
		{Start: "1", End: "now()", Step: "1m"},
		{Start: "now()", End: "now()", Step: "0s"},
	} {
		if _, err := bad.resolve(now); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestObservePrometheusShapes(t *testing.T) {
	vec := model.Vector{{Value: 0.5}, {Value: 2}}
	mat := model.Matrix{{Values: []model.SamplePair{{Value: 1}, {Value: 2}}}, {Values: []model.SamplePair{{Value: 3}}}}
	tests := []struct {
		name  string
		v     model.Value
		cond  string
		value string
		empty bool
	}{
		{"scalar", &model.Scalar{Value: 0.25}, "result == 0.25", "0.25", false},
		{"vector", vec, "result[1] == 2 && len(result) == 2", "[0.5,2]", false},
		{"empty vector", model.Vector{}, "len(result) == 0", "[]", true},
		{"matrix flattens every sample", mat, "all(result, # < 4) && len(result) == 3", "[1,2,3]", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs, err := observePrometheus(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			if obs.Value != tt.value || obs.Empty != tt.empty {
				t.Fatalf("value %q empty %v", obs.Value, obs.Empty)
			}
			if p, err := EvaluateResult(obs.Result, tt.cond, ""); p != PhaseSuccessful {
				t.Fatalf("%s on %v: %s %v", tt.cond, obs.Result, p, err)
			}
		})
	}
	if _, err := observePrometheus(&model.String{Value: "x"}); err == nil {
		t.Fatal("string results must be rejected")
	}
}
