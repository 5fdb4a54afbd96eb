// Command slipway is the release orchestrator's CLI. It only wires packages
// together: every behaviour lives in a library package.
package main

import (
	"fmt"
	"os"
	"runtime/debug"
)

func main() {
	tuneGC()
	root := newRootCmd()
	root.Version = buildInfo() // --version; `slipway version` stays the versioning command
	root.SetVersionTemplate("{{.Version}}")
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "slipway:", err)
		os.Exit(exitCode(err))
	}
}

// tuneGC trades memory the CLI has for CPU it lacks: a short-lived process
// reading 100k commits spends a fifth of its time collecting garbage at the
// default GOGC=100. Collect four times less often, but never let the heap
// pass 64 MiB (peak RSS stays under 100 MiB). GOGC / GOMEMLIMIT in the
// environment still win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(64 << 20)
	}
}
