package analysis

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// samplesServer serves {"values": <v>} at /control and /experiment, as two
// separate HTTP servers on 127.0.0.1 (a baseline and a canary source).
func samplesServer(t *testing.T, control, experiment any) (controlURL, experimentURL string) {
	t.Helper()
	serve := func(v any) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"values": v})
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	return serve(control), serve(experiment)
}

const judgeTemplate = `
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: judge-test}
spec:
  args:
    - name: control
    - name: experiment
    - name: confidence
      value: "0.95"
  metrics:
    - name: latency-vs-baseline
      count: 1
      consecutiveErrorLimit: 0
%s
      provider:
        judge:
          direction: increase
          confidence: "{{args.confidence}}"
          tolerance: 0.25
          effectSize: {measure: meanRatio, thresholds: [0.8, 1.2]}
          control:
            web: {url: "{{args.control}}", jsonPath: "{$.values}"}
          experiment:
            web: {url: "{{args.experiment}}", jsonPath: "{$.values}"}
`

func runJudge(t *testing.T, extra string, control, experiment any) (*Result, error) {
	t.Helper()
	ts, err := Parse([]byte(strings.Replace(judgeTemplate, "%s", extra, 1)), "judge.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(nil, nil, ts...); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	c, e := samplesServer(t, control, experiment)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return Run(ctx, ts[0], Options{Args: map[string]string{"control": c, "experiment": e}, ErrorRetryInterval: 10 * time.Millisecond})
}

func lastMeasurement(t *testing.T, res *Result) Measurement {
	t.Helper()
	if len(res.Metrics) != 1 || len(res.Metrics[0].Measurements) == 0 {
		t.Fatalf("no measurement: %+v", res)
	}
	ms := res.Metrics[0].Measurements
	return ms[len(ms)-1]
}

func spread(center float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = center + float64(i%7) - 3 + 0.1*float64(i)
	}
	return out
}

func TestJudgeProviderHigherCanaryFails(t *testing.T) {
	res, err := runJudge(t, "", spread(100, 20), spread(200, 20))
	if err != nil {
		t.Fatal(err)
	}
	m := lastMeasurement(t, res)
	if res.Phase != PhaseFailed || m.Phase != PhaseFailed || m.Value != "High" {
		t.Fatalf("run %s, measurement %s value %q (%s); want Failed / High", res.Phase, m.Phase, m.Value, m.Message)
	}
	if !strings.Contains(m.Message, "High") {
		t.Errorf("message should be the judge's reason, got %q", m.Message)
	}
	for _, k := range []string{"estimate", "ci", "deviation", "pValue"} {
		if m.Metadata[k] == "" || m.Metadata[k] == "NaN" {
			t.Errorf("metadata %s = %q", k, m.Metadata[k])
		}
	}
	if !strings.HasPrefix(m.Metadata["experimentValue"], "[") {
		t.Errorf("experimentValue: %q", m.Metadata["experimentValue"])
	}
	if m.Metadata["controlSamples"] != "20" || m.Metadata["experimentSamples"] != "20" {
		t.Errorf("sample counts: %v", m.Metadata)
	}
}

func TestJudgeProviderSameDistributionPasses(t *testing.T) {
	res, err := runJudge(t, "", spread(100, 20), spread(100, 20))
	if err != nil {
		t.Fatal(err)
	}
	m := lastMeasurement(t, res)
	if res.Phase != PhaseSuccessful || m.Value != "Pass" {
		t.Fatalf("run %s, measurement %s %q (%s); want Successful / Pass", res.Phase, m.Phase, m.Value, m.Message)
	}
}

func TestJudgeProviderLowerCanaryPassesWithDirectionIncrease(t *testing.T) {
	res, err := runJudge(t, "", spread(200, 20), spread(100, 20))
	if err != nil {
		t.Fatal(err)
	}
	if m := lastMeasurement(t, res); res.Phase != PhaseSuccessful || m.Value != "Pass" {
		t.Fatalf("run %s, value %q (%s)", res.Phase, m.Value, m.Message)
	}
}

func TestJudgeProviderEmptyExperimentIsInconclusive(t *testing.T) {
	res, err := runJudge(t, "", spread(100, 20), []float64{})
	if err != nil {
		t.Fatal(err)
	}
	m := lastMeasurement(t, res)
	if res.Phase != PhaseInconclusive || m.Phase != PhaseInconclusive || m.Value != "Nodata" {
		t.Fatalf("run %s, measurement %s %q (%s); want Inconclusive / Nodata", res.Phase, m.Phase, m.Value, m.Message)
	}
}

func TestJudgeProviderNoDataPolicyApplies(t *testing.T) {
	res, err := runJudge(t, "      noData: fail", spread(100, 20), []float64{})
	if err != nil {
		t.Fatal(err)
	}
	if m := lastMeasurement(t, res); res.Phase != PhaseFailed || m.Value != "Nodata" {
		t.Fatalf("run %s, measurement %s %q (%s); want Failed by noData: fail", res.Phase, m.Phase, m.Value, m.Message)
	}
}

func TestJudgeProviderNonNumericResultIsError(t *testing.T) {
	res, err := runJudge(t, "", spread(100, 20), map[string]any{"p99": "fast"})
	if err != nil {
		t.Fatal(err)
	}
	m := lastMeasurement(t, res)
	if res.Phase != PhaseError || m.Phase != PhaseError {
		t.Fatalf("run %s, measurement %s (%s); want Error", res.Phase, m.Phase, m.Message)
	}
	for _, want := range []string{"experiment (web)", "an object", "number or a list of numbers"} {
		if !strings.Contains(m.Message, want) {
			t.Errorf("message %q lacks %q", m.Message, want)
		}
	}
}

func TestJudgeProviderConditionsSeeTheClassification(t *testing.T) {
	// With a condition, the condition decides: "High" fails, and a Pass
	// result that the condition rejects fails too.
	res, err := runJudge(t, `      successCondition: result == "Pass"`, spread(100, 20), spread(200, 20))
	if err != nil {
		t.Fatal(err)
	}
	if m := lastMeasurement(t, res); res.Phase != PhaseFailed || m.Value != "High" {
		t.Fatalf("run %s, value %q", res.Phase, m.Value)
	}
	res, err = runJudge(t, `      failureCondition: result == "Pass"`, spread(100, 20), spread(100, 20))
	if err != nil {
		t.Fatal(err)
	}
	if res.Phase != PhaseFailed {
		t.Fatalf("a failureCondition matching Pass must fail, got %s", res.Phase)
	}
	res, err = runJudge(t, `      successCondition: result in ["Pass", "Low"]`, spread(200, 20), spread(100, 20))
	if err != nil {
		t.Fatal(err)
	}
	if res.Phase != PhaseSuccessful {
		t.Fatalf("got %s", res.Phase)
	}
}

// TestJudgeProviderContractExample is the judge contract's example, read
// through two web providers.
func TestJudgeProviderContractExample(t *testing.T) {
	c, e := samplesServer(t, []float64{1, 2, 3, 4}, []float64{10, 20, 30, 40})
	var cfg yaml.Node
	src := `
confidence: 0.95
control: {web: {url: "` + c + `", jsonPath: "{$.values[*]}"}}
experiment: {web: {url: "` + e + `", jsonPath: "{$.values}"}}
`
	if err := yaml.Unmarshal([]byte(src), &cfg); err != nil {
		t.Fatal(err)
	}
	m := Metric{Name: "contract", Provider: NewProviderSpec("judge", cfg.Content[0])}
	p, err := DefaultRegistry().New(m)
	if err != nil {
		t.Fatal(err)
	}
	obs, err := p.Measure(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if obs.Result != "High" || obs.Phase != PhaseFailed {
		t.Fatalf("result %v phase %s (%s); want High / Failed", obs.Result, obs.Phase, obs.Message)
	}
	want := map[string]string{"estimate": "22.5", "ci": "[6,39]", "deviation": "10", "pValue": "0.02857142857142857", "method": "exact"}
	for k, v := range want {
		if obs.Metadata[k] != v {
			t.Errorf("metadata %s = %q, want %q", k, obs.Metadata[k], v)
		}
	}
}

func TestJudgeProviderConfigErrors(t *testing.T) {
	web := `{web: {url: "http://127.0.0.1:1/x"}}`
	cases := []struct {
		name, cfg string
		want      []string
	}{
		{"unknown field", `{confidenceLevel: 0.9, control: ` + web + `, experiment: ` + web + `}`, []string{`unknown field "confidenceLevel"`, "confidence"}},
		{"unknown nested field", `{effectSize: {measure: meanRatio, threshold: [1, 2]}, control: ` + web + `, experiment: ` + web + `}`, []string{`unknown field "effectSize.threshold"`}},
		{"nested judge", `{control: ` + web + `, experiment: {judge: {control: ` + web + `, experiment: ` + web + `}}}`, []string{"experiment: provider judge cannot"}},
		{"job side", `{control: {job: {spec: {}}}, experiment: ` + web + `}`, []string{"control: provider job cannot"}},
		{"missing control", `{experiment: ` + web + `}`, []string{"control is required"}},
		{"two providers", `{control: {web: {url: "http://127.0.0.1:1"}, prometheus: {address: "http://127.0.0.1:1", query: up}}, experiment: ` + web + `}`, []string{"control must be exactly one provider"}},
		{"bad sub-provider", `{control: {web: {}}, experiment: ` + web + `}`, []string{"control.web: url is required"}},
		{"unknown sub-provider", `{control: {datadog: {query: x}}, experiment: ` + web + `}`, []string{"control: provider datadog is not supported", "prometheus", "web"}},
		{"bad confidence", `{confidence: 2, control: ` + web + `, experiment: ` + web + `}`, []string{"confidence"}},
		{"bad direction", `{direction: up, control: ` + web + `, experiment: ` + web + `}`, []string{"direction", `"up"`}},
		{"quoted non-number", `{tolerance: "wide", control: ` + web + `, experiment: ` + web + `}`, []string{"tolerance", `"wide"`}},
		{"wrong type", `{classifier: [a], control: ` + web + `, experiment: ` + web + `}`, []string{"classifier: expected a string, got array"}},
		{"wrong bool", `{critical: 3, control: ` + web + `, experiment: ` + web + `}`, []string{"critical: expected true or false, got number"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tmpl := `
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: bad}
spec:
  metrics:
    - name: m
      count: 1
      provider:
        judge: ` + tc.cfg + "\n"
			ts, err := Parse([]byte(tmpl), "bad.yaml")
			if err != nil {
				t.Fatal(err)
			}
			res, err := Run(context.Background(), ts[0], Options{})
			if err == nil {
				t.Fatalf("run started: %+v", res)
			}
			if res.Phase != PhaseError {
				t.Errorf("phase %s", res.Phase)
			}
			for _, w := range append([]string{`metric "m": provider judge`}, tc.want...) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if verr := Validate(nil, nil, ts...); verr == nil || !strings.Contains(verr.Error(), "spec.metrics[0].provider.judge") {
				t.Errorf("Validate: %v", verr)
			}
		})
	}
}

func TestJudgeSamples(t *testing.T) {
	got, err := judgeSamples([]any{1.5, "2", nil, "NaN", json.Number("4")})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 || got[0] != 1.5 || got[1] != 2 || !math.IsNaN(got[2]) || !math.IsNaN(got[3]) || got[4] != 4 {
		t.Fatalf("got %v", got)
	}
	if got, err := judgeSamples(" 3.5 "); err != nil || len(got) != 1 || got[0] != 3.5 {
		t.Fatalf("numeric string: %v %v", got, err)
	}
	if got, err := judgeSamples([]float64{1, 2}); err != nil || len(got) != 2 {
		t.Fatalf("[]float64: %v %v", got, err)
	}
	for _, bad := range []any{true, "fast", map[string]any{"a": 1}, []any{1.0, []any{2.0}}, []any{"x"}} {
		if _, err := judgeSamples(bad); err == nil {
			t.Errorf("%v: want an error", bad)
		}
	}
	_, err = judgeSamples([]any{1.0, []any{1712000000.0, "3"}})
	if err == nil || !strings.Contains(err.Error(), "element 1") || !strings.Contains(err.Error(), "a list") {
		t.Errorf("nested list: %v", err)
	}
}

func TestJudgeProviderCustomRegistry(t *testing.T) {
	reg := scriptRegistry()
	reg.Register("judge", NewJudgeFactory(reg))
	var cfg yaml.Node
	if err := yaml.Unmarshal([]byte(`{direction: increase, control: {script: {steps: ["1"]}}, experiment: {script: {steps: ["empty"]}}}`), &cfg); err != nil {
		t.Fatal(err)
	}
	p, err := reg.New(Metric{Name: "m", Provider: NewProviderSpec("judge", cfg.Content[0])})
	if err != nil {
		t.Fatal(err)
	}
	obs, err := p.Measure(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if obs.Result != "Nodata" || obs.Phase != PhaseInconclusive || !obs.Empty {
		t.Fatalf("got %+v", obs)
	}
}

// TestJudgeProviderReadsBothSidesConcurrently: each server answers only once
// both requests have arrived, so a sequential reading would time out.
func TestJudgeProviderReadsBothSidesConcurrently(t *testing.T) {
	var arrived sync.WaitGroup
	arrived.Add(2)
	both := make(chan struct{})
	go func() { arrived.Wait(); close(both) }()
	serve := func(v []float64) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			arrived.Done()
			select {
			case <-both:
			case <-time.After(3 * time.Second):
				http.Error(w, "the other side was not requested concurrently", http.StatusGatewayTimeout)
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"values": v})
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	c, e := serve([]float64{1, 2, 3, 4}), serve([]float64{10, 20, 30, 40})
	var cfg yaml.Node
	if err := yaml.Unmarshal([]byte(`{control: {web: {url: "`+c+`", jsonPath: "{$.values}"}}, experiment: {web: {url: "`+e+`", jsonPath: "{$.values}"}}}`), &cfg); err != nil {
		t.Fatal(err)
	}
	p, err := DefaultRegistry().New(Metric{Name: "m", Provider: NewProviderSpec("judge", cfg.Content[0])})
	if err != nil {
		t.Fatal(err)
	}
	obs, err := p.Measure(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if obs.Result == nil {
		t.Fatalf("no result: %+v", obs)
	}
}

func TestJudgeProviderSideFailureIsError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	_, e := samplesServer(t, nil, []float64{1, 2})
	var cfg yaml.Node
	if err := yaml.Unmarshal([]byte(`{control: {web: {url: "`+srv.URL+`"}}, experiment: {web: {url: "`+e+`", jsonPath: "{$.values}"}}}`), &cfg); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	p, err := DefaultRegistry().New(Metric{Name: "m", Provider: NewProviderSpec("judge", cfg.Content[0])})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Measure(context.Background())
	if err == nil || !strings.HasPrefix(err.Error(), "control (web): ") {
		t.Fatalf("want an error naming the control side, got %v", err)
	}
}
