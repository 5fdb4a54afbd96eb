package judge

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// TestClassifyMatchesR replays R's wilcox.test reference table
// (wilcoxon/testdata/wilcox_r.json, x = canary, y = baseline) through
// Classify: the estimate and interval the judge reports, and so the
// classification it derives from them, are R's numbers.
func TestClassifyMatchesR(t *testing.T) {
	data, err := os.ReadFile("wilcoxon/testdata/wilcox_r.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Name      string    `json:"name"`
		X         []float64 `json:"x"`
		Y         []float64 `json:"y"`
		ConfLevel float64   `json:"confLevel"`
		Estimate  []number  `json:"estimate"`
		ConfInt   []number  `json:"confInt"`
	}
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		in := DefaultInput()
		in.Control, in.Experiment, in.Confidence = c.Y, c.X, c.ConfLevel
		res, err := Classify(in)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		want := []float64{float64(c.Estimate[0]), float64(c.ConfInt[0]), float64(c.ConfInt[1])}
		got := []float64{res.Estimate, res.CI[0], res.CI[1]}
		for i := range want {
			if math.Abs(got[i]-want[i]) > 1e-9*math.Max(1, math.Abs(want[i])) {
				t.Errorf("%s: estimate, lower, upper = %v; R says %v", c.Name, got, want)
				break
			}
		}
		band := in.Tolerance * math.Abs(want[0])
		wantClass := Pass
		switch {
		case want[1] > band && res.EffectSize >= 1:
			wantClass = High
		case want[2] < -band && res.EffectSize <= 1:
			wantClass = Low
		}
		if res.Classification != wantClass {
			t.Errorf("%s: %s, but R's interval [%v, %v] with band ±%v and mean ratio %v means %s", c.Name, res.Classification, want[1], want[2], band, res.EffectSize, wantClass)
		}
	}
}
