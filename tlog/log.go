package tlog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	f_log "github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/storage/posix"
)

// Tuning of the embedded log. Prod changes are rare and each Append waits
// for a signed checkpoint, so batches are cut short; bulk loads go through
// AppendBatch, which fills whole bundles.
const (
	batchMaxSize       = layout.EntryBundleWidth
	batchMaxAge        = 20 * time.Millisecond
	checkpointInterval = 100 * time.Millisecond // Tessera's POSIX minimum
	pollInterval       = 10 * time.Millisecond
	shutdownTimeout    = 30 * time.Second
)

// Log is the embedded transparency log: a Tessera log on POSIX storage
// whose checkpoints are C2SP signed notes by the log's own Ed25519 key.
// One process may hold one Log per directory; several processes may append
// to one directory (Tessera serialises them with file locks).
type Log struct {
	dir      string
	files    files
	key      *keyPair
	cancel   context.CancelFunc
	add      tessera.AddFn
	shutdown func(context.Context) error
	reader   tessera.LogReader

	mu      sync.Mutex          // serialises dedup-and-add
	seen    map[[32]byte]uint64 // leaf hash → index, for integrated leaves [0, scanned)
	scanned uint64
	closed  bool
}

var (
	openMu   sync.Mutex
	openDirs = map[string]bool{} // Tessera's file locks are per process: refuse a second Log on one dir
)

// Open opens the log in dir, creating it (and its signing key) when dir
// holds none. The caller must Close it.
func Open(dir string) (*Log, error) {
	quietKlog()
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	openMu.Lock()
	defer openMu.Unlock()
	if openDirs[abs] {
		return nil, fmt.Errorf("transparency log %s is already open in this process: share the *tlog.Log", abs)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("create transparency log directory: %w", err)
	}
	key, err := loadOrCreateKey(abs)
	if err != nil {
		return nil, err
	}
	l := &Log{dir: abs, files: newFiles(abs), key: key, seen: map[[32]byte]uint64{}}
	// A checkpoint this key does not verify means the key or the log was
	// swapped: appending would sign on top of it.
	if cp, err := l.files.checkpoint(); err == nil {
		if _, err := l.parseCheckpoint(cp); err != nil {
			return nil, fmt.Errorf("%s: %w: run `slipway audit verify` and restore the log from a backup", l.files.rel(layout.CheckpointPath), err)
		}
	} else if !errors.Is(err, ErrNoLog) {
		return nil, err
	}
	driver, err := posix.New(context.Background(), posix.Config{Path: filepath.Join(abs, LogDir)})
	if err != nil {
		return nil, fmt.Errorf("open transparency log storage: %w", err)
	}
	opts := tessera.NewAppendOptions().
		WithCheckpointSigner(key.signer).
		WithBatching(batchMaxSize, batchMaxAge).
		WithCheckpointInterval(checkpointInterval).
		WithShutdownTimeout(shutdownTimeout)
	ctx, cancel := context.WithCancel(context.Background())
	app, shutdown, reader, err := tessera.NewAppender(ctx, driver, opts)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("open transparency log %s: %w", abs, err)
	}
	l.cancel, l.add, l.shutdown, l.reader = cancel, app.Add, shutdown, reader
	openDirs[abs] = true
	return l, nil
}

// Close waits until every appended leaf is in a published checkpoint, then
// stops the log's background work.
func (l *Log) Close() error {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err := l.shutdown(ctx)
	l.cancel()
	openMu.Lock()
	delete(openDirs, l.dir)
	openMu.Unlock()
	if err != nil {
		return fmt.Errorf("close transparency log %s: %w", l.dir, err)
	}
	return nil
}

// Dir is the log's directory.
func (l *Log) Dir() string { return l.dir }

// Origin is the log's origin line, the name of its key.
func (l *Log) Origin() string { return l.key.signer.Name() }

// PublicKey returns the verifier key of the log's checkpoints, in the
// signed-note text form (<origin>+<hash>+<base64 key>) that `slipway audit
// key` prints and `slipway audit verify --key` pins.
func (l *Log) PublicKey() string { return l.key.vkey }

// Checkpoint returns the latest published checkpoint, a signed note, after
// checking its signature.
func (l *Log) Checkpoint() ([]byte, error) {
	cp, err := l.files.checkpoint()
	if err != nil {
		return nil, err
	}
	if _, err := l.parseCheckpoint(cp); err != nil {
		return nil, fmt.Errorf("%s: %w", l.files.rel(layout.CheckpointPath), err)
	}
	return cp, nil
}

func (l *Log) parseCheckpoint(cp []byte) (*f_log.Checkpoint, error) {
	c, _, _, err := f_log.ParseCheckpoint(cp, l.Origin(), l.key.verifier)
	if err != nil {
		return nil, fmt.Errorf("checkpoint does not verify with the log's key %s: %w", l.key.vkey, err)
	}
	return c, nil
}

// Append records leaf and returns its index once a signed checkpoint that
// includes it is published. Appending a leaf whose encoding is already in
// the log returns the existing index and adds nothing, so a caller that
// crashed before storing the index may simply append again (with the same
// Time).
func (l *Log) Append(ctx context.Context, leaf Leaf) (uint64, error) {
	idx, err := l.AppendBatch(ctx, []Leaf{leaf})
	if err != nil {
		return 0, err
	}
	return idx[0], nil
}

// AppendBatch records leaves in order (with Append's deduplication) and
// returns their indexes once one checkpoint covers them all.
func (l *Log) AppendBatch(ctx context.Context, leaves []Leaf) ([]uint64, error) {
	data := make([][]byte, len(leaves))
	for i, leaf := range leaves {
		b, err := leaf.Marshal()
		if err != nil {
			return nil, fmt.Errorf("append leaf %d (%s %s/%s): %w", i, leaf.Kind, leaf.Service, leaf.Env, err)
		}
		data[i] = b
	}
	idx, err := l.sequence(ctx, data)
	if err != nil {
		return nil, err
	}
	var want uint64
	for _, i := range idx {
		want = max(want, i+1)
	}
	if err := l.awaitCheckpoint(ctx, want); err != nil {
		return nil, err
	}
	return idx, nil
}

// Find returns the index of leaf when the log already holds it (its exact
// encoding), without appending. The index may be ahead of the published
// checkpoint for a moment after a crash; Append waits for it.
func (l *Log) Find(ctx context.Context, leaf Leaf) (uint64, bool, error) {
	b, err := leaf.Marshal()
	if err != nil {
		return 0, false, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.scan(ctx); err != nil {
		return 0, false, err
	}
	i, ok := l.seen[[32]byte(leafHash(b))]
	return i, ok, nil
}

// sequence adds the entries not yet in the log and waits until Tessera has
// integrated them into the tree.
func (l *Log) sequence(ctx context.Context, data [][]byte) ([]uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, fmt.Errorf("transparency log %s is closed", l.dir)
	}
	if err := l.scan(ctx); err != nil {
		return nil, err
	}
	idx := make([]uint64, len(data))
	futures := make([]tessera.IndexFuture, len(data))
	batch := map[[32]byte]int{} // the same leaf twice in one batch is one entry
	for i, d := range data {
		h := [32]byte(leafHash(d))
		if at, ok := l.seen[h]; ok {
			idx[i] = at
			continue
		}
		if j, ok := batch[h]; ok {
			futures[i] = futures[j]
			continue
		}
		batch[h] = i
		futures[i] = l.add(ctx, tessera.NewEntry(d))
	}
	for i, f := range futures {
		if f == nil {
			continue
		}
		got, err := resolve(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("append to transparency log %s: %w", l.dir, err)
		}
		idx[i] = got.Index
		l.seen[[32]byte(leafHash(data[i]))] = got.Index
	}
	return idx, nil
}

// resolve waits for a Tessera future without outliving ctx (a future whose
// queue was stopped never resolves).
func resolve(ctx context.Context, f tessera.IndexFuture) (tessera.Index, error) {
	type result struct {
		idx tessera.Index
		err error
	}
	ch := make(chan result, 1)
	go func() {
		i, err := f()
		ch <- result{i, err}
	}()
	select {
	case r := <-ch:
		return r.idx, r.err
	case <-ctx.Done():
		return tessera.Index{}, ctx.Err()
	}
}

// scan extends the leaf-hash index to every integrated leaf, reading the
// level-0 tiles (which hold the leaf hashes). Leaves another process added
// since the last scan are found too.
func (l *Log) scan(ctx context.Context) error {
	size, err := l.reader.IntegratedSize(ctx)
	if err != nil {
		return fmt.Errorf("read transparency log size: %w", err)
	}
	for l.scanned < size {
		k := l.scanned / layout.TileWidth
		hashes, path, err := l.files.tile(0, k, size)
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		for i := l.scanned % layout.TileWidth; i < uint64(len(hashes)); i++ {
			l.seen[[32]byte(hashes[i])] = k*layout.TileWidth + i
		}
		l.scanned = k*layout.TileWidth + uint64(len(hashes))
	}
	return nil
}

// awaitCheckpoint waits until the published checkpoint covers size leaves.
func (l *Log) awaitCheckpoint(ctx context.Context, size uint64) error {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		cp, err := l.files.checkpoint()
		if err != nil && !errors.Is(err, ErrNoLog) {
			return err
		}
		if err == nil {
			c, err := l.parseCheckpoint(cp)
			if err != nil {
				return err
			}
			if c.Size >= size {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for a checkpoint of size %d: %w", size, ctx.Err())
		case <-t.C:
		}
	}
}
