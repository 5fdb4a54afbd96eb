// Command auditverify measures `slipway audit verify` end to end on a
// state of N prod changes: the transparency log (N leaves), the store (N
// promotions and N audit entries, SQLite) and a GitOps remote whose history
// holds every pin commit (a pull-request head and its merge for each
// change; every tenth change aborted and reverted). It runs the real CLI
// binary and prints its wall and CPU time next to tlog.Verify alone (the
// log without Git and the store).
//
// The state is built once and cached:
//
//	go run ./bench/auditverify                 # 100k changes, cached in $TMPDIR/slipway-auditverify-100000
//	go run ./bench/auditverify -n 10000 -runs 5
//
// The CLI runs with GOMAXPROCS=2 (the target: under 5 s on 2 cores).
package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"log/slog"
	"runtime/pprof"

	"k8s.io/klog/v2"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/app"
	"github.com/slipway/slipway/bench/internal/benchutil"
	"github.com/slipway/slipway/config"
	"github.com/slipway/slipway/engine"
	"github.com/slipway/slipway/sqlite"
	"github.com/slipway/slipway/tlog"
	"github.com/slipway/slipway/trust"
)

const services = 40

func main() {
	n := flag.Int("n", 100_000, "prod changes (leaves)")
	dir := flag.String("dir", "", "state directory (default $TMPDIR/slipway-auditverify-N); reused when complete")
	runs := flag.Int("runs", 3, "verify runs (best and median are reported)")
	profile := flag.String("cpuprofile", "", "also run the verification in process (GOMAXPROCS=2) once and write its CPU profile to this file (and its allocations to FILE.heap)")
	flag.Parse()
	klog.SetOutput(io.Discard)
	klog.LogToStderr(false)
	if *dir == "" {
		*dir = filepath.Join(os.TempDir(), fmt.Sprintf("slipway-auditverify-%d", *n))
	}
	ctx := context.Background()
	done := filepath.Join(*dir, "complete")
	if _, err := os.Stat(done); err != nil {
		os.RemoveAll(*dir)
		start := time.Now()
		fmt.Fprintf(os.Stderr, "building %d prod changes in %s (once)…\n", *n, *dir)
		check(build(ctx, *dir, *n))
		check(os.WriteFile(done, nil, 0o644))
		fmt.Printf("built in %v\n", time.Since(start).Round(time.Second))
	}
	check(writeConfig(*dir))
	bin := filepath.Join(*dir, "slipway")
	check(run("", "go", "build", "-o", bin, "./cmd/slipway"))
	key, err := tlog.ReadPublicKey(app.TlogDir(state(*dir)))
	check(err)
	args := []string{"--config", filepath.Join(*dir, "slipway.yaml"), "--state", state(*dir), "audit", "verify", "--key", key, "--checkpoint", filepath.Join(*dir, "saved.cp")}

	if *profile != "" {
		check(profileVerify(ctx, *dir, key, *profile))
	}
	fmt.Printf("state: %d leaves, %d promotions and audit entries, %d GitOps commits; machine: %d CPUs, load %s\n", *n, *n, commits(*n), runtime.NumCPU(), benchutil.LoadAvg())
	tl, tlCPU := measureOrExit(*runs, func() error {
		_, err := tlog.Verify(ctx, app.TlogDir(state(*dir)), tlog.VerifyOptions{PublicKey: key, OnLeaf: func(uint64, tlog.Leaf) error { return nil }})
		return err
	})
	var cli, cliCPU []time.Duration
	var out string
	for range *runs {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "GOMAXPROCS=2")
		start := time.Now()
		b, err := cmd.CombinedOutput()
		cli = append(cli, time.Since(start))
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s\n", b)
			check(err)
		}
		cliCPU = append(cliCPU, cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime())
		out = string(b)
	}
	slices.Sort(cli)
	slices.Sort(cliCPU)
	ms := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	fmt.Printf("%-48s %10s %10s %10s\n", "", "best wall", "median", "best CPU")
	fmt.Printf("%-48s %10v %10v %10v\n", "tlog.Verify alone (in process, all CPUs)", ms(tl[0]), ms(tl[len(tl)/2]), ms(tlCPU))
	fmt.Printf("%-48s %10v %10v %10v\n", "slipway audit verify (GOMAXPROCS=2, + Git + store)", ms(cli[0]), ms(cli[len(cli)/2]), ms(cliCPU[0]))
	fmt.Printf("target: < 5s for 100k leaves on 2 cores\n\n%s", out)
}

// profileVerify runs Engine.VerifyLog in this process, as the CLI does,
// under a CPU profile.
func profileVerify(ctx context.Context, dir, key, out string) error {
	cfg, err := config.Load(filepath.Join(dir, "slipway.yaml"))
	if err != nil {
		return err
	}
	cp, err := os.ReadFile(filepath.Join(dir, "saved.cp"))
	if err != nil {
		return err
	}
	e, err := app.Open(ctx, app.Options{Config: cfg, StateDir: state(dir), Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	defer e.Close()
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	start := time.Now()
	_, err = e.VerifyLog(ctx, engine.VerifyLogOptions{PublicKey: key, Checkpoint: cp, CheckpointName: "saved.cp"})
	pprof.StopCPUProfile()
	if h, err := os.Create(out + ".heap"); err == nil {
		pprof.Lookup("allocs").WriteTo(h, 0) // what the verification allocated
		h.Close()
	}
	fmt.Printf("in process (GOMAXPROCS=2, profiled): %v; profile in %s\n", time.Since(start).Round(time.Millisecond), out)
	return err
}

func state(dir string) string { return filepath.Join(dir, "state") }

func commits(n int) int { return 1 + 2*n + n/10 }

// change i: a pull request on svc-(i%40) pinning digest(i), merged; every
// tenth is aborted and reverted to the service's previous digest.
func digest(i int) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "image-%d", i))
	return fmt.Sprintf("sha256:%x", sum)
}

func aborted(i int) bool { return i%10 == 9 }

func values(svc int, d string) string {
	return fmt.Sprintf("# svc-%d in prod\nimage:\n  repository: registry.example/svc-%d\n  digest: %q\n", svc, svc, d)
}

// pinCommits are the commits of change i, read back from fast-import's marks.
type pinCommits struct{ head, merge, revert string }

func build(ctx context.Context, dir string, n int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	remote := filepath.Join(dir, "gitops.git")
	pins, err := buildGitOps(remote, n)
	if err != nil {
		return err
	}
	db, err := sqlite.Open(ctx, state(dir))
	if err != nil {
		return err
	}
	st := db.Store()
	defer st.Close()
	l, err := tlog.Open(app.TlogDir(state(dir)))
	if err != nil {
		return err
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const chunk = 4096
	var leaves []tlog.Leaf
	for i := range n {
		svc := fmt.Sprintf("svc-%d", i%services)
		p := &slipway.Promotion{Service: svc, Env: "prod", BuildID: fmt.Sprintf("%s-%d", svc, i), Digest: digest(i), Release: fmt.Sprintf("v1.%d.%d", i/1000, i%1000),
			Requester: "alice@example.com", State: slipway.StateSucceeded, PinCommit: pins[i].merge, PR: i + 1, Branch: "slipway/prod/" + svc, Head: pins[i].head, Created: t0.Add(time.Duration(i) * time.Minute)}
		signer := fmt.Sprintf("%x", sha256.Sum256([]byte(svc)))
		b := &slipway.Build{ID: p.BuildID, Service: svc, Commit: fmt.Sprintf("%x", sha256.Sum256(fmt.Appendf(nil, "source-%d", i)))[:40],
			Image: "registry.example/" + svc, Digest: p.Digest, KeyID: signer, SignatureDigest: digest(-i - 1), Created: p.Created}
		if _, err := st.Builds.CreateBuild(ctx, b); err != nil {
			return fmt.Errorf("build %d: %w", i, err)
		}
		kind := tlog.KindPromoted
		if aborted(i) {
			p.State, p.Revert, kind = slipway.StateAborted, pins[i].revert, tlog.KindAborted
		}
		if _, err := st.Promotions.CreatePromotion(ctx, p, false); err != nil {
			return fmt.Errorf("promotion %d: %w", i, err)
		}
		x := &slipway.AuditEntry{At: p.Created.Add(30 * time.Second), Kind: kind, Service: svc, Env: "prod", Digest: p.Digest, KeyID: signer,
			PinCommit: p.PinCommit, PR: p.PR, Approvers: []string{"bob@example.com", "carol@example.com"}, Verdict: "canary passed: promoted to stable", PromotionID: p.ID}
		verdict := "Successful"
		if aborted(i) {
			x.PinCommit, x.Verdict, verdict = p.Revert, "analysis failed: error rate 0.35 > 0.05", "Failed"
		}
		if err := st.Audit.AppendAudit(ctx, x); err != nil {
			return err
		}
		sum := sha256.Sum256(fmt.Appendf(nil, "measurements-%d", i))
		leaves = append(leaves, tlog.Leaf{Kind: kind, Service: svc, Env: "prod", PromotionID: p.ID, Release: p.Release, Digest: p.Digest,
			Signer: signer, SignatureDigest: digest(-i - 1), PinCommit: x.PinCommit, PR: int64(p.PR), PRHead: p.Head,
			Approvers: x.Approvers, Verdict: verdict, Measurements: fmt.Sprintf("sha256:%x", sum), Reason: x.Verdict, Time: x.At})
		if len(leaves) == chunk || i == n-1 {
			if _, err := l.AppendBatch(ctx, leaves); err != nil {
				return err
			}
			leaves = leaves[:0]
			fmt.Fprintf(os.Stderr, "\r%d/%d", i+1, n)
		}
	}
	fmt.Fprintln(os.Stderr)
	if err := l.Close(); err != nil {
		return err
	}
	cp, err := tlog.ReadCheckpoint(app.TlogDir(state(dir)))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "saved.cp"), cp, 0o644); err != nil {
		return err
	}
	// The clone `slipway` keeps under the state directory, made once.
	return run(dir, "git", "clone", "-q", remote, filepath.Join(state(dir), "gitops"))
}

// buildGitOps writes the remote's history with git fast-import and returns
// each change's commits.
func buildGitOps(remote string, n int) ([]pinCommits, error) {
	if err := run("", "git", "init", "-q", "--bare", "-b", "main", remote); err != nil {
		return nil, err
	}
	marks := remote + ".marks"
	cmd := exec.Command("git", "-C", remote, "fast-import", "--quiet", "--export-marks="+marks)
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	w := bufio.NewWriterSize(in, 1<<20)
	mark, tick := 0, int64(1767225600)
	commit := func(ref, msg string, parents []int, files map[string]string) int {
		mark++
		tick++
		fmt.Fprintf(w, "commit %s\nmark :%d\ncommitter Slipway <slipway@example.com> %d +0000\ndata %d\n%s\n", ref, mark, tick, len(msg), msg)
		for k, p := range parents {
			if k == 0 {
				fmt.Fprintf(w, "from :%d\n", p)
			} else {
				fmt.Fprintf(w, "merge :%d\n", p)
			}
		}
		for path, content := range files {
			fmt.Fprintf(w, "M 100644 inline %s\ndata %d\n%s\n", path, len(content), content)
		}
		return mark
	}
	path := func(svc int) string { return fmt.Sprintf("envs/prod/svc-%d/values.yaml", svc) }
	seed := map[string]string{}
	for s := range services {
		seed[path(s)] = values(s, "")
	}
	main := commit("refs/heads/main", "chore: seed", nil, seed)
	current := make([]string, services) // digest each service runs
	type m struct{ head, merge, revert int }
	ms := make([]m, n)
	for i := range n {
		svc := i % services
		f := map[string]string{path(svc): values(svc, digest(i))}
		head := commit("refs/heads/pr", fmt.Sprintf("Promote svc-%d to prod\n\nSlipway-Promotion: p-%d", svc, i+1), []int{main}, f)
		main = commit("refs/heads/main", fmt.Sprintf("Merge pull request #%d", i+1), []int{main, head}, f)
		ms[i] = m{head: head, merge: main}
		if aborted(i) {
			main = commit("refs/heads/main", fmt.Sprintf("Revert pin of svc-%d", svc), []int{main}, map[string]string{path(svc): values(svc, current[svc])})
			ms[i].revert = main
		} else {
			current[svc] = digest(i)
		}
	}
	fmt.Fprintf(w, "reset refs/heads/pr\nfrom %s\n\n", strings.Repeat("0", 40)) // the pull-request branches are deleted once merged
	if err := w.Flush(); err != nil {
		return nil, err
	}
	in.Close()
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("git fast-import: %w", err)
	}
	sha, err := readMarks(marks)
	if err != nil {
		return nil, err
	}
	out := make([]pinCommits, n)
	for i, x := range ms {
		out[i] = pinCommits{head: sha[x.head], merge: sha[x.merge], revert: sha[x.revert]}
	}
	return out, nil
}

func readMarks(path string) (map[int]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[int]string{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		var mark int
		var sha string
		if _, err := fmt.Sscanf(s.Text(), ":%d %s", &mark, &sha); err != nil {
			return nil, fmt.Errorf("%s: %q: %w", path, s.Text(), err)
		}
		out[mark] = sha
	}
	return out, s.Err()
}

// writeConfig writes slipway.yaml (and a key its services trust).
func writeConfig(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "cosign.pub")); err != nil {
		if _, err := trust.WriteKeyPair(filepath.Join(dir, "cosign.key"), filepath.Join(dir, "cosign.pub")); err != nil {
			return err
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "gitops: {remote: %s}\nservices:\n", filepath.Join(dir, "gitops.git"))
	for s := range services {
		fmt.Fprintf(&b, "  - {name: svc-%d, image: registry.example/svc-%d, keys: [cosign.pub]}\n", s, s)
	}
	b.WriteString(`environments:
  - name: dev
    pin: {file: "envs/{env}/{service}/values.yaml", path: image.digest}
  - name: prod
    promotion: pull-request
    pin: {file: "envs/{env}/{service}/values.yaml", path: image.digest}
`)
	return os.WriteFile(filepath.Join(dir, "slipway.yaml"), []byte(b.String()), 0o644)
}

func run(dir, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "auditverify:", err)
		os.Exit(1)
	}
}

// measureOrExit is benchutil.Measure, ending the command on an error.
func measureOrExit(runs int, f func() error) ([]time.Duration, time.Duration) {
	ds, cpu, err := benchutil.Measure(runs, f)
	check(err)
	return ds, cpu
}
