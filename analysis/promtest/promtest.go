// Package promtest starts a real Prometheus server (the Debian package
// `prometheus`) and a small workload for integration tests: nothing here is
// a fake. Tests skip loudly when the binary is absent.
package promtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Server is a running Prometheus.
type Server struct {
	URL string
	cmd *exec.Cmd
}

// Binary finds the prometheus executable ($PROMETHEUS_BIN, PATH, /usr/bin).
func Binary() (string, bool) {
	if p := os.Getenv("PROMETHEUS_BIN"); p != "" {
		return p, true
	}
	if p, err := exec.LookPath("prometheus"); err == nil {
		return p, true
	}
	if _, err := os.Stat("/usr/bin/prometheus"); err == nil {
		return "/usr/bin/prometheus", true
	}
	return "", false
}

// Start runs Prometheus on a free 127.0.0.1 port with a 1s scrape interval
// over targets (host:port), waits for /-/ready and stops it at the end of
// the test.
func Start(t testing.TB, targets ...string) *Server {
	t.Helper()
	bin, ok := Binary()
	if !ok {
		t.Skip("prometheus binary not found: install the Debian package prometheus (apt-get install prometheus) or set PROMETHEUS_BIN; this integration test needs a real Prometheus")
	}
	dir := t.TempDir()
	quoted := make([]string, len(targets))
	for i, tg := range targets {
		quoted[i] = fmt.Sprintf("%q", tg)
	}
	cfg := fmt.Sprintf(`global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: app
    scrape_interval: 1s
    static_configs: [{targets: [%s]}]
`, strings.Join(quoted, ", "))
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := FreeAddr(t)
	cmd := exec.Command(bin, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	logf, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start prometheus: %v", err)
	}
	s := &Server{URL: "http://" + addr, cmd: cmd}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		logf.Close()
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(dir, "prometheus.log"))
			t.Fatalf("prometheus not ready after 30s: %v\n%s", err, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// WaitForData polls query until it returns at least one sample.
func (s *Server) WaitForData(t testing.TB, query string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.URL + "/api/v1/query?query=" + url.QueryEscape(query))
		if err == nil {
			var body struct {
				Data struct {
					Result []json.RawMessage `json:"result"`
				} `json:"data"`
			}
			_ = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if len(body.Data.Result) > 0 && !strings.Contains(string(body.Data.Result[0]), `"NaN"`) {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("prometheus at %s returned no data for %s within %s", s.URL, query, timeout)
}

// FreeAddr returns a free 127.0.0.1 host:port.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// Workload is an HTTP service whose every Nth request fails with 500, with
// a load generator calling it and a /metrics endpoint counting requests as
// app_requests_total{track, code}.
type Workload struct {
	Addr  string // host:port of /metrics, for the scrape config
	track string
	srv   *httptest.Server

	errorEvery atomic.Int64 // 0: never fail
	mu         sync.Mutex
	ok, failed int64
}

// StartWorkload serves a workload for track ("canary", "stable") failing
// one request in errorEvery (0: none), with a load generator at ~200 req/s.
func StartWorkload(t testing.TB, track string, errorEvery int64) *Workload {
	t.Helper()
	w := &Workload{track: track}
	w.errorEvery.Store(errorEvery)
	var n atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/work", func(rw http.ResponseWriter, r *http.Request) {
		i := n.Add(1)
		every := w.errorEvery.Load()
		w.mu.Lock()
		defer w.mu.Unlock()
		if every > 0 && i%every == 0 {
			w.failed++
			rw.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.ok++
	})
	mux.HandleFunc("/metrics", func(rw http.ResponseWriter, r *http.Request) {
		w.mu.Lock()
		defer w.mu.Unlock()
		rw.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(rw, "# TYPE app_requests_total counter\n")
		fmt.Fprintf(rw, "app_requests_total{track=%q,code=\"200\"} %d\n", w.track, w.ok)
		fmt.Fprintf(rw, "app_requests_total{track=%q,code=\"500\"} %d\n", w.track, w.failed)
	})
	w.srv = httptest.NewServer(mux)
	w.Addr = strings.TrimPrefix(w.srv.URL, "http://")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if resp, err := http.Get(w.srv.URL + "/work"); err == nil {
					resp.Body.Close()
				}
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done; w.srv.Close() })
	return w
}

// ErrorRatioQuery is the PromQL error ratio of track over the last 5s.
func ErrorRatioQuery(track string) string {
	return fmt.Sprintf(`sum(rate(app_requests_total{track=%q,code="500"}[5s])) / sum(rate(app_requests_total{track=%q}[5s]))`, track, track)
}
