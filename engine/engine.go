// Package engine moves builds through environments: intake, release,
// promotion (a durable state machine), gates, canary, rollback and audit.
// Every state transition is stored before the side effect it announces, and
// every side effect is idempotent (commit trailers, deterministic branches),
// so re-running after a crash converges on one consistent state.
package engine

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/config"
	"github.com/slipway/slipway/forge/local"
	"github.com/slipway/slipway/git"
	"github.com/slipway/slipway/sqlite"
)

// Engine is the promotion engine over one configuration and one store.
type Engine struct {
	Cfg    *config.Config
	Store  *sqlite.DB
	GitOps *git.Repo     // Slipway's private working clone of the GitOps remote
	Forge  slipway.Forge // where pull requests are opened and merged
	// Now is the clock; the demo and tests move it to open windows and end soaks.
	Now func() time.Time
	// Events receives the timeline: every decision and side effect, as it happens.
	Events func(Event)
	// Drivers builds the rollout driver of an environment (nil: from config).
	Drivers DriverFactory
	Log     *slog.Logger
}

// Event is one line of the timeline.
type Event struct {
	At      time.Time
	Stage   string // intake, release, dev, staging, prod, gate, canary, rollback, audit…
	Message string
	Ref     string // a commit, PR, tag or digest the line is about
}

// Options open an engine.
type Options struct {
	Config   *config.Config
	StateDir string
	Now      func() time.Time
	Events   func(Event)
}

// Open opens the store and the GitOps working clone under the state directory.
func Open(ctx context.Context, o Options) (*Engine, error) {
	st, err := sqlite.Open(ctx, o.StateDir)
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
	now := o.Now
	if now == nil {
		now = time.Now
	}
	e := &Engine{
		Cfg:    o.Config,
		Store:  st,
		GitOps: repo,
		Now:    func() time.Time { return now().UTC() },
		Events: o.Events,
		Log:    slog.Default(),
	}
	e.Forge = &local.Forge{Store: st, Repo: repo, Now: e.Now}
	return e, nil
}

// Close releases the store.
func (e *Engine) Close() error { return e.Store.Close() }

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

func invalid(format string, args ...any) error {
	return slipway.Errorf(slipway.EINVALID, format, args...)
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
