package slipway

import "testing"

// TestTerminalAgreesWithTheTable: a state is terminal exactly when the
// transition table has no move out of it, and every state is either active
// (work left), succeeded (what runs) or terminal.
func TestTerminalAgreesWithTheTable(t *testing.T) {
	for _, s := range States {
		out := 0
		for _, to := range States {
			if CanTransition(s, to) {
				out++
			}
		}
		if s.Terminal() != (out == 0) {
			t.Errorf("%s: Terminal %v, %d moves out", s, s.Terminal(), out)
		}
		kinds := 0
		for _, b := range []bool{s.Active(), s == StateSucceeded, s.Terminal()} {
			if b {
				kinds++
			}
		}
		if kinds != 1 {
			t.Errorf("%s is active=%v succeeded=%v terminal=%v", s, s.Active(), s == StateSucceeded, s.Terminal())
		}
		if s.Supersedable() && !s.Active() {
			t.Errorf("%s is supersedable but not active", s)
		}
	}
	for from := range transitions {
		if !contains(States, from) {
			t.Errorf("state %s of the table is missing from States", from)
		}
	}
	if !CanTransition(StateCanary, StatePaused) || !CanTransition(StatePaused, StateAborted) || CanTransition(StateSucceeded, StateSuperseded) {
		t.Error("paused canaries settle by promote or abort; a success is never superseded, only rolled back")
	}
}

func contains(ss []PromotionState, s PromotionState) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestNormalizeIdentity(t *testing.T) {
	for in, want := range map[string]string{
		"Bob <Bob@Example.com>": "bob@example.com",
		" bob@example.com ":     "bob@example.com",
		"bob":                   "bob",
		"Bob <>":                "",
	} {
		if got := NormalizeIdentity(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}
