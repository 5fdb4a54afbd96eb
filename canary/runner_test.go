package canary

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/slipway/slipway/analysis"
	"github.com/slipway/slipway/rollout"
	"github.com/slipway/slipway/rollout/webhook"
)

// metricsServer is a real HTTP endpoint the web provider measures; the test
// sets the error rate it reports.
type metricsServer struct {
	URL       string
	errorRate atomic.Value // float64
}

func newMetricsServer(t *testing.T) *metricsServer {
	m := &metricsServer{}
	m.errorRate.Store(0.0)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"errorRate": %v}`, m.errorRate.Load())
	}))
	t.Cleanup(srv.Close)
	m.URL = srv.URL
	return m
}

const templatesYAML = `
- apiVersion: argoproj.io/v1alpha1
  kind: AnalysisTemplate
  metadata: {name: error-rate}
  spec:
    args: [{name: url}, {name: service}]
    metrics:
    - name: error-rate
      interval: 20ms
      successCondition: result < 0.05
      failureCondition: result >= 0.5
      provider: {web: {url: "{{args.url}}?svc={{args.service}}", jsonPath: "{$.errorRate}"}}
- apiVersion: argoproj.io/v1alpha1
  kind: AnalysisTemplate
  metadata: {name: smoke}
  spec:
    args: [{name: url}]
    metrics:
    - name: smoke
      interval: 10ms
      count: 2
      successCondition: result < 0.05
      failureCondition: result >= 0.5
      provider: {web: {url: "{{args.url}}", jsonPath: "{$.errorRate}"}}
`

// harness wires a runner to a real webhook runtime over 127.0.0.1 and records
// the runner's events and the runtime's calls on one timeline.
type harness struct {
	t       *testing.T
	runtime *webhook.MemoryRuntime
	metrics *metricsServer
	mu      sync.Mutex
	log     []string
	events  []Event
}

var target = rollout.Target{Service: "api", CanaryDigest: "sha256:" + strings.Repeat("c", 64), StableDigest: "sha256:" + strings.Repeat("5", 64)}

func newHarness(t *testing.T) *harness {
	h := &harness{t: t, runtime: webhook.NewMemoryRuntime(), metrics: newMetricsServer(t)}
	h.runtime.OnCall = func(c webhook.Call) { h.add(fmt.Sprintf("runtime %s", c.Op)) }
	return h
}

func (h *harness) add(s string) { h.mu.Lock(); h.log = append(h.log, s); h.mu.Unlock() }

func (h *harness) timeline() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(h.log, "\n")
}

func (h *harness) runner(stepsYAML string) *Runner {
	h.t.Helper()
	var spec Spec
	if err := yaml.Unmarshal([]byte(stepsYAML+"\ntemplates:"+indent(templatesYAML)), &spec); err != nil {
		h.t.Fatal(err)
	}
	lib, err := LoadTemplates(spec, "")
	if err != nil {
		h.t.Fatal(err)
	}
	srv := httptest.NewServer(webhook.Handler(h.runtime))
	h.t.Cleanup(srv.Close)
	drv, err := webhook.New(srv.URL, target)
	if err != nil {
		h.t.Fatal(err)
	}
	return &Runner{
		Spec: spec, Library: lib, Driver: drv, Target: target,
		Args:     map[string]string{"url": h.metrics.URL},
		Analysis: analysis.Options{ErrorRetryInterval: 10 * time.Millisecond},
		OnEvent: func(e Event) {
			h.mu.Lock()
			h.events = append(h.events, e)
			h.mu.Unlock()
			h.add(e.String())
		},
	}
}

func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n  ") }

func runCanary(t *testing.T, r *Runner) Outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := r.Run(ctx)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return out
}

func ops(rt *webhook.MemoryRuntime) string {
	var out []string
	for _, c := range rt.Calls() {
		s := c.Op
		if c.Request.Weight != nil {
			s += fmt.Sprint(" ", *c.Request.Weight)
		}
		out = append(out, s)
	}
	return strings.Join(out, ", ")
}

func TestHealthyCanaryPromotes(t *testing.T) {
	h := newHarness(t)
	r := h.runner(`
steps:
- setWeight: 20
- pause: {duration: 50ms}
- analysis: {templates: [{templateName: smoke}]}
- setWeight: 50
- pause: {duration: 50ms}
analysis: {templates: [{templateName: error-rate}], startingStep: 1}`)
	out := runCanary(t, r)
	if out.Result != Promoted || out.Weight != 100 || out.Step != 5 {
		t.Fatalf("outcome %+v\n%s", out, h.timeline())
	}
	if got := ops(h.runtime); got != "set-weight 20, set-weight 50, promote" {
		t.Fatalf("runtime calls: %s", got)
	}
	if len(out.Analyses) != 2 || out.Analyses[0].Name != "background" || out.Analyses[1].Phase != analysis.PhaseSuccessful {
		t.Fatalf("analyses: %+v", out.Analyses)
	}
	if out.Analyses[0].Phase != analysis.PhaseTerminated {
		t.Fatalf("background analysis stopped by the end of the steps is %s, want Terminated", out.Analyses[0].Phase)
	}
	if !strings.Contains(h.timeline(), "measurement step-2/smoke #2 Successful 0") {
		t.Fatalf("timeline lacks the smoke measurements:\n%s", h.timeline())
	}
}

// TestFailingBackgroundAnalysisAbortsDuringPause: the canary sits in a
// one-hour pause when its error rate rises; the abort must not wait for the
// pause, and everything is reported before the driver acts.
func TestFailingBackgroundAnalysisAbortsDuringPause(t *testing.T) {
	h := newHarness(t)
	r := h.runner(`
steps:
- setWeight: 10
- pause: {duration: 1h}
analysis: {templates: [{templateName: error-rate}]}`)
	r.OnEvent = chain(r.OnEvent, func(e Event) {
		if e.Kind == EventWeightSet {
			h.metrics.errorRate.Store(0.9) // the canary starts failing once it takes traffic
		}
	})
	out := runCanary(t, r)
	if out.Result != Aborted || out.Weight != 0 || !strings.Contains(out.Reason, "background analysis Failed") {
		t.Fatalf("outcome %+v\n%s", out, h.timeline())
	}
	if got := ops(h.runtime); got != "set-weight 10, abort" {
		t.Fatalf("runtime calls: %s", got)
	}
	tl := h.timeline()
	order := []string{"Failed 0.9", "analysis background -> Failed", "aborting: background analysis Failed", "runtime abort", "aborted"}
	last := -1
	for _, want := range order {
		i := strings.Index(tl, want)
		if i < 0 {
			// "analysis background -> Failed" is printed as "analysis background Running -> Failed"
			i = strings.Index(tl, strings.Replace(want, "background ->", "background Running ->", 1))
		}
		if i <= last {
			t.Fatalf("%q missing or out of order in:\n%s", want, tl)
		}
		last = i
	}
}

func chain(a, b func(Event)) func(Event) { return func(e Event) { a(e); b(e) } }

func TestFailingInlineAnalysisAborts(t *testing.T) {
	h := newHarness(t)
	h.metrics.errorRate.Store(0.7)
	out := runCanary(t, h.runner(`
steps:
- setWeight: 30
- analysis: {templates: [{templateName: smoke}]}
- setWeight: 60`))
	if out.Result != Aborted || out.Step != 1 || !strings.Contains(out.Reason, "analysis step-1 Failed") {
		t.Fatalf("outcome %+v\n%s", out, h.timeline())
	}
	if got := ops(h.runtime); got != "set-weight 30, abort" {
		t.Fatalf("runtime calls: %s", got)
	}
}

func TestInconclusivePausesForADecision(t *testing.T) {
	steps := `
steps:
- setWeight: 30
- analysis: {templates: [{templateName: smoke}]}
- setWeight: 60`
	t.Run("no decisions channel: Paused", func(t *testing.T) {
		h := newHarness(t)
		h.metrics.errorRate.Store(0.2) // neither success nor failure
		out := runCanary(t, h.runner(steps))
		if out.Result != Paused || out.Step != 1 || out.Weight != 30 {
			t.Fatalf("outcome %+v", out)
		}
		if got := ops(h.runtime); got != "set-weight 30" {
			t.Fatalf("an inconclusive analysis must neither abort nor promote: %s", got)
		}
	})
	for action, want := range map[Action]string{Resume: "set-weight 30, set-weight 60, promote", Abort: "set-weight 30, abort", Promote: "set-weight 30, promote"} {
		t.Run(string(action), func(t *testing.T) {
			h := newHarness(t)
			h.metrics.errorRate.Store(0.2)
			r := h.runner(steps)
			decisions := make(chan Decision, 1)
			r.Decisions = decisions
			r.OnEvent = chain(r.OnEvent, func(e Event) {
				if e.Kind == EventPaused {
					decisions <- Decision{Action: action, Reason: "looked at the dashboards"}
				}
			})
			runCanary(t, r)
			if got := ops(h.runtime); got != want {
				t.Fatalf("runtime calls %q, want %q\n%s", got, want, h.timeline())
			}
		})
	}
}

func TestIndefinitePause(t *testing.T) {
	steps := `
steps:
- setWeight: 10
- pause: {}
- setWeight: 100`
	h := newHarness(t)
	out := runCanary(t, h.runner(steps))
	if out.Result != Paused || out.Step != 1 {
		t.Fatalf("without decisions: %+v", out)
	}
	// Resume from where it stopped, as the engine does after a Paused outcome.
	h2 := newHarness(t)
	r := h2.runner(steps)
	decisions := make(chan Decision, 1)
	decisions <- Decision{Action: Resume, Reason: "approved"}
	r.Decisions, r.StartStep, r.StartWeight = decisions, 1, 10
	out = runCanary(t, r)
	if out.Result != Promoted || ops(h2.runtime) != "set-weight 100, promote" {
		t.Fatalf("resumed: %+v, calls %s", out, ops(h2.runtime))
	}
}

func TestCancelledContextIsTerminated(t *testing.T) {
	h := newHarness(t)
	r := h.runner(`
steps:
- setWeight: 10
- pause: {duration: 1h}
analysis: {templates: [{templateName: error-rate}]}`)
	ctx, cancel := context.WithCancel(context.Background())
	r.OnEvent = chain(r.OnEvent, func(e Event) {
		if e.Kind == EventPaused {
			cancel()
		}
	})
	out, err := r.Run(ctx)
	if err != nil || out.Result != Terminated {
		t.Fatalf("outcome %+v, %v", out, err)
	}
	if got := ops(h.runtime); got != "set-weight 10" {
		t.Fatalf("a terminated canary neither aborts nor promotes: %s", got)
	}
}

func TestSpecValidation(t *testing.T) {
	var spec Spec
	err := yaml.Unmarshal([]byte(`
steps:
- setWeight: 120
- pause: {duration: soon}
- experiment: {templates: []}
- analysis: {templates: [{templateName: absent}]}
- {setWeight: 5, pause: {}}
analysis: {templates: [{templateName: error-rate}], startingStep: 9, args: [{name: h, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]}
templates:`+indent(templatesYAML)), &spec)
	if err != nil {
		t.Fatal(err)
	}
	lib, err := LoadTemplates(spec, "")
	if err != nil {
		t.Fatal(err)
	}
	err = spec.Validate(lib)
	if err == nil {
		t.Fatal("invalid spec accepted")
	}
	for _, want := range []string{
		"canary.steps[0].setWeight: 120 is not a percentage",
		"canary.steps[1].pause: pause duration \"soon\"",
		"canary.steps[2].experiment: this Argo Rollouts step is not supported",
		"canary.steps[3].analysis.templates: AnalysisTemplate \"absent\" not found",
		"canary.steps[4]: a step has exactly one of",
		"canary.analysis.startingStep: 9 is outside",
		"canary.analysis.args[0].valueFrom.fieldRef",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

func TestPauseDurations(t *testing.T) {
	for in, want := range map[string]time.Duration{"30s": 30 * time.Second, "1h": time.Hour, "45": 45 * time.Second, `"10"`: 10 * time.Second} {
		var p Pause
		if err := yaml.Unmarshal([]byte("duration: "+in), &p); err != nil {
			t.Fatal(err)
		}
		d, ok, err := p.DurationValue()
		if err != nil || !ok || d != want {
			t.Errorf("duration %s = %v %v %v, want %v", in, d, ok, err, want)
		}
	}
}

// TestEventsCarryTheCanaryPosition: every line of the timeline, those the
// analyses report from their own goroutines included, carries the step and
// the weight the canary is at when it is reported (the engine prints
// "step N, W%" from them).
func TestEventsCarryTheCanaryPosition(t *testing.T) {
	h := newHarness(t)
	r := h.runner(`
steps:
- setWeight: 20
- analysis: {templates: [{templateName: smoke}]}
- setWeight: 50
- pause: {duration: 60ms}
analysis: {templates: [{templateName: error-rate}], startingStep: 1}`)
	out := runCanary(t, r)
	if out.Result != Promoted {
		t.Fatalf("outcome %+v\n%s", out, h.timeline())
	}
	h.mu.Lock()
	events := slices.Clone(h.events)
	h.mu.Unlock()
	step, weight := 0, 0
	analysisAt := map[int]int{} // weight -> analysis events seen at it
	for _, e := range events {
		switch e.Kind {
		case EventStepStarted:
			step = e.Step
		case EventWeightSet:
			weight = e.Weight
		case EventMeasurement, EventAnalysisPhase, EventAnalysisStarted:
			analysisAt[e.Weight]++
		}
		if e.Kind == EventPromoted {
			if e.Weight != 100 || e.Step != 4 {
				t.Errorf("promoted at step %d, %d%%; want step 4, 100%%", e.Step, e.Weight)
			}
			continue
		}
		if e.Step != step || e.Weight != weight {
			t.Errorf("%q reported at step %d, %d%%; the canary was at step %d, %d%%", e, e.Step, e.Weight, step, weight)
		}
	}
	// The smoke analysis runs at 20%, the background one on into 50%.
	if analysisAt[20] == 0 || analysisAt[50] == 0 || analysisAt[0] != 0 {
		t.Fatalf("analysis events by weight: %v\n%s", analysisAt, h.timeline())
	}
}

// TestAbortedEventIsAtZero: once the driver has aborted, the canary has no
// traffic; the Aborting line before it still shows the weight it had.
func TestAbortedEventIsAtZero(t *testing.T) {
	h := newHarness(t)
	h.metrics.errorRate.Store(0.7)
	runCanary(t, h.runner(`
steps:
- setWeight: 30
- analysis: {templates: [{templateName: smoke}]}`))
	h.mu.Lock()
	defer h.mu.Unlock()
	var got []string
	for _, e := range h.events {
		if e.Kind == EventMeasurement || e.Kind == EventAborting || e.Kind == EventAborted {
			got = append(got, fmt.Sprintf("%s@%d", e.Kind, e.Weight))
		}
	}
	want := "Measurement@30 Aborting@30 Aborted@0"
	if s := strings.Join(slices.Compact(got), " "); s != want {
		t.Fatalf("events %s, want %s", s, want)
	}
}
