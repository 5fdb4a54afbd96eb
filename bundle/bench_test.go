package bundle_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/slipway/slipway/bundle"
)

// BenchmarkBundle times a whole bundle of the three sample components (two
// platforms each, nine signatures verified) against the in-process
// registry, then its offline and online verification.
func BenchmarkBundle(b *testing.B) {
	f := newFixture(b, inProcessRegistry(b))
	m := f.manifest(b)
	dir := b.TempDir()
	res := f.build(b, f.options(m, filepath.Join(dir, "first")))
	b.Run("build", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := bundle.Build(f.ctx, f.options(m, filepath.Join(dir, fmt.Sprint(i)))); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, offline := range []bool{true, false} {
		b.Run(fmt.Sprintf("verify/offline=%v", offline), func(b *testing.B) {
			for b.Loop() {
				if _, err := bundle.VerifyDir(f.ctx, res.Dir, bundle.VerifyOptions{Keys: f.policy, Offline: offline}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
