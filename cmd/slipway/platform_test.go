package main

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/engine"
	"github.com/slipway/slipway/internal/testworld"
	"github.com/slipway/slipway/trust"
)

// TestPlatformCLI runs the platform commands as separate processes, as a
// CI job would: release (JSON on stdout, the timeline on stderr), the same
// release again (bump none, exit 0), show, diff, promote and status.
func TestPlatformCLI(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := trust.WriteKeyPair(filepath.Join(dir, "platform.key"), filepath.Join(dir, "platform.pub")); err != nil {
		t.Fatal(err)
	}
	w, err := testworld.New(ctx, testworld.Options{Dir: dir, Services: 2, Builds: 1, Register: true,
		Envs:     []testworld.Env{{Name: "dev"}, {Name: "prod"}},
		Labels:   map[string]map[string]string{"s1": {"tier": "a"}, "s2": {"tier": "b"}},
		Platform: "  name: acme\n  key: platform.key\n  rollout:\n    steps:\n      - matchExpressions: [{key: tier, operator: In, values: [a]}]\n      - matchExpressions: [{key: tier, operator: In, values: [b]}]\n"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	e, err := w.Open(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range w.Services() {
		b := w.Builds[s][0]
		if _, err := w.Release(ctx, e, b, "1.0.0", "* "+s+" first"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Promote(ctx, engine.PromoteRequest{Service: s, Env: "dev", BuildID: b.ID, Requester: "alice@example.com"}); err != nil {
			t.Fatal(err)
		}
	}
	e.Close()
	run := func(args ...string) (string, string, int) {
		cmd := cliProcess(ctx, w, "bob@example.com", args...)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return stdout.String(), stderr.String(), code
	}
	out, errOut, code := run("platform", "release", "--from", "dev", "--output", "json")
	var rel struct {
		Version, Bump, Tag string
		Files              []string
	}
	if code != 0 || json.Unmarshal([]byte(out), &rel) != nil || rel.Version != "1.0.0" || rel.Bump != "initial" || rel.Tag != "platform-v1.0.0" || len(rel.Files) != 4 {
		t.Fatalf("release: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "committed platform acme 1.0.0") {
		t.Errorf("the timeline belongs on stderr with --output json:\n%s", errOut)
	}
	out, _, code = run("platform", "release", "--from", "dev", "--output", "json")
	var none map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &none) != nil || none["bump"] != "none" || none["previous"] != "1.0.0" {
		t.Fatalf("release again: exit %d %s", code, out)
	}
	out, _, code = run("platform", "release", "--from", "dev")
	if code != 0 || !strings.Contains(out, "no platform release: no component changed since 1.0.0") {
		t.Fatalf("release again, text: exit %d %s", code, out)
	}
	shown, _, code := run("platform", "show", "v1.0.0", "--output", "yaml")
	committed, err := exec.Command("git", "-C", w.Remote, "show", "main:platform/v1.0.0.yaml").Output()
	if code != 0 || err != nil || shown != string(committed) {
		t.Fatalf("show --output yaml is not the committed file: exit %d\n%s\n---\n%s", code, shown, committed)
	}
	out, _, code = run("platform", "diff", "v1.0.0", "v1.0.0")
	if code != 0 || !strings.Contains(out, "platform 1.0.0 -> 1.0.0: none\nno component changed") {
		t.Fatalf("diff: exit %d %s", code, out)
	}
	_, errOut, code = run("platform", "show", "v7.0.0")
	if code != 1 || !strings.Contains(errOut, "platform 7.0.0 was never released") {
		t.Fatalf("show of an unknown version: exit %d %s", code, errOut)
	}
	out, errOut, code = run("platform", "promote", "--version", "v1.0.0", "--to", "prod")
	if code != 0 || !strings.Contains(out, "rollout r-1: platform acme 1.0.0 -> prod: succeeded") {
		t.Fatalf("promote: exit %d\n%s\n%s", code, out, errOut)
	}
	out, _, code = run("platform", "status", "--env", "prod", "--output", "json")
	var st struct {
		State string
		Waves []struct {
			State    string
			Services []struct{ Service, State string }
		}
	}
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st.State != string(slipway.RolloutSucceeded) || len(st.Waves) != 2 || st.Waves[1].Services[0].Service != "s2" {
		t.Fatalf("status: exit %d %s", code, out)
	}
	_, errOut, code = run("platform", "resume", "--env", "prod")
	if code != 1 || !strings.Contains(errOut, "no platform rollout into prod is under way") {
		t.Fatalf("resume with nothing under way: exit %d %s", code, errOut)
	}
}
