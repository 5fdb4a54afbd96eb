package auth

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/slipway/slipway"
)

// OIDC logs people in with an OpenID Connect provider: the authorization
// code flow with PKCE (S256), a nonce bound to the browser, and an ID token
// whose signature (the provider's JWKS), issuer, audience, expiry and nonce
// go-oidc verifies before any claim is read.
type OIDC struct {
	cfg      OIDCConfig
	verifier *oidc.IDTokenVerifier
	oauth    oauth2.Config
	client   *http.Client
}

// NewOIDC reads the provider's discovery document. client carries the
// requests to the provider (nil: http.DefaultClient).
func NewOIDC(ctx context.Context, c OIDCConfig, clientSecret string, client *http.Client) (*OIDC, error) {
	if client != nil {
		ctx = oidc.ClientContext(ctx, client)
	}
	p, err := oidc.NewProvider(ctx, c.Issuer)
	if err != nil {
		return nil, fmt.Errorf("auth.oidc.issuer %s: %w (check the URL and that Slipway can reach it)", c.Issuer, err)
	}
	scopes := c.Scopes
	if len(scopes) == 0 {
		scopes = []string{"email", "profile"}
	}
	return &OIDC{
		cfg:      c,
		verifier: p.Verifier(&oidc.Config{ClientID: c.ClientID}),
		client:   client,
		oauth: oauth2.Config{
			ClientID: c.ClientID, ClientSecret: clientSecret, Endpoint: p.Endpoint(),
			RedirectURL: c.RedirectURL, Scopes: append([]string{oidc.ScopeOpenID}, scopes...),
		},
	}, nil
}

// AuthCodeURL is where the browser goes to log in.
func (o *OIDC) AuthCodeURL(state, nonce, pkceVerifier string) string {
	return o.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(pkceVerifier))
}

// Finish exchanges the code for tokens, verifies the ID token and returns
// the person it names.
func (o *OIDC) Finish(ctx context.Context, code, pkceVerifier, nonce string) (*slipway.Actor, error) {
	if o.client != nil {
		ctx = oidc.ClientContext(ctx, o.client)
	}
	tok, err := o.oauth.Exchange(ctx, code, oauth2.VerifierOption(pkceVerifier))
	if err != nil {
		return nil, Unauthenticated("OIDC login: the provider refused the code: %v", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return nil, Unauthenticated("OIDC login: the provider returned no ID token")
	}
	id, err := o.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, Unauthenticated("OIDC login: the ID token does not verify: %v", err)
	}
	if id.Nonce != nonce {
		return nil, Unauthenticated("OIDC login: the ID token's nonce is not this login's: start again")
	}
	var claims map[string]any
	if err := id.Claims(&claims); err != nil {
		return nil, Unauthenticated("OIDC login: %v", err)
	}
	return IdentityFromClaims(o.cfg, claims)
}

// IdentityFromClaims maps verified ID-token claims to a person: the
// username claim (default email, which must not be marked unverified) and
// the groups claim, when configured.
func IdentityFromClaims(c OIDCConfig, claims map[string]any) (*slipway.Actor, error) {
	claim := c.UsernameClaim
	if claim == "" {
		claim = "email"
	}
	v, _ := claims[claim].(string)
	name, err := UserName(v)
	if v == "" || err != nil {
		return nil, Unauthenticated("OIDC login: the ID token has no usable %q claim: set auth.oidc.usernameClaim to a claim the provider sends (email, preferred_username)", claim)
	}
	if claim == "email" {
		if ev, present := claims["email_verified"]; present && ev != true && ev != "true" {
			return nil, Unauthenticated("OIDC login: the provider says %s is not verified: verify it with the provider first", name)
		}
	}
	a := &slipway.Actor{Name: name, Kind: slipway.ActorUser, Via: "oidc"}
	if c.GroupsClaim != "" {
		switch g := claims[c.GroupsClaim].(type) {
		case []any:
			for _, x := range g {
				if s, ok := x.(string); ok && s != "" {
					a.Groups = append(a.Groups, s)
				}
			}
		case string:
			a.Groups = strings.Fields(strings.ReplaceAll(g, ",", " "))
		}
	}
	return a, nil
}
