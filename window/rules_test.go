package window

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestMatches follows Argo CD's SyncWindows.Matches rule for rule.
func TestMatches(t *testing.T) {
	target := Target{Application: "payments-api", Namespace: "prod", ClusterName: "eu-1", ClusterServer: "https://10.0.0.1:6443"}
	cases := []struct {
		name string
		spec Spec
		t    Target
		want bool
	}{
		{"no selector matches nothing", Spec{}, target, false},
		{"no selector with andOperator matches nothing", Spec{AndOperator: true}, target, false},
		{"app glob", Spec{Applications: []string{"payments-*"}}, target, true},
		{"app literal miss", Spec{Applications: []string{"payments"}}, target, false},
		{"app star", Spec{Applications: []string{"*"}}, target, true},
		{"app question mark", Spec{Applications: []string{"payments-ap?"}}, target, true},
		{"app class", Spec{Applications: []string{"[op]ayments-api"}}, target, true},
		{"app negated class", Spec{Applications: []string{"[!p]ayments-api"}}, target, false},
		{"app alternatives", Spec{Applications: []string{"{billing,payments}-api"}}, target, true},
		{"OR: app misses, namespace matches", Spec{Applications: []string{"web"}, Namespaces: []string{"prod"}}, target, true},
		{"OR: all miss", Spec{Applications: []string{"web"}, Namespaces: []string{"dev"}}, target, false},
		{"AND: app matches, namespace misses", Spec{Applications: []string{"payments-*"}, Namespaces: []string{"dev"}, AndOperator: true}, target, false},
		{"AND: all set match", Spec{Applications: []string{"payments-*"}, Namespaces: []string{"pr*"}, Clusters: []string{"eu-*"}, AndOperator: true}, target, true},
		{"AND: unset selectors are ignored", Spec{Namespaces: []string{"prod"}, AndOperator: true}, target, true},
		{"cluster by name", Spec{Clusters: []string{"eu-1"}}, target, true},
		{"cluster by server", Spec{Clusters: []string{"https://10.0.0.1:6443"}}, target, true},
		{"cluster star does not match an empty destination", Spec{Clusters: []string{"*"}}, Target{Application: "a"}, false},
		{"namespace star matches an empty namespace", Spec{Namespaces: []string{"*"}}, Target{Application: "a"}, true},
		{"glob is anchored", Spec{Applications: []string{"payments"}}, Target{Application: "payments-api"}, false},
		{"* spans slashes", Spec{Clusters: []string{"https://*"}}, target, true},
	}
	for _, c := range cases {
		c.spec.Kind, c.spec.Schedule, c.spec.Duration = "allow", "0 0 * * *", "1h"
		w := Compile("test", []Spec{c.spec}).Windows[0]
		if !w.Valid() {
			t.Fatalf("%s: %v", c.name, w.Problems)
		}
		if got := w.Matches(c.t); got != c.want {
			t.Errorf("%s: Matches = %v, want %v", c.name, got, c.want)
		}
	}
}

// always and never are windows whose activity does not depend on the
// instant (in the tests' range), to pin the decision rules.
func always(kind string) Spec {
	return Spec{Kind: kind, Schedule: "* * * * *", Duration: "2m", Applications: []string{"*"}}
}

func never(kind string) Spec {
	return Spec{Kind: kind, Schedule: "0 0 1 1 *", Duration: "1m", Applications: []string{"*"}}
}

func with(s Spec, f func(*Spec)) Spec { f(&s); return s }

func manual(s *Spec)  { s.ManualSync = true }
func overrun(s *Spec) { s.SyncOverrun = true }

// TestCanSync covers Argo CD's CanSync and the manualSync rule.
func TestCanSync(t *testing.T) {
	now := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		specs  []Spec
		manual bool
		want   bool
		reason string
	}{
		{"no windows", nil, false, true, "no sync window applies"},
		{"no matching window", []Spec{with(always("deny"), func(s *Spec) { s.Applications = []string{"other"} })}, false, true, "no sync window applies"},
		{"active deny blocks", []Spec{always("deny")}, false, false, "deny window 0"},
		{"active deny beats active allow", []Spec{always("allow"), always("deny")}, false, false, "deny window 1"},
		{"active allow permits", []Spec{always("allow")}, false, true, "allow window 0"},
		{"active allow permits despite inactive allow", []Spec{never("allow"), always("allow")}, false, true, "allow window 1"},
		{"inactive allows block", []Spec{never("allow")}, false, false, "no allow window is active"},
		{"inactive deny does nothing", []Spec{never("deny")}, false, true, "no deny window is active"},
		{"manual through deny with manualSync", []Spec{with(always("deny"), manual)}, true, true, "manual sync is allowed"},
		{"automatic blocked by deny with manualSync", []Spec{with(always("deny"), manual)}, false, false, "deny window 0"},
		{"manual needs every active deny", []Spec{with(always("deny"), manual), always("deny")}, true, false, "deny window 1"},
		{"inactive deny without manualSync is not relevant", []Spec{with(always("deny"), manual), never("deny")}, true, true, ""},
		{"manual through inactive allows with manualSync", []Spec{with(never("allow"), manual)}, true, true, "manual sync is allowed by every inactive allow"},
		{"manual needs every inactive allow", []Spec{with(never("allow"), manual), never("allow")}, true, false, ""},
		{"manual through inactive allow, active allow irrelevant", []Spec{with(never("allow"), manual), never("deny")}, true, true, ""},
	}
	for _, c := range cases {
		d := Compile("test", c.specs).Evaluate(Query{Target: Target{Application: "app"}, At: now, Manual: c.manual})
		if d.Error != "" {
			t.Fatalf("%s: %s", c.name, d.Error)
		}
		if d.CanSync != c.want {
			t.Errorf("%s: CanSync = %v, want %v (%s)", c.name, d.CanSync, c.want, d.Reason)
		}
		if !strings.Contains(d.Reason, c.reason) {
			t.Errorf("%s: reason %q does not mention %q", c.name, d.Reason, c.reason)
		}
	}
}

// TestSyncOverrun: a running operation goes on only if it was allowed when
// it started and every window now blocking it has syncOverrun.
func TestSyncOverrun(t *testing.T) {
	workday := Spec{Kind: "allow", Schedule: "0 9 * * *", Duration: "8h", Applications: []string{"*"}}
	freeze := Spec{Kind: "deny", Schedule: "0 12 * * *", Duration: "1h", Applications: []string{"*"}}
	at10 := time.Date(2026, 6, 10, 10, 0, 0, 0, time.UTC)
	at1230 := time.Date(2026, 6, 10, 12, 30, 0, 0, time.UTC)
	at18 := time.Date(2026, 6, 10, 18, 0, 0, 0, time.UTC)
	at8 := time.Date(2026, 6, 10, 8, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		specs   []Spec
		started *time.Time
		at      time.Time
		want    bool
		reason  string
	}{
		{"allow ended, no operation", []Spec{with(workday, overrun)}, nil, at18, false, ""},
		{"allow ended, operation started inside, allow has syncOverrun", []Spec{with(workday, overrun)}, &at10, at18, true, "syncOverrun"},
		{"allow ended, allow without syncOverrun", []Spec{workday}, &at10, at18, false, "has no syncOverrun"},
		{"operation started while blocked", []Spec{with(workday, overrun)}, &at8, at18, false, "was not allowed when it started"},
		{"deny opened during operation, deny has syncOverrun", []Spec{workday, with(freeze, overrun)}, &at10, at1230, true, "syncOverrun"},
		{"deny opened during operation, deny without syncOverrun", []Spec{workday, freeze}, &at10, at1230, false, "deny window 1 (0 12 * * *, 1h) has no syncOverrun"},
		{"every active deny needs syncOverrun", []Spec{workday, with(freeze, overrun), freeze}, &at10, at1230, false, "deny window 2"},
	}
	for _, c := range cases {
		d := Compile("test", c.specs).Evaluate(Query{Target: Target{Application: "app"}, At: c.at, OperationStartedAt: c.started})
		if d.CanSync != c.want {
			t.Errorf("%s: CanSync = %v, want %v (%s)", c.name, d.CanSync, c.want, d.Reason)
		}
		if !strings.Contains(d.Reason, c.reason) {
			t.Errorf("%s: reason %q does not mention %q", c.name, d.Reason, c.reason)
		}
	}
}

// TestActiveInterval: a window covers [start, start+duration), including
// across midnight and across DST changes (elapsed time), with cron evaluated
// in the window's zone at each firing.
func TestActiveInterval(t *testing.T) {
	cases := []struct {
		name string
		spec Spec
		at   string
		want bool
	}{
		{"exact opening instant", Spec{Schedule: "0 9 * * *", Duration: "1h"}, "2026-06-10T09:00:00Z", true},
		{"one nanosecond before opening", Spec{Schedule: "0 9 * * *", Duration: "1h"}, "2026-06-10T08:59:59.999999999Z", false},
		{"last nanosecond", Spec{Schedule: "0 9 * * *", Duration: "1h"}, "2026-06-10T09:59:59.999999999Z", true},
		{"closing instant", Spec{Schedule: "0 9 * * *", Duration: "1h"}, "2026-06-10T10:00:00Z", false},
		{"spans midnight: after midnight", Spec{Schedule: "0 22 * * *", Duration: "4h"}, "2026-06-11T01:59:00Z", true},
		{"spans midnight: closed", Spec{Schedule: "0 22 * * *", Duration: "4h"}, "2026-06-11T02:00:00Z", false},
		{"Friday night into Saturday", Spec{Schedule: "0 22 * * 5", Duration: "4h"}, "2026-06-13T01:00:00Z", true},
		{"Friday window not open Saturday night", Spec{Schedule: "0 22 * * 5", Duration: "4h"}, "2026-06-13T23:00:00Z", false},
		{"overlapping firings merge", Spec{Schedule: "0 * * * *", Duration: "90m"}, "2026-06-10T12:45:00Z", true},
		{"dom and dow both set: either matches (Sunday 14th)", Spec{Schedule: "0 0 1 * 0", Duration: "1h"}, "2026-06-14T00:30:00Z", true},
		{"dom with star dow: both must match", Spec{Schedule: "0 0 1 * *", Duration: "1h"}, "2026-06-14T00:30:00Z", false},
		// New York: EST (UTC-5) until 2026-03-08 02:00, then EDT (UTC-4).
		{"NY 09:00 before spring forward is 14:00Z", Spec{Schedule: "0 9 * * *", Duration: "1h", TimeZone: "America/New_York"}, "2026-03-07T14:00:00Z", true},
		{"NY 09:00 after spring forward is 13:00Z", Spec{Schedule: "0 9 * * *", Duration: "1h", TimeZone: "America/New_York"}, "2026-03-09T13:00:00Z", true},
		{"NY 13:30Z after spring forward is 09:30 EDT", Spec{Schedule: "0 9 * * *", Duration: "1h", TimeZone: "America/New_York"}, "2026-03-09T13:30:00Z", true},
		{"NY 14:00Z after spring forward is closed", Spec{Schedule: "0 9 * * *", Duration: "1h", TimeZone: "America/New_York"}, "2026-03-09T14:00:00Z", false},
		{"NY 02:30 does not exist on spring-forward day", Spec{Schedule: "30 2 * * *", Duration: "30m", TimeZone: "America/New_York"}, "2026-03-08T07:35:00Z", false},
		{"NY 02:30 fires the next day", Spec{Schedule: "30 2 * * *", Duration: "30m", TimeZone: "America/New_York"}, "2026-03-09T06:30:00Z", true},
		// Fall back 2026-11-01 02:00 EDT -> 01:00 EST: 01:30 exists twice, fires once.
		{"NY repeated 01:30 fires at the first (EDT)", Spec{Schedule: "30 1 * * *", Duration: "30m", TimeZone: "America/New_York"}, "2026-11-01T05:30:00Z", true},
		{"NY repeated 01:30 does not fire again (EST)", Spec{Schedule: "30 1 * * *", Duration: "30m", TimeZone: "America/New_York"}, "2026-11-01T06:45:00Z", false},
		{"NY 09:00 after fall back is 14:00Z", Spec{Schedule: "0 9 * * *", Duration: "1h", TimeZone: "America/New_York"}, "2026-11-02T14:00:00Z", true},
		{"NY 09:00 after fall back, 13:00Z closed", Spec{Schedule: "0 9 * * *", Duration: "1h", TimeZone: "America/New_York"}, "2026-11-02T13:30:00Z", false},
		// Berlin: CET (UTC+1) until 2026-03-29 02:00, CEST (UTC+2) until 2026-10-25 03:00.
		{"Berlin 09:00 before summer time is 08:00Z", Spec{Schedule: "0 9 * * *", Duration: "1h", TimeZone: "Europe/Berlin"}, "2026-03-27T08:00:00Z", true},
		{"Berlin 09:00 in summer time is 07:00Z", Spec{Schedule: "0 9 * * *", Duration: "1h", TimeZone: "Europe/Berlin"}, "2026-03-30T07:00:00Z", true},
		{"Berlin 07:00Z before summer time is closed", Spec{Schedule: "0 9 * * *", Duration: "1h", TimeZone: "Europe/Berlin"}, "2026-03-27T07:30:00Z", false},
		{"Berlin duration is elapsed time across the change", Spec{Schedule: "0 1 29 3 *", Duration: "3h", TimeZone: "Europe/Berlin"}, "2026-03-29T02:59:00Z", true},
		{"Berlin 3h from 01:00 CET ends at 03:00Z (05:00 CEST)", Spec{Schedule: "0 1 29 3 *", Duration: "3h", TimeZone: "Europe/Berlin"}, "2026-03-29T03:00:00Z", false},
		{"Berlin 09:00 after winter time is 08:00Z", Spec{Schedule: "0 9 * * *", Duration: "1h", TimeZone: "Europe/Berlin"}, "2026-10-26T08:00:00Z", true},
		{"Berlin repeated 02:30 fires once (CEST)", Spec{Schedule: "30 2 25 10 *", Duration: "30m", TimeZone: "Europe/Berlin"}, "2026-10-25T00:45:00Z", true},
		{"Berlin repeated 02:30 not again (CET)", Spec{Schedule: "30 2 25 10 *", Duration: "30m", TimeZone: "Europe/Berlin"}, "2026-10-25T01:45:00Z", false},
		{"CRON_TZ prefix is honoured", Spec{Schedule: "CRON_TZ=Europe/Berlin 0 9 * * *", Duration: "1h"}, "2026-03-30T07:00:00Z", true},
		{"one-off window start", Spec{Start: "2026-12-24T00:00:00+01:00", End: "2026-12-27T00:00:00+01:00"}, "2026-12-23T23:00:00Z", true},
		{"one-off window end", Spec{Start: "2026-12-24T00:00:00+01:00", End: "2026-12-27T00:00:00+01:00"}, "2026-12-26T23:00:00Z", false},
	}
	for _, c := range cases {
		c.spec.Kind = "deny"
		c.spec.Applications = []string{"*"}
		w := Compile("test", []Spec{c.spec}).Windows[0]
		if !w.Valid() {
			t.Fatalf("%s: %v", c.name, w.Problems)
		}
		if got := w.activeAt(at(t, c.at)); got != c.want {
			t.Errorf("%s: active at %s = %v, want %v", c.name, c.at, got, c.want)
		}
	}
}

// TestNextChange: the next instant canSync flips, by window boundaries.
func TestNextChange(t *testing.T) {
	cases := []struct {
		name  string
		specs []Spec
		at    string
		want  string // "" = nil
	}{
		{"no windows never changes", nil, "2026-06-10T12:00:00Z", ""},
		{"allow that never fires", []Spec{{Kind: "allow", Schedule: "0 0 30 2 *", Duration: "1h", Applications: []string{"*"}}}, "2026-06-10T12:00:00Z", ""},
		{"deny closing", []Spec{{Kind: "deny", Schedule: "0 9 * * *", Duration: "8h", Applications: []string{"*"}}}, "2026-06-10T12:00:00Z", "2026-06-10T17:00:00Z"},
		{"deny opening", []Spec{{Kind: "deny", Schedule: "0 9 * * *", Duration: "8h", Applications: []string{"*"}}}, "2026-06-10T18:00:00Z", "2026-06-11T09:00:00Z"},
		{"merged deny runs end together", []Spec{{Kind: "deny", Schedule: "0 * * * *", Duration: "2h", Applications: []string{"*"}}}, "2026-06-10T12:00:00Z", ""},
		{"back-to-back windows do not flip", []Spec{
			{Kind: "allow", Schedule: "0 8 * * *", Duration: "4h", Applications: []string{"*"}},
			{Kind: "allow", Schedule: "0 12 * * *", Duration: "4h", Applications: []string{"*"}},
		}, "2026-06-10T09:00:00Z", "2026-06-10T16:00:00Z"},
		{"deny ends but allow is closed: wait for the allow", []Spec{
			{Kind: "allow", Schedule: "0 9 * * 1-5", Duration: "8h", Applications: []string{"*"}},
			{Kind: "deny", Start: "2026-06-10T00:00:00Z", End: "2026-06-12T20:00:00Z", Applications: []string{"*"}},
		}, "2026-06-10T10:00:00Z", "2026-06-15T09:00:00Z"},
		{"one-off deny in the future", []Spec{{Kind: "deny", Start: "2026-12-24T00:00:00Z", End: "2026-12-26T00:00:00Z", Applications: []string{"*"}}}, "2026-06-10T10:00:00Z", "2026-12-24T00:00:00Z"},
		{"one-off deny more than a year ahead", []Spec{{Kind: "deny", Start: "2028-12-24T00:00:00Z", End: "2028-12-26T00:00:00Z", Applications: []string{"*"}}}, "2026-06-10T10:00:00Z", ""},
	}
	for _, c := range cases {
		d := Compile("test", c.specs).Evaluate(Query{Target: Target{Application: "a"}, At: at(t, c.at)})
		got := ""
		if d.NextChange != nil {
			got = d.NextChange.Format(time.RFC3339)
		}
		if got != c.want {
			t.Errorf("%s: nextChange = %q, want %q (%s)", c.name, got, c.want, d.Reason)
		}
	}
}

// TestInvalidFailsClosed: an invalid window anywhere blocks every target,
// and the error names the window and field.
func TestInvalidFailsClosed(t *testing.T) {
	ok := Spec{Kind: "allow", Schedule: "* * * * *", Duration: "2m", Applications: []string{"*"}}
	cases := []struct {
		name  string
		bad   Spec
		field string
	}{
		{"bad kind", Spec{Kind: "Deny", Schedule: "0 0 * * *", Duration: "1h", Applications: []string{"x"}}, "field kind"},
		{"missing kind", Spec{Schedule: "0 0 * * *", Duration: "1h", Applications: []string{"x"}}, "field kind"},
		{"descriptor", Spec{Kind: "deny", Schedule: "@daily", Duration: "1h", Applications: []string{"x"}}, "field schedule"},
		{"six fields", Spec{Kind: "deny", Schedule: "0 0 0 * * *", Duration: "1h", Applications: []string{"x"}}, "field schedule"},
		{"day of week 7", Spec{Kind: "deny", Schedule: "0 0 * * 7", Duration: "1h", Applications: []string{"x"}}, "field schedule"},
		{"CRON_TZ without fields", Spec{Kind: "deny", Schedule: "CRON_TZ=UTC", Duration: "1h", Applications: []string{"x"}}, "field schedule"},
		{"days are not a Go duration", Spec{Kind: "deny", Schedule: "0 0 * * *", Duration: "2d", Applications: []string{"x"}}, "field duration"},
		{"zero duration", Spec{Kind: "deny", Schedule: "0 0 * * *", Duration: "0s", Applications: []string{"x"}}, "field duration"},
		{"unknown zone", Spec{Kind: "deny", Schedule: "0 0 * * *", Duration: "1h", TimeZone: "Europe/Berlín", Applications: []string{"x"}}, "field timeZone"},
		{"bad glob", Spec{Kind: "deny", Schedule: "0 0 * * *", Duration: "1h", Applications: []string{"pay[ments"}}, "field applications"},
		{"one-off end before start", Spec{Kind: "deny", Start: "2026-12-26T00:00:00Z", End: "2026-12-24T00:00:00Z", Applications: []string{"x"}}, "field end"},
		{"one-off and schedule", Spec{Kind: "deny", Start: "2026-12-24T00:00:00Z", End: "2026-12-26T00:00:00Z", Schedule: "0 0 * * *", Applications: []string{"x"}}, "field start"},
	}
	for _, c := range cases {
		d := Compile("test", []Spec{ok, c.bad}).Evaluate(Query{Target: Target{Application: "unrelated"}, At: time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)})
		if d.CanSync {
			t.Errorf("%s: CanSync = true, want fail closed", c.name)
		}
		if !strings.Contains(d.Error, "window 1 "+c.field) {
			t.Errorf("%s: error %q does not name window 1 %s", c.name, d.Error, c.field)
		}
		if d.NextChange != nil {
			t.Errorf("%s: nextChange = %v, want nil until fixed", c.name, d.NextChange)
		}
	}
}

func TestValidateWarnsDSTGapForDeny(t *testing.T) {
	set := Compile("w.yaml", []Spec{
		{Kind: "deny", Schedule: "30 2 * * 0", Duration: "1h", TimeZone: "America/New_York", Applications: []string{"*"}},
		{Kind: "allow", Schedule: "30 2 * * 0", Duration: "1h", TimeZone: "America/New_York", Applications: []string{"x"}},
		{Kind: "deny", Schedule: "30 2 * * 0", Duration: "2h", TimeZone: "Europe/Berlin", Applications: []string{"*"}},
		{Kind: "deny", Schedule: "0 9 * * *", Duration: "1h", TimeZone: "Europe/Berlin", Applications: []string{"*"}},
	})
	ps := set.Validate(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var warnings []string
	for _, p := range ps {
		if !p.Warning {
			t.Errorf("unexpected error: %v", p)
			continue
		}
		warnings = append(warnings, p.Error())
	}
	want := []string{
		"w.yaml: warning: window 0 field schedule: starts at 02:30 America/New_York, which does not exist on 2026-03-08 (DST gap)",
		"w.yaml: warning: window 2 field schedule: starts at 02:30 Europe/Berlin, which does not exist on 2026-03-29 (DST gap)",
	}
	if len(warnings) != len(want) {
		t.Fatalf("warnings = %q, want %d", warnings, len(want))
	}
	for i := range want {
		if !strings.HasPrefix(warnings[i], want[i]) {
			t.Errorf("warning %d = %q, want prefix %q", i, warnings[i], want[i])
		}
	}
}

func TestValidateArgoProjectRules(t *testing.T) {
	set := Compile("w.yaml", []Spec{
		{Kind: "deny", Schedule: "0 0 * * *", Duration: "1h"},
		{Kind: "allow", Schedule: "0 9 * * *", Duration: "8h", Applications: []string{"a"}},
		{Kind: "allow", Schedule: "0 9 * * *", Duration: "8h", Applications: []string{"b"}},
	})
	ps := set.Validate(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if len(ps) != 2 || !strings.Contains(ps[0].Error(), "window 0 field applications: the window has no applications") ||
		!strings.Contains(ps[1].Error(), "window 2 field schedule: same kind, schedule and duration as window 1") {
		t.Fatalf("problems = %v", ps)
	}
	if !HasErrors(ps) {
		t.Error("HasErrors = false")
	}
}

func TestGlobSyntax(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"a]b", "a]b", true},
		{"a}b", "a}b", true},
		{`a\*b`, "a*b", true},
		{`a\*b`, "axb", false},
		{"{a,b{c,d}}x", "bdx", true},
		{"{a,b{c,d}}x", "bx", false},
		{"a,b", "a,b", true},
		{"[a-c]", "b", true},
		{"[!a-c]", "b", false},
		{"[!a-c]", "d", true},
		{"?", "é", true},
		{"*", "", true},
	}
	for _, c := range cases {
		g, err := compileGlob(c.pattern)
		if err != nil {
			t.Fatalf("%q: %v", c.pattern, err)
		}
		if got := g.match(c.s); got != c.want {
			t.Errorf("%q matches %q = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
	for _, bad := range []string{"[abc", "{a,b", `abc\`, "[]", "[c-a]"} {
		if _, err := compileGlob(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestCanSyncArgoCases replays the combinations Argo CD's own CanSync tests
// cover (active/inactive × allow/deny × manualSync, manual or automatic).
func TestCanSyncArgoCases(t *testing.T) {
	type w struct {
		kind           string
		active, manual bool
	}
	now := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		windows []w
		manual  bool
		want    bool
	}{
		{[]w{{"deny", false, true}}, true, true},
		{[]w{{"deny", false, false}}, true, true},
		{[]w{{"allow", false, true}, {"allow", false, false}}, true, false},
		{[]w{{"allow", true, true}}, true, true},
		{[]w{{"allow", true, false}}, true, true},
		{[]w{{"allow", true, false}}, false, true},
		{[]w{{"allow", true, false}, {"deny", false, false}}, true, true},
		{[]w{{"allow", true, false}, {"deny", false, false}}, false, true},
		{[]w{{"allow", false, false}}, true, false},
		{[]w{{"allow", false, false}}, false, false},
		{[]w{{"allow", false, true}}, true, true},
		{[]w{{"allow", false, true}}, false, false},
		{[]w{{"allow", false, false}, {"deny", false, false}}, true, false},
		{[]w{{"allow", false, false}, {"deny", false, false}}, false, false},
		{[]w{{"allow", true, false}, {"allow", false, false}}, false, true},
		{[]w{{"deny", true, false}}, true, false},
		{[]w{{"deny", true, false}}, false, false},
		{[]w{{"deny", true, true}}, true, true},
		{[]w{{"deny", true, true}}, false, false},
		{[]w{{"deny", true, true}, {"deny", true, true}, {"deny", true, true}, {"deny", true, false}}, true, false},
		{[]w{{"deny", true, true}, {"deny", true, true}, {"deny", true, true}, {"deny", true, false}}, false, false},
		{[]w{{"allow", true, false}, {"deny", true, false}}, true, false},
		{[]w{{"allow", true, false}, {"deny", true, true}}, true, true},
		{[]w{{"allow", true, false}, {"deny", true, true}}, false, false},
	}
	for i, c := range cases {
		var specs []Spec
		for _, x := range c.windows {
			s := never(x.kind)
			if x.active {
				s = always(x.kind)
			}
			s.ManualSync = x.manual
			s.Duration += fmt.Sprintf("%ds", len(specs)) // distinct, as Argo CD requires
			specs = append(specs, s)
		}
		d := Compile("argo", specs).Evaluate(Query{Target: Target{Application: "app1"}, At: now, Manual: c.manual})
		if d.CanSync != c.want {
			t.Errorf("case %d %+v manual=%v: CanSync = %v, want %v (%s)", i, c.windows, c.manual, d.CanSync, c.want, d.Reason)
		}
	}
}
