package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// profileEnv names a file `slipway serve` writes a CPU profile of its whole
// run to (stopped on SIGTERM/SIGINT). It is a measuring aid for
// bench/api's -cpuprofile, not a feature: no listener is opened, and the
// file is created 0600 and never overwritten.
const profileEnv = "SLIPWAY_CPUPROFILE"

// startProfile starts the CPU profile SLIPWAY_CPUPROFILE asks for and
// returns what stops it.
func startProfile() (stop func(), err error) {
	path := os.Getenv(profileEnv)
	if path == "" {
		return func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("%s=%s: %w (name a file that does not exist yet, or unset it)", profileEnv, path, err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", profileEnv, err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
