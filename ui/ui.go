// Package ui is Slipway's web UI: server-rendered pages (html/template,
// templates and CSS embedded in the binary; no JavaScript needed) on the
// same mux as the REST API. It reads through the engine and its store and
// changes things only through the engine, which checks every permission;
// the UI shows the engine's refusal to the person.
//
// Every page needs a browser session (the api package's session cookie,
// started by the UI's own login form through the same auth.Service and
// rate limiter as POST /auth/login). Forms that change something carry the
// session's CSRF token in a hidden field, checked here, behind Go's
// cross-origin protection.
package ui

import (
	"crypto/subtle"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/api"
	"github.com/slipway/slipway/auth"
	"github.com/slipway/slipway/engine"
)

//go:embed templates/*.html static/*
var assets embed.FS

// UI serves the web pages. Create it with New.
type UI struct {
	API    *api.Server
	Engine *engine.Engine
	Auth   *auth.Service
	Log    *slog.Logger

	pages    map[string]*template.Template
	cop      *http.CrossOriginProtection
	pageSize int // rows of a /promotions page (0: promotionsPageSize); tests make it small
}

// pageNames are the templates rendered inside layout.html.
var pageNames = []string{"login", "matrix", "promotions", "promotion", "canary", "releases", "release", "freezes", "audit", "error"}

// New returns the UI over the API server's engine and authentication.
func New(s *api.Server) (*UI, error) {
	u := &UI{API: s, Engine: s.Engine, Auth: s.Auth, Log: s.Log, pages: map[string]*template.Template{}, cop: http.NewCrossOriginProtection()}
	if u.Log == nil {
		u.Log = slog.Default()
	}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/chart.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("ui template %s: %w", name, err)
		}
		u.pages[name] = t
	}
	return u, nil
}

// Mount registers the pages on mux: / and its pages, /login, /logout and
// /static/. The API's routes (/api/v1, /auth, /hooks) stay the API's.
func (u *UI) Mount(mux interface{ Handle(string, http.Handler) }) {
	static, _ := fs.Sub(assets, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheFor(time.Hour, http.FileServerFS(static))))
	mux.Handle("GET /login", u.cop.Handler(http.HandlerFunc(u.loginPage)))
	mux.Handle("POST /login", u.cop.Handler(http.HandlerFunc(u.login)))
	mux.Handle("POST /logout", u.form(u.logout))
	mux.Handle("GET /{$}", u.page(u.matrix))
	mux.Handle("GET /promotions", u.page(u.promotions))
	mux.Handle("GET /promotions/{id}", u.page(u.promotion))
	mux.Handle("POST /promotions/{id}/approve", u.form(u.decide(true)))
	mux.Handle("POST /promotions/{id}/reject", u.form(u.decide(false)))
	mux.Handle("POST /promotions/{id}/override", u.form(u.override))
	mux.Handle("GET /promotions/{id}/canary", u.page(u.canary))
	mux.Handle("POST /promotions/{id}/canary/promote", u.form(u.canaryDecision(true)))
	mux.Handle("POST /promotions/{id}/canary/abort", u.form(u.canaryDecision(false)))
	mux.Handle("GET /releases", u.page(u.releases))
	mux.Handle("GET /releases/{service}/{version}", u.page(u.release))
	mux.Handle("GET /freezes", u.page(u.freezes))
	mux.Handle("POST /holds/release", u.form(u.releaseHold))
	mux.Handle("POST /stops/on", u.form(u.stopLine))
	mux.Handle("POST /stops/lift", u.form(u.liftStop))
	mux.Handle("GET /audit", u.page(u.audit))
}

func cacheFor(d time.Duration, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(d.Seconds())))
		h.ServeHTTP(w, r)
	})
}

// view is what every page template receives.
type view struct {
	Title  string
	Nav    string // the nav entry of this page
	User   string
	CSRF   string
	Notice string // a success message (after a change)
	Error  string // the engine's refusal, shown in an alert
	Status int
	Data   any
}

// pageFunc fills a page's view; it returns the template's name.
type pageFunc func(w http.ResponseWriter, r *http.Request, v *view) (string, error)

// session reads the browser session of a request: nil when there is none
// or it ended.
func (u *UI) session(r *http.Request) (*slipway.Actor, *slipway.Session) {
	c, err := r.Cookie(api.SessionCookie)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	a, x, err := u.Auth.Session(r.Context(), c.Value)
	if err != nil {
		return nil, nil
	}
	return a, x
}

// signedIn is the request's person, the request carrying them as the actor
// and the page's view; nil (and the visitor sent to the login page) when
// no one is signed in.
func (u *UI) signedIn(w http.ResponseWriter, r *http.Request) (*http.Request, *slipway.Actor, *view) {
	a, x := u.session(r)
	if a == nil {
		u.toLogin(w, r)
		return r, nil, nil
	}
	return r.WithContext(slipway.WithActor(r.Context(), a)), a, &view{User: a.Name, CSRF: x.CSRF}
}

// page serves a GET page to a logged-in person with the read permission;
// anyone else is sent to the login page.
func (u *UI) page(fn pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, a, v := u.signedIn(w, r)
		if a == nil {
			return
		}
		if err := u.Engine.Cfg.AccessPolicy().Check(a, auth.Read, auth.Scope{}); err != nil {
			u.fail(w, r, v, err)
			return
		}
		name, err := fn(w, r, v)
		if err != nil {
			u.fail(w, r, v, err)
			return
		}
		u.render(w, r, name, v)
	})
}

// form serves a POST from a logged-in person whose form carries the
// session's CSRF token; cross-origin posts are refused before that.
func (u *UI) form(fn pageFunc) http.Handler {
	return u.cop.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		r, a, v := u.signedIn(w, r)
		if a == nil {
			return
		}
		if !validCSRF(r.PostFormValue("csrf_token"), v.CSRF) {
			u.fail(w, r, v, slipway.Errorf(slipway.EFORBIDDEN, "this form is stale or was not sent from Slipway (its CSRF token does not match your session): reload the page and try again"))
			return
		}
		name, err := fn(w, r, v)
		if err != nil {
			u.fail(w, r, v, err)
			return
		}
		if name != "" {
			u.render(w, r, name, v)
		}
	}))
}

func validCSRF(got, want string) bool {
	return got != "" && want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

func (u *UI) toLogin(w http.ResponseWriter, r *http.Request) {
	next := r.URL.RequestURI()
	if r.Method != http.MethodGet {
		next = "/"
	}
	http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
}

// fail renders the error page with the engine's message and the status the
// API would answer with.
func (u *UI) fail(w http.ResponseWriter, r *http.Request, v *view, err error) {
	status, _ := api.StatusOf(err)
	if status >= 500 {
		u.Log.Error("ui page", "path", r.URL.Path, "err", err)
	}
	v.Title, v.Status, v.Error = http.StatusText(status), status, err.Error()
	if status >= 500 {
		v.Error = "Slipway could not show this page: " + err.Error()
	}
	u.render(w, r, "error", v)
}

func (u *UI) render(w http.ResponseWriter, r *http.Request, name string, v *view) {
	t := u.pages[name]
	if t == nil {
		http.Error(w, "no page "+name, http.StatusInternalServerError)
		return
	}
	var b strings.Builder
	if err := t.Execute(&b, v); err != nil {
		u.Log.Error("ui render", "page", name, "err", err)
		http.Error(w, "the page could not be rendered; the server log says why", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	status := v.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	w.Write([]byte(b.String()))
}
