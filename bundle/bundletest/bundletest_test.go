package bundletest_test

import (
	"context"
	"testing"
	"time"

	"github.com/slipway/slipway/bundle"
	"github.com/slipway/slipway/bundle/bundletest"
	"github.com/slipway/slipway/oci/ocilocal"
	"github.com/slipway/slipway/trust"
)

// TestDemo: the sample bundle `slipway demo` can show builds and verifies,
// images included.
func TestDemo(t *testing.T) {
	reg, err := ocilocal.Start(ocilocal.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	key, err := trust.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := bundletest.Demo(ctx, reg.Host, key, t.TempDir(), time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := trust.NewPublicKey(key.Public(), "demo")
	v, err := bundle.VerifyDir(ctx, res.Dir, bundle.VerifyOptions{Keys: trust.Policy{Keys: []trust.PublicKey{pub}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Images) != 3 || res.Chart != "chart/acme-1.0.0.tgz" || len(res.Skipped) != 0 {
		t.Errorf("demo bundle: %+v / %+v", res, v)
	}
}
