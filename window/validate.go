package window

import (
	"fmt"
	"time"
)

// Problem is something wrong (or, with Warning, risky) in one window, with
// where it is and what to do.
type Problem struct {
	Source  string `json:"source,omitempty"`
	Index   int    `json:"index"`
	Field   string `json:"field,omitempty"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
	Warning bool   `json:"warning,omitempty"`
}

func (p Problem) Error() string {
	where := ""
	if p.Source != "" {
		where = p.Source + ":"
	}
	if p.Line > 0 {
		where += fmt.Sprintf("%d:", p.Line)
	}
	if where != "" {
		where += " "
	}
	field := ""
	if p.Field != "" {
		field = " field " + p.Field
	}
	level := ""
	if p.Warning {
		level = "warning: "
	}
	return fmt.Sprintf("%s%swindow %d%s: %s", where, level, p.Index, field, p.Message)
}

// Validate lists every problem of the set: errors that make a window invalid
// (evaluation fails closed on them), errors Argo CD's project validation
// also refuses (a window without selectors, a duplicate kind+schedule+
// duration), and warnings: a deny window whose start falls in a DST gap
// within a year of from would silently not open that day.
func (s *Set) Validate(from time.Time) []Problem {
	var out []Problem
	seen := map[string]int{}
	for _, w := range s.Windows {
		out = append(out, w.Problems...)
		if len(w.Spec.Applications) == 0 && len(w.Spec.Namespaces) == 0 && len(w.Spec.Clusters) == 0 {
			out = append(out, s.problem(w, "applications", "the window has no applications, namespaces or clusters, so it applies to nothing: add a selector (\"*\" for all)", false))
		}
		key := w.Spec.Kind + "\x00" + w.Spec.Schedule + "\x00" + w.Spec.Duration + "\x00" + w.Spec.Start + "\x00" + w.Spec.End
		if prev, dup := seen[key]; dup {
			out = append(out, s.problem(w, "schedule", fmt.Sprintf("same kind, schedule and duration as window %d (Argo CD refuses duplicates): merge their selectors", prev), false))
		} else {
			seen[key] = w.Index
		}
		if w.Valid() && Kind(w.Kind) == Deny && w.sched != nil {
			for _, g := range w.sched.gapFirings(from, from.Add(Horizon)) {
				out = append(out, s.problem(w, "schedule", fmt.Sprintf(
					"starts at %02d:%02d %s, which does not exist on %s (DST gap): the deny window will not open that day; move the start out of the gap or add a one-off window",
					g.hour, g.minute, w.sched.loc, g.day), true))
			}
		}
	}
	for i := range out {
		out[i].Source = s.Source
	}
	return out
}

func (s *Set) problem(w *Window, field, msg string, warning bool) Problem {
	line := w.Line
	if l, ok := w.fieldLines[field]; ok {
		line = l
	}
	return Problem{Index: w.Index, Field: field, Line: line, Message: msg, Warning: warning}
}

// HasErrors reports whether any problem is an error rather than a warning.
func HasErrors(ps []Problem) bool {
	for _, p := range ps {
		if !p.Warning {
			return true
		}
	}
	return false
}
