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
	GitOps GitOpsRepo
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
	// Rekor, when set, records key signatures that reach intake without a
	// transparency-log entry (slipway.yaml's rekor:).
	Rekor SignatureLog

	branches sync.Map // branch → *branchLock, see run.lockBranch
	fetchMu  sync.Mutex
	fetched  time.Time            // when the last fetch that succeeded began
	pushed   map[string]time.Time // branch → when our last push to it that landed began
	fetching *fetchCall           // the fetch under way, which others wait for
	synced   map[string]string    // branch → the tip SyncPins last read
}

// fetchCall is one fetch that every caller needing it shares.
type fetchCall struct {
	began time.Time
	done  chan struct{}
	err   error
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

// fetchTimeout bounds one shared fetch: callers stop waiting when their
// own context ends, but the fetch itself must end for the next one to start.
var fetchTimeout = 5 * time.Minute

// fresh makes the clone's view of the remote at most FetchMaxAge old (0:
// fetched after this call began); force asks for a fetch begun after the
// call whatever the age (a push was refused: the remote moved).
func (e *Engine) fresh(ctx context.Context, force bool) error {
	if force {
		return e.refresh(ctx, 0, true)
	}
	return e.refresh(ctx, e.FetchMaxAge, false)
}

// refresh makes the view at most maxAge old. Concurrent callers share one
// fetch instead of queueing one each: a caller waits for the fetch under way
// when it began late enough, else for the next one. Unless onlyFetch, a
// branch this engine pushed to counts as known from the moment the push
// began (a fast-forward push lands only on the tip we had), so a stream of
// promotions into the environments' branches does not fetch until a push is
// refused.
func (e *Engine) refresh(ctx context.Context, maxAge time.Duration, onlyFetch bool) error {
	need := time.Now().Add(-maxAge)
	for {
		e.fetchMu.Lock()
		known := e.fetched
		if !onlyFetch {
			known = e.knownSince()
		}
		if !known.IsZero() && !known.Before(need) {
			e.fetchMu.Unlock()
			return nil
		}
		c := e.fetching // one that began too early is waited for, then followed by ours
		if c == nil {
			c = &fetchCall{began: time.Now(), done: make(chan struct{})}
			e.fetching = c
			go e.fetch(context.WithoutCancel(ctx), c)
		}
		e.fetchMu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.done:
		}
		if c.err != nil && !c.began.Before(need) {
			return unreachable("git remote", c.err)
		}
	}
}

// fetch runs one shared fetch and publishes its outcome.
func (e *Engine) fetch(ctx context.Context, c *fetchCall) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	c.err = e.GitOps.FetchShared(ctx)
	e.fetchMu.Lock()
	if c.err == nil && c.began.After(e.fetched) {
		e.fetched = c.began
	}
	e.fetching = nil
	e.fetchMu.Unlock()
	close(c.done)
}

// knownSince is how old the view of the environments' branches is: each is
// known from the last fetch, or from our last push to it when that is later
// (fetchMu held).
func (e *Engine) knownSince() time.Time {
	oldest := e.fetched
	for i := range e.Cfg.Environments {
		at := e.fetched
		if p := e.pushed[e.Cfg.Branch(&e.Cfg.Environments[i])]; p.After(at) {
			at = p
		}
		if i == 0 || at.Before(oldest) {
			oldest = at
		}
	}
	return oldest
}

// pushedTo records that a push to branch, begun at began, landed.
func (e *Engine) pushedTo(branch string, began time.Time) {
	e.fetchMu.Lock()
	defer e.fetchMu.Unlock()
	if e.pushed == nil {
		e.pushed = map[string]time.Time{}
	}
	if began.After(e.pushed[branch]) {
		e.pushed[branch] = began
	}
}

// Fetched tells the engine another loop (serve's fetch loop) refreshed the
// clone with a fetch begun at at.
func (e *Engine) Fetched(at time.Time) {
	e.fetchMu.Lock()
	if at.After(e.fetched) {
		e.fetched = at
	}
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
