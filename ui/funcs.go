package ui

import (
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
