package engine

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/slipway/slipway"
)

// Metrics are what `slipway serve` exports on /metrics.
type Metrics struct {
	steps           *prometheus.CounterVec
	transitions     *prometheus.CounterVec
	gateWaits       *prometheus.CounterVec
	gateWait        *prometheus.HistogramVec
	abortLatency    prometheus.Histogram
	reconcileErrors prometheus.Counter

	mu      sync.Mutex
	aborts  map[string]time.Time
	engine  *Engine
	byState *prometheus.Desc
}

// NewMetrics registers the engine's metrics with reg.
func NewMetrics(reg prometheus.Registerer, e *Engine) *Metrics {
	m := &Metrics{
		steps: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "slipway_promotion_steps_total", Help: "Promotion steps run, by step."}, []string{"step"}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "slipway_promotion_transitions_total", Help: "Promotion state transitions, by environment and target state."},
			[]string{"env", "to"}),
		gateWaits: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "slipway_gate_holds_total", Help: "Times a promotion was held by its gates, by environment."}, []string{"env"}),
		gateWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "slipway_gate_wait_seconds", Help: "Time from a promotion's request until its gates passed.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 10)}, []string{"env"}),
		abortLatency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "slipway_canary_abort_seconds", Help: "Time from a failing canary verdict until the runtime confirmed the abort.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10)}),
		reconcileErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "slipway_reconcile_errors_total", Help: "Errors while reconciling promotions."}),
		aborts:          map[string]time.Time{},
		engine:          e,
		byState:         prometheus.NewDesc("slipway_promotions", "Promotions by state.", []string{"state"}, nil),
	}
	reg.MustRegister(m.steps, m.transitions, m.gateWaits, m.gateWait, m.abortLatency, m.reconcileErrors, m)
	return m
}

// Describe implements prometheus.Collector for the by-state gauge.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) { ch <- m.byState }

// Collect reads the promotions by state from the store at scrape time.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ps, err := m.engine.Store.Promotions.Promotions(ctx, slipway.PromotionFilter{})
	if err != nil {
		return
	}
	n := map[slipway.PromotionState]int{}
	for _, p := range ps {
		n[p.State]++
	}
	for _, s := range slipway.States {
		ch <- prometheus.MustNewConstMetric(m.byState, prometheus.GaugeValue, float64(n[s]), string(s))
	}
}

func (m *Metrics) step(name string) { m.steps.WithLabelValues(name).Inc() }

func (m *Metrics) transition(p *slipway.Promotion, from slipway.PromotionState) {
	m.transitions.WithLabelValues(p.Env, string(p.State)).Inc()
	if from == slipway.StateWaiting && p.State == slipway.StatePinning {
		m.gateWait.WithLabelValues(p.Env).Observe(time.Since(p.Created).Seconds())
	}
}

func (m *Metrics) gateWaitStarted(p *slipway.Promotion) { m.gateWaits.WithLabelValues(p.Env).Inc() }

func (m *Metrics) abortStarted(id string) {
	m.mu.Lock()
	m.aborts[id] = time.Now()
	m.mu.Unlock()
}

func (m *Metrics) abortDone(id string) {
	m.mu.Lock()
	at, ok := m.aborts[id]
	delete(m.aborts, id)
	m.mu.Unlock()
	if ok {
		m.abortLatency.Observe(time.Since(at).Seconds())
	}
}
