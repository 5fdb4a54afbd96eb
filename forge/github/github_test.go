package github

import (
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
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/forge"
	"github.com/slipway/slipway/forge/forgetest"
)

// installations plays GitHub's POST /app/installations/{id}/access_tokens:
// it verifies the app's JWT with the app's public key (RS256), checks its
// claims as GitHub does, and issues one-hour installation tokens.
type installations struct {
	t       *testing.T
	pub     *rsa.PublicKey
	appID   string
	now     func() time.Time
	mu      sync.Mutex
	issued  map[string]bool
	scopes  [][]string
	refuse  bool
	counter int
}

func (in *installations) exchange(rw http.ResponseWriter, r *http.Request) {
	in.mu.Lock()
	defer in.mu.Unlock()
	jwt, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || in.refuse || r.PathValue("id") != "4242" {
		forgetest.JSON(rw, 401, map[string]any{"message": "A JSON web token could not be decoded", "documentation_url": docs})
		return
	}
	if err := in.verify(jwt); err != nil {
		in.t.Errorf("the app JWT does not verify: %v", err)
		forgetest.JSON(rw, 401, map[string]any{"message": "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued", "documentation_url": docs})
		return
	}
	var body struct {
		Repositories []string `json:"repositories"`
	}
	_ = forgetest.Decode(r, &body)
	in.scopes = append(in.scopes, body.Repositories)
	in.counter++
	tok := fmt.Sprintf("ghs_installation%d", in.counter)
	in.issued[tok] = true
	forgetest.JSON(rw, 201, map[string]any{"token": tok, "expires_at": in.now().Add(time.Hour).UTC().Format(time.RFC3339),
		"permissions": map[string]string{"contents": "write", "pull_requests": "write"}, "repository_selection": "selected"})
}

func (in *installations) verify(jwt string) error {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return fmt.Errorf("%d parts", len(parts))
	}
	var header struct{ Alg, Typ string }
	if b, err := base64.RawURLEncoding.DecodeString(parts[0]); err != nil || json.Unmarshal(b, &header) != nil || header.Alg != "RS256" {
		return fmt.Errorf("header %+v", header)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return err
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(in.pub, crypto.SHA256, digest[:], sig); err != nil {
		return fmt.Errorf("signature: %w", err)
	}
	var claims struct {
		IAT, EXP int64
		ISS      string
	}
	b, _ := base64.RawURLEncoding.DecodeString(parts[1])
	if err := json.Unmarshal(b, &claims); err != nil {
		return err
	}
	now := in.now().Unix()
	if claims.ISS != in.appID || claims.IAT > now || claims.EXP <= now || claims.EXP-claims.IAT > 600 {
		return fmt.Errorf("claims %+v at %d", claims, now)
	}
	return nil
}

func (in *installations) valid(tok string) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.issued[tok]
}

func writeKey(t *testing.T, dir string) *rsa.PrivateKey {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.WriteFile(filepath.Join(dir, "app.pem"), pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	return key
}

func TestAppInstallationTokenIsSignedExchangedCachedAndRenewed(t *testing.T) {
	dir := t.TempDir()
	key := writeKey(t, dir)
	var mu sync.Mutex
	clock := forgetest.Now
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }

	w := forgetest.NewWorld()
	fake := startFake(t, w)
	inst := &installations{t: t, pub: &key.PublicKey, appID: "123456", now: now, issued: map[string]bool{}}
	fake.exchange, fake.token = inst.exchange, inst.valid
	f, err := forge.Open(forge.Config{Type: forge.GitHub, URL: fake.srv.URL, Repo: "acme/gitops", Now: now,
		App: &forge.GitHubApp{AppID: "123456", InstallationID: 4242, PrivateKeyFile: filepath.Join(dir, "app.pem")}})
	if err != nil {
		t.Fatal(err)
	}
	w.Push("slipway/dev/api/1")
	ctx := context.Background()
	if _, err := f.Open(ctx, &slipway.PullRequest{Branch: "slipway/dev/api/1", Base: "main", Title: "t"}); err != nil {
		t.Fatalf("Open as the app: %v", err)
	}
	for range 3 {
		if _, err := f.Get(ctx, 1); err != nil {
			t.Fatal(err)
		}
	}
	if inst.counter != 1 {
		t.Fatalf("%d token exchanges for one hour of calls; the token must be cached", inst.counter)
	}
	if len(inst.scopes[0]) != 1 || inst.scopes[0][0] != "gitops" {
		t.Errorf("the token was requested for %v; want it scoped to the one repository [gitops]", inst.scopes[0])
	}
	advance(54 * time.Minute)
	f.Get(ctx, 1)
	if inst.counter != 1 {
		t.Fatalf("renewed at 54 minutes (%d exchanges); a token is good until 5 minutes before expiry", inst.counter)
	}
	advance(2 * time.Minute)
	if _, err := f.Get(ctx, 1); err != nil || inst.counter != 2 {
		t.Fatalf("at 56 minutes: %v after %d exchanges; want one renewal", err, inst.counter)
	}
	for _, r := range w.Log() {
		if strings.HasSuffix(r.Path, "/access_tokens") && r.Method != http.MethodPost {
			t.Errorf("token exchange used %s", r.Method)
		}
	}

	inst.refuse = true
	advance(2 * time.Hour)
	_, err = f.Get(ctx, 1)
	if slipway.ErrorCode(err) != slipway.EFORBIDDEN || !strings.Contains(err.Error(), "installation 4242") {
		t.Fatalf("a refused exchange: %v; want EFORBIDDEN naming the installation", err)
	}
}

func TestAppKeyMustBeAnRSAPrivateKey(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"garbage.pem": "not a key",
		"cert.pem":    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
	} {
		os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600)
		_, err := New(forge.Config{Repo: "acme/gitops", App: &forge.GitHubApp{AppID: "1", InstallationID: 2, PrivateKeyFile: filepath.Join(dir, name)}})
		if slipway.ErrorCode(err) != slipway.EINVALID || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v; want EINVALID naming the file", name, err)
		}
	}
	_, err := New(forge.Config{Repo: "acme/gitops", App: &forge.GitHubApp{AppID: "1", InstallationID: 2, PrivateKeyFile: filepath.Join(dir, "missing.pem")}})
	if slipway.ErrorCode(err) != slipway.EINVALID || !strings.Contains(err.Error(), "privateKeyFile") {
		t.Errorf("missing key: %v", err)
	}
}

func TestTokenGoesOnlyToTheAPIHost(t *testing.T) {
	var got []string
	rec := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		got = append(got, r.URL.Host+" "+r.Header.Get("Authorization"))
		return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
	})
	b := &bearer{base: rec, host: "api.github.com", token: func(context.Context) (string, error) { return "tok", nil }}
	for _, u := range []string{"https://api.github.com/repos/a/b", "https://evil.example/steal", "https://api.github.com.evil.example/x"} {
		req, _ := http.NewRequest("GET", u, nil)
		b.RoundTrip(req)
		if req.Header.Get("Authorization") != "" {
			t.Fatal("bearer modified the caller's request")
		}
	}
	want := []string{"api.github.com Bearer tok", "evil.example ", "api.github.com.evil.example "}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("sent %q, want %q", got, want)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestEnterpriseBase(t *testing.T) {
	for in, want := range map[string]string{
		"https://ghe.example.com":        "https://ghe.example.com/api/v3/",
		"https://ghe.example.com/":       "https://ghe.example.com/api/v3/",
		"https://ghe.example.com/api/v3": "https://ghe.example.com/api/v3/",
		"https://api.ghe.example.com":    "https://api.ghe.example.com/",
		"http://127.0.0.1:8080/prefix":   "http://127.0.0.1:8080/prefix/api/v3/",
	} {
		if got := enterpriseBase(in); got != want {
			t.Errorf("enterpriseBase(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWebhookReviewDismissedAndClosedUnmerged(t *testing.T) {
	e := forgetest.Start(t, newFake)
	parser := e.Forge.(slipway.WebhookParser)
	post := func(event string, payload map[string]any) (*slipway.ForgeEvent, error) {
		body, _ := json.Marshal(payload)
		req := httptest.NewRequest("POST", "/webhooks/github", strings.NewReader(string(body)))
		req.Header.Set("X-GitHub-Event", event)
		req.Header.Set("X-GitHub-Delivery", "d-1")
		req.Header.Set("X-Hub-Signature-256", "sha256="+forge.SignHMAC([]byte(forgetest.Secret), body))
		return parser.ParseWebhook(req, body)
	}
	repo := map[string]any{"full_name": "ACME/GitOps"} // GitHub names compare case-insensitively
	ev, err := post("pull_request_review", map[string]any{"action": "dismissed", "repository": repo, "sender": map[string]any{"login": "lead"},
		"pull_request": map[string]any{"number": 3, "head": map[string]any{"ref": "b", "sha": "abc"}},
		"review":       map[string]any{"state": "dismissed", "user": map[string]any{"login": "alice"}, "commit_id": "abc"}})
	if err != nil || ev.Kind != "reviewed" || ev.Review.State != "dismissed" || ev.Review.User != "alice" {
		t.Fatalf("dismissed review = %+v, %v", ev, err)
	}
	ev, err = post("pull_request", map[string]any{"action": "closed", "repository": repo, "sender": map[string]any{"login": "erin"},
		"pull_request": map[string]any{"number": 3, "merged": false, "head": map[string]any{"ref": "b", "sha": "abc"}}})
	if err != nil || ev.Kind != "closed" || ev.Actor != "erin" || ev.MergeSHA != "" {
		t.Fatalf("closed delivery = %+v, %v", ev, err)
	}
	ev, err = post("pull_request", map[string]any{"action": "labeled", "repository": repo, "pull_request": map[string]any{"number": 3}})
	if err != nil || ev != nil {
		t.Fatalf("labeled delivery = %+v, %v; want ignored", ev, err)
	}
	// A SHA-1 signature (X-Hub-Signature's scheme) is not accepted in the
	// SHA-256 header.
	body := []byte(`{"action":"opened"}`)
	req := httptest.NewRequest("POST", "/", strings.NewReader(string(body)))
	req.Header.Set("X-GitHub-Event", "pull_request")
	req.Header.Set("X-Hub-Signature-256", "sha1="+forge.SignHMAC([]byte(forgetest.Secret), body))
	if _, err := parser.ParseWebhook(req, body); slipway.ErrorCode(err) != slipway.EFORBIDDEN {
		t.Fatalf("sha1= prefix: %v; want EFORBIDDEN", err)
	}
}

// FuzzParseWebhook feeds correctly signed bodies of any shape: the parser
// must never panic and never return an event without a kind and a pull
// request number.
func FuzzParseWebhook(f *testing.F) {
	f.Add("pull_request", `{"action":"closed","repository":{"full_name":"acme/gitops"},"pull_request":{"number":1,"merged":true,"merge_commit_sha":"x"}}`)
	f.Add("pull_request_review", `{"action":"submitted","repository":{"full_name":"acme/gitops"},"review":{"state":"APPROVED"},"pull_request":{"number":2}}`)
	f.Add("pull_request", `{"action":"opened","repository":{"full_name":"acme/gitops"},"pull_request":null}`)
	f.Add("push", `[]`)
	f.Add("pull_request", `{`)
	fg := &Forge{owner: "acme", repo: "gitops", secret: []byte("s")}
	f.Fuzz(func(t *testing.T, event, body string) {
		req := httptest.NewRequest("POST", "/", strings.NewReader(body))
		req.Header.Set("X-GitHub-Event", event)
		req.Header.Set("X-Hub-Signature-256", "sha256="+forge.SignHMAC([]byte("s"), []byte(body)))
		ev, err := fg.ParseWebhook(req, []byte(body))
		if err != nil && slipway.ErrorCode(err) != slipway.EINVALID {
			t.Fatalf("signed body refused with %v", err)
		}
		if ev != nil && (ev.Kind == "" || ev.Number <= 0) {
			t.Fatalf("event without a kind: %+v", ev)
		}
	})
}

// FuzzParseRSAKey: whatever is in the key file, parsing fails cleanly or
// yields a key.
func FuzzParseRSAKey(f *testing.F) {
	key, _ := rsa.GenerateKey(rand.Reader, 1024)
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	pk8, _ := x509.MarshalPKCS8PrivateKey(key)
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk8}))
	f.Add([]byte("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := parseRSAKey(b)
		if (k == nil) == (err == nil) {
			t.Fatalf("parseRSAKey = %v, %v", k, err)
		}
	})
}
