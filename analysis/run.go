package analysis

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Options configure one analysis run.
type Options struct {
	// Args are argument values by name; they override template defaults.
	Args map[string]string
	// Secrets resolves valueFrom.secretKeyRef arguments (default: SecretMap(nil),
	// i.e. the SLIPWAY_SECRET_<NAME>_<KEY> environment variables).
	Secrets SecretResolver
	// Library resolves the template's own `templates:` references.
	Library *Library
	// Registry supplies providers (default: DefaultRegistry()).
	Registry *Registry
	// ErrorRetryInterval is the wait after an Error measurement (default
	// DefaultErrorRetryInterval, as in Rollouts).
	ErrorRetryInterval time.Duration

	// OnMeasurement is called for every completed measurement, synchronously
	// and before the metric and run are assessed, so a store can persist it
	// before anything acts on it.
	OnMeasurement func(MeasurementEvent)
	// OnPhase is called for every phase transition of a metric (Metric set)
	// or of the run (Metric empty), synchronously, before the run acts on it.
	OnPhase func(PhaseChange)

	Logger *slog.Logger
}

// Measurement is one point-in-time result of one metric.
type Measurement struct {
	Metric     string            `json:"metric"`
	Index      int               `json:"index"` // 1-based, per metric
	Phase      Phase             `json:"phase"`
	Value      string            `json:"value,omitempty"`
	Message    string            `json:"message,omitempty"`
	StartedAt  time.Time         `json:"startedAt"`
	FinishedAt time.Time         `json:"finishedAt"`
	Metadata   map[string]string `json:"metadata,omitempty"`
}

// MeasurementEvent is passed to Options.OnMeasurement.
type MeasurementEvent struct {
	Measurement Measurement `json:"measurement"`
	DryRun      bool        `json:"dryRun"`
	Counters    Counters    `json:"counters"` // after this measurement
}

// PhaseChange is passed to Options.OnPhase.
type PhaseChange struct {
	Metric  string    `json:"metric,omitempty"` // empty: the run
	From    Phase     `json:"from"`
	To      Phase     `json:"to"`
	Message string    `json:"message,omitempty"`
	At      time.Time `json:"at"`
}

// MetricResult is a metric's state.
type MetricResult struct {
	Name         string        `json:"name"`
	Phase        Phase         `json:"phase"`
	DryRun       bool          `json:"dryRun,omitempty"`
	Message      string        `json:"message,omitempty"`
	Counters                   // tallies as Rollouts keeps them
	Measurements []Measurement `json:"measurements"`
}

// Result is a run's state.
type Result struct {
	Name       string         `json:"name"`
	Phase      Phase          `json:"phase"`
	Message    string         `json:"message,omitempty"`
	StartedAt  time.Time      `json:"startedAt"`
	FinishedAt time.Time      `json:"finishedAt,omitzero"`
	Metrics    []MetricResult `json:"metrics"`
}

// AnalysisRun is a running analysis (Rollouts' AnalysisRun).
type AnalysisRun struct {
	opts      Options
	name      string
	cancel    context.CancelFunc
	terminate chan struct{}
	stopOnce  sync.Once
	done      chan struct{}

	mu     sync.Mutex
	result Result
}

// Run runs the analysis to its end and returns the result. The error is
// non-nil only when the run could not start (bad arguments, invalid
// resolved metrics, unsupported provider); the result is then Error too.
func Run(ctx context.Context, t *Template, opts Options) (*Result, error) {
	r := Start(ctx, t, opts)
	res := r.Wait()
	if res.Phase == PhaseError && len(res.Metrics) == 0 {
		return res, fmt.Errorf("%s", res.Message)
	}
	return res, nil
}

// Start starts an analysis run in the background. Cancelling ctx or calling
// Terminate stops it; it then ends Terminated unless a metric already
// decided worse.
func Start(ctx context.Context, t *Template, opts Options) *AnalysisRun {
	if opts.Registry == nil {
		opts.Registry = DefaultRegistry()
	}
	if opts.ErrorRetryInterval <= 0 {
		opts.ErrorRetryInterval = DefaultErrorRetryInterval
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Secrets == nil {
		opts.Secrets = SecretMap(nil)
	}
	ctx, cancel := context.WithCancel(ctx)
	r := &AnalysisRun{opts: opts, name: t.Metadata.Name, cancel: cancel, terminate: make(chan struct{}), done: make(chan struct{})}
	r.result = Result{Name: t.Metadata.Name, Phase: PhasePending, StartedAt: time.Now()}
	metrics, secrets, err := r.prepare(t)
	if err != nil {
		r.finish(PhaseError, "analysis could not start: "+err.Error())
		cancel()
		return r
	}
	e := &engine{run: r, metrics: metrics, secrets: secrets, results: make(chan measured), ctx: ctx}
	go e.loop()
	return r
}

// Done is closed as soon as the run's phase is final (before in-flight
// measurements have finished unwinding).
func (r *AnalysisRun) Done() <-chan struct{} { return r.done }

// Wait blocks until the run is final and returns its result.
func (r *AnalysisRun) Wait() *Result {
	<-r.done
	return r.Result()
}

// Terminate stops the run from outside (the canary finished its steps, or a
// person stopped it).
func (r *AnalysisRun) Terminate() { r.stopOnce.Do(func() { close(r.terminate) }) }

// Result returns a snapshot of the run's state.
func (r *AnalysisRun) Result() *Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.result
	out.Metrics = make([]MetricResult, len(r.result.Metrics))
	for i, m := range r.result.Metrics {
		m.Measurements = append([]Measurement(nil), m.Measurements...)
		out.Metrics[i] = m
	}
	return &out
}

// Phase is the run's current phase.
func (r *AnalysisRun) Phase() Phase {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.result.Phase
}

type runMetric struct {
	Metric
	limits    Limits
	provider  Provider
	dryRun    bool
	retention int
	idx       int
}

// prepare resolves everything a run needs up front, as Rollouts does when it
// creates the AnalysisRun: merged templates, arguments, metric validation and
// providers. Any failure makes the whole run Error before it measures.
func (r *AnalysisRun) prepare(t *Template) ([]*runMetric, []string, error) {
	if len(t.Spec.Templates) > 0 {
		lib := r.opts.Library
		if lib == nil {
			lib = NewLibrary()
		}
		flat, err := lib.Flatten(t)
		if err != nil {
			return nil, nil, err
		}
		t = flat
	}
	if len(t.Spec.Metrics) == 0 {
		return nil, nil, fmt.Errorf("template %q has no metrics", t.Metadata.Name)
	}
	values, secrets, err := resolveArgs(t.Spec.Args, r.opts.Args, r.opts.Secrets)
	if err != nil {
		return nil, nil, err
	}
	dry, err := dryRunMetrics(t.Spec)
	if err != nil {
		return nil, nil, err
	}
	retention := map[string]int{}
	for _, mr := range t.Spec.MeasurementRetention {
		retention[mr.MetricName] = int(mr.Limit)
	}
	var out []*runMetric
	for i, m := range t.Spec.Metrics {
		rm, err := resolveMetric(m, values)
		if err != nil {
			return nil, nil, err
		}
		if probs := validateMetric(rm, fmt.Sprintf("spec.metrics[%d]", i), false); len(probs) > 0 {
			return nil, nil, fmt.Errorf("analysis spec invalid: %s", probs[0].Error())
		}
		limits, err := LimitsOf(rm)
		if err != nil {
			return nil, nil, fmt.Errorf("metric %q: %w", rm.Name, err)
		}
		p, err := r.opts.Registry.New(rm)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, &runMetric{Metric: rm, limits: limits, provider: p, dryRun: dry[rm.Name], retention: retention[rm.Name], idx: i})
	}
	r.mu.Lock()
	for _, m := range out {
		r.result.Metrics = append(r.result.Metrics, MetricResult{Name: m.Name, Phase: PhasePending, DryRun: m.dryRun, Measurements: []Measurement{}})
	}
	r.mu.Unlock()
	return out, secrets, nil
}

// finish records the final phase and releases waiters.
func (r *AnalysisRun) finish(p Phase, msg string) {
	r.mu.Lock()
	from := r.result.Phase
	r.result.Phase, r.result.Message, r.result.FinishedAt = p, msg, time.Now()
	r.mu.Unlock()
	if from != p && r.opts.OnPhase != nil {
		r.opts.OnPhase(PhaseChange{From: from, To: p, Message: msg, At: time.Now()})
	}
	close(r.done)
}

func (r *AnalysisRun) redact(s string, secrets []string) string {
	for _, sec := range secrets {
		s = strings.ReplaceAll(s, sec, "*****")
	}
	return s
}
