package analysis

import (
	"fmt"
	"time"
)

// DefaultConsecutiveErrorLimit is Rollouts' default: a metric errors after
// more than 4 errors in a row.
const DefaultConsecutiveErrorLimit = 4

// DefaultErrorRetryInterval is Rollouts' wait before measuring again after an
// Error measurement (whatever the metric's interval).
const DefaultErrorRetryInterval = 10 * time.Second

// Limits are a metric's resolved limits with Rollouts' defaults applied.
type Limits struct {
	// Count is the effective count: nil means "measure until stopped"
	// (interval without count); no count and no interval means 1.
	Count                   *int64
	Interval                time.Duration
	InitialDelay            time.Duration
	FailureLimit            int64 // default 0; negative disables the failure limit
	InconclusiveLimit       int64 // default 0
	ConsecutiveErrorLimit   int64 // default 4
	ConsecutiveSuccessLimit int64 // default 0 (disabled)
}

// LimitsOf resolves a metric's limits; the metric must have its arguments
// substituted already.
func LimitsOf(m Metric) (Limits, error) {
	l := Limits{ConsecutiveErrorLimit: DefaultConsecutiveErrorLimit}
	var err error
	get := func(field string, v *IntOrString, dst *int64) {
		if err != nil || v == nil {
			return
		}
		i, e := v.Value()
		if e != nil {
			err = fmt.Errorf("%s: %w", field, e)
			return
		}
		*dst = i
	}
	var count int64
	get("count", m.Count, &count)
	get("failureLimit", m.FailureLimit, &l.FailureLimit)
	get("inconclusiveLimit", m.InconclusiveLimit, &l.InconclusiveLimit)
	get("consecutiveErrorLimit", m.ConsecutiveErrorLimit, &l.ConsecutiveErrorLimit)
	get("consecutiveSuccessLimit", m.ConsecutiveSuccessLimit, &l.ConsecutiveSuccessLimit)
	if err != nil {
		return l, err
	}
	if m.Interval != "" {
		if l.Interval, err = time.ParseDuration(m.Interval); err != nil {
			return l, fmt.Errorf("interval: %q is not a duration such as 30s or 5m", m.Interval)
		}
	}
	if m.InitialDelay != "" {
		if l.InitialDelay, err = time.ParseDuration(m.InitialDelay); err != nil {
			return l, fmt.Errorf("initialDelay: %q is not a duration such as 30s or 5m", m.InitialDelay)
		}
	}
	switch {
	case count != 0:
		l.Count = &count
	case m.Interval == "":
		one := int64(1)
		l.Count = &one
	}
	return l, nil
}

// Counters are a metric's tallies, kept as Rollouts keeps them: errors do
// not count toward Count.
type Counters struct {
	Count              int64 `json:"count"`
	Successful         int64 `json:"successful"`
	Failed             int64 `json:"failed"`
	Inconclusive       int64 `json:"inconclusive"`
	Error              int64 `json:"error"`
	ConsecutiveError   int64 `json:"consecutiveError"`
	ConsecutiveSuccess int64 `json:"consecutiveSuccess"`
	Measured           int64 `json:"measured"` // every completed measurement, errors included
}

// Add tallies one completed measurement.
func (c *Counters) Add(p Phase) {
	switch p {
	case PhaseSuccessful:
		c.Successful++
		c.Count++
		c.ConsecutiveError = 0
		c.ConsecutiveSuccess++
	case PhaseFailed:
		c.Failed++
		c.Count++
		c.ConsecutiveError = 0
		c.ConsecutiveSuccess = 0
	case PhaseInconclusive:
		c.Inconclusive++
		c.Count++
		c.ConsecutiveError = 0
		c.ConsecutiveSuccess = 0
	case PhaseError:
		c.Error++
		c.ConsecutiveError++
		c.ConsecutiveSuccess = 0
	default:
		return // NoData and Terminated measurements count nowhere
	}
	c.Measured++
}

// limitBreach returns Failed, Inconclusive or Error when a limit is crossed.
// Each check overrides the previous one, exactly as in Rollouts'
// assessMetricFailureInconclusiveOrError: when several limits are crossed at
// once, Error beats Inconclusive beats Failed.
func limitBreach(l Limits, c Counters) (Phase, string) {
	var phase Phase
	var msg string
	if l.FailureLimit >= 0 && c.Failed > l.FailureLimit {
		phase, msg = PhaseFailed, fmt.Sprintf("failed (%d) > failureLimit (%d)", c.Failed, l.FailureLimit)
	}
	if c.Inconclusive > l.InconclusiveLimit {
		phase, msg = PhaseInconclusive, fmt.Sprintf("inconclusive (%d) > inconclusiveLimit (%d)", c.Inconclusive, l.InconclusiveLimit)
	}
	if c.ConsecutiveError > l.ConsecutiveErrorLimit {
		phase, msg = PhaseError, fmt.Sprintf("consecutiveErrors (%d) > consecutiveErrorLimit (%d)", c.ConsecutiveError, l.ConsecutiveErrorLimit)
	}
	return phase, msg
}

// AssessMetric is Rollouts' assessMetricStatus for a metric whose last
// measurement has completed: limits first (see limitBreach), then
// consecutiveSuccessLimit, then count; an indefinite metric keeps Running.
// terminating says the run is being stopped: a metric that has not decided
// is then Terminated (Rollouts says Successful).
func AssessMetric(l Limits, c Counters, terminating bool) (Phase, string) {
	if c.Measured == 0 {
		if terminating {
			return PhaseTerminated, "run terminated before the first measurement"
		}
		return PhasePending, ""
	}
	if p, msg := limitBreach(l, c); p != "" {
		return p, msg
	}
	if l.ConsecutiveSuccessLimit > 0 && c.ConsecutiveSuccess >= l.ConsecutiveSuccessLimit {
		return PhaseSuccessful, fmt.Sprintf("consecutiveSuccessLimit (%d) reached", l.ConsecutiveSuccessLimit)
	}
	if l.Count != nil && c.Count >= *l.Count {
		failureApplicable := l.FailureLimit >= 0
		successApplicable := l.ConsecutiveSuccessLimit > 0
		switch {
		case failureApplicable && successApplicable:
			return PhaseInconclusive, fmt.Sprintf("count (%d) reached: consecutiveSuccessLimit (%d) not reached and failureLimit (%d) not violated", *l.Count, l.ConsecutiveSuccessLimit, l.FailureLimit)
		case successApplicable:
			return PhaseFailed, fmt.Sprintf("count (%d) reached: consecutiveSuccessLimit (%d) not reached", *l.Count, l.ConsecutiveSuccessLimit)
		}
		return PhaseSuccessful, fmt.Sprintf("count (%d) reached", *l.Count)
	}
	if terminating {
		return PhaseTerminated, "run terminated"
	}
	return PhaseRunning, ""
}
