package gate

import (
	"fmt"
	"strings"
	"time"
)

// Text renders an evaluation for `slipway why`: a headline, then one line
// per gate with its state, reason, since when and when it changes next.
// Times are UTC to the minute ("2026-12-01T09:00Z"), seconds only when the
// instant has them.
func (e *Evaluation) Text() string {
	var b strings.Builder
	verdict := "open"
	if !e.Open {
		var held []string
		for _, g := range e.Gates {
			if g.State != Pass {
				held = append(held, g.Name)
			}
		}
		verdict = "held by " + strings.Join(held, ", ")
	}
	what := short(e.Digest)
	if e.Service != "" {
		what = e.Service + " " + what
	}
	fmt.Fprintf(&b, "%s -> %s: %s\n", what, e.Env, verdict)
	width := 0
	for _, g := range e.Gates {
		width = max(width, len(g.Name))
	}
	for _, g := range e.Gates {
		fmt.Fprintf(&b, "  %-4s  %-*s  %s", g.State, width, g.Name, g.Reason)
		if g.Since != nil {
			fmt.Fprintf(&b, "; since %s", Time(*g.Since))
		}
		if g.NextChange != nil {
			fmt.Fprintf(&b, "; changes %s", Time(*g.NextChange))
		}
		b.WriteString("\n")
	}
	for _, n := range e.Notes {
		fmt.Fprintf(&b, "  note  %s\n", n)
	}
	if e.Overridden != nil {
		fmt.Fprintf(&b, "  note  break-glass override by %s at %s: %q (audited)\n", e.Overridden.User, Time(e.Overridden.At), e.Overridden.Reason)
	}
	return b.String()
}

// Time formats an instant for people: UTC, to the minute unless it has
// seconds.
func Time(t time.Time) string {
	t = t.UTC()
	if t.Second() == 0 && t.Nanosecond() == 0 {
		return t.Format("2006-01-02T15:04Z")
	}
	return t.Format(time.RFC3339)
}
