package webhook

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/slipway/slipway/rollout"
)

// Client is the webhook rollout driver.
type Client struct {
	base     *url.URL
	target   rollout.Target
	token    string
	http     *http.Client
	attempts int
	backoff  time.Duration
}

var _ rollout.Driver = (*Client)(nil)

// Option configures a Client.
type Option func(*Client)

// WithToken sends `Authorization: Bearer token` on every request.
func WithToken(token string) Option { return func(c *Client) { c.token = token } }

// WithHTTPClient replaces the HTTP client (default: 5s timeout per attempt).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithRetry sets how many attempts a call makes (default 5) and the first
// backoff (default 50ms, doubling). Only network errors, 408, 429 and 5xx
// are retried: the calls are idempotent, so a retry is always safe.
func WithRetry(attempts int, backoff time.Duration) Option {
	return func(c *Client) { c.attempts, c.backoff = attempts, backoff }
}

// New returns a driver for the runtime at baseURL rolling target.
func New(baseURL string, target rollout.Target, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("webhook driver: base URL %q must be an absolute http(s) URL such as http://runtime:8080/slipway", baseURL)
	}
	if target.Service == "" || target.CanaryDigest == "" {
		return nil, fmt.Errorf("webhook driver: target needs a service and a canary digest, got %+v", target)
	}
	c := &Client{base: u, target: target, http: &http.Client{Timeout: 5 * time.Second}, attempts: 5, backoff: 50 * time.Millisecond}
	for _, o := range opts {
		o(c)
	}
	if c.attempts < 1 {
		c.attempts = 1
	}
	return c, nil
}

func (c *Client) request() Request {
	return Request{Service: c.target.Service, CanaryDigest: c.target.CanaryDigest, StableDigest: c.target.StableDigest}
}

// SetWeight implements rollout.Driver.
func (c *Client) SetWeight(ctx context.Context, weight int) error {
	if !rollout.ValidWeight(weight) {
		return fmt.Errorf("set-weight: weight %d is not a percentage (0-100)", weight)
	}
	req := c.request()
	req.Weight = &weight
	return c.post(ctx, "set-weight", req)
}

// Promote implements rollout.Driver.
func (c *Client) Promote(ctx context.Context) error { return c.post(ctx, "promote", c.request()) }

// Abort implements rollout.Driver.
func (c *Client) Abort(ctx context.Context, reason string) error {
	req := c.request()
	req.Reason = reason
	return c.post(ctx, "abort", req)
}

// Status implements rollout.Driver.
func (c *Client) Status(ctx context.Context) (rollout.Status, error) {
	u := c.endpoint("status")
	q := u.Query()
	q.Set("service", c.target.Service)
	u.RawQuery = q.Encode()
	body, err := c.do(ctx, http.MethodGet, u, nil, "")
	if err != nil {
		return rollout.Status{}, err
	}
	var sr StatusResponse
	if err := json.Unmarshal(body, &sr); err != nil {
		return rollout.Status{}, fmt.Errorf("webhook status: response is not the documented JSON: %w", err)
	}
	st := rollout.Status{
		Target: rollout.Target{Service: sr.Service, CanaryDigest: sr.CanaryDigest, StableDigest: sr.StableDigest},
		Phase:  sr.Phase, Weight: sr.Weight, Step: -1, Message: sr.Message,
	}
	if sr.Step != nil {
		st.Step = *sr.Step
	}
	if st.Phase == "" {
		st.Phase = rollout.PhaseUnknown
	}
	return st, nil
}

func (c *Client) endpoint(op string) *url.URL {
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/") + "/" + op
	return &u
}

func (c *Client) post(ctx context.Context, op string, req Request) error {
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(append([]byte(op+"\n"), b...))
	_, err = c.do(ctx, http.MethodPost, c.endpoint(op), b, hex.EncodeToString(sum[:16]))
	return err
}

// do sends one call, retrying transient failures with a doubling backoff
// until the attempts or ctx run out.
func (c *Client) do(ctx context.Context, method string, u *url.URL, body []byte, idemKey string) ([]byte, error) {
	op := strings.TrimPrefix(u.Path[strings.LastIndex(u.Path, "/"):], "/")
	wait := c.backoff
	var lastErr error
	for attempt := 1; attempt <= c.attempts; attempt++ {
		out, retry, err := c.once(ctx, method, u, body, idemKey)
		if err == nil {
			return out, nil
		}
		lastErr = err
		if !retry || attempt == c.attempts {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("webhook %s to %s: %w (last error: %v)", op, c.base.Redacted(), ctx.Err(), lastErr)
		case <-t.C:
		}
		wait *= 2
	}
	return nil, fmt.Errorf("webhook %s to %s: %w", op, c.base.Redacted(), lastErr)
}

func (c *Client) once(ctx context.Context, method string, u *url.URL, body []byte, idemKey string) ([]byte, bool, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, false, err
	}
	req.Header.Set("Slipway-Protocol", ProtocolVersion)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", idemKey)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, ctx.Err() == nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, true, err
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return out, false, nil
	}
	var er ErrorResponse
	msg := strings.TrimSpace(string(out))
	if json.Unmarshal(out, &er) == nil && er.Error != "" {
		msg = er.Error
	}
	err = fmt.Errorf("HTTP %d: %s", resp.StatusCode, msg)
	switch {
	case resp.StatusCode == http.StatusConflict:
		return nil, false, errors.Join(rollout.ErrConflict, err)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, false, fmt.Errorf("%w: check the driver's token", err)
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return nil, true, err
	}
	return nil, false, err
}

func init() {
	rollout.Register("webhook", func(s rollout.Settings, target rollout.Target) (rollout.Driver, error) {
		var opts []Option
		if env := s["tokenEnv"]; env != "" {
			tok, ok := os.LookupEnv(env)
			if !ok {
				return nil, fmt.Errorf("rollout.tokenEnv: environment variable %s is not set: export the runtime's token", env)
			}
			opts = append(opts, WithToken(tok))
		}
		return New(s["url"], target, opts...)
	})
}
