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
	db     *stmtDB
	path   string
	audit  auditCache
	matrix matrixCache
}

// Open opens (creating if needed) the store in dir and migrates it.
func Open(ctx context.Context, dir string) (*DB, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("store directory %s: %w", dir, err)
	}
	path := filepath.Join(dir, "slipway.db")
	// WAL lets readers (why, list) run while a promotion writes; busy_timeout
	// makes concurrent CLI invocations wait instead of failing. Each
	// connection keeps 1 MiB of pages (SQLite's default is 2): sixteen full
	// caches were a fifth of the server's memory, and the pages missed come
	// from the operating system's cache.
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-1024)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	// Keep connections open between requests: each new one re-runs the
	// pragmas and starts a cold page cache (a server under load otherwise
	// spends its time connecting), and bound them, since each holds its own
	// page cache.
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	s := &DB{db: newStmtDB(db), path: path}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// maxConns bounds the connections to the database.
const maxConns = 16

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
		Snapshot:     s.Snapshot,
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
	endSnapshot(ctx)
	s.db.write.Lock()
	defer s.db.write.Unlock()
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

// parseTS reads a time stored by ts. Every row holds one or more, and
// time.Parse was a fortieth of the server's time: the form ts writes (UTC,
// "Z") is read directly, anything else by time.Parse, with the same result.
func parseTS(s string) time.Time {
	if t, ok := parseUTC(s); ok {
		return t
	}
	t, _ := time.Parse(timeLayout, s)
	return t
}

// parseUTC reads "2006-01-02T15:04:05.000000Z" exactly (false for any
// other text, including out-of-range fields, which time.Parse refuses).
func parseUTC(s string) (time.Time, bool) {
	if len(s) != 27 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.' || s[26] != 'Z' {
		return time.Time{}, false
	}
	num := func(i, j int) (int, bool) {
		n := 0
		for _, c := range []byte(s[i:j]) {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(5, 7)
	d, ok3 := num(8, 10)
	h, ok4 := num(11, 13)
	mi, ok5 := num(14, 16)
	sec, ok6 := num(17, 19)
	us, ok7 := num(20, 26)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	if d > daysIn(time.Month(mo), y) {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(mo), d, h, mi, sec, us*1000, time.UTC), true
}

// daysIn is the number of days of month m of year y.
func daysIn(m time.Month, y int) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
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
