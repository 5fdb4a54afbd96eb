package judge

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

func metric(c Classification, groups ...string) MetricResult {
	return MetricResult{Classification: c, Groups: groups}
}

func TestScore(t *testing.T) {
	critical := func(m MetricResult) MetricResult { m.Critical = true; return m }
	muted := func(m MetricResult) MetricResult { m.Muted = true; return m }
	for _, c := range []struct {
		name        string
		in          ScoreInput
		wantScore   float64
		wantGroups  map[string]float64
		wantVerdict Verdict
		reason      string
	}{
		{
			name:        "all pass",
			in:          ScoreInput{MetricResults: []MetricResult{metric(Pass, "a"), metric(Pass, "b")}},
			wantScore:   100,
			wantGroups:  map[string]float64{"a": 100, "b": 100},
			wantVerdict: VerdictPass,
		},
		{
			name: "weights given and shared",
			// a has 60; b and c share the remaining 40.
			in: ScoreInput{
				GroupWeights:  map[string]float64{"a": 60},
				MetricResults: []MetricResult{metric(High, "a"), metric(Pass, "b"), metric(Pass, "c"), metric(Low, "c")},
			},
			wantScore:   30, // 0*0.6 + 100*0.2 + 50*0.2
			wantGroups:  map[string]float64{"a": 0, "b": 100, "c": 50},
			wantVerdict: VerdictFail,
		},
		{
			name: "a weight for an absent group is lost, as in Kayenta",
			in: ScoreInput{
				GroupWeights:  map[string]float64{"a": 50, "gone": 50},
				MetricResults: []MetricResult{metric(Pass, "a")},
			},
			wantScore:   50,
			wantGroups:  map[string]float64{"a": 100},
			wantVerdict: VerdictFail,
		},
		{
			name:        "Nodata and Error metrics are left out of the group",
			in:          ScoreInput{MetricResults: []MetricResult{metric(Pass, "a"), metric(Nodata, "a"), metric(Error, "a"), metric(High, "b"), metric(Pass, "b")}},
			wantScore:   75,
			wantGroups:  map[string]float64{"a": 100, "b": 50},
			wantVerdict: VerdictMarginal,
		},
		{
			name:        "a group without judged metrics counts as passing",
			in:          ScoreInput{MetricResults: []MetricResult{metric(Error, "a"), metric(Pass, "b"), metric(Pass, "b"), metric(Pass, "b")}},
			wantScore:   100,
			wantGroups:  map[string]float64{"a": 0, "b": 100},
			wantVerdict: VerdictPass,
		},
		{
			name:        "NodataFailMetric counts as a failure",
			in:          ScoreInput{MetricResults: []MetricResult{metric(Pass, "a"), metric(NodataFailMetric, "a")}},
			wantScore:   50,
			wantGroups:  map[string]float64{"a": 50},
			wantVerdict: VerdictFail,
		},
		{
			name:        "a critical failure forces 0",
			in:          ScoreInput{MetricResults: []MetricResult{metric(Pass, "a"), critical(metric(High, "b")), metric(Pass, "b")}},
			wantScore:   0,
			wantGroups:  map[string]float64{"a": 100, "b": 50},
			wantVerdict: VerdictFail,
			reason:      "critical",
		},
		{
			name:        "a critical metric that passed does nothing",
			in:          ScoreInput{MetricResults: []MetricResult{critical(metric(Pass, "a"))}},
			wantScore:   100,
			wantGroups:  map[string]float64{"a": 100},
			wantVerdict: VerdictPass,
		},
		{
			name:        "half the metrics Nodata forces 0",
			in:          ScoreInput{MetricResults: []MetricResult{metric(Pass, "a"), metric(Nodata, "a")}},
			wantScore:   0,
			wantGroups:  map[string]float64{"a": 100},
			wantVerdict: VerdictFail,
			reason:      "Nodata",
		},
		{
			name:        "under half Nodata is fine",
			in:          ScoreInput{MetricResults: []MetricResult{metric(Pass, "a"), metric(Pass, "a"), metric(Nodata, "a")}},
			wantScore:   100,
			wantGroups:  map[string]float64{"a": 100},
			wantVerdict: VerdictPass,
		},
		{
			name:        "muted metrics do not count, even critical ones",
			in:          ScoreInput{MetricResults: []MetricResult{metric(Pass, "a"), muted(critical(metric(High, "a"))), muted(metric(High, "b"))}},
			wantScore:   100,
			wantGroups:  map[string]float64{"a": 100},
			wantVerdict: VerdictPass,
		},
		{
			name: "rounded half up to two decimals",
			// three groups sharing 33.333…% each: 100/3 + 100/3 + 0 = 66.666…
			in:          ScoreInput{MetricResults: []MetricResult{metric(Pass, "a"), metric(Pass, "b"), metric(High, "c")}},
			wantScore:   66.67,
			wantGroups:  map[string]float64{"a": 100, "b": 100, "c": 0},
			wantVerdict: VerdictFail,
		},
		{
			name: "custom thresholds",
			in: ScoreInput{
				MetricResults:   []MetricResult{metric(Pass, "a"), metric(High, "a")},
				ScoreThresholds: ScoreThresholds{Marginal: 40, Pass: 50},
			},
			wantScore:   50,
			wantGroups:  map[string]float64{"a": 50},
			wantVerdict: VerdictPass,
		},
		{
			name:        "no metrics",
			in:          ScoreInput{},
			wantScore:   0,
			wantGroups:  map[string]float64{},
			wantVerdict: VerdictFail,
		},
		{
			name:        "a metric in two groups counts in both",
			in:          ScoreInput{MetricResults: []MetricResult{metric(High, "a", "b"), metric(Pass, "b")}},
			wantScore:   25,
			wantGroups:  map[string]float64{"a": 0, "b": 50},
			wantVerdict: VerdictFail,
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Score(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if got.Score != c.wantScore || got.Verdict != c.wantVerdict || !reflect.DeepEqual(got.Groups, c.wantGroups) {
				t.Errorf("got score %v verdict %s groups %v; want %v %s %v (%s)", got.Score, got.Verdict, got.Groups, c.wantScore, c.wantVerdict, c.wantGroups, got.Reason)
			}
			if !strings.Contains(got.Reason, c.reason) {
				t.Errorf("reason %q does not mention %q", got.Reason, c.reason)
			}
		})
	}
}

func TestScoreValidation(t *testing.T) {
	for _, c := range []struct {
		field string
		in    ScoreInput
	}{
		{"groupWeights.a", ScoreInput{GroupWeights: map[string]float64{"a": -1}}},
		{"groupWeights", ScoreInput{GroupWeights: map[string]float64{"a": 80, "b": 30}, MetricResults: []MetricResult{metric(Pass, "c")}}},
		{"scoreThresholds.pass", ScoreInput{ScoreThresholds: ScoreThresholds{Marginal: 50, Pass: 120}}},
		{"scoreThresholds.marginal", ScoreInput{ScoreThresholds: ScoreThresholds{Marginal: -1, Pass: 80}}},
		{"scoreThresholds.pass", ScoreInput{ScoreThresholds: ScoreThresholds{Marginal: 50, Pass: math.NaN()}}},
		{"metricResults[0].classification", ScoreInput{MetricResults: []MetricResult{metric("Good", "a")}}},
	} {
		got, err := Score(c.in)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Field != c.field {
			t.Errorf("%s: error %v, want an InputError for %s", c.field, err, c.field)
		}
		if got.Verdict != VerdictFail {
			t.Errorf("%s: invalid input must fail, got %s", c.field, got.Verdict)
		}
	}
}

func TestParseScoreInput(t *testing.T) {
	in, err := ParseScoreInput([]byte(`{"metricResults":[{"classification":"High","groups":["g"],"estimate":"NaN","ci":[1,2]}]}`))
	if err != nil {
		t.Fatalf("judge outputs with extra fields must be accepted: %v", err)
	}
	if in.ScoreThresholds != DefaultScoreThresholds {
		t.Errorf("thresholds = %+v, want the defaults", in.ScoreThresholds)
	}
	for _, bad := range []struct{ json, mention string }{
		{`{"groupWeight":{}}`, "groupWeight"},
		{`{"metricResults":[{"classification":"Fine"}]}`, "Fine"},
		{`{"metricResults":[{"groups":"g"}]}`, "metricResults[0]"},
		{`{"scoreThresholds":{"marginal":96}}`, "scoreThresholds"},
		{`{} {}`, "exactly one object"},
	} {
		_, err := ParseScoreInput([]byte(bad.json))
		if err == nil || !strings.Contains(err.Error(), bad.mention) {
			t.Errorf("%s: error %v, want one mentioning %q", bad.json, err, bad.mention)
		}
	}
}

func TestRoundHalfUp2(t *testing.T) {
	for in, want := range map[float64]float64{
		74.995:   75, // binary 74.99499999… but Kayenta rounds the decimal form
		66.66666: 66.67,
		12.344:   12.34,
		0.125:    0.13,
		99.999:   100,
		50:       50,
		-1.005:   -1.01,
		1e-20:    0,
	} {
		if got := roundHalfUp2(in); got != want {
			t.Errorf("roundHalfUp2(%v) = %v, want %v", in, got, want)
		}
	}
}

// TestScoreThresholdsAsKayenta: Kayenta's ThresholdScoreClassifier compares
// the score with pass, then with marginal, whatever their order; explicit
// thresholds are used as given, zeros included.
func TestScoreThresholdsAsKayenta(t *testing.T) {
	half := []MetricResult{metric(Pass, "a"), metric(High, "a")} // scores 50
	for _, c := range []struct {
		name, json string
		want       Verdict
	}{
		{"marginal above pass: no marginal band, 50 >= 40 passes", `{"marginal":90,"pass":40}`, VerdictPass},
		{"marginal above pass: below pass fails", `{"marginal":70,"pass":60}`, VerdictFail},
		{"ordered: marginal", `{"marginal":40,"pass":60}`, VerdictMarginal},
		{"explicit zeros pass every canary", `{"marginal":0,"pass":0}`, VerdictPass},
		{"defaults when absent", ``, VerdictFail},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := `{"metricResults":[{"classification":"Pass","groups":["a"]},{"classification":"High","groups":["a"]}]`
			if c.json != "" {
				req += `,"scoreThresholds":` + c.json
			}
			in, err := ParseScoreInput([]byte(req + "}"))
			if err != nil {
				t.Fatalf("Kayenta accepts these thresholds; refused: %v", err)
			}
			got, err := Score(in)
			if err != nil || got.Score != 50 || got.Verdict != c.want {
				t.Fatalf("score %v verdict %s (%v), want 50 %s", got.Score, got.Verdict, err, c.want)
			}
		})
	}
	// The Go API keeps its zero value meaning the defaults.
	if got, _ := Score(ScoreInput{MetricResults: half}); got.Verdict != VerdictFail {
		t.Errorf("zero ScoreThresholds: %s, want the defaults' fail", got.Verdict)
	}
	for _, bad := range []string{`{"pass":90}`, `{"marginal":75}`, `{}`} {
		if _, err := ParseScoreInput([]byte(`{"scoreThresholds":` + bad + `}`)); err == nil || !strings.Contains(err.Error(), "both marginal and pass") {
			t.Errorf("%s: error %v, want one asking for both thresholds", bad, err)
		}
	}
}
