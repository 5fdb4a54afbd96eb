package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Set at build time by the release:
//
//	go build -ldflags "-X main.version=1.4.0 -X main.commit=$(git rev-parse HEAD) -X main.date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
//
// Without them, `slipway --version` reads what the Go toolchain recorded
// (the module version for `go install …@v1.4.0`, the VCS revision and time
// of a checkout build).
var version, commit, date string

// buildInfo is what `slipway --version` prints: Slipway's own version,
// commit and build date (`slipway version` is the versioning command).
func buildInfo() string {
	v, c, d, modified := version, commit, date, false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" && bi.Main.Version != "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if c == "" {
					c = s.Value
				}
			case "vcs.time":
				if d == "" {
					d = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true" && commit == ""
			}
		}
	}
	v = strings.TrimPrefix(or(v, "(devel)"), "v")
	if modified {
		c += " (modified)"
	}
	return fmt.Sprintf("slipway %s\ncommit: %s\nbuilt:  %s\ngo:     %s %s/%s\n", v, or(c, "unknown"), or(d, "unknown"), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
