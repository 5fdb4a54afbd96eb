// Package retry is the HTTP retry policy the forge adapters share: it waits
// out rate limits as long as the server says (Retry-After, X-RateLimit-Reset,
// RateLimit-Reset) and retries transient failures (5xx, dropped
// connections) with capped exponential backoff and jitter. It sits below
// the SDKs as an http.RoundTripper, so GitHub, GitLab and Gitea requests
// all get the same behaviour, and the SDKs' own retries are turned off.
package retry

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Defaults of a zero Transport.
const (
	DefaultAttempts  = 5
	DefaultBaseDelay = 500 * time.Millisecond
	DefaultMaxDelay  = 30 * time.Second
	DefaultMaxWait   = 5 * time.Minute
	// secondaryWait is what GitHub asks for when a rate-limit response
	// names no reset: "wait for at least one minute before retrying".
	secondaryWait = time.Minute
	// peekLimit bounds how much of a 403 body is read to tell a rate limit
	// from a permission error.
	peekLimit = 64 << 10
)

// Transport retries requests through Base. The zero value (plus Base) is
// ready to use.
type Transport struct {
	Base http.RoundTripper // nil: http.DefaultTransport
	// Attempts is the number of tries, the first included (default 5).
	Attempts int
	// BaseDelay and MaxDelay bound the exponential backoff between tries.
	BaseDelay, MaxDelay time.Duration
	// MaxWait is the longest rate-limit wait honoured; a server asking for
	// longer gets its response handed back, so the caller can report when
	// to come back instead of blocking a worker for an hour.
	MaxWait time.Duration
	// Forge names the server in logs.
	Forge string
	// Sleep waits d or until ctx ends; nil uses a timer. Tests record.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock used to read reset times; nil is time.Now.
	Now func() time.Time
	// Jitter returns a duration in [0, d); nil is uniform random.
	Jitter func(d time.Duration) time.Duration
	Log    *slog.Logger
}

// RoundTrip sends req, retrying as the policy allows. The response handed
// back is the last one received (or the last error).
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	req, err := rewindable(req)
	if err != nil {
		return nil, err
	}
	attempts := t.Attempts
	if attempts <= 0 {
		attempts = DefaultAttempts
	}
	for attempt := 1; ; attempt++ {
		try := req
		if attempt > 1 && req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			try = req.Clone(req.Context())
			try.Body = body
		}
		resp, err := base.RoundTrip(try)
		if req.Context().Err() != nil {
			return resp, err
		}
		wait, why := t.decide(req, resp, err, attempt)
		if why == "" || attempt >= attempts {
			return resp, err
		}
		if wait > t.maxWait() {
			t.log().Warn("forge rate limit outlasts the longest wait; giving up for now",
				"forge", t.Forge, "method", req.Method, "path", req.URL.Path, "wait", wait.Round(time.Second), "max", t.maxWait())
			return resp, err
		}
		if resp != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, peekLimit))
			resp.Body.Close()
		}
		t.log().Info("forge request retried", "forge", t.Forge, "method", req.Method, "path", req.URL.Path,
			"reason", why, "attempt", attempt, "wait", wait.Round(time.Millisecond))
		if err := t.sleep(req.Context(), wait); err != nil {
			return nil, err
		}
	}
}

// decide says whether to retry and after how long; why is "" for no.
func (t *Transport) decide(req *http.Request, resp *http.Response, err error, attempt int) (time.Duration, string) {
	if err != nil {
		if beforeSend(err) || (idempotent(req.Method) && transientNetErr(err)) {
			return t.backoff(attempt), "connection: " + err.Error()
		}
		return 0, ""
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests,
		resp.StatusCode == http.StatusForbidden && rateLimited(resp):
		if reset, ok := ResetAt(resp, t.now()); ok {
			wait := reset.Sub(t.now())
			if wait < time.Second {
				wait = time.Second // clocks differ; the reset is the server's
			}
			return wait + t.jitter(time.Second), "rate limited (" + resp.Status + ")"
		}
		wait := t.backoff(attempt)
		if wait < secondaryWait {
			wait = secondaryWait + t.jitter(time.Second)
		}
		return wait, "rate limited (" + resp.Status + ", no reset header)"
	case resp.StatusCode == http.StatusBadGateway, resp.StatusCode == http.StatusServiceUnavailable,
		resp.StatusCode == http.StatusGatewayTimeout:
		// A proxy or an overloaded server refused the request: it was not
		// acted on, so even a POST is safe to send again.
		if reset, ok := retryAfter(resp, t.now()); ok && reset.After(t.now()) {
			return reset.Sub(t.now()), "server unavailable (" + resp.Status + ")"
		}
		return t.backoff(attempt), "server error (" + resp.Status + ")"
	case resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented && idempotent(req.Method):
		return t.backoff(attempt), "server error (" + resp.Status + ")"
	}
	return 0, ""
}

// ResetAt is when a rate-limited response says to come back: Retry-After
// (seconds or an HTTP date), else X-RateLimit-Reset (GitHub, epoch seconds)
// or RateLimit-Reset (GitLab sends epoch seconds; the IETF draft, seconds
// from now: values below 10^9 are read as the latter).
func ResetAt(resp *http.Response, now time.Time) (time.Time, bool) {
	if at, ok := retryAfter(resp, now); ok {
		return at, true
	}
	for _, h := range []string{"X-RateLimit-Reset", "RateLimit-Reset"} {
		v := strings.TrimSpace(resp.Header.Get(h))
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			continue
		}
		if n < 1e9 {
			return now.Add(time.Duration(n) * time.Second), true
		}
		return time.Unix(n, 0), true
	}
	return time.Time{}, false
}

func retryAfter(resp *http.Response, now time.Time) (time.Time, bool) {
	v := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if v == "" {
		return time.Time{}, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
		return now.Add(time.Duration(n) * time.Second), true
	}
	if at, err := http.ParseTime(v); err == nil {
		return at, true
	}
	return time.Time{}, false
}

// rateLimited tells a 403 that is a rate limit (GitHub's primary limit:
// X-RateLimit-Remaining: 0; its secondary limit: Retry-After or a message
// naming it) from a 403 that is a permission error, which is final. The
// body is peeked and put back for the caller.
func rateLimited(resp *http.Response) bool {
	for _, h := range []string{"X-RateLimit-Remaining", "RateLimit-Remaining"} {
		if strings.TrimSpace(resp.Header.Get(h)) == "0" {
			return true
		}
	}
	if resp.Header.Get("Retry-After") != "" {
		return true
	}
	if resp.Body == nil {
		return false
	}
	peek, err := io.ReadAll(io.LimitReader(resp.Body, peekLimit))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(peek), resp.Body), resp.Body}
	return err == nil && bytes.Contains(bytes.ToLower(peek), []byte("rate limit"))
}

// backoff is capped exponential backoff with "equal jitter": half the
// delay fixed, half random, so retries from many workers spread out but
// never collapse to zero.
func (t *Transport) backoff(attempt int) time.Duration {
	base, maxDelay := t.BaseDelay, t.MaxDelay
	if base <= 0 {
		base = DefaultBaseDelay
	}
	if maxDelay <= 0 {
		maxDelay = DefaultMaxDelay
	}
	d := maxDelay
	if shift := attempt - 1; shift < 30 && base<<shift < maxDelay {
		d = base << shift
	}
	return d/2 + t.jitter(d/2)
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// beforeSend reports errors that happened before any byte of the request
// reached the server (dial failures), safe to retry for any method.
func beforeSend(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns) && !dns.IsNotFound
}

// transientNetErr reports a dropped or reset connection or a timeout:
// the request may have been processed, so only idempotent ones retry.
func transientNetErr(err error) bool {
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// rewindable returns req, or a copy whose body can be sent again (API
// bodies are small JSON documents; the caller's request is not modified).
func rewindable(req *http.Request) (*http.Request, error) {
	if req.Body == nil || req.Body == http.NoBody || req.GetBody != nil {
		return req, nil
	}
	b, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	c := req.Clone(req.Context())
	c.Body = io.NopCloser(bytes.NewReader(b))
	c.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	return c, nil
}

func (t *Transport) maxWait() time.Duration {
	if t.MaxWait > 0 {
		return t.MaxWait
	}
	return DefaultMaxWait
}

func (t *Transport) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

func (t *Transport) jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	if t.Jitter != nil {
		return t.Jitter(d)
	}
	return rand.N(d)
}

func (t *Transport) sleep(ctx context.Context, d time.Duration) error {
	if t.Sleep != nil {
		return t.Sleep(ctx, d)
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

func (t *Transport) log() *slog.Logger {
	if t.Log != nil {
		return t.Log
	}
	return slog.Default()
}
