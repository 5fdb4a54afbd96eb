package gitea

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/forge"
	"github.com/slipway/slipway/forge/forgetest"
)

var ctx = context.Background()

func TestLabelsAreResolvedToIDsAndCreatedOnce(t *testing.T) {
	e := forgetest.Start(t, newFake)
	var existing forgetest.Label
	e.World.Update(func(s *forgetest.State) { existing, _ = s.Label("Slipway", true) })
	e.World.Push("a")
	e.World.Push("b")
	for _, b := range []string{"a", "b"} {
		if _, err := e.Forge.Open(ctx, &slipway.PullRequest{Branch: b, Base: "main", Title: "t", Labels: []string{"slipway", "env:prod"}}); err != nil {
			t.Fatal(err)
		}
	}
	creates := 0
	for _, r := range e.World.Log() {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/labels") && !strings.Contains(r.Path, "/issues/") {
			creates++
			if !strings.Contains(r.Body, `"env:prod"`) {
				t.Errorf("created a label that existed: %s", r.Body)
			}
		}
	}
	if creates != 1 {
		t.Fatalf("%d label creations; want env:prod created once and %q (id %d) reused", creates, existing.Name, existing.ID)
	}
	if got := e.World.Snapshot(2).Labels; strings.Join(got, ",") != "Slipway,env:prod" {
		t.Fatalf("labels on #2 = %v", got)
	}
}

func TestWebhookRejectedReviewAndSync(t *testing.T) {
	e := forgetest.Start(t, newFake)
	head := e.World.Push("b")
	e.Forge.Open(ctx, &slipway.PullRequest{Branch: "b", Base: "main", Title: "t"})
	parser := e.Forge.(slipway.WebhookParser)
	parse := func(d forgetest.Delivery) (*slipway.ForgeEvent, error) {
		req := e.Fake.Deliver(t, d, e.Secret)
		body, _ := io.ReadAll(req.Body)
		return parser.ParseWebhook(req, body)
	}
	ev, err := parse(forgetest.Delivery{Kind: "reviewed", Number: 1, Actor: "bob", Review: "changes_requested"})
	if err != nil || ev.Kind != "reviewed" || ev.Review.State != "changes_requested" || ev.Review.User != "bob" || ev.Review.CommitSHA != head {
		t.Fatalf("rejected review = %+v, %v", ev, err)
	}
	ev, err = parse(forgetest.Delivery{Kind: "synchronized", Number: 1, Actor: "bob"})
	if err != nil || ev.Kind != "synchronized" || ev.HeadSHA != head {
		t.Fatalf("sync = %+v, %v", ev, err)
	}
}

// TestRequestedReviewsAreNotReviews: Gitea lists a review request as a
// review in state REQUEST_REVIEW; it must not surface as a verdict.
func TestRequestedReviewsAreNotReviews(t *testing.T) {
	e := forgetest.Start(t, newFake)
	e.World.Push("b")
	e.Forge.Open(ctx, &slipway.PullRequest{Branch: "b", Base: "main", Title: "t", Reviewers: []string{"alice", "bob"}})
	e.World.AddReview(1, "bob", "approved")
	revs, err := e.Forge.Reviews(ctx, 1)
	if err != nil || len(revs) != 1 || revs[0].User != "bob" {
		t.Fatalf("reviews = %+v, %v; want bob's approval only", revs, err)
	}
}

func FuzzParseWebhook(f *testing.F) {
	f.Add("pull_request", `{"action":"closed","repository":{"full_name":"acme/gitops"},"pull_request":{"number":1,"merged":true,"merge_commit_sha":"x","state":"closed"}}`)
	f.Add("pull_request_approved", `{"action":"reviewed","repository":{"full_name":"acme/gitops"},"pull_request":{"number":2,"head":{"sha":"y"}},"review":{"type":"pull_request_review_approved"}}`)
	f.Add("pull_request", `{"repository":{"full_name":"acme/gitops"},"pull_request":{"number":0}}`)
	f.Add("pull_request", `{"repository":null}`)
	fg := &Forge{owner: "acme", repo: "gitops", secret: []byte("s"), now: time.Now}
	f.Fuzz(func(t *testing.T, event, body string) {
		req := httptest.NewRequest("POST", "/", strings.NewReader(body))
		req.Header.Set("X-Gitea-Event", event)
		req.Header.Set("X-Gitea-Signature", forge.SignHMAC([]byte("s"), []byte(body)))
		ev, err := fg.ParseWebhook(req, []byte(body))
		if err != nil && slipway.ErrorCode(err) != slipway.EINVALID {
			t.Fatalf("signed body refused with %v", err)
		}
		if ev != nil && (ev.Kind == "" || ev.Number <= 0) {
			t.Fatalf("event without kind or number: %+v", ev)
		}
	})
}
