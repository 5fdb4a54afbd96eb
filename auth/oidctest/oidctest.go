// Package oidctest is an OpenID Connect provider for tests: a stand-in for
// a real identity provider (Google, Okta, Keycloak, Dex), which cannot run
// here. It serves what a relying party reads — the discovery document, the
// JWKS and the token endpoint — and signs ID tokens with a real RSA key, so
// the code under test verifies real signatures. The token endpoint checks
// the PKCE verifier against the challenge the login started with.
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Provider is a running test identity provider.
type Provider struct {
	*httptest.Server
	ClientID     string
	ClientSecret string
	key          *rsa.PrivateKey
	mu           sync.Mutex
	codes        map[string]grant
	// Now is the provider's clock for iat and exp (default time.Now).
	Now func() time.Time
}

// grant is what an authorization code stands for.
type grant struct {
	claims    map[string]any
	challenge string
	nonce     string
	signer    *rsa.PrivateKey // nil: the provider's key
}

// Start runs a provider on loopback.
func Start() *Provider {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	p := &Provider{ClientID: "slipway", ClientSecret: "test-client-secret", key: key, codes: map[string]grant{}, Now: time.Now}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /keys", p.jwks)
	mux.HandleFunc("POST /token", p.token)
	p.Server = httptest.NewServer(mux)
	return p
}

func (p *Provider) discovery(w http.ResponseWriter, _ *http.Request) {
	json.NewEncoder(w).Encode(map[string]any{
		"issuer":                                p.URL,
		"authorization_endpoint":                p.URL + "/authorize",
		"token_endpoint":                        p.URL + "/token",
		"jwks_uri":                              p.URL + "/keys",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
	})
}

func (p *Provider) jwks(w http.ResponseWriter, _ *http.Request) {
	json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &p.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
}

// Authorize plays the browser's visit to the authorization endpoint: it
// reads the login URL Slipway built (client, redirect, state, nonce, PKCE
// challenge), "logs in" the person with these claims and returns the
// redirect back to Slipway with a code. Claims override the defaults (iss,
// aud, sub, iat, exp, nonce); a nil value removes a claim.
func (p *Provider) Authorize(loginURL string, claims map[string]any) (string, error) {
	return p.authorize(loginURL, claims, nil)
}

// AuthorizeSignedBy is Authorize with an ID token signed by another key (an
// attacker's), which the relying party must refuse.
func (p *Provider) AuthorizeSignedBy(loginURL string, claims map[string]any, key *rsa.PrivateKey) (string, error) {
	return p.authorize(loginURL, claims, key)
}

func (p *Provider) authorize(loginURL string, claims map[string]any, key *rsa.PrivateKey) (string, error) {
	u, err := url.Parse(loginURL)
	if err != nil {
		return "", err
	}
	q := u.Query()
	if q.Get("client_id") != p.ClientID || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		return "", fmt.Errorf("login URL %s is not an authorization-code request with PKCE S256 for client %s", loginURL, p.ClientID)
	}
	code := randomCode()
	p.mu.Lock()
	p.codes[code] = grant{claims: claims, challenge: q.Get("code_challenge"), nonce: q.Get("nonce"), signer: key}
	p.mu.Unlock()
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		return "", err
	}
	bq := back.Query()
	bq.Set("code", code)
	bq.Set("state", q.Get("state"))
	back.RawQuery = bq.Encode()
	return back.String(), nil
}

func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != p.ClientID || secret != p.ClientSecret {
		http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
		return
	}
	p.mu.Lock()
	g, found := p.codes[r.PostForm.Get("code")]
	delete(p.codes, r.PostForm.Get("code")) // a code is used once
	p.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if !found || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"error":"invalid_grant"}`))
		return
	}
	now := p.Now()
	claims := map[string]any{"iss": p.URL, "aud": p.ClientID, "sub": "user-1", "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "nonce": g.nonce}
	for k, v := range g.claims {
		if v == nil {
			delete(claims, k)
		} else {
			claims[k] = v
		}
	}
	key := p.key
	if g.signer != nil {
		key = g.signer
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	raw, err := jwt.Signed(sig).Claims(claims).Serialize()
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"access_token": "at-" + randomCode(), "token_type": "Bearer", "expires_in": 300, "id_token": raw})
}

func randomCode() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
