package slipway

import (
	"context"
	"time"
)

// WorkItem is one unit of the controller's durable work queue: something
// happened (a build registered, a pull request merged, an approval, a window
// opening) and a promotion or a pass over all of them must be re-evaluated.
type WorkItem struct {
	ID        int64
	Kind      string    // WorkAdvance, WorkReconcile
	Key       string    // the promotion id for WorkAdvance; "" for WorkReconcile
	NotBefore time.Time // not run before this instant (a window opening, a retry's backoff)
	Attempts  int       // failed runs so far
	LastError string    //
	Version   int64     // grows with every enqueue, so Done never drops newer work
	Created   time.Time
}

// Work kinds.
const (
	WorkAdvance   = "advance"   // advance one promotion
	WorkReconcile = "reconcile" // re-evaluate every active promotion
)

// QueueStore is the durable work queue. Items survive restarts; at most one
// pending item exists per (kind, key).
type QueueStore interface {
	// Enqueue adds work, or, when an item of (kind, key) is pending, moves
	// its NotBefore earlier if notBefore is earlier and bumps its Version.
	Enqueue(ctx context.Context, kind, key string, notBefore time.Time) error
	// Due lists up to limit items whose NotBefore has passed, oldest first.
	Due(ctx context.Context, now time.Time, limit int) ([]WorkItem, error)
	// Done removes an item, unless it was enqueued again after it was read
	// (its Version changed): then it stays to run once more.
	Done(ctx context.Context, it WorkItem) error
	// Retry records a failure and schedules the item again at notBefore.
	Retry(ctx context.Context, it WorkItem, notBefore time.Time, lastErr string) error
	// Pending counts items in the queue and reports the earliest NotBefore.
	Pending(ctx context.Context) (n int, next time.Time, err error)
}
