package tlog

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	f_log "github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
)

// fixture is a real log built once through Tessera, with copies of it at
// earlier sizes and the checkpoints a user would have saved along the way.
type fixture struct {
	log700  string // 700 leaves: bundles 000, 001 (full) and 002.p/188
	snap100 string
	snap200 string
	cp150   []byte // checkpoints saved at sizes 150 and 700
	cp700   []byte
	pub     string
}

var (
	fixOnce sync.Once
	fix     fixture
	fixErr  error
	fixRoot string
)

func getFixture(t *testing.T) fixture {
	t.Helper()
	fixOnce.Do(func() {
		fixRoot, fixErr = os.MkdirTemp("", "tlog-fixture-")
		if fixErr != nil {
			return
		}
		fixErr = buildFixture(filepath.Join(fixRoot, "log"))
	})
	if fixErr != nil {
		t.Fatal(fixErr)
	}
	return fix
}

func buildFixture(dir string) error {
	ctx := context.Background()
	l, err := Open(dir)
	if err != nil {
		return err
	}
	step := func(from, to int) ([]byte, error) {
		if _, err := l.AppendBatch(ctx, leavesN(from, to)); err != nil {
			return nil, err
		}
		return l.Checkpoint()
	}
	snapshot := func(name string) (string, error) {
		if err := l.Close(); err != nil {
			return "", err
		}
		dst := filepath.Join(fixRoot, name)
		if err := copyDir(dir, dst); err != nil {
			return "", err
		}
		l, err = Open(dir)
		return dst, err
	}
	if _, err := step(0, 100); err != nil {
		return err
	}
	if fix.snap100, err = snapshot("snap100"); err != nil {
		return err
	}
	if fix.cp150, err = step(100, 150); err != nil {
		return err
	}
	if _, err := step(150, 200); err != nil {
		return err
	}
	if fix.snap200, err = snapshot("snap200"); err != nil {
		return err
	}
	if fix.cp700, err = step(200, 700); err != nil {
		return err
	}
	fix.pub = l.PublicKey()
	fix.log700 = dir
	return l.Close()
}

func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, info.Mode().Perm())
	})
}

// scratch copies a fixture log into a fresh directory to tamper with.
func scratch(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "tlog")
	if err := copyDir(src, dst); err != nil {
		t.Fatal(err)
	}
	return dst
}

// entryOffset returns where entry i's data starts in a bundle file.
func entryOffset(t *testing.T, bundle []byte, i int) int {
	t.Helper()
	off := 0
	for n := 0; n < i; n++ {
		off += 2 + int(binary.BigEndian.Uint16(bundle[off:]))
	}
	return off + 2
}

func rewrite(t *testing.T, path string, edit func([]byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, edit(b), 0o644); err != nil {
		t.Fatal(err)
	}
}

// verifyFails runs Verify and checks it fails with the problem, leaf and
// file a user is told.
func verifyFails(t *testing.T, dir string, opts VerifyOptions, problem error, leaf int64, file string) *VerifyError {
	t.Helper()
	_, err := Verify(context.Background(), dir, opts)
	var ve *VerifyError
	if !errors.As(err, &ve) {
		t.Fatalf("want a *VerifyError (%v), got %v", problem, err)
	}
	if !errors.Is(err, problem) || ve.Leaf != leaf || (file != "" && ve.File != file) {
		t.Fatalf("want %v at leaf %d in %q, got %v (leaf %d, file %q)", problem, leaf, file, err, ve.Leaf, ve.File)
	}
	if leaf >= 0 && !strings.Contains(err.Error(), fmt.Sprintf("leaf %d:", leaf)) {
		t.Fatalf("message does not name leaf %d: %v", leaf, err)
	}
	t.Log(err) // what the user reads
	return ve
}

func TestVerifyIntactLog(t *testing.T) {
	f := getFixture(t)
	rep, err := Verify(context.Background(), f.log700, VerifyOptions{PublicKey: f.pub, Checkpoint: f.cp150, CheckpointName: "cp150"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Size != 700 || rep.SavedSize != 150 || !rep.Pinned {
		t.Fatalf("report %+v", rep)
	}
	if _, err := Verify(context.Background(), f.log700, VerifyOptions{Checkpoint: f.cp700}); err != nil {
		t.Fatalf("against its own latest checkpoint: %v", err)
	}
}

// TestVerifyTamper: each edit an attacker with write access to the files
// could make is detected, and the error names the leaf or the file.
func TestVerifyTamper(t *testing.T) {
	f := getFixture(t)
	pinned := VerifyOptions{PublicKey: f.pub}

	t.Run("flip a byte in a leaf", func(t *testing.T) {
		dir := scratch(t, f.log700)
		rewrite(t, filepath.Join(dir, "log/tile/entries/001"), func(b []byte) []byte {
			off := entryOffset(t, b, 300-256)
			i := off + bytes.Index(b[off:], []byte(`"digest":"sha256:`)) + len(`"digest":"sha256:`)
			b[i] ^= 0x01 // one hex digit for another: still a valid leaf, another digest
			return b
		})
		ve := verifyFails(t, dir, pinned, ErrLeafAltered, 300, "log/tile/entries/001")
		if !strings.Contains(ve.Detail, "inclusion proof fails") {
			t.Fatalf("detail: %s", ve.Detail)
		}
		if _, err := Prove(context.Background(), dir, 300, pinned); !errors.Is(err, ErrLeafAltered) {
			t.Fatalf("Prove of the edited leaf: %v", err)
		}
		if _, err := Prove(context.Background(), dir, 301, pinned); err != nil {
			t.Fatalf("Prove of an untouched leaf: %v", err)
		}
	})
	t.Run("flip a byte in a leaf's length", func(t *testing.T) {
		dir := scratch(t, f.log700)
		rewrite(t, filepath.Join(dir, "log/tile/entries/002.p/188"), func(b []byte) []byte {
			off := entryOffset(t, b, 10) - 2
			b[off] ^= 0x40
			return b
		})
		verifyFails(t, dir, pinned, ErrLeafAltered, 512+10, "log/tile/entries/002.p/188")
	})
	t.Run("flip a byte in a level-0 tile", func(t *testing.T) {
		dir := scratch(t, f.log700)
		rewrite(t, filepath.Join(dir, "log/tile/0/001"), func(b []byte) []byte { b[32*7+3] ^= 0x80; return b })
		ve := verifyFails(t, dir, pinned, ErrTile, -1, "log/tile/0/001")
		if !strings.Contains(ve.Detail, "hash 7") {
			t.Fatalf("detail: %s", ve.Detail)
		}
	})
	t.Run("flip a byte in a level-1 tile", func(t *testing.T) {
		dir := scratch(t, f.log700)
		rewrite(t, filepath.Join(dir, "log/tile/1/000.p/2"), func(b []byte) []byte { b[40] ^= 0x01; return b })
		verifyFails(t, dir, pinned, ErrTile, -1, "log/tile/1/000.p/2")
	})
	t.Run("flip a byte in the checkpoint", func(t *testing.T) {
		for _, at := range []string{"\n700\n", "\n\n"} {
			dir := scratch(t, f.log700)
			rewrite(t, filepath.Join(dir, "log/checkpoint"), func(b []byte) []byte {
				i := bytes.Index(b, []byte(at))
				b[i+2] ^= 0x01 // the size (700 → 710) or the signature line
				return b
			})
			verifyFails(t, dir, pinned, ErrCheckpoint, -1, "log/checkpoint")
		}
	})
	t.Run("delete the newest bundle", func(t *testing.T) {
		dir := scratch(t, f.log700)
		os.Remove(filepath.Join(dir, "log/tile/entries/002.p/188"))
		verifyFails(t, dir, pinned, ErrLeafMissing, 512, "log/tile/entries/002.p/188")
	})
	t.Run("cut the newest leaves off a bundle", func(t *testing.T) {
		dir := scratch(t, f.log700)
		rewrite(t, filepath.Join(dir, "log/tile/entries/002.p/188"), func(b []byte) []byte {
			return b[:entryOffset(t, b, 150)-2]
		})
		verifyFails(t, dir, pinned, ErrLeafMissing, 512+150, "log/tile/entries/002.p/188")
	})
	t.Run("replace the log by an older copy", func(t *testing.T) {
		dir := scratch(t, f.snap200)
		// Alone, an older copy is a valid log: only a saved checkpoint tells.
		if _, err := Verify(context.Background(), dir, pinned); err != nil {
			t.Fatalf("older copy without a saved checkpoint: %v", err)
		}
		opts := pinned
		opts.Checkpoint, opts.CheckpointName = f.cp700, "audit-700.cp"
		ve := verifyFails(t, dir, opts, ErrTruncated, 200, "audit-700.cp")
		if !strings.Contains(ve.Detail, "newest 500") {
			t.Fatalf("detail: %s", ve.Detail)
		}
	})
	t.Run("rewrite history with the log's own key", func(t *testing.T) {
		// The attacker holds the directory, so the private key too: they
		// rebuild from leaf 100 with other content and sign it.
		dir := scratch(t, f.snap100)
		l := openT(t, dir)
		forged := leavesN(100, 700)
		for i := range forged {
			forged[i].Approvers = []string{"mallory@example.com"}
		}
		if _, err := l.AppendBatch(context.Background(), forged); err != nil {
			t.Fatal(err)
		}
		closeT(t, l)
		if _, err := Verify(context.Background(), dir, pinned); err != nil {
			t.Fatalf("a re-signed log is self-consistent: %v", err)
		}
		for name, cp := range map[string][]byte{"cp150": f.cp150, "cp700": f.cp700} {
			opts := pinned
			opts.Checkpoint, opts.CheckpointName = cp, name
			verifyFails(t, dir, opts, ErrInconsistent, -1, name)
		}
	})
	t.Run("edit a leaf and its tiles without the key", func(t *testing.T) {
		dir := scratch(t, f.log700)
		var newHash []byte
		rewrite(t, filepath.Join(dir, "log/tile/entries/001"), func(b []byte) []byte {
			off := entryOffset(t, b, 44)
			j := off + bytes.Index(b[off:], []byte(`alice@`))
			b[j] = 'e' // "elice@…": another approver, same length
			n := int(binary.BigEndian.Uint16(b[off-2:]))
			newHash = leafHash(b[off : off+n])
			return b
		})
		rewrite(t, filepath.Join(dir, "log/tile/0/001"), func(b []byte) []byte {
			copy(b[44*32:], newHash)
			return b
		})
		ve := verifyFails(t, dir, pinned, ErrRewritten, -1, "log/tile/1/000.p/2")
		if !strings.Contains(ve.Detail, "leaves 256–511") {
			t.Fatalf("detail: %s", ve.Detail)
		}
	})
	t.Run("swap the key", func(t *testing.T) {
		// A forged log under a new key, copied over the real one whole.
		forgedDir := filepath.Join(t.TempDir(), "forged")
		l := openT(t, forgedDir)
		if _, err := l.AppendBatch(context.Background(), leavesN(0, 700)[:699]); err != nil {
			t.Fatal(err)
		}
		closeT(t, l)
		dir := scratch(t, forgedDir)
		verifyFails(t, dir, pinned, ErrKey, -1, PublicKeyFile)
		// Not pinned, but with a checkpoint saved from the real log.
		verifyFails(t, dir, VerifyOptions{Checkpoint: f.cp700, CheckpointName: "cp700"}, ErrCheckpoint, -1, "cp700")
		// Only the checkpoint swapped in, the key files left alone.
		dir = scratch(t, f.log700)
		cp, _ := os.ReadFile(filepath.Join(forgedDir, "log/checkpoint"))
		os.WriteFile(filepath.Join(dir, "log/checkpoint"), cp, 0o644)
		verifyFails(t, dir, VerifyOptions{}, ErrCheckpoint, -1, "log/checkpoint")
	})
	t.Run("a checkpoint signed for an absurd size", func(t *testing.T) {
		// The attacker holds the key; the log must not try to hold 2^40
		// leaves in memory, only fail at the first bundle that is not there.
		dir := scratch(t, f.log700)
		sk, _ := os.ReadFile(filepath.Join(dir, PrivateKeyFile))
		kp, err := parsePrivateKey(strings.TrimSpace(string(sk)))
		if err != nil {
			t.Fatal(err)
		}
		text := f_log.Checkpoint{Origin: kp.signer.Name(), Size: 1 << 40, Hash: make([]byte, 32)}.Marshal()
		cp, err := note.Sign(&note.Note{Text: string(text)}, kp.signer)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "log/checkpoint"), cp, 0o644)
		verifyFails(t, dir, pinned, ErrLeafMissing, 512, "log/tile/entries/002")
	})
	t.Run("a leaf the engine refuses", func(t *testing.T) {
		_, err := Verify(context.Background(), f.log700, VerifyOptions{PublicKey: f.pub, OnLeaf: func(i uint64, l Leaf) error {
			if i == 421 {
				return errors.New("pin commit not found in the GitOps repository")
			}
			return nil
		}})
		var ve *VerifyError
		if !errors.As(err, &ve) || ve.Leaf != 421 || !errors.Is(err, ErrLeafCheck) || !strings.Contains(err.Error(), "pin commit not found") {
			t.Fatalf("got %v", err)
		}
	})
}

// TestVerifyLeafNotSlipways: an entry in the signed tree that is not a
// canonical leaf (written by something else with the key) is named.
func TestVerifyLeafNotSlipways(t *testing.T) {
	dir := t.TempDir()
	l := openT(t, dir)
	ctx := context.Background()
	good, _ := leafN(0).Marshal()
	bad := bytes.Replace(good, []byte(`"kind":`), []byte(`"kind" :`), 1)
	if _, err := l.sequence(ctx, [][]byte{good, bad}); err != nil {
		t.Fatal(err)
	}
	if err := l.awaitCheckpoint(ctx, 2); err != nil {
		t.Fatal(err)
	}
	closeT(t, l)
	verifyFails(t, dir, VerifyOptions{}, ErrLeafInvalid, 1, "log/tile/entries/000.p/2")
}
