// Command chaos starts `slipway serve` on a real bare GitOps remote, drives
// promotions through dev (direct), staging (pull request, auto-merge) and
// prod (pull request, an approval, a canary that fails for some builds),
// SIGKILLs the controller at random moments, restarts it, and after each
// kill checks what must always hold:
//
//   - every environment's pin in Git equals the store's current digest, or a
//     promotion of that service and environment is visibly in flight;
//   - no promotion has two pin commits (or two reverts) on a branch, and no
//     promotion has two pull requests;
//   - no approval the store accepted is lost;
//   - every prod change is audited.
//
// It includes issue #16's case: several promotions of one service into one
// environment at once, reusing digests promoted before.
//
//	go run ./bench/chaos -kills 200 -services 20 [-store postgres]
//
// The last line is `kills N, inconsistent 0, duplicate commits 0, duplicate PRs 0, lost approvals 0`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/engine"
	"github.com/slipway/slipway/internal/testworld"
	"github.com/slipway/slipway/postgres/pgtest"
)

func main() {
	kills := flag.Int("kills", 200, "how many times the controller is SIGKILLed")
	services := flag.Int("services", 20, "services in the world")
	builds := flag.Int("builds", 6, "builds per service (digests are reused)")
	store := flag.String("store", "sqlite", "sqlite or postgres (a throwaway server started here)")
	keep := flag.Bool("keep", false, "keep the world's directory")
	verbose := flag.Bool("v", false, "print every problem")
	flag.Parse()
	if err := run(*kills, *services, *builds, *store, *keep, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(1)
	}
}

type harness struct {
	w        *testworld.World
	e        *engine.Engine // the harness's own engine: it only requests (Controller) and reads
	bin      string
	listen   string
	storeDSN string
	serve    *exec.Cmd
	log      *os.File
	verbose  bool

	mu        sync.Mutex // held by the driver for each action and by the checks
	approvals []slipway.Approval
	problems  map[string]int
}

func run(kills, services, builds int, store string, keep, verbose bool) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "slipway-chaos-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(dir)
	}
	h := &harness{problems: map[string]int{}, verbose: verbose}
	if store == "postgres" {
		srv, err := pgtest.Start(ctx)
		if err != nil {
			return fmt.Errorf("start PostgreSQL: %w", err)
		}
		defer srv.Stop()
		if _, h.storeDSN, err = srv.CreateDatabase(ctx); err != nil {
			return err
		}
	}
	fmt.Printf("world: %d services × %d builds, dev → staging (PR) → prod (PR, approval, canary); store %s; in %s\n", services, builds, store, dir)
	h.w, err = testworld.New(ctx, testworld.Options{Dir: dir, Services: services, Builds: builds, Register: true, Store: h.storeDSN,
		Envs: []testworld.Env{
			{Name: "dev"},
			{Name: "staging", PullRequest: true, AutoMerge: true, Auto: true},
			{Name: "prod", PullRequest: true, AutoMerge: true, Approvals: 1, Canary: true},
		}})
	if err != nil {
		return err
	}
	defer h.w.Close()
	for _, s := range h.w.Services() { // a third of the builds fail their prod canary
		for i, b := range h.w.Builds[s] {
			if i%3 == 2 {
				h.w.MarkBad(b.Digest)
			}
		}
	}
	if h.e, err = h.w.Open(ctx, true); err != nil {
		return err
	}
	defer h.e.Close()
	h.bin = filepath.Join(dir, "slipway")
	if out, err := exec.Command("go", "build", "-o", h.bin, "./cmd/slipway").CombinedOutput(); err != nil {
		return fmt.Errorf("build slipway: %v\n%s", err, out)
	}
	if h.log, err = os.Create(filepath.Join(dir, "serve.log")); err != nil {
		return err
	}
	h.listen = freeAddr()
	if err := h.start(); err != nil {
		return err
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); h.drive(ctx, stop) }()

	start := time.Now()
	for k := 1; k <= kills; k++ {
		time.Sleep(time.Duration(100+rand.IntN(700)) * time.Millisecond)
		h.kill()
		h.check(ctx)
		if err := h.start(); err != nil {
			return err
		}
		if k%20 == 0 {
			fmt.Printf("%4d kills in %s: %s\n", k, time.Since(start).Round(time.Second), h.summary(k))
		}
	}
	close(stop)
	wg.Wait()
	settled := h.settle(ctx, 60*time.Second)
	h.kill()
	h.check(ctx)
	fmt.Printf("settled: %v; %s\n", settled, h.tally(ctx))
	fmt.Println(h.summary(kills))
	if h.problems["inconsistent"]+h.problems["duplicate commits"]+h.problems["duplicate PRs"]+h.problems["lost approvals"]+h.problems["unaudited"] > 0 {
		return errors.New("invariants broken (run with -v -keep to see them)")
	}
	return nil
}

func (h *harness) summary(kills int) string {
	return fmt.Sprintf("kills %d, inconsistent %d, duplicate commits %d, duplicate PRs %d, lost approvals %d",
		kills, h.problems["inconsistent"]+h.problems["unaudited"], h.problems["duplicate commits"], h.problems["duplicate PRs"], h.problems["lost approvals"])
}

// freeAddr picks a free port below Linux's ephemeral range, so an outgoing
// connection cannot take it while the controller restarts.
func freeAddr() string {
	for {
		addr := fmt.Sprintf("127.0.0.1:%d", 20000+rand.IntN(10000))
		if ln, err := net.Listen("tcp", addr); err == nil {
			ln.Close()
			return addr
		}
	}
}

// start runs `slipway serve` and waits until it is ready.
func (h *harness) start() error {
	args := []string{"--config", h.w.ConfigPath, "--state", h.w.StateDir, "serve", "--listen", h.listen,
		"--replica", "chaos", "--leader-ttl", "2s", "--fetch-every", "300ms", "--reconcile-every", "2s", "--workers", "16"}
	if h.storeDSN != "" {
		args = append([]string{"--store", h.storeDSN}, args...)
	}
	h.serve = exec.Command(h.bin, args...)
	h.serve.Stdout, h.serve.Stderr = h.log, h.log
	if err := h.serve.Start(); err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if r, err := http.Get("http://" + h.listen + "/readyz"); err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("slipway serve did not become ready in 30s (see serve.log)")
}

func (h *harness) kill() {
	h.serve.Process.Signal(syscall.SIGKILL)
	h.serve.Wait()
}

// drive requests promotions and approvals, as CI jobs and people do,
// until stop closes. Refusals are part of the game.
func (h *harness) drive(ctx context.Context, stop <-chan struct{}) {
	services := h.w.Services()
	for {
		select {
		case <-stop:
			return
		case <-time.After(time.Duration(20+rand.IntN(60)) * time.Millisecond):
		}
		h.mu.Lock()
		s := services[rand.IntN(len(services))]
		switch n := rand.IntN(10); {
		case n < 3: // a green build reaches dev; sometimes several at once (#16)
			k := 1
			if rand.IntN(4) == 0 {
				k = 3
			}
			var wg sync.WaitGroup
			for i := 0; i < k; i++ {
				b := h.w.Builds[s][rand.IntN(len(h.w.Builds[s]))]
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := h.e.Promote(ctx, engine.PromoteRequest{Service: s, Env: "dev", BuildID: b.ID, Requester: "ci@example.com"})
					h.driverError(err)
				}()
			}
			wg.Wait()
		case n < 6: // someone asks for prod what runs in staging
			if cur, _ := h.e.Store.Promotions.Current(ctx, s, "staging"); cur != nil {
				_, err := h.e.Promote(ctx, engine.PromoteRequest{Service: s, Env: "prod", BuildID: cur.BuildID, Requester: "alice@example.com"})
				h.driverError(err)
			}
		case n < 9: // an SRE approves what waits in prod
			ps, _ := h.e.Store.Promotions.Promotions(ctx, slipway.PromotionFilter{Env: "prod", State: slipway.StateWaiting})
			for _, p := range ps {
				user := []string{"bob@example.com", "carol@example.com"}[rand.IntN(2)]
				if _, err := h.e.Approve(ctx, p.ID, user, true, "chaos"); err == nil {
					h.approvals = append(h.approvals, slipway.Approval{PromotionID: p.ID, User: user})
				}
			}
		default: // a held digest is released, so it can come back
			hs, _ := h.e.Store.Holds.Holds(ctx, s, false)
			if len(hs) > 0 && rand.IntN(3) == 0 {
				h.e.ReleaseHold(ctx, s, hs[0].Digest, "sre@example.com")
			}
		}
		h.mu.Unlock()
	}
}

// settle waits until no promotion has work left except waiting on people.
func (h *harness) settle(ctx context.Context, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		ps, _ := h.e.Store.Promotions.Promotions(ctx, slipway.PromotionFilter{Active: true})
		busy := 0
		for _, p := range ps {
			if p.State != slipway.StateWaiting && p.State != slipway.StatePaused {
				busy++
			}
		}
		if busy == 0 {
			return true
		}
		time.Sleep(200 * time.Millisecond)
	}
	return false
}

func (h *harness) tally(ctx context.Context) string {
	ps, _ := h.e.Store.Promotions.Promotions(ctx, slipway.PromotionFilter{})
	n := map[slipway.PromotionState]int{}
	for _, p := range ps {
		n[p.State]++
	}
	return fmt.Sprintf("%d promotions %v, %d approvals", len(ps), n, len(h.approvals))
}

// driverError prints a request's error that is not a refusal.
func (h *harness) driverError(err error) {
	if err != nil && h.verbose && slipway.ErrorCode(err) == slipway.EINTERNAL {
		fmt.Println("  request:", err)
	}
}

func (h *harness) problem(kind, format string, args ...any) {
	h.problems[kind]++
	if h.verbose {
		fmt.Printf("  %s: %s\n", kind, fmt.Sprintf(format, args...))
	}
}

var (
	trailerRE = regexp.MustCompile(`(?m)^Slipway-Promotion: (p-\d+)$`)
	prBranch  = regexp.MustCompile(`-(p-\d+)$`)
)

// check verifies the invariants while the controller is dead.
func (h *harness) check(ctx context.Context) {
	h.mu.Lock()
	defer h.mu.Unlock()
	e := h.e
	for _, env := range []string{"dev", "staging", "prod"} {
		for _, s := range h.w.Services() {
			act, _ := e.Store.Promotions.Promotions(ctx, slipway.PromotionFilter{Service: s, Env: env, Active: true})
			if len(act) > 0 {
				continue // visibly in flight
			}
			git, err := h.w.GitDigest(s, env)
			if err != nil {
				h.problem("inconsistent", "%s/%s: %v", s, env, err)
				continue
			}
			want := ""
			if cur, _ := e.Store.Promotions.Current(ctx, s, env); cur != nil {
				want = cur.Digest
			}
			if git != want {
				h.problem("inconsistent", "%s/%s: Git pins %s, the store's current is %s", s, env, slipway.Digest12(git), slipway.Digest12(want))
			}
		}
	}
	// One pin commit and one revert per promotion on main.
	out, _ := exec.Command("git", "-C", h.w.Remote, "log", "--first-parent", "--no-merges", "--format=%s%x1f%B%x1e", "main").Output()
	pins, reverts := map[string]int{}, map[string]int{}
	for _, c := range strings.Split(string(out), "\x1e") {
		subject, body, ok := strings.Cut(strings.TrimSpace(c), "\x1f")
		if !ok {
			continue
		}
		m := trailerRE.FindStringSubmatch(body)
		if m == nil {
			continue
		}
		if strings.HasPrefix(subject, "Revert ") {
			reverts[m[1]]++
		} else {
			pins[m[1]]++
		}
	}
	merged, _ := exec.Command("git", "-C", h.w.Remote, "log", "--first-parent", "--merges", "--format=%P", "main").Output()
	for _, line := range strings.Split(strings.TrimSpace(string(merged)), "\n") {
		if p := strings.Fields(line); len(p) == 2 {
			msg, _ := exec.Command("git", "-C", h.w.Remote, "log", "-1", "--format=%B", p[1]).Output()
			if m := trailerRE.FindSubmatch(msg); m != nil {
				pins[string(m[1])]++
			}
		}
	}
	for id, n := range pins {
		if n > 1 {
			h.problem("duplicate commits", "%s has %d pin commits on main", id, n)
		}
	}
	for id, n := range reverts {
		if n > 1 {
			h.problem("duplicate commits", "%s has %d reverts on main", id, n)
		}
	}
	prs, _ := e.Forge.List(ctx, "")
	byPromotion := map[string]int{}
	for _, pr := range prs {
		if m := prBranch.FindStringSubmatch(pr.Branch); m != nil {
			byPromotion[m[1]]++
		}
	}
	for id, n := range byPromotion {
		if n > 1 {
			h.problem("duplicate PRs", "%s has %d pull requests", id, n)
		}
	}
	for _, a := range h.approvals {
		as, _ := e.Store.Gates.Approvals(ctx, a.PromotionID)
		found := false
		for _, x := range as {
			found = found || x.User == a.User
		}
		if !found {
			h.problem("lost approvals", "%s by %s", a.PromotionID, a.User)
		}
	}
	for _, st := range []slipway.PromotionState{slipway.StateSucceeded, slipway.StateAborted, slipway.StateRolledBack} {
		ps, _ := e.Store.Promotions.Promotions(ctx, slipway.PromotionFilter{Env: "prod", State: st})
		for _, p := range ps {
			es, _ := e.Store.Audit.AuditOf(ctx, p.ID)
			kind := map[slipway.PromotionState]string{slipway.StateSucceeded: "promoted", slipway.StateAborted: "aborted", slipway.StateRolledBack: "rolled-back"}[st]
			found := false
			for _, x := range es {
				found = found || x.Kind == kind
			}
			if !found {
				h.problem("unaudited", "%s is %s without a %q audit entry", p.ID, st, kind)
			}
		}
	}
}
