package demo

import (
	"context"
	"fmt"
	"net/http"

	"github.com/slipway/slipway/rollout"
	"github.com/slipway/slipway/rollout/webhook"
)

// mountDriver serves the webhook rollout-driver protocol at /rollout/.
func (rt *Runtime) mountDriver(mux *http.ServeMux) {
	mux.Handle("/rollout/", http.StripPrefix("/rollout", webhook.Handler(driverRuntime{rt})))
}

// DriverURL is the base URL to give the webhook driver.
func (rt *Runtime) DriverURL() string { return rt.URL + "/rollout" }

// driverRuntime adapts Runtime to the webhook protocol.
type driverRuntime struct{ rt *Runtime }

var _ webhook.Runtime = driverRuntime{}

func (d driverRuntime) SetWeight(ctx context.Context, req webhook.Request) error {
	rt := d.rt
	rt.mu.Lock()
	known := rt.canary != nil && rt.canary.Digest == req.CanaryDigest
	busy := rt.canary != nil && rt.canary.Digest != req.CanaryDigest
	rt.mu.Unlock()
	if busy {
		return rollout.ErrConflict
	}
	if !known {
		// A new canary: pull its image (to learn how it behaves) before
		// sending it traffic.
		rate, err := rt.lookup(ctx, rt.imageOf(req)+"@"+req.CanaryDigest)
		if err != nil {
			return err
		}
		rt.mu.Lock()
		rt.errRates[req.CanaryDigest] = rate
		rt.canary = &version{Digest: req.CanaryDigest}
		rt.mu.Unlock()
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if req.Weight != nil {
		rt.weight = *req.Weight
	}
	return nil
}

func (d driverRuntime) Promote(_ context.Context, req webhook.Request) error {
	rt := d.rt
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.stable.Digest == req.CanaryDigest && rt.canary == nil {
		return nil // promoted already
	}
	if rt.canary == nil || rt.canary.Digest != req.CanaryDigest {
		return rollout.ErrConflict
	}
	rt.stable, rt.canary, rt.weight = *rt.canary, nil, 0
	return nil
}

func (d driverRuntime) Abort(_ context.Context, req webhook.Request) error {
	rt := d.rt
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.canary != nil && rt.canary.Digest != req.CanaryDigest {
		return rollout.ErrConflict
	}
	rt.canary, rt.weight = nil, 0
	rt.aborted = true
	return nil
}

func (d driverRuntime) Status(_ context.Context, service string) (webhook.StatusResponse, error) {
	rt := d.rt
	rt.mu.Lock()
	defer rt.mu.Unlock()
	s := webhook.StatusResponse{Service: service, StableDigest: rt.stable.Digest, Weight: rt.weight, Phase: rollout.PhasePromoted}
	if rt.canary != nil {
		s.CanaryDigest, s.Phase = rt.canary.Digest, rollout.PhaseProgressing
	} else if rt.aborted {
		s.Phase = rollout.PhaseAborted
	}
	return s, nil
}

// imageOf is the image repository of the service being rolled.
func (rt *Runtime) imageOf(req webhook.Request) string {
	if rt.Image == "" {
		panic(fmt.Sprintf("demo runtime: no image repository for %s", req.Service))
	}
	return rt.Image
}
