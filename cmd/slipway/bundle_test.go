package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/bundle"
	"github.com/slipway/slipway/bundle/bundletest"
	"github.com/slipway/slipway/oci"
	"github.com/slipway/slipway/oci/ocilocal"
	"github.com/slipway/slipway/trust"
)

// TestBundleCommand builds, pushes and verifies a bundle through the CLI
// against the in-process registry, then verifies a tampered copy.
func TestBundleCommand(t *testing.T) {
	reg, err := ocilocal.Start(ocilocal.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	dir := t.TempDir()
	keyPath, pubPath := filepath.Join(dir, "slipway.key"), filepath.Join(dir, "slipway.pub")
	if _, err := trust.WriteKeyPair(keyPath, pubPath); err != nil {
		t.Fatal(err)
	}
	signer, err := trust.LoadPrivateKey(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	app := filepath.Join(dir, "app")
	if err := bundletest.WriteApp(app); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	api, err := bundletest.PushComponent(ctx, reg.Repository("acme/api"), "2.3.0", []string{"linux/amd64", "linux/arm64"}, signer, oci.Options{})
	if err != nil {
		t.Fatal(err)
	}
	web, err := bundletest.PushComponent(ctx, reg.Repository("acme/web"), "3.0.2", []string{"linux/amd64", "linux/arm64"}, signer, oci.Options{})
	if err != nil {
		t.Fatal(err)
	}
	search, err := bundletest.PushComponent(ctx, reg.Repository("acme/search"), "1.0.0", []string{"linux/amd64"}, signer, oci.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := bundletest.Manifest("acme", "1.4.0", time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC), api, web, search)
	if err != nil {
		t.Fatal(err)
	}
	y, err := m.YAML()
	if err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(dir, "platform.yaml")
	if err := os.WriteFile(manifest, y, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	noConfig := filepath.Join(dir, "none.yaml")
	target := "oci://" + reg.Repository("acme/platform")

	// search has no arm64 image: requiring it names both.
	_, _, err = runSlipway(t, "--config", noConfig, "bundle", "--manifest", manifest, "--app", app, "--key", keyPath, "--out", out, "--require-platform", "linux/arm64")
	if err == nil || !strings.Contains(err.Error(), "component search") || !strings.Contains(err.Error(), "has no linux/arm64 image") {
		t.Fatalf("bundle --require-platform linux/arm64 = %v", err)
	}

	stdout, stderr, err := runSlipway(t, "--config", noConfig, "bundle", "--manifest", manifest, "--app", app, "--key", keyPath, "--out", out, "--push", target)
	if err != nil {
		t.Fatalf("bundle: %v\n%s", err, stderr)
	}
	for _, want := range []string{"bundle acme 1.4.0 written to " + out, "3 component images verified (5 platform images)", "pushed bundle   " + target + ":v1.4.0@sha256:", "pushed chart    " + target + "/acme --version 1.4.0"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("bundle output lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "no Migration:/Upgrade: footers") {
		t.Errorf("stderr does not say the app is not a git repository:\n%s", stderr)
	}

	// Publishing again is a no-op that names the same digests.
	again, _, err := runSlipway(t, "--config", noConfig, "bundle", "push", out, target, "--key", keyPath)
	if err != nil || !strings.Contains(stdout, strings.SplitN(again, "\n", 2)[0]) {
		t.Errorf("bundle push again = %v:\n%s\nfirst:\n%s", err, again, stdout)
	}

	for _, src := range []string{out, target + ":v1.4.0"} {
		stdout, _, err = runSlipway(t, "--config", noConfig, "bundle", "verify", src, "--key", pubPath)
		if err != nil {
			t.Fatalf("verify %s: %v", src, err)
		}
		if !strings.Contains(stdout, "bundle acme 1.4.0 ok") || strings.Count(stdout, "\nimage ") != 3 {
			t.Errorf("verify %s output:\n%s", src, stdout)
		}
	}

	p := filepath.Join(out, bundle.ImagesFile)
	data, _ := os.ReadFile(p)
	if err := os.WriteFile(p, bytes.Replace(data, []byte("linux/arm64"), []byte("linux/arm64/v9"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err = runSlipway(t, "--config", noConfig, "bundle", "verify", out, "--key", pubPath, "--offline")
	if err == nil || !strings.Contains(err.Error(), "images.json has SHA-256") {
		t.Fatalf("verify of a changed images.json = %v", err)
	}
}
