// Package controller is `slipway serve`'s loop: one replica at a time leads
// (a lease in the store, so a dead leader is replaced within seconds), keeps
// the GitOps clone fresh with one fetch loop, and works the durable queue the
// engine and every CLI process fill (a build registered, an approval, a pull
// request merged, a window opening), plus a periodic reconcile. Promotions
// run on a pool of workers; each holds its promotion's lease, so a promotion
// is driven by exactly one actor even across replicas.
package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/engine"
)

// Controller drives the engine. Fill the fields, then call Run once.
type Controller struct {
	Engine *engine.Engine
	// LeaderTTL is how long a silent leader keeps the lead (default 5s);
	// a standby takes over within about this long after the leader dies.
	LeaderTTL time.Duration
	// FetchEvery is the fetch loop's period (default 2s).
	FetchEvery time.Duration
	// ReconcileEvery is the period of the full reconcile (default 30s).
	ReconcileEvery time.Duration
	// PollEvery is how often the queue is read for due work (default 200ms).
	PollEvery time.Duration
	// Workers run promotions concurrently (default 8): a long canary holds one.
	Workers int
	Log     *slog.Logger

	leader   atomic.Bool
	ready    atomic.Bool
	fetched  atomic.Int64 // unix nanos of the last good fetch
	fetchErr atomic.Value // string
	mu       sync.Mutex
	running  map[string]bool // queue keys being worked on in this process
}

func (c *Controller) defaults() {
	if c.LeaderTTL <= 0 {
		c.LeaderTTL = 5 * time.Second
	}
	if c.FetchEvery <= 0 {
		c.FetchEvery = 2 * time.Second
	}
	if c.ReconcileEvery <= 0 {
		c.ReconcileEvery = 30 * time.Second
	}
	if c.PollEvery <= 0 {
		c.PollEvery = 200 * time.Millisecond
	}
	if c.Workers <= 0 {
		c.Workers = 8
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	c.running = map[string]bool{}
	c.fetchErr.Store("")
	c.Engine.Controller = true
	c.Engine.FetchMaxAge = c.FetchEvery * 3
}

// Leader reports whether this replica leads now.
func (c *Controller) Leader() bool { return c.leader.Load() }

// Ready reports whether the replica can serve: the store answers and, when
// it leads, the clone was fetched recently.
func (c *Controller) Ready(ctx context.Context) error {
	if !c.ready.Load() {
		return errors.New("starting")
	}
	if _, err := c.Engine.Store.Leases.Leases(ctx); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if c.leader.Load() {
		last := time.Unix(0, c.fetched.Load())
		if time.Since(last) > 5*c.FetchEvery {
			return fmt.Errorf("git remote not fetched since %s: %s", last.UTC().Format(time.RFC3339), c.fetchErr.Load())
		}
	}
	return nil
}

// Run leads when it can and works until ctx ends; then it stops taking
// work, lets running promotions stop at a safe point, and gives its leases
// back so another replica takes over at once.
func (c *Controller) Run(ctx context.Context) error {
	c.defaults()
	e := c.Engine
	c.ready.Store(true)
	for ctx.Err() == nil {
		_, err := e.Store.Leases.Acquire(ctx, slipway.LeaderLease, e.Owner, c.LeaderTTL)
		if err != nil {
			if slipway.ErrorCode(err) != slipway.ECONFLICT && ctx.Err() == nil {
				c.Log.Warn("leader election", "err", err)
			}
			sleep(ctx, c.LeaderTTL/4)
			continue
		}
		c.Log.Info("leading", "owner", e.Owner)
		c.lead(ctx)
		c.Log.Info("stopped leading", "owner", e.Owner)
	}
	e.Store.Leases.Release(context.WithoutCancel(ctx), slipway.LeaderLease, e.Owner)
	return nil
}

// lead runs the leader's loops until ctx ends or the lead is lost.
func (c *Controller) lead(parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	c.leader.Store(true)
	defer c.leader.Store(false)
	var wg sync.WaitGroup
	run := func(f func(context.Context)) {
		wg.Add(1)
		go func() { defer wg.Done(); f(ctx) }()
	}
	run(func(ctx context.Context) { c.keepLead(ctx, cancel) })
	run(c.fetchLoop)
	work := make(chan slipway.WorkItem)
	for i := 0; i < c.Workers; i++ {
		run(func(ctx context.Context) { c.worker(ctx, work) })
	}
	// The first pass picks up whatever a previous leader left unfinished.
	c.Engine.Store.Queue.Enqueue(ctx, slipway.WorkReconcile, "", time.Now())
	c.dispatch(ctx, work)
	wg.Wait()
}

// keepLead renews the leader lease; losing it ends the lead at once.
func (c *Controller) keepLead(ctx context.Context, cancel context.CancelFunc) {
	t := time.NewTicker(c.LeaderTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := c.Engine.Store.Leases.Renew(ctx, slipway.LeaderLease, c.Engine.Owner, c.LeaderTTL); err != nil && ctx.Err() == nil {
				c.Log.Warn("lost the lead", "err", err)
				cancel()
				return
			}
		}
	}
}

// fetchLoop keeps the clone's view of the GitOps remote fresh: one fetch
// for every promotion of this replica.
func (c *Controller) fetchLoop(ctx context.Context) {
	for {
		if err := c.Engine.GitOps.FetchShared(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			c.fetchErr.Store(err.Error())
			c.Log.Warn("fetch GitOps remote", "err", err)
		} else {
			now := time.Now()
			c.fetched.Store(now.UnixNano())
			c.fetchErr.Store("")
			c.Engine.Fetched(now)
		}
		if !sleep(ctx, c.FetchEvery) {
			return
		}
	}
}

// dispatch hands due work to the workers and schedules the periodic
// reconcile, until ctx ends.
func (c *Controller) dispatch(ctx context.Context, work chan<- slipway.WorkItem) {
	q := c.Engine.Store.Queue
	nextReconcile := time.Now().Add(c.ReconcileEvery)
	for ctx.Err() == nil {
		if time.Now().After(nextReconcile) {
			q.Enqueue(ctx, slipway.WorkReconcile, "", time.Now())
			nextReconcile = time.Now().Add(c.ReconcileEvery)
		}
		c.mu.Lock()
		busy := len(c.running)
		c.mu.Unlock()
		due, err := q.Due(ctx, time.Now(), 4*c.Workers+busy)
		if err != nil && ctx.Err() == nil {
			c.Log.Warn("read work queue", "err", err)
		}
		handed := 0
		for _, it := range due {
			if !c.claim(it) {
				continue
			}
			select {
			case work <- it:
				handed++
			case <-ctx.Done():
				c.release(it)
				return
			}
		}
		if handed == 0 && !sleep(ctx, c.PollEvery) {
			return
		}
	}
}

// claim marks a queue key as being worked on in this process.
func (c *Controller) claim(it slipway.WorkItem) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := it.Kind + "/" + it.Key
	if c.running[k] {
		return false
	}
	c.running[k] = true
	return true
}

func (c *Controller) release(it slipway.WorkItem) {
	c.mu.Lock()
	delete(c.running, it.Kind+"/"+it.Key)
	c.mu.Unlock()
}

func (c *Controller) worker(ctx context.Context, work <-chan slipway.WorkItem) {
	for {
		select {
		case <-ctx.Done():
			return
		case it := <-work:
			c.do(ctx, it)
			c.release(it)
		}
	}
}

// do runs one item: done on success, retried with capped backoff on error.
func (c *Controller) do(ctx context.Context, it slipway.WorkItem) {
	e := c.Engine
	var err error
	switch it.Kind {
	case slipway.WorkAdvance:
		var p *slipway.Promotion
		if p, err = e.Store.Promotions.Promotion(ctx, it.Key); err == nil {
			err = e.Advance(ctx, p)
		} else if slipway.ErrorCode(err) == slipway.ENOTFOUND {
			err = nil // nothing left to do
		}
	case slipway.WorkReconcile:
		err = errors.Join(e.Reconcile(ctx), e.ReconcileRollouts(ctx))
	case slipway.WorkPlatform:
		var again time.Time
		if again, err = e.AdvanceRollout(ctx, it.Key); err == nil && !again.IsZero() && ctx.Err() == nil {
			// A rollout watches promotions that move on their own items:
			// it is looked at again later (Done keeps an item enqueued
			// meanwhile, so nothing newer is lost).
			bg := context.WithoutCancel(ctx)
			if derr := e.Store.Queue.Done(bg, it); derr != nil {
				c.Log.Warn("work done", "item", it.Key, "err", derr)
			}
			if qerr := e.Store.Queue.Enqueue(bg, slipway.WorkPlatform, it.Key, again); qerr != nil {
				c.Log.Warn("requeue rollout", "rollout", it.Key, "err", qerr)
			}
			return
		}
	default:
		err = fmt.Errorf("unknown work kind %q", it.Kind)
	}
	q := e.Store.Queue
	bg := context.WithoutCancel(ctx)
	if ctx.Err() != nil {
		return // shutting down: the item stays queued for the next leader
	}
	if err == nil {
		if derr := q.Done(bg, it); derr != nil {
			c.Log.Warn("work done", "item", it.Key, "err", derr)
		}
		return
	}
	delay := min(time.Second<<min(it.Attempts, 6), time.Minute)
	delay = delay/2 + time.Duration(rand.Int64N(int64(delay/2)+1))
	c.Log.Warn("work failed; retrying", "kind", it.Kind, "key", it.Key, "attempt", it.Attempts+1, "in", delay, "err", err)
	if rerr := q.Retry(bg, it, time.Now().Add(delay), err.Error()); rerr != nil {
		c.Log.Warn("reschedule work", "item", it.Key, "err", rerr)
	}
}

// sleep waits d or until ctx ends (false).
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
