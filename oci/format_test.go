package oci_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/slipway/slipway/oci"
)

// TestSignatureStorageFormat pins, byte for byte where cosign's output is
// deterministic, what Sign stores: the payload JSON, the manifest's media
// types and annotation, and the config cosign's empty base image produces.
// If this test has to change, cosign can no longer read our signatures.
func TestSignatureStorageFormat(t *testing.T) {
	ctx := context.Background()
	reg := startRegistry(t)
	ref := pushImage(t, reg.Repository("team/api"), "1.0.0")
	signer, policy := newKey(t, "k.pub")
	if _, err := oci.Sign(ctx, ref, signer, oci.Options{}); err != nil {
		t.Fatal(err)
	}

	tag, err := name.NewTag(ref.Repository + ":sha256-" + ref.Hex() + ".sig")
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(tag)
	if err != nil {
		t.Fatalf("no signature under cosign's tag %s: %v", tag, err)
	}
	rawManifest, err := img.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		SchemaVersion int    `json:"schemaVersion"`
		MediaType     string `json:"mediaType"`
		Config        struct {
			MediaType string `json:"mediaType"`
			Digest    string `json:"digest"`
		} `json:"config"`
		Layers []struct {
			MediaType   string            `json:"mediaType"`
			Size        int               `json:"size"`
			Digest      string            `json:"digest"`
			Annotations map[string]string `json:"annotations"`
		} `json:"layers"`
	}
	if err := json.Unmarshal(rawManifest, &m); err != nil {
		t.Fatal(err)
	}
	if m.SchemaVersion != 2 || m.MediaType != "application/vnd.oci.image.manifest.v1+json" || m.Config.MediaType != "application/vnd.oci.image.config.v1+json" {
		t.Errorf("manifest header = %s", rawManifest)
	}
	if len(m.Layers) != 1 {
		t.Fatalf("layers = %d, want 1", len(m.Layers))
	}
	l := m.Layers[0]
	if l.MediaType != "application/vnd.dev.cosign.simplesigning.v1+json" || len(l.Annotations) != 1 {
		t.Errorf("layer = %+v, want a simplesigning layer with only the signature annotation", l)
	}

	wantPayload := fmt.Sprintf(`{"critical":{"identity":{"docker-reference":"%s"},"image":{"docker-manifest-digest":"%s"},"type":"cosign container image signature"},"optional":null}`, ref.Repository, ref.Digest)
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := layers[0].Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	payload, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	if string(payload) != wantPayload {
		t.Errorf("payload =\n %s\nwant\n %s", payload, wantPayload)
	}
	sum := sha256.Sum256(payload)
	if l.Digest != "sha256:"+hex.EncodeToString(sum[:]) || l.Size != len(payload) {
		t.Errorf("layer descriptor %s/%d does not describe the payload", l.Digest, l.Size)
	}
	sig, err := base64.StdEncoding.DecodeString(l.Annotations["dev.cosignproject.cosign/signature"])
	if err != nil {
		t.Fatalf("signature annotation is not standard base64: %v", err)
	}
	if err := policy.Keys[0].VerifySignature(payload, sig); err != nil {
		t.Errorf("annotation is not an ECDSA-SHA256 signature of the payload: %v", err)
	}

	rawConfig, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	wantConfig := fmt.Sprintf(`{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":["%s"]},"config":{}}`, l.Digest)
	if string(rawConfig) != wantConfig {
		t.Errorf("config =\n %s\nwant\n %s", rawConfig, wantConfig)
	}
}
