package auth

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/slipway/slipway"
)

// Service authenticates requests and manages users, tokens and sessions
// over the store. The server and the CLI's local mode (bootstrapping the
// first users and tokens) share it.
type Service struct {
	Store  slipway.Store
	Policy *Policy
	Now    func() time.Time
	// TTL is a browser session's lifetime (default DefaultSessionTTL).
	TTL time.Duration
	// TokenCacheTTL is how long a token that authenticated is trusted
	// without reading the store again (0: never cached). A revocation or
	// a disabled owner made through another process (the CLI, another
	// replica) takes effect within this bound; through this Service, at
	// once. `slipway serve` uses DefaultTokenCacheTTL.
	TokenCacheTTL time.Duration

	tokens tokenCache
}

// DefaultTokenCacheTTL is `slipway serve`'s TokenCacheTTL.
const DefaultTokenCacheTTL = 5 * time.Second

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

var userRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._@+-]{0,127}$`)

// UserName normalizes a login (trimmed, lowercased) and checks its form.
func UserName(name string) (string, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if !userRE.MatchString(n) {
		return "", slipway.Errorf(slipway.EINVALID, "user name %q: use an email address or letters, digits and . _ @ + - (at most 128)", name)
	}
	return n, nil
}

// ErrUnauthenticated marks errors that mean "who are you?" (HTTP 401)
// rather than "you may not" (403).
type ErrUnauthenticated struct{ Msg string }

func (e *ErrUnauthenticated) Error() string { return e.Msg }

// Unauthenticated returns the 401 error with a message saying what to do.
func Unauthenticated(format string, args ...any) error {
	return &ErrUnauthenticated{Msg: fmt.Sprintf(format, args...)}
}

// Token authenticates an API token: well formed, known by its hash, not
// revoked, not expired, and (for a personal token of a local user) its
// owner not disabled. The use is recorded at most once a minute.
func (s *Service) Token(ctx context.Context, secret string) (*slipway.Actor, error) {
	secret, err := ParseToken(secret)
	if err != nil {
		return nil, Unauthenticated("%v", err)
	}
	hash, now := HashSecret(secret), s.now()
	if s.TokenCacheTTL > 0 {
		if e, ok := s.tokens.get(hash, now, s.TokenCacheTTL); ok {
			if e.expires != nil && !now.Before(*e.expires) {
				return nil, Unauthenticated("API token %s expired at %s: create a new one", e.tokenID, e.expires.Format(time.RFC3339))
			}
			a := e.actor
			return &a, nil
		}
	}
	t, err := s.Store.Tokens.TokenByHash(ctx, hash)
	if slipway.ErrorCode(err) == slipway.ENOTFOUND {
		return nil, Unauthenticated("the API token is not valid: it was never issued here, or the database was reset; create a new one with `slipway token create`")
	}
	if err != nil {
		return nil, err
	}
	switch {
	case t.Revoked != nil:
		return nil, Unauthenticated("API token %s (%s) was revoked at %s: create a new one", t.ID, t.Name, t.Revoked.Format(time.RFC3339))
	case t.Expires != nil && !now.Before(*t.Expires):
		return nil, Unauthenticated("API token %s (%s) expired at %s: create a new one", t.ID, t.Name, t.Expires.Format(time.RFC3339))
	}
	if t.LastUsed == nil || now.Sub(*t.LastUsed) > time.Minute {
		if err := s.Store.Tokens.TouchToken(ctx, t.ID, now); err != nil {
			return nil, err
		}
	}
	var a *slipway.Actor
	switch t.Kind {
	case slipway.TokenCI:
		a = &slipway.Actor{Name: "ci/" + t.Name, Kind: slipway.ActorCI, Via: "token", Service: t.Service, TokenID: t.ID}
	case slipway.TokenPersonal:
		if u, err := s.Store.Users.User(ctx, t.Owner); err == nil && u.Disabled {
			return nil, Unauthenticated("API token %s belongs to %s, whose account is disabled", t.ID, t.Owner)
		}
		a = &slipway.Actor{Name: t.Owner, Kind: slipway.ActorUser, Via: "token", TokenID: t.ID}
	default:
		return nil, Unauthenticated("API token %s has an unknown kind %q", t.ID, t.Kind)
	}
	if s.TokenCacheTTL > 0 {
		s.tokens.put(hash, cachedToken{actor: *a, tokenID: t.ID, owner: t.Owner, expires: t.Expires, checked: now})
	}
	return a, nil
}

// TokenRequest asks for a new API token.
type TokenRequest struct {
	Name    string        // what it is for
	Kind    string        // slipway.TokenPersonal (default) or slipway.TokenCI
	Owner   string        // personal: who it acts as (default: the caller)
	Service string        // CI: its one service
	TTL     time.Duration // lifetime; 0: never expires
}

// CreateToken issues a token and returns its secret (shown once). A person
// creates personal tokens for themselves; tokens for others and CI tokens
// need the admin permission (for the CI token's service).
func (s *Service) CreateToken(ctx context.Context, r TokenRequest) (string, *slipway.Token, error) {
	caller := slipway.ActorFrom(ctx)
	if caller != nil && caller.Kind == slipway.ActorCI {
		return "", nil, slipway.Errorf(slipway.EFORBIDDEN, "%s may not create tokens: a CI token only registers builds and reports verifications", caller.Name)
	}
	if r.Kind == "" {
		r.Kind = slipway.TokenPersonal
	}
	r.Name = strings.TrimSpace(r.Name)
	if r.Name == "" || len(r.Name) > 100 {
		return "", nil, slipway.Errorf(slipway.EINVALID, "say what the token is for (--name, at most 100 characters), e.g. \"laptop\" or \"api CI\"")
	}
	if r.TTL < 0 {
		return "", nil, slipway.Errorf(slipway.EINVALID, "token lifetime %s: give a positive duration, or 0 for a token that never expires", r.TTL)
	}
	var scope Scope
	switch r.Kind {
	case slipway.TokenPersonal:
		if r.Service != "" {
			return "", nil, slipway.Errorf(slipway.EINVALID, "a personal token acts as its owner everywhere the owner may act: --service is for CI tokens (--ci)")
		}
		if r.Owner == "" && caller != nil {
			r.Owner = caller.Name
		}
		owner, err := UserName(r.Owner)
		if err != nil {
			return "", nil, err
		}
		r.Owner = owner
		if caller != nil && caller.Kind == slipway.ActorUser && slipway.NormalizeIdentity(caller.Name) == owner {
			break // one's own token
		}
		scope = Scope{Service: All, Env: All}
		if err := s.Policy.Check(caller, Admin, scope); err != nil {
			return "", nil, err
		}
	case slipway.TokenCI:
		if r.Service == "" {
			return "", nil, slipway.Errorf(slipway.EINVALID, "a CI token acts for one service: pass --service")
		}
		if r.Owner != "" {
			return "", nil, slipway.Errorf(slipway.EINVALID, "a CI token acts as itself (ci/%s), not as a user: drop --owner", r.Name)
		}
		if err := s.Policy.Check(caller, Admin, Scope{Service: r.Service}); err != nil {
			return "", nil, err
		}
	default:
		return "", nil, slipway.Errorf(slipway.EINVALID, "token kind %q: use personal or ci", r.Kind)
	}
	secret, hash := NewSecret()
	now := s.now()
	t := &slipway.Token{ID: NewID("tok"), Name: r.Name, Kind: r.Kind, Owner: r.Owner, Service: r.Service, Hash: hash, CreatedBy: actorName(caller), Created: now}
	if r.TTL > 0 {
		exp := now.Add(r.TTL)
		t.Expires = &exp
	}
	if err := s.Store.Tokens.CreateToken(ctx, t); err != nil {
		return "", nil, err
	}
	return secret, t, nil
}

// RevokeToken revokes a token: one's own, or anyone's with admin.
func (s *Service) RevokeToken(ctx context.Context, id string) error {
	t, err := s.Store.Tokens.Token(ctx, id)
	if err != nil {
		return err
	}
	caller := slipway.ActorFrom(ctx)
	own := caller != nil && caller.Kind == slipway.ActorUser && t.Kind == slipway.TokenPersonal && slipway.NormalizeIdentity(caller.Name) == t.Owner
	if !own {
		if err := s.Policy.Check(caller, Admin, Scope{Service: orAll(t.Service), Env: All}); err != nil {
			return err
		}
	}
	if err := s.Store.Tokens.RevokeToken(ctx, id, s.now()); err != nil {
		return err
	}
	s.tokens.drop(func(e cachedToken) bool { return e.tokenID == id })
	return nil
}

// Tokens lists the caller's tokens, or everyone's with admin.
func (s *Service) Tokens(ctx context.Context) ([]slipway.Token, error) {
	caller := slipway.ActorFrom(ctx)
	if s.Policy.Check(caller, Admin, Scope{Service: All, Env: All}) == nil {
		return s.Store.Tokens.Tokens(ctx, "")
	}
	if caller == nil || caller.Kind != slipway.ActorUser {
		return nil, slipway.Errorf(slipway.EFORBIDDEN, "%s has no tokens to list", actorName(caller))
	}
	return s.Store.Tokens.Tokens(ctx, slipway.NormalizeIdentity(caller.Name))
}

func orAll(s string) string {
	if s == "" {
		return All
	}
	return s
}

func actorName(a *slipway.Actor) string {
	if a == nil {
		return "local"
	}
	return a.Name
}

// Login checks a user's password. Unknown users cost as much time as a
// wrong password, and both get the same answer.
func (s *Service) Login(ctx context.Context, name, password string) (*slipway.Actor, error) {
	// One answer for every bad credential: it never says whether the user
	// or the password was wrong.
	wrong := Unauthenticated("wrong user name or password")
	n, err := UserName(name)
	if err != nil {
		VerifyPassword(dummyHash(), password)
		return nil, wrong
	}
	u, err := s.Store.Users.User(ctx, n)
	if slipway.ErrorCode(err) == slipway.ENOTFOUND {
		VerifyPassword(dummyHash(), password)
		return nil, wrong
	}
	if err != nil {
		return nil, err
	}
	ok, err := VerifyPassword(u.PasswordHash, password)
	if err != nil || !ok || u.Disabled {
		return nil, wrong
	}
	return &slipway.Actor{Name: u.Name, Kind: slipway.ActorUser, Via: "password"}, nil
}

// NewSession starts a browser session for an authenticated person and
// returns the cookie's secret (the store keeps its hash).
func (s *Service) NewSession(ctx context.Context, a *slipway.Actor) (string, *slipway.Session, error) {
	secret := RandomString(32)
	now := s.now()
	ttl := s.TTL
	if ttl <= 0 {
		ttl = DefaultSessionTTL
	}
	x := &slipway.Session{ID: HashSecret(secret), User: a.Name, Via: a.Via, Groups: a.Groups, CSRF: RandomString(32), Created: now, Expires: now.Add(ttl)}
	if err := s.Store.Sessions.CreateSession(ctx, x); err != nil {
		return "", nil, err
	}
	return secret, x, nil
}

// Session authenticates a session cookie.
func (s *Service) Session(ctx context.Context, secret string) (*slipway.Actor, *slipway.Session, error) {
	if len(secret) < 20 || len(secret) > 100 {
		return nil, nil, Unauthenticated("the session cookie is malformed: log in again")
	}
	x, err := s.Store.Sessions.Session(ctx, HashSecret(secret))
	if slipway.ErrorCode(err) == slipway.ENOTFOUND {
		return nil, nil, Unauthenticated("the session ended: log in again")
	}
	if err != nil {
		return nil, nil, err
	}
	if !s.now().Before(x.Expires) {
		s.Store.Sessions.DeleteSession(ctx, x.ID)
		return nil, nil, Unauthenticated("the session expired at %s: log in again", x.Expires.Format(time.RFC3339))
	}
	return &slipway.Actor{Name: x.User, Kind: slipway.ActorUser, Via: x.Via, Groups: x.Groups}, x, nil
}

// Logout ends the session of a cookie.
func (s *Service) Logout(ctx context.Context, secret string) error {
	return s.Store.Sessions.DeleteSession(ctx, HashSecret(secret))
}

// AddUser creates a local user with a password.
func (s *Service) AddUser(ctx context.Context, name, password string) (*slipway.User, error) {
	n, err := UserName(name)
	if err != nil {
		return nil, err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return nil, err
	}
	now := s.now()
	u := &slipway.User{Name: n, PasswordHash: hash, Created: now, Updated: now}
	return u, s.Store.Users.CreateUser(ctx, u)
}

// SetPassword changes a user's password and ends their sessions.
func (s *Service) SetPassword(ctx context.Context, name, password string) error {
	return s.updateUser(ctx, name, func(u *slipway.User) error {
		hash, err := HashPassword(password)
		u.PasswordHash = hash
		return err
	})
}

// SetDisabled disables (or enables) a user; disabling ends their sessions
// and stops their personal tokens from authenticating.
func (s *Service) SetDisabled(ctx context.Context, name string, disabled bool) error {
	err := s.updateUser(ctx, name, func(u *slipway.User) error { u.Disabled = disabled; return nil })
	if n, nerr := UserName(name); err == nil && nerr == nil {
		s.tokens.drop(func(e cachedToken) bool { return e.owner == n })
	}
	return err
}

func (s *Service) updateUser(ctx context.Context, name string, change func(*slipway.User) error) error {
	n, err := UserName(name)
	if err != nil {
		return err
	}
	u, err := s.Store.Users.User(ctx, n)
	if err != nil {
		return err
	}
	if err := change(u); err != nil {
		return err
	}
	u.Updated = s.now()
	if err := s.Store.Users.UpdateUser(ctx, u); err != nil {
		return err
	}
	return s.Store.Sessions.DeleteUserSessions(ctx, n)
}
