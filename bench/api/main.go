// Command api measures `slipway serve`'s REST API under load: it builds
// the slipway binary, seeds a store directly (1,000 services, 10,000
// promotions, 2,000 audit entries, users and tokens), starts the server
// on a real bare GitOps remote, and runs concurrent clients doing mixed
// reads and approvals for a while. It prints p50/p99 latency by kind, the
// error count, and the server's peak RSS (VmHWM), next to the goals.
//
//	go run ./bench/api -clients 50 -duration 60s
package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/api"
	"github.com/slipway/slipway/auth"
	"github.com/slipway/slipway/bench/internal/benchutil"
	"github.com/slipway/slipway/sqlite"
	"github.com/slipway/slipway/trust"
)

func main() {
	clients := flag.Int("clients", 50, "concurrent clients")
	duration := flag.Duration("duration", 60*time.Second, "how long the load runs")
	services := flag.Int("services", 1000, "services configured and seeded")
	promotions := flag.Int("promotions", 10000, "promotions seeded (10 per service by default)")
	approvals := flag.Float64("approvals", 0.2, "share of requests that are approvals")
	keep := flag.Bool("keep", false, "keep the world's directory")
	flag.StringVar(&cpuProfile, "cpuprofile", "", "write the server's CPU profile (whole run) to this file (via SLIPWAY_CPUPROFILE)")
	flag.Parse()
	if err := run(*clients, *duration, *services, *promotions, *approvals, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "bench/api:", err)
		os.Exit(1)
	}
}

// cpuProfile is where the server writes its CPU profile ("" for none).
var cpuProfile string

func run(clients int, duration time.Duration, services, promotions int, approvalShare float64, keep bool) error {
	dir, err := os.MkdirTemp("", "slipway-bench-api-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(dir)
	} else {
		fmt.Println("world:", dir)
	}
	bin := filepath.Join(dir, "slipway")
	start := time.Now()
	build := exec.Command("go", "build", "-o", bin, "./cmd/slipway")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("go build (run from the repository root): %w", err)
	}
	fmt.Printf("built slipway in %s\n", time.Since(start).Round(time.Millisecond))

	w := &world{dir: dir, services: services, clients: clients}
	start = time.Now()
	if err := w.setup(promotions); err != nil {
		return err
	}
	fmt.Printf("seeded %d services, %d promotions (%d waiting in prod), %d audit entries, %d users in %s\n",
		services, w.seeded, len(w.waiting), w.audited, clients+1, time.Since(start).Round(time.Millisecond))

	port, err := freePort()
	if err != nil {
		return err
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	srv := exec.Command(bin, "serve", "--listen", fmt.Sprintf("127.0.0.1:%d", port), "--config", filepath.Join(dir, "slipway.yaml"), "--state", filepath.Join(dir, "state"))
	logf, _ := os.Create(filepath.Join(dir, "serve.log"))
	defer logf.Close()
	srv.Stdout, srv.Stderr = logf, logf
	if cpuProfile != "" {
		abs, err := filepath.Abs(cpuProfile)
		if err != nil {
			return err
		}
		os.Remove(abs)
		srv.Env = append(os.Environ(), "SLIPWAY_CPUPROFILE="+abs)
	}
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() {
		srv.Process.Signal(syscall.SIGTERM)
		srv.Wait()
	}()
	if err := waitReady(base, 60*time.Second); err != nil {
		return fmt.Errorf("%w (log: %s)", err, filepath.Join(dir, "serve.log"))
	}
	fmt.Printf("server ready (pid %d); %d clients for %s, %.0f%% approvals\n", srv.Process.Pid, clients, duration, approvalShare*100)

	fmt.Printf("load average before: %s\n", benchutil.LoadAvg())
	srvCPU0, cliCPU0 := processCPU(srv.Process.Pid), benchutil.CPUTime()
	res := w.load(base, duration, approvalShare)
	srvCPU, cliCPU := processCPU(srv.Process.Pid)-srvCPU0, benchutil.CPUTime()-cliCPU0
	peak, rss := memory(srv.Process.Pid)
	fmt.Printf("load average after:  %s\n", benchutil.LoadAvg())
	n := res.print(duration)
	if n > 0 {
		// CPU per request depends far less on the machine's load than
		// latency does: it says what the server (and this client) cost.
		fmt.Printf("CPU per request: server %s, client %s (server %.2f cores, client %.2f cores)\n",
			(srvCPU / time.Duration(n)).Round(time.Microsecond), (cliCPU / time.Duration(n)).Round(time.Microsecond),
			srvCPU.Seconds()/duration.Seconds(), cliCPU.Seconds()/duration.Seconds())
	}
	fmt.Printf("\nserver memory: peak RSS %.1f MiB (VmHWM), now %.1f MiB   goal: peak < 150 MiB\n", float64(peak)/1024, float64(rss)/1024)
	if res.errors.Load() > 0 {
		return fmt.Errorf("%d requests failed (first: %s)", res.errors.Load(), res.firstError())
	}
	return nil
}

// world is what the server holds.
type world struct {
	dir      string
	services int
	clients  int
	waiting  []string         // prod promotions waiting for approvals
	tokens   []string         // one approver token per client
	viewer   string           // a viewer's token
	ids      []string         // every promotion id
	svc      func(int) string // service name by index
	seeded   int
	audited  int
}

const benchConfig = `# bench/api's world
gitops: {remote: gitops.git}
groups:
  sre: [%[1]s]
  everyone: [reader@example.com, alice@example.com, %[1]s]
auth:
  roles:
    - {role: viewer, members: [everyone]}
    - {role: releaser, members: [alice@example.com]}
    - {role: approver, members: [sre]}
environments:
  - name: dev
    autoPromote: true
    pin: {file: "envs/{env}/{service}.yaml", path: image.digest}
  - name: staging
    pin: {file: "envs/{env}/{service}.yaml", path: image.digest}
  - name: prod
    promotion: pull-request
    pin: {file: "envs/{env}/{service}.yaml", path: image.digest}
    gates:
      # More approvals than there are approvers: approvals are recorded and
      # re-evaluated, and no promotion ever leaves for Git during the bench.
      approvals: {required: 1000, groups: [sre]}
services:
`

func (w *world) setup(promotions int) error {
	w.svc = func(i int) string { return fmt.Sprintf("s%04d", i) }
	if _, err := trust.WriteKeyPair(filepath.Join(w.dir, "cosign.key"), filepath.Join(w.dir, "cosign.pub")); err != nil {
		return err
	}
	var approvers []string
	for i := 0; i < w.clients; i++ {
		approvers = append(approvers, fmt.Sprintf("approver%02d@example.com", i))
	}
	var cfg strings.Builder
	fmt.Fprintf(&cfg, benchConfig, strings.Join(approvers, ", "))
	for i := 0; i < w.services; i++ {
		fmt.Fprintf(&cfg, "  - {name: %s, image: registry.example.com/%s, keys: [cosign.pub]}\n", w.svc(i), w.svc(i))
	}
	if err := os.WriteFile(filepath.Join(w.dir, "slipway.yaml"), []byte(cfg.String()), 0o644); err != nil {
		return err
	}
	if err := w.gitops(); err != nil {
		return err
	}
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(w.dir, "state"))
	if err != nil {
		return err
	}
	defer db.Close()
	st := db.Store()
	if err := w.seed(ctx, st, promotions); err != nil {
		return err
	}
	return w.people(ctx, st, approvers)
}

// gitops makes the bare remote with every pin file.
func (w *world) gitops() error {
	remote := filepath.Join(w.dir, "gitops.git")
	seed := filepath.Join(w.dir, "seed")
	if err := git(w.dir, "init", "-q", "--bare", "-b", "main", remote); err != nil {
		return err
	}
	if err := git(w.dir, "init", "-q", "-b", "main", seed); err != nil {
		return err
	}
	for _, env := range []string{"dev", "staging", "prod"} {
		os.MkdirAll(filepath.Join(seed, "envs", env), 0o755)
		for i := 0; i < w.services; i++ {
			if err := os.WriteFile(filepath.Join(seed, "envs", env, w.svc(i)+".yaml"), []byte("image:\n  digest: \"\"\n"), 0o644); err != nil {
				return err
			}
		}
	}
	for _, args := range [][]string{{"add", "-A"}, {"-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-q", "-m", "chore: pins"}, {"push", "-q", remote, "HEAD:main"}} {
		if err := git(seed, args...); err != nil {
			return err
		}
	}
	return nil
}

func git(dir string, args ...string) error {
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("git %v: %v: %s", args, err, out)
	}
	return nil
}

// seed writes the history of every service through the store: builds
// promoted through dev, staging and prod, audited in prod, and one prod
// promotion waiting for approvals.
func (w *world) seed(ctx context.Context, st slipway.Store, promotions int) error {
	perService := max(promotions/w.services, 1)
	t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	at := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }
	step := 0
	for i := 0; i < w.services; i++ {
		svc := w.svc(i)
		var plan []struct {
			build int
			env   string
		}
		for b := 0; len(plan) < perService-1; b++ {
			for _, env := range []string{"dev", "staging", "prod"} {
				if len(plan) < perService-1 {
					plan = append(plan, struct {
						build int
						env   string
					}{b, env})
				}
			}
		}
		builds := map[int]*slipway.Build{}
		buildOf := func(n int) (*slipway.Build, error) {
			if b, ok := builds[n]; ok {
				return b, nil
			}
			d := fmt.Sprintf("sha256:%012x%052x", uint64(i)<<16|uint64(n), uint64(n))
			b := &slipway.Build{ID: slipway.BuildID(svc, d), Service: svc, Commit: fmt.Sprintf("%040x", uint64(i)<<20|uint64(n)), Image: "registry.example.com/" + svc, Digest: d, KeyID: "bench", Created: at(step)}
			_, err := st.Builds.CreateBuild(ctx, b)
			builds[n] = b
			return b, err
		}
		for _, x := range plan {
			b, err := buildOf(x.build)
			if err != nil {
				return err
			}
			step++
			p := &slipway.Promotion{Service: svc, Env: x.env, BuildID: b.ID, Digest: b.Digest, Requester: "slipway", State: slipway.StateWaiting, Reason: "evaluating gates", Created: at(step)}
			if _, err := st.Promotions.CreatePromotion(ctx, p, true); err != nil {
				return err
			}
			for _, to := range []slipway.PromotionState{slipway.StatePinning, slipway.StateSynced, slipway.StateSucceeded} {
				if err := st.Promotions.Transition(ctx, p, to, string(to), at(step)); err != nil {
					return err
				}
			}
			w.ids = append(w.ids, p.ID)
			w.seeded++
			if x.env == "prod" {
				e := &slipway.AuditEntry{At: at(step), Kind: "promoted", Service: svc, Env: "prod", Digest: b.Digest, KeyID: b.KeyID, PinCommit: b.Commit, Approvers: []string{"approver00@example.com"}, Verdict: "promoted", PromotionID: p.ID}
				if err := st.Audit.AppendAudit(ctx, e); err != nil {
					return err
				}
				w.audited++
			}
		}
		b, err := buildOf(len(builds))
		if err != nil {
			return err
		}
		step++
		p := &slipway.Promotion{Service: svc, Env: "prod", BuildID: b.ID, Digest: b.Digest, Requester: "alice@example.com", State: slipway.StateWaiting, Reason: "waiting: approvals", Created: at(step)}
		if _, err := st.Promotions.CreatePromotion(ctx, p, true); err != nil {
			return err
		}
		w.waiting = append(w.waiting, p.ID)
		w.ids = append(w.ids, p.ID)
		w.seeded++
	}
	return nil
}

// people creates the approvers (one per client) and a viewer, with tokens.
func (w *world) people(ctx context.Context, st slipway.Store, approvers []string) error {
	hash, err := auth.HashPassword("bench password, long enough")
	if err != nil {
		return err
	}
	svc := &auth.Service{Store: st}
	for _, u := range append([]string{"reader@example.com"}, approvers...) {
		now := time.Now().UTC()
		if err := st.Users.CreateUser(ctx, &slipway.User{Name: u, PasswordHash: hash, Created: now, Updated: now}); err != nil {
			return err
		}
		tok, _, err := svc.CreateToken(slipway.WithActor(ctx, &slipway.Actor{Name: u, Kind: slipway.ActorUser}), auth.TokenRequest{Name: "bench"})
		if err != nil {
			return err
		}
		if u == "reader@example.com" {
			w.viewer = tok
		} else {
			w.tokens = append(w.tokens, tok)
		}
	}
	return nil
}

// results are the latencies and errors of a run.
type results struct {
	mu       sync.Mutex
	lat      map[string][]time.Duration
	errors   atomic.Int64
	firstErr atomic.Value
}

func (r *results) add(kind string, d time.Duration) {
	r.mu.Lock()
	r.lat[kind] = append(r.lat[kind], d)
	r.mu.Unlock()
}

func (r *results) fail(err error) {
	if r.errors.Add(1) == 1 {
		r.firstErr.Store(err.Error())
	}
}

func (r *results) firstError() string {
	s, _ := r.firstErr.Load().(string)
	return s
}

// load runs the clients until the duration ends.
func (w *world) load(base string, d time.Duration, approvalShare float64) *results {
	res := &results{lat: map[string][]time.Duration{}}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: w.clients * 2}, Timeout: 30 * time.Second}
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for c := 0; c < w.clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 42))
			order := rng.Perm(len(w.waiting)) // each client approves each waiting promotion at most once
			var buf bytes.Buffer              // each answer is read whole into it
			next := 0
			for time.Now().Before(deadline) {
				var kind, method, path string
				var body any
				tok := w.viewer
				if rng.Float64() < approvalShare && next < len(order) {
					kind, method, tok = "approve", "POST", w.tokens[c]
					path, body = "/api/v1/promotions/"+w.waiting[order[next]]+"/approve", api.DecisionRequest{Comment: "bench"}
					next++
				} else {
					kind, method, path = w.read(rng)
				}
				start := time.Now()
				err := call(hc, method, base+path, tok, body, &buf)
				res.add(kind, time.Since(start))
				if err != nil {
					res.fail(fmt.Errorf("%s %s: %w", method, path, err))
				}
			}
		}(c)
	}
	wg.Wait()
	return res
}

// read picks one of the reads people and dashboards make.
func (w *world) read(rng *rand.Rand) (kind, method, path string) {
	svc := w.svc(rng.IntN(w.services))
	switch n := rng.IntN(100); {
	case n < 25:
		return "read promotion", "GET", "/api/v1/promotions/" + w.ids[rng.IntN(len(w.ids))]
	case n < 45:
		return "read promotions of a service", "GET", "/api/v1/promotions?limit=20&service=" + svc
	case n < 60:
		return "read why", "GET", "/api/v1/why?env=prod&service=" + svc
	case n < 75:
		return "read services page", "GET", "/api/v1/services?limit=20&cursor=" + url.QueryEscape(cursor(svc))
	case n < 85:
		return "read builds of a service", "GET", "/api/v1/builds?service=" + svc
	case n < 95:
		return "read audit page", "GET", "/api/v1/audit?limit=50"
	default:
		return "read me", "GET", "/api/v1/me"
	}
}

// cursor is the services cursor after a service (the API's encoding).
func cursor(svc string) string { return base64.RawURLEncoding.EncodeToString([]byte(svc)) }

// call sends a request and reads the whole answer into buf (reused from
// one request to the next, so the client's own allocations stay out of
// the figures' way; the answers are not decoded).
func call(hc *http.Client, method, u, token string, body any, buf *bytes.Buffer) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	buf.Reset()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return fmt.Errorf("reading the answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s: %.300s", resp.Status, buf.Bytes())
	}
	return nil
}

// print prints the figures and returns how many requests were made.
func (r *results) print(d time.Duration) int {
	kinds := make([]string, 0, len(r.lat))
	var reads, all []time.Duration
	for k, v := range r.lat {
		kinds = append(kinds, k)
		all = append(all, v...)
		if strings.HasPrefix(k, "read") {
			reads = append(reads, v...)
		}
	}
	sort.Strings(kinds)
	fmt.Printf("\n%-30s %8s %10s %10s %10s %10s\n", "REQUESTS", "COUNT", "P50", "P90", "P99", "MAX")
	for _, k := range kinds {
		printRow(k, r.lat[k])
	}
	printRow("all reads", reads)
	printRow("all", all)
	fmt.Printf("\nthroughput %.0f requests/s; errors %d   goal: 0 errors, reads p99 < 50ms\n", float64(len(all))/d.Seconds(), r.errors.Load())
	return len(all)
}

func printRow(name string, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	q := func(p float64) string {
		return ds[min(len(ds)-1, int(p*float64(len(ds))))].Round(10 * time.Microsecond).String()
	}
	fmt.Printf("%-30s %8d %10s %10s %10s %10s\n", name, len(ds), q(0.5), q(0.9), q(0.99), ds[len(ds)-1].Round(10*time.Microsecond))
}

// processCPU is a process's user + system time so far (every thread).
func processCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command name, which is in parentheses and may
	// hold spaces: utime and stime are the 12th and 13th of them.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc's CPU times (100 on Linux).
const clockTicks = 100

// memory reads the process's peak and current resident set (KiB).
func memory(pid int) (peak, now int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		n, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmHWM:":
			peak = n
		case "VmRSS:":
			now = n
		}
	}
	return peak, now
}

func waitReady(base string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("the server did not become ready")
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
