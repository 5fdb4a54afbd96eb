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

// TestConcurrentPromotionsIntoOneRepo: 100 promotions of different services
// into one GitOps branch at once, in one process sharing one clone: every
// pin lands (100 pin commits, none lost), history stays linear, and the
// store says what Git says.
func TestConcurrentPromotionsIntoOneRepo(t *testing.T) {
	ctx := context.Background()
	const n = 100
	w, err := testworld.New(ctx, testworld.Options{Dir: t.TempDir(), Services: n, Builds: 1, Register: true, Envs: []testworld.Env{{Name: "dev"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	e, err := w.Open(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, s := range w.Services() {
		wg.Add(1)
		go func(i int, s string) {
			defer wg.Done()
			p, err := e.Promote(ctx, engine.PromoteRequest{Service: s, Env: "dev", BuildID: w.Builds[s][0].ID, Requester: "ci@example.com"})
			if err == nil && p.State != slipway.StateSucceeded {
				err = fmt.Errorf("%s ended %s: %s", p.ID, p.State, p.Reason)
			}
			errs[i] = err
		}(i, s)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("s%d: %v", i+1, err)
		}
	}
	merges, _ := exec.Command("git", "-C", w.Remote, "rev-list", "--count", "--merges", "main").Output()
	if strings.TrimSpace(string(merges)) != "0" {
		t.Fatalf("history is not linear: %s merge commits", merges)
	}
	out, err := exec.Command("git", "-C", w.Remote, "log", "--format=%s", "main").Output()
	if err != nil {
		t.Fatal(err)
	}
	pins := strings.Count(string(out), "chore(dev): pin ")
	if pins != n {
		t.Fatalf("%d pin commits on main, want %d", pins, n)
	}
	for _, s := range w.Services() {
		d, err := w.GitDigest(s, "dev")
		if err != nil || d != w.Builds[s][0].Digest {
			t.Fatalf("%s: Git pins %q (%v), want %s", s, d, err, w.Builds[s][0].Digest)
		}
		if rec, _ := e.Store.Promotions.Pin(ctx, s, "dev"); rec == nil || rec.Digest != d {
			t.Fatalf("%s: the store's pin record %+v disagrees with Git", s, rec)
		}
	}
}
