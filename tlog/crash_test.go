package tlog

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const crashEnv = "SLIPWAY_TLOG_CRASH_DIR"

// TestCrashHelper is the child process of TestCrashRecovery: it appends the
// deterministic history, 37 leaves more each time, always from leaf 0 (what
// is already in the log is found, not added again), printing the size after
// each batch, until it is killed.
func TestCrashHelper(t *testing.T) {
	dir := os.Getenv(crashEnv)
	if dir == "" {
		t.Skip("child process of TestCrashRecovery")
	}
	ctx := context.Background()
	l, err := Open(dir)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	for n := 37; ; n += 37 {
		if _, err := l.AppendBatch(ctx, leavesN(0, n)); err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		fmt.Println("size", n)
	}
}

// TestCrashRecovery kills a process appending to the log (SIGKILL, at a
// moment the test does not choose: while bundles, tiles, the tree state or
// the checkpoint are being written), several times, then checks the log
// reopens, verifies, and that appending the same history again is
// idempotent: each leaf ends up exactly once, at its index.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("kills child processes; skipped in -short")
	}
	dir := filepath.Join(t.TempDir(), "tlog")
	attempted := 0
	for round := range 4 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Let it complete a few batches, then kill it mid-flight.
		sc := bufio.NewScanner(out)
		lines := 0
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "error") {
				t.Fatalf("round %d: child: %s", round, line)
			}
			if strings.HasPrefix(line, "size ") {
				lines++
				n, _ := strconv.Atoi(strings.TrimPrefix(line, "size "))
				attempted = max(attempted, n+37) // the batch being written when killed
				if lines == 2+round {
					time.Sleep(time.Duration(7*round+3) * time.Millisecond)
					cmd.Process.Signal(syscall.SIGKILL)
					break
				}
			}
		}
		cmd.Wait()
		if _, err := Verify(context.Background(), dir, VerifyOptions{}); err != nil {
			t.Fatalf("round %d: log does not verify after a kill: %v", round, err)
		}
	}
	// Re-append the whole history: leaves present are found, missing ones
	// appended, each at its index.
	l := openT(t, dir)
	idx, err := l.AppendBatch(context.Background(), leavesN(0, attempted))
	if err != nil {
		t.Fatal(err)
	}
	closeT(t, l)
	for i, x := range idx {
		if x != uint64(i) {
			t.Fatalf("leaf %d is at index %d", i, x)
		}
	}
	seen := map[string]bool{}
	rep, err := Verify(context.Background(), dir, VerifyOptions{OnLeaf: func(i uint64, leaf Leaf) error {
		if seen[leaf.PromotionID] {
			return fmt.Errorf("%s recorded twice", leaf.PromotionID)
		}
		seen[leaf.PromotionID] = true
		if leaf.PromotionID != fmt.Sprintf("p-%d", i+1) {
			return fmt.Errorf("holds %s", leaf.PromotionID)
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Size != uint64(attempted) || len(seen) != attempted {
		t.Fatalf("log has %d leaves (%d distinct), history has %d", rep.Size, len(seen), attempted)
	}
	t.Logf("%d leaves after 4 kills", rep.Size)
}

// TestTornWriteIsOverwritten: a crash after Tessera wrote the next batch's
// bundle and tile but before it recorded the new tree size leaves files
// beyond the tree. They are not part of the log, and the next append
// replaces them.
func TestTornWriteIsOverwritten(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := openT(t, dir)
	if _, err := l.AppendBatch(ctx, leavesN(0, 3)); err != nil {
		t.Fatal(err)
	}
	closeT(t, l)
	for _, p := range []string{"log/tile/entries/000.p/4", "log/tile/0/000.p/4"} {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, p), []byte("half-written garbage"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Verify(ctx, dir, VerifyOptions{}); err != nil {
		t.Fatalf("files beyond the signed tree must not matter: %v", err)
	}
	l = openT(t, dir)
	if i, err := l.Append(ctx, leafN(3)); err != nil || i != 3 {
		t.Fatalf("append after torn write: %d %v", i, err)
	}
	closeT(t, l)
	if rep, err := Verify(ctx, dir, VerifyOptions{}); err != nil || rep.Size != 4 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}
