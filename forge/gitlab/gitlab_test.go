package gitlab

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/forge"
	"github.com/slipway/slipway/forge/forgetest"
)

var ctx = context.Background()

// withSecret starts the fake with the adapter configured for a plain
// secret token instead of the signing token.
func withSecret(t *testing.T, secret string) *forgetest.Env {
	return forgetest.Start(t, newFake, func(c *forge.Config) {
		p := t.TempDir() + "/secret"
		if err := writeFile(p, secret); err != nil {
			t.Fatal(err)
		}
		c.WebhookSecretFile = p
	})
}

func TestWebhookSecretToken(t *testing.T) {
	e := withSecret(t, "s3cret-token")
	e.World.Push("b")
	if _, err := e.Forge.Open(ctx, &slipway.PullRequest{Branch: "b", Base: "main", Title: "t"}); err != nil {
		t.Fatal(err)
	}
	parser := e.Forge.(slipway.WebhookParser)
	parse := func(req *http.Request) (*slipway.ForgeEvent, error) {
		body, _ := io.ReadAll(req.Body)
		return parser.ParseWebhook(req, body)
	}
	ev, err := parse(e.Fake.Deliver(t, forgetest.Delivery{Kind: "opened", Number: 1, Actor: "bot"}, []byte("s3cret-token")))
	if err != nil || ev == nil || ev.Kind != "opened" || ev.Delivery != "f5e5f430-f57b-4e6e-9fac-d9128cd7232f" {
		t.Fatalf("correct X-Gitlab-Token: %+v, %v", ev, err)
	}
	for name, tok := range map[string]string{"wrong": "s3cret-tokem", "prefix": "s3cret", "longer": "s3cret-token-and-more", "empty": ""} {
		req := e.Fake.Deliver(t, forgetest.Delivery{Kind: "opened", Number: 1}, []byte(tok))
		if tok == "" {
			req.Header.Del("X-Gitlab-Token")
		}
		if _, err := parse(req); slipway.ErrorCode(err) != slipway.EFORBIDDEN {
			t.Errorf("%s token: %v; want EFORBIDDEN", name, err)
		}
	}
}

func TestSigningTokenRefusesDowngradeAndStaleDeliveries(t *testing.T) {
	e := forgetest.Start(t, newFake) // configured with the whsec_ signing token
	e.World.Push("b")
	e.Forge.Open(ctx, &slipway.PullRequest{Branch: "b", Base: "main", Title: "t"})
	parser := e.Forge.(slipway.WebhookParser)
	deliver := func() (*http.Request, []byte) {
		req := e.Fake.Deliver(t, forgetest.Delivery{Kind: "opened", Number: 1}, e.Secret)
		body, _ := io.ReadAll(req.Body)
		return req, body
	}

	// Someone who saw the signing token sent as a plain token (or guesses
	// the scheme) cannot skip the signature.
	req, body := deliver()
	for _, h := range []string{"webhook-id", "webhook-timestamp", "webhook-signature"} {
		req.Header.Del(h)
	}
	req.Header.Set("X-Gitlab-Token", string(e.Secret))
	if _, err := parser.ParseWebhook(req, body); slipway.ErrorCode(err) != slipway.EFORBIDDEN {
		t.Errorf("token-only delivery with a signing token configured: %v; want EFORBIDDEN", err)
	}

	// A delivery signed an hour ago is a replay (or a broken clock).
	req, body = deliver()
	old := strconv.FormatInt(forgetest.Now.Add(-time.Hour).Unix(), 10)
	req.Header.Set("webhook-timestamp", old)
	req.Header.Set("webhook-signature", signStandard(signingToken, req.Header.Get("webhook-id"), old, body))
	if _, err := parser.ParseWebhook(req, body); slipway.ErrorCode(err) != slipway.EFORBIDDEN || !strings.Contains(err.Error(), "timestamp") {
		t.Errorf("stale timestamp: %v; want EFORBIDDEN about the timestamp", err)
	}

	// The signature covers the id and timestamp: changing either breaks it.
	req, body = deliver()
	req.Header.Set("webhook-id", "another-id")
	if _, err := parser.ParseWebhook(req, body); slipway.ErrorCode(err) != slipway.EFORBIDDEN {
		t.Errorf("changed webhook-id: %v; want EFORBIDDEN", err)
	}

	// During a rotation several signatures are sent; one valid is enough.
	req, body = deliver()
	req.Header.Set("webhook-signature", "v1,AAAA "+req.Header.Get("webhook-signature")+" v2,ignored")
	if ev, err := parser.ParseWebhook(req, body); err != nil || ev == nil {
		t.Errorf("rotated signatures: %+v, %v; want accepted", ev, err)
	}
}

func TestApprovalsResetOrWithoutANote(t *testing.T) {
	e := forgetest.Start(t, newFake)
	head := e.World.Push("b")
	e.Forge.Open(ctx, &slipway.PullRequest{Branch: "b", Base: "main", Title: "t"})
	e.World.AddReview(1, "alice", "approved")

	// The project resets approvals on push: GitLab stops listing alice
	// without writing an "unapproved" note.
	e.World.Inject(forgetest.Fault{Method: http.MethodGet, Path: "/merge_requests/1/approvals", Status: 200,
		Body: `{"id":5001,"iid":1,"approved":false,"approvals_required":1,"approvals_left":1,"approved_by":[]}`})
	revs, err := e.Forge.Reviews(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	last := revs[len(revs)-1]
	if len(revs) != 2 || revs[0].State != "approved" || revs[0].CommitSHA != head || last.User != "alice" || last.State != "dismissed" {
		t.Fatalf("reviews after a reset = %+v; want alice approved at %s then dismissed", revs, head)
	}

	// An approval GitLab lists with no note (notes pruned, or imported)
	// is reported without a head: it cannot count for a digest.
	e.World.Inject(forgetest.Fault{Method: http.MethodGet, Path: "/merge_requests/1/approvals", Status: 200,
		Body: `{"id":5001,"iid":1,"approved":true,"approved_by":[{"user":{"id":150,"username":"bob"}},{"user":{"id":101,"username":"alice"}}]}`})
	revs, _ = e.Forge.Reviews(ctx, 1)
	var bob *slipway.Review
	for i := range revs {
		if revs[i].User == "bob" {
			bob = &revs[i]
		}
	}
	if bob == nil || bob.State != "approved" || bob.CommitSHA != "" {
		t.Fatalf("bob's approval without a note = %+v; want approved with no head", bob)
	}
}

func TestNumericProjectIDAndUnknownReviewer(t *testing.T) {
	w := forgetest.NewWorld()
	fake := startFake(t, w)
	dir := t.TempDir()
	writeFile(dir+"/token", forgetest.Token)
	f, err := forge.Open(forge.Config{Type: forge.GitLab, URL: fake.srv.URL, Repo: "42", TokenFile: dir + "/token"})
	if err != nil {
		t.Fatal(err)
	}
	w.Push("b")
	pr, err := f.Open(ctx, &slipway.PullRequest{Branch: "b", Base: "main", Title: "t", Reviewers: []string{"alice"}})
	if err != nil || pr.Number != 1 || strings.Join(pr.Reviewers, ",") != "alice" {
		t.Fatalf("Open by project ID: %+v, %v", pr, err)
	}
	for _, r := range w.Log() {
		if strings.Contains(r.Path, "/projects/") && !strings.HasPrefix(r.Path, "/api/v4/projects/42/") {
			t.Errorf("request %s does not address project 42", r.Path)
		}
	}
	w.Push("c")
	_, err = f.Open(ctx, &slipway.PullRequest{Branch: "c", Base: "main", Title: "t", Reviewers: []string{"ghost-user"}})
	if slipway.ErrorCode(err) != slipway.EINVALID || !strings.Contains(err.Error(), "ghost-user") {
		t.Fatalf("unknown reviewer: %v; want EINVALID naming them", err)
	}
}

func TestBadTokenIsForbidden(t *testing.T) {
	w := forgetest.NewWorld()
	fake := startFake(t, w)
	dir := t.TempDir()
	writeFile(dir+"/token", "glpat-wrong")
	f, _ := forge.Open(forge.Config{Type: forge.GitLab, URL: fake.srv.URL, Repo: "acme/gitops", TokenFile: dir + "/token"})
	_, err := f.Get(ctx, 1)
	if slipway.ErrorCode(err) != slipway.EFORBIDDEN || !strings.Contains(err.Error(), "token") {
		t.Fatalf("a refused token: %v; want EFORBIDDEN about the token", err)
	}
}

// FuzzParseWebhook feeds correctly tokened bodies of any shape: the parser
// must never panic and never return an event without a kind or number.
func FuzzParseWebhook(f *testing.F) {
	f.Add(`{"object_kind":"merge_request","project":{"path_with_namespace":"acme/gitops"},"object_attributes":{"iid":3,"action":"merge","merge_commit_sha":"x"}}`)
	f.Add(`{"object_kind":"merge_request","project":{"id":42},"object_attributes":{"action":"approval"}}`)
	f.Add(`{"project":{"path_with_namespace":"acme/gitops"},"object_attributes":{"iid":-1,"action":"open"}}`)
	f.Add(`{`)
	fg := &Forge{pid: "acme/gitops", secret: []byte("tok"), now: time.Now}
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("POST", "/", strings.NewReader(body))
		req.Header.Set("X-Gitlab-Event", "Merge Request Hook")
		req.Header.Set("X-Gitlab-Token", "tok")
		ev, err := fg.ParseWebhook(req, []byte(body))
		if err != nil && slipway.ErrorCode(err) != slipway.EINVALID {
			t.Fatalf("tokened body refused with %v", err)
		}
		if ev != nil && (ev.Kind == "" || ev.Number <= 0) {
			t.Fatalf("event without kind or number: %+v", ev)
		}
	})
}

func writeFile(path, content string) error {
	return os.WriteFile(path, []byte(content+"\n"), 0o600)
}
