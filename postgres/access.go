package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/internal/storesql"
)

// The access-control, webhook and notification services (migration 0006).
type (
	UserStore     struct{ *DB }
	TokenStore    struct{ *DB }
	SessionStore  struct{ *DB }
	DeliveryStore struct{ *DB }
	OutboxStore   struct{ *DB }
	PageStore     struct{ *DB }
)

var (
	_ slipway.UserStore     = (*UserStore)(nil)
	_ slipway.TokenStore    = (*TokenStore)(nil)
	_ slipway.SessionStore  = (*SessionStore)(nil)
	_ slipway.DeliveryStore = (*DeliveryStore)(nil)
	_ slipway.OutboxStore   = (*OutboxStore)(nil)
	_ slipway.PageStore     = (*PageStore)(nil)
)

// CreateUser stores u; ECONFLICT when the name exists.
func (s *UserStore) CreateUser(ctx context.Context, u *slipway.User) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO users (name, password_hash, disabled, created, updated) VALUES ($1,$2,$3,$4,$5)`,
		u.Name, u.PasswordHash, u.Disabled, u.Created, u.Updated)
	if isUnique(err) {
		return slipway.Errorf(slipway.ECONFLICT, "user %q exists: change its password with `slipway user passwd %s`", u.Name, u.Name)
	}
	return err
}

// UpdateUser stores the password hash and the disabled flag.
func (s *UserStore) UpdateUser(ctx context.Context, u *slipway.User) error {
	n, err := s.exec(ctx, `UPDATE users SET password_hash = $1, disabled = $2, updated = $3 WHERE name = $4`, u.PasswordHash, u.Disabled, u.Updated, u.Name)
	if err != nil {
		return err
	}
	if n != 1 {
		return noUser(u.Name)
	}
	return nil
}

func noUser(name string) error {
	return notFound("user %q not found: create it with `slipway user add %s`", name, name)
}

// User returns a user by name.
func (s *UserStore) User(ctx context.Context, name string) (*slipway.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, userSelect+` WHERE name = $1`, name))
	if isNoRows(err) {
		return nil, noUser(name)
	}
	return &u, err
}

// Users lists every user by name.
func (s *UserStore) Users(ctx context.Context) ([]slipway.User, error) {
	return queryAll(ctx, s.pool, scanUser, userSelect+` ORDER BY name`)
}

const userSelect = `SELECT name, password_hash, disabled, created, updated FROM users`

func scanUser(r rowScanner) (slipway.User, error) {
	var u slipway.User
	err := r.Scan(&u.Name, &u.PasswordHash, &u.Disabled, &u.Created, &u.Updated)
	u.Created, u.Updated = utc(u.Created), utc(u.Updated)
	return u, err
}

// CreateToken stores t.
func (s *TokenStore) CreateToken(ctx context.Context, t *slipway.Token) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO tokens (id, name, kind, owner, service, hash, created_by, created, expires, last_used, revoked) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`,
		t.ID, t.Name, t.Kind, t.Owner, t.Service, t.Hash, t.CreatedBy, t.Created, t.Expires, t.LastUsed, t.Revoked)
	if isUnique(err) {
		return slipway.Errorf(slipway.ECONFLICT, "token %s exists", t.ID)
	}
	return err
}

// TokenByHash returns the token whose secret hashes to hash.
func (s *TokenStore) TokenByHash(ctx context.Context, hash string) (*slipway.Token, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, tokenSelect+` WHERE hash = $1`, hash))
	if isNoRows(err) {
		return nil, notFound("no such token")
	}
	return &t, err
}

// Token returns a token by id.
func (s *TokenStore) Token(ctx context.Context, id string) (*slipway.Token, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, tokenSelect+` WHERE id = $1`, id))
	if isNoRows(err) {
		return nil, noToken(id)
	}
	return &t, err
}

func noToken(id string) error {
	return notFound("token %q not found: list them with `slipway token list`", id)
}

// Tokens lists the tokens of an owner ("" for all), oldest first.
func (s *TokenStore) Tokens(ctx context.Context, owner string) ([]slipway.Token, error) {
	return queryAll(ctx, s.pool, scanToken, tokenSelect+` WHERE ($1 = '' OR owner = $1) ORDER BY created, id`, owner)
}

// RevokeToken revokes a token, keeping the first revocation instant.
func (s *TokenStore) RevokeToken(ctx context.Context, id string, at time.Time) error {
	n, err := s.exec(ctx, `UPDATE tokens SET revoked = coalesce(revoked, $1) WHERE id = $2`, at, id)
	if err != nil {
		return err
	}
	if n != 1 {
		return noToken(id)
	}
	return nil
}

// TouchToken records a use.
func (s *TokenStore) TouchToken(ctx context.Context, id string, at time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE tokens SET last_used = $1 WHERE id = $2`, at, id)
	return err
}

const tokenSelect = `SELECT id, name, kind, owner, service, hash, created_by, created, expires, last_used, revoked FROM tokens`

func scanToken(r rowScanner) (slipway.Token, error) {
	var t slipway.Token
	err := r.Scan(&t.ID, &t.Name, &t.Kind, &t.Owner, &t.Service, &t.Hash, &t.CreatedBy, &t.Created, &t.Expires, &t.LastUsed, &t.Revoked)
	t.Created, t.Expires, t.LastUsed, t.Revoked = utc(t.Created), utcPtr(t.Expires), utcPtr(t.LastUsed), utcPtr(t.Revoked)
	return t, err
}

// CreateSession stores a session.
func (s *SessionStore) CreateSession(ctx context.Context, x *slipway.Session) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO sessions (id, user_name, via, idp_groups, csrf, created, expires) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
		x.ID, x.User, x.Via, list(x.Groups), x.CSRF, x.Created, x.Expires)
	return err
}

// Session returns a session by id.
func (s *SessionStore) Session(ctx context.Context, id string) (*slipway.Session, error) {
	var x slipway.Session
	err := s.pool.QueryRow(ctx, `SELECT id, user_name, via, idp_groups, csrf, created, expires FROM sessions WHERE id = $1`, id).
		Scan(&x.ID, &x.User, &x.Via, &x.Groups, &x.CSRF, &x.Created, &x.Expires)
	if isNoRows(err) {
		return nil, notFound("no such session: log in again")
	}
	x.Created, x.Expires = utc(x.Created), utc(x.Expires)
	if len(x.Groups) == 0 {
		x.Groups = nil
	}
	return &x, err
}

// DeleteSession logs a session out.
func (s *SessionStore) DeleteSession(ctx context.Context, id string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE id = $1`, id)
	return err
}

// DeleteUserSessions logs a user out everywhere.
func (s *SessionStore) DeleteUserSessions(ctx context.Context, user string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE user_name = $1`, user)
	return err
}

// PruneSessions deletes expired sessions.
func (s *SessionStore) PruneSessions(ctx context.Context, now time.Time) (int, error) {
	n, err := s.exec(ctx, `DELETE FROM sessions WHERE expires < $1`, now)
	return int(n), err
}

// RecordDelivery records a delivery once; a replay is ECONFLICT. The
// primary key decides, so concurrent copies cannot both pass.
func (s *DeliveryStore) RecordDelivery(ctx context.Context, source, id string, at time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO deliveries (source, id, at) VALUES ($1,$2,$3)`, source, id, at)
	if isUnique(err) {
		var first time.Time
		s.pool.QueryRow(ctx, `SELECT at FROM deliveries WHERE source = $1 AND id = $2`, source, id).Scan(&first)
		return slipway.Errorf(slipway.ECONFLICT, "%s delivery %q was already received (at %s): a replay is not acted on again", source, id, first.UTC().Format(time.RFC3339))
	}
	return err
}

// ForgetDelivery removes a delivery record.
func (s *DeliveryStore) ForgetDelivery(ctx context.Context, source, id string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM deliveries WHERE source = $1 AND id = $2`, source, id)
	return err
}

// PruneDeliveries removes records older than before.
func (s *DeliveryStore) PruneDeliveries(ctx context.Context, before time.Time) (int, error) {
	n, err := s.exec(ctx, `DELETE FROM deliveries WHERE at < $1`, before)
	return int(n), err
}

// EnqueueNotification stores n unless (receiver, key) exists.
func (s *OutboxStore) EnqueueNotification(ctx context.Context, n *slipway.Notification) (bool, error) {
	body, err := json.Marshal(n.Notice)
	if err != nil {
		return false, err
	}
	err = s.pool.QueryRow(ctx, `INSERT INTO outbox (receiver, key, notice, next_attempt, created) VALUES ($1,$2,$3,$4,$5)
		ON CONFLICT (receiver, key) DO NOTHING RETURNING id`, n.Receiver, n.Key, string(body), n.NextAttempt, n.Created).Scan(&n.ID)
	if isNoRows(err) {
		return false, nil
	}
	return err == nil, err
}

// DueNotifications lists notifications to try now, oldest first.
func (s *OutboxStore) DueNotifications(ctx context.Context, now time.Time, limit int) ([]slipway.Notification, error) {
	return queryAll(ctx, s.pool, scanNotification, outboxSelect+` WHERE delivered IS NULL AND failed IS NULL AND next_attempt <= $1 ORDER BY next_attempt, id LIMIT $2`, now, limit)
}

// MarkDelivered records a delivery.
func (s *OutboxStore) MarkDelivered(ctx context.Context, id int64, at time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE outbox SET delivered = $1 WHERE id = $2`, at, id)
	return err
}

// RetryNotification records a failed attempt.
func (s *OutboxStore) RetryNotification(ctx context.Context, id int64, next time.Time, lastErr string, giveUp bool, at time.Time) error {
	var failed *time.Time
	if giveUp {
		failed = &at
	}
	_, err := s.pool.Exec(ctx, `UPDATE outbox SET attempts = attempts + 1, next_attempt = $1, last_error = $2, failed = $3 WHERE id = $4`, next, lastErr, failed, id)
	return err
}

// Notifications lists the newest notifications.
func (s *OutboxStore) Notifications(ctx context.Context, limit int) ([]slipway.Notification, error) {
	return queryAll(ctx, s.pool, scanNotification, outboxSelect+` ORDER BY id DESC LIMIT $1`, limit)
}

const outboxSelect = `SELECT id, receiver, key, notice::text, attempts, next_attempt, last_error, delivered, failed, created FROM outbox`

func scanNotification(r rowScanner) (slipway.Notification, error) {
	var n slipway.Notification
	var body string
	if err := r.Scan(&n.ID, &n.Receiver, &n.Key, &body, &n.Attempts, &n.NextAttempt, &n.LastError, &n.Delivered, &n.Failed, &n.Created); err != nil {
		return n, err
	}
	if err := json.Unmarshal([]byte(body), &n.Notice); err != nil {
		return n, fmt.Errorf("notification %d: %w", n.ID, err)
	}
	n.Notice.At = utc(n.Notice.At)
	n.NextAttempt, n.Created, n.Delivered, n.Failed = utc(n.NextAttempt), utc(n.Created), utcPtr(n.Delivered), utcPtr(n.Failed)
	return n, nil
}

// PromotionPage lists promotions newest first, before a sequence number;
// only the filters given are in the SQL.
func (s *PageStore) PromotionPage(ctx context.Context, f slipway.PromotionFilter, before int64, limit int) ([]*slipway.Promotion, error) {
	q, args := promotionQuery(f, before)
	args = append(args, limit)
	return queryAll(ctx, s.pool, scanPromotion, q+fmt.Sprintf(` ORDER BY seq DESC LIMIT $%d`, len(args)), args...)
}

// Matrix lists, for each (service, environment) of the services, the
// newest succeeded promotion (what runs) and the active ones, in one query.
func (s *PageStore) Matrix(ctx context.Context, services []string) ([]*slipway.Promotion, error) {
	if len(services) == 0 {
		return nil, nil
	}
	// Two ranges of promotions_by_state per service, then the rows by seq.
	return queryAll(ctx, s.pool, scanPromotion, promotionSelect+` WHERE seq IN (
		SELECT max(seq) FROM promotions WHERE service = ANY($1) AND state = 'succeeded' GROUP BY service, env
		UNION ALL SELECT seq FROM promotions WHERE service = ANY($1) AND state IN `+activeStates+`)
		ORDER BY seq`, services)
}

// promotionQuery selects the promotions matching f (and below seq before,
// when set).
func promotionQuery(f slipway.PromotionFilter, before int64) (string, []any) {
	where, args := storesql.PromotionWhere(f, before, func(n int) string { return fmt.Sprintf("$%d", n) })
	return promotionSelect + where, args
}

// AuditPage lists audit entries newest first, below a sequence number.
func (s *PageStore) AuditPage(ctx context.Context, before int64, limit int) ([]slipway.AuditEntry, error) {
	if before <= 0 {
		before = 1 << 62
	}
	return queryAll(ctx, s.pool, scanAudit, `SELECT seq, entry FROM audit WHERE seq < $1 ORDER BY seq DESC LIMIT $2`, before, limit)
}
