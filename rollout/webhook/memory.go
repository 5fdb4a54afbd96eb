package webhook

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/slipway/slipway/rollout"
)

// MemoryRuntime is a complete in-process Runtime that keeps each service's
// rollout state in memory and records every call. It is what tests, the
// abort benchmark and demos serve through Handler; a real runtime would move
// traffic where this one only records the weight.
type MemoryRuntime struct {
	mu       sync.Mutex
	services map[string]*StatusResponse
	calls    []Call
	// OnCall, when set, is called after each applied call (outside the lock).
	OnCall func(Call)
}

// Call is one recorded protocol call.
type Call struct {
	Op      string // set-weight, promote, abort
	Request Request
	At      time.Time
}

// NewMemoryRuntime returns an empty runtime.
func NewMemoryRuntime() *MemoryRuntime {
	return &MemoryRuntime{services: map[string]*StatusResponse{}}
}

// Calls returns the recorded calls.
func (m *MemoryRuntime) Calls() []Call {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Call(nil), m.calls...)
}

// state returns the service's state, starting a rollout for a new canary
// digest; a call for another canary while one is in flight is a conflict.
func (m *MemoryRuntime) state(req Request) (*StatusResponse, error) {
	st, ok := m.services[req.Service]
	switch {
	case !ok:
	case st.CanaryDigest == req.CanaryDigest:
		return st, nil
	case st.Phase == rollout.PhasePromoted || st.Phase == rollout.PhaseAborted:
		// the previous rollout is over: this call starts a new one
	default:
		return nil, fmt.Errorf("%w: %s is rolling %s, not %s", rollout.ErrConflict, req.Service, st.CanaryDigest, req.CanaryDigest)
	}
	st = &StatusResponse{Service: req.Service, CanaryDigest: req.CanaryDigest, StableDigest: req.StableDigest, Phase: rollout.PhaseProgressing}
	m.services[req.Service] = st
	return st, nil
}

func (m *MemoryRuntime) apply(op string, req Request, fn func(*StatusResponse) error) error {
	m.mu.Lock()
	st, err := m.state(req)
	if err == nil {
		err = fn(st)
	}
	var c Call
	if err == nil {
		c = Call{Op: op, Request: req, At: time.Now()}
		m.calls = append(m.calls, c)
	}
	hook := m.OnCall
	m.mu.Unlock()
	if err == nil && hook != nil {
		hook(c)
	}
	return err
}

// SetWeight implements Runtime.
func (m *MemoryRuntime) SetWeight(_ context.Context, req Request) error {
	return m.apply("set-weight", req, func(st *StatusResponse) error {
		if st.Phase == rollout.PhaseAborted {
			return fmt.Errorf("%w: %s was aborted; start a new rollout", rollout.ErrConflict, req.CanaryDigest)
		}
		st.Weight, st.Phase = *req.Weight, rollout.PhaseProgressing
		return nil
	})
}

// Promote implements Runtime.
func (m *MemoryRuntime) Promote(_ context.Context, req Request) error {
	return m.apply("promote", req, func(st *StatusResponse) error {
		if st.Phase == rollout.PhaseAborted {
			return fmt.Errorf("%w: %s was aborted and cannot be promoted", rollout.ErrConflict, req.CanaryDigest)
		}
		st.Weight, st.Phase, st.StableDigest = 100, rollout.PhasePromoted, req.CanaryDigest
		return nil
	})
}

// Abort implements Runtime.
func (m *MemoryRuntime) Abort(_ context.Context, req Request) error {
	return m.apply("abort", req, func(st *StatusResponse) error {
		if st.Phase == rollout.PhasePromoted {
			return fmt.Errorf("%w: %s is already promoted; roll back with a revert", rollout.ErrConflict, req.CanaryDigest)
		}
		st.Weight, st.Phase, st.Message = 0, rollout.PhaseAborted, req.Reason
		return nil
	})
}

// Status implements Runtime.
func (m *MemoryRuntime) Status(_ context.Context, service string) (StatusResponse, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st, ok := m.services[service]
	if !ok {
		return StatusResponse{}, fmt.Errorf("%w: %s", ErrUnknownService, service)
	}
	return *st, nil
}
