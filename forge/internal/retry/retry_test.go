package retry

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// script is a server that answers each request with the next scripted
// reply and records what it received. A reply of status 0 drops the
// connection without answering (a reset, as a crashing proxy does).
type script struct {
	mu      sync.Mutex
	replies []reply
	bodies  []string
}

type reply struct {
	status int
	header map[string]string
	body   string
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.bodies = append(s.bodies, string(b))
	var rp reply
	if len(s.replies) > 0 {
		rp, s.replies = s.replies[0], s.replies[1:]
	} else {
		rp = reply{status: 200, body: "ok"}
	}
	s.mu.Unlock()
	if rp.status == 0 {
		conn, _, _ := w.(http.Hijacker).Hijack()
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.SetLinger(0) // RST, not FIN
		}
		conn.Close()
		return
	}
	for k, v := range rp.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(rp.status)
	io.WriteString(w, rp.body)
}

func (s *script) calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.bodies)
}

var epoch = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// fixture returns a transport with a frozen clock, no jitter and a sleep
// that records instead of waiting.
func fixture(t *testing.T, replies ...reply) (*Transport, *script, *[]time.Duration, string) {
	t.Helper()
	s := &script{replies: replies}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	var slept []time.Duration
	tr := &Transport{
		Base:   &http.Transport{DisableKeepAlives: true},
		Now:    func() time.Time { return epoch },
		Jitter: func(time.Duration) time.Duration { return 0 },
		Sleep: func(_ context.Context, d time.Duration) error {
			slept = append(slept, d)
			return nil
		},
	}
	return tr, s, &slept, srv.URL
}

func send(t *testing.T, tr *Transport, method, url, body string) (*http.Response, string, error) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b), nil
}

func TestServiceUnavailableRetriesEvenAPost(t *testing.T) {
	tr, s, slept, url := fixture(t, reply{status: 503}, reply{status: 502}, reply{status: 201, body: "created"})
	resp, body, err := send(t, tr, "POST", url, `{"title":"x"}`)
	if err != nil || resp.StatusCode != 201 || body != "created" {
		t.Fatalf("got %v %q %v, want 201 created", resp, body, err)
	}
	if s.calls() != 3 {
		t.Fatalf("calls = %d, want 3", s.calls())
	}
	for i, b := range s.bodies {
		if b != `{"title":"x"}` {
			t.Errorf("attempt %d sent body %q: the retry must resend the same body", i+1, b)
		}
	}
	// Equal jitter with zero random part: half of 500ms, then half of 1s.
	if want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond}; !equal(*slept, want) {
		t.Errorf("slept %v, want %v", *slept, want)
	}
}

func TestInternalErrorRetriesOnlyIdempotentMethods(t *testing.T) {
	tr, s, _, url := fixture(t, reply{status: 500}, reply{status: 200})
	resp, _, _ := send(t, tr, "POST", url, "{}")
	if resp.StatusCode != 500 || s.calls() != 1 {
		t.Fatalf("POST got %d after %d calls; a 500 to a POST may have been acted on and must not be resent", resp.StatusCode, s.calls())
	}
	tr, s, _, url = fixture(t, reply{status: 500}, reply{status: 200})
	resp, _, _ = send(t, tr, "PUT", url, "{}")
	if resp.StatusCode != 200 || s.calls() != 2 {
		t.Fatalf("PUT got %d after %d calls, want 200 after 2", resp.StatusCode, s.calls())
	}
	tr, s, _, url = fixture(t, reply{status: 501})
	resp, _, _ = send(t, tr, "GET", url, "")
	if resp.StatusCode != 501 || s.calls() != 1 {
		t.Fatalf("501 Not Implemented is final; got %d after %d calls", resp.StatusCode, s.calls())
	}
}

func TestRateLimitWaitsForTheServersReset(t *testing.T) {
	cases := []struct {
		name   string
		reply  reply
		wait   time.Duration
		reason string
	}{
		{"GitHub primary 403", reply{status: 403, header: map[string]string{
			"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(epoch.Add(42*time.Second).Unix(), 10)},
			body: `{"message":"API rate limit exceeded for installation ID 1."}`}, 42 * time.Second, ""},
		{"GitHub secondary 403 with Retry-After", reply{status: 403, header: map[string]string{"Retry-After": "30"},
			body: `{"message":"You have exceeded a secondary rate limit."}`}, 30 * time.Second, ""},
		{"GitHub secondary 403 without headers waits a minute", reply{status: 403,
			body: `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}`}, time.Minute, ""},
		{"GitLab 429 with RateLimit-Reset epoch", reply{status: 429, header: map[string]string{
			"RateLimit-Reset": strconv.FormatInt(epoch.Add(17*time.Second).Unix(), 10)}, body: `{"message":"429 Too Many Requests"}`}, 17 * time.Second, ""},
		{"IETF draft RateLimit-Reset delta", reply{status: 429, header: map[string]string{"RateLimit-Reset": "9"}}, 9 * time.Second, ""},
		{"Gitea 429 Retry-After HTTP date", reply{status: 429, header: map[string]string{
			"Retry-After": epoch.Add(90 * time.Second).Format(http.TimeFormat)}}, 90 * time.Second, ""},
		{"reset already past waits a second", reply{status: 429, header: map[string]string{
			"X-RateLimit-Reset": strconv.FormatInt(epoch.Add(-time.Hour).Unix(), 10)}}, time.Second, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr, s, slept, url := fixture(t, c.reply, reply{status: 200, body: "ok"})
			resp, body, err := send(t, tr, "GET", url, "")
			if err != nil || resp.StatusCode != 200 || body != "ok" {
				t.Fatalf("got %v %q %v, want 200 after waiting", resp, body, err)
			}
			if s.calls() != 2 || !equal(*slept, []time.Duration{c.wait}) {
				t.Fatalf("calls %d, slept %v; want 2 calls and one wait of %v", s.calls(), *slept, c.wait)
			}
		})
	}
}

func TestForbiddenIsFinalAndKeepsItsBody(t *testing.T) {
	msg := `{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest"}`
	tr, s, slept, url := fixture(t, reply{status: 403, body: msg})
	resp, body, err := send(t, tr, "GET", url, "")
	if err != nil || resp.StatusCode != 403 || body != msg {
		t.Fatalf("got %v %q %v: a permission error must reach the caller intact", resp, body, err)
	}
	if s.calls() != 1 || len(*slept) != 0 {
		t.Fatalf("a 403 that is not a rate limit was retried (%d calls, slept %v)", s.calls(), *slept)
	}
}

func TestRateLimitLongerThanMaxWaitIsHandedBack(t *testing.T) {
	reset := strconv.FormatInt(epoch.Add(time.Hour).Unix(), 10)
	tr, s, slept, url := fixture(t, reply{status: 403, header: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}})
	resp, _, _ := send(t, tr, "GET", url, "")
	if resp.StatusCode != 403 || s.calls() != 1 || len(*slept) != 0 {
		t.Fatalf("got %d after %d calls, slept %v: an hour-long reset must not block the worker", resp.StatusCode, s.calls(), *slept)
	}
	if at, ok := ResetAt(resp, epoch); !ok || !at.Equal(epoch.Add(time.Hour)) {
		t.Fatalf("ResetAt = %v %v, want the reset time for the caller's message", at, ok)
	}
}

func TestAttemptsAreCapped(t *testing.T) {
	tr, s, slept, url := fixture(t, reply{status: 503}, reply{status: 503}, reply{status: 503}, reply{status: 503}, reply{status: 503}, reply{status: 200})
	tr.MaxDelay = 2 * time.Second
	resp, _, _ := send(t, tr, "GET", url, "")
	if resp.StatusCode != 503 || s.calls() != DefaultAttempts {
		t.Fatalf("got %d after %d calls, want the last 503 after %d", resp.StatusCode, s.calls(), DefaultAttempts)
	}
	// 500ms, 1s, 2s, then capped at 2s: halves with no jitter.
	if want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, time.Second}; !equal(*slept, want) {
		t.Fatalf("slept %v, want %v", *slept, want)
	}
}

func TestJitterSpreadsBackoff(t *testing.T) {
	tr := &Transport{}
	seen := map[time.Duration]bool{}
	for range 50 {
		d := tr.backoff(3) // 2s nominal
		if d < time.Second || d >= 2*time.Second {
			t.Fatalf("backoff %v outside [1s, 2s)", d)
		}
		seen[d] = true
	}
	if len(seen) < 10 {
		t.Fatalf("50 backoffs gave %d distinct values: no jitter", len(seen))
	}
}

func TestConnectionResetRetriesIdempotentRequestsOnly(t *testing.T) {
	tr, s, _, url := fixture(t, reply{status: 0}, reply{status: 200, body: "ok"})
	resp, body, err := send(t, tr, "GET", url, "")
	if err != nil || body != "ok" || s.calls() != 2 {
		t.Fatalf("GET after a reset: %v %q %v after %d calls, want ok after 2", resp, body, err, s.calls())
	}
	tr, s, _, url = fixture(t, reply{status: 0}, reply{status: 200})
	_, _, err = send(t, tr, "POST", url, "{}")
	if err == nil || s.calls() != 1 {
		t.Fatalf("POST after a reset: err %v after %d calls; the server may have acted on it, so it must not be resent", err, s.calls())
	}
}

func TestDialFailureRetriesAnyMethod(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens: every dial is refused
	var slept []time.Duration
	tr := &Transport{Jitter: func(time.Duration) time.Duration { return 0 },
		Sleep: func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }}
	_, _, err = send(t, tr, "POST", "http://"+addr+"/x", "{}")
	if err == nil || len(slept) != DefaultAttempts-1 {
		t.Fatalf("err %v, waits %d: a refused dial never reached the server and is retried %d times", err, len(slept), DefaultAttempts-1)
	}
}

func TestCancelStopsTheWait(t *testing.T) {
	tr, s, _, url := fixture(t, reply{status: 429, header: map[string]string{"Retry-After": "60"}})
	tr.Sleep = nil // a real timer
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	_, err := (&http.Client{Transport: tr}).Do(req)
	if !errors.Is(err, context.Canceled) || s.calls() != 1 {
		t.Fatalf("err %v after %d calls, want context.Canceled after 1", err, s.calls())
	}
}

func FuzzResetAt(f *testing.F) {
	f.Add("Retry-After", "120")
	f.Add("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT")
	f.Add("X-RateLimit-Reset", "1700000000")
	f.Add("RateLimit-Reset", "30")
	f.Add("RateLimit-Reset", "-5")
	f.Add("Retry-After", "99999999999999999999")
	f.Fuzz(func(t *testing.T, name, value string) {
		resp := &http.Response{Header: http.Header{}}
		resp.Header.Set(name, value)
		at, ok := ResetAt(resp, epoch)
		if ok && at.IsZero() {
			t.Fatalf("ResetAt(%s: %q) = zero time with ok", name, value)
		}
	})
}

func equal(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
