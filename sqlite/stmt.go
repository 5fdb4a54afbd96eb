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
}

const maxStatements = 256

func newStmtDB(db *sql.DB) *stmtDB { return &stmtDB{DB: db, stmts: map[string]*sql.Stmt{}} }

// stmt returns the cached statement of q (nil when the cache is full).
func (d *stmtDB) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	d.mu.RLock()
	st := d.stmts[q]
	d.mu.RUnlock()
	if st != nil {
		return st, nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if st = d.stmts[q]; st != nil {
		return st, nil
	}
	if len(d.stmts) >= maxStatements {
		return nil, nil
	}
	st, err := d.DB.PrepareContext(context.WithoutCancel(ctx), q)
	if err != nil {
		return nil, err
	}
	d.stmts[q] = st
	return st, nil
}

// QueryContext runs a query through its prepared statement.
func (d *stmtDB) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := d.stmt(ctx, q)
	if err != nil || st == nil {
		return d.DB.QueryContext(ctx, q, args...)
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext runs a one-row query through its prepared statement.
func (d *stmtDB) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := d.stmt(ctx, q)
	if err != nil || st == nil {
		return d.DB.QueryRowContext(ctx, q, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// ExecContext runs a statement through its prepared statement.
func (d *stmtDB) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
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
