package oci_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/slipway/slipway/oci"
	"github.com/slipway/slipway/oci/ocilocal"
)

func TestBundleSignThenVerify(t *testing.T) {
	for _, tc := range []struct {
		name      string
		referrers bool
	}{
		{"referrers API", true},
		{"referrers tag fallback", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			reg, err := ocilocal.Start(ocilocal.StartOptions{Referrers: tc.referrers})
			if err != nil {
				t.Fatal(err)
			}
			defer reg.Close()
			ref := pushImage(t, reg.Repository("team/api"), "2.0.0")
			signer, policy := newKey(t, "api.pub")
			_, other := newKey(t, "other.pub")

			signed, err := oci.SignBundle(ctx, ref, signer, oci.Options{})
			if err != nil {
				t.Fatal(err)
			}
			v, err := oci.Verify(ctx, ref, policy, oci.Options{})
			if err != nil {
				t.Fatal(err)
			}
			want := oci.Verification{Ref: ref, Format: oci.FormatSigstoreBundle, KeyID: policy.Keys[0].ID, KeySource: "api.pub", PayloadDigest: signed.PayloadDigest, SignatureManifest: signed.Manifest}
			if v != want {
				t.Errorf("Verify =\n %+v\nwant\n %+v", v, want)
			}
			if _, err := oci.Verify(ctx, ref, other, oci.Options{}); !errors.Is(err, oci.ErrUntrusted) || !strings.Contains(err.Error(), "not signed by a trusted key") {
				t.Errorf("Verify with another key = %v, want ErrUntrusted", err)
			}
			fallback := hasFallbackTag(t, ref)
			if fallback == tc.referrers {
				t.Errorf("referrers tag sha256-<hex> present = %v with referrers API = %v", fallback, tc.referrers)
			}
		})
	}
}

func hasFallbackTag(t *testing.T, ref oci.Reference) bool {
	t.Helper()
	tag, err := name.NewTag(ref.Repository + ":sha256-" + ref.Hex())
	if err != nil {
		t.Fatal(err)
	}
	_, err = remote.Head(tag)
	return err == nil
}

// A bundle made for one image, attached (by a new manifest whose subject is
// another image) to a second image, must not vouch for the second.
func TestBundleCopiedToAnotherImage(t *testing.T) {
	ctx := context.Background()
	reg := startRegistry(t)
	a := pushImage(t, reg.Repository("team/api"), "1.0.0")
	b := pushImage(t, reg.Repository("team/api"), "1.0.1")
	signer, policy := newKey(t, "api.pub")
	signed, err := oci.SignBundle(ctx, a, signer, oci.Options{})
	if err != nil {
		t.Fatal(err)
	}

	repo, _ := name.NewRepository(a.Repository)
	raw, err := remote.Get(repo.Digest(signed.Manifest))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw.Manifest, &m); err != nil {
		t.Fatal(err)
	}
	bd, err := remote.Head(repo.Digest(b.Digest))
	if err != nil {
		t.Fatal(err)
	}
	m["subject"] = v1.Descriptor{MediaType: bd.MediaType, Digest: bd.Digest, Size: bd.Size}
	copied, _ := json.Marshal(m)
	h, _, _ := v1.SHA256(strings.NewReader(string(copied)))
	if err := remote.Put(repo.Digest(h.String()), rawTaggable(copied)); err != nil {
		t.Fatal(err)
	}

	_, err = oci.Verify(ctx, b, policy, oci.Options{})
	if !errors.Is(err, oci.ErrUntrusted) || !strings.Contains(err.Error(), "for another image (subject "+a.Digest+")") {
		t.Fatalf("Verify of the image the bundle was copied to = %v, want ErrUntrusted naming %s", err, a.Digest)
	}
}

type rawTaggable []byte

func (r rawTaggable) RawManifest() ([]byte, error) { return r, nil }
func (r rawTaggable) MediaType() (string, error) {
	return "application/vnd.oci.image.manifest.v1+json", nil
}

// Either format is enough; an image carrying both verifies.
func TestBothFormats(t *testing.T) {
	ctx := context.Background()
	reg := startRegistry(t)
	ref := pushImage(t, reg.Repository("team/api"), "3.0.0")
	legacyKey, legacyPolicy := newKey(t, "legacy.pub")
	bundleKey, bundlePolicy := newKey(t, "bundle.pub")
	if _, err := oci.Sign(ctx, ref, legacyKey, oci.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := oci.SignBundle(ctx, ref, bundleKey, oci.Options{}); err != nil {
		t.Fatal(err)
	}
	if v, err := oci.Verify(ctx, ref, legacyPolicy, oci.Options{}); err != nil || v.Format != oci.FormatSimpleSigning {
		t.Errorf("legacy key: %+v, %v", v, err)
	}
	if v, err := oci.Verify(ctx, ref, bundlePolicy, oci.Options{}); err != nil || v.Format != oci.FormatSigstoreBundle {
		t.Errorf("bundle key: %+v, %v", v, err)
	}
}
