package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway"
)

// chainFixture: three promotions in pinning (three pins of dev) and a chain
// of three pin commits built one on another on the remote's tip.
type chainFixture struct {
	*fixture
	base  string
	ps    []*slipway.Promotion
	links []*link
}

func newChain(t *testing.T) *chainFixture {
	f := newFixture(t)
	ctx := context.Background()
	f.e.Cfg.Environments[0].Auto = false
	ref, sha := f.build("1", f.signer)
	b, _, err := f.e.RegisterBuild(ctx, "api", sha, ref.String())
	if err != nil {
		t.Fatal(err)
	}
	if err := f.e.fresh(ctx, true); err != nil {
		t.Fatal(err)
	}
	c := &chainFixture{fixture: f}
	c.base, _ = f.e.GitOps.RemoteBranch(ctx, "main")
	parent := c.base
	for i, svc := range []string{"api", "web", "db"} {
		p := &slipway.Promotion{Service: svc, Env: "dev", BuildID: b.ID, Digest: b.Digest, Requester: "ci@example.com", State: slipway.StateWaiting, Created: f.now}
		if _, err := f.e.Store.Promotions.CreatePromotion(ctx, p, false); err != nil {
			t.Fatal(err)
		}
		if err := f.e.Store.Promotions.Transition(ctx, p, slipway.StatePinning, "test", f.now); err != nil {
			t.Fatal(err)
		}
		head, err := f.e.GitOps.CommitFiles(ctx, parent, map[string][]byte{fmt.Sprintf("envs/dev/%s.yaml", svc): []byte(fmt.Sprintf("image:\n  digest: %q\n", b.Digest))}, f.e.identity(), f.now, fmt.Sprintf("chore(dev): pin %s %d\n", svc, i))
		if err != nil {
			t.Fatal(err)
		}
		parent = head
		c.ps = append(c.ps, p)
		c.links = append(c.links, &link{id: p.ID, service: svc, env: "dev", state: slipway.StatePinning, head: head, ctx: ctx, done: make(chan pushResult, 1)})
	}
	return c
}

func (c *chainFixture) remoteTip() string { return c.git(c.remote, "rev-parse", "main") }

func (c *chainFixture) supersede(i int) {
	c.t.Helper()
	if err := c.e.Store.Promotions.Transition(context.Background(), c.ps[i], slipway.StateSuperseded, "a newer request", c.now); err != nil {
		c.t.Fatal(err)
	}
}

// TestChainIsOnePush: three promotions' pin commits land with one push of
// the last, and each is told it landed.
func TestChainIsOnePush(t *testing.T) {
	c := newChain(t)
	res := c.e.pushChain(context.Background(), "main", c.links)
	for i, r := range res {
		if r != (pushResult{}) {
			t.Fatalf("link %d: %+v", i, r)
		}
	}
	if tip := c.remoteTip(); tip != c.links[2].head {
		t.Fatalf("remote main is %s, want the chain's last commit %s", tip, c.links[2].head)
	}
	if got, _ := c.e.GitOps.RemoteBranch(context.Background(), "main"); got != c.links[2].head {
		t.Fatalf("remote-tracking ref not moved: %s", got)
	}
}

// TestChainDropsASupersededPromotion: a promotion superseded while its
// commit waited in the chain is never pushed; the commits before it are,
// and the ones built on it are sent back to be built again.
func TestChainDropsASupersededPromotion(t *testing.T) {
	c := newChain(t)
	c.supersede(1)
	res := c.e.pushChain(context.Background(), "main", c.links)
	if res[0] != (pushResult{}) || !errors.Is(res[1].err, errNotCurrent) || !res[2].retry || res[2].err != nil {
		t.Fatalf("results %+v", res)
	}
	if tip := c.remoteTip(); tip != c.links[0].head {
		t.Fatalf("remote main is %s, want only the first commit %s", tip, c.links[0].head)
	}
}

// TestChainChecksEachPromotionUnderItsPinLock: while a request holds a
// promotion's pin lock (it is superseding it), the chain waits for the lock
// and then sees the promotion is no longer current: nothing of it or after
// it is pushed.
func TestChainChecksEachPromotionUnderItsPinLock(t *testing.T) {
	c := newChain(t)
	ctx := context.Background()
	locked, release := make(chan struct{}), make(chan struct{})
	go c.e.withPinLock(ctx, "api", "dev", "request-test", func() error {
		close(locked)
		<-release
		c.supersede(0) // a newer request becomes active, under the lock
		return nil
	})
	<-locked
	go func() { time.Sleep(300 * time.Millisecond); close(release) }()
	res := c.e.pushChain(ctx, "main", c.links)
	if !errors.Is(res[0].err, errNotCurrent) || !res[1].retry || !res[2].retry {
		t.Fatalf("results %+v", res)
	}
	if tip := c.remoteTip(); tip != c.base {
		t.Fatalf("something was pushed: main is %s", tip)
	}
}

// TestChainLeavesOutAPromotionWhoseLeaseWasLost: a promotion whose pass
// ended (its lease lost) while waiting in the chain is not pushed.
func TestChainLeavesOutAPromotionWhoseLeaseWasLost(t *testing.T) {
	c := newChain(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c.links[2].ctx = ctx
	res := c.e.pushChain(context.Background(), "main", c.links)
	if res[0] != (pushResult{}) || res[1] != (pushResult{}) || !errors.Is(res[2].err, errNotCurrent) {
		t.Fatalf("results %+v", res)
	}
	if tip := c.remoteTip(); tip != c.links[1].head {
		t.Fatalf("remote main is %s, want %s", tip, c.links[1].head)
	}
}

// TestChainOnAMovedRemoteRetriesAll: someone pushed meanwhile: the
// fast-forward push is refused, nothing is overwritten, every promotion of
// the chain builds again.
func TestChainOnAMovedRemoteRetriesAll(t *testing.T) {
	c := newChain(t)
	moved := c.push("someone else", map[string]string{"README": "x\n"})
	res := c.e.pushChain(context.Background(), "main", c.links)
	for i, r := range res {
		if !r.retry || r.err != nil {
			t.Fatalf("link %d: %+v", i, r)
		}
	}
	if tip := c.remoteTip(); tip != moved {
		t.Fatalf("main is %s, want the other push %s", tip, moved)
	}
}

// TestRecoveredCommitNeverCarriesAnotherPromotionsCommit: a pass that finds
// its commit recorded but not pushed (the chain's push failed, or the
// process died) must not push it when it was built on another promotion's
// unpushed commit: that one may have been superseded meanwhile. It builds
// its edit again on the branch instead.
func TestRecoveredCommitNeverCarriesAnotherPromotionsCommit(t *testing.T) {
	c := newChain(t)
	ctx := context.Background()
	// api's recorded commit was built at the end of a chain, on web's
	// commit; the push never happened. web is superseded since.
	web, api := c.ps[1], c.ps[0]
	onWeb, err := c.e.GitOps.CommitFiles(ctx, c.links[1].head, map[string][]byte{"envs/dev/api.yaml": []byte("image:\n  digest: \"" + api.Digest + "\"\n")}, c.e.identity(), c.now, "chore(dev): pin api\n")
	if err != nil {
		t.Fatal(err)
	}
	api.Head = onWeb
	if err := c.e.Store.Promotions.Update(ctx, api, c.now); err != nil {
		t.Fatal(err)
	}
	c.supersede(1)
	if err := c.e.Advance(ctx, api); err != nil {
		t.Fatal(err)
	}
	got, _ := c.e.Store.Promotions.Promotion(ctx, api.ID)
	if got.State != slipway.StateSucceeded || got.PinCommit == onWeb {
		t.Fatalf("api: %s, pin commit %s (the one on web's commit is %s)", got.State, got.PinCommit, onWeb)
	}
	if parent := c.git(c.remote, "rev-parse", got.PinCommit+"^"); parent != c.base {
		t.Fatalf("api's commit was built on %s, not on the branch %s", parent, c.base)
	}
	if out := c.git(c.remote, "log", "--format=%H", "main"); strings.Contains(out, c.links[1].head) {
		t.Fatalf("web's commit (%s, superseded) reached the branch:\n%s", web.ID, out)
	}
}
