package analysis

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// scriptProvider is a provider under the test's control, used to test the
// engine's decisions in isolation (the real providers have their own tests
// against real servers and processes). Each metric's `script` config names
// a sequence of steps: a number (the vector [n]), "empty", or "error".
type scriptProvider struct {
	mu    sync.Mutex
	steps []string
	block bool // wait for ctx after the script is exhausted
}

func (p *scriptProvider) Measure(ctx context.Context) (Observation, error) {
	p.mu.Lock()
	if len(p.steps) == 0 {
		p.mu.Unlock()
		if p.block {
			<-ctx.Done()
			return Observation{}, ctx.Err()
		}
		return Observation{Result: []float64{0}, Value: "[0]"}, nil
	}
	s := p.steps[0]
	p.steps = p.steps[1:]
	p.mu.Unlock()
	switch s {
	case "empty":
		return Observation{Result: []float64{}, Value: "[]", Empty: true}, nil
	case "error":
		return Observation{}, errors.New("connection refused")
	}
	var f float64
	fmt.Sscan(s, &f)
	return Observation{Result: []float64{f}, Value: "[" + s + "]"}, nil
}

func scriptRegistry() *Registry {
	r := NewRegistry()
	r.Register("script", func(n *yaml.Node, _ Metric) (Provider, error) {
		var cfg struct {
			Steps []string `yaml:"steps"`
			Block bool     `yaml:"block"`
		}
		if err := decodeStrict(n, &cfg); err != nil {
			return nil, err
		}
		return &scriptProvider{steps: cfg.Steps, block: cfg.Block}, nil
	})
	return r
}

func parseOne(t *testing.T, doc string) *Template {
	t.Helper()
	ts, err := Parse([]byte("apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: t}\n"+doc), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return ts[0]
}

type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) opts() Options {
	return Options{
		Registry:           scriptRegistry(),
		ErrorRetryInterval: 5 * time.Millisecond,
		OnMeasurement: func(e MeasurementEvent) {
			r.add(fmt.Sprintf("measure %s#%d %s %s", e.Measurement.Metric, e.Measurement.Index, e.Measurement.Phase, e.Measurement.Value))
		},
		OnPhase: func(c PhaseChange) {
			who := c.Metric
			if who == "" {
				who = "run"
			}
			r.add(fmt.Sprintf("phase %s %s->%s", who, c.From, c.To))
		},
	}
}

func (r *recorder) add(s string) { r.mu.Lock(); r.events = append(r.events, s); r.mu.Unlock() }
func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.events, "\n")
}

func runTemplate(t *testing.T, doc string, mutate func(*Options)) (*Result, *recorder) {
	t.Helper()
	rec := &recorder{}
	opts := rec.opts()
	if mutate != nil {
		mutate(&opts)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := Run(ctx, parseOne(t, doc), opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res, rec
}

func TestRunPhases(t *testing.T) {
	tests := []struct {
		name string
		spec string
		want Phase
	}{
		{"count reached", `spec: {metrics: [{name: a, interval: 1ms, count: 3, successCondition: "result[0] < 1", provider: {script: {steps: ["0", "0", "0"]}}}]}`, PhaseSuccessful},
		{"single measurement without interval", `spec: {metrics: [{name: a, successCondition: "result[0] < 1", provider: {script: {steps: ["0"]}}}]}`, PhaseSuccessful},
		{"failure beyond failureLimit", `spec: {metrics: [{name: a, interval: 1ms, count: 5, failureLimit: 1, successCondition: "result[0] < 1", provider: {script: {steps: ["0", "5", "0", "5"]}}}]}`, PhaseFailed},
		{"inconclusive", `spec: {metrics: [{name: a, interval: 1ms, count: 2, successCondition: "result[0] < 1", failureCondition: "result[0] > 2", provider: {script: {steps: ["1.5"]}}}]}`, PhaseInconclusive},
		{"consecutive errors", `spec: {metrics: [{name: a, interval: 1ms, consecutiveErrorLimit: 2, provider: {script: {steps: ["error", "error", "error"]}}}]}`, PhaseError},
		{"worst of metrics: failed beats inconclusive", `spec: {metrics: [
			{name: a, interval: 1ms, successCondition: "result[0] < 1", failureCondition: "result[0] > 2", provider: {script: {steps: ["1.5"]}}},
			{name: b, initialDelay: 50ms, successCondition: "result[0] < 1", provider: {script: {steps: ["5"]}}}]}`, PhaseInconclusive},
		{"dry-run failure does not fail the run", `spec: {dryRun: [{metricName: "dry.*"}], metrics: [
			{name: dry-a, successCondition: "result[0] < 1", provider: {script: {steps: ["5"]}}},
			{name: real, interval: 1ms, count: 2, successCondition: "result[0] < 1", provider: {script: {steps: ["0", "0"]}}}]}`, PhaseSuccessful},
		{"empty result with Argo's default is an expression error", `spec: {metrics: [{name: a, interval: 1ms, consecutiveErrorLimit: 0, successCondition: "result[0] < 1", provider: {script: {steps: ["empty"]}}}]}`, PhaseError},
		{"noData: fail", `spec: {metrics: [{name: a, noData: fail, successCondition: "result[0] < 1", provider: {script: {steps: ["empty"]}}}]}`, PhaseFailed},
		{"noData: inconclusive", `spec: {metrics: [{name: a, noData: inconclusive, successCondition: "result[0] < 1", provider: {script: {steps: ["empty"]}}}]}`, PhaseInconclusive},
		{"noData: error", `spec: {metrics: [{name: a, interval: 1ms, noData: error, consecutiveErrorLimit: 0, successCondition: "result[0] < 1", provider: {script: {steps: ["empty"]}}}]}`, PhaseError},
		{"noData: ignore skips empty results", `spec: {metrics: [{name: a, interval: 1ms, count: 2, noData: ignore, successCondition: "result[0] < 1", provider: {script: {steps: ["empty", "0", "empty", "0"]}}}]}`, PhaseSuccessful},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, rec := runTemplate(t, tt.spec, nil)
			if res.Phase != tt.want {
				t.Fatalf("phase = %s (%s), want %s\nevents:\n%s", res.Phase, res.Message, tt.want, rec)
			}
		})
	}
}

func TestNoDataIgnorePersistsButDoesNotCount(t *testing.T) {
	res, _ := runTemplate(t, `spec: {metrics: [{name: a, interval: 1ms, count: 2, noData: ignore, successCondition: "result[0] < 1", provider: {script: {steps: ["empty", "0", "empty", "0"]}}}]}`, nil)
	m := res.Metrics[0]
	if len(m.Measurements) != 4 || m.Count != 2 || m.Measurements[0].Phase != PhaseNoData {
		t.Fatalf("measurements = %+v, count %d; want 4 persisted, 2 counted", m.Measurements, m.Count)
	}
}

// TestFailingMetricStopsTheRunAtOnce checks that a metric crossing its limit
// ends the run without waiting for the other metrics (one has a one-hour
// interval, another is blocked in a measurement), that the measurement is
// reported before the run's phase, and that Done is closed.
func TestFailingMetricStopsTheRunAtOnce(t *testing.T) {
	doc := `spec: {metrics: [
		{name: slow, interval: 1h, successCondition: "result[0] < 1", provider: {script: {steps: ["0"]}}},
		{name: stuck, successCondition: "true", provider: {script: {block: true}}},
		{name: errors, interval: 1ms, count: 10, successCondition: "result[0] < 1", provider: {script: {steps: ["0", "0", "7"]}}}]}`
	res, rec := runTemplate(t, doc, nil)
	if res.Phase != PhaseFailed || !strings.Contains(res.Message, `metric "errors" assessed Failed`) {
		t.Fatalf("phase = %s (%s)", res.Phase, res.Message)
	}
	ev := rec.String()
	iMeasure := strings.Index(ev, "measure errors#3 Failed [7]")
	iRun := strings.Index(ev, "phase run Running->Failed")
	if iMeasure < 0 || iRun < 0 || iMeasure > iRun {
		t.Fatalf("the failing measurement must be reported before the run's phase:\n%s", ev)
	}
	for _, m := range res.Metrics {
		if m.Name == "slow" && m.Phase != PhaseTerminated {
			t.Errorf("slow metric phase = %s, want Terminated (cut short by the failure)", m.Phase)
		}
	}
}

func TestStopFromOutsideIsTerminated(t *testing.T) {
	doc := `spec: {metrics: [{name: a, interval: 5ms, successCondition: "result[0] < 1", provider: {script: {steps: ["0", "0"]}}}]}`
	for _, how := range []string{"terminate", "cancel"} {
		t.Run(how, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			got := make(chan MeasurementEvent, 10)
			opts := Options{Registry: scriptRegistry(), OnMeasurement: func(e MeasurementEvent) { got <- e }}
			r := Start(ctx, parseOne(t, doc), opts)
			<-got // at least one measurement taken
			if how == "terminate" {
				r.Terminate()
			} else {
				cancel()
			}
			res := r.Wait()
			if res.Phase != PhaseTerminated {
				t.Fatalf("phase = %s, want Terminated (Argo would say Successful)", res.Phase)
			}
		})
	}
}

func TestRunCannotStart(t *testing.T) {
	tests := map[string]string{
		"unsupported provider": `spec: {metrics: [{name: a, provider: {datadog: {query: x}}}]}`,
		"missing argument":     `spec: {args: [{name: svc}], metrics: [{name: a, provider: {script: {steps: ["{{args.svc}}"]}}}]}`,
		"bad resolved count":   `spec: {args: [{name: n, value: "many"}], metrics: [{name: a, interval: 1s, count: "{{args.n}}", provider: {script: {}}}]}`,
	}
	for name, doc := range tests {
		t.Run(name, func(t *testing.T) {
			res, err := Run(context.Background(), parseOne(t, doc), Options{Registry: scriptRegistry()})
			if err == nil || res.Phase != PhaseError {
				t.Fatalf("Run = %s, %v; want Error with a reason", res.Phase, err)
			}
			t.Log(err)
		})
	}
}

func TestSecretsAreRedacted(t *testing.T) {
	t.Setenv(DefaultSecretEnv("tok", "k"), "hunter2")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "nope", http.StatusUnauthorized)
	}))
	defer srv.Close()
	doc := fmt.Sprintf(`spec:
  args: [{name: token, valueFrom: {secretKeyRef: {name: tok, key: k}}}]
  metrics: [{name: a, consecutiveErrorLimit: 0, provider: {web: {url: "%s/?t={{args.token}}"}}}]`, srv.URL)
	res, err := Run(context.Background(), parseOne(t, doc), Options{})
	if err != nil {
		t.Fatal(err)
	}
	msg := res.Metrics[0].Measurements[0].Message
	if res.Phase != PhaseError || strings.Contains(msg, "hunter2") || !strings.Contains(msg, "401") {
		t.Fatalf("phase %s message %q: want Error mentioning 401 and no secret", res.Phase, msg)
	}
}
