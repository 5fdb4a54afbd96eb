// Command tlogverify benchmarks `tlog.Verify` (what `slipway audit verify`
// runs before its Git checks) on a log of many leaves, next to a floor: the
// time to read every entry bundle and tile file and hash each leaf, which
// any verifier must do.
//
// The log is built once through Tessera's appender (batched) and cached:
//
//	go run ./bench/tlogverify                        # 100k leaves, cached in $TMPDIR/slipway-tlogverify-100000
//	go run ./bench/tlogverify -n 10000 -runs 5
//	GOMAXPROCS=2 go run ./bench/tlogverify           # the 2-core target
package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/slipway/slipway/bench/internal/benchutil"
	"github.com/slipway/slipway/tlog"
	"k8s.io/klog/v2"
)

func main() {
	n := flag.Int("n", 100_000, "leaves in the log")
	dir := flag.String("dir", "", "log directory (default $TMPDIR/slipway-tlogverify-N); reused when it holds N leaves")
	runs := flag.Int("runs", 3, "verify runs (best and median are reported)")
	flag.Parse()
	klog.SetOutput(io.Discard)
	klog.LogToStderr(false)
	if *dir == "" {
		*dir = filepath.Join(os.TempDir(), fmt.Sprintf("slipway-tlogverify-%d", *n))
	}
	ctx := context.Background()

	if size, err := logSize(ctx, *dir); err != nil || size != uint64(*n) {
		os.RemoveAll(*dir)
		fmt.Fprintf(os.Stderr, "building %d leaves in %s…\n", *n, *dir)
		d, err := build(ctx, *dir, *n)
		check(err)
		fmt.Printf("append: %d leaves in %v (%.0f leaves/s, batches of %d)\n", *n, d.Round(time.Millisecond), float64(*n)/d.Seconds(), chunk)
	}
	du := diskUsage(*dir)
	fmt.Printf("log: %d leaves, %.1f MiB on disk, GOMAXPROCS=%d\n", *n, float64(du)/(1<<20), runtime.GOMAXPROCS(0))

	floor, floorCPU := measureOrExit(*runs, func() error { return readAndHash(*dir) })
	verify, verifyCPU := measureOrExit(*runs, func() error {
		rep, err := tlog.Verify(ctx, *dir, tlog.VerifyOptions{OnLeaf: func(uint64, tlog.Leaf) error { return nil }})
		if err == nil && rep.Size != uint64(*n) {
			err = fmt.Errorf("verified %d leaves, want %d", rep.Size, *n)
		}
		return err
	})
	ms := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	fmt.Printf("%-34s %10s %10s %10s %8s\n", "", "best wall", "median", "best CPU", "ratio")
	fmt.Printf("%-34s %10v %10v %10v %8s\n", "floor: read files + SHA-256 leaves", ms(floor[0]), ms(floor[len(floor)/2]), ms(floorCPU), "1.0×")
	fmt.Printf("%-34s %10v %10v %10v %7.1f×\n", "tlog.Verify (parse, tree, tiles)", ms(verify[0]), ms(verify[len(verify)/2]), ms(verifyCPU), float64(verify[0])/float64(floor[0]))
	fmt.Printf("target: < 5s for 100k leaves on 2 cores\n")

	lat := appendLatency(ctx, 20)
	fmt.Printf("single Append (returns once a signed checkpoint covers it): median %v, max %v over %d\n", ms(lat[len(lat)/2]), ms(lat[len(lat)-1]), len(lat))
}

// appendLatency times n single Appends to a fresh log: what one prod change
// waits for (Tessera's batch age, the fsyncs, the checkpoint interval).
func appendLatency(ctx context.Context, n int) []time.Duration {
	dir, err := os.MkdirTemp("", "slipway-tlog-latency-")
	check(err)
	defer os.RemoveAll(dir)
	l, err := tlog.Open(dir)
	check(err)
	defer l.Close()
	var ds []time.Duration
	for i := range n {
		start := time.Now()
		_, err := l.Append(ctx, leaf(i))
		check(err)
		ds = append(ds, time.Since(start))
	}
	slices.Sort(ds)
	return ds
}

const chunk = 4096

// build appends n leaves in chunks; each chunk returns once a checkpoint
// covers it, as the engine's Append does for one leaf.
func build(ctx context.Context, dir string, n int) (time.Duration, error) {
	l, err := tlog.Open(dir)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	for from := 0; from < n; from += chunk {
		leaves := make([]tlog.Leaf, 0, chunk)
		for i := from; i < min(n, from+chunk); i++ {
			leaves = append(leaves, leaf(i))
		}
		if _, err := l.AppendBatch(ctx, leaves); err != nil {
			l.Close()
			return 0, err
		}
	}
	d := time.Since(start)
	return d, l.Close()
}

// leaf is a realistic prod change: every field set (~700 bytes encoded).
func leaf(i int) tlog.Leaf {
	h := func(seed string, n int) string {
		s := sha256.Sum256(fmt.Appendf(nil, "%s-%d", seed, i))
		return fmt.Sprintf("%x", s)[:n]
	}
	return tlog.Leaf{
		Kind: tlog.KindPromoted, Service: fmt.Sprintf("svc-%d", i%40), Env: "prod",
		PromotionID: fmt.Sprintf("p-%d", i+1), Release: fmt.Sprintf("v1.%d.%d", i/1000, i%1000),
		Digest: "sha256:" + h("d", 64), Signer: h("k", 64), SignatureDigest: "sha256:" + h("s", 64),
		Rekor:     &tlog.RekorEntry{LogIndex: int64(50_000_000 + i), UUID: "24296fb24b8ad77a" + h("r", 64)},
		PinCommit: h("c", 40), PR: int64(i + 1), PRHead: h("p", 40),
		Approvers: []string{"alice@example.com", "bob@example.com"},
		Verdict:   "Successful", Measurements: "sha256:" + h("m", 64),
		Reason: "canary passed: promoted to stable",
		Time:   time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute),
	}
}

func logSize(ctx context.Context, dir string) (uint64, error) {
	if _, err := tlog.ReadCheckpoint(dir); err != nil {
		return 0, err
	}
	p, err := tlog.Prove(ctx, dir, 0, tlog.VerifyOptions{})
	if err != nil {
		return 0, err
	}
	return p.Size, nil
}

// readAndHash is the floor: every file of the log read, every leaf hashed.
func readAndHash(dir string) error {
	return filepath.WalkDir(filepath.Join(dir, tlog.LogDir), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.Contains(filepath.ToSlash(p), "/tile/entries/") {
			for i := 0; i+2 <= len(b); {
				n := int(b[i])<<8 | int(b[i+1])
				if i+2+n > len(b) {
					return errors.New("malformed bundle")
				}
				sha256.Sum256(append([]byte{0}, b[i+2:i+2+n]...))
				i += 2 + n
			}
		}
		return nil
	})
}

func diskUsage(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "tlogverify:", err)
		os.Exit(1)
	}
}

// measureOrExit is benchutil.Measure, ending the command on an error.
func measureOrExit(runs int, f func() error) ([]time.Duration, time.Duration) {
	ds, cpu, err := benchutil.Measure(runs, f)
	check(err)
	return ds, cpu
}
