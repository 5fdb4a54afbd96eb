package github

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/forge"
)

// appTokens authenticates as a GitHub App installation: a JWT signed with
// the app's private key (RS256) is exchanged at
// POST /app/installations/{id}/access_tokens for an installation token,
// which is cached until shortly before it expires.
type appTokens struct {
	appID          string
	installationID int64
	repo           string // the token is scoped to this one repository
	key            *rsa.PrivateKey
	endpoint       string
	client         *http.Client
	now            func() time.Time

	mu      sync.Mutex
	token   string
	expires time.Time
}

// Timings from GitHub's documentation: a JWT lives at most 10 minutes and
// its iat should be backdated 60 seconds against clock drift; installation
// tokens live one hour.
const (
	jwtBackdate  = 60 * time.Second
	jwtLifetime  = 9 * time.Minute
	renewalAhead = 5 * time.Minute
)

func newAppTokens(cfg forge.Config, api *url.URL) (*appTokens, error) {
	pemBytes, err := os.ReadFile(cfg.App.PrivateKeyFile)
	if err != nil {
		return nil, slipway.Errorf(slipway.EINVALID, "gitops.forge.app.privateKeyFile: %v: download the key from the app's settings (Private keys > Generate)", err)
	}
	key, err := parseRSAKey(pemBytes)
	if err != nil {
		return nil, slipway.Errorf(slipway.EINVALID, "gitops.forge.app.privateKeyFile %s: %v", cfg.App.PrivateKeyFile, err)
	}
	_, name, _ := strings.Cut(cfg.Repo, "/")
	endpoint := api.JoinPath("app", "installations", fmt.Sprint(cfg.App.InstallationID), "access_tokens").String()
	return &appTokens{
		appID: cfg.App.AppID, installationID: cfg.App.InstallationID, repo: name, key: key,
		endpoint: endpoint, client: cfg.HTTPClient(nil), now: cfg.Clock(),
	}, nil
}

// parseRSAKey reads the PKCS#1 key GitHub issues, or a PKCS#8 one.
func parseRSAKey(b []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("not a PEM file: expected -----BEGIN RSA PRIVATE KEY-----")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("not an RSA private key: %v", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("a %T key: GitHub Apps sign with RSA keys", k)
	}
	return rk, nil
}

// Token returns a valid installation token, exchanging a new JWT when the
// cached one is missing or about to expire. Concurrent callers share one
// exchange.
func (a *appTokens) Token(ctx context.Context) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.token != "" && a.now().Before(a.expires.Add(-renewalAhead)) {
		return a.token, nil
	}
	jwt, err := a.jwt()
	if err != nil {
		return "", err
	}
	body, _ := json.Marshal(map[string]any{"repositories": []string{a.repo}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.endpoint, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+jwt)
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("github app: exchange a token for installation %d: %w", a.installationID, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusCreated {
		var e struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(raw, &e)
		code := slipway.EINTERNAL
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusNotFound {
			code = slipway.EFORBIDDEN
		}
		return "", slipway.Errorf(code, "github app %s: installation %d refused a token (%s: %s): check app.appID, app.installationID and that the app is installed on %s", a.appID, a.installationID, resp.Status, e.Message, a.repo)
	}
	var tok struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	if err := json.Unmarshal(raw, &tok); err != nil || tok.Token == "" || tok.ExpiresAt.IsZero() {
		return "", fmt.Errorf("github app: installation %d answered without a token and expiry: %.200s", a.installationID, raw)
	}
	a.token, a.expires = tok.Token, tok.ExpiresAt
	return a.token, nil
}

// jwt is the app's RS256-signed JSON Web Token (RFC 7519): iat backdated,
// exp under GitHub's 10-minute limit, iss the app ID or client ID.
func (a *appTokens) jwt() (string, error) {
	now := a.now()
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`))
	claims, err := json.Marshal(struct {
		IAT int64  `json:"iat"`
		EXP int64  `json:"exp"`
		ISS string `json:"iss"`
	}{now.Add(-jwtBackdate).Unix(), now.Add(jwtLifetime).Unix(), a.appID})
	if err != nil {
		return "", err
	}
	signing := header + "." + base64.RawURLEncoding.EncodeToString(claims)
	digest := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, a.key, crypto.SHA256, digest[:])
	if err != nil {
		return "", fmt.Errorf("github app: sign the JWT: %w", err)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}
