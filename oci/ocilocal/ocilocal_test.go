package ocilocal_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/slipway/slipway/oci"
	"github.com/slipway/slipway/oci/ocilocal"
)

func TestStartServesOnLoopbackAndCloseStops(t *testing.T) {
	reg, err := ocilocal.Start(ocilocal.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	host, _, err := net.SplitHostPort(reg.Host)
	if err != nil || host != "127.0.0.1" {
		t.Fatalf("Host = %q, want 127.0.0.1:<port>", reg.Host)
	}
	resp, err := http.Get("http://" + reg.Host + "/v2/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /v2/ = %d", resp.StatusCode)
	}
	if err := reg.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get("http://" + reg.Host + "/v2/"); err == nil {
		t.Error("registry still answers after Close")
	}
}

func TestPushTagsAndDigests(t *testing.T) {
	reg, err := ocilocal.Start(ocilocal.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	ref, err := ocilocal.Push(context.Background(), reg.Repository("demo/app"), ocilocal.Image{Tag: "v1", Files: map[string]string{"x": "y"}}, oci.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ref.Repository != reg.Repository("demo/app") || !strings.HasPrefix(ref.Digest, "sha256:") {
		t.Errorf("Push = %+v", ref)
	}
	req, _ := http.NewRequest(http.MethodHead, "http://"+reg.Host+"/v2/demo/app/manifests/v1", nil)
	req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Docker-Content-Digest"); got != ref.Digest {
		t.Errorf("tag v1 points at %q, want %s", got, ref.Digest)
	}
}
