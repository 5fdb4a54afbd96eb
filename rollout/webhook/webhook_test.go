package webhook

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slipway/slipway/rollout"
)

var target = rollout.Target{Service: "api", CanaryDigest: "sha256:" + strings.Repeat("c", 64), StableDigest: "sha256:" + strings.Repeat("s", 64)}

func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestProtocolRoundTrip(t *testing.T) {
	rt := NewMemoryRuntime()
	mux := http.NewServeMux()
	mux.Handle("/slipway/", http.StripPrefix("/slipway", Handler(rt, WithAuthToken("t0k"))))
	base := serve(t, mux) + "/slipway"
	d, err := New(base, target, WithToken("t0k"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	steps := []struct {
		name string
		call func() error
		want rollout.Phase
		w    int
	}{
		{"set-weight 20", func() error { return d.SetWeight(ctx, 20) }, rollout.PhaseProgressing, 20},
		{"set-weight again is idempotent", func() error { return d.SetWeight(ctx, 20) }, rollout.PhaseProgressing, 20},
		{"set-weight 50", func() error { return d.SetWeight(ctx, 50) }, rollout.PhaseProgressing, 50},
		{"abort", func() error { return d.Abort(ctx, "error-rate failed") }, rollout.PhaseAborted, 0},
		{"abort again is idempotent", func() error { return d.Abort(ctx, "error-rate failed") }, rollout.PhaseAborted, 0},
	}
	for _, s := range steps {
		if err := s.call(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		st, err := d.Status(ctx)
		if err != nil {
			t.Fatalf("%s: status: %v", s.name, err)
		}
		if st.Phase != s.want || st.Weight != s.w || st.Target != target {
			t.Fatalf("%s: status = %+v, want %s at %d", s.name, st, s.want, s.w)
		}
	}
	if err := d.Promote(ctx); !errors.Is(err, rollout.ErrConflict) {
		t.Fatalf("promote after abort: err = %v, want ErrConflict", err)
	}
	calls := rt.Calls()
	if len(calls) != 5 || calls[3].Op != "abort" || calls[3].Request.Reason != "error-rate failed" || calls[3].Request.StableDigest != target.StableDigest {
		t.Fatalf("calls = %+v", calls)
	}
}

func TestHandlerRejects(t *testing.T) {
	rt := NewMemoryRuntime()
	base := serve(t, Handler(rt, WithAuthToken("t0k")))
	tests := []struct {
		name, method, path, body, auth string
		want                           int
	}{
		{"no token", "POST", "/promote", `{"service":"a","canaryDigest":"d"}`, "", 401},
		{"wrong token", "POST", "/promote", `{"service":"a","canaryDigest":"d"}`, "Bearer x", 401},
		{"bad json", "POST", "/abort", `{`, "Bearer t0k", 400},
		{"unknown field", "POST", "/abort", `{"service":"a","canaryDigest":"d","weigth":3}`, "Bearer t0k", 400},
		{"missing digest", "POST", "/abort", `{"service":"a"}`, "Bearer t0k", 400},
		{"weight out of range", "POST", "/set-weight", `{"service":"a","canaryDigest":"d","weight":101}`, "Bearer t0k", 400},
		{"weight missing", "POST", "/set-weight", `{"service":"a","canaryDigest":"d"}`, "Bearer t0k", 400},
		{"status unknown service", "GET", "/status?service=zzz", "", "Bearer t0k", 404},
		{"status without service", "GET", "/status", "", "Bearer t0k", 400},
		{"wrong method", "GET", "/abort", "", "Bearer t0k", 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, base+tt.path, strings.NewReader(tt.body))
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}

func TestConflictForAnotherCanary(t *testing.T) {
	rt := NewMemoryRuntime()
	base := serve(t, Handler(rt))
	d1, _ := New(base, target)
	other := target
	other.CanaryDigest = "sha256:" + strings.Repeat("d", 64)
	d2, _ := New(base, other)
	ctx := context.Background()
	if err := d1.SetWeight(ctx, 10); err != nil {
		t.Fatal(err)
	}
	if err := d2.SetWeight(ctx, 10); !errors.Is(err, rollout.ErrConflict) {
		t.Fatalf("err = %v, want ErrConflict while another canary is in flight", err)
	}
	if err := d1.Promote(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d2.SetWeight(ctx, 10); err != nil {
		t.Fatalf("a new canary after promotion: %v", err)
	}
}

func TestClientRetriesTransientFailures(t *testing.T) {
	var n atomic.Int32
	rt := NewMemoryRuntime()
	h := Handler(rt)
	base := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= 2 {
			http.Error(w, `{"error":"busy"}`, http.StatusServiceUnavailable)
			return
		}
		if r.Header.Get("Idempotency-Key") == "" || r.Header.Get("Slipway-Protocol") != ProtocolVersion {
			http.Error(w, "missing headers", http.StatusBadRequest)
			return
		}
		h.ServeHTTP(w, r)
	}))
	d, _ := New(base, target, WithRetry(3, time.Millisecond))
	if err := d.Abort(context.Background(), "x"); err != nil {
		t.Fatalf("abort after two 503s: %v", err)
	}
	if n.Load() != 3 {
		t.Fatalf("attempts = %d, want 3", n.Load())
	}
	n.Store(-100) // always fine from now on… but a 400 is never retried:
	var bad atomic.Int32
	base2 := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bad.Add(1)
		http.Error(w, `{"error":"nope"}`, http.StatusBadRequest)
	}))
	d2, _ := New(base2, target, WithRetry(5, time.Millisecond))
	if err := d2.Promote(context.Background()); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("err = %v", err)
	}
	if bad.Load() != 1 {
		t.Fatalf("a 400 was retried %d times", bad.Load())
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	if _, err := New("runtime:8080", target); err == nil {
		t.Error("a base URL without scheme must be rejected")
	}
	if _, err := New("http://x", rollout.Target{Service: "a"}); err == nil {
		t.Error("a target without canary digest must be rejected")
	}
	d, _ := New("http://127.0.0.1:1", target)
	if err := d.SetWeight(context.Background(), 150); err == nil {
		t.Error("weight 150 must be rejected before any call")
	}
}
