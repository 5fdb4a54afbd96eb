package engine_test

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/engine"
	"github.com/slipway/slipway/internal/testworld"
)

// TestConcurrentPromotionsSharePushes: promotions of one process that queue
// for one branch are pushed as chains (fewer pushes than promotions), and
// each promotion still gets its own commit, recorded on it, that Git shows
// setting its pin: the commit's pin file holds its digest, its parent's
// does not.
func TestConcurrentPromotionsSharePushes(t *testing.T) {
	ctx := context.Background()
	const n = 40
	w, err := testworld.New(ctx, testworld.Options{Dir: t.TempDir(), Services: n, Builds: 1, Register: true, Envs: []testworld.Env{{Name: "dev"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	git := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("git", append([]string{"-C", w.Remote}, args...)...).Output()
		if err != nil {
			t.Fatalf("git %v: %v", args, err)
		}
		return strings.TrimSpace(string(out))
	}
	git("config", "core.logAllRefUpdates", "always") // one reflog entry per push
	e, err := w.Open(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ps := make([]*slipway.Promotion, n)
	var wg sync.WaitGroup
	for i, s := range w.Services() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := e.Promote(ctx, engine.PromoteRequest{Service: s, Env: "dev", BuildID: w.Builds[s][0].ID, Requester: "ci@example.com"})
			if err != nil {
				t.Error(err)
				return
			}
			ps[i] = p
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	if pushes := len(strings.Split(git("reflog", "show", "--format=%H", "main"), "\n")); pushes >= n {
		t.Fatalf("%d pushes for %d promotions: nothing was chained", pushes, n)
	}
	if merges := git("rev-list", "--count", "--merges", "main"); merges != "0" {
		t.Fatalf("%s merge commits", merges)
	}
	for i, p := range ps {
		s := w.Services()[i]
		p, _ = e.Store.Promotions.Promotion(ctx, p.ID)
		file := fmt.Sprintf("envs/dev/%s.yaml", s)
		if p.State != slipway.StateSucceeded || p.PinCommit == "" || p.Head != p.PinCommit {
			t.Fatalf("%s: %s head %s pin %s", p.ID, p.State, p.Head, p.PinCommit)
		}
		if setter := git("log", "-n", "1", "--format=%H", "main", "--", file); setter != p.PinCommit {
			t.Fatalf("%s: the commit that set %s is %s, the promotion recorded %s", p.ID, file, setter, p.PinCommit)
		}
		digest := w.Builds[s][0].Digest
		if !strings.Contains(git("show", p.PinCommit+":"+file), digest) || strings.Contains(git("show", p.PinCommit+"^:"+file), digest) {
			t.Fatalf("%s: %s does not set %s", p.ID, p.PinCommit, digest)
		}
	}
}
