package ui

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/api/apitest"
	"github.com/slipway/slipway/engine"
	"github.com/slipway/slipway/gate"
)

// Every page needs a session: a stranger is sent to the login page, which
// brings them back where they were going.
func TestPagesNeedASession(t *testing.T) {
	_, s := worldSite(t)
	b := s.browser()
	for _, path := range []string{"/", "/promotions/p-1", "/promotions/p-1/canary", "/releases", "/releases/api/1.0.0", "/freezes", "/audit?before=3", "/promotions", "/promotions?env=prod&state=aborted&before=p-9"} {
		p := b.get(path)
		if p.Status != http.StatusSeeOther || p.Location != "/login?next="+url.QueryEscape(path) {
			t.Errorf("GET %s without a session: %d to %q", path, p.Status, p.Location)
		}
	}
	// A POST without a session changes nothing and goes to the login page too.
	if p := b.post("/promotions/p-1/approve", url.Values{"csrf_token": {"x"}}); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/login") {
		t.Errorf("POST approve without a session: %d %q", p.Status, p.Location)
	}
	// A forged or ended session cookie is no session.
	b.c.Jar.SetCookies(mustURL(t, s.Srv.URL), []*http.Cookie{{Name: "slipway_session", Value: strings.Repeat("x", 43)}})
	if p := b.get("/"); p.Status != http.StatusSeeOther {
		t.Errorf("GET / with a forged cookie: %d", p.Status)
	}
}

func mustURL(t testing.TB, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestLoginLogout(t *testing.T) {
	_, s := worldSite(t)
	b := s.browser()
	p := b.post("/login", url.Values{"username": {apitest.Victor}, "password": {"wrong"}, "next": {"/"}})
	if p.Status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", p.Status)
	}
	mustContain(t, p, "Wrong user name or password.", `value="victor@example.com"`)
	if got := b.c.Jar.Cookies(mustURL(t, s.Srv.URL)); len(got) != 0 {
		t.Fatalf("a refused login set cookies: %v", got)
	}
	// The page after login stays on this site.
	p = b.post("/login", url.Values{"username": {apitest.Victor}, "password": {apitest.Password}, "next": {"//evil.example/x"}})
	if p.Status != http.StatusSeeOther || p.Location != "/" {
		t.Fatalf("login with a foreign next: %d %q", p.Status, p.Location)
	}
	home := b.get("/")
	mustContain(t, home, "victor@example.com", "Log out", "<h1>Environments</h1>")
	// Logging out needs the form's token; then the session is gone.
	if p := b.post("/logout", url.Values{}); p.Status != http.StatusForbidden {
		t.Fatalf("logout without the CSRF token: %d", p.Status)
	}
	if p := b.post("/logout", url.Values{"csrf_token": {csrf(t, home)}}); p.Status != http.StatusSeeOther || p.Location != "/login" {
		t.Fatalf("logout: %d %q", p.Status, p.Location)
	}
	if p := b.get("/"); p.Status != http.StatusSeeOther {
		t.Fatalf("after logout: %d", p.Status)
	}
}

// The matrix: service × environment with version, digest, since and the
// state in words; the waiting promotion is listed.
func TestMatrix(t *testing.T) {
	w, s := worldSite(t)
	p := w.Waiting("api")
	dev, err := w.Engine.Store.Promotions.Current(context.Background(), "api", "dev")
	if err != nil || dev == nil {
		t.Fatalf("dev runs nothing: %v", err)
	}
	rel, err := w.Engine.Store.Releases.ReleaseOfBuild(context.Background(), dev.BuildID)
	if err != nil || rel == nil {
		t.Fatalf("the build in dev has no release: %v", err)
	}
	b := s.browser()
	home := b.login(apitest.Victor, apitest.Password, "/")
	mustContain(t, home,
		`<th scope="col">dev</th>`, `<th scope="col">prod</th>`, `<th scope="row">api</th>`, `<th scope="row">web</th>`,
		`<span class="version">`+rel.Tag+`</span>`, slipway.Digest12(dev.Digest), `datetime="`+dev.Updated.UTC().Format("2006-01-02T15:04:05Z07:00")+`"`,
		`<span class="badge tone-ok">running</span>`, `<span class="badge tone-none">nothing deployed</span>`,
		`<span class="badge tone-wait">waiting</span>`, `href="/promotions/`+p.ID+`"`)
}

// The promotion page shows every gate with the engine's why text, the
// forms, and the change its pin will make.
func TestPromotionWaiting(t *testing.T) {
	w, s := worldSite(t)
	p := w.Waiting("api")
	rep, err := w.Engine.Why(context.Background(), "api", "prod")
	if err != nil {
		t.Fatal(err)
	}
	b := s.browser()
	pg := b.login(apitest.Victor, apitest.Password, "/promotions/"+p.ID)
	mustContain(t, pg, `<h1>Promotion `+p.ID+`: api to prod</h1>`, `id="approve"`, `id="reject"`, "Nothing is committed yet")
	for _, g := range rep.Gates {
		mustContain(t, pg, `data-gate="`+g.Name+`" data-state="`+string(g.State)+`"`, html.EscapeString(g.Reason))
	}
	if g := gateOf(rep, "approvals"); g == nil || g.State == gate.Pass {
		t.Fatalf("the approval gate should hold the promotion: %+v", rep.Gates)
	}
	if p := b.get("/promotions/p-999"); p.Status != http.StatusNotFound {
		t.Fatalf("unknown promotion: %d", p.Status)
	}
}

func gateOf(rep *engine.GateReport, name string) *gate.Result {
	for i := range rep.Gates {
		if rep.Gates[i].Name == name {
			return &rep.Gates[i]
		}
	}
	return nil
}

// Alice asked for the promotion: the engine refuses her approval (403) and
// the page says why, in the engine's words; nothing is recorded.
func TestSelfApprovalRefusedOnThePage(t *testing.T) {
	w, s := worldSite(t)
	p := w.Waiting("api")
	b := s.browser()
	pg := b.login(apitest.Alice, apitest.Password, "/promotions/"+p.ID)
	res := b.post("/promotions/"+p.ID+"/approve", url.Values{"csrf_token": {csrf(t, pg)}, "comment": {"mine"}})
	if res.Status != http.StatusForbidden {
		t.Fatalf("self-approval: %d\n%s", res.Status, res.Body)
	}
	_, err := w.Engine.Approve(w.As(apitest.Alice), p.ID, apitest.Alice, true, "")
	if slipway.ErrorCode(err) != slipway.EFORBIDDEN {
		t.Fatalf("the engine should refuse alice: %v", err)
	}
	mustContain(t, res, `role="alert"`, `<p id="error-message">`+html.EscapeString(err.Error())+`</p>`, `id="approve"`)
	if as, _ := w.Engine.Store.Gates.Approvals(context.Background(), p.ID); len(as) != 0 {
		t.Fatalf("a refused approval was recorded: %+v", as)
	}
}

// A form without the session's token, with another token, or posted from
// another site changes nothing; with it, bob's approval turns the gate
// green and the pull request's pin change shows.
func TestApproveNeedsTheCSRFToken(t *testing.T) {
	w, s := worldSite(t)
	p := w.Waiting("api")
	b := s.browser()
	pg := b.login(apitest.Bob, apitest.Password, "/promotions/"+p.ID)
	tok := csrf(t, pg)
	for name, c := range map[string]struct {
		form   url.Values
		header []string
	}{
		"no token":      {url.Values{}, nil},
		"another token": {url.Values{"csrf_token": {strings.Repeat("A", len(tok))}}, nil},
		"cross-site":    {url.Values{"csrf_token": {tok}}, []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}},
	} {
		res := b.post("/promotions/"+p.ID+"/approve", c.form, c.header...)
		if res.Status != http.StatusForbidden {
			t.Errorf("%s: %d", name, res.Status)
		}
	}
	if as, _ := w.Engine.Store.Gates.Approvals(context.Background(), p.ID); len(as) != 0 {
		t.Fatalf("a refused form was recorded: %+v", as)
	}
	res := b.post("/promotions/"+p.ID+"/approve", url.Values{"csrf_token": {tok}, "comment": {"looks good"}})
	if res.Status != http.StatusSeeOther || res.Location != "/promotions/"+p.ID+"?done=approved" {
		t.Fatalf("approve: %d %q\n%s", res.Status, res.Location, res.Body)
	}
	pg = b.get(res.Location)
	now, err := w.Engine.Store.Promotions.Promotion(context.Background(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, pg, "Your approval is recorded.", `data-gate="approvals" data-state="pass"`, "looks good", "bob@example.com",
		`<span id="state" class="badge tone-wait">`+string(now.State)+`</span>`)
	if now.Head == "" {
		t.Fatalf("the approved promotion has no pull request head: %+v", now)
	}
	// The pin change is the pull request head's diff, read from Git.
	mustContain(t, pg, "pull request head", `<span class="d-add">+  digest: `, now.Digest)
}

// The notice comes from a fixed list: a query string cannot put text on
// the page.
func TestNoticeIsNotReflected(t *testing.T) {
	w, s := worldSite(t)
	p := w.Waiting("api")
	b := s.browser()
	pg := b.login(apitest.Victor, apitest.Password, "/promotions/"+p.ID+"?done=%3Cscript%3Ealert(1)%3C/script%3E")
	if strings.Contains(pg.Body, "<script>") || strings.Contains(pg.Body, "alert(1)") {
		t.Fatal("the query string reached the page")
	}
}

// TestRejectIsRecordedAndHoldsTheGate: a reviewer's rejection through the
// form is recorded under their name with the comment, and the approvals
// gate does not pass on it.
func TestRejectIsRecordedAndHoldsTheGate(t *testing.T) {
	w, s := worldSite(t)
	p := w.Waiting("api")
	b := s.browser()
	pg := b.login(apitest.Bob, apitest.Password, "/promotions/"+p.ID)
	res := b.post("/promotions/"+p.ID+"/reject", url.Values{"csrf_token": {csrf(t, pg)}, "comment": {"error budget spent"}})
	if res.Status != http.StatusSeeOther || res.Location != "/promotions/"+p.ID+"?done=rejected" {
		t.Fatalf("reject: %d %q\n%s", res.Status, res.Location, res.Body)
	}
	as, _ := w.Engine.Store.Gates.Approvals(context.Background(), p.ID)
	if len(as) != 1 || as[0].Approve || as[0].User != apitest.Bob || as[0].Comment != "error budget spent" {
		t.Fatalf("recorded decisions: %+v", as)
	}
	pg = b.get(res.Location)
	mustContain(t, pg, "Your rejection is recorded.", "error budget spent")
	if strings.Contains(pg.Body, `data-gate="approvals" data-state="pass"`) {
		t.Error("a rejection made the approvals gate pass")
	}
}

// TestPausedCanaryDecidedOnThePage: a paused canary shows the decision
// forms; someone without canary-decide is refused with the engine's 403;
// the person on call aborts it, and the promotion says so.
func TestPausedCanaryDecidedOnThePage(t *testing.T) {
	w, s := worldSite(t)
	p := w.Paused("api")
	victor := s.browser()
	pg := victor.login(apitest.Victor, apitest.Password, "/promotions/"+p.ID)
	mustContain(t, pg, "The canary waits for a decision", `action="/promotions/`+p.ID+`/canary/abort"`)
	res := victor.post("/promotions/"+p.ID+"/canary/abort", url.Values{"csrf_token": {csrf(t, pg)}, "reason": {"looks bad"}})
	if res.Status != http.StatusForbidden || !strings.Contains(res.Body, "canary-decide") {
		t.Fatalf("a viewer aborts the canary: %d\n%s", res.Status, res.Body)
	}
	oscar := s.browser()
	pg = oscar.login(apitest.Oscar, apitest.Password, "/promotions/"+p.ID)
	res = oscar.post("/promotions/"+p.ID+"/canary/abort", url.Values{"csrf_token": {csrf(t, pg)}, "reason": {"p99 latency doubled"}})
	if res.Status != http.StatusSeeOther || res.Location != "/promotions/"+p.ID+"?done=canary-aborted" {
		t.Fatalf("abort: %d %q\n%s", res.Status, res.Location, res.Body)
	}
	now, err := w.Engine.Store.Promotions.Promotion(context.Background(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if now.State != slipway.StateAborted || !strings.Contains(now.Reason, "p99 latency doubled") {
		t.Fatalf("after the abort: %s %q", now.State, now.Reason)
	}
	pg = oscar.get(res.Location)
	mustContain(t, pg, "The canary is aborted")
	if strings.Contains(pg.Body, "The canary waits for a decision") {
		t.Error("an aborted canary still offers the decision")
	}
}

// TestOverrideOnThePage: break glass needs the override permission (403
// for a viewer) and a reason; granted, it is recorded on the promotion.
func TestOverrideOnThePage(t *testing.T) {
	w, s := worldSite(t)
	p := w.Waiting("api")
	victor := s.browser()
	pg := victor.login(apitest.Victor, apitest.Password, "/promotions/"+p.ID)
	mustContain(t, pg, "Break glass", `action="/promotions/`+p.ID+`/override"`)
	if res := victor.post("/promotions/"+p.ID+"/override", url.Values{"csrf_token": {csrf(t, pg)}, "reason": {"now"}}); res.Status != http.StatusForbidden {
		t.Fatalf("a viewer overrides: %d\n%s", res.Status, res.Body)
	}
	oscar := s.browser()
	pg = oscar.login(apitest.Oscar, apitest.Password, "/promotions/"+p.ID)
	res := oscar.post("/promotions/"+p.ID+"/override", url.Values{"csrf_token": {csrf(t, pg)}, "reason": {"customers are down, the fix must ship"}})
	if res.Status != http.StatusSeeOther || res.Location != "/promotions/"+p.ID+"?done=overridden" {
		t.Fatalf("override: %d %q\n%s", res.Status, res.Location, res.Body)
	}
	mustContain(t, oscar.get(res.Location), "Break glass recorded")
	es, _ := w.Engine.Store.Audit.AuditOf(context.Background(), p.ID)
	found := false
	for _, e := range es {
		found = found || strings.Contains(e.Verdict, "customers are down, the fix must ship")
	}
	if !found {
		t.Errorf("the override is not in the audit: %+v", es)
	}
}
