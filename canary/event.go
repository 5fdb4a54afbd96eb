package canary

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/slipway/slipway/analysis"
)

// EventKind names a canary transition.
type EventKind string

// The events, in the order a canary usually emits them.
const (
	EventStepStarted     EventKind = "StepStarted"
	EventWeightSet       EventKind = "WeightSet"
	EventPaused          EventKind = "Paused"
	EventDecision        EventKind = "Decision"
	EventResumed         EventKind = "Resumed"
	EventAnalysisStarted EventKind = "AnalysisStarted"
	EventMeasurement     EventKind = "Measurement"
	EventAnalysisPhase   EventKind = "AnalysisPhase"
	EventAborting        EventKind = "Aborting" // reported before the driver's abort call
	EventAborted         EventKind = "Aborted"
	EventPromoting       EventKind = "Promoting" // reported before the driver's promote call
	EventPromoted        EventKind = "Promoted"
	EventError           EventKind = "Error"
)

// Event is one entry of a canary's timeline.
type Event struct {
	Kind EventKind `json:"kind"`
	At   time.Time `json:"at"`
	// Step and Weight are where the canary is when the event is reported:
	// the step running and the traffic percentage the canary has. An
	// analysis event carries the weight its measurement was taken at.
	Step        int                        `json:"step"`
	Weight      int                        `json:"weight"`
	Analysis    string                     `json:"analysis,omitempty"` // "background" or "step-N"
	Measurement *analysis.MeasurementEvent `json:"measurement,omitempty"`
	Phase       *analysis.PhaseChange      `json:"phase,omitempty"`
	Message     string                     `json:"message,omitempty"`
}

// String is the timeline line for the event.
func (e Event) String() string {
	switch e.Kind {
	case EventMeasurement:
		m := e.Measurement.Measurement
		s := fmt.Sprintf("measurement %s/%s #%d %s %s", e.Analysis, m.Metric, m.Index, m.Phase, m.Value)
		if m.Message != "" && m.Phase != analysis.PhaseSuccessful {
			s += " (" + m.Message + ")"
		}
		return s
	case EventAnalysisPhase:
		who := e.Analysis
		if e.Phase.Metric != "" {
			who += "/" + e.Phase.Metric
		}
		s := fmt.Sprintf("analysis %s %s -> %s", who, e.Phase.From, e.Phase.To)
		if e.Phase.Message != "" && e.Phase.To.Completed() {
			s += ": " + e.Phase.Message
		}
		return s
	case EventStepStarted:
		return fmt.Sprintf("step %d: %s", e.Step, e.Message)
	case EventWeightSet:
		return fmt.Sprintf("weight %d%%", e.Weight)
	case EventAnalysisStarted:
		return fmt.Sprintf("analysis %s started: %s", e.Analysis, e.Message)
	}
	s := strings.ToLower(string(e.Kind))
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Timeline returns an OnEvent that prints one line per event, with the time
// since the first event.
func Timeline(w io.Writer) func(Event) {
	var mu sync.Mutex
	var start time.Time
	return func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		if start.IsZero() {
			start = e.At
		}
		fmt.Fprintf(w, "%8.3fs  %s\n", e.At.Sub(start).Seconds(), e)
	}
}

func describe(st Step) string {
	switch {
	case st.SetWeight != nil:
		return fmt.Sprintf("setWeight %d", *st.SetWeight)
	case st.Pause != nil:
		d, ok, _ := st.Pause.DurationValue()
		return "pause " + pauseMessage(d, ok)
	case st.Analysis != nil:
		return "analysis " + templateNames(*st.Analysis)
	}
	return "unknown step"
}

func pauseMessage(d time.Duration, ok bool) string {
	if !ok {
		return "until resumed"
	}
	return d.String()
}

func templateNames(a AnalysisStep) string {
	names := make([]string, len(a.Templates))
	for i, t := range a.Templates {
		names[i] = t.TemplateName
	}
	return strings.Join(names, ",")
}
