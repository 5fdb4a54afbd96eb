// Package engine moves builds through environments: intake, release,
// promotion (a durable state machine of named steps), gates, canary,
// rollback and audit. Every state transition is stored before the side
// effect it announces; every side effect is idempotent and proven by Git's
// content (never by message text), so re-running after a crash converges on
// one consistent state. The engine holds interfaces only: the wiring (package
// app) opens the store, the clone and the forge.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/config"
	"github.com/slipway/slipway/git"
)

// Engine is the promotion engine over one configuration and one store.
type Engine struct {
	Cfg   *config.Config
	Store slipway.Store
	// GitOps is Slipway's clone of the GitOps remote. The engine uses it
	// through git's object database only (no work tree), so every promotion
	// of every process can share it.
	GitOps *git.Repo
	Forge  slipway.Forge
	// Now is the clock; the demo and tests move it to open windows and end soaks.
	Now func() time.Time
	// Events receives the timeline: every decision and side effect, as it happens.
	Events func(Event)
	// Drivers builds the rollout driver of an environment (nil: from config).
	Drivers DriverFactory
	Log     *slog.Logger
	// Owner names this process in leases (host:pid:random).
	Owner string
	// Controller is set inside `slipway serve`: work is queued for the
	// controller's workers instead of being run by the caller.
	Controller bool
	// Metrics, when set, counts what the engine does (slipway serve).
	Metrics *Metrics
	// FetchMaxAge is how stale the clone's view of the remote may be before
	// a read fetches (0: fetch before every read of the remote).
	FetchMaxAge time.Duration
	// AuditLog, when set, receives one leaf per audit entry (see
	// loggedAudit); New wraps Store.Audit so every entry reaches it, and
	// Close closes it.
	AuditLog AuditLog

	branches sync.Map // branch → *sync.Mutex, see run.lockBranch
	fetchMu  sync.Mutex
	fetched  time.Time
	synced   map[string]string // branch → the tip SyncPins last read
}

// Event is one line of the timeline.
type Event struct {
	At      time.Time
	Stage   string // intake, release, dev, staging, prod, gate, canary, rollback, audit…
	Message string
	Ref     string // a commit, PR, tag or digest the line is about
}

// New fills the defaults of an engine assembled by the wiring.
func New(e *Engine) *Engine {
	if e.Now == nil {
		e.Now = time.Now
	}
	now := e.Now
	e.Now = func() time.Time { return now().UTC() }
	if e.Log == nil {
		e.Log = slog.Default()
	}
	if e.AuditLog != nil {
		e.Store.Audit = loggedAudit{AuditStore: e.Store.Audit, e: e}
	}
	if e.Owner == "" {
		host, _ := os.Hostname()
		e.Owner = fmt.Sprintf("%s:%d:%x", host, os.Getpid(), time.Now().UnixNano()&0xffffff)
	}
	return e
}

// Close releases the transparency log and the store.
func (e *Engine) Close() error {
	var logErr error
	if e.AuditLog != nil {
		logErr = e.AuditLog.Close()
	}
	if e.Store.Close == nil {
		return logErr
	}
	return errors.Join(logErr, e.Store.Close())
}

func (e *Engine) emit(stage, ref, format string, args ...any) {
	ev := Event{At: e.Now(), Stage: stage, Message: fmt.Sprintf(format, args...), Ref: ref}
	if e.Log != nil {
		e.Log.Debug(ev.Message, "stage", stage, "ref", ref)
	}
	if e.Events != nil {
		e.Events(ev)
	}
}

// identity is the author of pin commits.
func (e *Engine) identity() git.Identity {
	id, err := git.ParseIdentity(e.Cfg.GitOps.Author)
	if err != nil {
		return git.Identity{Name: "Slipway", Email: "slipway@localhost"}
	}
	return id
}

// isProd reports whether env is the last environment: production, where every
// change is audited.
func (e *Engine) isProd(env string) bool {
	envs := e.Cfg.Environments
	return len(envs) > 0 && envs[len(envs)-1].Name == env
}

// fresh makes the clone's view of the remote at most FetchMaxAge old.
func (e *Engine) fresh(ctx context.Context, force bool) error {
	e.fetchMu.Lock()
	stale := force || e.fetched.IsZero() || time.Since(e.fetched) > e.FetchMaxAge
	e.fetchMu.Unlock()
	if !stale {
		return nil
	}
	if err := e.GitOps.FetchShared(ctx); err != nil {
		return unreachable("git remote", err)
	}
	e.fetchMu.Lock()
	e.fetched = time.Now()
	e.fetchMu.Unlock()
	return nil
}

// Fetched tells the engine another loop (serve's fetch loop) refreshed the clone.
func (e *Engine) Fetched(at time.Time) {
	e.fetchMu.Lock()
	e.fetched = at
	e.fetchMu.Unlock()
}

func invalid(format string, args ...any) error {
	return slipway.Errorf(slipway.EINVALID, format, args...)
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// digestShort is the 12 hex digits of a digest, for people.
func digestShort(d string) string { return slipway.Digest12(d) }

// randomID is a short random hex id.
func randomID() string { return fmt.Sprintf("%08x", rand.Uint32()) }
