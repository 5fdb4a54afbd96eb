package slipway

import "context"

// Store is every service the engine needs from a database. sqlite/ and
// postgres/ each fill it with their implementations; the engine holds only
// these interfaces, and one test suite (storetest/) runs against both.
type Store struct {
	Builds       BuildStore
	Releases     ReleaseStore
	Promotions   PromotionStore
	Gates        GateStore
	Holds        HoldStore
	Analysis     AnalysisStore
	Audit        AuditStore
	PullRequests PullRequestStore
	Leases       LeaseStore
	Queue        QueueStore
	Rollouts     RolloutStore
	// Access control, webhooks and notifications (issue 17).
	Users      UserStore
	Tokens     TokenStore
	Sessions   SessionStore
	Deliveries DeliveryStore
	Outbox     OutboxStore
	Pages      PageStore
	// Close releases the database.
	Close func() error
	// Snapshot, when set, returns a context in which this store's reads
	// share one read transaction, so they see one consistent state and pay
	// for opening a read once, until end is called. A write made with that
	// context ends the snapshot first, so later reads see it. Nil when the
	// store reads every query on its own.
	Snapshot func(ctx context.Context) (_ context.Context, end func())
}
