// Package postgres is Slipway's shared store for more than one machine:
// PostgreSQL through jackc/pgx, with the same model as sqlite/ (migration N
// here is migration N there, in PostgreSQL's dialect) and the same suite
// (storetest). Several `slipway serve` replicas may share one database: every
// guarantee the store gives holds across processes, under READ COMMITTED,
// because it rests on constraints and row locks, never on a prior read.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/slipway/slipway"
)

//go:embed migrations/*.sql
var migrations embed.FS

// minServerVersion is the oldest PostgreSQL the schema runs on (stored
// generated columns need 12).
const minServerVersion = 120000

// DB is the store. All methods are safe for concurrent use, from any number
// of processes sharing the database.
type DB struct {
	pool *pgxpool.Pool
}

// Open connects to the database named by dsn (a postgres:// URL or a
// key=value string; pool_max_conns and the other pgxpool settings may be
// given in it) and applies the pending migrations.
func Open(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, slipway.Errorf(slipway.EINVALID, "postgres store: %s; give a URL such as postgres://user:password@host:5432/slipway or key=value pairs (host=... dbname=...)", dsnError(err))
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres store %s: %w", where(cfg), err)
	}
	s := &DB{pool: pool}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres store %s: %w", where(cfg), err)
	}
	return s, nil
}

// where names a database without its credentials.
func where(cfg *pgxpool.Config) string {
	return fmt.Sprintf("%s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)
}

// dsnError describes a DSN that does not parse without quoting it: pgx's
// message echoes the DSN and masks passwords only on a best-effort basis.
func dsnError(err error) string {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return "the DSN does not parse"
	}
	return err.Error() // pool settings (pool_max_conns=x): no secret in them
}

// Close closes the pool.
func (s *DB) Close() error {
	s.pool.Close()
	return nil
}

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

// lockKey is the 64-bit advisory-lock key of a name. Keys are hashed from
// "slipway/..." names so they do not meet another application's locks in a
// shared database by accident.
func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("slipway/" + name))
	return int64(h.Sum64())
}

// migrate applies the pending migrations in one transaction under an
// advisory lock, so replicas starting at the same moment apply each
// migration once (the others wait, then find nothing to do), and a failed
// migration leaves the schema as it was (PostgreSQL DDL is transactional).
func (s *DB) migrate(ctx context.Context) error {
	var version int
	if err := s.pool.QueryRow(ctx, `SELECT current_setting('server_version_num')::int`).Scan(&version); err != nil {
		return err
	}
	if version < minServerVersion {
		return slipway.Errorf(slipway.EINVALID, "PostgreSQL %d.%d is too old: the store needs 12 or newer", version/10000, version%10000)
	}
	entries, err := migrations.ReadDir("migrations")
	if err != nil {
		return err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey("migrate")); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		for _, e := range entries {
			v, err := strconv.Atoi(strings.SplitN(e.Name(), "_", 2)[0])
			if err != nil {
				return fmt.Errorf("migration %s: name must start with a number", e.Name())
			}
			var done bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, v).Scan(&done); err != nil {
				return err
			}
			if done {
				continue
			}
			body, err := migrations.ReadFile("migrations/" + e.Name())
			if err != nil {
				return err
			}
			// Exec without arguments uses the simple protocol: a file of
			// several statements runs as one.
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return fmt.Errorf("migration %s: %w", e.Name(), err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, v); err != nil {
				return err
			}
		}
		return nil
	})
}

// SchemaVersion is the highest migration applied.
func (s *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// tx runs fn in a READ COMMITTED transaction (PostgreSQL's default): the
// guarantees come from constraints and row locks, not from isolation.
func (s *DB) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// exec runs a statement and returns how many rows it touched.
func (s *DB) exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := s.pool.Exec(ctx, q, args...)
	return tag.RowsAffected(), err
}

type rowScanner interface{ Scan(...any) error }

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// queryAll runs a query and scans every row.
func queryAll[T any](ctx context.Context, q querier, scan func(rowScanner) (T, error), sql string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// utc returns t in UTC (pgx reads timestamptz in the local zone), so both
// stores hand back the same values.
func utc(t time.Time) time.Time { return t.UTC() }

// utcPtr is utc for nullable columns.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// list turns nil into an empty list for NOT NULL text[] columns.
func list(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// Constraint violations, by SQLSTATE.
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
)

// violated returns the name of the constraint err violates with the given
// SQLSTATE, or "" when err is something else.
func violated(err error, sqlstate string) (constraint string, ok bool) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == sqlstate {
		return pe.ConstraintName, true
	}
	return "", false
}

func isUnique(err error) bool {
	_, ok := violated(err, uniqueViolation)
	return ok
}

func notFound(format string, args ...any) error {
	return slipway.Errorf(slipway.ENOTFOUND, format, args...)
}

func isNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

// noPromotion maps a foreign-key violation on a promotion id to ENOTFOUND.
func noPromotion(err error, id string) error {
	if _, ok := violated(err, foreignKeyViolation); ok {
		return notFound("promotion %q not found: list them with `slipway promotions`", id)
	}
	return err
}
