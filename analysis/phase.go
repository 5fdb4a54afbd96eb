package analysis

// Phase is the state of a measurement, a metric or a run, with Rollouts'
// names plus Terminated.
type Phase string

// The phases. Terminated is Slipway's: a run (or a metric) stopped from
// outside before it could decide is not reported Successful.
const (
	PhasePending      Phase = "Pending"
	PhaseRunning      Phase = "Running"
	PhaseSuccessful   Phase = "Successful"
	PhaseFailed       Phase = "Failed"
	PhaseError        Phase = "Error"
	PhaseInconclusive Phase = "Inconclusive"
	PhaseTerminated   Phase = "Terminated"
	// PhaseNoData marks a measurement with an empty result under
	// `noData: ignore`: persisted, but counted nowhere.
	PhaseNoData Phase = "NoData"
)

// Completed reports whether the phase is final.
func (p Phase) Completed() bool {
	switch p {
	case PhaseSuccessful, PhaseFailed, PhaseError, PhaseInconclusive, PhaseTerminated:
		return true
	}
	return false
}

// Aborts reports whether a canary must be aborted to stable on this run
// phase (Failed or Error); Inconclusive pauses instead.
func (p Phase) Aborts() bool { return p == PhaseFailed || p == PhaseError }

// phaseOrder ranks phases from best to worst, as Rollouts' IsWorse does for
// completed phases (Successful < Inconclusive < Error < Failed). Terminated
// ranks with Successful: it says nothing bad was seen.
var phaseOrder = map[Phase]int{
	PhaseSuccessful:   0,
	PhaseTerminated:   0,
	PhaseRunning:      1,
	PhasePending:      2,
	PhaseInconclusive: 3,
	PhaseError:        4,
	PhaseFailed:       5,
}

// IsWorse reports whether candidate is worse than current.
func IsWorse(current, candidate Phase) bool { return phaseOrder[candidate] > phaseOrder[current] }
