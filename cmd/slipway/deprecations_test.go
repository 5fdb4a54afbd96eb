package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const sampleRegister = `deprecations:
  - id: the-v1-orders-endpoint
    component: api
    what: the /v1/orders endpoint
    since: 1.3.0
    date: "2026-12-01"
    removeAfter: 2.0.0
  - id: retries
    component: web
    what: the retries key
    since: 0.4.0
    date: "2026-10-01"
    removedIn: 1.0.0
    earlyRemoval: "nobody set it"
`

func TestDeprecationsList(t *testing.T) {
	dir := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=A", "-c", "user.email=a@example.com"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q", "-b", "main")
	if out, _, err := runSlipway(t, "deprecations", "list", "--repo", dir, "--output", "json"); err != nil || strings.TrimSpace(out) != "[]" {
		t.Fatalf("no register: %q %v", out, err)
	}
	os.WriteFile(filepath.Join(dir, "deprecations.yaml"), []byte(sampleRegister), 0o644)
	git("add", "-A")
	git("commit", "-q", "-m", "chore: register")

	out, _, err := runSlipway(t, "deprecations", "list", "--repo", dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"ID                      SERVICE  WHAT                     SINCE  DATE        REMOVE AFTER  STATUS",
		"the-v1-orders-endpoint  api      the /v1/orders endpoint  1.3.0  2026-12-01  2.0.0         active",
		"retries                 web      the retries key          0.4.0  2026-10-01  -             removed early in 1.0.0 (nobody set it)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	out, _, err = runSlipway(t, "deprecations", "list", "--repo", dir, "--service", "api", "--output", "json")
	var list []map[string]string
	if err != nil || json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 || list[0]["id"] != "the-v1-orders-endpoint" || list[0]["status"] != "active" || list[0]["removeAfter"] != "2.0.0" {
		t.Errorf("json for api: %s %v", out, err)
	}

	// --ref reads the committed register; the work tree may differ.
	os.WriteFile(filepath.Join(dir, "deprecations.yaml"), []byte("deprecations:\n  - id: x\n    since: soon\n"), 0o644)
	if out, _, err = runSlipway(t, "deprecations", "list", "--repo", dir, "--ref", "main", "--output", "json"); err != nil || !strings.Contains(out, "the-v1-orders-endpoint") {
		t.Errorf("--ref main: %s %v", out, err)
	}
	_, _, err = runSlipway(t, "deprecations", "list", "--repo", dir)
	if err == nil || code(err) != 1 || !strings.Contains(err.Error(), "deprecations.yaml:2: deprecations[0].what") {
		t.Errorf("broken work-tree register: %v", err)
	}
}
