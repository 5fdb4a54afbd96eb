// Package sqlite is Slipway's embedded store: SQLite through modernc.org/sqlite
// (pure Go, no cgo), with versioned migrations applied at open.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/slipway/slipway"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is the store. All methods are safe for concurrent use.
type DB struct {
	db    *stmtDB
	path  string
	audit auditCache
}

// Open opens (creating if needed) the store in dir and migrates it.
func Open(ctx context.Context, dir string) (*DB, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("store directory %s: %w", dir, err)
	}
	path := filepath.Join(dir, "slipway.db")
	// WAL lets readers (why, list) run while a promotion writes; busy_timeout
	// makes concurrent CLI invocations wait instead of failing.
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	// Keep connections open between requests: each new one re-runs the
	// pragmas and starts a cold page cache (a server under load otherwise
	// spends its time connecting), and bound them, since each holds its own
	// page cache.
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	s := &DB{db: newStmtDB(db), path: path}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the store.
func (s *DB) Close() error { return s.db.Close() }

// Store returns every store service over this database.
func (s *DB) Store() slipway.Store {
	return slipway.Store{
		Builds:       &BuildStore{s},
		Releases:     &ReleaseStore{s},
		Promotions:   &PromotionStore{s},
		Gates:        &GateStore{s},
		Holds:        &HoldStore{s},
		Analysis:     &AnalysisStore{s},
		Audit:        &AuditStore{s},
		PullRequests: &PullRequestStore{s},
		Leases:       &LeaseStore{s},
		Queue:        &QueueStore{s},
		Rollouts:     &RolloutStore{s},
		Users:        &UserStore{s},
		Tokens:       &TokenStore{s},
		Sessions:     &SessionStore{s},
		Deliveries:   &DeliveryStore{s},
		Outbox:       &OutboxStore{s},
		Pages:        &PageStore{s},
		Close:        s.Close,
	}
}

// The services, one type each, so every interface is asserted on its own.
type (
	BuildStore       struct{ *DB }
	ReleaseStore     struct{ *DB }
	PromotionStore   struct{ *DB }
	GateStore        struct{ *DB }
	HoldStore        struct{ *DB }
	AnalysisStore    struct{ *DB }
	AuditStore       struct{ *DB }
	PullRequestStore struct{ *DB }
	LeaseStore       struct{ *DB }
	QueueStore       struct{ *DB }
	RolloutStore     struct{ *DB }
)

var (
	_ slipway.BuildStore       = (*BuildStore)(nil)
	_ slipway.ReleaseStore     = (*ReleaseStore)(nil)
	_ slipway.PromotionStore   = (*PromotionStore)(nil)
	_ slipway.GateStore        = (*GateStore)(nil)
	_ slipway.HoldStore        = (*HoldStore)(nil)
	_ slipway.AnalysisStore    = (*AnalysisStore)(nil)
	_ slipway.AuditStore       = (*AuditStore)(nil)
	_ slipway.PullRequestStore = (*PullRequestStore)(nil)
	_ slipway.LeaseStore       = (*LeaseStore)(nil)
	_ slipway.QueueStore       = (*QueueStore)(nil)
	_ slipway.RolloutStore     = (*RolloutStore)(nil)
)

// Path is the database file.
func (s *DB) Path() string { return s.path }

func (s *DB) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("store %s: %w", s.path, err)
	}
	entries, err := migrations.ReadDir("migrations")
	if err != nil {
		return err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		v, err := strconv.Atoi(strings.SplitN(e.Name(), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with a number", e.Name())
		}
		body, err := migrations.ReadFile("migrations/" + e.Name())
		if err != nil {
			return err
		}
		err = s.tx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, v).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("migration %s: %w", e.Name(), err)
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied) VALUES (?, ?)`, v, ts(time.Now()))
			return err
		})
		if err != nil {
			return fmt.Errorf("store %s: %w", s.path, err)
		}
	}
	return nil
}

// SchemaVersion is the highest migration applied.
func (s *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

func (s *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

const timeLayout = "2006-01-02T15:04:05.000000Z07:00"

func ts(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTS(s string) time.Time {
	t, _ := time.Parse(timeLayout, s)
	return t
}

type rowScanner interface{ Scan(...any) error }

func jsonList(v []string) string {
	if v == nil {
		v = []string{}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func parseList(s string) []string {
	var v []string
	_ = json.Unmarshal([]byte(s), &v)
	return v
}

// isUnique reports whether err is a violated UNIQUE constraint.
func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

func notFound(format string, args ...any) error {
	return slipway.Errorf(slipway.ENOTFOUND, format, args...)
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
