package analysis

import (
	"testing"
)

func TestEvaluateResult(t *testing.T) {
	tests := []struct {
		name             string
		result           any
		success, failure string
		want             Phase
		wantErr          bool
	}{
		{"no conditions", 1.0, "", "", PhaseSuccessful, false},
		{"no conditions even for garbage", "x", "", "", PhaseSuccessful, false},
		{"success only, true", 0.99, "result >= 0.95", "", PhaseSuccessful, false},
		{"success only, false", 0.5, "result >= 0.95", "", PhaseFailed, false},
		{"failure only, true", 0.5, "", "result < 0.95", PhaseFailed, false},
		{"failure only, false", 0.99, "", "result < 0.95", PhaseSuccessful, false},
		{"both: failure true wins over success true", 0.5, "result < 1", "result < 0.9", PhaseFailed, false},
		{"both: success true", 0.99, "result >= 0.95", "result < 0.9", PhaseSuccessful, false},
		{"both false: inconclusive", 0.92, "result >= 0.95", "result < 0.9", PhaseInconclusive, false},
		{"vector index", []float64{0.1}, "result[0] < 0.05", "", PhaseFailed, false},
		{"empty vector index is an error", []float64{}, "result[0] < 0.05", "", PhaseError, true},
		{"syntax error is an error", 1.0, "result >", "", PhaseError, true},
		{"non-bool is an error", 1.0, "result + 1", "", PhaseError, true},
		{"failure condition error is an error", 1.0, "result > 0", "result.x", PhaseError, true},
		{"all over vector", []float64{1, 2, 3}, "all(result, # < 1000)", "", PhaseSuccessful, false},
		{"any over vector", []float64{1, 2000}, "", "any(result, # > 1000)", PhaseFailed, false},
		{"asInt on string", "12", "asInt(result) > 10", "", PhaseSuccessful, false},
		{"asFloat on string", "0.5", "asFloat(result) > 0.9", "", PhaseFailed, false},
		{"asInt on a bad string is an error", "x", "asInt(result) > 10", "", PhaseError, true},
		{"isNaN", nanValue(), "!isNaN(result)", "", PhaseFailed, false},
		{"isInf", infValue(), "", "isInf(result)", PhaseFailed, false},
		{"isNil on nil", nil, "isNil(result)", "", PhaseSuccessful, false},
		{"default on nil", nil, "default(result, 5) == 5", "", PhaseSuccessful, false},
		{"default on value", 3.0, "default(result, 5) == 3", "", PhaseSuccessful, false},
		{"map result", map[string]any{"ok": true, "p": 0.95}, "result.ok && result.p >= 0.9", "", PhaseSuccessful, false},
		{"bool result", true, "result == true", "", PhaseSuccessful, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EvaluateResult(tt.result, tt.success, tt.failure)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Fatalf("EvaluateResult(%v, %q, %q) = %s, %v; want %s (error %v)", tt.result, tt.success, tt.failure, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func ptr(i int64) *int64 { return &i }

// counters builds tallies from a sequence of measurement phases, the way a
// run accumulates them.
func counters(phases ...Phase) Counters {
	var c Counters
	for _, p := range phases {
		c.Add(p)
	}
	return c
}

const (
	S = PhaseSuccessful
	F = PhaseFailed
	I = PhaseInconclusive
	E = PhaseError
)

func TestAssessMetric(t *testing.T) {
	def := Limits{ConsecutiveErrorLimit: DefaultConsecutiveErrorLimit}
	with := func(f func(*Limits)) Limits { l := def; f(&l); return l }
	tests := []struct {
		name        string
		limits      Limits
		seq         []Phase
		terminating bool
		want        Phase
	}{
		{"nothing measured", def, nil, false, PhasePending},
		{"nothing measured, terminating", def, nil, true, PhaseTerminated},
		{"indefinite metric keeps running", def, []Phase{S, S}, false, PhaseRunning},
		{"indefinite metric, terminating", def, []Phase{S}, true, PhaseTerminated},
		{"first failure beats default failureLimit 0", def, []Phase{S, F}, false, PhaseFailed},
		{"failures up to failureLimit are tolerated", with(func(l *Limits) { l.FailureLimit = 2 }), []Phase{F, S, F}, false, PhaseRunning},
		{"failures are cumulative, not consecutive", with(func(l *Limits) { l.FailureLimit = 2 }), []Phase{F, S, F, S, F}, false, PhaseFailed},
		{"failureLimit -1 disables failures", with(func(l *Limits) { l.FailureLimit = -1; l.ConsecutiveSuccessLimit = 2 }), []Phase{F, F, F, F}, false, PhaseRunning},
		{"inconclusive beyond limit 0", def, []Phase{I}, false, PhaseInconclusive},
		{"inconclusive within limit", with(func(l *Limits) { l.InconclusiveLimit = 1 }), []Phase{I}, false, PhaseRunning},
		{"4 consecutive errors are tolerated by default", def, []Phase{E, E, E, E}, false, PhaseRunning},
		{"the 5th consecutive error errors the metric", def, []Phase{E, E, E, E, E}, false, PhaseError},
		{"a success resets consecutive errors", def, []Phase{E, E, E, E, S, E, E, E, E}, false, PhaseRunning},
		{"consecutiveErrorLimit 0: first error", with(func(l *Limits) { l.ConsecutiveErrorLimit = 0 }), []Phase{E}, false, PhaseError},
		{"errors do not count toward count", with(func(l *Limits) { l.Count = ptr(2) }), []Phase{S, E, E}, false, PhaseRunning},
		{"count reached is successful", with(func(l *Limits) { l.Count = ptr(2) }), []Phase{S, E, S}, false, PhaseSuccessful},
		{"count reached with tolerated failures is successful", with(func(l *Limits) { l.Count = ptr(3); l.FailureLimit = 1 }), []Phase{S, F, S}, false, PhaseSuccessful},
		{"precedence: inconclusive beats failed", with(func(l *Limits) { l.FailureLimit = 0 }), []Phase{F, I}, false, PhaseInconclusive},
		{"precedence: error beats inconclusive and failed", with(func(l *Limits) { l.ConsecutiveErrorLimit = 0 }), []Phase{F, I, E}, false, PhaseError},
		{"consecutiveSuccessLimit reached", with(func(l *Limits) { l.ConsecutiveSuccessLimit = 2; l.FailureLimit = 1 }), []Phase{S, F, S, S}, false, PhaseSuccessful},
		{"consecutiveSuccessLimit not reached at count, failureLimit applicable: inconclusive", with(func(l *Limits) { l.ConsecutiveSuccessLimit = 2; l.FailureLimit = 1; l.Count = ptr(3) }), []Phase{S, F, S}, false, PhaseInconclusive},
		{"consecutiveSuccessLimit not reached at count, failureLimit -1: failed", with(func(l *Limits) { l.ConsecutiveSuccessLimit = 3; l.FailureLimit = -1; l.Count = ptr(3) }), []Phase{S, F, S}, false, PhaseFailed},
		{"an error resets consecutive successes", with(func(l *Limits) { l.ConsecutiveSuccessLimit = 2; l.FailureLimit = -1 }), []Phase{S, E, S}, false, PhaseRunning},
		{"limit breach wins over terminating", def, []Phase{F}, true, PhaseFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, msg := AssessMetric(tt.limits, counters(tt.seq...), tt.terminating)
			if got != tt.want {
				t.Fatalf("AssessMetric(%v) = %s (%s); want %s", tt.seq, got, msg, tt.want)
			}
		})
	}
}

func TestLimitsOfDefaultsAndEffectiveCount(t *testing.T) {
	tests := []struct {
		name      string
		m         Metric
		wantCount *int64
		wantErr   bool
	}{
		{"no count, no interval: one measurement", Metric{}, ptr(1), false},
		{"interval only: indefinite", Metric{Interval: "1m"}, nil, false},
		{"count and interval", Metric{Interval: "1m", Count: &IntOrString{Int: 5}}, ptr(5), false},
		{"count as a resolved string", Metric{Interval: "1m", Count: &IntOrString{IsString: true, Str: "3"}}, ptr(3), false},
		{"count as a non-number string", Metric{Count: &IntOrString{IsString: true, Str: "three"}}, nil, true},
		{"bad interval", Metric{Interval: "5 minutes"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := LimitsOf(tt.m)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if (l.Count == nil) != (tt.wantCount == nil) || (l.Count != nil && *l.Count != *tt.wantCount) {
				t.Fatalf("count = %v, want %v", l.Count, tt.wantCount)
			}
			if l.ConsecutiveErrorLimit != 4 || l.FailureLimit != 0 || l.InconclusiveLimit != 0 {
				t.Fatalf("defaults = %+v, want consecutiveErrorLimit 4, failureLimit 0, inconclusiveLimit 0", l)
			}
		})
	}
}

func TestPhaseOrder(t *testing.T) {
	order := []Phase{PhaseSuccessful, PhaseInconclusive, PhaseError, PhaseFailed}
	for i := 1; i < len(order); i++ {
		if !IsWorse(order[i-1], order[i]) || IsWorse(order[i], order[i-1]) {
			t.Errorf("%s must be worse than %s", order[i], order[i-1])
		}
	}
	if IsWorse(PhaseSuccessful, PhaseTerminated) {
		t.Error("Terminated must rank with Successful")
	}
}

func nanValue() float64 { z := 0.0; return z / z }
func infValue() float64 { z := 0.0; return 1 / z }
