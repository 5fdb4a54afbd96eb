package tlog

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// Files Slipway keeps next to the log. The tiles under LogDir are the
// public part (they may be served as a static tlog-tiles log); the private
// key is not under it.
const (
	PrivateKeyFile = "log.key" // note signer key (PRIVATE+KEY+<origin>+…), mode 0600, never overwritten
	PublicKeyFile  = "log.pub" // note verifier key (<origin>+<hash>+<key>): what `slipway audit key` prints
	LogDir         = "log"     // Tessera POSIX storage: checkpoint, tile/…, tile/entries/…
)

// originPrefix starts the origin line of every Slipway checkpoint; a random
// id made once per log follows it, so two logs never verify each other's
// checkpoints.
const originPrefix = "slipway.local/audit/"

// ErrNoLog is returned by the read-only functions when dir holds no log.
var ErrNoLog = errors.New("no transparency log")

// keyPair is the log's signing key and its verifier.
type keyPair struct {
	signer   note.Signer
	verifier note.Verifier
	vkey     string // verifier key text
}

// loadOrCreateKey returns the log's key, creating it when the directory has
// no log yet. It never replaces a key: a log whose key is missing is an
// error to fix by restoring the key, not a reason to make a new one.
func loadOrCreateKey(dir string) (*keyPair, error) {
	skPath := filepath.Join(dir, PrivateKeyFile)
	raw, err := os.ReadFile(skPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if _, err := os.Stat(filepath.Join(dir, LogDir, "checkpoint")); err == nil {
			return nil, fmt.Errorf("%s is missing but the log in %s exists: restore the key from a backup (a new key would not verify the log's history)", skPath, dir)
		}
		return createKey(dir)
	case err != nil:
		return nil, fmt.Errorf("read log signing key: %w", err)
	}
	info, err := os.Stat(skPath)
	if err != nil {
		return nil, fmt.Errorf("read log signing key: %w", err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s is readable by others (mode %v): run chmod 600 %s", skPath, info.Mode().Perm(), skPath)
	}
	kp, err := parsePrivateKey(strings.TrimSuffix(string(raw), "\n"))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", skPath, err)
	}
	pkPath := filepath.Join(dir, PublicKeyFile)
	pub, err := os.ReadFile(pkPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := writeExclusive(pkPath, []byte(kp.vkey+"\n"), 0o644); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, fmt.Errorf("read log public key: %w", err)
	case strings.TrimSuffix(string(pub), "\n") != kp.vkey:
		return nil, fmt.Errorf("%s does not hold the public half of %s: one of them was replaced; restore both from a backup", pkPath, skPath)
	}
	return kp, nil
}

func createKey(dir string) (*keyPair, error) {
	id := make([]byte, 8)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, originPrefix+hex.EncodeToString(id))
	if err != nil {
		return nil, fmt.Errorf("generate log key: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create log directory: %w", err)
	}
	// The private key first: if we stop between the two files, the next
	// open derives the public file from it.
	if err := writeExclusive(filepath.Join(dir, PrivateKeyFile), []byte(skey+"\n"), 0o600); err != nil {
		return nil, err
	}
	if err := writeExclusive(filepath.Join(dir, PublicKeyFile), []byte(vkey+"\n"), 0o644); err != nil {
		return nil, err
	}
	return parsePrivateKey(skey)
}

// parsePrivateKey reads a note signer key and derives its verifier key, so
// the public file can be checked against it.
func parsePrivateKey(skey string) (*keyPair, error) {
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("not a signed-note private key: %w", err)
	}
	// PRIVATE+KEY+<name>+<hash>+<base64(alg || seed)>
	parts := strings.SplitN(skey, "+", 5) // names hold no '+'; base64 may
	if len(parts) != 5 {
		return nil, errors.New("not a signed-note private key")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return nil, errors.New("not an Ed25519 signed-note private key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(s.Name(), pub)
	if err != nil {
		return nil, err
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, err
	}
	if v.KeyHash() != s.KeyHash() {
		return nil, errors.New("private key's hash does not match its key: the file was altered")
	}
	if !strings.HasPrefix(s.Name(), originPrefix) {
		return nil, fmt.Errorf("key name %q is not a Slipway log origin (%s<id>)", s.Name(), originPrefix)
	}
	return &keyPair{signer: s, verifier: v, vkey: vkey}, nil
}

// writeExclusive creates path with data, refusing to replace a file, and
// syncs it so a crash leaves either no file or the whole one.
func writeExclusive(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return f.Close()
}

// ReadPublicKey returns the verifier key of the log in dir (the contents of
// log.pub), after checking it parses. It creates nothing.
func ReadPublicKey(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, PublicKeyFile))
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%s: %w (it is created by the first prod change)", dir, ErrNoLog)
	}
	if err != nil {
		return "", err
	}
	vkey := strings.TrimSuffix(string(b), "\n")
	if _, err := parseVerifier(vkey); err != nil {
		return "", fmt.Errorf("%s: %w", filepath.Join(dir, PublicKeyFile), err)
	}
	return vkey, nil
}

func parseVerifier(vkey string) (note.Verifier, error) {
	v, err := note.NewVerifier(strings.TrimSpace(vkey))
	if err != nil {
		return nil, fmt.Errorf("not a signed-note public key (want <origin>+<hash>+<key>, as `slipway audit key` prints): %w", err)
	}
	return v, nil
}

// sameKey reports whether two verifier key texts name the same key.
func sameKey(a, b string) bool {
	return bytes.Equal([]byte(strings.TrimSpace(a)), []byte(strings.TrimSpace(b)))
}
