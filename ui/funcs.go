package ui

import (
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/gate"
)

var funcs = template.FuncMap{
	"digest12": slipway.Digest12,
	"when":     when,
	"iso":      iso,
	"tone":     tone,
	"gateTone": gateTone,
	"gateWord": gateWord,
	"join":     strings.Join,
	"path":     url.PathEscape,
	"short": func(s string) string {
		if len(s) > 12 {
			return s[:12]
		}
		return s
	},
}

// when shows an instant in UTC to the minute ("" for none).
func when(t any) string {
	switch x := t.(type) {
	case time.Time:
		if x.IsZero() {
			return ""
		}
		return x.UTC().Format("2006-01-02 15:04 UTC")
	case *time.Time:
		if x == nil {
			return ""
		}
		return when(*x)
	}
	return ""
}

// iso is the datetime attribute of a <time> element.
func iso(t any) string {
	switch x := t.(type) {
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case *time.Time:
		if x == nil {
			return ""
		}
		return x.UTC().Format(time.RFC3339)
	}
	return ""
}

// gateWord is a gate's state in words, shown next to its colour.
func gateWord(s gate.State) string {
	switch s {
	case gate.Pass:
		return "passed"
	case gate.Wait:
		return "waiting"
	}
	return "failed"
}

// ago says how long before now t was, in the words of the matrix
// ("12 min ago"); the page puts the UTC instant next to it.
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now" // or a clock a little ahead of this one
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%d days ago", int(d/(24*time.Hour)))
}
