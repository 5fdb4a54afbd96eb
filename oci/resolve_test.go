package oci_test

import (
	"context"
	"errors"
	"net"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/slipway/slipway/oci"
	"github.com/slipway/slipway/oci/ocilocal"
)

func TestResolveImage(t *testing.T) {
	reg := startRegistry(t)
	ref := pushImage(t, reg.Repository("team/api"), "1.0.0")

	d, err := oci.Resolve(context.Background(), ref, oci.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Ref != ref || d.IsIndex || d.MediaType != string(types.OCIManifestSchema1) || d.Size <= 0 {
		t.Errorf("Resolve = %+v, want a single OCI image manifest for %s", d, ref)
	}
	if want := []oci.Platform{{OS: "linux", Architecture: "amd64"}}; !reflect.DeepEqual(d.Platforms, want) {
		t.Errorf("platforms = %v, want %v", d.Platforms, want)
	}
}

func TestResolveIndex(t *testing.T) {
	reg := startRegistry(t)
	platforms := []oci.Platform{
		{OS: "linux", Architecture: "amd64"},
		{OS: "linux", Architecture: "arm64", Variant: "v8"},
		{OS: "linux", Architecture: "arm", Variant: "v7"},
	}
	ref, err := ocilocal.PushIndex(context.Background(), reg.Repository("team/web"), ocilocal.Image{Tag: "v1"}, platforms, oci.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := oci.Resolve(context.Background(), ref, oci.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !d.IsIndex || d.MediaType != string(types.OCIImageIndex) {
		t.Errorf("Resolve = %+v, want an OCI index", d)
	}
	if !reflect.DeepEqual(d.Platforms, platforms) {
		t.Errorf("platforms = %v, want %v", d.Platforms, platforms)
	}
	if got := d.Platforms[1].String(); got != "linux/arm64/v8" {
		t.Errorf("Platform.String = %q", got)
	}
}

func TestPushIsDeterministic(t *testing.T) {
	reg := startRegistry(t)
	img := ocilocal.Image{Files: map[string]string{"a": "1", "b/c": "2"}, Labels: map[string]string{"x": "y"}}
	a, err := ocilocal.Push(context.Background(), reg.Repository("one"), img, oci.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := ocilocal.Push(context.Background(), reg.Repository("two"), img, oci.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Digest != b.Digest {
		t.Errorf("same image pushed twice has digests %s and %s", a.Digest, b.Digest)
	}
	img.Labels["x"] = "z"
	c, err := ocilocal.Push(context.Background(), reg.Repository("one"), img, oci.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Digest == a.Digest {
		t.Error("changing a label did not change the digest")
	}
}

func TestResolveErrors(t *testing.T) {
	reg := startRegistry(t)
	pushImage(t, reg.Repository("team/api"), "1.0.0")
	// A port nothing listens on: listen, note the address, close.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()

	zero := "@sha256:" + strings.Repeat("0", 64)
	for _, tc := range []struct {
		name     string
		ref      string
		want     error
		mentions []string
	}{
		{"unknown digest", reg.Repository("team/api") + zero, oci.ErrNotFound, []string{"team/api" + zero, "push it first"}},
		{"unknown repository", reg.Repository("nobody/here") + zero, oci.ErrNotFound, []string{"nobody/here", reg.Host}},
		{"unreachable", closed + "/team/api" + zero, oci.ErrUnreachable, []string{closed, "cannot reach registry"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ref, err := oci.ParseReference(tc.ref)
			if err != nil {
				t.Fatal(err)
			}
			_, err = oci.Resolve(context.Background(), ref, oci.Options{})
			if !errors.Is(err, tc.want) {
				t.Fatalf("Resolve error = %v, want %v", err, tc.want)
			}
			for _, m := range tc.mentions {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
		})
	}
}
