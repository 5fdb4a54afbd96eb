package slipway

import (
	"context"
	"time"
)

// User is a local account of the embedded server: a login and a password
// hash. What a user may do is not stored here: roles are granted in
// slipway.yaml (auth.roles), where they are reviewed like the rest of the
// policy. People who log in with OIDC need no User.
type User struct {
	Name         string // login, lowercased (an email where approvals compare emails)
	PasswordHash string // argon2id in the PHC string format; the password itself is never stored
	Disabled     bool   // a disabled user cannot log in; its sessions are deleted
	Created      time.Time
	Updated      time.Time
}

// Token kinds.
const (
	TokenPersonal = "personal" // acts as its owner, with the owner's roles
	TokenCI       = "ci"       // registers builds and reports verifications of one service
)

// Token is an API token. Its secret is shown once, at creation; the store
// keeps only the SHA-256 of it, so a leaked database grants nothing.
type Token struct {
	ID        string     // public id (tok-…), for lists and revocation
	Name      string     // what it is for
	Kind      string     // TokenPersonal or TokenCI
	Owner     string     // personal: the user it acts as
	Service   string     // CI: the one service it acts for
	Hash      string     // hex SHA-256 of the secret
	CreatedBy string     // who created it
	Created   time.Time  //
	Expires   *time.Time // nil: never (refused for personal tokens by the CLI's default)
	LastUsed  *time.Time // updated at most once a minute
	Revoked   *time.Time // a revoked token authenticates nothing
}

// Session is a browser login. The cookie holds a random secret; the store
// keeps its SHA-256 as the id, so the table alone cannot be replayed.
type Session struct {
	ID      string    // hex SHA-256 of the cookie's secret
	User    string    // who logged in
	Via     string    // password or oidc
	Groups  []string  // groups the identity provider vouched for at login
	CSRF    string    // the token state-changing requests of this session must echo
	Created time.Time //
	Expires time.Time // absolute end; the session is refused after it
}

// UserStore persists local users.
type UserStore interface {
	// CreateUser stores u; ECONFLICT when the name exists.
	CreateUser(ctx context.Context, u *User) error
	// UpdateUser stores u's password hash and disabled flag; ENOTFOUND.
	UpdateUser(ctx context.Context, u *User) error
	// User returns a user by name; ENOTFOUND.
	User(ctx context.Context, name string) (*User, error)
	// Users lists every user by name.
	Users(ctx context.Context) ([]User, error)
}

// TokenStore persists API tokens (hashed).
type TokenStore interface {
	// CreateToken stores t; ECONFLICT when its id or hash exists.
	CreateToken(ctx context.Context, t *Token) error
	// TokenByHash returns the token whose secret hashes to hash; ENOTFOUND.
	TokenByHash(ctx context.Context, hash string) (*Token, error)
	// Token returns a token by id; ENOTFOUND.
	Token(ctx context.Context, id string) (*Token, error)
	// Tokens lists the tokens of an owner ("" for all), oldest first.
	Tokens(ctx context.Context, owner string) ([]Token, error)
	// RevokeToken revokes a token; revoking a revoked token keeps the
	// first instant. ENOTFOUND.
	RevokeToken(ctx context.Context, id string, at time.Time) error
	// TouchToken records a use.
	TouchToken(ctx context.Context, id string, at time.Time) error
}

// SessionStore persists browser sessions.
type SessionStore interface {
	// CreateSession stores s.
	CreateSession(ctx context.Context, s *Session) error
	// Session returns a session by id, expired or not; ENOTFOUND.
	Session(ctx context.Context, id string) (*Session, error)
	// DeleteSession logs a session out (no-op when absent).
	DeleteSession(ctx context.Context, id string) error
	// DeleteUserSessions logs a user out everywhere.
	DeleteUserSessions(ctx context.Context, user string) error
	// PruneSessions deletes sessions that expired before now.
	PruneSessions(ctx context.Context, now time.Time) (int, error)
}

// DeliveryStore remembers webhook deliveries, so a delivery is acted on
// once however often it arrives.
type DeliveryStore interface {
	// RecordDelivery records (source, id) the first time it is seen; a
	// second time is ECONFLICT (a replay), decided by a unique
	// constraint, so two concurrent copies cannot both pass.
	RecordDelivery(ctx context.Context, source, id string, at time.Time) error
	// ForgetDelivery removes a delivery whose processing failed, so the
	// sender may retry it with the same id.
	ForgetDelivery(ctx context.Context, source, id string) error
	// PruneDeliveries removes records older than before.
	PruneDeliveries(ctx context.Context, before time.Time) (int, error)
}

// Notice events: what people are told about, per environment.
const (
	NoticeApprovalNeeded = "approval-needed"   // a promotion waits for approvals
	NoticeFrozen         = "blocked-by-freeze" // a promotion waits for a sync window or a stop switch
	NoticeCanaryAborted  = "canary-aborted"    // a canary failed and was aborted
	NoticeCanaryPaused   = "canary-paused"     // a canary waits for a person's decision
	NoticeRollback       = "rollback-done"     // a rollback reverted a pin
	NoticeBreakGlass     = "break-glass"       // an override let a promotion through windows and stops
	NoticeFailed         = "promotion-failed"  // a promotion failed
	NoticeStop           = "line-stopped"      // a stop switch was turned on
	NoticeRestart        = "line-restarted"    // a stop switch was lifted
	NoticeHoldReleased   = "hold-released"     // a held digest was released
	NoticeExpedited      = "expedited"         // a promotion skipped the environments before its target (hotfix)
	NoticeRollout        = "platform-rollout"  // a platform rollout waits, failed or finished
	NoticeRelease        = "release-warning"   // a release went out with something to look at
)

// NoticeEvents lists every notice event, for validation and docs.
var NoticeEvents = []string{NoticeApprovalNeeded, NoticeFrozen, NoticeCanaryAborted, NoticeCanaryPaused, NoticeRollback, NoticeBreakGlass, NoticeFailed, NoticeStop, NoticeRestart, NoticeHoldReleased, NoticeExpedited, NoticeRollout, NoticeRelease}

// Notice is something people must know about now: the structured event a
// notification carries (the generic JSON webhook posts it as is).
type Notice struct {
	Event     string    `json:"event"`
	Service   string    `json:"service,omitempty"`
	Env       string    `json:"env,omitempty"`
	Promotion string    `json:"promotion,omitempty"`
	Release   string    `json:"release,omitempty"`
	Digest    string    `json:"digest,omitempty"`
	Actor     string    `json:"actor,omitempty"` // who caused it ("slipway" for automatic work)
	Message   string    `json:"message"`
	At        time.Time `json:"at"`
}

// Notification is one notice for one receiver in the durable outbox: the
// engine writes it in the same breath as the change it announces, and a
// delivery loop posts it with retries, so a receiver that is down neither
// loses it nor slows a promotion.
type Notification struct {
	ID          int64
	Receiver    string // the name of a notifications: entry of slipway.yaml
	Key         string // one notification per (receiver, key): a notice announced twice is sent once
	Notice      Notice
	Attempts    int        // failed deliveries so far
	NextAttempt time.Time  // not tried before this instant
	LastError   string     //
	Delivered   *time.Time // set once the receiver accepted it
	Failed      *time.Time // set when delivery was given up
	Created     time.Time
}

// OutboxStore is the durable outbox of notifications.
type OutboxStore interface {
	// EnqueueNotification stores n (assigning n.ID) unless a notification
	// of the same (receiver, key) exists: then created is false.
	EnqueueNotification(ctx context.Context, n *Notification) (created bool, err error)
	// DueNotifications lists up to limit notifications neither delivered
	// nor given up whose NextAttempt has passed, oldest first.
	DueNotifications(ctx context.Context, now time.Time, limit int) ([]Notification, error)
	// MarkDelivered records a delivery.
	MarkDelivered(ctx context.Context, id int64, at time.Time) error
	// RetryNotification records a failed attempt and the next one; with
	// giveUp, the notification is marked failed and never tried again.
	RetryNotification(ctx context.Context, id int64, next time.Time, lastErr string, giveUp bool, at time.Time) error
	// Notifications lists the newest notifications, newest first.
	Notifications(ctx context.Context, limit int) ([]Notification, error)
}

// PageStore reads long lists a page at a time (the REST API's cursors),
// newest first, without reading the rest.
type PageStore interface {
	// PromotionPage lists up to limit promotions matching f, newest first,
	// older than the promotion numbered before (PromotionSeq; 0: from the
	// newest).
	PromotionPage(ctx context.Context, f PromotionFilter, before int64, limit int) ([]*Promotion, error)
	// AuditPage lists up to limit audit entries with Seq below before
	// (0: from the newest), newest first.
	AuditPage(ctx context.Context, before int64, limit int) ([]AuditEntry, error)
	// Matrix lists, for every environment of the given services, the
	// newest succeeded promotion (what runs there) and the active ones,
	// oldest first: one row of the environment matrix per service.
	Matrix(ctx context.Context, services []string) ([]*Promotion, error)
}

// PromotionSeq is the number in a promotion id (p-42 → 42): the order in
// which promotions were created. 0 for an id of another form.
func PromotionSeq(id string) int64 {
	if len(id) < 3 || id[:2] != "p-" {
		return 0
	}
	var n int64
	for _, c := range id[2:] {
		if c < '0' || c > '9' || n > (1<<62)/10 {
			return 0
		}
		n = n*10 + int64(c-'0')
	}
	return n
}
