package window

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // time zones must not depend on the host's zoneinfo: the same file decides the same way everywhere.

	"github.com/robfig/cron/v3"
)

// Kind says whether a window permits or blocks syncs while it is active.
type Kind string

const (
	// Allow windows permit syncs while active; if a target has allow windows
	// and none is active, syncs are blocked.
	Allow Kind = "allow"
	// Deny windows block syncs while active and beat any active allow window.
	Deny Kind = "deny"
)

// Spec is one sync window as written: Argo CD's SyncWindow fields with their
// JSON/YAML names, plus Slipway's one-off Start/End.
type Spec struct {
	Kind         string   `json:"kind,omitempty" yaml:"kind,omitempty"`
	Schedule     string   `json:"schedule,omitempty" yaml:"schedule,omitempty"`
	Duration     string   `json:"duration,omitempty" yaml:"duration,omitempty"`
	TimeZone     string   `json:"timeZone,omitempty" yaml:"timeZone,omitempty"`
	Applications []string `json:"applications,omitempty" yaml:"applications,omitempty"`
	Namespaces   []string `json:"namespaces,omitempty" yaml:"namespaces,omitempty"`
	Clusters     []string `json:"clusters,omitempty" yaml:"clusters,omitempty"`
	ManualSync   bool     `json:"manualSync,omitempty" yaml:"manualSync,omitempty"`
	SyncOverrun  bool     `json:"syncOverrun,omitempty" yaml:"syncOverrun,omitempty"`
	AndOperator  bool     `json:"andOperator,omitempty" yaml:"andOperator,omitempty"`
	Description  string   `json:"description,omitempty" yaml:"description,omitempty"`
	// Start and End (RFC 3339) make a one-off window covering [Start, End),
	// used instead of Schedule and Duration for dated freezes.
	Start string `json:"start,omitempty" yaml:"start,omitempty"`
	End   string `json:"end,omitempty" yaml:"end,omitempty"`
}

// Window is a compiled Spec. A window with problems stays in its Set so that
// evaluation can fail closed and name it.
type Window struct {
	Spec
	// Index is the position in the list, as Argo CD's window ids.
	Index int
	// Line is the line of the window in its source file (0 when not parsed).
	Line int
	// Problems are the reasons the window is invalid (empty when valid).
	Problems []Problem

	fieldLines map[string]int
	sched      *schedule // nil for one-off windows
	dur        time.Duration
	alwaysOn   bool      // once open never closes (see coversEverything)
	start, end time.Time // one-off windows
	apps       []*glob
	namespaces []*glob
	clusters   []*glob
	selectorOK bool
}

// Valid reports whether the window can be evaluated.
func (w *Window) Valid() bool { return len(w.Problems) == 0 }

// OneOff reports whether the window is a dated start/end window.
func (w *Window) OneOff() bool { return w.sched == nil && (w.Spec.Start != "" || w.Spec.End != "") }

// Label names the window in reasons: kind, index and timing, e.g.
// "deny window 1 (0 0 24 12 *, 48h)".
func (w *Window) Label() string {
	var timing string
	switch {
	case w.Spec.Start != "" || w.Spec.End != "":
		timing = w.Spec.Start + " to " + w.Spec.End
	default:
		timing = w.Spec.Schedule + ", " + w.Spec.Duration
		if tz := w.Spec.TimeZone; tz != "" && tz != "UTC" && tz != "Etc/UTC" {
			timing += ", " + tz
		}
	}
	kind := w.Spec.Kind
	if kind == "" {
		kind = "(no kind)"
	}
	return fmt.Sprintf("%s window %d (%s)", kind, w.Index, timing)
}

// Set is the list of windows of one project, in order. A Set is immutable
// once built, so one Set may be evaluated from many goroutines at once.
type Set struct {
	// Source names where the windows came from (a file name), for messages.
	Source  string
	Windows []*Window
}

// Compile turns specs (for instance inline in slipway.yaml) into a Set. It
// never fails: problems are recorded on each window (see Problems) so that
// evaluation fails closed and names them.
func Compile(source string, specs []Spec) *Set {
	s := &Set{Source: source}
	for i, sp := range specs {
		s.Windows = append(s.Windows, compile(i, sp, 0, nil))
	}
	return s
}

// cronParser accepts exactly what Argo CD accepts: five fields (minute, hour,
// day of month, month, day of week), no descriptors such as @daily, no
// seconds. Like Argo CD (through robfig/cron) it also accepts a
// CRON_TZ=Zone prefix.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

func compile(index int, sp Spec, line int, fieldLines map[string]int) *Window {
	w := &Window{Spec: sp, Index: index, Line: line, fieldLines: fieldLines}
	w.compileKind()
	loc := w.compileTimeZone()
	if sp.Start != "" || sp.End != "" {
		w.compileOneOff()
	} else {
		w.compileSchedule(loc)
		w.compileDuration()
	}
	w.compileSelectors()
	if w.sched != nil && w.dur > 0 {
		w.alwaysOn = coversEverything(w.sched, w.dur)
	}
	return w
}

func (w *Window) problem(field, msg string) {
	line := w.Line
	if l, ok := w.fieldLines[field]; ok {
		line = l
	}
	w.Problems = append(w.Problems, Problem{Index: w.Index, Field: field, Line: line, Message: msg})
}

func (w *Window) compileKind() {
	switch Kind(w.Spec.Kind) {
	case Allow, Deny:
	case "":
		w.problem("kind", `kind is missing: set it to "allow" or "deny"`)
	default:
		w.problem("kind", fmt.Sprintf("kind %q is not valid: use \"allow\" or \"deny\" (lower case)", w.Spec.Kind))
	}
}

func (w *Window) compileTimeZone() *time.Location {
	tz := w.Spec.TimeZone
	if tz == "" {
		return time.UTC
	}
	if tz == "Local" {
		w.problem("timeZone", `timeZone "Local" depends on the machine: name a zone such as "Europe/Berlin"`)
		return time.UTC
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		w.problem("timeZone", fmt.Sprintf("timeZone %q is not an IANA time zone (%v): use a name such as \"America/New_York\"", tz, err))
		return time.UTC
	}
	return loc
}

func (w *Window) compileSchedule(loc *time.Location) {
	spec := strings.TrimSpace(w.Spec.Schedule)
	if spec == "" {
		w.problem("schedule", `schedule is missing: give a 5-field cron expression such as "0 9 * * 1-5" (or start/end for a one-off window)`)
		return
	}
	// robfig/cron panics on a zone prefix without a following space.
	if (strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=")) && !strings.Contains(spec, " ") {
		w.problem("schedule", fmt.Sprintf("cannot parse schedule %q: a CRON_TZ= prefix needs the 5 cron fields after it", w.Spec.Schedule))
		return
	}
	parsed, err := cronParser.Parse(spec)
	if err != nil {
		w.problem("schedule", fmt.Sprintf("cannot parse schedule %q: %v: use 5 fields (minute hour day-of-month month day-of-week), e.g. \"0 9 * * 1-5\"", w.Spec.Schedule, err))
		return
	}
	ss, ok := parsed.(*cron.SpecSchedule)
	if !ok {
		w.problem("schedule", fmt.Sprintf("cannot parse schedule %q: unsupported form", w.Spec.Schedule))
		return
	}
	if ss.Location != time.Local { // CRON_TZ= prefix
		if w.Spec.TimeZone != "" && ss.Location.String() != loc.String() {
			w.problem("schedule", fmt.Sprintf("schedule zone %s contradicts timeZone %s: keep only timeZone", ss.Location, loc))
			return
		}
		loc = ss.Location
	}
	w.sched = newSchedule(ss, loc)
}

func (w *Window) compileDuration() {
	if w.Spec.Duration == "" {
		w.problem("duration", `duration is missing: give a Go duration such as "8h" or "1h30m"`)
		return
	}
	d, err := time.ParseDuration(w.Spec.Duration)
	if err != nil {
		w.problem("duration", fmt.Sprintf("cannot parse duration %q: %v: use units h, m, s (e.g. \"48h\", not \"2d\")", w.Spec.Duration, err))
		return
	}
	if d <= 0 {
		w.problem("duration", fmt.Sprintf("duration %q must be positive: a window that never lasts would never be active", w.Spec.Duration))
		return
	}
	w.dur = d
}

func (w *Window) compileOneOff() {
	if w.Spec.Schedule != "" || w.Spec.Duration != "" {
		w.problem("start", "a window has either start/end (one-off) or schedule/duration (recurring), not both")
	}
	start, errS := parseInstant(w.Spec.Start)
	if errS != nil {
		w.problem("start", fmt.Sprintf("start %q: %v", w.Spec.Start, errS))
	}
	end, errE := parseInstant(w.Spec.End)
	if errE != nil {
		w.problem("end", fmt.Sprintf("end %q: %v", w.Spec.End, errE))
	}
	if errS == nil && errE == nil && !end.After(start) {
		w.problem("end", fmt.Sprintf("end %s is not after start %s", w.Spec.End, w.Spec.Start))
	}
	w.start, w.end = start, end
}

func parseInstant(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("missing: give an RFC 3339 instant such as 2026-12-24T00:00:00Z")
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("not an RFC 3339 instant (e.g. 2026-12-24T00:00:00+01:00)")
	}
	return t.UTC(), nil
}

func (w *Window) compileSelectors() {
	w.selectorOK = true
	compileList := func(field string, patterns []string) []*glob {
		out := make([]*glob, 0, len(patterns))
		for i, p := range patterns {
			g, err := compileGlob(p)
			if err != nil {
				w.selectorOK = false
				w.problem(field, fmt.Sprintf("%s[%d] %q: %v", field, i, p, err))
				continue
			}
			out = append(out, g)
		}
		return out
	}
	w.apps = compileList("applications", w.Spec.Applications)
	w.namespaces = compileList("namespaces", w.Spec.Namespaces)
	w.clusters = compileList("clusters", w.Spec.Clusters)
}

// Target is what a window's selectors are matched against: Argo CD's
// application name and destination. Slipway maps service → application and
// environment → namespace/cluster (configurable by the caller).
type Target struct {
	Application   string `json:"application"`
	Namespace     string `json:"namespace"`
	ClusterName   string `json:"clusterName"`
	ClusterServer string `json:"clusterServer"`
}

// Matches reports whether the window applies to t, exactly as Argo CD's
// SyncWindows.Matches: selectors are globs; applications, clusters and
// namespaces are OR-ed unless andOperator, when every selector that is set
// must match; a cluster pattern matches the destination's name or server
// (each only when non-empty); a window with no selector matches nothing.
func (w *Window) Matches(t Target) bool {
	if !w.selectorOK {
		return false
	}
	type check struct {
		set     bool
		matched bool
	}
	checks := [3]check{
		{len(w.apps) > 0, anyGlob(w.apps, t.Application)},
		{len(w.clusters) > 0, (t.ClusterName != "" && anyGlob(w.clusters, t.ClusterName)) ||
			(t.ClusterServer != "" && anyGlob(w.clusters, t.ClusterServer))},
		{len(w.namespaces) > 0, anyGlob(w.namespaces, t.Namespace)},
	}
	anySet := false
	for _, c := range checks {
		if !c.set {
			continue
		}
		anySet = true
		if w.AndOperator && !c.matched {
			return false
		}
		if !w.AndOperator && c.matched {
			return true
		}
	}
	return w.AndOperator && anySet
}

func anyGlob(gs []*glob, s string) bool {
	for _, g := range gs {
		if g.match(s) {
			return true
		}
	}
	return false
}
