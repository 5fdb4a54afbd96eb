package auth

import (
	"context"
	"testing"
	"time"

	"github.com/slipway/slipway"
)

// The token cache trusts a token that authenticated for TokenCacheTTL: a
// revocation made elsewhere (another replica, the CLI on the same store)
// is refused within that bound, one made through this Service at once, and
// expiry is never cached.
func TestTokenCacheRevocationBound(t *testing.T) {
	s, now := newService(t)
	s.TokenCacheTTL = 5 * time.Second
	// other is another process over the same store (the CLI's local mode).
	other := &Service{Store: s.Store, Policy: s.Policy, Now: s.Now}
	ctx := context.Background()
	for _, u := range []string{"alice@example.com", "bob@example.com"} {
		if _, err := s.AddUser(ctx, u, "a long enough password"); err != nil {
			t.Fatal(err)
		}
	}
	asAlice := slipway.WithActor(ctx, user("alice@example.com"))
	secret, tok, err := s.CreateToken(asAlice, TokenRequest{Name: "laptop"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Token(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if err := other.RevokeToken(asAlice, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Token(ctx, secret); !is401(err) {
		t.Fatalf("the uncached service accepted a revoked token: %v", err)
	}
	*now = now.Add(4 * time.Second)
	if a, err := s.Token(ctx, secret); err != nil || a.Name != "alice@example.com" {
		t.Fatalf("within the bound the cached token should still pass (documented): %+v %v", a, err)
	}
	*now = now.Add(time.Second) // 5s after the store was read
	if _, err := s.Token(ctx, secret); !is401(err) {
		t.Fatalf("a token revoked elsewhere still passes after the cache bound: %v", err)
	}

	// Revoked through the caching service itself: refused at once.
	secret2, tok2, err := s.CreateToken(asAlice, TokenRequest{Name: "desk"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Token(ctx, secret2); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeToken(asAlice, tok2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Token(ctx, secret2); !is401(err) {
		t.Fatalf("a token revoked through this service still passes: %v", err)
	}

	// A disabled owner: at once through this service, within the bound elsewhere.
	asBob := slipway.WithActor(ctx, user("bob@example.com"))
	bob, _, err := s.CreateToken(asBob, TokenRequest{Name: "laptop"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Token(ctx, bob); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDisabled(ctx, "Bob@example.com", true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Token(ctx, bob); !is401(err) {
		t.Fatalf("a disabled user's token still passes: %v", err)
	}
	if err := other.SetDisabled(ctx, "bob@example.com", false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Token(ctx, bob); err != nil {
		t.Fatalf("re-enabled: %v", err)
	}
	if err := other.SetDisabled(ctx, "bob@example.com", true); err != nil {
		t.Fatal(err)
	}
	*now = now.Add(5 * time.Second)
	if _, err := s.Token(ctx, bob); !is401(err) {
		t.Fatalf("a user disabled elsewhere still passes after the cache bound: %v", err)
	}
}

func TestTokenCacheNeverOutlivesExpiry(t *testing.T) {
	s, now := newService(t)
	s.TokenCacheTTL = time.Minute
	ctx := context.Background()
	if _, err := s.AddUser(ctx, "alice@example.com", "a long enough password"); err != nil {
		t.Fatal(err)
	}
	secret, _, err := s.CreateToken(slipway.WithActor(ctx, user("alice@example.com")), TokenRequest{Name: "short", TTL: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Token(ctx, secret); err != nil {
		t.Fatal(err)
	}
	*now = now.Add(10 * time.Second)
	if _, err := s.Token(ctx, secret); !is401(err) {
		t.Fatalf("an expired token passed from the cache: %v", err)
	}
	// Made-up tokens are refused and never cached.
	fake, _ := NewSecret()
	for range 2 {
		if _, err := s.Token(ctx, fake); !is401(err) {
			t.Fatalf("unknown token: %v", err)
		}
	}
	if n := len(s.tokens.entries); n != 1 {
		t.Fatalf("cache holds %d entries, want the one real token", n)
	}
}
