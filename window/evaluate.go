package window

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Horizon is how far ahead NextChange looks: beyond it, NextChange is nil.
const Horizon = 365 * 24 * time.Hour

// Query is one question to a window Set: may Target sync At?
type Query struct {
	Target Target
	At     time.Time
	// Manual is true for an action a person starts (Argo CD's manual sync).
	Manual bool
	// OperationStartedAt is set when an operation is already running: it may
	// go on if every relevant window has syncOverrun and it was allowed when
	// it started.
	OperationStartedAt *time.Time
}

// WindowState is one window's state at the evaluated instant.
type WindowState struct {
	Index int  `json:"index"`
	Kind  Kind `json:"kind"`
	// Matched: the window applies to the target.
	Matched bool `json:"matched"`
	// Active: the window's own state at the instant, matched or not.
	Active      bool   `json:"active"`
	ManualSync  bool   `json:"manualSync"`
	SyncOverrun bool   `json:"syncOverrun"`
	Error       string `json:"error,omitempty"`
}

// Decision is the answer to a Query.
type Decision struct {
	Windows []WindowState `json:"windows"`
	// CanSync is the decision for the matched windows.
	CanSync bool `json:"canSync"`
	// Reason says in plain words why, naming the deciding window.
	Reason string `json:"reason"`
	// NextChange is the next instant at which CanSync flips (same query,
	// later instant); nil when it does not within Horizon or a window is
	// invalid.
	NextChange *time.Time `json:"nextChange"`
	// Since is when the decision last flipped to CanSync (within Horizon
	// before the instant); nil when not known.
	Since *time.Time `json:"since,omitempty"`
	// Error is set when a window is invalid: the Set fails closed.
	Error string `json:"error,omitempty"`
}

// Evaluate decides q against the windows, as Argo CD's
// SyncWindows.Matches(app).CanSync(manual), with syncOverrun for a running
// operation and the corrections described in the package documentation.
func (s *Set) Evaluate(q Query) Decision {
	at := q.At.UTC()
	d := Decision{Windows: make([]WindowState, len(s.Windows))}
	var matched []*Window
	var matchedActive []bool
	var invalid []*Window
	for i, w := range s.Windows {
		st := WindowState{Index: i, Kind: Kind(w.Spec.Kind), ManualSync: w.ManualSync, SyncOverrun: w.SyncOverrun}
		st.Matched = w.Matches(q.Target)
		if w.Valid() {
			st.Active = w.activeAt(at)
			if st.Matched {
				matched = append(matched, w)
				matchedActive = append(matchedActive, st.Active)
			}
		} else {
			st.Error = w.Problems[0].Error()
			invalid = append(invalid, w)
		}
		d.Windows[i] = st
	}
	if len(invalid) > 0 {
		msgs := make([]string, 0, len(invalid))
		for _, w := range invalid {
			for _, p := range w.Problems {
				msgs = append(msgs, p.Error())
			}
		}
		d.Error = strings.Join(msgs, "; ")
		d.Reason = fmt.Sprintf("window %d is invalid, so every sync is blocked until it is fixed: %s", invalid[0].Index, invalid[0].Problems[0].Message)
		return d
	}
	e := evaluator{windows: matched, manual: q.Manual, started: q.OperationStartedAt}
	v := e.decide(matchedActive)
	d.CanSync, d.Reason = v.can, e.explain(v, at)
	if next, ok := e.nextChange(at, v.can, slices.Clone(matchedActive)); ok {
		next = next.UTC()
		d.NextChange = &next
	}
	if since, ok := e.since(at, v.can, slices.Clone(matchedActive)); ok {
		since = since.UTC()
		d.Since = &since
	}
	return d
}

// evaluator decides for the windows that match one target.
type evaluator struct {
	windows []*Window
	manual  bool
	started *time.Time

	startChecked, startAllowed bool // memo of allowedAtStart
}

// allowedAtStart reports whether the running operation was allowed when it
// started (a condition of syncOverrun); computed once per query.
func (e *evaluator) allowedAtStart() bool {
	if !e.startChecked {
		e.startChecked = true
		e.startAllowed = e.base(e.activity(*e.started)).can
	}
	return e.startAllowed
}

// verdict is a decision at one instant with what decided it.
type verdict struct {
	can     bool
	rule    rule
	culprit *Window // the window the reason names
	overrun bool    // allowed only by syncOverrun
	why     string  // extra words for overrun refusals
	active  []bool  // per evaluator window
}

// rule names the branch of Argo CD's CanSync that decided.
type rule int

const (
	ruleNoWindows rule = iota
	ruleActiveDeny
	ruleActiveAllow
	ruleInactiveAllows
	ruleOnlyInactiveDenies
)

// activity returns whether each matched window is active at t.
func (e *evaluator) activity(t time.Time) []bool {
	active := make([]bool, len(e.windows))
	for i, w := range e.windows {
		active[i] = w.activeAt(t)
	}
	return active
}

// base is Argo CD's CanSync over the matched windows' activity.
func (e *evaluator) base(active []bool) verdict {
	v := verdict{active: active}
	if len(e.windows) == 0 {
		return verdict{can: true, rule: ruleNoWindows}
	}
	var firstDeny, firstBlockingDeny, firstAllow, firstInactiveAllow, firstInactiveDeny *Window
	allInactiveAllowsManual := true
	for i, w := range e.windows {
		a := active[i]
		switch {
		case a && Kind(w.Kind) == Deny:
			firstDeny = first(firstDeny, w)
			if !w.ManualSync {
				firstBlockingDeny = first(firstBlockingDeny, w)
			}
		case a && Kind(w.Kind) == Allow:
			firstAllow = first(firstAllow, w)
		case Kind(w.Kind) == Allow:
			firstInactiveAllow = first(firstInactiveAllow, w)
			allInactiveAllowsManual = allInactiveAllowsManual && w.ManualSync
		default:
			firstInactiveDeny = first(firstInactiveDeny, w)
		}
	}
	switch {
	case firstDeny != nil:
		v.rule = ruleActiveDeny
		v.can = e.manual && firstBlockingDeny == nil
		v.culprit = firstDeny
		if firstBlockingDeny != nil {
			v.culprit = firstBlockingDeny
		}
	case firstAllow != nil:
		v.rule, v.can, v.culprit = ruleActiveAllow, true, firstAllow
	case firstInactiveAllow != nil:
		v.rule, v.culprit = ruleInactiveAllows, firstInactiveAllow
		v.can = e.manual && allInactiveAllowsManual
	default:
		v.rule, v.can, v.culprit = ruleOnlyInactiveDenies, true, firstInactiveDeny
	}
	return v
}

func first(cur, w *Window) *Window {
	if cur == nil {
		return w
	}
	return cur
}

// decide adds syncOverrun to base: a running operation that was allowed when
// it started may go on when every window now blocking it (the active denies,
// or the inactive allows) has syncOverrun.
func (e *evaluator) decide(active []bool) verdict {
	v := e.base(active)
	if v.can || e.started == nil {
		return v
	}
	if !e.allowedAtStart() {
		v.why = "the running operation was not allowed when it started at " + formatTime(*e.started)
		return v
	}
	for i, w := range e.windows {
		relevant := (v.rule == ruleActiveDeny && v.active[i] && Kind(w.Kind) == Deny) ||
			(v.rule == ruleInactiveAllows && !v.active[i] && Kind(w.Kind) == Allow)
		if relevant && !w.SyncOverrun {
			v.why = fmt.Sprintf("the running operation cannot overrun: %s has no syncOverrun", w.Label())
			return v
		}
	}
	v.can, v.overrun = true, true
	return v
}

// nextChange finds the next instant after at where the decision differs
// from can. Only window openings and closings can change it, so it steps
// from one to the next, recomputing only the window that changed.
// active holds each window's activity at at; it is updated in place.
func (e *evaluator) nextChange(at time.Time, can bool, active []bool) (time.Time, bool) {
	if len(e.windows) == 0 {
		return time.Time{}, false
	}
	limit := at.Add(Horizon)
	toggles := make([]time.Time, len(e.windows))
	has := make([]bool, len(e.windows))
	for i, w := range e.windows {
		toggles[i], has[i] = w.toggleAfter(at, active[i], limit)
	}
	for {
		soonest := -1
		for i := range toggles {
			if has[i] && (soonest < 0 || toggles[i].Before(toggles[soonest])) {
				soonest = i
			}
		}
		if soonest < 0 {
			return time.Time{}, false
		}
		t := toggles[soonest]
		for i, w := range e.windows {
			if has[i] && toggles[i].Equal(t) {
				active[i] = !active[i]
				toggles[i], has[i] = w.toggleAfter(t, active[i], limit)
			}
		}
		if e.decide(active).can != can {
			return t, true
		}
	}
}

// since finds the latest instant at or before at where the decision
// became can, stepping back over window boundaries.
func (e *evaluator) since(at time.Time, can bool, active []bool) (time.Time, bool) {
	floor := at.Add(-Horizon)
	toggles := make([]time.Time, len(e.windows))
	has := make([]bool, len(e.windows))
	for i, w := range e.windows {
		toggles[i], has[i] = w.lastToggle(at, active[i], floor)
	}
	for {
		latest := -1
		for i := range toggles {
			if has[i] && (latest < 0 || toggles[i].After(toggles[latest])) {
				latest = i
			}
		}
		if latest < 0 {
			return time.Time{}, false
		}
		t := toggles[latest]
		before := t.Add(-time.Nanosecond)
		for i, w := range e.windows {
			if has[i] && toggles[i].Equal(t) {
				active[i] = !active[i]
				toggles[i], has[i] = w.lastToggle(before, active[i], floor)
			}
		}
		if e.decide(active).can != can {
			return t, true
		}
	}
}

// explain words the verdict at t for a person on call: short and exact.
func (e *evaluator) explain(v verdict, t time.Time) string {
	limit := t.Add(Horizon)
	var s string
	switch v.rule {
	case ruleNoWindows:
		return "no sync window applies"
	case ruleActiveDeny:
		s = v.culprit.Label() + " is active" + until(v.culprit.activeUntil(t, limit))
		if v.can && !v.overrun {
			s += "; manual sync is allowed by every active deny window"
		}
	case ruleActiveAllow:
		s = v.culprit.Label() + " is active" + until(v.culprit.activeUntil(t, limit))
	case ruleInactiveAllows:
		soonest, at := e.soonestOpening(Allow, v.active, t, limit)
		if soonest == nil {
			s = "no allow window is active and none opens within a year"
		} else {
			s = "no allow window is active; " + soonest.Label() + " opens at " + formatTime(at)
		}
		if v.can && !v.overrun {
			s += "; manual sync is allowed by every inactive allow window"
		}
	case ruleOnlyInactiveDenies:
		s = "no deny window is active"
		if soonest, at := e.soonestOpening(Deny, v.active, t, limit); soonest != nil {
			s += "; " + soonest.Label() + " opens at " + formatTime(at)
		}
	}
	if v.overrun {
		s += "; the running operation started at " + formatTime(*e.started) + " goes on (syncOverrun)"
	}
	if v.why != "" {
		s += "; " + v.why
	}
	return s
}

// soonestOpening finds the inactive window of kind that opens first after t.
func (e *evaluator) soonestOpening(kind Kind, active []bool, t, limit time.Time) (*Window, time.Time) {
	var soonest *Window
	var at time.Time
	for i, w := range e.windows {
		if Kind(w.Kind) != kind || active[i] {
			continue
		}
		if o, ok := w.opensAt(t, limit); ok && (soonest == nil || o.Before(at)) {
			soonest, at = w, o
		}
	}
	return soonest, at
}

func until(t time.Time, ok bool) string {
	if !ok {
		return " for more than a year"
	}
	return " until " + formatTime(t)
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }
