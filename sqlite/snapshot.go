package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// A snapshot is one read transaction that the reads of one request share
// (see slipway.Store.Snapshot). In WAL mode every statement run on its own
// opens a read transaction: it takes a read mark, checks the WAL for
// commits and, after any commit by another connection, drops its whole
// page cache and reads the pages again; and it takes a connection from the
// pool, waiting for one under load. A request that reads five or ten times
// (a promotion's page, `why`) paid that five or ten times. In one
// snapshot it pays once, and its reads agree with each other.
//
// The transaction begins at the first read (a request that reads nothing
// takes no connection) and is deferred (BEGIN, not the IMMEDIATE of
// writes), so it never takes the write lock. A write with the snapshot's
// context ends it first: the write runs on its own connection, and the
// reads after it must see it.
type snapshot struct {
	d    *stmtDB
	mu   sync.Mutex
	tx   *sql.Tx
	done bool
}

type snapshotKey struct{}

// Snapshot returns ctx with a snapshot of the database, and the function
// that ends it (call it once the request's reads are done). Within a
// snapshot already, it returns ctx and a function that does nothing: a
// second one would hold a second connection.
func (s *DB) Snapshot(ctx context.Context) (context.Context, func()) {
	if sn, _ := ctx.Value(snapshotKey{}).(*snapshot); sn != nil && sn.d == s.db {
		return ctx, func() {}
	}
	sn := &snapshot{d: s.db}
	return context.WithValue(ctx, snapshotKey{}, sn), sn.end
}

// snapshot returns the transaction of ctx's snapshot of d, begun at the
// first call; nil (and no error) when ctx has none, or its snapshot ended.
func (d *stmtDB) snapshot(ctx context.Context) (*sql.Tx, error) {
	sn, _ := ctx.Value(snapshotKey{}).(*snapshot)
	if sn == nil || sn.d != d {
		return nil, nil
	}
	sn.mu.Lock()
	defer sn.mu.Unlock()
	if sn.done {
		return nil, nil
	}
	if sn.tx == nil {
		tx, err := d.DB.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			return nil, err
		}
		sn.tx = tx
	}
	return sn.tx, nil
}

// end ends the snapshot: it gives its connection back and later reads with
// its context run on their own.
func (sn *snapshot) end() {
	sn.mu.Lock()
	defer sn.mu.Unlock()
	if sn.tx != nil {
		sn.tx.Rollback() // read only: nothing to keep
		sn.tx = nil
	}
	sn.done = true
}

// endSnapshot ends ctx's snapshot, if any, before a write.
func endSnapshot(ctx context.Context) {
	if sn, _ := ctx.Value(snapshotKey{}).(*snapshot); sn != nil {
		sn.end()
	}
}
