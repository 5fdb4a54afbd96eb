package window

import "time"

// activeAt reports whether a valid window covers t. A recurring window
// covers [s, s+duration) for every firing s, so it is active exactly when the
// latest firing at or before t is less than duration ago.
func (w *Window) activeAt(t time.Time) bool {
	if w.sched == nil {
		return !t.Before(w.start) && t.Before(w.end)
	}
	_, ok := w.sched.prev(t, t.Add(-w.dur))
	return ok
}

// activeUntil returns the first instant after t at which a window active at t
// is no longer active: overlapping or touching occurrences merge.
func (w *Window) activeUntil(t, limit time.Time) (time.Time, bool) {
	if w.sched == nil {
		return w.end, true
	}
	if w.alwaysOn {
		return time.Time{}, false
	}
	s, ok := w.sched.prev(t, t.Add(-w.dur))
	if !ok {
		return t, true
	}
	end := s.Add(w.dur)
	for !end.After(limit) {
		// The latest firing in (end-dur, end] extends the run past end.
		p, ok := w.sched.prev(end, end.Add(-w.dur))
		if !ok || !p.Add(w.dur).After(end) {
			return end, true
		}
		end = p.Add(w.dur)
	}
	return time.Time{}, false
}

// opensAt returns the first instant after t at which a window inactive at t
// becomes active, if before limit.
func (w *Window) opensAt(t, limit time.Time) (time.Time, bool) {
	if w.sched == nil {
		if t.Before(w.start) && !w.start.After(limit) {
			return w.start, true
		}
		return time.Time{}, false
	}
	return w.sched.next(t, limit)
}

// toggleAfter returns the first instant after t at which the window's
// activity changes, given whether it is active at t.
func (w *Window) toggleAfter(t time.Time, active bool, limit time.Time) (time.Time, bool) {
	if active {
		return w.activeUntil(t, limit)
	}
	return w.opensAt(t, limit)
}

// dstSlack bounds how much a DST change can lengthen the elapsed time
// between two firings (a skipped hour, Lord Howe's half hour, Troll's two).
const dstSlack = 3 * time.Hour

// coversEverything reports whether a recurring window, once open, never
// closes: it fires every day and its duration outlasts the longest gap
// between firings. activeUntil uses it to avoid walking a year of firings.
func coversEverything(s *schedule, dur time.Duration) bool {
	if s.dom&starBit == 0 || s.dow&starBit == 0 || s.month&starBit == 0 {
		return false
	}
	var firstMin, lastMin, prevMin, maxGap = -1, -1, -1, 0
	for h := 0; h < 24; h++ {
		if s.hour&(1<<uint(h)) == 0 {
			continue
		}
		for mi := 0; mi < 60; mi++ {
			if s.minute&(1<<uint(mi)) == 0 {
				continue
			}
			m := h*60 + mi
			if firstMin < 0 {
				firstMin = m
			}
			if prevMin >= 0 && m-prevMin > maxGap {
				maxGap = m - prevMin
			}
			prevMin, lastMin = m, m
		}
	}
	if firstMin < 0 {
		return false
	}
	if wrap := firstMin + 24*60 - lastMin; wrap > maxGap {
		maxGap = wrap
	}
	slack := dstSlack
	if s.loc == time.UTC {
		slack = 0
	}
	return dur >= time.Duration(maxGap)*time.Minute+slack
}

// lastToggle returns the latest instant at or before t at which the
// window's activity changed (its activity, active, is constant on
// [toggle, t]), if not before floor.
func (w *Window) lastToggle(t time.Time, active bool, floor time.Time) (time.Time, bool) {
	if w.sched == nil {
		switch {
		case t.Before(w.start):
			return time.Time{}, false
		case t.Before(w.end):
			return w.start, !w.start.Before(floor)
		default:
			return w.end, !w.end.Before(floor)
		}
	}
	if !active {
		// The latest firing's run ended at p+dur (nothing later extends it).
		p, ok := w.sched.prev(t, floor.Add(-w.dur))
		if !ok || p.Add(w.dur).Before(floor) {
			return time.Time{}, false
		}
		return p.Add(w.dur), true
	}
	if w.alwaysOn {
		return time.Time{}, false
	}
	s, _ := w.sched.prev(t, t.Add(-w.dur))
	for !s.Before(floor) {
		// An earlier firing in [s-dur, s) keeps the run contiguous before s.
		p, ok := w.sched.prev(s.Add(-time.Nanosecond), s.Add(-w.dur-time.Nanosecond))
		if !ok {
			return s, true
		}
		s = p
	}
	return time.Time{}, false
}
