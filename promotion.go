package slipway

import (
	"fmt"
	"time"
)

// PromotionState is a step of the promotion state machine. Every transition is
// persisted (with its history row) before the side effect it announces.
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
	// Succeeded: the digest runs in the environment (stable).
	StateSucceeded PromotionState = "succeeded"
	// Aborted: the canary failed; the runtime was aborted to stable and the pin reverted.
	StateAborted PromotionState = "aborted"
	// Failed: a step failed without a canary verdict (e.g. the push was refused).
	StateFailed PromotionState = "failed"
	// Superseded: a newer promotion of the same service to the same env replaced it before it finished.
	StateSuperseded PromotionState = "superseded"
	// RolledBack: its pin was reverted by a rollback after it succeeded.
	StateRolledBack PromotionState = "rolled-back"
)

// Terminal reports whether no further transition happens from s.
func (s PromotionState) Terminal() bool {
	switch s {
	case StateSucceeded, StateAborted, StateFailed, StateSuperseded, StateRolledBack:
		return true
	}
	return false
}

// transitions lists the allowed moves; anything else is a bug or a race.
var transitions = map[PromotionState][]PromotionState{
	StateWaiting:    {StatePinning, StateSuperseded, StateFailed},
	StatePinning:    {StateReviewOpen, StateSynced, StateFailed, StateSuperseded},
	StateReviewOpen: {StateSynced, StateFailed, StateSuperseded},
	StateSynced:     {StateCanary, StateSucceeded, StateFailed},
	StateCanary:     {StateSucceeded, StateAborted, StateFailed},
	StateSucceeded:  {StateRolledBack, StateSuperseded},
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
	Reason    string         // why it is in its state (gate summary, failure, abort reason)
	PinCommit string         // the commit on the env branch that sets the pin (merge commit for PRs)
	PR        int            // pull request number, when promoted by pull request
	Revert    string         // the commit that reverted the pin, after an abort
	Created   time.Time      //
	Updated   time.Time      //
}

// Branch is the deterministic pull-request branch for this promotion: re-running
// a crashed promotion finds the same branch instead of opening a second PR.
func (p *Promotion) Branch() string {
	return fmt.Sprintf("slipway/%s/%s/%s", p.Env, p.Service, Digest12(p.Digest))
}

// Transition is one row of a promotion's history.
type Transition struct {
	PromotionID string
	From, To    PromotionState
	Reason      string
	At          time.Time
}
