package analysis

import (
	"context"
	"fmt"
	"time"
)

// measured carries one finished measurement from a metric's goroutine to the
// run's single decision loop, which owns all state (no locks in the hot
// path) and replies with the wait before the next measurement.
type measured struct {
	metric   int
	started  time.Time
	finished time.Time
	obs      Observation
	err      error
	reply    chan time.Duration // negative: stop measuring
}

type engine struct {
	run      *AnalysisRun
	metrics  []*runMetric
	secrets  []string
	results  chan measured
	ctx      context.Context
	counters []Counters
	phases   []Phase
	messages []string
	seq      []int
}

// loop starts one goroutine per metric and decides every measurement in
// arrival order. The moment the run's phase is final it cancels the
// outstanding measurements and releases Done: a failing measurement reaches
// the caller without waiting for the other metrics' intervals.
func (e *engine) loop() {
	n := len(e.metrics)
	e.counters, e.phases, e.messages, e.seq = make([]Counters, n), make([]Phase, n), make([]string, n), make([]int, n)
	for i := range e.phases {
		e.phases[i] = PhasePending
	}
	e.setRunPhase(PhaseRunning, "")
	mctx, stopMeasuring := context.WithCancel(e.ctx)
	defer stopMeasuring()
	for i := range e.metrics {
		go e.measureLoop(mctx, i)
	}
	for {
		select {
		case x := <-e.results:
			next := e.record(x)
			if p, msg, final := e.assessRun(false); final {
				x.reply <- -1
				stopMeasuring()
				e.run.finish(p, msg)
				e.run.cancel()
				return
			}
			x.reply <- next
		case <-e.ctx.Done():
			e.stopFromOutside(stopMeasuring)
			return
		case <-e.run.terminate:
			e.stopFromOutside(stopMeasuring)
			return
		}
	}
}

func (e *engine) stopFromOutside(stopMeasuring context.CancelFunc) {
	stopMeasuring()
	p, msg, _ := e.assessRun(true)
	e.run.finish(p, msg)
	e.run.cancel()
}

// measureLoop waits initialDelay, then measures until told to stop.
func (e *engine) measureLoop(ctx context.Context, i int) {
	m := e.metrics[i]
	delay := m.limits.InitialDelay
	for {
		if delay > 0 {
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		started := time.Now()
		obs, err := m.provider.Measure(ctx)
		if ctx.Err() != nil {
			return // the run ended while measuring: no verdict for a cut-short measurement
		}
		reply := make(chan time.Duration, 1)
		select {
		case e.results <- measured{metric: i, started: started, finished: time.Now(), obs: obs, err: err, reply: reply}:
		case <-ctx.Done():
			return
		}
		select {
		case d := <-reply:
			if d < 0 {
				return
			}
			delay = d
		case <-ctx.Done():
			return
		}
	}
}

// judge decides one measurement's phase.
func judge(m *runMetric, obs Observation, err error) (Phase, string) {
	if err != nil {
		return PhaseError, err.Error()
	}
	if obs.Empty && m.NoData != NoDataDefault {
		msg := "no data: the provider returned an empty result"
		switch m.NoData {
		case NoDataFail:
			return PhaseFailed, msg + " (noData: fail)"
		case NoDataError:
			return PhaseError, msg + " (noData: error)"
		case NoDataInconclusive:
			return PhaseInconclusive, msg + " (noData: inconclusive)"
		case NoDataIgnore:
			return PhaseNoData, msg + " (noData: ignore)"
		}
	}
	if obs.Empty && obs.EmptyErr != nil {
		return PhaseError, obs.EmptyErr.Error()
	}
	if obs.Phase != "" {
		return obs.Phase, obs.Message
	}
	p, perr := EvaluateResult(obs.Result, m.SuccessCondition, m.FailureCondition)
	if perr != nil {
		return PhaseError, perr.Error()
	}
	return p, obs.Message
}

// record decides, tallies, reports and assesses one measurement and returns
// the wait before the next one (negative: the metric is done).
func (e *engine) record(x measured) time.Duration {
	i := x.metric
	m := e.metrics[i]
	phase, msg := judge(m, x.obs, x.err)
	e.seq[i]++
	meas := Measurement{
		Metric: m.Name, Index: e.seq[i], Phase: phase, Value: x.obs.Value,
		Message: e.run.redact(msg, e.secrets), StartedAt: x.started, FinishedAt: x.finished, Metadata: x.obs.Metadata,
	}
	e.counters[i].Add(phase)
	e.run.mu.Lock()
	res := &e.run.result.Metrics[i]
	res.Counters = e.counters[i]
	res.Measurements = append(res.Measurements, meas)
	if m.retention > 0 && len(res.Measurements) > m.retention {
		res.Measurements = res.Measurements[len(res.Measurements)-m.retention:]
	}
	e.run.mu.Unlock()
	if e.run.opts.OnMeasurement != nil {
		e.run.opts.OnMeasurement(MeasurementEvent{Measurement: meas, DryRun: m.dryRun, Counters: e.counters[i]})
	}
	e.run.opts.Logger.Debug("measurement", "metric", m.Name, "index", meas.Index, "phase", phase, "value", meas.Value, "message", meas.Message)
	mp, mmsg := AssessMetric(m.limits, e.counters[i], false)
	e.setMetricPhase(i, mp, mmsg, meas.Message)
	if mp.Completed() {
		return -1
	}
	switch {
	case phase == PhaseError:
		return e.run.opts.ErrorRetryInterval
	case m.limits.Interval > 0:
		return m.limits.Interval
	default:
		return e.run.opts.ErrorRetryInterval
	}
}

func (e *engine) setMetricPhase(i int, p Phase, msg, lastMessage string) {
	if e.phases[i] == p {
		return
	}
	from := e.phases[i]
	e.phases[i], e.messages[i] = p, msg
	full := msg
	if lastMessage != "" && p.Completed() && p != PhaseSuccessful {
		full = fmt.Sprintf("%s: last measurement: %s", msg, lastMessage)
	}
	e.run.mu.Lock()
	e.run.result.Metrics[i].Phase = p
	e.run.result.Metrics[i].Message = full
	e.run.mu.Unlock()
	if e.run.opts.OnPhase != nil {
		e.run.opts.OnPhase(PhaseChange{Metric: e.metrics[i].Name, From: from, To: p, Message: full, At: time.Now()})
	}
}

func (e *engine) setRunPhase(p Phase, msg string) {
	e.run.mu.Lock()
	from := e.run.result.Phase
	e.run.result.Phase, e.run.result.Message = p, msg
	e.run.mu.Unlock()
	if from != p && e.run.opts.OnPhase != nil {
		e.run.opts.OnPhase(PhaseChange{From: from, To: p, Message: msg, At: time.Now()})
	}
}

// assessRun is Rollouts' assessRunStatus. The run is terminating when it is
// stopped from outside or when a non-dry-run metric ended Failed, Error or
// Inconclusive; every undecided metric is then assessed as terminating. The
// run's phase is the worst over completed non-dry-run metrics
// (Successful < Inconclusive < Error < Failed), Running while any metric
// (dry-run ones included) is undecided, and Terminated — not Successful —
// when a stop from outside cut it short.
func (e *engine) assessRun(stoppedFromOutside bool) (Phase, string, bool) {
	terminating := stoppedFromOutside
	for i, m := range e.metrics {
		switch e.phases[i] {
		case PhaseFailed, PhaseError, PhaseInconclusive:
			if !m.dryRun {
				terminating = true
			}
		}
	}
	if terminating {
		for i, m := range e.metrics {
			if !e.phases[i].Completed() {
				p, msg := AssessMetric(m.limits, e.counters[i], true)
				e.setMetricPhase(i, p, msg, "")
			}
		}
	}
	var worst Phase
	var worstMsg string
	allDone := true
	for i, m := range e.metrics {
		p := e.phases[i]
		if !p.Completed() {
			allDone = false
			continue
		}
		if m.dryRun {
			continue
		}
		if worst == "" || IsWorse(worst, p) {
			worst = p
			worstMsg = fmt.Sprintf("metric %q assessed %s due to %s", m.Name, p, e.messages[i])
		}
	}
	switch {
	case terminating && (worst == "" || worst == PhaseSuccessful || worst == PhaseTerminated):
		return PhaseTerminated, "run terminated before it decided", true
	case terminating:
		return worst, worstMsg, true
	case !allDone:
		return PhaseRunning, "", false
	case worst == "":
		return PhaseSuccessful, "only dry-run metrics", true
	}
	return worst, worstMsg, true
}
