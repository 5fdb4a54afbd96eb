package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/api"
	"github.com/slipway/slipway/api/apitest"
	"github.com/slipway/slipway/auth"
	"github.com/slipway/slipway/auth/oidctest"
)

// browser is an HTTP client with a cookie jar that does not follow redirects.
func browser(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func send(t *testing.T, c *http.Client, method, u, body string, h map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp, b.String()
}

// TestPasswordLoginSessionAndCSRF: a login sets an HttpOnly, SameSite,
// Secure cookie; with it reads work, a change needs the session's CSRF
// token, a cross-site request is refused, and logout ends the session.
func TestPasswordLoginSessionAndCSRF(t *testing.T) {
	w := apitest.New(t, apitest.Options{})
	w.API.Secure = true
	p := w.Waiting("api")
	c := browser(t)
	resp, body := send(t, c, "POST", w.Server.URL+"/auth/login", `{"username":"Bob@example.com","password":"wrong password!"}`, nil)
	if resp.StatusCode != 401 || resp.Header.Get("Set-Cookie") != "" {
		t.Fatalf("wrong password: %d %s", resp.StatusCode, body)
	}
	resp, body = send(t, c, "POST", w.Server.URL+"/auth/login", `{"username":"Bob@example.com","password":"`+apitest.Password+`"}`, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("login: %d %s", resp.StatusCode, body)
	}
	var s api.Session
	json.Unmarshal([]byte(body), &s)
	cookie := resp.Cookies()[0]
	if cookie.Name != api.SessionCookie || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || !cookie.Secure || s.User != apitest.Bob || s.CSRFToken == "" {
		t.Fatalf("session cookie %+v, session %+v", cookie, s)
	}
	// The jar will not send a Secure cookie over http://: send it by hand.
	withCookie := map[string]string{"Cookie": api.SessionCookie + "=" + cookie.Value}
	if resp, body = send(t, c, "GET", w.Server.URL+"/api/v1/me", "", withCookie); resp.StatusCode != 200 || !strings.Contains(body, s.CSRFToken) {
		t.Fatalf("me with the cookie: %d %s", resp.StatusCode, body)
	}
	approve := w.Server.URL + "/api/v1/promotions/" + p.ID + "/approve"
	if resp, body = send(t, c, "POST", approve, "", withCookie); resp.StatusCode != 403 || !strings.Contains(body, "CSRF") {
		t.Fatalf("a change without the CSRF token: %d %s", resp.StatusCode, body)
	}
	if resp, body = send(t, c, "POST", approve, "", merge(withCookie, map[string]string{"X-CSRF-Token": "guess"})); resp.StatusCode != 403 {
		t.Fatalf("a wrong CSRF token: %d %s", resp.StatusCode, body)
	}
	crossSite := merge(withCookie, map[string]string{"X-CSRF-Token": s.CSRFToken, "Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example.com"})
	if resp, body = send(t, c, "POST", approve, "", crossSite); resp.StatusCode != 403 {
		t.Fatalf("a cross-site request: %d %s", resp.StatusCode, body)
	}
	if resp, body = send(t, c, "POST", approve, "", merge(withCookie, map[string]string{"X-CSRF-Token": s.CSRFToken})); resp.StatusCode != 200 {
		t.Fatalf("a change with the CSRF token: %d %s", resp.StatusCode, body)
	}
	as, _ := w.Engine.Store.Gates.Approvals(context.Background(), p.ID)
	if len(as) != 1 || as[0].User != apitest.Bob {
		t.Fatalf("the session's user approved: %+v", as)
	}
	resp, _ = send(t, c, "POST", w.Server.URL+"/auth/logout", "", merge(withCookie, map[string]string{"X-CSRF-Token": s.CSRFToken}))
	if resp.StatusCode != 200 || resp.Cookies()[0].MaxAge >= 0 {
		t.Fatalf("logout: %d %+v", resp.StatusCode, resp.Cookies())
	}
	if resp, _ = send(t, c, "GET", w.Server.URL+"/api/v1/me", "", withCookie); resp.StatusCode != 401 {
		t.Fatalf("after logout: %d", resp.StatusCode)
	}
}

func merge(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// Login attempts are limited per address and per user.
func TestLoginIsRateLimited(t *testing.T) {
	w := apitest.New(t, apitest.Options{})
	c := browser(t)
	for i := 0; i < 5; i++ {
		if resp, _ := send(t, c, "POST", w.Server.URL+"/auth/login", `{"username":"bob@example.com","password":"guess number `+string(rune('a'+i))+`"}`, nil); resp.StatusCode != 401 {
			t.Fatalf("attempt %d: %d", i+1, resp.StatusCode)
		}
	}
	resp, body := send(t, c, "POST", w.Server.URL+"/auth/login", `{"username":"bob@example.com","password":"`+apitest.Password+`"}`, nil)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "rate_limited") {
		t.Fatalf("sixth attempt, even the right password: %d %s %v", resp.StatusCode, body, resp.Header)
	}
	if resp, _ := send(t, c, "POST", w.Server.URL+"/auth/token", `{"username":"bob@example.com","password":"`+apitest.Password+`"}`, nil); resp.StatusCode != 429 {
		t.Fatalf("the CLI's password exchange shares the limit: %d", resp.StatusCode)
	}
}

// slipway login's exchange: a password for a personal token.
func TestPasswordForToken(t *testing.T) {
	w := apitest.New(t, apitest.Options{})
	r := w.Do("POST", "/auth/token", "", api.CLITokenRequest{Username: apitest.Carol, Password: apitest.Password, Name: "laptop"})
	var nt api.NewToken
	r.JSON(t, &nt)
	if r.Status != 201 || !strings.HasPrefix(nt.Secret, auth.TokenPrefix) || nt.Token.Owner != apitest.Carol || nt.Token.Expires == nil {
		t.Fatalf("token: %d %s", r.Status, r.Body)
	}
	var me api.Me
	w.Do("GET", "/api/v1/me", nt.Secret, nil).JSON(t, &me)
	if me.Name != apitest.Carol || me.Via != "token" {
		t.Fatalf("me %+v", me)
	}
	if r := w.Do("POST", "/auth/token", "", api.CLITokenRequest{Username: apitest.Carol, Password: "not it at all"}); r.Status != 401 {
		t.Fatalf("wrong password: %d", r.Status)
	}
}

// TestOIDCLoginOverHTTP: /auth/oidc/login sends the browser to the
// identity provider (oidctest, a stand-in for a real IdP with a real
// signing key) and the callback logs the person in; a callback whose state
// is not this browser's is refused.
func TestOIDCLoginOverHTTP(t *testing.T) {
	idp := oidctest.Start()
	defer idp.Close()
	w := apitest.New(t, apitest.Options{})
	o, err := auth.NewOIDC(context.Background(), auth.OIDCConfig{Issuer: idp.URL, ClientID: idp.ClientID, RedirectURL: w.Server.URL + "/auth/oidc/callback", GroupsClaim: "groups"}, idp.ClientSecret, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.API.OIDC = o
	c := browser(t)
	resp, body := send(t, c, "GET", w.Server.URL+"/auth/oidc/login?next=/promotions/p-1", "", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login start: %d %s", resp.StatusCode, body)
	}
	back, err := idp.Authorize(resp.Header.Get("Location"), map[string]any{"email": "dana@example.com", "email_verified": true, "groups": []string{"sre"}})
	if err != nil {
		t.Fatal(err)
	}
	// Another browser (no state cookie) cannot finish this login.
	if resp, _ := send(t, browser(t), "GET", back, "", nil); resp.StatusCode != 401 {
		t.Fatalf("callback from another browser: %d", resp.StatusCode)
	}
	resp, body = send(t, c, "GET", back, "", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/promotions/p-1" {
		t.Fatalf("callback: %d %s %v", resp.StatusCode, body, resp.Header)
	}
	resp, body = send(t, c, "GET", w.Server.URL+"/api/v1/me", "", nil)
	var me api.Me
	json.Unmarshal([]byte(body), &me)
	if resp.StatusCode != 200 || me.Name != "dana@example.com" || me.Via != "oidc" || me.Groups[0] != "sre" {
		t.Fatalf("me after OIDC login: %d %s", resp.StatusCode, body)
	}
	// Dana is in no slipway.yaml group, but roles granted to sre apply
	// through the provider's groups claim.
	if !strings.Contains(strings.Join(me.Permissions, ","), "approve") {
		t.Fatalf("dana's permissions %v", me.Permissions)
	}
	// A login that is not a local path goes home.
	resp, _ = send(t, c, "GET", w.Server.URL+"/auth/oidc/login?next=//evil.example.com", "", nil)
	u, _ := url.Parse(resp.Header.Get("Location"))
	if u.Host != mustHost(idp.URL) {
		t.Fatalf("login start went to %s", u)
	}
}

func mustHost(s string) string {
	u, _ := url.Parse(s)
	return u.Host
}

// TestErrorsAndPages: errors are JSON with the CLI's codes; lists page
// with cursors and say where the next page starts.
func TestErrorsAndPages(t *testing.T) {
	w := apitest.New(t, apitest.Options{})
	tok := w.Token(apitest.Victor)
	var ids []string
	for i := 0; i < 5; i++ {
		ids = append(ids, w.Waiting([]string{"api", "web"}[i%2]).ID)
	}
	var got []string
	cursor := ""
	pages := 0
	for {
		r := w.Do("GET", "/api/v1/promotions?env=prod&limit=2&cursor="+cursor, tok, nil)
		var p api.Page[api.Promotion]
		r.JSON(t, &p)
		pages++
		for _, x := range p.Items {
			got = append(got, x.ID)
		}
		if p.Next == "" {
			break
		}
		cursor = p.Next
	}
	if pages != 3 || strings.Join(got, ",") != strings.Join([]string{ids[4], ids[3], ids[2], ids[1], ids[0]}, ",") {
		t.Fatalf("pages %d: %v, want newest first %v", pages, got, ids)
	}
	for path, want := range map[string]struct {
		status int
		code   string
	}{
		"/api/v1/promotions?cursor=!!":      {400, slipway.EINVALID},
		"/api/v1/promotions?limit=100000":   {400, slipway.EINVALID},
		"/api/v1/promotions/p-999":          {404, slipway.ENOTFOUND},
		"/api/v1/services/nope":             {404, slipway.ENOTFOUND},
		"/api/v1/why?service=api":           {400, slipway.EINVALID},
		"/api/v1/promotions?active=maybe":   {400, slipway.EINVALID},
		"/api/v1/promotions/p-1/gates":      {409, slipway.ECONFLICT}, // superseded
		"/api/v1/builds?cursor=YWJj":        {400, slipway.EINVALID},
		"/api/v1/audit?cursor=bm90LWEtbnVt": {400, slipway.EINVALID},
	} {
		r := w.Do("GET", path, tok, nil)
		if r.Status != want.status || r.Code() != want.code {
			t.Errorf("%s: %d %s, want %d %s", path, r.Status, r.Body, want.status, want.code)
		}
	}
	r := w.Do("POST", "/api/v1/promotions", w.Token(apitest.Alice), map[string]any{"service": "api", "env": "prod", "bogus": 1})
	var e api.ErrorBody
	r.JSON(t, &e)
	if r.Status != 400 || !strings.Contains(e.Error.Message, `unknown field "bogus"`) {
		t.Errorf("unknown field: %d %s", r.Status, r.Body)
	}
	r = w.Do("GET", "/api/v1/me", "slw_not-a-token", nil)
	if r.Status != 401 || r.Header.Get("WWW-Authenticate") == "" || !strings.Contains(string(r.Body), "malformed") {
		t.Errorf("bad token: %d %s", r.Status, r.Body)
	}
}

// A CI token registers its service's builds over the API, and nothing else.
func TestCITokenOverTheAPI(t *testing.T) {
	w := apitest.New(t, apitest.Options{})
	tok := w.CIToken("api")
	ref, sha := w.Image("api")
	if r := w.Do("POST", "/api/v1/builds", tok, api.BuildRequest{Service: "api", Commit: sha, Image: ref.String()}); r.Status != 201 {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	ref, sha = w.Image("web")
	if r := w.Do("POST", "/api/v1/builds", tok, api.BuildRequest{Service: "web", Commit: sha, Image: ref.String()}); r.Status != 403 {
		t.Fatalf("another service's build: %d %s", r.Status, r.Body)
	}
	if r := w.Do("GET", "/api/v1/promotions", tok, nil); r.Status != 403 {
		t.Fatalf("a CI token reads: %d %s", r.Status, r.Body)
	}
}
