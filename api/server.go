// Package api is Slipway's HTTP interface under `slipway serve`: the REST
// API under /api/v1 (with its OpenAPI 3 document, generated from the same
// route table the handlers are registered from), browser login (passwords
// and OIDC, session cookies with CSRF tokens), and the webhooks CI and
// forges call (/hooks/build, /hooks/forge/{name}). Every request is
// authenticated here and carries its actor into the engine, which checks
// the permission of every change (engine/authz.go); reads are checked here.
//
// The web UI hangs off the same mux: Authenticate is the middleware that
// reads tokens and session cookies and enforces CSRF on state-changing
// requests, SessionOf returns a request's session (its CSRF token for
// forms), and Login/Logout/OIDC are the same handlers.
package api

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/auth"
	"github.com/slipway/slipway/engine"
)

// SessionCookie is the browser session's cookie.
const SessionCookie = "slipway_session"

// Server serves the API. Create it with New.
type Server struct {
	Engine *engine.Engine
	Auth   *auth.Service
	// OIDC logs people in with an identity provider (nil: not configured).
	OIDC *auth.OIDC
	Log  *slog.Logger
	// Secure marks cookies Secure: set when the server is reached over
	// TLS (its own, or a proxy's).
	Secure bool
	// Limiter limits login attempts (default: 5 at once, then one every 12s,
	// per client address and per user name).
	Limiter *auth.Limiter
	Now     func() time.Time

	routes  []route
	docOnce sync.Once
	doc     []byte
}

// New returns a server over an engine and an authentication service.
func New(e *engine.Engine, a *auth.Service, log *slog.Logger) *Server {
	s := &Server{Engine: e, Auth: a, Log: log, Now: time.Now, Limiter: auth.NewLimiter(5, 12*time.Second)}
	if s.Log == nil {
		s.Log = slog.Default()
	}
	s.routes = s.table()
	return s
}

// Mount registers every route on mux, behind Go's cross-origin protection
// (a browser's cross-site POST is refused before any handler runs).
func (s *Server) Mount(mux *http.ServeMux) { s.MountOn(mux) }

// MountOn registers every route on anything with ServeMux's Handle.
func (s *Server) MountOn(mux interface{ Handle(string, http.Handler) }) {
	cop := http.NewCrossOriginProtection()
	for _, rt := range s.routes {
		mux.Handle(rt.method+" "+rt.path, cop.Handler(s.serve(rt)))
	}
}

// Handler is a mux with the API's routes only.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.Mount(mux)
	return mux
}

// access says who may call a route.
type access int

const (
	public  access = iota // no credentials (login, webhooks with their own checks, the document)
	anyone                // any authenticated caller (whoami, one's own tokens, logout)
	reader                // the read permission
	changer               // authenticated; the engine checks the permission named in the route
)

// route is one endpoint: the single source of the mux and of the OpenAPI
// document.
type route struct {
	method, path string
	summary      string
	access       access
	perm         auth.Permission // the permission a change needs (documented; the engine checks it)
	query        []param
	resp         any // response body
	status       int // success status (default 200)
	// snapshot: the handler reads the store several times, so its reads
	// share one snapshot (see Server.handle); a single read goes alone.
	snapshot bool
	handle   handler // typed handlers decode (and document) the request body
}

// param is a documented query parameter.
type param struct {
	name, desc, typ string // typ: string, integer, boolean
}

type sessionKey struct{}

// SessionOf returns the browser session of a request authenticated by
// cookie (nil for tokens and anonymous requests).
func SessionOf(ctx context.Context) *slipway.Session {
	x, _ := ctx.Value(sessionKey{}).(*slipway.Session)
	return x
}

// Authenticate reads the caller's credentials — a bearer token, else the
// session cookie — and puts the actor (and session) in the request's
// context. Bad credentials are refused with 401; none leave the request
// anonymous for the handler to decide. A state-changing request
// authenticated by cookie must carry the session's CSRF token (header
// X-CSRF-Token, or form field csrf_token).
func (s *Server) Authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, x, err := s.authenticate(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if x != nil && !safe(r.Method) {
			if err := checkCSRF(r, x); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		ctx := r.Context()
		if a != nil {
			ctx = slipway.WithActor(ctx, a)
		}
		if x != nil {
			ctx = context.WithValue(ctx, sessionKey{}, x)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func (s *Server) authenticate(r *http.Request) (*slipway.Actor, *slipway.Session, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return nil, nil, auth.Unauthenticated("Authorization must be \"Bearer <token>\" (create a token with `slipway token create`)")
		}
		a, err := s.Auth.Token(r.Context(), tok)
		return a, nil, err
	}
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		return s.Auth.Session(r.Context(), c.Value)
	}
	return nil, nil, nil
}

func safe(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

func checkCSRF(r *http.Request, x *slipway.Session) error {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		got = r.PostFormValue("csrf_token")
	}
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(x.CSRF)) != 1 {
		return slipway.Errorf(slipway.EFORBIDDEN, "missing or wrong CSRF token: a request made with the session cookie must send the session's token (X-CSRF-Token); reload the page")
	}
	return nil
}

// serve runs one route: authentication, the access check, the handler, and
// the JSON answer.
func (s *Server) serve(rt route) http.Handler {
	return s.Authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := slipway.ActorFrom(r.Context())
		if rt.access != public && a == nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="slipway"`)
			s.fail(w, r, auth.Unauthenticated("authentication required: send Authorization: Bearer <token> (`slipway token create`, or `slipway login`), or log in"))
			return
		}
		if rt.access == reader {
			if err := s.Engine.Cfg.AccessPolicy().Check(a, auth.Read, auth.Scope{}); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		v, err := s.handle(rt, r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		status := rt.status
		if status == 0 {
			status = http.StatusOK
		}
		if wc, ok := v.(withCookies); ok {
			for _, c := range wc.cookies {
				http.SetCookie(w, c)
			}
			v = wc.body
		}
		if st, ok := v.(statusOverride); ok {
			status, v = st.status, st.body
		}
		if rd, ok := v.(redirect); ok {
			http.Redirect(w, r, string(rd), http.StatusSeeOther)
			return
		}
		writeJSON(w, status, v)
	}))
}

// handle runs a route's handler. A read that reads the store several times
// runs in one snapshot of it (see slipway.Store.Snapshot): its reads agree
// with each other, and it takes one connection and opens one read
// transaction instead of one per query. The snapshot ends before the
// answer is encoded. A single read goes alone: opening and closing the
// transaction would cost more than it saves.
func (s *Server) handle(rt route, r *http.Request) (any, error) {
	if snap := s.Engine.Store.Snapshot; snap != nil && rt.snapshot && safe(r.Method) {
		ctx, end := snap(r.Context())
		defer end()
		r = r.WithContext(ctx)
	}
	return rt.handle.serve(r)
}

// statusOverride answers with another success status than the route's
// (200 for a registration that found the build already there).
type statusOverride struct {
	status int
	body   any
}

// redirect answers a browser with 303 See Other.
type redirect string

// writeJSON answers with v as JSON. The body is encoded into a pooled
// buffer and written at once with its Content-Length: encoding straight
// into the connection sent pages of the list endpoints as several chunks,
// a write system call each, and an encoding error could not change the
// status any more.
func writeJSON(w http.ResponseWriter, status int, v any) {
	buf := bufs.Get().(*bytes.Buffer)
	defer putBuf(buf)
	buf.Reset()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		buf.Reset()
		status = http.StatusInternalServerError
		json.NewEncoder(buf).Encode(ErrorBody{Error: ErrorDetail{Code: slipway.EINTERNAL, Message: "encoding the answer: " + err.Error()}})
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

var bufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putBuf returns a buffer to the pool unless one huge answer grew it.
func putBuf(b *bytes.Buffer) {
	if b.Cap() <= 1<<20 {
		bufs.Put(b)
	}
}

// fail answers with the JSON error body and the status of its code.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, code := StatusOf(err)
	var rl *rateLimited
	if errors.As(err, &rl) {
		w.Header().Set("Retry-After", fmt.Sprint(int(rl.wait.Seconds()+0.999)))
	}
	level := slog.LevelDebug
	switch {
	case status >= 500:
		level = slog.LevelError
	case status == http.StatusUnauthorized || status == http.StatusForbidden || status == http.StatusTooManyRequests:
		level = slog.LevelWarn
	}
	who := "anonymous"
	if a := slipway.ActorFrom(r.Context()); a != nil {
		who = a.Name
	}
	s.Log.Log(r.Context(), level, "request refused", "method", r.Method, "path", r.URL.Path, "status", status, "actor", who, "remote", clientIP(r), "err", err)
	if status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="slipway"`)
	}
	writeJSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: err.Error()}})
}

// StatusOf maps an error to its HTTP status and code: the codes the CLI
// uses (slipway.ErrorCode) plus unauthenticated, rate_limited and
// unavailable.
func StatusOf(err error) (int, string) {
	var un *auth.ErrUnauthenticated
	var rl *rateLimited
	var out *engine.Outage
	switch {
	case errors.As(err, &un):
		return http.StatusUnauthorized, CodeUnauthenticated
	case errors.As(err, &rl):
		return http.StatusTooManyRequests, CodeRateLimited
	case errors.As(err, &out):
		return http.StatusServiceUnavailable, CodeUnavailable
	}
	code := slipway.ErrorCode(err)
	switch code {
	case slipway.EINVALID:
		return http.StatusBadRequest, code
	case slipway.ENOTFOUND:
		return http.StatusNotFound, code
	case slipway.ECONFLICT:
		return http.StatusConflict, code
	case slipway.EFORBIDDEN:
		return http.StatusForbidden, code
	}
	return http.StatusInternalServerError, slipway.EINTERNAL
}

type rateLimited struct {
	what string
	wait time.Duration
}

func (r *rateLimited) Error() string {
	return fmt.Sprintf("too many %s attempts: try again in %s", r.what, r.wait.Round(time.Second))
}

// maxBody bounds every request body.
const maxBody = 1 << 20

// decode reads a JSON request body into a T, refusing unknown fields.
func decode[T any](r *http.Request) (T, error) {
	var v T
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		if errors.Is(err, io.EOF) {
			return v, slipway.Errorf(slipway.EINVALID, "the request has no body: send a JSON object (see /api/v1/openapi.json)")
		}
		return v, slipway.Errorf(slipway.EINVALID, "request body: %v (see /api/v1/openapi.json)", err)
	}
	if dec.More() {
		return v, slipway.Errorf(slipway.EINVALID, "request body: one JSON object expected")
	}
	return v, nil
}

// clientIP is the address a request came from (the proxy's, behind one).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// actorName names a request's caller for the engine's user parameters.
func actorName(r *http.Request) string {
	if a := slipway.ActorFrom(r.Context()); a != nil {
		return a.Name
	}
	return ""
}
