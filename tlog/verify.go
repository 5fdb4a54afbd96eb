package tlog

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"runtime"
	"sync"

	f_log "github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/api/layout"
	"golang.org/x/mod/sumdb/note"
)

// What a failed verification found. A *VerifyError wraps exactly one of
// these; test with errors.Is.
var (
	ErrKey          = errors.New("the log's key is not the trusted key")
	ErrCheckpoint   = errors.New("checkpoint does not verify")
	ErrTruncated    = errors.New("leaves were deleted")
	ErrInconsistent = errors.New("the log is not an extension of the saved checkpoint")
	ErrLeafMissing  = errors.New("leaf missing")
	ErrLeafAltered  = errors.New("leaf altered")
	ErrRewritten    = errors.New("the log does not match its signed checkpoint")
	ErrTile         = errors.New("tile altered")
	ErrLeafInvalid  = errors.New("leaf unreadable")
	ErrLeafCheck    = errors.New("leaf check failed")
)

// VerifyError says what is wrong, where: the first bad leaf (Leaf ≥ 0) or
// the file at fault.
type VerifyError struct {
	Problem error  // one of the Err… values above
	Leaf    int64  // index of the first bad leaf, -1 when the problem is not one leaf's
	File    string // the file at fault, relative to the log directory (or as the caller named it)
	Detail  string // what was found
	Err     error  // the cause, e.g. the error OnLeaf returned
}

func (e *VerifyError) Error() string {
	var b bytes.Buffer
	b.WriteString("audit log: ")
	if e.Leaf >= 0 {
		fmt.Fprintf(&b, "leaf %d: ", e.Leaf)
	}
	b.WriteString(e.Problem.Error())
	if e.File != "" {
		fmt.Fprintf(&b, " (%s)", e.File)
	}
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func (e *VerifyError) Unwrap() []error { return []error{e.Problem, e.Err} }

// VerifyOptions say what to trust beyond the directory itself.
type VerifyOptions struct {
	// PublicKey pins the log's verifier key (what `slipway audit key`
	// printed when the log was trusted). Empty: read log.pub from the
	// directory, which proves only that the log is self-consistent.
	PublicKey string
	// Checkpoint is a checkpoint saved earlier (`slipway audit checkpoint >
	// FILE`). Given, the log must contain it: a truncated or rewritten log
	// fails even when the attacker holds the signing key.
	Checkpoint []byte
	// CheckpointName names Checkpoint in messages (its file name).
	CheckpointName string
	// OnLeaf, when set, is called for every leaf in index order once the
	// whole tree is proven; an error stops verification and names the leaf.
	OnLeaf func(index uint64, leaf Leaf) error
}

// Report is what a successful verification proved.
type Report struct {
	Origin     string // the log's origin (its key's name)
	PublicKey  string // the verifier key the checkpoint was checked with
	Pinned     bool   // PublicKey came from VerifyOptions, not from the directory
	Size       uint64 // leaves in the log, all proven included
	Root       []byte // root hash the checkpoint signs
	Checkpoint []byte // the checkpoint verified
	SavedSize  uint64 // size of the saved checkpoint proven to be a prefix; 0 without one
}

// Verify checks the log in dir offline, from its files only: the
// checkpoint's signature, that every stored leaf hashes into the tree the
// checkpoint signs (each leaf's inclusion), that every stored tile holds the
// hashes the leaves imply, that every leaf parses, and — given a saved
// checkpoint — that today's log extends it. It reads no Slipway database.
// The error is a *VerifyError naming the first bad leaf or file.
func Verify(ctx context.Context, dir string, opts VerifyOptions) (*Report, error) {
	f := newFiles(dir)
	v, rep, err := trustedVerifier(dir, opts)
	if err != nil {
		return nil, err
	}
	cp, err := readSignedCheckpoint(f, dir, v, rep)
	if err != nil {
		return nil, err
	}
	saved, err := openSavedCheckpoint(opts, v, cp)
	if err != nil {
		return nil, err
	}
	leaves, err := readLeaves(ctx, f, cp.Size)
	if err != nil {
		return nil, err
	}
	tree, err := proveLeaves(f, cp, leaves, saved)
	if err != nil {
		return nil, err
	}
	if saved != nil {
		if !bytes.Equal(tree.prefixRoot, saved.Hash) {
			return nil, &VerifyError{Problem: ErrInconsistent, Leaf: -1, File: savedName(opts),
				Detail: fmt.Sprintf("the first %d leaves of today's log hash to %x, the saved checkpoint signs %x: leaves below %d were rewritten since it was saved", saved.Size, tree.prefixRoot, saved.Hash, saved.Size)}
		}
		rep.SavedSize = saved.Size
	}
	if err := checkTiles(f, cp.Size, tree.levels); err != nil {
		return nil, err
	}
	for i, perr := range leaves.parseErr {
		if perr != nil {
			return nil, &VerifyError{Problem: ErrLeafInvalid, Leaf: int64(i), File: leaves.path[i/layout.EntryBundleWidth],
				Detail: "it is in the signed tree but is not a Slipway leaf", Err: perr}
		}
	}
	if opts.OnLeaf != nil {
		for i, leaf := range leaves.parsed {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if err := opts.OnLeaf(uint64(i), leaf); err != nil {
				return nil, &VerifyError{Problem: ErrLeafCheck, Leaf: int64(i), Err: err}
			}
		}
	}
	return rep, nil
}

// readSignedCheckpoint reads log/checkpoint and verifies it with v.
func readSignedCheckpoint(f files, dir string, v note.Verifier, rep *Report) (*f_log.Checkpoint, error) {
	raw, err := f.checkpoint()
	if errors.Is(err, ErrNoLog) {
		return nil, fmt.Errorf("%s: %w: nothing to verify (no prod change recorded yet?)", dir, ErrNoLog)
	}
	if err != nil {
		return nil, err
	}
	cp, err := openCheckpoint(raw, v)
	if err != nil {
		return nil, &VerifyError{Problem: ErrCheckpoint, Leaf: -1, File: f.rel(layout.CheckpointPath), Err: err}
	}
	rep.Size, rep.Root, rep.Checkpoint = cp.Size, cp.Hash, raw
	return cp, nil
}

func savedName(opts VerifyOptions) string {
	if opts.CheckpointName == "" {
		return "saved checkpoint"
	}
	return opts.CheckpointName
}

// openSavedCheckpoint verifies the checkpoint saved earlier, if any, with
// the same key, and refuses a log smaller than it.
func openSavedCheckpoint(opts VerifyOptions, v note.Verifier, cp *f_log.Checkpoint) (*f_log.Checkpoint, error) {
	if opts.Checkpoint == nil {
		return nil, nil
	}
	saved, err := openCheckpoint(opts.Checkpoint, v)
	if err != nil {
		return nil, &VerifyError{Problem: ErrCheckpoint, Leaf: -1, File: savedName(opts),
			Detail: "the saved checkpoint is not signed by the key the log is checked with (was the log's key replaced?)", Err: err}
	}
	if saved.Size > cp.Size {
		return nil, &VerifyError{Problem: ErrTruncated, Leaf: int64(cp.Size), File: savedName(opts),
			Detail: fmt.Sprintf("the log has %d leaves but the checkpoint saved earlier commits to %d: the newest %d were deleted, or the log was replaced by an older copy", cp.Size, saved.Size, saved.Size-cp.Size)}
	}
	return saved, nil
}

// proveLeaves hashes the stored leaves into a tree whose root must be the
// signed one: that proves every leaf's inclusion at once. On a mismatch it
// names the leaf or tile at fault.
func proveLeaves(f files, cp *f_log.Checkpoint, leaves *storedLeaves, saved *f_log.Checkpoint) (*tree, error) {
	tree, err := buildTree(leaves.hashes, saved)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(tree.root, cp.Hash) {
		err := locate(f, cp, leaves)
		if m := leaves.malformed; m != nil {
			var ve *VerifyError
			if !errors.As(err, &ve) || ve.Leaf < 0 || ve.Leaf > m.Leaf {
				return nil, m
			}
			ve.Err = m.Err // the split error says what is wrong with the file
		}
		return nil, err
	}
	if leaves.malformed != nil {
		return nil, leaves.malformed
	}
	return tree, nil
}

// trustedVerifier returns the key to check checkpoints with: the pinned one,
// or the directory's log.pub. A pinned key the directory's key differs from
// is a replaced key.
func trustedVerifier(dir string, opts VerifyOptions) (note.Verifier, *Report, error) {
	fileKey, fileErr := ReadPublicKey(dir)
	if opts.PublicKey == "" {
		if fileErr != nil {
			return nil, nil, fmt.Errorf("no key to verify with: %w; pass the key `slipway audit key` printed", fileErr)
		}
		v, _ := parseVerifier(fileKey)
		return v, &Report{Origin: v.Name(), PublicKey: fileKey}, nil
	}
	v, err := parseVerifier(opts.PublicKey)
	if err != nil {
		return nil, nil, fmt.Errorf("pinned key: %w", err)
	}
	if fileErr == nil && !sameKey(fileKey, opts.PublicKey) {
		return nil, nil, &VerifyError{Problem: ErrKey, Leaf: -1, File: PublicKeyFile,
			Detail: fmt.Sprintf("the directory's key is %s, the pinned key is %s: the log's key was replaced", fileKey, opts.PublicKey)}
	}
	return v, &Report{Origin: v.Name(), PublicKey: opts.PublicKey, Pinned: true}, nil
}

// openCheckpoint verifies a checkpoint note with v; the origin must be the
// key's name, as Slipway writes it.
func openCheckpoint(raw []byte, v note.Verifier) (*f_log.Checkpoint, error) {
	cp, _, _, err := f_log.ParseCheckpoint(raw, v.Name(), v)
	if err != nil {
		return nil, err
	}
	if len(cp.Hash) != 32 {
		return nil, fmt.Errorf("root hash of %d bytes, want 32", len(cp.Hash))
	}
	return cp, nil
}

// storedLeaves is what the entry bundles hold, by leaf index.
type storedLeaves struct {
	hashes    [][]byte
	parsed    []Leaf
	parseErr  []error
	path      []string     // bundle file, by bundle index
	malformed *VerifyError // the first bundle that does not split into entries
}

// readLeaves reads every entry bundle of a tree of the given size, hashing
// and parsing each leaf, a window of bundles at a time in parallel. Memory
// grows with the bundles found, not with the size the checkpoint claims, so
// a checkpoint signed for an absurd size fails at its first missing bundle.
func readLeaves(ctx context.Context, f files, size uint64) (*storedLeaves, error) {
	const window = 64 // bundles read in parallel before their errors are looked at
	nb := (size + layout.EntryBundleWidth - 1) / layout.EntryBundleWidth
	hint := min(size, 1<<20) // the signed size; capped, as a hint only
	s := &storedLeaves{hashes: make([][]byte, 0, hint), parsed: make([]Leaf, 0, hint), parseErr: make([]error, 0, hint), path: make([]string, 0, min(nb, 1<<12))}
	for from := uint64(0); from < nb; from += window {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := min(window, nb-from)
		bundles := make([]readBundle, n)
		var wg sync.WaitGroup
		work := make(chan uint64)
		for range runtime.GOMAXPROCS(0) {
			wg.Go(func() {
				for k := range work {
					bundles[k-from] = readOneBundle(f, k, size)
				}
			})
		}
		for k := from; k < from+n; k++ {
			work <- k
		}
		close(work)
		wg.Wait()
		for _, b := range bundles {
			if b.missing != nil {
				return nil, b.missing
			}
			if b.malformed != nil && s.malformed == nil {
				s.malformed = b.malformed
			}
			s.hashes = append(s.hashes, b.hashes...)
			s.parsed = append(s.parsed, b.parsed...)
			s.parseErr = append(s.parseErr, b.parseErr...)
			s.path = append(s.path, b.path)
		}
	}
	return s, nil
}

// readBundle is one entry bundle, read, hashed and parsed.
type readBundle struct {
	hashes    [][]byte
	parsed    []Leaf
	parseErr  []error
	path      string
	missing   *VerifyError
	malformed *VerifyError
}

func readOneBundle(f files, k, size uint64) readBundle {
	entries, path, err := f.bundle(k, size)
	first := k * layout.EntryBundleWidth
	want := min(size-first, layout.EntryBundleWidth)
	b := readBundle{path: path, hashes: make([][]byte, want), parsed: make([]Leaf, want), parseErr: make([]error, want)}
	bad := int64(first) + int64(len(entries))
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrNotExist):
		b.missing = &VerifyError{Problem: ErrLeafMissing, Leaf: bad, File: path, Err: errors.New("the entry bundle is gone")}
		return b
	case errors.Is(err, errShort):
		b.missing = &VerifyError{Problem: ErrLeafMissing, Leaf: bad, File: path, Err: err}
		return b
	default:
		// A malformed bundle: an edited length shifts every later entry,
		// so the leaf to blame is the first whose hash the tree does not
		// include; Verify asks locate.
		b.malformed = &VerifyError{Problem: ErrLeafAltered, Leaf: bad, File: path, Err: err}
	}
	for j := range b.hashes {
		if j >= len(entries) {
			b.hashes[j] = make([]byte, 32) // unreadable: no leaf hashes to zero
			continue
		}
		b.hashes[j] = leafHash(entries[j])
		b.parsed[j], b.parseErr[j] = ParseLeaf(entries[j])
	}
	return b
}

// tree is the Merkle tree the stored leaves imply.
type tree struct {
	root       []byte
	prefixRoot []byte     // root of the first saved.Size leaves
	levels     [][][]byte // levels[L] = hashes of tree level 8·L: the contents of tile level L
}

// buildTree hashes the leaves into an RFC 6962 tree, keeping the levels
// tiles store and the root at the saved checkpoint's size.
func buildTree(hashes [][]byte, saved *f_log.Checkpoint) (*tree, error) {
	t := &tree{levels: [][][]byte{hashes}}
	rf := compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	r := rf.NewEmptyRange(0)
	visit := func(id compact.NodeID, h []byte) {
		if id.Level == 0 || id.Level%layout.TileHeight != 0 {
			return
		}
		L := int(id.Level / layout.TileHeight)
		for len(t.levels) <= L {
			t.levels = append(t.levels, nil)
		}
		t.levels[L] = append(t.levels[L], h) // perfect nodes arrive in index order
	}
	if saved != nil && saved.Size == 0 {
		t.prefixRoot = rfc6962.DefaultHasher.EmptyRoot()
	}
	for i, h := range hashes {
		if err := r.Append(h, visit); err != nil {
			return nil, err
		}
		if saved != nil && uint64(i+1) == saved.Size {
			root, err := r.GetRootHash(nil)
			if err != nil {
				return nil, err
			}
			t.prefixRoot = root
		}
	}
	root, err := r.GetRootHash(nil)
	if err != nil {
		return nil, err
	}
	if root == nil {
		root = rfc6962.DefaultHasher.EmptyRoot()
	}
	t.root = root
	return t, nil
}

// checkTiles compares every stored tile of the tree with the hashes the
// (proven) leaves imply. Tiles are derived data, but a client of the log
// reads proofs from them, so an altered tile is an error naming the file.
func checkTiles(f files, size uint64, levels [][][]byte) error {
	for L, hashes := range levels {
		for k := uint64(0); k*layout.TileWidth < uint64(len(hashes)); k++ {
			stored, path, err := f.tile(uint64(L), k, size)
			if err != nil {
				return &VerifyError{Problem: ErrTile, Leaf: -1, File: path, Err: err}
			}
			want := hashes[k*layout.TileWidth : min(uint64(len(hashes)), (k+1)*layout.TileWidth)]
			for i := range want {
				if !bytes.Equal(stored[i], want[i]) {
					return &VerifyError{Problem: ErrTile, Leaf: -1, File: path,
						Detail: fmt.Sprintf("hash %d is %x, the leaves (which match the signed checkpoint) give %x; the leaves are intact", i, stored[i], want[i])}
				}
			}
		}
	}
	return nil
}

// locate explains a root mismatch as precisely as the stored tiles allow.
// The tiles are the tree as Tessera built it: when they still hash to the
// signed root, the first leaf whose hash differs from its tile entry is the
// edited one (its inclusion proof fails). When the tiles were edited too,
// the lowest tile that does not hash from the tiles below it bounds the
// edited leaves. When leaves and tiles agree but not with the checkpoint,
// the log was rewritten as a whole.
func locate(f files, cp *f_log.Checkpoint, leaves *storedLeaves) error {
	stored, path0 := readTileLevel(f, 0, cp.Size)
	first := -1
	for i := range stored {
		if !bytes.Equal(stored[i], leaves.hashes[i]) {
			first = i
			break
		}
	}
	tilesMatch := false
	if uint64(len(stored)) == cp.Size {
		if t, err := buildTree(stored, nil); err == nil {
			tilesMatch = bytes.Equal(t.root, cp.Hash)
		}
	}
	switch {
	case first >= 0 && tilesMatch:
		return &VerifyError{Problem: ErrLeafAltered, Leaf: int64(first), File: leaves.path[first/layout.EntryBundleWidth],
			Detail: fmt.Sprintf("its hash %x is not the hash %x the signed tree includes at this index: its inclusion proof fails", leaves.hashes[first], stored[first])}
	case first >= 0:
		return &VerifyError{Problem: ErrLeafAltered, Leaf: int64(first), File: leaves.path[first/layout.EntryBundleWidth],
			Detail: fmt.Sprintf("its hash differs from the one in %s, and the tiles do not hash to the signed root either: leaves and tiles were edited", path0[first/layout.TileWidth])}
	case uint64(len(stored)) < cp.Size:
		return &VerifyError{Problem: ErrTile, Leaf: int64(len(stored)), File: path0[len(stored)/layout.TileWidth],
			Detail: "the leaves do not hash to the signed root and this tile cannot be read to say which leaf differs"}
	}
	// Leaves and level-0 tiles agree: find the lowest tile that is not the
	// hash of the tiles below it.
	below := stored
	for L := uint64(1); cp.Size>>(L*layout.TileHeight) > 0; L++ {
		above, paths := readTileLevel(f, L, cp.Size)
		for j := range above {
			want := subtreeRoot(below[j*layout.TileWidth : (j+1)*layout.TileWidth])
			if !bytes.Equal(want, above[j]) {
				span := uint64(1) << (L * layout.TileHeight)
				return &VerifyError{Problem: ErrRewritten, Leaf: -1, File: paths[j/layout.TileWidth],
					Detail: fmt.Sprintf("leaves %d–%d and their tiles were edited: they no longer hash to what %s commits to, and the leaves do not hash to the signed root", uint64(j)*span, min(cp.Size, uint64(j+1)*span)-1, paths[j/layout.TileWidth])}
			}
		}
		below = above
	}
	return &VerifyError{Problem: ErrRewritten, Leaf: -1, File: f.rel(layout.CheckpointPath),
		Detail: fmt.Sprintf("the %d leaves and the tiles agree with each other, but hash to a root the checkpoint does not sign (it signs %s): the log was rewritten, or its checkpoint replaced", cp.Size, hex.EncodeToString(cp.Hash))}
}

// readTileLevel reads the hashes of one tile level of a tree of the given
// size, stopping at the first unreadable tile; paths are by tile index.
func readTileLevel(f files, level, size uint64) ([][]byte, []string) {
	var hashes [][]byte
	var paths []string
	n := size >> (level * layout.TileHeight)
	for k := uint64(0); k*layout.TileWidth < n; k++ {
		t, path, err := f.tile(level, k, size)
		paths = append(paths, path)
		if err != nil {
			break
		}
		hashes = append(hashes, t...)
	}
	return hashes, paths
}

// subtreeRoot hashes a perfect subtree from its 256 bottom nodes.
func subtreeRoot(row [][]byte) []byte {
	for len(row) > 1 {
		next := make([][]byte, len(row)/2)
		for i := range next {
			next[i] = rfc6962.DefaultHasher.HashChildren(row[2*i], row[2*i+1])
		}
		row = next
	}
	return row[0]
}

// ReadCheckpoint returns the log's latest checkpoint after checking its
// signature with the directory's key (for `slipway audit checkpoint`). It
// creates nothing and needs no lock.
func ReadCheckpoint(dir string) ([]byte, error) {
	vkey, err := ReadPublicKey(dir)
	if err != nil {
		return nil, err
	}
	v, _ := parseVerifier(vkey)
	f := newFiles(dir)
	raw, err := f.checkpoint()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, LogDir, layout.CheckpointPath), err)
	}
	if _, err := openCheckpoint(raw, v); err != nil {
		return nil, fmt.Errorf("%s: %w: run `slipway audit verify`", f.rel(layout.CheckpointPath), err)
	}
	return raw, nil
}
