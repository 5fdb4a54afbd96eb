// Package window decides whether a promotion may sync now, using Argo CD's
// sync windows (the syncWindows list of an AppProject) read verbatim.
//
// The rules are Argo CD's, rule for rule (SyncWindows.Matches, Active,
// InactiveAllows, CanSync, manualSync and syncOverrun), with three corrections
// where Argo CD is known to be wrong, each documented in docs/gates.md:
//
//   - the cron schedule is evaluated in the window's time zone with the
//     offset in force at each firing, not the offset in force "now", so a
//     09:00 Europe/Berlin window opens at 09:00 Berlin time on both sides of a
//     DST change;
//   - a window covers [start, start+duration) in elapsed time, so it is active
//     at its exact opening instant (Argo CD only from the next second);
//   - an invalid window (bad kind, schedule, duration, time zone or glob)
//     fails closed: the window set blocks every target until it is fixed,
//     where Argo CD falls back to UTC for a bad time zone.
//
// Slipway adds one-off windows (start/end in RFC 3339) for dated freezes.
//
// The package is pure: it parses bytes and evaluates at an instant passed in.
package window
