package deprecation

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
)

// Window is how long a deprecated thing must stay before a release may
// remove it (slipway.yaml's policy.deprecationWindow): a number of days
// after the release that deprecated it, or a number of minor release lines
// shipped after it. The zero Window enforces nothing.
type Window struct {
	Days   int `json:"days,omitempty"`
	Minors int `json:"minors,omitempty"`
}

// Bounds keep a typo from meaning "forever".
const (
	maxDays   = 3650
	maxMinors = 100
)

// ParseWindow reads "90d" (or "90 days") and "2 minors" (or "1 minor");
// "" is the zero Window.
func ParseWindow(s string) (Window, error) {
	t := strings.ToLower(strings.Join(strings.Fields(s), " "))
	if t == "" {
		return Window{}, nil
	}
	num, unit := t, ""
	for i, r := range t {
		if r < '0' || r > '9' {
			num, unit = t[:i], strings.TrimSpace(t[i:])
			break
		}
	}
	n, err := strconv.Atoi(num)
	bad := func(why string) error {
		return fmt.Errorf("deprecation window %q %s: write a number of days (\"90d\") or of minor releases (\"2 minors\")", s, why)
	}
	if num == "" || err != nil {
		return Window{}, bad("does not start with a number")
	}
	switch unit {
	case "d", "day", "days":
		if n < 1 || n > maxDays {
			return Window{}, bad(fmt.Sprintf("is out of range (1 to %d days)", maxDays))
		}
		return Window{Days: n}, nil
	case "minor", "minors":
		if n < 1 || n > maxMinors {
			return Window{}, bad(fmt.Sprintf("is out of range (1 to %d minor releases)", maxMinors))
		}
		return Window{Minors: n}, nil
	}
	return Window{}, bad(fmt.Sprintf("has unit %q", unit))
}

// IsZero reports a window that enforces nothing.
func (w Window) IsZero() bool { return w.Days == 0 && w.Minors == 0 }

// String is the window as slipway.yaml writes it.
func (w Window) String() string {
	switch {
	case w.Days > 0:
		return strconv.Itoa(w.Days) + "d"
	case w.Minors == 1:
		return "1 minor"
	case w.Minors > 0:
		return strconv.Itoa(w.Minors) + " minors"
	}
	return ""
}

// Removal is the release that would remove a deprecated thing.
type Removal struct {
	Version *semver.Version
	Date    time.Time
	// Released are the component's stable versions tagged so far (any
	// branch): the minor lines shipped since the deprecation are counted
	// among them.
	Released []*semver.Version
}

// Due says whether e may be removed by r under w and under e's own promise
// (its removeAfter). When it may not, when says when it may, naming each
// condition that still holds it.
func (w Window) Due(e Entry, r Removal) (ok bool, when string) {
	var wait []string
	since, err := semver.StrictNewVersion(e.Since)
	if err != nil {
		return false, fmt.Sprintf("never until its since (%q) is a version: fix deprecations.yaml", e.Since)
	}
	day := r.Date.UTC().Truncate(24 * time.Hour)
	if w.Days > 0 {
		from, err := time.Parse(time.DateOnly, e.Date)
		if err != nil {
			wait = append(wait, fmt.Sprintf("never until its date (%q) is YYYY-MM-DD: fix deprecations.yaml", e.Date))
		} else if earliest := from.AddDate(0, 0, w.Days); day.Before(earliest) {
			wait = append(wait, fmt.Sprintf("from %s (policy deprecationWindow %s after %s)", earliest.Format(time.DateOnly), w, e.Date))
		}
	}
	if w.Minors > 0 {
		lines := minorLinesAfter(since, r.Version, r.Released)
		if len(lines) < w.Minors {
			so := "none so far"
			if len(lines) > 0 {
				so = fmt.Sprintf("%d so far: %s", len(lines), strings.Join(lines, ", "))
			}
			wait = append(wait, fmt.Sprintf("after %s since %s (policy deprecationWindow; %s)", plural(w.Minors, "minor release"), e.Since, so))
		}
	}
	switch promise := e.RemoveAfter; {
	case promise == "":
	case strings.Count(promise, "-") == 2 && len(promise) == len(time.DateOnly):
		if d, err := time.Parse(time.DateOnly, promise); err == nil && !day.After(d) {
			wait = append(wait, fmt.Sprintf("after %s (the deprecation's promise)", promise))
		}
	default:
		if v, err := semver.StrictNewVersion(promise); err == nil && r.Version != nil && !r.Version.GreaterThan(v) {
			wait = append(wait, fmt.Sprintf("in a version after %s (the deprecation's promise)", promise))
		}
	}
	return len(wait) == 0, strings.Join(wait, " and ")
}

// minorLinesAfter lists the release lines (x.y) shipped after since's
// line and before next, lowest first, as their first version.
func minorLinesAfter(since, next *semver.Version, released []*semver.Version) []string {
	first := map[[2]uint64]*semver.Version{}
	for _, v := range released {
		if v.Prerelease() != "" || !v.GreaterThan(since) || next != nil && !v.LessThan(next) {
			continue
		}
		line := [2]uint64{v.Major(), v.Minor()}
		if line == [2]uint64{since.Major(), since.Minor()} {
			continue
		}
		if cur, ok := first[line]; !ok || v.LessThan(cur) {
			first[line] = v
		}
	}
	var out []*semver.Version
	for _, v := range first {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b *semver.Version) int { return a.Compare(b) })
	names := make([]string, len(out))
	for i, v := range out {
		names[i] = v.String()
	}
	return names
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
