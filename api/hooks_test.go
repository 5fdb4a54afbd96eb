package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/api"
	"github.com/slipway/slipway/api/apitest"
	"github.com/slipway/slipway/auth"
	"github.com/slipway/slipway/config"
	"github.com/slipway/slipway/forge"
	"github.com/slipway/slipway/forge/github"
)

// post sends a raw body with headers.
func post(t *testing.T, w *apitest.World, path string, body []byte, h map[string]string) apitest.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", w.Server.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := w.Server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return apitest.Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// signed are the headers of a build event signed with key at time at.
func signed(key string, at time.Time, body []byte, delivery string) map[string]string {
	return map[string]string{
		auth.HeaderTimestamp: strconv.FormatInt(at.Unix(), 10),
		auth.HeaderSignature: auth.SignHook([]byte(key), at.Unix(), body),
		auth.HeaderDelivery:  delivery,
	}
}

// TestBuildHook: CI posts a signed build event. A good one registers the
// build (and dev pins it); a bad signature, a stale timestamp, a replayed
// delivery and a missing delivery id are refused, changing nothing.
func TestBuildHook(t *testing.T) {
	w := apitest.New(t, apitest.Options{})
	ref, sha := w.Image("api")
	body, _ := json.Marshal(api.BuildRequest{Service: "api", Commit: sha, Image: ref.String()})
	builds := func() int {
		bs, _ := w.Engine.Store.Builds.Builds(context.Background(), "api")
		return len(bs)
	}
	for name, c := range map[string]struct {
		body    []byte
		headers map[string]string
		status  int
		code    string
	}{
		"another key":       {body, signed("not the key", w.Now(), body, "d-1"), 401, api.CodeUnauthenticated},
		"altered body":      {bytes.Replace(body, []byte(`"api"`), []byte(`"web"`), 1), signed(apitest.HookKey, w.Now(), body, "d-1"), 401, api.CodeUnauthenticated},
		"stale":             {body, signed(apitest.HookKey, w.Now().Add(-6*time.Minute), body, "d-1"), 401, api.CodeUnauthenticated},
		"no signature":      {body, map[string]string{auth.HeaderDelivery: "d-1"}, 401, api.CodeUnauthenticated},
		"no delivery id":    {body, signed(apitest.HookKey, w.Now(), body, ""), 400, slipway.EINVALID},
		"unknown field":     {[]byte(`{"service":"api","extra":1}`), nil, 400, slipway.EINVALID},
		"a token is no key": {body, map[string]string{"Authorization": "Bearer " + w.Token(apitest.Root), auth.HeaderDelivery: "d-1"}, 401, api.CodeUnauthenticated},
	} {
		r := post(t, w, "/hooks/build", c.body, c.headers)
		if r.Status != c.status || r.Code() != c.code {
			t.Errorf("%s: %d %s, want %d %s", name, r.Status, r.Body, c.status, c.code)
		}
	}
	if n := builds(); n != 0 {
		t.Fatalf("refused deliveries registered %d builds", n)
	}
	r := post(t, w, "/hooks/build", body, signed(apitest.HookKey, w.Now(), body, "d-1"))
	var res api.BuildResult
	r.JSON(t, &res)
	if r.Status != http.StatusCreated || !res.Created || res.Build.Digest != ref.Digest {
		t.Fatalf("signed delivery: %d %s", r.Status, r.Body)
	}
	cur, _ := w.Engine.Store.Promotions.Current(context.Background(), "api", "dev")
	if cur == nil || cur.Digest != ref.Digest {
		t.Fatalf("dev should pin the build: %+v", cur)
	}
	// The same delivery again (a replay, even freshly signed) is refused.
	r = post(t, w, "/hooks/build", body, signed(apitest.HookKey, w.Now(), body, "d-1"))
	if r.Status != http.StatusConflict || r.Code() != slipway.ECONFLICT {
		t.Fatalf("replay: %d %s", r.Status, r.Body)
	}
	// A new delivery of the same build is idempotent: 200, nothing new.
	r = post(t, w, "/hooks/build", body, signed(apitest.HookKey, w.Now(), body, "d-2"))
	if r.Status != http.StatusOK {
		t.Fatalf("second delivery of one build: %d %s", r.Status, r.Body)
	}
	if builds() != 1 {
		t.Fatal("one build")
	}
}

// A service with its own key accepts only that key: another service's CI
// (holding the shared key) cannot register its builds.
func TestBuildHookServiceKeys(t *testing.T) {
	t.Setenv("WEB_HOOK_KEY", "web's own key")
	w := apitest.New(t, apitest.Options{})
	w.Engine.Cfg.Hooks.Build.Services = map[string]config.Secret{"web": {Env: "WEB_HOOK_KEY"}}
	ref, sha := w.Image("web")
	body, _ := json.Marshal(api.BuildRequest{Service: "web", Commit: sha, Image: ref.String()})
	if r := post(t, w, "/hooks/build", body, signed(apitest.HookKey, w.Now(), body, "w-1")); r.Status != 401 {
		t.Fatalf("the shared key for a service with its own: %d %s", r.Status, r.Body)
	}
	if r := post(t, w, "/hooks/build", body, signed("web's own key", w.Now(), body, "w-2")); r.Status != 201 {
		t.Fatalf("web's key: %d %s", r.Status, r.Body)
	}
}

// A delivery whose processing failed on Slipway's side may be retried with
// its id; one refused for what it is may not.
func TestBuildHookRetryAfterFailure(t *testing.T) {
	w := apitest.New(t, apitest.Options{})
	ref, sha := w.Image("api")
	body, _ := json.Marshal(api.BuildRequest{Service: "api", Commit: sha, Image: ref.String()})
	w.StopRegistry() // the registry is down
	r := post(t, w, "/hooks/build", body, signed(apitest.HookKey, w.Now(), body, "d-9"))
	if r.Status/100 != 5 {
		t.Fatalf("registry down: %d %s", r.Status, r.Body)
	}
	err := w.Engine.Store.Deliveries.RecordDelivery(context.Background(), "build", "d-9", w.Now())
	if err != nil {
		t.Fatalf("a delivery that failed on our side is forgotten, so CI's retry can pass: %v", err)
	}
}

// hookForge is the world's local forge with GitHub's webhook parser: the
// real github adapter verifies the deliveries (no GitHub API is called;
// webhooks need none).
type hookForge struct {
	slipway.Forge
	gh *github.Forge
}

func (h hookForge) Name() string { return "github" }
func (h hookForge) ParseWebhook(r *http.Request, body []byte) (*slipway.ForgeEvent, error) {
	return h.gh.ParseWebhook(r, body)
}

// TestForgeHook: a signed GitHub pull_request event names a promotion's
// pull request; the promotion is queued to advance (the engine reads the
// forge again). Bad signatures and replays are refused.
func TestForgeHook(t *testing.T) {
	t.Setenv("GH_TOKEN", "unused")
	t.Setenv("GH_SECRET", "github webhook secret")
	w := apitest.New(t, apitest.Options{})
	gh, err := github.New(forge.Config{Type: forge.GitHub, Repo: "acme/gitops", TokenEnv: "GH_TOKEN", WebhookSecretEnv: "GH_SECRET"})
	if err != nil {
		t.Fatal(err)
	}
	w.Engine.Forge = hookForge{Forge: w.Engine.Forge, gh: gh}
	p := w.ReviewOpen("api")
	payload, _ := json.Marshal(map[string]any{
		"action":       "closed",
		"number":       p.PR,
		"repository":   map[string]any{"full_name": "acme/gitops"},
		"sender":       map[string]any{"login": "bob"},
		"pull_request": map[string]any{"number": p.PR, "merged": true, "merge_commit_sha": "abc", "head": map[string]any{"ref": p.Branch, "sha": p.Head}},
	})
	signedBy := func(body []byte, delivery, secret string) map[string]string {
		return map[string]string{"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": delivery, "X-Hub-Signature-256": "sha256=" + forge.SignHMAC([]byte(secret), body)}
	}
	headers := func(delivery, secret string) map[string]string { return signedBy(payload, delivery, secret) }
	if r := post(t, w, "/hooks/forge/github", payload, headers("g-1", "wrong secret")); r.Status != 401 {
		t.Fatalf("bad signature: %d %s", r.Status, r.Body)
	}
	if r := post(t, w, "/hooks/forge/gitlab", payload, headers("g-1", "github webhook secret")); r.Status != 404 {
		t.Fatalf("another forge's path: %d %s", r.Status, r.Body)
	}
	r := post(t, w, "/hooks/forge/github", payload, headers("g-1", "github webhook secret"))
	var acc api.Accepted
	r.JSON(t, &acc)
	if r.Status != http.StatusAccepted || acc.Status != "accepted" {
		t.Fatalf("signed event: %d %s", r.Status, r.Body)
	}
	due, _ := w.Engine.Store.Queue.Due(context.Background(), w.Now().Add(time.Hour), 10)
	found := false
	for _, it := range due {
		found = found || (it.Kind == slipway.WorkAdvance && it.Key == p.ID)
	}
	if !found {
		t.Fatalf("promotion %s was not queued to advance: %+v", p.ID, due)
	}
	if r := post(t, w, "/hooks/forge/github", payload, headers("g-1", "github webhook secret")); r.Status != http.StatusConflict {
		t.Fatalf("replayed delivery: %d %s", r.Status, r.Body)
	}
	other, _ := json.Marshal(map[string]any{"action": "closed", "number": 999, "repository": map[string]any{"full_name": "acme/gitops"},
		"pull_request": map[string]any{"number": 999, "merged": true, "head": map[string]any{"ref": "x", "sha": "y"}}})
	r = post(t, w, "/hooks/forge/github", other, signedBy(other, "g-2", "github webhook secret"))
	r.JSON(t, &acc)
	if r.Status != http.StatusAccepted || acc.Status != "ignored" {
		t.Fatalf("a pull request of no promotion: %d %s", r.Status, r.Body)
	}
}
