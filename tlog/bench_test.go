package tlog

import (
	"context"
	"testing"
)

// BenchmarkParseLeaf: the per-leaf cost of Verify's parse (decode,
// validate, re-encode and compare).
func BenchmarkParseLeaf(b *testing.B) {
	data, _ := leafN(1).Marshal()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseLeaf(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify10k verifies a 10k-leaf log (built once through Tessera).
// The 100k figure comes from `go run ./bench/tlogverify`.
func BenchmarkVerify10k(b *testing.B) {
	dir := b.TempDir()
	l := openT(b, dir)
	if _, err := l.AppendBatch(context.Background(), leavesN(0, 10_000)); err != nil {
		b.Fatal(err)
	}
	closeT(b, l)
	for b.Loop() {
		if _, err := Verify(context.Background(), dir, VerifyOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
