package deprecation

import (
	"strings"
	"testing"
	"time"

	"github.com/Masterminds/semver/v3"
)

func TestParseWindow(t *testing.T) {
	good := map[string]Window{
		"": {}, "90d": {Days: 90}, "90 days": {Days: 90}, " 1 Day ": {Days: 1},
		"2 minors": {Minors: 2}, "1 minor": {Minors: 1}, "2minors": {Minors: 2},
	}
	for in, want := range good {
		if got, err := ParseWindow(in); err != nil || got != want {
			t.Errorf("ParseWindow(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"90", "d", "-1d", "0d", "3651d", "2 majors", "2.5 minors", "90h", "101 minors", "1e3d"} {
		if w, err := ParseWindow(in); err == nil || !strings.Contains(err.Error(), "write a number of days") {
			t.Errorf("ParseWindow(%q) = %+v, %v; want a refusal saying what to write", in, w, err)
		}
	}
}

func FuzzParseWindow(f *testing.F) {
	for _, s := range []string{"90d", "2 minors", "1 minor", "", "x", "99999999999999999999d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, err := ParseWindow(s)
		if err != nil {
			return
		}
		if w.Days < 0 || w.Days > maxDays || w.Minors < 0 || w.Minors > maxMinors || w.Days > 0 && w.Minors > 0 {
			t.Fatalf("%q: %+v out of bounds", s, w)
		}
		if back, err := ParseWindow(w.String()); err != nil || back != w {
			t.Fatalf("%q: %+v does not read back (%+v, %v)", s, w, back, err)
		}
	})
}

func versions(vs ...string) []*semver.Version {
	var out []*semver.Version
	for _, v := range vs {
		out = append(out, semver.MustParse(v))
	}
	return out
}

func TestWindowDue(t *testing.T) {
	dep := Entry{ID: "orders-v1", What: "the /v1/orders endpoint", Since: "1.3.0", Date: "2026-12-01"}
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d.Add(15 * time.Hour) }
	released := versions("1.2.0", "1.3.0", "1.3.1", "1.4.0", "1.4.1", "1.2.9", "1.5.0-rc.1")
	tests := []struct {
		name    string
		w       Window
		e       Entry
		version string
		date    string
		ok      bool
		when    string
	}{
		{"days: too early", Window{Days: 90}, dep, "2.0.0", "2027-02-28", false, "from 2027-03-01 (policy deprecationWindow 90d after 2026-12-01)"},
		{"days: on the day", Window{Days: 90}, dep, "2.0.0", "2027-03-01", true, ""},
		{"minors: one line so far", Window{Minors: 2}, dep, "2.0.0", "2027-06-01", false, "after 2 minor releases since 1.3.0 (policy deprecationWindow; 1 so far: 1.4.0)"},
		{"minors: none so far", Window{Minors: 1}, dep, "1.3.2", "2027-06-01", false, "after 1 minor release since 1.3.0 (policy deprecationWindow; none so far)"},
		{"minors: the removing release is not counted", Window{Minors: 1}, dep, "1.4.0", "2027-06-01", false, "none so far"},
		{"minors: enough", Window{Minors: 1}, dep, "2.0.0", "2027-06-01", true, ""},
		{"promise version holds", Window{Days: 1}, withPromise(dep, "2.0.0"), "2.0.0", "2027-06-01", false, "in a version after 2.0.0 (the deprecation's promise)"},
		{"promise version passed", Window{Days: 1}, withPromise(dep, "2.0.0"), "3.0.0", "2027-06-01", true, ""},
		{"promise date holds through the day", Window{Days: 1}, withPromise(dep, "2027-03-01"), "2.0.0", "2027-03-01", false, "after 2027-03-01 (the deprecation's promise)"},
		{"promise date passed", Window{Days: 1}, withPromise(dep, "2027-03-01"), "2.0.0", "2027-03-02", true, ""},
		{"both conditions named", Window{Days: 90}, withPromise(dep, "2.0.0"), "2.0.0", "2027-01-01", false, "from 2027-03-01 (policy deprecationWindow 90d after 2026-12-01) and in a version after 2.0.0"},
	}
	for _, tt := range tests {
		ok, when := tt.w.Due(tt.e, Removal{Version: semver.MustParse(tt.version), Date: day(tt.date), Released: released})
		if ok != tt.ok || !strings.Contains(when, tt.when) || ok && when != "" {
			t.Errorf("%s: Due = %v %q; want %v %q", tt.name, ok, when, tt.ok, tt.when)
		}
	}
}

func withPromise(e Entry, p string) Entry {
	e.RemoveAfter = p
	return e
}
