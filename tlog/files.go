package tlog

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/api/layout"
)

// files reads a Tessera POSIX log (the tlog-tiles layout) straight from
// disk, trusting nothing: every reader here returns bytes for the caller to
// check against a signed checkpoint.
type files struct {
	root string // <dir>/log
}

func newFiles(dir string) files { return files{root: filepath.Join(dir, LogDir)} }

// rel names a file for messages: relative to the log's directory, as a user
// would find it (log/tile/entries/000.p/7).
func (f files) rel(p string) string { return filepath.ToSlash(filepath.Join(LogDir, p)) }

func (f files) checkpoint() ([]byte, error) {
	b, err := readLimited(filepath.Join(f.root, layout.CheckpointPath), maxCheckpointSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoLog
	}
	return b, err
}

// resource reads the exact partial file a tree of the given size names, or,
// when that partial was replaced by a larger one (Tessera's garbage
// collection removes partials once the bundle is full), the full file. It
// returns the path it read, for messages.
func (f files) resource(partialPath, fullPath string, maxSize int64) ([]byte, string, error) {
	b, err := readLimited(filepath.Join(f.root, partialPath), maxSize)
	if err == nil || partialPath == fullPath || !errors.Is(err, fs.ErrNotExist) {
		return b, partialPath, err
	}
	b, err = readLimited(filepath.Join(f.root, fullPath), maxSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, partialPath, err // name the file the tree needs
	}
	return b, fullPath, err
}

// Largest files the layout allows: 256 entries of at most 64 KiB, 256
// hashes. A larger file is not read whole.
const (
	maxBundleSize = layout.EntryBundleWidth * (2 + maxLeafBytes)
	maxTileSize   = layout.TileWidth * sha256.Size
	// a checkpoint is three lines and a few signatures
	maxCheckpointSize = 1 << 16
)

func readLimited(path string, maxSize int64) ([]byte, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil {
		return nil, err
	}
	if info.Size() > maxSize {
		return nil, fmt.Errorf("%d bytes, larger than the %d such a file can hold", info.Size(), maxSize)
	}
	b := make([]byte, info.Size())
	if _, err := io.ReadFull(file, b); err != nil {
		return nil, err
	}
	return b, nil
}

// bundle returns the entries of entry bundle k of a tree of the given size:
// exactly as many as the tree holds in that bundle.
func (f files) bundle(k, size uint64) ([][]byte, string, error) {
	p := layout.PartialTileSize(0, k, size)
	raw, path, err := f.resource(layout.EntriesPath(k, p), layout.EntriesPath(k, 0), maxBundleSize)
	if err != nil {
		return nil, f.rel(path), err
	}
	want := int(p)
	if p == 0 {
		want = layout.EntryBundleWidth
	}
	entries, err := splitBundle(raw, want)
	if err != nil {
		return entries, f.rel(path), err
	}
	if len(entries) < want {
		return entries, f.rel(path), fmt.Errorf("holds %d entries, the tree has %d in it: %w", len(entries), want, errShort)
	}
	if path == layout.EntriesPath(k, p) && len(entries) != want {
		return nil, f.rel(path), fmt.Errorf("holds %d entries, its name says %d", len(entries), want)
	}
	return entries[:want], f.rel(path), nil
}

// errShort marks a bundle with fewer entries than the tree has there:
// leaves were cut off.
var errShort = errors.New("entries were removed")

// splitBundle splits an entry bundle: each entry is a 2-byte big-endian
// length and that many bytes. On a malformed file it returns the entries
// before the fault.
func splitBundle(raw []byte, max int) ([][]byte, error) {
	out := make([][]byte, 0, max)
	for i := 0; i < len(raw); {
		if i+2 > len(raw) {
			return out, fmt.Errorf("entry %d: truncated length at byte %d", len(out), i)
		}
		n := int(binary.BigEndian.Uint16(raw[i:]))
		if i+2+n > len(raw) {
			return out, fmt.Errorf("entry %d: %d bytes announced at byte %d, the file ends first", len(out), n, i)
		}
		out = append(out, raw[i+2:i+2+n])
		i += 2 + n
	}
	return out, nil
}

// tile returns the hashes of tile k at tile level L for a tree of the given
// size: exactly as many as that tree has there.
func (f files) tile(level, k, size uint64) ([][]byte, string, error) {
	p := layout.PartialTileSize(level, k, size)
	raw, path, err := f.resource(layout.TilePath(level, k, p), layout.TilePath(level, k, 0), maxTileSize)
	if err != nil {
		return nil, f.rel(path), err
	}
	want := int(p)
	if p == 0 {
		want = layout.TileWidth
	}
	if len(raw)%sha256.Size != 0 || len(raw)/sha256.Size < want {
		return nil, f.rel(path), fmt.Errorf("%d bytes, want %d hashes of %d bytes", len(raw), want, sha256.Size)
	}
	if path == layout.TilePath(level, k, p) && len(raw) != want*sha256.Size {
		return nil, f.rel(path), fmt.Errorf("%d bytes, its name says %d hashes", len(raw), want)
	}
	out := make([][]byte, want)
	for i := range out {
		out[i] = raw[i*sha256.Size : (i+1)*sha256.Size]
	}
	return out, f.rel(path), nil
}

// leafHash is RFC 6962's leaf hash, the one Tessera's tree uses.
func leafHash(data []byte) []byte { return rfc6962.DefaultHasher.HashLeaf(data) }
