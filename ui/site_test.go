package ui

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slipway/slipway/api"
	"github.com/slipway/slipway/api/apitest"
	"github.com/slipway/slipway/app"
	"github.com/slipway/slipway/auth"
	"github.com/slipway/slipway/config"
	"github.com/slipway/slipway/demo"
	"github.com/slipway/slipway/engine"
)

// site is a running Slipway as `slipway serve` mounts it: the API and the
// UI on one mux, over a real engine and store.
type site struct {
	T   testing.TB
	E   *engine.Engine
	API *api.Server
	UI  *UI
	Srv *httptest.Server
}

func serve(t testing.TB, s *api.Server) *site {
	t.Helper()
	u, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	s.Mount(mux)
	u.Mount(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &site{T: t, E: s.Engine, API: s, UI: u, Srv: srv}
}

// worldSite serves the API test world (two services, dev and prod; prod
// needs one approval from the sre group).
func worldSite(t testing.TB) (*apitest.World, *site) {
	w := apitest.New(t, apitest.Options{})
	return w, serve(t, w.API)
}

// The demo's story, played once per test binary: a real canary with
// measurements (v1.0.0 promoted, v1.1.0 aborted by its analysis), releases
// and an audit trail.
var story struct {
	once sync.Once
	res  *demo.Result
	dir  string
	err  error
}

// demoPassword is set on the demo's users for these tests.
const demoPassword = "a password for the ui tests"

func demoResult(t testing.TB) *demo.Result {
	t.Helper()
	story.once.Do(func() {
		if story.dir, story.err = os.MkdirTemp("", "slipway-ui-demo-"); story.err != nil {
			return
		}
		story.res, story.err = demo.Run(context.Background(), demo.Options{Dir: story.dir})
	})
	if story.err != nil {
		t.Fatalf("the demo story: %v", story.err)
	}
	return story.res
}

func TestMain(m *testing.M) {
	code := m.Run()
	if story.dir != "" {
		os.RemoveAll(story.dir)
	}
	os.Exit(code)
}

// demoSite serves the demo's store with a fresh engine, at a fixed clock.
func demoSite(t testing.TB) (*demo.Result, *site) {
	res := demoResult(t)
	cfg, err := config.Load(res.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC) }
	quiet := quietLog()
	e, err := app.Open(context.Background(), app.Options{Config: cfg, StateDir: res.StateDir, Now: clock, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	a := &auth.Service{Store: e.Store, Policy: cfg.AccessPolicy(), Now: clock}
	for _, u := range []string{"alice@example.com", "bob@example.com"} {
		if err := a.SetPassword(context.Background(), u, demoPassword); err != nil {
			t.Fatal(err)
		}
	}
	s := api.New(e, a, quiet)
	s.Now = clock
	return res, serve(t, s)
}

// browser is a person's HTTP client: a cookie jar, redirects not followed.
type browser struct {
	t    testing.TB
	site *site
	c    *http.Client
}

func (s *site) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: s.T, site: s, c: &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// page is one answer.
type page struct {
	Status   int
	Location string
	Body     string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{Status: resp.StatusCode, Location: resp.Header.Get("Location"), Body: string(body)}
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.site.Srv.URL+path, nil)
	return b.do(req)
}

// post sends a form as a browser does from a page of the same site.
func (b *browser) post(path string, form url.Values, header ...string) page {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.site.Srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.site.Srv.URL)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

// login logs in through the login form and lands on next.
func (b *browser) login(user, password, next string) page {
	b.t.Helper()
	p := b.post("/login", url.Values{"username": {user}, "password": {password}, "next": {next}})
	if p.Status != http.StatusSeeOther || p.Location != next {
		b.t.Fatalf("login of %s: %d to %q\n%s", user, p.Status, p.Location, p.Body)
	}
	return b.get(next)
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// csrf is the CSRF token in a page's forms.
func csrf(t testing.TB, p page) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no CSRF token in the page:\n%s", p.Body)
	}
	return m[1]
}

func mustContain(t testing.TB, p page, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(p.Body, w) && !strings.Contains(html.UnescapeString(p.Body), w) {
			t.Errorf("the page (%d) lacks %q", p.Status, w)
		}
	}
	if t.Failed() {
		t.Logf("page:\n%s", p.Body)
		t.FailNow()
	}
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
