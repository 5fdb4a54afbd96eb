// Package releasetest is a small real world for end-to-end tests of
// publishing releases: an app repository with Conventional Commits and its
// bare remote (main pushed), a bare GitOps remote, an in-process OCI
// registry with images signed by a generated key, slipway.yaml, and an
// engine over them. The forge adapters' tests run the release scenario
// (RunE2E) against their recorded-API fakes; the CLI's tests drive the
// same world through the slipway command.
package releasetest

import (
	"context"
	"crypto"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/config"
	"github.com/slipway/slipway/engine"
	"github.com/slipway/slipway/forge/local"
	"github.com/slipway/slipway/git"
	"github.com/slipway/slipway/git/gittest"
	"github.com/slipway/slipway/oci"
	"github.com/slipway/slipway/oci/ocilocal"
	"github.com/slipway/slipway/sqlite"
	"github.com/slipway/slipway/trust"
)

// Options shape a world.
type Options struct {
	// Release is the release: block of slipway.yaml, as YAML flow ("{}"
	// for the defaults).
	Release string
	// Files are committed to the app repository before the first release
	// (e.g. package.json).
	Files map[string]string
}

// World is the built world.
type World struct {
	T          testing.TB
	Dir        string
	App        string // the app repository's clone (work tree)
	AppBare    string // its remote, origin
	GitOps     string // the bare GitOps remote
	ConfigPath string
	StateDir   string
	Image      string // the service's image repository
	Signer     crypto.Signer
	Registry   *ocilocal.Registry
	Now        time.Time
}

const configTemplate = `
app: {repo: app}
gitops: {remote: gitops.git}
registry: {insecure: true}
release: %s
services:
  - name: api
    image: %s
    keys: [cosign.pub]
environments:
  - name: dev
    pin: {file: "envs/{env}/{service}.yaml", path: image.digest}
`

// New builds a world: the app repository's first commit (feat: first,
// with opts.Files) is released as v1.0.0 already, tagged and pushed.
func New(t testing.TB, opts Options) *World {
	t.Helper()
	dir := t.TempDir()
	w := &World{T: t, Dir: dir, App: filepath.Join(dir, "app"), AppBare: filepath.Join(dir, "app.git"), GitOps: filepath.Join(dir, "gitops.git"),
		ConfigPath: filepath.Join(dir, "slipway.yaml"), StateDir: filepath.Join(dir, ".slipway"), Now: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	reg, err := ocilocal.Start(ocilocal.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	w.Registry, w.Image = reg, reg.Repository("acme/api")
	if _, err := trust.WriteKeyPair(filepath.Join(dir, "cosign.key"), filepath.Join(dir, "cosign.pub")); err != nil {
		t.Fatal(err)
	}
	if w.Signer, err = trust.LoadPrivateKey(filepath.Join(dir, "cosign.key")); err != nil {
		t.Fatal(err)
	}
	gittest.Git(t, dir, "init", "-q", "--bare", "-b", "main", w.AppBare)
	gittest.Git(t, dir, "clone", "-q", w.AppBare, w.App)
	files := map[string]string{"README.md": "# api\n"}
	for k, v := range opts.Files {
		files[k] = v
	}
	w.commit("feat: first", files)
	gittest.Git(t, w.App, "tag", "-a", "-m", "v1.0.0", "v1.0.0")
	gittest.Git(t, w.App, "push", "-q", "origin", "main", "v1.0.0")
	gittest.Git(t, dir, "init", "-q", "--bare", "-b", "main", w.GitOps)
	seed := filepath.Join(dir, "seed")
	gittest.Git(t, dir, "clone", "-q", w.GitOps, seed)
	os.MkdirAll(filepath.Join(seed, "envs", "dev"), 0o755)
	os.WriteFile(filepath.Join(seed, "envs", "dev", "api.yaml"), []byte("image:\n  digest: \"\"\n"), 0o644)
	gittest.Git(t, seed, "add", "-A")
	gittest.Git(t, seed, "commit", "-qm", "chore: seed")
	gittest.Git(t, seed, "push", "-q", "origin", "HEAD:main")
	release := opts.Release
	if release == "" {
		release = "{}"
	}
	if err := os.WriteFile(w.ConfigPath, []byte(fmt.Sprintf(configTemplate, release, w.Image)), 0o644); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *World) commit(msg string, files map[string]string) string {
	for name, content := range files {
		p := filepath.Join(w.App, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			w.T.Fatal(err)
		}
	}
	gittest.Git(w.T, w.App, "add", "-A")
	gittest.Git(w.T, w.App, "commit", "-qm", msg)
	return gittest.Git(w.T, w.App, "rev-parse", "HEAD")
}

// Land commits a change in the app clone and pushes it to the remote's
// main, as a merged change does; it returns the commit.
func (w *World) Land(msg, file, content string) string {
	w.T.Helper()
	gittest.Git(w.T, w.App, "checkout", "-q", "main")
	gittest.Git(w.T, w.App, "pull", "-q", "--ff-only", "origin", "main")
	sha := w.commit(msg, map[string]string{file: content})
	gittest.Git(w.T, w.App, "push", "-q", "origin", "main")
	return sha
}

// Git runs git in dir.
func (w *World) Git(dir string, args ...string) string {
	w.T.Helper()
	return gittest.Git(w.T, dir, args...)
}

// Push pushes a signed two-platform image built from commit and returns
// its digest reference (as CI does before slipway build register).
func (w *World) Push(commit string) oci.Reference {
	w.T.Helper()
	ctx := context.Background()
	opts := oci.Options{Insecure: true}
	ref, err := ocilocal.PushIndex(ctx, w.Image, ocilocal.Image{Files: map[string]string{"commit": commit}}, nil, opts)
	if err != nil {
		w.T.Fatal(err)
	}
	if _, err := oci.Sign(ctx, ref, w.Signer, opts); err != nil {
		w.T.Fatal(err)
	}
	return ref
}

// Open opens the engine over the world: SQLite under StateDir, a clone of
// the GitOps remote, the local forge for GitOps pull requests.
func (w *World) Open() *engine.Engine {
	w.T.Helper()
	ctx := context.Background()
	cfg, err := config.Load(w.ConfigPath)
	if err != nil {
		w.T.Fatal(err)
	}
	db, err := sqlite.Open(ctx, w.StateDir)
	if err != nil {
		w.T.Fatal(err)
	}
	repo, err := git.CloneOrOpen(ctx, w.GitOps, filepath.Join(w.StateDir, "gitops"))
	if err != nil {
		w.T.Fatal(err)
	}
	st := db.Store()
	e := engine.New(&engine.Engine{Cfg: cfg, Store: st, GitOps: repo, Now: func() time.Time { return w.Now }})
	e.Forge = &local.Forge{Store: st.PullRequests, Repo: repo, Now: e.Now}
	w.T.Cleanup(func() { e.Close() })
	return e
}

// Register registers a signed build of commit.
func (w *World) Register(e *engine.Engine, commit string) *slipway.Build {
	w.T.Helper()
	b, _, err := e.RegisterBuild(context.Background(), "api", commit, w.Push(commit).String())
	if err != nil {
		w.T.Fatal(err)
	}
	return b
}
