package slipway

import (
	"context"
	"time"
)

// RolloutState is where a platform rollout stands. Every change is stored
// before the promotions it announces are started, so a crash resumes at the
// wave it was in.
type RolloutState string

const (
	// RolloutRunning: the current wave's promotions are started or being started.
	RolloutRunning RolloutState = "running"
	// RolloutPaused: a person paused it, or a step with maxUpdate 0 waits
	// for a person; nothing new starts until `slipway platform resume`.
	RolloutPaused RolloutState = "paused"
	// RolloutFailing: a wave failed; its services (and, with
	// rollbackOnFailure: all, the earlier waves') are being rolled back.
	RolloutFailing RolloutState = "rolling-back"
	// RolloutFailed: a wave failed and the rollbacks are done. Terminal.
	RolloutFailed RolloutState = "failed"
	// RolloutSucceeded: every wave succeeded. Terminal.
	RolloutSucceeded RolloutState = "succeeded"
)

// Active reports whether the rollout still has work to do (at most one
// active rollout per environment; the store enforces it).
func (s RolloutState) Active() bool {
	return s == RolloutRunning || s == RolloutPaused || s == RolloutFailing
}

// Per-service states inside a rollout.
const (
	// ServicePending: its wave has not started it yet.
	ServicePending = "pending"
	// ServicePromoting: its promotion exists (PromotionID) and has not settled.
	ServicePromoting = "promoting"
	// ServiceSucceeded: it runs the platform's digest in the environment.
	ServiceSucceeded = "succeeded"
	// ServiceFailed: its promotion ended without running the digest
	// (canary aborted, failed, superseded).
	ServiceFailed = "failed"
	// ServiceRolledBack: it succeeded, then the failure of a wave rolled it back.
	ServiceRolledBack = "rolled-back"
	// ServiceSkipped: its wave never started it (a wave failed first).
	ServiceSkipped = "skipped"
	// ServiceExcluded: no step selects it: RollingSync leaves it alone; it
	// is promoted by hand.
	ServiceExcluded = "excluded"
)

// Rollout moves every component of a platform version into one
// environment, wave after wave, as Argo CD ApplicationSet's RollingSync
// moves applications: a wave starts when every service of the waves before
// it succeeded. The plan (Waves) is fixed when the rollout is created, so
// a configuration change cannot reshuffle a rollout under way.
type Rollout struct {
	ID       string       // r-<n>, assigned by the store
	Platform string       // the platform's name
	Version  string       // platform version, SemVer without "v"
	Env      string       // target environment
	State    RolloutState //
	// Wave is the index in Waves of the wave being run (len(Waves) once
	// every wave succeeded).
	Wave int
	// Reason says why it is in its state (display only).
	Reason    string
	Requester string
	// RollbackAll: a failed wave rolls back the earlier waves too
	// (rollbackOnFailure: all).
	RollbackAll bool
	Waves       []RolloutWave
	Services    []RolloutService
	// Revision grows with every update: UpdateRollout refuses a stale copy.
	Revision int64
	Created  time.Time
	Updated  time.Time
}

// RolloutWave is one step of the rollout.
type RolloutWave struct {
	Step int // 1-based step of platform.rollout.steps it comes from
	// MaxUpdate is how many of its services may be promoting at once,
	// resolved against the wave's size (0: it waits for a person).
	MaxUpdate int
	// Continued is set when a person continued a wave whose MaxUpdate is 0
	// (`slipway platform resume`): its services are then promoted together.
	Continued bool
	Services  []string
}

// RolloutService is one component's part in a rollout.
type RolloutService struct {
	Service string
	Version string // the component's version in the platform
	Tag     string // its release tag
	BuildID string
	Digest  string
	Wave    int    // index in Rollout.Waves; -1 when no step selects it
	State   string // Service* above
	// PromotionID is recorded as soon as the promotion exists, so a
	// resumed rollout adopts it instead of starting another.
	PromotionID string
	Reason      string
}

// Service returns the rollout's record of a service (nil when absent).
func (r *Rollout) Service(name string) *RolloutService {
	for i := range r.Services {
		if r.Services[i].Service == name {
			return &r.Services[i]
		}
	}
	return nil
}

// InWave lists the records of wave i's services.
func (r *Rollout) InWave(i int) []*RolloutService {
	var out []*RolloutService
	for j := range r.Services {
		if r.Services[j].Wave == i {
			out = append(out, &r.Services[j])
		}
	}
	return out
}

// RolloutFilter selects rollouts; zero fields match everything.
type RolloutFilter struct {
	Env    string
	Active bool
}

// RolloutStore persists platform rollouts.
type RolloutStore interface {
	// CreateRollout stores r, assigning r.ID and Revision 1. ECONFLICT
	// naming the active one when another rollout into r.Env is active:
	// two rollouts never race for the same environment.
	CreateRollout(ctx context.Context, r *Rollout) error
	// Rollout returns a rollout by id; ENOTFOUND.
	Rollout(ctx context.Context, id string) (*Rollout, error)
	// Rollouts lists rollouts matching f, newest first.
	Rollouts(ctx context.Context, f RolloutFilter) ([]*Rollout, error)
	// UpdateRollout stores r if its Revision is still the stored one, and
	// bumps r.Revision; ECONFLICT when someone updated it in between (the
	// caller reads it again and decides again).
	UpdateRollout(ctx context.Context, r *Rollout) error
}

// WorkPlatform advances one platform rollout (key: its id).
const WorkPlatform = "platform"

// InFlight counts the services whose promotion has not settled.
func (r *Rollout) InFlight() int {
	n := 0
	for _, s := range r.Services {
		if s.State == ServicePromoting {
			n++
		}
	}
	return n
}

// FailedIn lists wave i's services whose promotion failed.
func (r *Rollout) FailedIn(i int) []*RolloutService {
	var out []*RolloutService
	for _, s := range r.InWave(i) {
		if s.State == ServiceFailed {
			out = append(out, s)
		}
	}
	return out
}

// WaveDone reports whether every service of wave i runs the platform's
// digest (a wave that selected nothing is done at once, as in RollingSync).
func (r *Rollout) WaveDone(i int) bool {
	for _, s := range r.InWave(i) {
		if s.State != ServiceSucceeded {
			return false
		}
	}
	return true
}
