package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/engine"
	"github.com/slipway/slipway/internal/testworld"
)

// TestMain lets tests run this test binary as the slipway CLI: real
// processes, as a CI job or a person would start them.
func TestMain(m *testing.M) {
	if os.Getenv("SLIPWAY_TEST_AS_CLI") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// cliProcess prepares the slipway CLI as a separate process.
func cliProcess(ctx context.Context, w *testworld.World, user string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], append([]string{"--config", w.ConfigPath, "--state", w.StateDir}, args...)...)
	cmd.Env = append(os.Environ(), "SLIPWAY_TEST_AS_CLI=1", "SLIPWAY_USER="+user)
	return cmd
}

type outcome struct {
	build      string
	id         string // promotion id, when one was created
	out        string
	err        error
	start, end time.Time
}

var promotionLine = regexp.MustCompile(`promotion (p-\d+): `)

// TestConcurrentPromotionsOfOnePin is issue #16's experiment: two, then
// five, `slipway promote` processes started at the same moment for the same
// service and environment with different builds, 50 rounds, reusing digests
// promoted before, into a direct environment and a pull-request environment
// with autoMerge, on a real bare remote. After each round and one
// reconcile: Git's pin equals the store's current digest, which is the
// digest of the newest request that succeeded; every promotion ended
// succeeded or superseded (or the request was refused, naming the active
// promotion); two succeeded only if the first had finished before the
// second began.
func TestConcurrentPromotionsOfOnePin(t *testing.T) {
	if testing.Short() {
		t.Skip("starts hundreds of processes")
	}
	ctx := context.Background()
	w, err := testworld.New(ctx, testworld.Options{Dir: t.TempDir(), Services: 1, Builds: 6, Register: true,
		Envs: []testworld.Env{{Name: "dev"}, {Name: "staging", PullRequest: true, AutoMerge: true}}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	e, err := w.Open(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	builds := w.Builds["s1"]
	// Every build runs in dev once, so staging's previous-environment rule
	// holds for all of them.
	for _, b := range builds {
		if p, err := e.Promote(ctx, promoteReq("s1", "dev", b.ID)); err != nil || p.State != slipway.StateSucceeded {
			t.Fatalf("setup: %+v %v", p, err)
		}
	}
	rounds := 50
	for _, env := range []string{"dev", "staging"} {
		for _, n := range []int{2, 5} {
			t.Run(fmt.Sprintf("%s/%d", env, n), func(t *testing.T) {
				tally := map[string]int{}
				for round := 0; round < rounds; round++ {
					concurrentRound(t, ctx, w, env, pick(builds, n), round, tally)
					if t.Failed() {
						return
					}
				}
				t.Logf("%d rounds of %d requests: %v", rounds, n, tally)
			})
		}
	}
}

func pick(builds []*slipway.Build, n int) []*slipway.Build {
	idx := rand.Perm(len(builds))[:n]
	out := make([]*slipway.Build, n)
	for i, j := range idx {
		out[i] = builds[j]
	}
	return out
}

func concurrentRound(t *testing.T, ctx context.Context, w *testworld.World, env string, builds []*slipway.Build, round int, tally map[string]int) {
	t.Helper()
	e, err := w.Open(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	before, _ := e.Store.Promotions.Promotions(ctx, slipway.PromotionFilter{Service: "s1", Env: env})
	seen := map[string]bool{}
	for _, p := range before {
		seen[p.ID] = true
	}
	outs := make([]outcome, len(builds))
	var wg sync.WaitGroup
	for i, b := range builds {
		wg.Add(1)
		go func(i int, b *slipway.Build) {
			defer wg.Done()
			var buf bytes.Buffer
			cmd := cliProcess(ctx, w, "alice@example.com", "promote", "--service", "s1", "--to", env, "--build", b.ID)
			cmd.Stdout, cmd.Stderr = &buf, &buf
			o := outcome{build: b.ID, start: time.Now()}
			o.err = cmd.Run()
			o.end, o.out = time.Now(), buf.String()
			if m := promotionLine.FindStringSubmatch(o.out); m != nil {
				o.id = m[1]
			}
			outs[i] = o
		}(i, b)
	}
	wg.Wait()
	if err := e.Reconcile(ctx); err != nil {
		t.Fatalf("round %d: reconcile: %v", round, err)
	}
	after, _ := e.Store.Promotions.Promotions(ctx, slipway.PromotionFilter{Service: "s1", Env: env})
	var mine []*slipway.Promotion
	for _, p := range after {
		if !seen[p.ID] {
			mine = append(mine, p)
		}
	}
	report := func(format string, args ...any) {
		t.Helper()
		var b strings.Builder
		for _, o := range outs {
			fmt.Fprintf(&b, "\n  %s %s %v %s", o.build, o.id, o.err, strings.TrimSpace(o.out))
		}
		for _, p := range mine {
			fmt.Fprintf(&b, "\n  %s %s %s %s", p.ID, digest12(p.Digest), p.State, p.Reason)
		}
		t.Errorf("round %d: "+format+b.String(), append([]any{round}, args...)...)
	}
	for _, o := range outs {
		if o.err != nil && !strings.Contains(o.out, "its pin is already in Git") && !strings.Contains(o.out, "is no longer current") {
			report("a request failed for another reason than a refusal naming the active promotion")
			return
		}
	}
	for _, o := range outs {
		if o.err != nil {
			tally["refused"]++
		}
	}
	var newest *slipway.Promotion
	for _, p := range mine {
		tally[string(p.State)]++
		switch p.State {
		case slipway.StateSucceeded:
			newest = p
		case slipway.StateSuperseded:
		default:
			report("promotion %s ended %s", p.ID, p.State)
			return
		}
	}
	if newest == nil {
		report("no promotion succeeded")
		return
	}
	gitDigest, err := w.GitDigest("s1", env)
	if err != nil {
		t.Fatal(err)
	}
	cur, _ := e.Store.Promotions.Current(ctx, "s1", env)
	pin, _ := e.Store.Promotions.Pin(ctx, "s1", env)
	if gitDigest != newest.Digest || cur == nil || cur.ID != newest.ID || pin == nil || pin.Digest != gitDigest {
		report("Git pins %s; the newest succeeded request is %s (%s); the store's current is %v; its pin record %v", digest12(gitDigest), newest.ID, digest12(newest.Digest), cur, pin)
		return
	}
	// Two successes only in sequence: the first done before the second began.
	for _, a := range mine {
		for _, b := range mine {
			if a.ID >= b.ID || a.State != slipway.StateSucceeded || b.State != slipway.StateSucceeded {
				continue
			}
			first, second := a, b
			if idNum(b.ID) < idNum(a.ID) {
				first, second = b, a
			}
			// The store's own order of events, not clocks of two processes.
			h1, _ := e.Store.Promotions.History(ctx, first.ID)
			h2, _ := e.Store.Promotions.History(ctx, second.ID)
			if len(h1) == 0 || len(h2) == 0 || h1[len(h1)-1].To != slipway.StateSucceeded || h1[len(h1)-1].Seq > h2[0].Seq {
				report("%s and %s both succeeded, but %s finished after %s began", first.ID, second.ID, first.ID, second.ID)
				return
			}
		}
	}
	if env == "staging" {
		prs, _ := e.Forge.List(ctx, slipway.PROpen)
		if len(prs) != 0 {
			report("%d pull requests left open", len(prs))
		}
	}
}

func idNum(id string) int {
	var n int
	fmt.Sscanf(id, "p-%d", &n)
	return n
}

func digest12(d string) string { return slipway.Digest12(d) }

func promoteReq(service, env, build string) engine.PromoteRequest {
	return engine.PromoteRequest{Service: service, Env: env, BuildID: build, Requester: "alice@example.com"}
}
