package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Sum is one line of SHA256SUMS: a file of the bundle and its digest.
type Sum struct {
	// Path is relative to the bundle directory, with '/' separators.
	Path string
	// Hex is the lowercase hex SHA-256 of the file's bytes.
	Hex string
}

// maxSumsSize bounds SHA256SUMS: a bundle lists tens of files, not millions.
const maxSumsSize = 1 << 20

// unsummed are the files SHA256SUMS cannot list: itself and its signatures.
var unsummed = []string{SumsFile, SigFile, SigstoreFile}

// FormatSums renders sums in the format of GNU `sha256sum` in text mode
// ("<hex>  <path>\n"), sorted by path, which `sha256sum -c SHA256SUMS`
// checks from the bundle directory.
func FormatSums(sums []Sum) []byte {
	sorted := slices.Clone(sums)
	slices.SortFunc(sorted, func(a, b Sum) int { return strings.Compare(a.Path, b.Path) })
	var b bytes.Buffer
	for _, s := range sorted {
		b.WriteString(s.Hex)
		b.WriteString("  ")
		b.WriteString(s.Path)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// ParseSums reads a SHA256SUMS file strictly: every line "<64 hex>  path"
// (text mode) or "<64 hex> *path" (binary mode, as `sha256sum -b` writes),
// each path relative, clean, inside the bundle and listed once. It refuses
// what sha256sum escapes ('\' and newlines in names), because a bundle never
// holds such names and accepting them would let two spellings name one file.
func ParseSums(data []byte) ([]Sum, error) {
	if len(data) > maxSumsSize {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d allowed", SumsFile, len(data), maxSumsSize)
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("%s is empty", SumsFile)
	}
	if data[len(data)-1] != '\n' {
		return nil, fmt.Errorf("%s does not end with a newline: the file was truncated", SumsFile)
	}
	var sums []Sum
	seen := map[string]int{}
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		n := i + 1
		if len(line) < 67 || (line[64:66] != "  " && line[64:66] != " *") {
			return nil, fmt.Errorf("%s line %d: %q is not \"<sha256 hex>  <file>\"", SumsFile, n, clip(line))
		}
		hexPart, p := line[:64], line[66:]
		if _, err := hex.DecodeString(hexPart); err != nil || strings.ToLower(hexPart) != hexPart {
			return nil, fmt.Errorf("%s line %d: %q is not 64 lowercase hex digits", SumsFile, n, clip(hexPart))
		}
		if err := checkBundlePath(p); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", SumsFile, n, err)
		}
		if slices.Contains(unsummed, p) {
			return nil, fmt.Errorf("%s line %d: lists %s, which cannot be checksummed by itself", SumsFile, n, p)
		}
		if prev, dup := seen[p]; dup {
			return nil, fmt.Errorf("%s line %d: %s is already listed on line %d", SumsFile, n, p, prev)
		}
		seen[p] = n
		sums = append(sums, Sum{Path: p, Hex: hexPart})
	}
	return sums, nil
}

// checkBundlePath accepts a relative, clean, '/'-separated path of a file
// inside the bundle, made of printable characters sha256sum does not escape.
func checkBundlePath(p string) error {
	switch {
	case p == "" || p == ".":
		return errors.New("empty file name")
	case strings.ContainsAny(p, "\\\n\r\x00"):
		return fmt.Errorf("file name %q holds a backslash or control character", clip(p))
	case strings.HasPrefix(p, "/"):
		return fmt.Errorf("file name %q is absolute: bundle files are relative to the bundle directory", clip(p))
	case path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../"):
		return fmt.Errorf("file name %q is not a clean path inside the bundle", clip(p))
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("file name %q holds a control character", clip(p))
		}
	}
	return nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// sumDir lists every regular file under dir except the unsummed ones, with
// its SHA-256. A symlink, device or other special file is an error: a
// bundle holds plain files only, so what is checked is what is read.
func sumDir(dir string) ([]Sum, error) {
	var sums []Sum
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			return &FileError{File: rel, Problem: "is " + fileKind(d.Type()) + ", not a regular file: a bundle holds plain files only"}
		}
		if slices.Contains(unsummed, rel) {
			return nil
		}
		if err := checkBundlePath(rel); err != nil {
			return err
		}
		h, err := hashFile(p)
		if err != nil {
			return err
		}
		sums = append(sums, Sum{Path: rel, Hex: h})
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(sums, func(a, b Sum) int { return strings.Compare(a.Path, b.Path) })
	return sums, nil
}

func hashFile(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// checkSums compares the files under dir with the listed sums and names
// the first file that differs, is missing, or is not listed.
func checkSums(dir string, listed []Sum) error {
	have, err := sumDir(dir)
	if err != nil {
		return fmt.Errorf("bundle %s: %w", dir, err)
	}
	got := map[string]string{}
	for _, s := range have {
		got[s.Path] = s.Hex
	}
	for _, s := range listed {
		h, ok := got[s.Path]
		if !ok {
			return &FileError{File: s.Path, Problem: "is listed in " + SumsFile + " but missing from the bundle"}
		}
		if h != s.Hex {
			return &FileError{File: s.Path, Problem: fmt.Sprintf("has SHA-256 %s but %s says %s: the file was changed after the bundle was signed", h, SumsFile, s.Hex)}
		}
		delete(got, s.Path)
	}
	extra := make([]string, 0, len(got))
	for p := range got {
		extra = append(extra, p)
	}
	slices.Sort(extra)
	if len(extra) > 0 {
		return &FileError{File: extra[0], Problem: "is not listed in " + SumsFile + ": it was added after the bundle was signed"}
	}
	return nil
}
