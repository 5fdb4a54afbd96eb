package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// runWindows runs the CLI in process and returns stdout and the error.
func runWindows(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

// TestWindowsCheckContract pins the worked examples of
// shared/contracts/README.md ("slipway windows check").
func TestWindowsCheckContract(t *testing.T) {
	const file = "../../window/testdata/contract.yaml"
	type win struct {
		Index                                    int
		Kind                                     string
		Matched, Active, ManualSync, SyncOverrun bool
	}
	type answer struct {
		Windows    []win
		CanSync    bool
		Reason     string
		NextChange *string
		Error      *string
	}
	cases := []struct {
		args    string
		canSync bool
		ma      string // matched/active per window, "tt tt"
		reason  string
		next    string
	}{
		{"--app payments-api --at 2026-12-24T10:00:00Z", false, "tt tt", "deny window 1 (0 0 24 12 *, 48h) is active until 2026-12-26T00:00:00Z", "2026-12-28T08:00:00Z"},
		{"--app payments-api --at 2026-12-24T10:00:00Z --manual", true, "tt tt", "", "2026-12-26T00:00:00Z"},
		{"--app web --at 2026-12-24T10:00:00Z", true, "tt ft", "", "2026-12-24T16:00:00Z"},
		{"--app web --at 2026-12-26T18:00:00Z", false, "tf ff", "", "2026-12-28T08:00:00Z"},
		{"--app web --at 2026-12-28T07:59:59Z", false, "tf ff", "", "2026-12-28T08:00:00Z"},
		{"--app web --at 2026-12-28T08:00:00Z", true, "tt ff", "", "2026-12-28T16:00:00Z"},
	}
	for _, c := range cases {
		args := append([]string{"windows", "check", "--file", file, "--output", "json"}, strings.Fields(c.args)...)
		out, err := runWindows(t, args...)
		if err != nil {
			t.Fatalf("%s: %v", c.args, err)
		}
		var a answer
		if err := json.Unmarshal([]byte(out), &a); err != nil {
			t.Fatalf("%s: %v\n%s", c.args, err, out)
		}
		if a.CanSync != c.canSync {
			t.Errorf("%s: canSync = %v, want %v", c.args, a.CanSync, c.canSync)
		}
		for i, ma := range strings.Fields(c.ma) {
			w := a.Windows[i]
			if got := string("ft"[b2i(w.Matched)]) + string("ft"[b2i(w.Active)]); got != ma || w.Index != i {
				t.Errorf("%s: window %d matched/active = %s, want %s", c.args, i, got, ma)
			}
		}
		if a.Windows[1].Kind != "deny" || !a.Windows[1].ManualSync || a.Windows[0].ManualSync {
			t.Errorf("%s: window kinds/flags wrong: %+v", c.args, a.Windows)
		}
		if c.reason != "" && a.Reason != c.reason {
			t.Errorf("%s: reason = %q, want %q", c.args, a.Reason, c.reason)
		}
		if a.NextChange == nil || *a.NextChange != c.next {
			t.Errorf("%s: nextChange = %v, want %s", c.args, a.NextChange, c.next)
		}
		if a.Error != nil {
			t.Errorf("%s: unexpected error %q", c.args, *a.Error)
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestWindowsCheckInvalidFailsClosed(t *testing.T) {
	out, err := runWindows(t, "windows", "check", "--file", "../../window/testdata/bad.yaml", "--app", "web", "--at", "2026-12-28T08:00:00Z", "--output", "json")
	if err == nil || exitCode(err) != 1 {
		t.Fatalf("err = %v, want exit 1", err)
	}
	var a struct {
		CanSync    bool    `json:"canSync"`
		Error      string  `json:"error"`
		NextChange *string `json:"nextChange"`
	}
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatal(err)
	}
	if a.CanSync || !strings.Contains(a.Error, "window 1 field duration") || a.NextChange != nil {
		t.Fatalf("answer = %+v", a)
	}
}

func TestWindowsValidate(t *testing.T) {
	out, err := runWindows(t, "windows", "validate", "--file", "../../window/testdata/bad.yaml")
	if err == nil || exitCode(err) != 1 {
		t.Fatalf("err = %v, want exit 1", err)
	}
	if !strings.Contains(out, "bad.yaml:7: window 1 field duration") || !strings.Contains(out, "bad.yaml:8: window 1 field timezone") {
		t.Fatalf("output does not name the window and fields:\n%s", out)
	}
	out, err = runWindows(t, "windows", "validate", "--file", "../../window/testdata/appproject.yaml")
	if err != nil || !strings.Contains(out, "2 sync windows, valid") {
		t.Fatalf("valid file: err %v, output %q", err, out)
	}
}

func TestWindowsCheckBadFlag(t *testing.T) {
	_, err := runWindows(t, "windows", "check", "--file", "../../window/testdata/contract.yaml", "--at", "tomorrow")
	if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "RFC 3339") {
		t.Fatalf("err = %v, want exit 2 naming RFC 3339", err)
	}
}
