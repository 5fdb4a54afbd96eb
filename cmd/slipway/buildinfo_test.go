package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// `slipway --version` prints Slipway's own version, commit and build date;
// `slipway version` stays the versioning command.
func TestVersionFlag(t *testing.T) {
	version, commit, date = "1.4.0", "0123456789abcdef", "2026-11-28T12:00:00Z"
	defer func() { version, commit, date = "", "", "" }()
	if got := buildInfo(); !strings.HasPrefix(got, "slipway 1.4.0\ncommit: 0123456789abcdef\nbuilt:  2026-11-28T12:00:00Z\ngo:     go") {
		t.Errorf("with -ldflags: %q", got)
	}
	version, commit, date = "v1.5.0", "", ""
	if got := buildInfo(); !strings.HasPrefix(got, "slipway 1.5.0\ncommit: ") {
		t.Errorf("a v prefix is dropped: %q", got)
	}
	// The real binary (this test binary runs main()).
	cmd := exec.Command(os.Args[0], "--version")
	cmd.Env = append(os.Environ(), "SLIPWAY_TEST_AS_CLI=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "slipway ") || !strings.Contains(string(out), "\ncommit: ") || !strings.Contains(string(out), "\nbuilt:  ") {
		t.Errorf("slipway --version: %v\n%s", err, out)
	}
	cmd = exec.Command(os.Args[0], "version", "--help")
	cmd.Env = append(os.Environ(), "SLIPWAY_TEST_AS_CLI=1")
	if out, _ := cmd.CombinedOutput(); !strings.Contains(string(out), "Conventional Commits") {
		t.Errorf("slipway version is still the versioning command:\n%s", out)
	}
}
