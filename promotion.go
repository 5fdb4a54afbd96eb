package slipway

import (
	"context"
	"fmt"
	"time"
)

// PromotionState is a step of the promotion state machine. Every transition is
// persisted (with its history row) before the side effect it announces. The
// transition table below is the single source of truth: a promotion's state
// says everything the engine needs to resume it (no state hides in Reason).
type PromotionState string

const (
	// Waiting: gates are not open yet; nothing has touched Git.
	StateWaiting PromotionState = "waiting"
	// Pinning: the pin commit is being made and pushed (direct) or proposed (PR).
	StatePinning PromotionState = "pinning"
	// ReviewOpen: a pull request with the pin commit is open.
	StateReviewOpen PromotionState = "review-open"
	// Synced: the pin is on the environment's branch (pushed or merged).
	StateSynced PromotionState = "synced"
	// Canary: the rollout driver runs the canary and analysis judges it.
	StateCanary PromotionState = "canary"
	// Paused: the canary waits for a person (an inconclusive analysis or an
	// indefinite pause step); `slipway canary promote|abort` settles it.
	StatePaused PromotionState = "paused"
	// Succeeded: the digest runs in the environment (stable). Not terminal: a
	// rollback may still revert it.
	StateSucceeded PromotionState = "succeeded"
	// Aborted: the canary failed; the runtime was aborted to stable and the pin reverted.
	StateAborted PromotionState = "aborted"
	// Failed: a step failed without a canary verdict (e.g. the pin path is missing).
	StateFailed PromotionState = "failed"
	// Superseded: a newer promotion of the same service to the same env replaced it before it finished.
	StateSuperseded PromotionState = "superseded"
	// RolledBack: its pin was reverted by a rollback after it succeeded.
	StateRolledBack PromotionState = "rolled-back"
)

// States lists every state in pipeline order.
var States = []PromotionState{StateWaiting, StatePinning, StateReviewOpen, StateSynced, StateCanary, StatePaused, StateSucceeded, StateAborted, StateFailed, StateSuperseded, StateRolledBack}

// transitions lists the allowed moves; anything else is a bug or a race.
var transitions = map[PromotionState][]PromotionState{
	StateWaiting:    {StatePinning, StateSuperseded, StateFailed},
	StatePinning:    {StateReviewOpen, StateSynced, StateFailed, StateSuperseded},
	StateReviewOpen: {StateSynced, StateFailed, StateSuperseded},
	StateSynced:     {StateCanary, StateSucceeded, StateFailed},
	StateCanary:     {StatePaused, StateSucceeded, StateAborted, StateFailed},
	StatePaused:     {StateCanary, StateSucceeded, StateAborted},
	StateSucceeded:  {StateRolledBack},
}

// CanTransition reports whether from → to is a legal move.
func CanTransition(from, to PromotionState) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Terminal reports whether no transition leaves s (the table decides).
func (s PromotionState) Terminal() bool { return len(transitions[s]) == 0 }

// Active reports whether the engine still has work to do for a promotion in
// s. At most one promotion per (service, environment) is active; the store
// enforces it. Succeeded is neither active nor terminal: it is what runs.
func (s PromotionState) Active() bool {
	return !s.Terminal() && s != StateSucceeded
}

// Supersedable reports whether a newer request may replace a promotion in s:
// only before its pin is on the environment's branch. Past that point Git
// already pins it and the newer request is refused until it settles.
func (s PromotionState) Supersedable() bool {
	switch s {
	case StateWaiting, StatePinning, StateReviewOpen:
		return true
	}
	return false
}

// Promotion moves one build into one environment.
type Promotion struct {
	ID        string         // p-<n>, assigned by the store
	Service   string         //
	Env       string         // target environment
	BuildID   string         //
	Digest    string         // copied from the build: what every gate binds to
	Release   string         // the release tag, if promoted by release
	Requester string         // who asked (a person, or "slipway" for automatic promotions)
	Expedited string         // non-empty: the recorded reason for skipping non-prod (hotfix)
	State     PromotionState //
	Reason    string         // why it is in its state (gate summary, failure, abort reason); display only
	PinCommit string         // the commit on the env branch that set the pin (merge commit for PRs); found by content
	PR        int            // pull request number, when promoted by pull request
	Branch    string         // the pull-request branch, once pushed
	Head      string         // the pull-request head that was pushed and checked; only this head merges
	Revert    string         // the commit that reverted the pin, after an abort or rollback
	Created   time.Time      //
	Updated   time.Time      //
}

// BranchName is the pull-request branch of this promotion: per promotion, so
// re-promoting a digest never collides with an old branch, and deterministic,
// so a crashed promotion finds its own branch again (then checks its content
// and recorded head, never just the name).
func (p *Promotion) BranchName() string {
	return fmt.Sprintf("slipway/%s/%s/%s-%s", p.Env, p.Service, Digest12(p.Digest), p.ID)
}

// Transition is one row of a promotion's history.
type Transition struct {
	// Seq orders transitions across all promotions as the store recorded
	// them: what happened before what, whatever the clocks said.
	Seq         int64
	PromotionID string
	From, To    PromotionState
	Reason      string
	At          time.Time
}

// PromotionFilter selects promotions; zero fields match everything.
type PromotionFilter struct {
	Service string
	Env     string
	Active  bool // only promotions with work left (State.Active)
	State   PromotionState
	Digest  string
}

// PinRecord is the store's record of one pin location (service, environment):
// the digest Git pins there and the promotion that put it there. Every
// change to it happens with the Git change it records.
type PinRecord struct {
	Service     string
	Env         string
	Digest      string // "" when nothing is pinned
	PromotionID string // the promotion that set it ("" when set outside Slipway)
	Commit      string // the commit on the env branch that set it
	Updated     time.Time
}

// CanaryProgress is how far a canary got, persisted as it moves, so a
// restarted controller resumes at the step it was in.
type CanaryProgress struct {
	PromotionID string
	Step        int    // index of the step being run
	Weight      int    // percent of traffic on the canary
	Phase       string // running, aborting, promoting: the decision taken, before the driver acts on it
	Reason      string // why it is aborting or paused
	Updated     time.Time
}

// PromotionStore persists promotions and their transitions.
type PromotionStore interface {
	// CreatePromotion stores p as the active promotion of (p.Service, p.Env),
	// assigning p.ID, in one transaction with its first history row. When
	// another promotion of that pin location is active: if supersede is true
	// and its state is Supersedable, it is moved to superseded in the same
	// transaction and returned; otherwise ECONFLICT naming it. Two concurrent
	// calls can never both leave an active promotion: the store enforces at
	// most one active promotion per (service, env).
	CreatePromotion(ctx context.Context, p *Promotion, supersede bool) (superseded []*Promotion, err error)
	// Promotion returns a promotion by id; ENOTFOUND.
	Promotion(ctx context.Context, id string) (*Promotion, error)
	// Promotions lists promotions matching f, oldest first.
	Promotions(ctx context.Context, f PromotionFilter) ([]*Promotion, error)
	// Transition moves p to state to if and only if p is still in the state
	// the caller read; ECONFLICT otherwise (it changed under the caller) or
	// when the move is not in the table. p is updated in place.
	Transition(ctx context.Context, p *Promotion, to PromotionState, reason string, at time.Time) error
	// Update stores the non-state fields of p (reason, pin commit, PR,
	// branch, head, revert) if p is still in the state the caller read;
	// ECONFLICT otherwise.
	Update(ctx context.Context, p *Promotion, at time.Time) error
	// History lists a promotion's transitions, oldest first.
	History(ctx context.Context, id string) ([]Transition, error)
	// Current returns the newest succeeded promotion of service into env:
	// what runs there (nil, nil when nothing was ever promoted).
	Current(ctx context.Context, service, env string) (*Promotion, error)
	// SucceededAt is when promotion id reached succeeded (zero if never).
	SucceededAt(ctx context.Context, id string) (time.Time, error)

	// Pin returns the record of a pin location (nil, nil when none).
	Pin(ctx context.Context, service, env string) (*PinRecord, error)
	// SetPin records what a pin location holds now.
	SetPin(ctx context.Context, r *PinRecord) error
	// Pins lists every pin record.
	Pins(ctx context.Context) ([]*PinRecord, error)

	// CanaryProgress returns a promotion's canary progress (nil, nil when
	// the canary has not started).
	CanaryProgress(ctx context.Context, promotionID string) (*CanaryProgress, error)
	// SetCanaryProgress records a canary's progress.
	SetCanaryProgress(ctx context.Context, c *CanaryProgress) error
}
