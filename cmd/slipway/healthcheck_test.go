package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/testworld"
)

// TestHealthcheckAsksARealServer: the container health check (the image
// has no curl) passes against a running `slipway serve`, fails once it is
// gone, and refuses a URL that is not one.
func TestHealthcheckAsksARealServer(t *testing.T) {
	ctx := context.Background()
	w, err := testworld.New(ctx, testworld.Options{Dir: t.TempDir(), Services: 1, Envs: []testworld.Env{{Name: "dev"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	r := startReplica(t, w, "", "health")
	url := "http://" + r.addr + "/healthz"
	var out bytes.Buffer
	waitFor(t, "serve answers", 20*time.Second, func() bool { out.Reset(); return checkHealth(ctx, url, time.Second, &out) == nil })
	if !strings.Contains(out.String(), url) {
		t.Errorf("healthcheck printed %q", out.String())
	}
	r.cmd.Process.Kill()
	r.cmd.Wait()
	if err := checkHealth(ctx, url, time.Second, &out); err == nil || !strings.Contains(err.Error(), "health check of "+url) {
		t.Errorf("healthcheck of a stopped server: %v", err)
	}
	if err := checkHealth(ctx, "127.0.0.1:8080/healthz", time.Second, &out); err == nil || !strings.Contains(err.Error(), "give an http:// or https:// URL") {
		t.Errorf("healthcheck of a bare address: %v", err)
	}
}
