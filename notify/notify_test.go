package notify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/auth"
	"github.com/slipway/slipway/config"
	"github.com/slipway/slipway/sqlite"
)

// receiver is a local HTTP server standing for Slack or a webhook
// consumer: it records what it got and answers with the scripted statuses.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	got      []*http.Request
	bodies   [][]byte
	statuses []int // answered in turn; 200 after the last
	delay    time.Duration
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	r := &receiver{statuses: statuses}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got, r.bodies = append(r.got, req), append(r.bodies, body)
		status := 200
		if len(r.statuses) > 0 {
			status, r.statuses = r.statuses[0], r.statuses[1:]
		}
		delay := r.delay
		r.mu.Unlock()
		time.Sleep(delay)
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "120")
		}
		w.WriteHeader(status)
		w.Write([]byte("no_service"))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

type world struct {
	store slipway.Store
	now   time.Time
	d     *Deliverer
}

func newWorld(t *testing.T, receivers ...config.Notification) *world {
	db, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w := &world{store: db.Store(), now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	w.d = &Deliverer{Outbox: w.store.Outbox, Receivers: receivers, Now: func() time.Time { return w.now },
		Backoff: func(n int) time.Duration { return time.Duration(n) * time.Minute }, MaxAttempts: 3,
		Client: &http.Client{Timeout: 500 * time.Millisecond}}
	return w
}

func (w *world) enqueue(t *testing.T, receiver, key string, n slipway.Notice) {
	t.Helper()
	if _, err := w.store.Outbox.EnqueueNotification(context.Background(), &slipway.Notification{Receiver: receiver, Key: key, Notice: n, NextAttempt: w.now, Created: w.now}); err != nil {
		t.Fatal(err)
	}
}

func (w *world) pass(t *testing.T) int {
	t.Helper()
	n, err := w.d.DeliverDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

var rollback = slipway.Notice{Event: slipway.NoticeRollback, Service: "api", Env: "prod", Promotion: "p-7", Actor: "bob@example.com",
	Message: "bob rolled back api v1.1.0 in prod: <!channel> & errors", At: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}

func TestSlackAndSignedWebhook(t *testing.T) {
	slack, hook := newReceiver(t), newReceiver(t)
	t.Setenv("HOOK_KEY", "receiver key")
	w := newWorld(t,
		config.Notification{Name: "slack", Type: "slack", URL: slack.URL},
		config.Notification{Name: "audit", Type: "webhook", URL: hook.URL + "/in", SecretEnv: "HOOK_KEY"})
	w.enqueue(t, "slack", "k", rollback)
	w.enqueue(t, "audit", "k", rollback)
	if n := w.pass(t); n != 2 {
		t.Fatalf("delivered %d", n)
	}
	var msg map[string]string
	json.Unmarshal(slack.bodies[0], &msg)
	if msg["text"] != ":rewind: *rollback-done in prod*: bob rolled back api v1.1.0 in prod: &lt;!channel&gt; &amp; errors" {
		t.Errorf("slack text %q: text from people must not ping the channel", msg["text"])
	}
	req := hook.got[0]
	if err := auth.VerifyHook([]byte("receiver key"), req.Header.Get(auth.HeaderTimestamp), req.Header.Get(auth.HeaderSignature), hook.bodies[0], w.now); err != nil {
		t.Errorf("the receiver cannot verify the signature: %v", err)
	}
	var got struct {
		ID string `json:"id"`
		slipway.Notice
	}
	json.Unmarshal(hook.bodies[0], &got)
	if got.Notice != rollback || got.ID == "" || req.Header.Get("X-Slipway-Event") != "rollback-done" || req.URL.Path != "/in" {
		t.Errorf("webhook got %+v %v", got, req.Header)
	}
	if w.pass(t) != 0 || slack.count() != 1 {
		t.Error("a delivered notification is not sent again")
	}
}

// A receiver that fails is retried with backoff and given up after
// MaxAttempts; the others are delivered meanwhile.
func TestRetriesBackoffAndGivingUp(t *testing.T) {
	flaky := newReceiver(t, 502, 503)
	dead := newReceiver(t, 500, 500, 500, 500)
	good := newReceiver(t)
	w := newWorld(t,
		config.Notification{Name: "flaky", Type: "slack", URL: flaky.URL},
		config.Notification{Name: "dead", Type: "webhook", URL: dead.URL},
		config.Notification{Name: "good", Type: "slack", URL: good.URL})
	for _, r := range []string{"flaky", "dead", "good"} {
		w.enqueue(t, r, "k", rollback)
	}
	if n := w.pass(t); n != 1 || good.count() != 1 {
		t.Fatalf("the good receiver waits for nobody: %d", n)
	}
	if w.pass(t) != 0 || flaky.count() != 1 {
		t.Fatal("a failed notification waits for its backoff")
	}
	w.now = w.now.Add(time.Minute)
	w.pass(t)
	w.now = w.now.Add(2 * time.Minute)
	if n := w.pass(t); n != 1 || flaky.count() != 3 {
		t.Fatalf("flaky: delivered %d after %d tries", n, flaky.count())
	}
	w.now = w.now.Add(time.Hour)
	w.pass(t)
	if dead.count() != 3 {
		t.Fatalf("dead receiver tried %d times, want MaxAttempts=3", dead.count())
	}
	ns, _ := w.store.Outbox.Notifications(context.Background(), 10)
	for _, n := range ns {
		switch n.Receiver {
		case "dead":
			if n.Failed == nil || n.Attempts != 3 || !strings.Contains(n.LastError, "500") {
				t.Errorf("dead: %+v", n)
			}
		default:
			if n.Delivered == nil {
				t.Errorf("%s not delivered: %+v", n.Receiver, n)
			}
		}
	}
}

func TestRetryAfterAndSlowReceivers(t *testing.T) {
	limited := newReceiver(t, 429)
	slow := newReceiver(t)
	slow.delay = 2 * time.Second
	w := newWorld(t, config.Notification{Name: "limited", Type: "slack", URL: limited.URL}, config.Notification{Name: "slow", Type: "slack", URL: slow.URL})
	w.enqueue(t, "limited", "k", rollback)
	w.enqueue(t, "slow", "k", rollback)
	start := time.Now()
	w.pass(t)
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("a slow receiver held the pass for %s: the client timeout bounds it", d)
	}
	w.now = w.now.Add(90 * time.Second) // past the backoff (1m), not past Retry-After (120s)
	w.pass(t)
	if limited.count() != 1 {
		t.Fatalf("Retry-After ignored: %d tries", limited.count())
	}
	w.now = w.now.Add(31 * time.Second)
	w.pass(t)
	if limited.count() != 2 {
		t.Fatalf("not retried after Retry-After: %d tries", limited.count())
	}
}

func TestUnknownReceiverIsGivenUp(t *testing.T) {
	w := newWorld(t)
	w.enqueue(t, "removed", "k", rollback)
	w.pass(t)
	ns, _ := w.store.Outbox.Notifications(context.Background(), 1)
	if ns[0].Failed == nil || !strings.Contains(ns[0].LastError, "no longer in slipway.yaml") {
		t.Fatalf("%+v", ns[0])
	}
}

// Two deliverers (two replicas) share the outbox: the lease lets one post.
func TestOneReplicaDelivers(t *testing.T) {
	r := newReceiver(t)
	w := newWorld(t, config.Notification{Name: "r", Type: "slack", URL: r.URL})
	w.now = time.Now()
	for i := 0; i < 5; i++ {
		w.enqueue(t, "r", string(rune('a'+i)), rollback)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	for _, owner := range []string{"a", "b"} {
		d := *w.d
		d.Leases, d.Owner, d.PollEvery, d.Now = w.store.Leases, owner, 50*time.Millisecond, time.Now
		wg.Add(1)
		go func() { defer wg.Done(); d.Run(ctx) }()
	}
	wg.Wait()
	if r.count() != 5 {
		t.Fatalf("receiver got %d posts for 5 notifications", r.count())
	}
}
