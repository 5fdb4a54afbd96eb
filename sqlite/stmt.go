package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// stmtDB is the database with a cache of prepared statements: SQLite
// parses a statement on every prepare, and database/sql prepares every
// query it is given, so a server answering hundreds of requests a second
// spent a fifth of its time parsing the same few dozen statements. A
// statement is prepared once per connection (database/sql keeps one per
// connection it runs on) and reused. The cache is bounded: statements
// built with a varying shape beyond it run unprepared.
type stmtDB struct {
	*sql.DB
	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
	// preparing are the statements being prepared in the background.
	preparing map[string]bool
	// write is held by every write of this process: SQLite lets one
	// writer in at a time, and a writer that finds the lock taken sleeps
	// in SQLite's busy handler (1, 2, 5, 10… ms) holding its connection,
	// where waiting here hands the lock over at once. Other processes
	// still meet busy_timeout.
	write sync.Mutex
}

const maxStatements = 256

func newStmtDB(db *sql.DB) *stmtDB { return &stmtDB{DB: db, stmts: map[string]*sql.Stmt{}} }

// stmt returns the cached statement of q, preparing it (nil when the
// cache is full).
func (d *stmtDB) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, full := d.cached(q); st != nil || full {
		return st, nil
	}
	return d.prepare(ctx, q)
}

// cached returns the cached statement of q (nil when there is none) and
// whether the cache is full.
func (d *stmtDB) cached(q string) (*sql.Stmt, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.stmts[q], len(d.stmts) >= maxStatements
}

// prepare prepares q and caches it. The cache is not locked while the
// statement is prepared: preparing takes a connection from the pool, and
// a reader holding one in its snapshot must never wait for another.
func (d *stmtDB) prepare(ctx context.Context, q string) (*sql.Stmt, error) {
	st, err := d.DB.PrepareContext(context.WithoutCancel(ctx), q)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if had := d.stmts[q]; had != nil {
		st.Close() // prepared twice at once: keep the first
		return had, nil
	}
	if len(d.stmts) >= maxStatements {
		st.Close()
		return nil, nil
	}
	d.stmts[q] = st
	return st, nil
}

// snapshotStmt returns the cached statement of q for a read in a snapshot
// (nil when there is none yet). A snapshot holds a connection, so it does
// not prepare (that would take a second one, and readers holding every
// connection of the pool would wait for each other forever): the read
// runs unprepared on the snapshot's connection this time, while the
// statement is prepared in the background for the next.
func (d *stmtDB) snapshotStmt(q string) *sql.Stmt {
	st, full := d.cached(q)
	if st != nil || full {
		return st
	}
	d.mu.Lock()
	if d.preparing == nil {
		d.preparing = map[string]bool{}
	}
	if d.preparing[q] {
		d.mu.Unlock()
		return nil
	}
	d.preparing[q] = true
	d.mu.Unlock()
	go func() {
		d.prepare(context.Background(), q)
		d.mu.Lock()
		delete(d.preparing, q)
		d.mu.Unlock()
	}()
	return nil
}

// QueryContext runs a query through its prepared statement, in ctx's
// snapshot when it has one.
func (d *stmtDB) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	tx, err := d.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	if tx != nil {
		if st := d.snapshotStmt(q); st != nil {
			return tx.StmtContext(ctx, st).QueryContext(ctx, args...)
		}
		return tx.QueryContext(ctx, q, args...)
	}
	st, err := d.stmt(ctx, q)
	if err != nil || st == nil {
		return d.DB.QueryContext(ctx, q, args...)
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext runs a one-row query through its prepared statement, in
// ctx's snapshot when it has one.
func (d *stmtDB) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	tx, err := d.snapshot(ctx)
	if err != nil {
		// The snapshot could not begin (the request is ending): the read
		// on its own says so the way a Row does, from Scan.
		return d.DB.QueryRowContext(ctx, q, args...)
	}
	if tx != nil {
		if st := d.snapshotStmt(q); st != nil {
			return tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
		}
		return tx.QueryRowContext(ctx, q, args...)
	}
	st, err := d.stmt(ctx, q)
	if err != nil || st == nil {
		return d.DB.QueryRowContext(ctx, q, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// ExecContext runs a statement through its prepared statement (never in a
// snapshot: it ends ctx's first).
func (d *stmtDB) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	endSnapshot(ctx)
	d.write.Lock()
	defer d.write.Unlock()
	st, err := d.stmt(ctx, q)
	if err != nil || st == nil {
		return d.DB.ExecContext(ctx, q, args...)
	}
	return st.ExecContext(ctx, args...)
}

// Close closes the statements and the database.
func (d *stmtDB) Close() error {
	d.mu.Lock()
	for _, st := range d.stmts {
		st.Close()
	}
	d.stmts = map[string]*sql.Stmt{}
	d.mu.Unlock()
	return d.DB.Close()
}
