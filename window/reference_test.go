package window

import (
	"math/rand"
	"sort"
	"testing"
	"time"
)

// isFiring is a brute-force definition of a firing: the instant's wall
// clock in the zone matches the cron fields, and no earlier instant had the
// same wall clock (a repeated wall time fires once).
func isFiring(s *schedule, m time.Time) bool {
	w := m.In(s.loc)
	if w.Second() != 0 || w.Nanosecond() != 0 {
		return false
	}
	d := civil{w.Year(), w.Month(), w.Day()}
	if !s.dayMatches(d, w.Weekday()) || s.hour&(1<<uint(w.Hour())) == 0 || s.minute&(1<<uint(w.Minute())) == 0 {
		return false
	}
	for _, back := range []time.Duration{30 * time.Minute, time.Hour, 2 * time.Hour} {
		if e := m.Add(-back).In(s.loc); e.Hour() == w.Hour() && e.Minute() == w.Minute() && e.Day() == w.Day() {
			return false
		}
	}
	return true
}

// bruteFirings lists every firing in [from, to) by testing each minute.
func bruteFirings(s *schedule, from, to time.Time) []time.Time {
	var out []time.Time
	for m := from.Truncate(time.Minute); m.Before(to); m = m.Add(time.Minute) {
		if isFiring(s, m) {
			out = append(out, m)
		}
	}
	return out
}

// bruteActive: some firing in (t-dur, t].
func bruteActive(firings []time.Time, dur time.Duration, t time.Time) bool {
	i := sort.Search(len(firings), func(i int) bool { return firings[i].After(t) })
	return i > 0 && firings[i-1].After(t.Add(-dur))
}

// TestScheduleAgainstBruteForce compares activity and nextChange with a
// minute-by-minute reference around the 2026 DST changes of New York and
// Berlin.
func TestScheduleAgainstBruteForce(t *testing.T) {
	schedules := []string{"0 9 * * *", "30 2 * * *", "30 1 * * *", "*/20 1-3 * * *", "0 22 * * 5", "15 0 * * 0", "0 */6 1,8 * 1"}
	durations := []string{"30m", "1h", "2h30m", "26h"}
	zones := []string{"America/New_York", "Europe/Berlin", "UTC"}
	around := []time.Time{
		time.Date(2026, 3, 7, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 28, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 10, 24, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC),
	}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 300; i++ {
		spec := Spec{Kind: "deny", Applications: []string{"*"},
			Schedule: schedules[rng.Intn(len(schedules))], Duration: durations[rng.Intn(len(durations))], TimeZone: zones[rng.Intn(len(zones))]}
		set := Compile("ref", []Spec{spec})
		w := set.Windows[0]
		base := around[rng.Intn(len(around))]
		t0 := base.Add(time.Duration(rng.Int63n(int64(72 * time.Hour)))).Truncate(time.Second)
		firings := bruteFirings(w.sched, t0.Add(-w.dur-73*time.Hour), t0.Add(73*time.Hour))
		if got, want := w.activeAt(t0), bruteActive(firings, w.dur, t0); got != want {
			t.Fatalf("%+v at %s: active = %v, brute force %v", spec, t0, got, want)
		}
		d := set.Evaluate(Query{Target: Target{Application: "a"}, At: t0})
		// Reference next change: first minute (or sub-minute boundary) after
		// t0 where activity differs, within 3 days.
		var want *time.Time
		cur := bruteActive(firings, w.dur, t0)
		for m := t0.Truncate(time.Minute).Add(time.Minute); m.Before(t0.Add(72 * time.Hour)); m = m.Add(time.Minute) {
			if bruteActive(firings, w.dur, m) != cur {
				mm := m
				want = &mm
				break
			}
		}
		// Reference since: the latest minute boundary at or before t0 where
		// activity changed, within 3 days.
		var wantSince *time.Time
		for m := t0.Truncate(time.Minute); m.After(t0.Add(-72 * time.Hour)); m = m.Add(-time.Minute) {
			if bruteActive(firings, w.dur, m.Add(-time.Nanosecond)) != cur {
				mm := m
				wantSince = &mm
				break
			}
		}
		if wantSince != nil && (d.Since == nil || !d.Since.Equal(*wantSince)) {
			t.Fatalf("%+v at %s: since = %v, brute force %v", spec, t0, d.Since, wantSince)
		}
		if want == nil {
			continue // beyond the reference horizon
		}
		if d.NextChange == nil || !d.NextChange.Equal(*want) {
			t.Fatalf("%+v at %s: nextChange = %v, brute force %v", spec, t0, d.NextChange, want)
		}
	}
}
