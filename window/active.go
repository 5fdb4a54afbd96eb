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
