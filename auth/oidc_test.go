package auth_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/auth"
	"github.com/slipway/slipway/auth/oidctest"
)

// The identity provider is oidctest's stand-in for a real IdP (discovery
// document, JWKS, token endpoint, RSA-signed ID tokens); everything on
// Slipway's side is the production code.
func TestOIDCLogin(t *testing.T) {
	idp := oidctest.Start()
	defer idp.Close()
	ctx := context.Background()
	cfg := auth.OIDCConfig{Issuer: idp.URL, ClientID: idp.ClientID, RedirectURL: "https://slipway.example.com/auth/oidc/callback", GroupsClaim: "groups"}
	o, err := auth.NewOIDC(ctx, cfg, idp.ClientSecret, idp.Client())
	if err != nil {
		t.Fatal(err)
	}
	login := func(claims map[string]any, nonce string, key *rsa.PrivateKey) error {
		verifier := "pkce-verifier-" + strings.Repeat("x", 40)
		start := o.AuthCodeURL("state-1", nonce, verifier)
		var back string
		var err error
		if key != nil {
			back, err = idp.AuthorizeSignedBy(start, claims, key)
		} else {
			back, err = idp.Authorize(start, claims)
		}
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(back)
		if u.Query().Get("state") != "state-1" {
			t.Fatalf("state lost: %s", back)
		}
		a, err := o.Finish(ctx, u.Query().Get("code"), verifier, "nonce-1")
		if err == nil && (a.Name != "dana@example.com" || a.Via != "oidc" || strings.Join(a.Groups, ",") != "sre,oncall") {
			t.Fatalf("actor %+v", a)
		}
		return err
	}
	good := map[string]any{"email": "Dana@Example.com", "email_verified": true, "groups": []string{"sre", "oncall"}}
	if err := login(good, "nonce-1", nil); err != nil {
		t.Fatalf("a good login failed: %v", err)
	}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for a, b := range good {
			m[a] = b
		}
		m[k] = v
		return m
	}
	attacker, _ := rsa.GenerateKey(rand.Reader, 2048)
	for name, c := range map[string]struct {
		claims map[string]any
		nonce  string
		key    *rsa.PrivateKey
		want   string
	}{
		"another key signed it":  {good, "nonce-1", attacker, "does not verify"},
		"another client's token": {with("aud", "someone-else"), "nonce-1", nil, "does not verify"},
		"another issuer":         {with("iss", "https://evil.example.com"), "nonce-1", nil, "does not verify"},
		"expired":                {with("exp", time.Now().Add(-time.Hour).Unix()), "nonce-1", nil, "does not verify"},
		"another login's nonce":  {good, "nonce-2", nil, "nonce"},
		"unverified email":       {with("email_verified", false), "nonce-1", nil, "not verified"},
		"no email":               {with("email", nil), "nonce-1", nil, `no usable "email" claim`},
	} {
		err := login(c.claims, c.nonce, c.key)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", name, err, c.want)
		}
	}
	// The PKCE verifier must match the challenge the login started with.
	start := o.AuthCodeURL("s", "nonce-1", "the-right-verifier-"+strings.Repeat("y", 30))
	back, _ := idp.Authorize(start, good)
	u, _ := url.Parse(back)
	if _, err := o.Finish(ctx, u.Query().Get("code"), "a-stolen-code-without-its-verifier-"+strings.Repeat("z", 20), "nonce-1"); err == nil || !strings.Contains(err.Error(), "refused the code") {
		t.Errorf("a code redeemed without its PKCE verifier: %v", err)
	}
}

func TestIdentityFromClaims(t *testing.T) {
	a, err := auth.IdentityFromClaims(auth.OIDCConfig{UsernameClaim: "preferred_username", GroupsClaim: "roles"}, map[string]any{"preferred_username": "Erin", "roles": "sre, dev"})
	if err != nil || a.Name != "erin" || strings.Join(a.Groups, "|") != "sre|dev" {
		t.Fatalf("%+v %v", a, err)
	}
	if _, err := auth.IdentityFromClaims(auth.OIDCConfig{}, map[string]any{"email": "x y@example.com"}); err == nil {
		t.Fatal("a name with a space is refused")
	}
}
