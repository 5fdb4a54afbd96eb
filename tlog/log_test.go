package tlog

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	f_log "github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
)

// leafN is the n-th leaf of a deterministic history: every field set, so
// the bundles have realistic sizes (~700 bytes a leaf).
func leafN(n int) Leaf {
	l := fullLeaf()
	hex := func(seed string) string {
		return fmt.Sprintf("%064x", fmt.Sprintf("%s-%d", seed, n))[:64]
	}
	l.PromotionID = fmt.Sprintf("p-%d", n+1)
	l.Digest = "sha256:" + hex("d")
	l.SignatureDigest = "sha256:" + hex("s")
	l.PinCommit = hex("c")[:40]
	l.PRHead = hex("h")[:40]
	l.PR = int64(n + 1)
	l.Rekor = &RekorEntry{LogIndex: int64(1000 + n), UUID: hex("r")}
	l.Time = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Minute)
	return l
}

func leavesN(from, to int) []Leaf {
	out := make([]Leaf, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, leafN(i))
	}
	return out
}

func openT(t testing.TB, dir string) *Log {
	t.Helper()
	l, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func closeT(t testing.TB, l *Log) {
	t.Helper()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestOpenCreatesKeyOnceAndKeepsIt(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tlog")
	l := openT(t, dir)
	pub, origin := l.PublicKey(), l.Origin()
	closeT(t, l)

	info, err := os.Stat(filepath.Join(dir, PrivateKeyFile))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("private key mode: %v %v", info.Mode(), err)
	}
	if !strings.HasPrefix(origin, "slipway.local/audit/") || !strings.HasPrefix(pub, origin+"+") {
		t.Fatalf("origin %q, key %q", origin, pub)
	}
	if got, err := ReadPublicKey(dir); err != nil || got != pub {
		t.Fatalf("ReadPublicKey = %q, %v; want %q", got, err, pub)
	}
	skBefore, _ := os.ReadFile(filepath.Join(dir, PrivateKeyFile))

	l = openT(t, dir)
	if l.PublicKey() != pub {
		t.Fatalf("reopen changed the key: %s", l.PublicKey())
	}
	closeT(t, l)
	skAfter, _ := os.ReadFile(filepath.Join(dir, PrivateKeyFile))
	if string(skBefore) != string(skAfter) {
		t.Fatal("reopen rewrote the private key")
	}

	// An empty log still has a signed checkpoint (size 0).
	cp, err := ReadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := note.NewVerifier(pub)
	c, _, _, err := f_log.ParseCheckpoint(cp, origin, v)
	if err != nil || c.Size != 0 {
		t.Fatalf("empty checkpoint: %v %+v", err, c)
	}
	if _, err := Verify(context.Background(), dir, VerifyOptions{PublicKey: pub}); err != nil {
		t.Fatalf("verify empty log: %v", err)
	}
}

func TestOpenRefusesAKeyProblem(t *testing.T) {
	dir := t.TempDir()
	closeT(t, openT(t, dir))
	sk := filepath.Join(dir, PrivateKeyFile)
	pk := filepath.Join(dir, PublicKeyFile)
	orig, _ := os.ReadFile(sk)
	origPub, _ := os.ReadFile(pk)

	// Readable by others.
	os.Chmod(sk, 0o644)
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable key: %v", err)
	}
	os.Chmod(sk, 0o600)

	// Key gone but the log is there: never mint a new one.
	os.Remove(sk)
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "restore the key") {
		t.Fatalf("missing key: %v", err)
	}
	if _, err := os.Stat(sk); err == nil {
		t.Fatal("Open created a new key for an existing log")
	}

	// Another log's key pair: the checkpoint does not verify with it.
	other := t.TempDir()
	closeT(t, openT(t, other))
	otherSK, _ := os.ReadFile(filepath.Join(other, PrivateKeyFile))
	otherPK, _ := os.ReadFile(filepath.Join(other, PublicKeyFile))
	os.WriteFile(sk, otherSK, 0o600)
	os.WriteFile(pk, otherPK, 0o644)
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "does not verify") {
		t.Fatalf("swapped key pair: %v", err)
	}

	// Public file not matching the private key.
	os.WriteFile(sk, orig, 0o600)
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "public half") {
		t.Fatalf("mismatched public key: %v", err)
	}
	os.WriteFile(pk, origPub, 0o644)
	closeT(t, openT(t, dir))
}

func TestOpenTwiceInOneProcessIsRefused(t *testing.T) {
	dir := t.TempDir()
	l := openT(t, dir)
	if _, err := Open(dir); err == nil {
		t.Fatal("second Open of one directory succeeded")
	}
	closeT(t, l)
	if _, err := l.Append(context.Background(), leafN(0)); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("append after Close: %v", err)
	}
	closeT(t, openT(t, dir)) // closed: may be opened again
}

func TestAppendVerifyProve(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := openT(t, dir)
	want := leavesN(0, 3)
	for i, leaf := range want {
		idx, err := l.Append(ctx, leaf)
		if err != nil {
			t.Fatal(err)
		}
		if idx != uint64(i) {
			t.Fatalf("leaf %d got index %d", i, idx)
		}
		// Append returns only once a signed checkpoint covers the leaf.
		cp, err := l.Checkpoint()
		if err != nil {
			t.Fatal(err)
		}
		v, _ := note.NewVerifier(l.PublicKey())
		c, _, _, err := f_log.ParseCheckpoint(cp, l.Origin(), v)
		if err != nil || c.Size <= idx {
			t.Fatalf("after Append(%d) checkpoint is %+v (%v)", idx, c, err)
		}
	}
	pub := l.PublicKey()
	closeT(t, l)

	var got []Leaf
	rep, err := Verify(ctx, dir, VerifyOptions{PublicKey: pub, OnLeaf: func(i uint64, leaf Leaf) error {
		if i != uint64(len(got)) {
			return fmt.Errorf("out of order: %d", i)
		}
		got = append(got, leaf)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Size != 3 || !rep.Pinned || len(got) != 3 {
		t.Fatalf("report %+v, %d leaves", rep, len(got))
	}
	for i := range want {
		w, _ := want[i].Marshal()
		g, _ := got[i].Marshal()
		if string(w) != string(g) {
			t.Fatalf("leaf %d read back differs:\n%s\n%s", i, w, g)
		}
	}
	p, err := Prove(ctx, dir, 1, VerifyOptions{PublicKey: pub})
	if err != nil {
		t.Fatal(err)
	}
	if p.Leaf.PromotionID != "p-2" || p.Size != 3 {
		t.Fatalf("proof %+v", p)
	}
	if _, err := Prove(ctx, dir, 3, VerifyOptions{PublicKey: pub}); err == nil {
		t.Fatal("proved a leaf beyond the checkpoint")
	}
}

func TestAppendIsIdempotent(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := openT(t, dir)
	a, _ := l.Append(ctx, leafN(0))
	b, _ := l.Append(ctx, leafN(1))
	again, err := l.Append(ctx, leafN(0))
	if err != nil || again != a {
		t.Fatalf("same leaf again: index %d (%v), want %d", again, err, a)
	}
	// In one batch, with a repeat inside it.
	idx, err := l.AppendBatch(ctx, []Leaf{leafN(1), leafN(2), leafN(2)})
	if err != nil || !reflect.DeepEqual(idx, []uint64{b, 2, 2}) {
		t.Fatalf("batch: %v %v", idx, err)
	}
	closeT(t, l)

	// After a restart the index is rebuilt from the stored tiles.
	l = openT(t, dir)
	if i, ok, err := l.Find(ctx, leafN(2)); err != nil || !ok || i != 2 {
		t.Fatalf("Find(leaf 2) = %d %v %v", i, ok, err)
	}
	if _, ok, err := l.Find(ctx, leafN(9)); err != nil || ok {
		t.Fatalf("Find(absent leaf) = %v %v", ok, err)
	}
	again, err = l.Append(ctx, leafN(1))
	if err != nil || again != b {
		t.Fatalf("after reopen: %d %v", again, err)
	}
	// A leaf differing only in time is another change.
	other := leafN(1)
	other.Time = other.Time.Add(time.Second)
	if i, err := l.Append(ctx, other); err != nil || i != 3 {
		t.Fatalf("new leaf: %d %v", i, err)
	}
	closeT(t, l)
	rep, err := Verify(ctx, dir, VerifyOptions{})
	if err != nil || rep.Size != 4 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

func TestAppendRefusesAnInvalidLeaf(t *testing.T) {
	dir := t.TempDir()
	l := openT(t, dir)
	defer closeT(t, l)
	bad := leafN(0)
	bad.Digest = "latest"
	if _, err := l.Append(context.Background(), bad); err == nil || !strings.Contains(err.Error(), "digest") {
		t.Fatalf("invalid leaf: %v", err)
	}
	cp, _ := l.Checkpoint()
	if !strings.Contains(string(cp), "\n0\n") {
		t.Fatalf("the log changed: %s", cp)
	}
}

// TestBundlesAndTiles crosses entry-bundle boundaries and checks Tessera's
// layout is what Verify and Prove read: full bundles, a partial one, level-1
// tiles.
func TestBundlesAndTiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := openT(t, dir)
	idx, err := l.AppendBatch(ctx, leavesN(0, 600))
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range idx {
		if x != uint64(i) {
			t.Fatalf("leaf %d at %d", i, x)
		}
	}
	if _, err := l.AppendBatch(ctx, leavesN(600, 700)); err != nil {
		t.Fatal(err)
	}
	closeT(t, l)
	for _, p := range []string{"tile/entries/000", "tile/entries/001", "tile/entries/002.p/188", "tile/0/002.p/188", "tile/1/000.p/2"} {
		if _, err := os.Stat(filepath.Join(dir, LogDir, p)); err != nil {
			t.Errorf("expected %s: %v", p, err)
		}
	}
	rep, err := Verify(ctx, dir, VerifyOptions{})
	if err != nil || rep.Size != 700 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	for _, i := range []uint64{0, 255, 256, 511, 512, 699} {
		p, err := Prove(ctx, dir, i, VerifyOptions{})
		if err != nil {
			t.Fatalf("prove %d: %v", i, err)
		}
		if p.Leaf.PromotionID != fmt.Sprintf("p-%d", i+1) {
			t.Fatalf("prove %d read %s", i, p.Leaf.PromotionID)
		}
	}
	n := 0
	if err := ReadLeaves(ctx, dir, 250, func(i uint64, leaf Leaf) error {
		if leaf.PromotionID != fmt.Sprintf("p-%d", i+1) {
			return fmt.Errorf("leaf %d is %s", i, leaf.PromotionID)
		}
		n++
		return nil
	}); err != nil || n != 450 {
		t.Fatalf("ReadLeaves: %d leaves, %v", n, err)
	}
}
