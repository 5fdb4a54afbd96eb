package slipway

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
}
