package tlog

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/api/layout"
)

// Proof is one leaf with its inclusion proof in the log's signed checkpoint.
type Proof struct {
	Index      uint64
	Leaf       Leaf
	LeafHash   []byte
	Hashes     [][]byte // RFC 6962 inclusion proof, leaf to root
	Size       uint64   // tree size the proof is for (the checkpoint's)
	Root       []byte
	Checkpoint []byte
}

// Prove reads leaf index from dir and checks its inclusion proof, built
// from the stored tiles, against the signed checkpoint: cheap (a few files)
// where Verify reads everything; for `slipway audit show`. The key comes
// from opts.PublicKey or log.pub; the other options are ignored.
func Prove(ctx context.Context, dir string, index uint64, opts VerifyOptions) (*Proof, error) {
	f := newFiles(dir)
	v, rep, err := trustedVerifier(dir, opts)
	if err != nil {
		return nil, err
	}
	cp, err := readSignedCheckpoint(f, dir, v, rep)
	if err != nil {
		return nil, err
	}
	raw := rep.Checkpoint
	if index >= cp.Size {
		return nil, fmt.Errorf("leaf %d: the log's signed checkpoint has %d leaves (is the record newer than the last checkpoint?)", index, cp.Size)
	}
	k := index / layout.EntryBundleWidth
	entries, path, err := f.bundle(k, cp.Size)
	if err != nil {
		problem := ErrLeafAltered
		if errors.Is(err, fs.ErrNotExist) {
			problem = ErrLeafMissing
		}
		return nil, &VerifyError{Problem: problem, Leaf: int64(index), File: path, Err: err}
	}
	data := entries[index%layout.EntryBundleWidth]
	p := &Proof{Index: index, LeafHash: leafHash(data), Size: cp.Size, Root: cp.Hash, Checkpoint: raw}

	nodes, err := proof.Inclusion(index, cp.Size)
	if err != nil {
		return nil, err
	}
	tiles := map[[2]uint64][][]byte{}
	hashes := make([][]byte, len(nodes.IDs))
	for i, id := range nodes.IDs {
		h, path, err := nodeHash(f, tiles, id.Level, id.Index, cp.Size)
		if err != nil {
			return nil, &VerifyError{Problem: ErrTile, Leaf: int64(index), File: path, Err: err}
		}
		hashes[i] = h
	}
	if p.Hashes, err = nodes.Rehash(hashes, rfc6962.DefaultHasher.HashChildren); err != nil {
		return nil, err
	}
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, index, cp.Size, p.LeafHash, p.Hashes, cp.Hash); err != nil {
		return nil, &VerifyError{Problem: ErrLeafAltered, Leaf: int64(index), File: path,
			Detail: "its inclusion proof does not reach the signed root (the leaf or a tile on its path was altered; `slipway audit verify` says which)", Err: err}
	}
	if p.Leaf, err = ParseLeaf(data); err != nil {
		return nil, &VerifyError{Problem: ErrLeafInvalid, Leaf: int64(index), File: path, Err: err}
	}
	return p, ctx.Err()
}

// nodeHash returns the hash of the perfect subtree node (level, index) from
// the tiles: a tile at tile level L stores tree level 8·L, and the levels in
// between are hashed from it.
func nodeHash(f files, cache map[[2]uint64][][]byte, level uint, index, size uint64) ([]byte, string, error) {
	L := uint64(level / layout.TileHeight)
	sub := level % layout.TileHeight
	first := index << sub // first node of tree level 8·L under this node
	k := first / layout.TileWidth
	t, ok := cache[[2]uint64{L, k}]
	path := f.rel(layout.TilePath(L, k, layout.PartialTileSize(L, k, size)))
	if !ok {
		var err error
		if t, path, err = f.tile(L, k, size); err != nil {
			return nil, path, err
		}
		cache[[2]uint64{L, k}] = t
	}
	lo, n := first%layout.TileWidth, uint64(1)<<sub
	if lo+n > uint64(len(t)) {
		return nil, path, fmt.Errorf("tile %d/%d has %d hashes, node needs %d", L, k, len(t), lo+n)
	}
	return subtreeRoot(t[lo : lo+n]), path, nil
}

// ReadLeaves calls fn for each leaf from index from up to the signed
// checkpoint's size, in order, without proving them (Verify does that): for
// lookups, such as finding the leaf of a promotion after a crash.
func ReadLeaves(ctx context.Context, dir string, from uint64, fn func(index uint64, leaf Leaf) error) error {
	f := newFiles(dir)
	v, rep, err := trustedVerifier(dir, VerifyOptions{})
	if err != nil {
		return err
	}
	cp, err := readSignedCheckpoint(f, dir, v, rep)
	if err != nil {
		return err
	}
	for k := from / layout.EntryBundleWidth; k*layout.EntryBundleWidth < cp.Size; k++ {
		entries, path, err := f.bundle(k, cp.Size)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		for j, e := range entries {
			i := k*layout.EntryBundleWidth + uint64(j)
			if i < from {
				continue
			}
			leaf, err := ParseLeaf(e)
			if err != nil {
				return fmt.Errorf("leaf %d (%s): %w", i, path, err)
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(i, leaf); err != nil {
				return err
			}
		}
	}
	return nil
}
