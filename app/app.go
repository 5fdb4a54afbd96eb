// Package app is the wiring: it opens a Slipway from its configuration and
// state directory — the store, the clone of the GitOps remote, the forge —
// and hands them to the engine, which holds interfaces only. Every command,
// `slipway serve` and the demo open Slipway here.
package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/config"
	"github.com/slipway/slipway/engine"
	"github.com/slipway/slipway/forge"
	_ "github.com/slipway/slipway/forge/gitea"  // registers "gitea"
	_ "github.com/slipway/slipway/forge/github" // registers "github"
	_ "github.com/slipway/slipway/forge/gitlab" // registers "gitlab"
	"github.com/slipway/slipway/forge/local"
	"github.com/slipway/slipway/git"
	"github.com/slipway/slipway/postgres"
	_ "github.com/slipway/slipway/rollout/argorollouts" // registers the argo-rollouts canary driver
	_ "github.com/slipway/slipway/rollout/webhook"      // registers the webhook canary driver
	"github.com/slipway/slipway/sqlite"
	"github.com/slipway/slipway/tlog"
	"github.com/slipway/slipway/tlog/rekor"
)

// Options say what to open.
type Options struct {
	Config   *config.Config
	StateDir string // the store (SQLite) and the GitOps clone live here
	// Store is the database: "" for SQLite under StateDir, or a
	// postgres:// URL.
	Store  string
	Now    func() time.Time
	Events func(engine.Event)
	Log    *slog.Logger
	// Controller opens the engine for `slipway serve`.
	Controller bool
}

// Open opens the store, clones (or reuses) the GitOps remote and assembles
// the engine.
func Open(ctx context.Context, o Options) (*engine.Engine, error) {
	st, err := OpenStore(ctx, o.Store, o.StateDir)
	if err != nil {
		return nil, err
	}
	remote := o.Config.Resolve(o.Config.GitOps.Remote)
	if remote == "" {
		st.Close()
		return nil, fmt.Errorf("%s: gitops.remote is required: the URL or path of the GitOps repository", o.Config.Path())
	}
	repo, err := git.CloneOrOpen(ctx, remote, filepath.Join(o.StateDir, "gitops"))
	if err != nil {
		st.Close()
		return nil, err
	}
	e := engine.New(&engine.Engine{
		Cfg: o.Config, Store: st, GitOps: repo, Now: o.Now, Events: o.Events, Log: o.Log,
		Controller: o.Controller, AuditLog: &LazyLog{Path: TlogDir(o.StateDir)},
	})
	if e.Forge, err = openForge(o.Config, st, repo, e); err != nil {
		st.Close()
		return nil, err
	}
	if e.Rekor, err = openRekor(o.Config); err != nil {
		st.Close()
		return nil, err
	}
	return e, nil
}

// openRekor connects to the Rekor log slipway.yaml names (nil without one),
// pinned to its public key from the file, never from the server.
func openRekor(cfg *config.Config) (engine.SignatureLog, error) {
	r := cfg.Rekor
	if r == nil {
		return nil, nil
	}
	pemKey, err := os.ReadFile(r.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("%s: rekor.publicKey: %w", cfg.Path(), err)
	}
	key, err := rekor.ParsePublicKey(pemKey)
	if err != nil {
		return nil, fmt.Errorf("%s: rekor.publicKey %s: %w", cfg.Path(), r.PublicKey, err)
	}
	c, err := rekor.New(r.URL, key, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: rekor: %w", cfg.Path(), err)
	}
	return c, nil
}

// openForge opens the forge slipway.yaml names: the built-in local forge
// by default, or a hosted one registered under forge/.
func openForge(cfg *config.Config, st slipway.Store, repo *git.Repo, e *engine.Engine) (slipway.Forge, error) {
	fc := cfg.GitOps.Forge
	if fc == nil || fc.Type == "" || fc.Type == "local" {
		return &local.Forge{Store: st.PullRequests, Repo: repo, Now: e.Now}, nil
	}
	f, err := forge.Open(*fc)
	if err != nil {
		return nil, fmt.Errorf("%s: gitops.forge: %w", cfg.Path(), err)
	}
	return f, nil
}

// OpenStore opens the database named by dsn ("" for SQLite under stateDir).
func OpenStore(ctx context.Context, dsn, stateDir string) (slipway.Store, error) {
	switch {
	case dsn == "" || dsn == "sqlite":
		db, err := sqlite.Open(ctx, stateDir)
		if err != nil {
			return slipway.Store{}, err
		}
		return db.Store(), nil
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return openPostgres(ctx, dsn)
	}
	return slipway.Store{}, fmt.Errorf("store %q: use sqlite (the default, under --state) or a postgres:// URL", redact(dsn))
}

func openPostgres(ctx context.Context, dsn string) (slipway.Store, error) {
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		return slipway.Store{}, err
	}
	return db.Store(), nil
}

// redact hides a password in a URL for error messages.
func redact(dsn string) string {
	if i := strings.Index(dsn, "@"); i > 0 {
		if j := strings.Index(dsn, "://"); j > 0 && j < i {
			return dsn[:j+3] + "…" + dsn[i:]
		}
	}
	return dsn
}

// TlogDir is where the transparency log of a state directory lives.
func TlogDir(stateDir string) string { return filepath.Join(stateDir, "tlog") }

// LogKey returns the verifier key of the state directory's transparency
// log (what `slipway audit key` prints), creating the log on first use.
func LogKey(stateDir string) (string, error) {
	dir := TlogDir(stateDir)
	k, err := tlog.ReadPublicKey(dir)
	if !errors.Is(err, tlog.ErrNoLog) {
		return k, err
	}
	l, err := tlog.Open(dir)
	if err != nil {
		return "", err
	}
	k = l.PublicKey()
	return k, l.Close()
}

// LazyLog is the state directory's transparency log, opened on its first
// append or lookup: commands that only read it (`slipway audit verify`,
// `show`, `checkpoint`) never start Tessera's appender, and one process
// holds at most one *tlog.Log for it.
type LazyLog struct {
	Path string

	mu  sync.Mutex
	log *tlog.Log
}

func (l *LazyLog) open() (*tlog.Log, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.log == nil {
		lg, err := tlog.Open(l.Path)
		if err != nil {
			return nil, err
		}
		l.log = lg
	}
	return l.log, nil
}

// Dir is the log's directory.
func (l *LazyLog) Dir() string { return l.Path }

// Append opens the log if needed and appends leaf (see tlog.Log.Append).
func (l *LazyLog) Append(ctx context.Context, leaf tlog.Leaf) (uint64, error) {
	lg, err := l.open()
	if err != nil {
		return 0, err
	}
	return lg.Append(ctx, leaf)
}

// Find looks leaf up (see tlog.Log.Find); a log not created yet holds
// nothing and is not created.
func (l *LazyLog) Find(ctx context.Context, leaf tlog.Leaf) (uint64, bool, error) {
	if _, err := os.Stat(filepath.Join(l.Path, tlog.PublicKeyFile)); errors.Is(err, fs.ErrNotExist) {
		return 0, false, nil
	}
	lg, err := l.open()
	if err != nil {
		return 0, false, err
	}
	return lg.Find(ctx, leaf)
}

// Close closes the log if it was opened; closing twice is a no-op.
func (l *LazyLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.log == nil {
		return nil
	}
	err := l.log.Close()
	l.log = nil
	return err
}
