package sqlite

import (
	"context"
	"database/sql"
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

func nullTS(t *time.Time) any {
	if t == nil {
		return nil
	}
	return ts(*t)
}

func parseNullTS(s sql.NullString) *time.Time {
	if !s.Valid {
		return nil
	}
	t := parseTS(s.String)
	return &t
}

// CreateUser stores u; ECONFLICT when the name exists.
func (s *UserStore) CreateUser(ctx context.Context, u *slipway.User) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO users (name, password_hash, disabled, created, updated) VALUES (?,?,?,?,?)`,
		u.Name, u.PasswordHash, u.Disabled, ts(u.Created), ts(u.Updated))
	if isUnique(err) {
		return slipway.Errorf(slipway.ECONFLICT, "user %q exists: change its password with `slipway user passwd %s`", u.Name, u.Name)
	}
	return err
}

// UpdateUser stores the password hash and the disabled flag.
func (s *UserStore) UpdateUser(ctx context.Context, u *slipway.User) error {
	res, err := s.db.ExecContext(ctx, `UPDATE users SET password_hash = ?, disabled = ?, updated = ? WHERE name = ?`, u.PasswordHash, u.Disabled, ts(u.Updated), u.Name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return noUser(u.Name)
	}
	return nil
}

func noUser(name string) error {
	return notFound("user %q not found: create it with `slipway user add %s`", name, name)
}

// User returns a user by name.
func (s *UserStore) User(ctx context.Context, name string) (*slipway.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, userSelect+` WHERE name = ?`, name))
	if isNoRows(err) {
		return nil, noUser(name)
	}
	return &u, err
}

// Users lists every user by name.
func (s *UserStore) Users(ctx context.Context) ([]slipway.User, error) {
	return queryAll(ctx, s.DB, scanUser, userSelect+` ORDER BY name`)
}

const userSelect = `SELECT name, password_hash, disabled, created, updated FROM users`

func scanUser(r rowScanner) (slipway.User, error) {
	var u slipway.User
	var created, updated string
	err := r.Scan(&u.Name, &u.PasswordHash, &u.Disabled, &created, &updated)
	u.Created, u.Updated = parseTS(created), parseTS(updated)
	return u, err
}

// CreateToken stores t.
func (s *TokenStore) CreateToken(ctx context.Context, t *slipway.Token) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO tokens (id, name, kind, owner, service, hash, created_by, created, expires, last_used, revoked) VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
		t.ID, t.Name, t.Kind, t.Owner, t.Service, t.Hash, t.CreatedBy, ts(t.Created), nullTS(t.Expires), nullTS(t.LastUsed), nullTS(t.Revoked))
	if isUnique(err) {
		return slipway.Errorf(slipway.ECONFLICT, "token %s exists", t.ID)
	}
	return err
}

// TokenByHash returns the token whose secret hashes to hash.
func (s *TokenStore) TokenByHash(ctx context.Context, hash string) (*slipway.Token, error) {
	t, err := scanToken(s.db.QueryRowContext(ctx, tokenSelect+` WHERE hash = ?`, hash))
	if isNoRows(err) {
		return nil, notFound("no such token")
	}
	return &t, err
}

// Token returns a token by id.
func (s *TokenStore) Token(ctx context.Context, id string) (*slipway.Token, error) {
	t, err := scanToken(s.db.QueryRowContext(ctx, tokenSelect+` WHERE id = ?`, id))
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
	if owner == "" {
		return queryAll(ctx, s.DB, scanToken, tokenSelect+` ORDER BY created, id`)
	}
	return queryAll(ctx, s.DB, scanToken, tokenSelect+` WHERE owner = ? ORDER BY created, id`, owner)
}

// RevokeToken revokes a token, keeping the first revocation instant.
func (s *TokenStore) RevokeToken(ctx context.Context, id string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE tokens SET revoked = coalesce(revoked, ?) WHERE id = ?`, ts(at), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return noToken(id)
	}
	return nil
}

// TouchToken records a use.
func (s *TokenStore) TouchToken(ctx context.Context, id string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE tokens SET last_used = ? WHERE id = ?`, ts(at), id)
	return err
}

const tokenSelect = `SELECT id, name, kind, owner, service, hash, created_by, created, expires, last_used, revoked FROM tokens`

func scanToken(r rowScanner) (slipway.Token, error) {
	var t slipway.Token
	var created string
	var expires, used, revoked sql.NullString
	err := r.Scan(&t.ID, &t.Name, &t.Kind, &t.Owner, &t.Service, &t.Hash, &t.CreatedBy, &created, &expires, &used, &revoked)
	t.Created, t.Expires, t.LastUsed, t.Revoked = parseTS(created), parseNullTS(expires), parseNullTS(used), parseNullTS(revoked)
	return t, err
}

// CreateSession stores a session.
func (s *SessionStore) CreateSession(ctx context.Context, x *slipway.Session) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO sessions (id, user_name, via, idp_groups, csrf, created, expires) VALUES (?,?,?,?,?,?,?)`,
		x.ID, x.User, x.Via, jsonList(x.Groups), x.CSRF, ts(x.Created), ts(x.Expires))
	return err
}

// Session returns a session by id.
func (s *SessionStore) Session(ctx context.Context, id string) (*slipway.Session, error) {
	var x slipway.Session
	var groups, created, expires string
	err := s.db.QueryRowContext(ctx, `SELECT id, user_name, via, idp_groups, csrf, created, expires FROM sessions WHERE id = ?`, id).
		Scan(&x.ID, &x.User, &x.Via, &groups, &x.CSRF, &created, &expires)
	if isNoRows(err) {
		return nil, notFound("no such session: log in again")
	}
	x.Groups, x.Created, x.Expires = parseList(groups), parseTS(created), parseTS(expires)
	return &x, err
}

// DeleteSession logs a session out.
func (s *SessionStore) DeleteSession(ctx context.Context, id string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, id)
	return err
}

// DeleteUserSessions logs a user out everywhere.
func (s *SessionStore) DeleteUserSessions(ctx context.Context, user string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE user_name = ?`, user)
	return err
}

// PruneSessions deletes expired sessions.
func (s *SessionStore) PruneSessions(ctx context.Context, now time.Time) (int, error) {
	return affected(s.db.ExecContext(ctx, `DELETE FROM sessions WHERE expires < ?`, ts(now)))
}

// RecordDelivery records a delivery once; a replay is ECONFLICT.
func (s *DeliveryStore) RecordDelivery(ctx context.Context, source, id string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO deliveries (source, id, at) VALUES (?,?,?)`, source, id, ts(at))
	if isUnique(err) {
		var first string
		s.db.QueryRowContext(ctx, `SELECT at FROM deliveries WHERE source = ? AND id = ?`, source, id).Scan(&first)
		return replayed(source, id, first)
	}
	return err
}

func replayed(source, id, first string) error {
	return slipway.Errorf(slipway.ECONFLICT, "%s delivery %q was already received (at %s): a replay is not acted on again", source, id, first)
}

// ForgetDelivery removes a delivery record.
func (s *DeliveryStore) ForgetDelivery(ctx context.Context, source, id string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM deliveries WHERE source = ? AND id = ?`, source, id)
	return err
}

// PruneDeliveries removes records older than before.
func (s *DeliveryStore) PruneDeliveries(ctx context.Context, before time.Time) (int, error) {
	return affected(s.db.ExecContext(ctx, `DELETE FROM deliveries WHERE at < ?`, ts(before)))
}

// EnqueueNotification stores n unless (receiver, key) exists.
func (s *OutboxStore) EnqueueNotification(ctx context.Context, n *slipway.Notification) (bool, error) {
	body, err := json.Marshal(n.Notice)
	if err != nil {
		return false, err
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO outbox (receiver, key, notice, next_attempt, created) VALUES (?,?,?,?,?) ON CONFLICT (receiver, key) DO NOTHING`,
		n.Receiver, n.Key, string(body), ts(n.NextAttempt), ts(n.Created))
	if err != nil {
		return false, err
	}
	if c, _ := res.RowsAffected(); c == 0 {
		return false, nil
	}
	n.ID, err = res.LastInsertId()
	return true, err
}

// DueNotifications lists notifications to try now, oldest first.
func (s *OutboxStore) DueNotifications(ctx context.Context, now time.Time, limit int) ([]slipway.Notification, error) {
	return queryAll(ctx, s.DB, scanNotification, outboxSelect+` WHERE delivered IS NULL AND failed IS NULL AND next_attempt <= ? ORDER BY next_attempt, id LIMIT ?`, ts(now), limit)
}

// MarkDelivered records a delivery.
func (s *OutboxStore) MarkDelivered(ctx context.Context, id int64, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE outbox SET delivered = ? WHERE id = ?`, ts(at), id)
	return err
}

// RetryNotification records a failed attempt.
func (s *OutboxStore) RetryNotification(ctx context.Context, id int64, next time.Time, lastErr string, giveUp bool, at time.Time) error {
	var failed any
	if giveUp {
		failed = ts(at)
	}
	_, err := s.db.ExecContext(ctx, `UPDATE outbox SET attempts = attempts + 1, next_attempt = ?, last_error = ?, failed = ? WHERE id = ?`, ts(next), lastErr, failed, id)
	return err
}

// Notifications lists the newest notifications.
func (s *OutboxStore) Notifications(ctx context.Context, limit int) ([]slipway.Notification, error) {
	return queryAll(ctx, s.DB, scanNotification, outboxSelect+` ORDER BY id DESC LIMIT ?`, limit)
}

const outboxSelect = `SELECT id, receiver, key, notice, attempts, next_attempt, last_error, delivered, failed, created FROM outbox`

func scanNotification(r rowScanner) (slipway.Notification, error) {
	var n slipway.Notification
	var body, next, created string
	var delivered, failed sql.NullString
	if err := r.Scan(&n.ID, &n.Receiver, &n.Key, &body, &n.Attempts, &next, &n.LastError, &delivered, &failed, &created); err != nil {
		return n, err
	}
	if err := json.Unmarshal([]byte(body), &n.Notice); err != nil {
		return n, fmt.Errorf("notification %d: %w", n.ID, err)
	}
	n.NextAttempt, n.Created, n.Delivered, n.Failed = parseTS(next), parseTS(created), parseNullTS(delivered), parseNullTS(failed)
	return n, nil
}

// PromotionPage lists promotions newest first, before a sequence number.
// Only the filters given are in the SQL, so the (service, env, seq) index
// serves the common lists.
func (s *PageStore) PromotionPage(ctx context.Context, f slipway.PromotionFilter, before int64, limit int) ([]*slipway.Promotion, error) {
	q, args := promotionQuery(f, before)
	return queryAll(ctx, s.DB, scanPromotion, q+` ORDER BY seq DESC LIMIT ?`, append(args, limit)...)
}

// promotionQuery selects the promotions matching f (and below seq before,
// when set).
func promotionQuery(f slipway.PromotionFilter, before int64) (string, []any) {
	where, args := storesql.PromotionWhere(f, before, func(int) string { return "?" })
	return promotionSelect + where, args
}

// AuditPage lists audit entries newest first, below a sequence number.
func (s *PageStore) AuditPage(ctx context.Context, before int64, limit int) ([]slipway.AuditEntry, error) {
	if before <= 0 {
		before = 1 << 62
	}
	return s.auditRows(ctx, `SELECT seq, entry FROM audit WHERE seq < ? ORDER BY seq DESC LIMIT ?`, before, limit)
}

// affected is how many rows a statement changed.
func affected(res sql.Result, err error) (int, error) {
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}
