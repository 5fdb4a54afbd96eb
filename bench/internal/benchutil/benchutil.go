// Package benchutil holds what the bench/ commands share: the machine's
// load (figures mean little without it) and timing with CPU time.
package benchutil

import (
	"os"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

// LoadAvg is the machine's 1, 5 and 15 minute load averages.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// Measure runs f runs times and returns its wall times, sorted, and the
// best CPU time of this process (user + system, all threads): on a shared
// machine the CPU time says what an idle one would take. It stops at the
// first error.
func Measure(runs int, f func() error) ([]time.Duration, time.Duration, error) {
	var ds []time.Duration
	bestCPU := time.Duration(1<<63 - 1)
	for range runs {
		runtime.GC()
		cpu0 := CPUTime()
		start := time.Now()
		if err := f(); err != nil {
			return nil, 0, err
		}
		ds = append(ds, time.Since(start))
		bestCPU = min(bestCPU, CPUTime()-cpu0)
	}
	slices.Sort(ds)
	return ds, bestCPU, nil
}

// CPUTime is this process's user + system time so far.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
