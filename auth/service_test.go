package auth

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/sqlite"
)

func newService(t *testing.T) (*Service, *time.Time) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	s := &Service{Store: db.Store(), Policy: NewPolicy(testConfig, testGroups, nil), Now: func() time.Time { return now }}
	return s, &now
}

func is401(err error) bool {
	var u *ErrUnauthenticated
	return errors.As(err, &u)
}

func TestTokenLifecycle(t *testing.T) {
	s, now := newService(t)
	ctx := context.Background()
	if _, err := s.AddUser(ctx, "Alice@Example.com", "a long enough password"); err != nil {
		t.Fatal(err)
	}
	asAlice := slipway.WithActor(ctx, user("alice@example.com"))
	secret, tok, err := s.CreateToken(asAlice, TokenRequest{Name: "laptop", TTL: time.Hour})
	if err != nil || tok.Owner != "alice@example.com" || tok.Expires == nil || tok.Hash != HashSecret(secret) {
		t.Fatalf("token %+v %v", tok, err)
	}
	a, err := s.Token(ctx, secret)
	if err != nil || a.Name != "alice@example.com" || a.Kind != slipway.ActorUser || a.TokenID != tok.ID {
		t.Fatalf("actor %+v %v", a, err)
	}
	if got, _ := s.Store.Tokens.Token(ctx, tok.ID); got.LastUsed == nil || !got.LastUsed.Equal(*now) {
		t.Fatalf("last use not recorded: %+v", got)
	}

	// A person cannot mint a token for someone else, or a CI token.
	if _, _, err := s.CreateToken(asAlice, TokenRequest{Name: "x", Owner: "bob@example.com"}); slipway.ErrorCode(err) != slipway.EFORBIDDEN {
		t.Fatalf("alice made bob's token: %v", err)
	}
	if _, _, err := s.CreateToken(asAlice, TokenRequest{Name: "x", Kind: slipway.TokenCI, Service: "api"}); slipway.ErrorCode(err) != slipway.EFORBIDDEN {
		t.Fatalf("alice made a CI token: %v", err)
	}
	// An admin can; so can the local operator (bootstrap).
	asRoot := slipway.WithActor(ctx, user("root@example.com"))
	ciSecret, ci, err := s.CreateToken(asRoot, TokenRequest{Name: "api CI", Kind: slipway.TokenCI, Service: "api"})
	if err != nil || ci.Expires != nil {
		t.Fatalf("ci token %+v %v", ci, err)
	}
	if a, err := s.Token(ctx, ciSecret); err != nil || a.Kind != slipway.ActorCI || a.Service != "api" || a.Name != "ci/api CI" {
		t.Fatalf("ci actor %+v %v", a, err)
	}
	if _, _, err := s.CreateToken(ctx, TokenRequest{Name: "bootstrap", Owner: "root@example.com"}); err != nil {
		t.Fatal(err)
	}

	// Alice lists her own tokens; the admin lists all.
	if mine, err := s.Tokens(asAlice); err != nil || len(mine) != 1 {
		t.Fatalf("alice's tokens %v %v", mine, err)
	}
	if all, _ := s.Tokens(asRoot); len(all) != 3 {
		t.Fatalf("all tokens %v", all)
	}
	if err := s.RevokeToken(asAlice, ci.ID); slipway.ErrorCode(err) != slipway.EFORBIDDEN {
		t.Fatalf("alice revoked the CI token: %v", err)
	}

	// Expired, revoked, unknown and malformed tokens are all 401.
	*now = now.Add(2 * time.Hour)
	if _, err := s.Token(ctx, secret); !is401(err) {
		t.Fatalf("expired token: %v", err)
	}
	if err := s.RevokeToken(asRoot, ci.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Token(ctx, ciSecret); !is401(err) {
		t.Fatalf("revoked token: %v", err)
	}
	other, _ := NewSecret()
	for _, bad := range []string{other, "slw_nope", ""} {
		if _, err := s.Token(ctx, bad); !is401(err) {
			t.Errorf("token %q: %v", bad, err)
		}
	}
}

func TestDisabledUsersLoseTokensAndSessions(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	s.AddUser(ctx, "bob@example.com", "bob's long password")
	secret, _, err := s.CreateToken(slipway.WithActor(ctx, user("bob@example.com")), TokenRequest{Name: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Login(ctx, "BOB@example.com", "bob's long password")
	if err != nil {
		t.Fatal(err)
	}
	cookie, _, err := s.NewSession(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Session(ctx, cookie); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDisabled(ctx, "bob@example.com", true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Token(ctx, secret); !is401(err) {
		t.Fatalf("a disabled user's token still works: %v", err)
	}
	if _, _, err := s.Session(ctx, cookie); !is401(err) {
		t.Fatalf("a disabled user's session still works: %v", err)
	}
	if _, err := s.Login(ctx, "bob@example.com", "bob's long password"); !is401(err) {
		t.Fatalf("a disabled user logged in: %v", err)
	}
}

func TestLoginAndSessions(t *testing.T) {
	s, now := newService(t)
	ctx := context.Background()
	s.AddUser(ctx, "carol@example.com", "carol's long password")
	for _, c := range [][2]string{{"carol@example.com", "wrong password!!"}, {"nobody@example.com", "carol's long password"}, {"not a name", "x"}} {
		_, err := s.Login(ctx, c[0], c[1])
		if !is401(err) || err.Error() != "wrong user name or password" {
			t.Errorf("login %v: %v (every bad login gets the same answer)", c, err)
		}
	}
	a, err := s.Login(ctx, "carol@example.com", "carol's long password")
	if err != nil {
		t.Fatal(err)
	}
	cookie, x, err := s.NewSession(ctx, a)
	if err != nil || x.ID == cookie || x.CSRF == "" || !x.Expires.Equal(now.Add(DefaultSessionTTL)) {
		t.Fatalf("session %+v %v", x, err)
	}
	got, _, err := s.Session(ctx, cookie)
	if err != nil || got.Name != "carol@example.com" || got.Via != "password" {
		t.Fatalf("session actor %+v %v", got, err)
	}
	if _, _, err := s.Session(ctx, x.ID); !is401(err) {
		t.Fatal("the stored id is not a cookie")
	}
	if err := s.SetPassword(ctx, "carol@example.com", "carol's new long password"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Session(ctx, cookie); !is401(err) {
		t.Fatal("a password change ends the sessions")
	}
	cookie, _, _ = s.NewSession(ctx, a)
	*now = now.Add(DefaultSessionTTL)
	if _, _, err := s.Session(ctx, cookie); !is401(err) {
		t.Fatalf("expired session: %v", err)
	}
}
