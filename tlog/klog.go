package tlog

import (
	"flag"
	"sync"

	"k8s.io/klog/v2"
)

var quietOnce sync.Once

// quietKlog keeps Tessera's informational klog lines ("Initializing
// directory for POSIX log…") off stderr, for every program that opens a
// log; its warnings and errors still show.
func quietKlog() {
	quietOnce.Do(func() {
		fs := flag.NewFlagSet("klog", flag.ContinueOnError)
		klog.InitFlags(fs)
		fs.Set("legacy_stderr_threshold_behavior", "false")
		fs.Set("stderrthreshold", "WARNING")
	})
}
