package api

import (
	"crypto/subtle"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/auth"
)

// oidcCookie carries an OIDC login's state, nonce, PKCE verifier and the
// page to return to, between the redirect to the provider and its
// redirect back. SameSite=Lax: the way back is a top-level navigation from
// the provider's site, which Strict would strip.
const oidcCookie = "slipway_oidc"

// tokenTTL is a token's default lifetime.
const tokenTTL = 90 * 24 * time.Hour

// withCookies answers with cookies set (login, logout).
type withCookies struct {
	cookies []*http.Cookie
	body    any
}

func (s *Server) sessionCookie(secret string, expires time.Time) *http.Cookie {
	return &http.Cookie{Name: SessionCookie, Value: secret, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.Secure, Expires: expires}
}

// checkPassword takes one login attempt for the client address and the
// user name, then checks the password.
func (s *Server) checkPassword(r *http.Request, user, password string) (*slipway.Actor, error) {
	if ok, wait := s.Limiter.Allow("ip:"+clientIP(r), "user:"+strings.ToLower(strings.TrimSpace(user))); !ok {
		return nil, &rateLimited{what: "login", wait: wait}
	}
	return s.Auth.Login(r.Context(), user, password)
}

// credentials reads a login from JSON or from a form.
func credentials(r *http.Request) (LoginRequest, error) {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		r.Body = io.NopCloser(io.LimitReader(r.Body, maxBody))
		return LoginRequest{Username: r.PostFormValue("username"), Password: r.PostFormValue("password")}, nil
	}
	return decode[LoginRequest](r)
}

func (s *Server) login(r *http.Request) (any, error) {
	req, err := credentials(r)
	if err != nil {
		return nil, err
	}
	a, err := s.checkPassword(r, req.Username, req.Password)
	if err != nil {
		return nil, err
	}
	return s.startSession(r, a, nil)
}

// startSession logs a person in: a new session and its cookie.
func (s *Server) startSession(r *http.Request, a *slipway.Actor, then any) (any, error) {
	secret, x, err := s.Auth.NewSession(r.Context(), a)
	if err != nil {
		return nil, err
	}
	s.Log.Info("login", "user", a.Name, "via", a.Via, "remote", clientIP(r))
	body := then
	if body == nil {
		body = Session{User: x.User, CSRFToken: x.CSRF, Expires: x.Expires}
	}
	return withCookies{cookies: []*http.Cookie{s.sessionCookie(secret, x.Expires)}, body: body}, nil
}

func (s *Server) logout(r *http.Request) (any, error) {
	if c, err := r.Cookie(SessionCookie); err == nil && SessionOf(r.Context()) != nil {
		if err := s.Auth.Logout(r.Context(), c.Value); err != nil {
			return nil, err
		}
	}
	gone := s.sessionCookie("", time.Unix(0, 0))
	gone.MaxAge = -1
	return withCookies{cookies: []*http.Cookie{gone}, body: Done{Message: "logged out"}}, nil
}

func (s *Server) cliToken(r *http.Request, req CLITokenRequest) (any, error) {
	a, err := s.checkPassword(r, req.Username, req.Password)
	if err != nil {
		return nil, err
	}
	name := req.Name
	if name == "" {
		name = "slipway login"
	}
	secret, t, err := s.Auth.CreateToken(slipway.WithActor(r.Context(), a), auth.TokenRequest{Name: name, TTL: tokenTTL})
	if err != nil {
		return nil, err
	}
	return NewToken{Token: toToken(*t), Secret: secret}, nil
}

func (s *Server) tokens(r *http.Request) (any, error) {
	ts, err := s.Auth.Tokens(r.Context())
	return mapAll(ts, toToken), err
}

func (s *Server) createToken(r *http.Request, req TokenRequest) (any, error) {
	ttl := tokenTTL
	var err error
	switch req.TTL {
	case "":
	case "0":
		ttl = 0
	default:
		if ttl, err = time.ParseDuration(req.TTL); err != nil || ttl <= 0 {
			return nil, slipway.Errorf(slipway.EINVALID, "ttl %q: give a duration such as 720h, or 0 for a token that never expires", req.TTL)
		}
	}
	secret, t, err := s.Auth.CreateToken(r.Context(), auth.TokenRequest{Name: req.Name, Kind: req.Kind, Owner: req.Owner, Service: req.Service, TTL: ttl})
	if err != nil {
		return nil, err
	}
	return NewToken{Token: toToken(*t), Secret: secret}, nil
}

func (s *Server) revokeToken(r *http.Request) (any, error) {
	id := r.PathValue("id")
	if err := s.Auth.RevokeToken(r.Context(), id); err != nil {
		return nil, err
	}
	return Done{Message: "token " + id + " revoked"}, nil
}

// localPath keeps a post-login redirect on this site.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/"
	}
	return next
}

func (s *Server) oidcLogin(r *http.Request) (any, error) {
	if s.OIDC == nil {
		return nil, slipway.Errorf(slipway.ENOTFOUND, "OIDC login is not configured: add auth.oidc to slipway.yaml (docs/auth.md)")
	}
	state, nonce, verifier := auth.RandomString(16), auth.RandomString(16), auth.RandomString(32)
	next := base64.RawURLEncoding.EncodeToString([]byte(localPath(r.URL.Query().Get("next"))))
	c := &http.Cookie{Name: oidcCookie, Value: strings.Join([]string{state, nonce, verifier, next}, "."), Path: "/auth/oidc",
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.Secure, MaxAge: 600}
	return withCookies{cookies: []*http.Cookie{c}, body: redirect(s.OIDC.AuthCodeURL(state, nonce, verifier))}, nil
}

func (s *Server) oidcCallback(r *http.Request) (any, error) {
	if s.OIDC == nil {
		return nil, slipway.Errorf(slipway.ENOTFOUND, "OIDC login is not configured: add auth.oidc to slipway.yaml (docs/auth.md)")
	}
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		return nil, auth.Unauthenticated("the identity provider refused the login: %s %s", e, q.Get("error_description"))
	}
	c, err := r.Cookie(oidcCookie)
	parts := []string{}
	if err == nil {
		parts = strings.Split(c.Value, ".")
	}
	if len(parts) != 4 || subtle.ConstantTimeCompare([]byte(parts[0]), []byte(q.Get("state"))) != 1 {
		return nil, auth.Unauthenticated("this login was not started here, or took longer than 10 minutes: start again at /auth/oidc/login")
	}
	a, err := s.OIDC.Finish(r.Context(), q.Get("code"), parts[2], parts[1])
	if err != nil {
		return nil, err
	}
	next := "/"
	if b, err := base64.RawURLEncoding.DecodeString(parts[3]); err == nil {
		next = localPath(string(b))
	}
	res, err := s.startSession(r, a, redirect(next))
	if err != nil {
		return nil, err
	}
	wc := res.(withCookies)
	wc.cookies = append(wc.cookies, &http.Cookie{Name: oidcCookie, Path: "/auth/oidc", MaxAge: -1, HttpOnly: true, Secure: s.Secure})
	return wc, nil
}
