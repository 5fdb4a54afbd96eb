package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/engine"
	"github.com/slipway/slipway/internal/testworld"
	"github.com/slipway/slipway/postgres/pgtest"
)

// replica is one `slipway serve` process.
type replica struct {
	name, addr string
	cmd        *exec.Cmd
	log        *os.File
}

func startReplica(t *testing.T, w *testworld.World, store, name string) *replica {
	t.Helper()
	r := &replica{name: name, addr: loopbackAddr(t)}
	args := []string{"serve", "--listen", r.addr, "--replica", name, "--leader-ttl", "2s", "--fetch-every", "300ms", "--reconcile-every", "2s"}
	if store != "" {
		args = append([]string{"--store", store}, args...)
	}
	r.cmd = cliProcess(context.Background(), w, "", args...)
	var err error
	if r.log, err = os.Create(w.Dir + "/" + name + ".log"); err != nil {
		t.Fatal(err)
	}
	r.cmd.Stdout, r.cmd.Stderr = r.log, r.log
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.cmd.Process.Kill(); r.cmd.Wait() })
	return r
}

// role reads /readyz: "leader", "standby" or "" when not ready.
func (r *replica) role() string {
	resp, err := http.Get("http://" + r.addr + "/readyz")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	switch {
	case resp.StatusCode != 200:
		return ""
	case strings.Contains(string(b), "leader"):
		return "leader"
	}
	return "standby"
}

func loopbackAddr(t *testing.T) string {
	for {
		addr := fmt.Sprintf("127.0.0.1:%d", 20000+rand.IntN(10000))
		if ln, err := net.Listen("tcp", addr); err == nil {
			ln.Close()
			return addr
		}
	}
}

func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < limit {
		if cond() {
			return time.Since(start)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s", what, limit)
	return 0
}

// TestLeaderKilledMidPromotion: two `slipway serve` replicas on one store;
// the leader is SIGKILLed while a prod canary runs; the standby takes the
// lead within seconds and finishes the promotion exactly once: one merge,
// one pin commit, one audit entry, and the canary resumed where it was.
func TestLeaderKilledMidPromotion(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two controllers")
	}
	stores := map[string]string{"sqlite": ""}
	if srv, err := pgtest.Start(context.Background()); err == nil {
		defer srv.Stop()
		_, dsn, err := srv.CreateDatabase(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		stores["postgres"] = dsn
	} else if os.Getenv("CI") != "" {
		t.Fatalf("PostgreSQL is needed in CI: %v", err)
	} else {
		t.Logf("PostgreSQL not available, testing replicas on SQLite only: %v", err)
	}
	for name, dsn := range stores {
		t.Run(name, func(t *testing.T) { leaderKilledMidPromotion(t, dsn) })
	}
}

func leaderKilledMidPromotion(t *testing.T, store string) {
	ctx := context.Background()
	w, err := testworld.New(ctx, testworld.Options{Dir: t.TempDir(), Services: 1, Builds: 1, Register: true, Store: store,
		Envs: []testworld.Env{{Name: "dev"}, {Name: "prod", PullRequest: true, AutoMerge: true, Approvals: 1, Canary: true, CanaryPause: 3 * time.Second}}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	a := startReplica(t, w, store, "a")
	waitFor(t, "replica a leads", 20*time.Second, func() bool { return a.role() == "leader" })
	b := startReplica(t, w, store, "b")
	waitFor(t, "replica b stands by", 20*time.Second, func() bool { return b.role() == "standby" })

	e, err := w.Open(ctx, true) // requests only: the controller does the work
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	build := w.Builds["s1"][0]
	if p, err := e.Promote(ctx, engine.PromoteRequest{Service: "s1", Env: "dev", BuildID: build.ID, Requester: "ci@example.com"}); err != nil {
		t.Fatal(err)
	} else {
		waitFor(t, "dev", 20*time.Second, func() bool { q, _ := e.Store.Promotions.Promotion(ctx, p.ID); return q.State == slipway.StateSucceeded })
	}
	p, err := e.Promote(ctx, engine.PromoteRequest{Service: "s1", Env: "prod", BuildID: build.ID, Requester: "alice@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Approve(ctx, p.ID, "bob@example.com", true, "ha"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the prod canary reaches its pause", 30*time.Second, func() bool {
		c, _ := e.Store.Promotions.CanaryProgress(ctx, p.ID)
		return c != nil && c.Step >= 1
	})
	a.cmd.Process.Signal(syscall.SIGKILL)
	a.cmd.Wait()
	took := waitFor(t, "replica b takes the lead", 20*time.Second, func() bool { return b.role() == "leader" })
	t.Logf("takeover %s after the leader was killed (leader TTL 2s)", took.Round(10*time.Millisecond))
	waitFor(t, "the promotion finishes", 60*time.Second, func() bool {
		q, _ := e.Store.Promotions.Promotion(ctx, p.ID)
		return !q.State.Active()
	})
	q, _ := e.Store.Promotions.Promotion(ctx, p.ID)
	if q.State != slipway.StateSucceeded {
		t.Fatalf("promotion %s ended %s: %s", q.ID, q.State, q.Reason)
	}
	merges, _ := exec.Command("git", "-C", w.Remote, "rev-list", "--count", "--merges", "main").Output()
	if strings.TrimSpace(string(merges)) != "1" {
		t.Errorf("%s merge commits on main, want exactly 1", strings.TrimSpace(string(merges)))
	}
	log, _ := exec.Command("git", "-C", w.Remote, "log", "--format=%B", "--all").Output()
	if n := strings.Count(string(log), "Slipway-Promotion: "+p.ID+"\n"); n != 1 {
		t.Errorf("%d pin commits for %s, want 1", n, p.ID)
	}
	audit, _ := e.Store.Audit.AuditOf(ctx, p.ID)
	if len(audit) != 1 || audit[0].Kind != "promoted" {
		t.Errorf("audit of %s: %+v, want one promoted entry", p.ID, audit)
	}
	sets := 0
	for _, c := range w.Runtime.Calls() {
		if c.Op == "set-weight" && c.Request.Weight != nil && *c.Request.Weight == 50 {
			sets++
		}
	}
	if sets != 1 {
		t.Errorf("the canary's first step ran %d times: the standby restarted it instead of resuming", sets)
	}
}
