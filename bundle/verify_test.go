package bundle_test

import (
	"bytes"
	"crypto/ecdsa"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/slipway/slipway/bundle"
	"github.com/slipway/slipway/bundle/bundletest"
	"github.com/slipway/slipway/oci"
	"github.com/slipway/slipway/trust"
)

// copyDir copies a bundle directory for one tampering attempt.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// wantFileError checks that verification failed because of file.
func wantFileError(t *testing.T, err error, file string) {
	t.Helper()
	var fe *bundle.FileError
	if !errors.Is(err, bundle.ErrVerify) || !errors.As(err, &fe) || fe.File != file {
		t.Fatalf("verify = %v, want an ErrVerify naming %s", err, file)
	}
	if !strings.Contains(err.Error(), file) {
		t.Errorf("message does not name %s: %v", file, err)
	}
}

// TestVerifyNamesTheChangedFile changes one byte of every file of a
// bundle in turn, then a checksum, then the signature, and expects
// verification to fail naming the file that cannot be trusted.
func TestVerifyNamesTheChangedFile(t *testing.T) {
	f := newFixture(t, inProcessRegistry(t))
	res := f.build(t, f.options(f.manifest(t), filepath.Join(t.TempDir(), "b")))
	opts := bundle.VerifyOptions{Keys: f.policy, Offline: true}
	files := []string{bundle.SumsFile, bundle.SigFile, bundle.SigstoreFile}
	for _, s := range res.Sums {
		files = append(files, s.Path)
	}
	for _, file := range files {
		t.Run("one byte of "+file, func(t *testing.T) {
			dir := copyDir(t, res.Dir)
			p := filepath.Join(dir, file)
			data := readFile(t, p)
			data[len(data)/2] ^= 0x01
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := bundle.VerifyDir(f.ctx, dir, opts)
			switch file {
			case bundle.SumsFile:
				// The list itself changed: its signature no longer verifies.
				wantFileError(t, err, bundle.SigFile)
			default:
				wantFileError(t, err, file)
			}
		})
	}

	t.Run("a checksum", func(t *testing.T) {
		dir := copyDir(t, res.Dir)
		p := filepath.Join(dir, bundle.SumsFile)
		sums := readFile(t, p)
		line := res.Sums[0].Hex
		changed := bytes.Replace(sums, []byte(line), []byte(strings.Repeat("0", 64)), 1)
		if err := os.WriteFile(p, changed, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := bundle.VerifyDir(f.ctx, dir, opts)
		wantFileError(t, err, bundle.SigFile)
		if !strings.Contains(err.Error(), bundle.SumsFile) {
			t.Errorf("message does not name %s: %v", bundle.SumsFile, err)
		}
	})

	t.Run("a file changed and SHA256SUMS re-signed by another key", func(t *testing.T) {
		// The attacker can rewrite everything but holds no trusted key.
		dir := copyDir(t, res.Dir)
		compose := filepath.Join(dir, bundle.ComposeFile)
		evil := bytes.Replace(readFile(t, compose), []byte("acme/api@"), []byte("evil/api@"), 1)
		if err := os.WriteFile(compose, evil, 0o644); err != nil {
			t.Fatal(err)
		}
		resign(t, dir)
		_, err := bundle.VerifyDir(f.ctx, dir, opts)
		wantFileError(t, err, bundle.SigFile)
	})

	t.Run("a file added", func(t *testing.T) {
		dir := copyDir(t, res.Dir)
		if err := os.WriteFile(filepath.Join(dir, "compose", "override.yaml"), []byte("services: {}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := bundle.VerifyDir(f.ctx, dir, opts)
		wantFileError(t, err, "compose/override.yaml")
	})

	t.Run("a file removed", func(t *testing.T) {
		dir := copyDir(t, res.Dir)
		if err := os.Remove(filepath.Join(dir, bundle.EnvExampleFile)); err != nil {
			t.Fatal(err)
		}
		_, err := bundle.VerifyDir(f.ctx, dir, opts)
		wantFileError(t, err, bundle.EnvExampleFile)
	})

	t.Run("the signature removed", func(t *testing.T) {
		dir := copyDir(t, res.Dir)
		if err := os.Remove(filepath.Join(dir, bundle.SigFile)); err != nil {
			t.Fatal(err)
		}
		_, err := bundle.VerifyDir(f.ctx, dir, opts)
		wantFileError(t, err, bundle.SigFile)
	})

	t.Run("a file replaced by a symlink", func(t *testing.T) {
		dir := copyDir(t, res.Dir)
		p := filepath.Join(dir, bundle.ReleaseNotesFile)
		target := filepath.Join(t.TempDir(), "notes.md")
		if err := os.WriteFile(target, readFile(t, p), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		_, err := bundle.VerifyDir(f.ctx, dir, opts)
		if !errors.Is(err, bundle.ErrVerify) || !strings.Contains(err.Error(), bundle.ReleaseNotesFile) {
			t.Fatalf("verify = %v, want a refusal naming %s", err, bundle.ReleaseNotesFile)
		}
	})

	t.Run("another trusted key is refused", func(t *testing.T) {
		_, other := otherKey(t)
		_, err := bundle.VerifyDir(f.ctx, res.Dir, bundle.VerifyOptions{Keys: other, Offline: true})
		wantFileError(t, err, bundle.SigFile)
	})

	t.Run("the untouched bundle verifies", func(t *testing.T) {
		if _, err := bundle.VerifyDir(f.ctx, copyDir(t, res.Dir), opts); err != nil {
			t.Fatal(err)
		}
	})
}

// TestVerifyOnlineChecksEveryPlatformSignature removes the signature of
// one platform image from the registry: the offline check still passes
// (the bundle is intact), the online one names the image.
func TestVerifyOnlineChecksEveryPlatformSignature(t *testing.T) {
	f := newFixture(t, inProcessRegistry(t))
	m := f.manifest(t)
	res := f.build(t, f.options(m, filepath.Join(t.TempDir(), "b")))
	search, _ := m.Component("search")
	ref, _ := oci.ParseReference(search.Ref())
	children, err := bundletest.Children(f.ctx, ref, oci.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sigTag, err := name.NewTag(search.Image + ":" + oci.SignatureTag(children[1]))
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Delete(sigTag); err != nil {
		t.Fatal(err)
	}
	if _, err := bundle.VerifyDir(f.ctx, res.Dir, bundle.VerifyOptions{Keys: f.policy, Offline: true}); err != nil {
		t.Fatalf("offline verify: %v", err)
	}
	_, err = bundle.VerifyDir(f.ctx, res.Dir, bundle.VerifyOptions{Keys: f.policy})
	if !errors.Is(err, oci.ErrUnsigned) || !strings.Contains(err.Error(), "component search, platform linux/arm64") {
		t.Fatalf("online verify = %v, want ErrUnsigned naming search's linux/arm64 image", err)
	}
}

func otherKey(t *testing.T) (*ecdsa.PrivateKey, trust.Policy) {
	t.Helper()
	dir := t.TempDir()
	if _, err := trust.WriteKeyPair(filepath.Join(dir, "o.key"), filepath.Join(dir, "o.pub")); err != nil {
		t.Fatal(err)
	}
	k, err := trust.LoadPrivateKey(filepath.Join(dir, "o.key"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := trust.LoadPolicy(filepath.Join(dir, "o.pub"))
	if err != nil {
		t.Fatal(err)
	}
	return k.(*ecdsa.PrivateKey), p
}

// resign rewrites SHA256SUMS for the files as they are and signs it with
// a fresh, untrusted key: what an attacker without the vendor's key can do.
func resign(t *testing.T, dir string) {
	t.Helper()
	k, _ := otherKey(t)
	var sums []bundle.Sum
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(rel, bundle.SumsFile) {
			return nil
		}
		sums = append(sums, bundle.Sum{Path: rel, Hex: sha256Hex(readFile(t, p))})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	data := bundle.FormatSums(sums)
	sigs, err := bundle.SignSums(k, data)
	if err != nil {
		t.Fatal(err)
	}
	for file, content := range map[string][]byte{bundle.SumsFile: data, bundle.SigFile: sigs.Sig, bundle.SigstoreFile: sigs.Sigstore} {
		if err := os.WriteFile(filepath.Join(dir, file), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
