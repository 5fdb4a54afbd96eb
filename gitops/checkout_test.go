package gitops

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// checkout builds a GitOps checkout in a temp dir, beside a secret file
// outside it that no pin may ever read or write.
func checkout(t testing.TB) (root, secret string) {
	t.Helper()
	dir := t.TempDir()
	root = filepath.Join(dir, "checkout")
	secret = filepath.Join(dir, "secret.yaml")
	mustWrite(t, secret, "token: hunter2\n", 0o600)
	mustWrite(t, filepath.Join(root, "envs", "prod", "api", "values.yaml"), "image:\n  digest: \"\"\n", 0o640)
	return root, secret
}

func mustWrite(t testing.TB, name, content string, perm os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), perm); err != nil {
		t.Fatal(err)
	}
}

func TestReadFile(t *testing.T) {
	root, _ := checkout(t)
	got, err := ReadFile(root, "envs/prod/api/values.yaml", 0)
	if err != nil || string(got) != "image:\n  digest: \"\"\n" {
		t.Fatalf("ReadFile = %q, %v", got, err)
	}
	if _, err := ReadFile(root, "./envs//prod/api/values.yaml", 0); err != nil {
		t.Errorf("an uncleaned but inside path was refused: %v", err)
	}
	_, err = ReadFile(root, "envs/staging/api/values.yaml", 0)
	if !errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrUnsafeFile) {
		t.Errorf("missing file: %v; want fs.ErrNotExist, so the engine can let Apply name the pin", err)
	}
	if _, err := ReadFile(root, "envs/prod/api/values.yaml/x", 0); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a path through a file: %v; want fs.ErrNotExist", err)
	}
}

// TestReadFileRefusesEscapes plays a hostile push: links and paths that
// lead out of the checkout, to the secret beside it.
func TestReadFileRefusesEscapes(t *testing.T) {
	root, secret := checkout(t)
	link := func(target, name string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	link(secret, "envs/dev/api/values.yaml")                     // a file linking out
	link(filepath.Dir(secret), "envs/qa")                        // a directory linking out
	link("values.yaml", "envs/prod/api/other.yaml")              // a link that stays inside is refused too
	link("../../../../secret.yaml", "envs/prod/web/values.yaml") // a relative link out
	for _, tc := range []struct{ rel, want string }{
		{"envs/dev/api/values.yaml", "goes through the symbolic link envs/dev/api/values.yaml"},
		{"envs/qa/secret.yaml", "goes through the symbolic link envs/qa"},
		{"envs/prod/api/other.yaml", "goes through the symbolic link"},
		{"envs/prod/web/values.yaml", "goes through the symbolic link"},
		{"../secret.yaml", "has a '..' segment"},
		{"envs/../../secret.yaml", "has a '..' segment"},
		{secret, "is absolute"},
		{"envs\\prod", "backslash"},
		{"", "is empty"},
		{".", "names the repository root"},
		{"envs/prod", "is not a regular file"},
	} {
		got, err := ReadFile(root, tc.rel, 0)
		if !errors.Is(err, ErrUnsafeFile) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ReadFile(%q) = %q, %v; want ErrUnsafeFile saying %q", tc.rel, got, err, tc.want)
		}
		if bytes.Contains(got, []byte("hunter2")) {
			t.Fatalf("ReadFile(%q) returned the secret", tc.rel)
		}
	}
}

// TestReadFileRefusesFIFO: a named pipe pushed into the repository must
// not hang the controller.
func TestReadFileRefusesFIFO(t *testing.T) {
	root, _ := checkout(t)
	fifo := filepath.Join(root, "envs", "prod", "api", "pipe.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("SKIP: cannot make a FIFO here: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := ReadFile(root, "envs/prod/api/pipe.yaml", 0); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrUnsafeFile) || !strings.Contains(err.Error(), "is not a regular file") {
			t.Errorf("FIFO: %v; want ErrUnsafeFile", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ReadFile hung on a FIFO")
	}
}

func TestReadFileLimit(t *testing.T) {
	root, _ := checkout(t)
	mustWrite(t, filepath.Join(root, "big.yaml"), strings.Repeat("a", 100), 0o644)
	if got, err := ReadFile(root, "big.yaml", 100); err != nil || len(got) != 100 {
		t.Errorf("a file of exactly the limit: %d bytes, %v", len(got), err)
	}
	if _, err := ReadFile(root, "big.yaml", 99); !errors.Is(err, ErrUnsafeFile) || !strings.Contains(err.Error(), "is 100 bytes, more than the 99") {
		t.Errorf("over the limit: %v", err)
	}
	mustWrite(t, filepath.Join(root, "huge.yaml"), strings.Repeat("a", int(DefaultReadLimit)+1), 0o644)
	if _, err := ReadFile(root, "huge.yaml", 0); !errors.Is(err, ErrUnsafeFile) {
		t.Errorf("over the default limit: %v", err)
	}
}

func TestWriteFile(t *testing.T) {
	root, secret := checkout(t)
	rel := "envs/prod/api/values.yaml"
	if err := WriteFile(root, rel, []byte("image:\n  digest: \""+newDigest+"\"\n")); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(root, rel, 0)
	if err != nil || !strings.Contains(string(got), newDigest) {
		t.Fatalf("after WriteFile: %q, %v", got, err)
	}
	info, err := os.Stat(filepath.Join(root, rel))
	if err != nil || info.Mode().Perm() != 0o640 {
		t.Errorf("mode after WriteFile = %v, %v; want the file's own 0640", info.Mode().Perm(), err)
	}
	entries, _ := os.ReadDir(filepath.Join(root, "envs", "prod", "api"))
	if len(entries) != 1 {
		t.Errorf("WriteFile left files behind: %v", entries)
	}
	// A link pushed where the pin file was: the write is refused and the
	// file it points to is untouched.
	if err := os.Symlink(secret, filepath.Join(root, "envs", "prod", "api", "link.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(root, "envs/prod/api/link.yaml", []byte("pwned: true\n")); !errors.Is(err, ErrUnsafeFile) {
		t.Errorf("WriteFile through a link: %v; want ErrUnsafeFile", err)
	}
	if b, _ := os.ReadFile(secret); string(b) != "token: hunter2\n" {
		t.Fatalf("the file behind the link changed: %q", b)
	}
	if err := WriteFile(root, "envs/prod/api/new.yaml", []byte("x: 1\n")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("WriteFile of a missing file: %v; want fs.ErrNotExist (pins never create files)", err)
	}
}

// FuzzReadFile: whatever the path, ReadFile returns a file of the
// checkout or an error, never the secret beside it.
func FuzzReadFile(f *testing.F) {
	for _, s := range []string{"envs/prod/api/values.yaml", "../secret.yaml", "envs/link/secret.yaml", "/etc/passwd", "envs/./prod/../prod/api/values.yaml", "envs//prod"} {
		f.Add(s)
	}
	root, secret := checkout(f)
	if err := os.Symlink(filepath.Dir(secret), filepath.Join(root, "envs", "link")); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, rel string) {
		got, err := ReadFile(root, rel, 0)
		if err == nil && bytes.Contains(got, []byte("hunter2")) {
			t.Fatalf("ReadFile(%q) read the secret outside the checkout", rel)
		}
	})
}
