package window

import (
	"time"

	"github.com/robfig/cron/v3"
)

// starBit is robfig/cron's marker for a field written as "*" (or "?"); it
// decides how day-of-month and day-of-week combine (see dayMatches).
const starBit = 1 << 63

// searchYears bounds how far a schedule is searched for a firing, as
// robfig/cron does (5 years): a schedule such as "0 0 30 2 *" never fires.
const searchYears = 5

// schedule evaluates a parsed 5-field cron expression in a time zone at
// the wall-clock times it names. A wall-clock time that does not exist (a
// DST gap) does not fire; one that happens twice (clocks going back) fires
// once, at its first occurrence. Firings are therefore strictly increasing
// instants, which lets next and prev scan in wall-clock order.
type schedule struct {
	minute, hour, dom, month, dow uint64
	loc                           *time.Location
}

func newSchedule(s *cron.SpecSchedule, loc *time.Location) *schedule {
	return &schedule{minute: s.Minute, hour: s.Hour, dom: s.Dom, month: s.Month, dow: s.Dow, loc: loc}
}

// dayMatches follows cron (and robfig/cron): when either day field is "*",
// both must match; when both are restricted, either may match.
func (s *schedule) dayMatches(d civil, wd time.Weekday) bool {
	if s.month&(1<<uint(d.m)) == 0 {
		return false
	}
	domMatch := s.dom&(1<<uint(d.d)) != 0
	dowMatch := s.dow&(1<<uint(wd)) != 0
	if s.dom&starBit != 0 || s.dow&starBit != 0 {
		return domMatch && dowMatch
	}
	return domMatch || dowMatch
}

// next returns the first firing strictly after x and not after limit.
func (s *schedule) next(x, limit time.Time) (time.Time, bool) {
	if limit.After(x.AddDate(searchYears, 0, 0)) {
		limit = x.AddDate(searchYears, 0, 0)
	}
	wx := x.In(s.loc)
	first := civilOf(wx)
	last := civilOf(limit.In(s.loc)).next()
	wd := wx.Weekday()
	for d := first; !last.before(d); d, wd = d.next(), (wd+1)%7 {
		if !s.dayMatches(d, wd) {
			continue
		}
		onFirst := d == first
		for h := 0; h < 24; h++ {
			if s.hour&(1<<uint(h)) == 0 || (onFirst && h < wx.Hour()) {
				continue
			}
			for mi := 0; mi < 60; mi++ {
				// Wall times at or before x's wall time are never after x.
				if s.minute&(1<<uint(mi)) == 0 || (onFirst && h == wx.Hour() && mi <= wx.Minute()) {
					continue
				}
				t, ok := resolve(d, h, mi, s.loc)
				if !ok || !t.After(x) {
					continue
				}
				if t.After(limit) {
					return time.Time{}, false
				}
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// prev returns the latest firing at or before x and strictly after floor.
func (s *schedule) prev(x, floor time.Time) (time.Time, bool) {
	if floor.Before(x.AddDate(-searchYears, 0, 0)) {
		floor = x.AddDate(-searchYears, 0, 0)
	}
	wx := x.In(s.loc)
	first := civilOf(wx)
	last := civilOf(floor.In(s.loc)).prev()
	// Wall times after x's are after x, unless x lies in a repeated hour
	// (clocks went back less than 3 hours ago): then resolve them all.
	_, offNow := wx.Zone()
	_, offBefore := x.Add(-3 * time.Hour).In(s.loc).Zone()
	exactWall := offNow == offBefore
	wd := wx.Weekday()
	for d := first; !d.before(last); d, wd = d.prev(), (wd+6)%7 {
		if !s.dayMatches(d, wd) {
			continue
		}
		onFirst := d == first && exactWall
		for h := 23; h >= 0; h-- {
			if s.hour&(1<<uint(h)) == 0 || (onFirst && h > wx.Hour()) {
				continue
			}
			for mi := 59; mi >= 0; mi-- {
				if s.minute&(1<<uint(mi)) == 0 || (onFirst && h == wx.Hour() && mi > wx.Minute()) {
					continue
				}
				t, ok := resolve(d, h, mi, s.loc)
				if !ok || t.After(x) {
					continue
				}
				if !t.After(floor) {
					return time.Time{}, false
				}
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// resolve returns the instant of a wall-clock time in loc: false when the
// time does not exist (DST gap), the earlier instant when it exists twice.
func resolve(d civil, h, mi int, loc *time.Location) (time.Time, bool) {
	t := time.Date(d.y, d.m, d.d, h, mi, 0, 0, loc)
	if loc == time.UTC {
		return t, true
	}
	if t.Hour() != h || t.Minute() != mi || t.Day() != d.d {
		return time.Time{}, false
	}
	start, _ := t.ZoneBounds()
	if start.IsZero() {
		return t, true
	}
	_, cur := t.Zone()
	_, before := start.Add(-time.Nanosecond).Zone()
	if before > cur { // clocks went back at start: this wall time may also exist before it
		if earlier := t.Add(-time.Duration(before-cur) * time.Second); earlier.Before(start) {
			return earlier, true
		}
	}
	return t, true
}

// gapFirings lists the wall-clock firings in [from, until) that fall in a DST
// gap of the schedule's zone, i.e. days on which the schedule silently does
// not fire. Each is reported as the instant the gap starts.
func (s *schedule) gapFirings(from, until time.Time) []gapFiring {
	var out []gapFiring
	t := from.In(s.loc)
	for t.Before(until) {
		_, end := t.ZoneBounds()
		if end.IsZero() || !end.Before(until) {
			break
		}
		_, before := end.Add(-time.Nanosecond).Zone()
		_, after := end.Zone()
		if after > before {
			// Wall times [wallStart, wallStart+gap) do not exist.
			wallStart := end.In(time.FixedZone("", before))
			gap := time.Duration(after-before) * time.Second
			for w := wallStart; w.Before(wallStart.Add(gap)); w = w.Add(time.Minute) {
				d := civil{w.Year(), w.Month(), w.Day()}
				if s.dayMatches(d, w.Weekday()) && s.hour&(1<<uint(w.Hour())) != 0 && s.minute&(1<<uint(w.Minute())) != 0 {
					out = append(out, gapFiring{day: d, hour: w.Hour(), minute: w.Minute(), at: end})
					break
				}
			}
		}
		t = end
	}
	return out
}

type gapFiring struct {
	day          civil
	hour, minute int
	at           time.Time
}

// civil is a calendar date without a zone, stepped without time.Date.
type civil struct {
	y int
	m time.Month
	d int
}

func civilOf(t time.Time) civil { y, m, d := t.Date(); return civil{y, m, d} }

func (c civil) before(o civil) bool {
	if c.y != o.y {
		return c.y < o.y
	}
	if c.m != o.m {
		return c.m < o.m
	}
	return c.d < o.d
}

func (c civil) next() civil {
	if c.d < daysIn(c.y, c.m) {
		return civil{c.y, c.m, c.d + 1}
	}
	if c.m == time.December {
		return civil{c.y + 1, time.January, 1}
	}
	return civil{c.y, c.m + 1, 1}
}

func (c civil) prev() civil {
	if c.d > 1 {
		return civil{c.y, c.m, c.d - 1}
	}
	if c.m == time.January {
		return civil{c.y - 1, time.December, 31}
	}
	return civil{c.y, c.m - 1, daysIn(c.y, c.m-1)}
}

func (c civil) String() string {
	return time.Date(c.y, c.m, c.d, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}

func daysIn(y int, m time.Month) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}
