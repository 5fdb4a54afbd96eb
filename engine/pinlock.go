package engine

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/slipway/slipway"
)

// The pin lock serializes, per pin location (service, environment), the
// moments that decide what Git pins there: a request becoming the active
// promotion (which supersedes the one before it) and every push or merge to
// the environment's branch (each re-checks, under the lock, that its
// promotion is still current). A superseded promotion therefore never
// pushes after the newer one began: fast-forward-only pushes order the rest.
// It is a lease in the store, so it also holds across processes and
// replicas, and a holder that died frees it after pinLockTTL.
var (
	pinLockTTL  = 4 * time.Second // renewed while held: a dead holder blocks others this long
	pinLockWait = 60 * time.Second
)

func pinLockName(service, env string) string { return "pin/" + env + "/" + service }

// withPinLock runs fn holding the pin lock of (service, env) as who.
func (e *Engine) withPinLock(ctx context.Context, service, env, who string, fn func() error) error {
	name, owner := pinLockName(service, env), e.Owner+"/"+who
	deadline := time.Now().Add(pinLockWait)
	for {
		_, err := e.Store.Leases.Acquire(ctx, name, owner, pinLockTTL)
		if err == nil {
			break
		}
		if slipway.ErrorCode(err) != slipway.ECONFLICT || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(5+rand.IntN(20)) * time.Millisecond):
		}
	}
	defer e.Store.Leases.Release(context.WithoutCancel(ctx), name, owner)
	done := make(chan struct{})
	defer close(done)
	go func() { // a slow push keeps the lock; a dead process lets it go
		t := time.NewTicker(pinLockTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				e.Store.Leases.Renew(ctx, name, owner, pinLockTTL)
			}
		}
	}()
	return fn()
}

// pinLocked runs a side effect on the environment's branch for r's
// promotion: under the pin lock, after checking the promotion is current.
func (r *run) pinLocked(ctx context.Context, fn func() error) error {
	return r.e.withPinLock(ctx, r.p.Service, r.p.Env, r.p.ID, func() error {
		if err := r.current(ctx); err != nil {
			return err
		}
		return fn()
	})
}
