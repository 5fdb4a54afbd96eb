package gitops

import (
	"fmt"
	"strings"
	"testing"
)

// bigValues builds a Helm values file of 200 components, 10 lines each
// (2,000 lines), every one with comments, flow collections and its own
// digest, the shape of an umbrella chart's values.
func bigValues() []byte {
	var b strings.Builder
	for i := range 200 {
		fmt.Fprintf(&b, "# component %d: owned by team-%d\n", i, i%7)
		fmt.Fprintf(&b, "component%d:\n", i)
		b.WriteString("  enabled: true\n")
		fmt.Fprintf(&b, "  replicas: %d  # autoscaled in prod\n", i%5+1)
		b.WriteString("  image:\n")
		fmt.Fprintf(&b, "    repository: ghcr.io/acme/component%d\n", i)
		fmt.Fprintf(&b, "    tag: \"1.%d.0\"\n", i)
		fmt.Fprintf(&b, "    digest: \"%s\"\n", oldDigest)
		b.WriteString("  resources: {limits: {cpu: 100m, memory: 128Mi}}\n")
		fmt.Fprintf(&b, "  env: [{name: COMPONENT, value: \"%d\"}]\n", i)
	}
	return []byte(b.String())
}

// BenchmarkSet edits one digest deep in a 2,000-line values file: parse,
// locate, splice and the verifying re-parse.
func BenchmarkSet(b *testing.B) {
	in := bigValues()
	if n := strings.Count(string(in), "\n"); n != 2000 {
		b.Fatalf("fixture has %d lines, want 2000", n)
	}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, changed, err := Set(in, "component150.image.digest", newDigest); err != nil || !changed {
			b.Fatalf("Set: changed=%v err=%v", changed, err)
		}
	}
}

// BenchmarkGet is the read half, for comparison: one parse, no verification.
func BenchmarkGet(b *testing.B) {
	in := bigValues()
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Get(in, "component150.image.digest"); err != nil {
			b.Fatal(err)
		}
	}
}
