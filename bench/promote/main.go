// Command promote measures a promotion to a direct environment, end to end
// on real parts (a bare GitOps remote on disk, the in-process registry
// holding signed images, SQLite), next to what it cannot beat: a person's
// `git commit -am && git push` of the same edit, timed in the same run.
//
//  1. Latency: -n promotions one after another (each build is registered
//     beforehand); each is timed from the promotion request to its pin
//     commit being on the remote (the engine's "pinned" event, emitted once
//     the push returned), and again to the promotion's end (succeeded).
//     Each is followed by the raw edit: the same bytes written into the same
//     pin file of a work-tree clone of a copy of the remote, then
//     `git commit -am` and `git push`. Alternating the two spreads the
//     machine's load over both.
//
//  2. Throughput: -services services, one build each, promoted to dev at
//     once (one goroutine each, one engine, one clone); the total time until
//     every promotion succeeded, then Git is checked: every pin holds its
//     digest, one pin commit per service, linear history.
//
//     go run ./bench/promote [-n 200] [-services 1000]
//
// The last line is `promote p99 X.XXx raw; 1000 services Ns`.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/bench/internal/benchutil"
	"github.com/slipway/slipway/controller"
	"github.com/slipway/slipway/engine"
	"github.com/slipway/slipway/internal/testworld"
)

func main() {
	n := flag.Int("n", 200, "promotions timed one after another (and as many raw commits)")
	services := flag.Int("services", 1000, "services promoted to dev at once (0 skips it)")
	serve := flag.Int("serve", 0, "also promote the services through `slipway serve`'s controller (in this process) with this many workers")
	conc := flag.Int("concurrency", 100, "promotion requests in flight at once (SQLite's busy timeout is 10s: a thousand writers at once starve some)")
	keep := flag.Bool("keep", false, "keep the worlds' directory")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the throughput part to this file")
	flag.Parse()
	cpuProfile = *profile
	if err := run(*n, *services, *conc, *serve, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "promote:", err)
		os.Exit(1)
	}
}

func run(n, services, conc, serve int, keep bool) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "slipway-bench-promote-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Println("worlds in", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	fmt.Printf("machine: %d CPUs (GOMAXPROCS %d), load average %s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), benchutil.LoadAvg())
	ratio := math.NaN()
	if n > 0 {
		if ratio, err = latency(ctx, filepath.Join(dir, "latency"), n); err != nil {
			return err
		}
	}
	total := time.Duration(0)
	if services > 0 {
		if total, err = throughput(ctx, filepath.Join(dir, "throughput"), services, conc); err != nil {
			return err
		}
	}
	if services > 0 && serve > 0 {
		if _, err := throughputServe(ctx, filepath.Join(dir, "serve"), services, serve); err != nil {
			return err
		}
	}
	fmt.Printf("load average at the end %s\n", benchutil.LoadAvg())
	fmt.Printf("promote p99 %.2fx raw; %d services %.0fs\n", ratio, services, total.Seconds())
	return nil
}

// latency times n promotions and n raw commits of the same edits, and
// returns promotion p99 / raw p99.
func latency(ctx context.Context, dir string, n int) (float64, error) {
	start := time.Now()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	w, err := testworld.New(ctx, testworld.Options{Dir: dir, Services: 1, Builds: n, Register: true, Envs: []testworld.Env{{Name: "dev"}}})
	if err != nil {
		return 0, err
	}
	defer w.Close()
	raw, err := newRawClone(w.Remote, filepath.Join(dir, "raw"))
	if err != nil {
		return 0, err
	}
	e, err := w.Open(ctx, false)
	if err != nil {
		return 0, err
	}
	defer e.Close()
	var pushed time.Time
	e.Events = func(ev engine.Event) {
		if strings.HasPrefix(ev.Message, "pinned ") {
			pushed = time.Now()
		}
	}
	fmt.Printf("latency world: 1 service, %d signed builds registered in %s\n", n, time.Since(start).Round(time.Millisecond))
	toPush := make([]time.Duration, n)
	toEnd := make([]time.Duration, n)
	rawTimes := make([]time.Duration, n)
	const file = "envs/dev/s1.yaml"
	for i, b := range w.Builds["s1"] {
		pushed = time.Time{}
		t0 := time.Now()
		p, err := e.Promote(ctx, engine.PromoteRequest{Service: "s1", Env: "dev", BuildID: b.ID, Requester: "ci@example.com"})
		if err != nil {
			return 0, fmt.Errorf("promotion %d: %w", i, err)
		}
		toEnd[i] = time.Since(t0)
		if p.State != slipway.StateSucceeded || pushed.IsZero() {
			return 0, fmt.Errorf("promotion %d ended %s (%s) without a push", i, p.State, p.Reason)
		}
		toPush[i] = pushed.Sub(t0)
		// The raw edit: exactly the bytes the promotion pushed.
		content, err := gitOut(w.Remote, "show", p.PinCommit+":"+file)
		if err != nil {
			return 0, err
		}
		if rawTimes[i], err = raw.commitPush(file, content, fmt.Sprintf("chore(dev): pin s1 to build %d", i)); err != nil {
			return 0, err
		}
	}
	pp, rp := pct(toPush, 0.99), pct(rawTimes, 0.99)
	fmt.Printf("%d promotions, request -> pin pushed:  p50 %s  p99 %s  max %s\n", n, ms(pct(toPush, 0.5)), ms(pp), ms(slices.Max(toPush)))
	fmt.Printf("%d promotions, request -> succeeded:   p50 %s  p99 %s  max %s\n", n, ms(pct(toEnd, 0.5)), ms(pct(toEnd, 0.99)), ms(slices.Max(toEnd)))
	fmt.Printf("%d raw `git commit -am && git push`:   p50 %s  p99 %s  max %s\n", n, ms(pct(rawTimes, 0.5)), ms(rp), ms(slices.Max(rawTimes)))
	ratio := float64(pp) / float64(rp)
	fmt.Printf("promotion/raw: p50 %.2fx  p99 %.2fx (goal p99 <= 2x)\n", float64(pct(toPush, 0.5))/float64(pct(rawTimes, 0.5)), ratio)
	return ratio, nil
}

// rawClone is a person's work-tree clone of a copy of the remote (its own
// remote, so the engine's branch never moves under it).
type rawClone struct{ dir string }

func newRawClone(remote, dir string) (*rawClone, error) {
	bare := dir + ".git"
	for _, args := range [][]string{
		{"clone", "-q", "--bare", remote, bare},
		{"clone", "-q", bare, dir},
		{"-C", dir, "config", "user.name", "Raw"},
		{"-C", dir, "config", "user.email", "raw@example.com"},
	} {
		if out, err := exec.Command("git", args...).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("git %v: %v: %s", args, err, out)
		}
	}
	return &rawClone{dir: dir}, nil
}

// commitPush writes content to file, then times commit -am + push.
func (c *rawClone) commitPush(file string, content []byte, msg string) (time.Duration, error) {
	t0 := time.Now()
	if err := os.WriteFile(filepath.Join(c.dir, file), content, 0o644); err != nil {
		return 0, err
	}
	for _, args := range [][]string{{"commit", "-q", "-am", msg}, {"push", "-q", "origin", "HEAD:main"}} {
		if out, err := exec.Command("git", append([]string{"-C", c.dir}, args...)...).CombinedOutput(); err != nil {
			return 0, fmt.Errorf("git %v: %v: %s", args, err, out)
		}
	}
	return time.Since(t0), nil
}

// devWorld makes a world of services services with one registered,
// signed build each and only dev, whose remote logs every update of main
// (how many pushes carried the pins), and opens its engine (with the
// controller's settings when serve).
func devWorld(ctx context.Context, dir string, services int, serve bool) (*testworld.World, *engine.Engine, error) {
	start := time.Now()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	w, err := testworld.New(ctx, testworld.Options{Dir: dir, Services: services, Builds: 1, Register: true, Envs: []testworld.Env{{Name: "dev"}}})
	if err != nil {
		return nil, nil, err
	}
	if _, err := gitOut(w.Remote, "config", "core.logAllRefUpdates", "always"); err != nil {
		w.Close()
		return nil, nil, err
	}
	e, err := w.Open(ctx, serve)
	if err != nil {
		w.Close()
		return nil, nil, err
	}
	what := "throughput"
	if serve {
		what = "serve"
	}
	fmt.Printf("%s world: %d services, a signed build each, registered in %s\n", what, services, time.Since(start).Round(time.Millisecond))
	return w, e, nil
}

// throughput promotes one build of each of services services to dev at
// once and returns the time until every promotion succeeded.
func throughput(ctx context.Context, dir string, services, conc int) (time.Duration, error) {
	w, e, err := devWorld(ctx, dir, services, false)
	if err != nil {
		return 0, err
	}
	defer w.Close()
	defer e.Close()
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return 0, err
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	t0 := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, services)
	slots := make(chan struct{}, conc)
	for i, s := range w.Services() {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			p, err := e.Promote(ctx, engine.PromoteRequest{Service: s, Env: "dev", BuildID: w.Builds[s][0].ID, Requester: "ci@example.com"})
			if err == nil && p.State != slipway.StateSucceeded {
				err = fmt.Errorf("%s ended %s: %s", p.ID, p.State, p.Reason)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	total := time.Since(t0)
	for i, err := range errs {
		if err != nil {
			return 0, fmt.Errorf("s%d: %w", i+1, err)
		}
	}
	if err := checkPinned(w); err != nil {
		return 0, err
	}
	commits, _ := gitOut(w.Remote, "rev-list", "--count", "main")
	pushes, _ := gitOut(w.Remote, "reflog", "show", "--format=%H", "main")
	fmt.Printf("%d services promoted to dev, %d requests in flight: all succeeded in %s (%.1f promotions/s); Git checked: every pin holds its digest, %d pin commits in %d pushes, linear history (%s commits on main)\n",
		services, conc, total.Round(time.Millisecond), float64(services)/total.Seconds(), services, strings.Count(string(pushes), "\n"), strings.TrimSpace(string(commits)))
	return total, nil
}

// throughputServe registers one build of each of services services with
// `slipway serve`'s controller running in this process (its queue, its
// workers, its fetch loop) and returns the time until every promotion
// succeeded.
func throughputServe(ctx context.Context, dir string, services, workers int) (time.Duration, error) {
	w, e, err := devWorld(ctx, dir, services, true)
	if err != nil {
		return 0, err
	}
	defer w.Close()
	defer e.Close()
	runCtx, stop := context.WithCancel(ctx)
	c := &controller.Controller{Engine: e, Workers: workers, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	done := make(chan struct{})
	go func() { defer close(done); c.Run(runCtx) }()
	defer func() { stop(); <-done }()
	t0 := time.Now()
	for _, s := range w.Services() {
		if _, err := e.Promote(ctx, engine.PromoteRequest{Service: s, Env: "dev", BuildID: w.Builds[s][0].ID, Requester: "ci@example.com"}); err != nil {
			return 0, fmt.Errorf("%s: %w", s, err)
		}
	}
	queued := time.Since(t0)
	for {
		ok, err := e.Store.Promotions.Promotions(ctx, slipway.PromotionFilter{Env: "dev", State: slipway.StateSucceeded})
		if err != nil {
			return 0, err
		}
		if len(ok) == services {
			break
		}
		if time.Since(t0) > 10*time.Minute {
			return 0, fmt.Errorf("after 10 minutes %d of %d promotions succeeded", len(ok), services)
		}
		time.Sleep(50 * time.Millisecond)
	}
	total := time.Since(t0)
	if err := checkPinned(w); err != nil {
		return 0, err
	}
	pushes, _ := gitOut(w.Remote, "reflog", "show", "--format=%H", "main")
	fmt.Printf("%d services through the controller (%d workers): all requests queued in %s, all succeeded in %s (%.1f promotions/s); Git checked: %d pin commits in %d pushes, linear history\n",
		services, workers, queued.Round(time.Millisecond), total.Round(time.Millisecond), float64(services)/total.Seconds(), services, strings.Count(string(pushes), "\n"))
	return total, nil
}

// checkPinned verifies on the remote that every service's dev pin holds its
// build's digest, that there is exactly one pin commit per service, and that
// history is linear.
func checkPinned(w *testworld.World) error {
	merges, err := gitOut(w.Remote, "rev-list", "--count", "--merges", "main")
	if err != nil || strings.TrimSpace(string(merges)) != "0" {
		return fmt.Errorf("history is not linear: %s merge commits (%v)", merges, err)
	}
	subjects, err := gitOut(w.Remote, "log", "--format=%s", "main")
	if err != nil {
		return err
	}
	if c := strings.Count(string(subjects), "chore(dev): pin "); c != len(w.Services()) {
		return fmt.Errorf("%d pin commits on main, want %d", c, len(w.Services()))
	}
	var req bytes.Buffer
	for _, s := range w.Services() {
		fmt.Fprintf(&req, "main:envs/dev/%s.yaml\n", s)
	}
	cmd := exec.Command("git", "-C", w.Remote, "cat-file", "--batch")
	cmd.Stdin = &req
	out, err := cmd.Output()
	if err != nil {
		return err
	}
	for _, s := range w.Services() {
		nl := bytes.IndexByte(out, '\n')
		var sha, typ string
		var size int
		if _, err := fmt.Sscanf(string(out[:nl]), "%s %s %d", &sha, &typ, &size); err != nil {
			return fmt.Errorf("envs/dev/%s.yaml: %q", s, out[:nl])
		}
		body := string(out[nl+1 : nl+1+size])
		out = out[nl+1+size+1:]
		if want := w.Builds[s][0].Digest; !strings.Contains(body, `digest: "`+want+`"`) && !strings.Contains(body, "digest: "+want) {
			return fmt.Errorf("envs/dev/%s.yaml on main does not pin %s:\n%s", s, want, body)
		}
	}
	return nil
}

var cpuProfile string

func gitOut(dir string, args ...string) ([]byte, error) {
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).Output()
	if err != nil {
		return nil, fmt.Errorf("git %v in %s: %w", args, dir, err)
	}
	return out, nil
}

// pct is the p-quantile (nearest rank) of ds.
func pct(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[max(int(math.Ceil(p*float64(len(s))))-1, 0)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }
