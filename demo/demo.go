// Package demo plays Slipway's whole story on embedded defaults, needing only
// Go and git: an app repository with Conventional Commits, a bare GitOps
// remote, an in-process OCI registry with signed images, and a runtime that
// implements the webhook rollout driver. `slipway demo` runs it and the
// end-to-end test runs the very same code and then inspects every result.
package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/app"
	"github.com/slipway/slipway/bundle"
	"github.com/slipway/slipway/config"
	"github.com/slipway/slipway/engine"
	"github.com/slipway/slipway/git"
	"github.com/slipway/slipway/oci"
	"github.com/slipway/slipway/oci/ocilocal"
	"github.com/slipway/slipway/trust"
)

// Result is what the story left behind, for a test (or a curious person) to inspect.
type Result struct {
	Dir        string // everything lives here
	AppRepo    string // the application repository
	GitOps     string // the bare GitOps remote
	StateDir   string // the Slipway store
	ConfigPath string
	Registry   string        // host:port of the in-process registry
	Image      string        // image repository of the demo service
	Good       slipway.Build // v1.0.0: promoted to prod, stable
	Bad        slipway.Build // v1.1.0: its canary fails and is aborted
	GoodProd   *slipway.Promotion
	BadProd    *slipway.Promotion
	// The hotfix scene: v1.0.1 from HotfixBranch, expedited to prod
	// (HotfixProd); main's next release after it.
	Hotfix          slipway.Build
	HotfixBranch    string
	HotfixProd      *slipway.Promotion
	MainAfterHotfix *slipway.Release
	// LogKey is the transparency log's verifier key, pinned at setup
	// (`slipway audit key`); Checkpoint the checkpoint saved once v1.0.0
	// reached prod (`slipway audit checkpoint > FILE`).
	LogKey     string
	Checkpoint []byte
	Timeline   []engine.Event
	// The self-host scene: platform acme 1.0.0 released from prod, its
	// signed bundle (Bundle.Dir) and where it was published.
	Platform *engine.PlatformRelease
	Bundle   *bundle.Result
	Pushed   *bundle.Pushed
	// Close stops what KeepServers left running.
	Close func()
}

// Options tune a run.
type Options struct {
	Dir string    // working directory (default: a new temporary directory)
	Out io.Writer // where the timeline is printed (nil: nowhere)
	// KeepServers leaves the registry and the runtime running after the
	// story (for tests that continue from its state); call Result.Close.
	KeepServers bool
}

const service = "api"

// Users of the story. alice writes the code and asks for the prod release;
// bob and carol are SREs who approve it.
const (
	alice = "alice@example.com"
	bob   = "bob@example.com"
	carol = "carol@example.com"
)

// Run plays the story and returns an error as soon as any step does not
// behave as it should.
func Run(ctx context.Context, o Options) (*Result, error) {
	dir := o.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "slipway-demo-")
		if err != nil {
			return nil, err
		}
		dir = d
	}
	s := &story{out: o.Out, res: &Result{Dir: dir}}
	s.clock = newClock(storyStart)
	s.res.Close = func() {}
	defer func() {
		if o.KeepServers {
			if s.eng != nil {
				s.eng.Close()
				s.eng = nil
			}
			s.res.Close = s.close
			return
		}
		s.close()
	}()
	if err := s.setup(ctx); err != nil {
		return s.res, fmt.Errorf("setup: %w", err)
	}
	for _, st := range s.steps() {
		s.say("demo", "", "— %s", st.name)
		if err := st.run(ctx); err != nil {
			return s.res, fmt.Errorf("step %q: %w", st.name, err)
		}
	}
	return s.res, nil
}

// storyStart is Monday 2026-11-30 07:30 in Berlin: before the prod sync
// window (Mon–Fri 09:00–17:00 Berlin) opens, so the window gate is seen closed.
var storyStart = time.Date(2026, 11, 30, 6, 30, 0, 0, time.UTC)

type story struct {
	out      io.Writer
	res      *Result
	clock    *clock
	registry *ocilocal.Registry
	runtime  *Runtime
	ci       trust.SignatureMaker // CI's keyless identity, logged in the in-process Sigstore's Rekor
	app      *git.Repo
	eng      *engine.Engine
	web      *webServer
}

type storyStep struct {
	name string
	run  func(context.Context) error
}

func (s *story) close() {
	s.web.close()
	if s.eng != nil {
		s.eng.Close()
	}
	if s.runtime != nil {
		s.runtime.Close()
	}
	if s.registry != nil {
		s.registry.Close()
	}
}

func (s *story) event(ev engine.Event) {
	s.res.Timeline = append(s.res.Timeline, ev)
	if s.out != nil {
		ref := ""
		if ev.Ref != "" {
			ref = "  [" + ev.Ref + "]"
		}
		fmt.Fprintf(s.out, "%s  %-9s %s%s\n", ev.At.Format("Mon 15:04:05Z"), ev.Stage, ev.Message, ref)
	}
}

func (s *story) say(stage, ref, format string, args ...any) {
	s.event(engine.Event{At: s.clock.Now(), Stage: stage, Message: fmt.Sprintf(format, args...), Ref: ref})
}

// expect turns "this should have been refused" into a step failure when it was not.
func expect(err error, code, contains string) error {
	if err == nil {
		return fmt.Errorf("expected a refusal (%s) but the operation succeeded", code)
	}
	if slipway.ErrorCode(err) != code || !strings.Contains(err.Error(), contains) {
		return fmt.Errorf("expected a %s error mentioning %q, got %s: %v", code, contains, slipway.ErrorCode(err), err)
	}
	return nil
}

func run(dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

func gitAs(user string) []string {
	n := strings.Split(user, "@")[0]
	return []string{"GIT_AUTHOR_NAME=" + n, "GIT_AUTHOR_EMAIL=" + user, "GIT_COMMITTER_NAME=" + n, "GIT_COMMITTER_EMAIL=" + user}
}

// commit writes files in the app repository and commits them as user.
func (s *story) commit(user, msg string, files map[string]string) (string, error) {
	for p, c := range files {
		full := filepath.Join(s.res.AppRepo, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			return "", err
		}
	}
	if _, err := run(s.res.AppRepo, nil, "git", "add", "-A"); err != nil {
		return "", err
	}
	if _, err := run(s.res.AppRepo, gitAs(user), "git", "commit", "-q", "-m", msg); err != nil {
		return "", err
	}
	return run(s.res.AppRepo, nil, "git", "rev-parse", "HEAD")
}

// buildImage is CI: it builds the image for HEAD of the app repo, pushes it
// and (unless unsigned) signs it keyless as the release workflow, with an
// SPDX SBOM and SLSA provenance attested the same way (cosign v3's
// Sigstore bundles, each logged in Rekor).
func (s *story) buildImage(ctx context.Context, version string, errorRate float64, sign bool) (oci.Reference, string, error) {
	sha, err := run(s.res.AppRepo, nil, "git", "rev-parse", "HEAD")
	if err != nil {
		return oci.Reference{}, "", err
	}
	opts := oci.Options{Insecure: true}
	ref, err := ocilocal.Push(ctx, s.res.Image, ocilocal.Image{
		Files:  map[string]string{"app/version": version + "\n", "app/commit": sha + "\n"},
		Labels: map[string]string{"org.opencontainers.image.version": version, "org.opencontainers.image.revision": sha, ErrorRateLabel: fmt.Sprint(errorRate)},
	}, opts)
	if err != nil {
		return oci.Reference{}, "", err
	}
	what := "pushed (unsigned)"
	if sign {
		if _, err := oci.SignBundleWith(ctx, ref, s.ci, opts); err != nil {
			return oci.Reference{}, "", err
		}
		attest := oci.AttestOptions{Options: opts, Format: oci.FormatSigstoreBundle}
		if _, err := oci.Attest(ctx, ref, s.ci, oci.PredicateSPDX, oci.SPDXDocument(service), attest); err != nil {
			return oci.Reference{}, "", err
		}
		if _, err := oci.Attest(ctx, ref, s.ci, oci.PredicateSLSAv1, oci.SLSAProvenanceV1(sourceRepo, workflow, sha), attest); err != nil {
			return oci.Reference{}, "", err
		}
		what = "pushed, signed keyless by the release workflow, SBOM and provenance attested"
	}
	s.say("ci", short(sha), "built %s for %s: %s", ref, version, what)
	return ref, sha, nil
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// open (re)opens the engine on the demo configuration.
func (s *story) open(ctx context.Context) error {
	cfg, err := config.Load(s.res.ConfigPath)
	if err != nil {
		return err
	}
	s.eng, err = app.Open(ctx, app.Options{Config: cfg, StateDir: s.res.StateDir, Now: s.clock.Now, Events: s.event, Log: quietLog})
	return err
}

// deploySynced plays Argo CD for the environments without a canary: it makes
// the runtime run what prod's pin says, as a sync would.
func (s *story) syncRuntime(ctx context.Context) error {
	return nil
}

// clock is the story's time: it starts on a fixed Monday morning and runs at
// real speed, and travel() jumps ahead (to open a window, to end a soak).
type clock struct {
	start  time.Time
	base   time.Time
	offset time.Duration
}

func newClock(start time.Time) *clock { return &clock{start: start, base: time.Now()} }

func (c *clock) Now() time.Time { return c.start.Add(time.Since(c.base) + c.offset).UTC() }

func (c *clock) travel(d time.Duration) { c.offset += d }

// quietLog keeps the engine's log to errors: the demo's timeline already
// shows every notice.
var quietLog = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
