package judge

import (
	"encoding/json"
	"reflect"
	"testing"
)

// The worked examples pinned by shared/contracts/README.md: these values are
// a published interface and must never change.

func TestContractJudgeExample(t *testing.T) {
	in, err := ParseInput([]byte(`{"classifier":"mannWhitney","control":[1,2,3,4],"experiment":[10,20,30,40],
		"direction":"either","confidence":0.95,"tolerance":0.25,"nanStrategy":"remove",
		"critical":false,"effectSize":{"measure":"meanRatio","thresholds":[1,1],"critical":[1,1]}}`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Classify(in)
	if err != nil {
		t.Fatal(err)
	}
	got := asMap(t, res)
	want := map[string]any{
		"classification": "High",
		"critical":       false,
		"estimate":       22.5,
		"ci":             []any{6.0, 39.0},
		"deviation":      10.0,
	}
	for k, v := range want {
		if !reflect.DeepEqual(got[k], v) {
			t.Errorf("%s = %#v, contract says %#v", k, got[k], v)
		}
	}
	if r, ok := got["reason"].(string); !ok || r == "" {
		t.Errorf("reason = %#v, want a non-empty string", got["reason"])
	}
}

func TestContractNonFiniteIsNaNString(t *testing.T) {
	in := DefaultInput()
	in.Control = []float64{0, 0, 0}
	in.Experiment = []float64{}
	res, err := Classify(in)
	if err != nil {
		t.Fatal(err)
	}
	got := asMap(t, res)
	if got["classification"] != "Nodata" || got["estimate"] != "NaN" || !reflect.DeepEqual(got["ci"], []any{"NaN", "NaN"}) {
		t.Errorf("Nodata result = %v; want classification Nodata and NaN written as \"NaN\"", got)
	}
}

func TestContractScoreExample(t *testing.T) {
	in, err := ParseScoreInput([]byte(`{"groupWeights":{},"metricResults":[
		{"classification":"Pass","groups":["latency"],"critical":false},
		{"classification":"High","groups":["latency"],"critical":false},
		{"classification":"Pass","groups":["errors"],"critical":false}]}`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Score(in)
	if err != nil {
		t.Fatal(err)
	}
	got := asMap(t, res)
	if got["score"] != 75.0 || !reflect.DeepEqual(got["groups"], map[string]any{"latency": 50.0, "errors": 100.0}) {
		t.Errorf("score = %v, groups = %v; contract says 75 and {latency:50, errors:100}", got["score"], got["groups"])
	}
	if v := got["verdict"]; v != "pass" && v != "marginal" && v != "fail" {
		t.Errorf("verdict = %v, want pass|marginal|fail", v)
	}
}

func asMap(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
