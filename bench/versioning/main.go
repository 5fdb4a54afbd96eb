// Command versioning benchmarks `slipway version next` and
// `slipway changelog --all` against the floor: git printing the same
// range with `git log --format=%H%x00%B`.
//
// It builds linear repositories of Conventional Commits with
// git fast-import (a mix of types, scopes, bodies, footers and ~2%
// breaking changes; a release tag every 1,000 commits), runs each command
// a few times, and prints the best wall time, the ratio to the floor and
// the peak RSS.
//
//	go run ./bench/versioning                 # 10k and 100k commits
//	go run ./bench/versioning -sizes 10000 -runs 5
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	sizes := flag.String("sizes", "10000,100000", "commit counts, comma-separated")
	runs := flag.Int("runs", 3, "runs per command (the best is reported)")
	bin := flag.String("slipway", "", "slipway binary (default: build ./cmd/slipway)")
	keep := flag.Bool("keep", false, "keep the generated repositories")
	workDir := flag.String("work", "", "work directory; repositories already in it (repo-N) are reused (implies -keep)")
	flag.Parse()

	work := *workDir
	if work == "" {
		var err error
		work, err = os.MkdirTemp("", "slipway-bench-")
		check(err)
		if !*keep {
			defer os.RemoveAll(work)
		}
	}
	if *bin == "" {
		*bin = filepath.Join(work, "slipway")
		fmt.Fprintln(os.Stderr, "building slipway…")
		run(exec.Command("go", "build", "-o", *bin, "./cmd/slipway"))
	}
	fmt.Printf("%-8s %-26s %9s %7s %9s %10s %12s\n", "commits", "command", "best", "ratio", "CPU", "own RSS", "RSS w/ git")
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		check(err)
		dir := filepath.Join(work, fmt.Sprintf("repo-%d", n))
		if _, err := os.Stat(filepath.Join(dir, ".git")); err != nil {
			fmt.Fprintf(os.Stderr, "generating %d commits in %s…\n", n, dir)
			generate(dir, n)
		}
		benchRepo(dir, n, *bin, *runs)
	}
}

// benchRepo measures the floors and slipway on one repository. The
// version-next range is bench-v0.1.0..HEAD (a tag on the root commit, so
// all commits); changelog --all reads the whole history.
func benchRepo(dir string, n int, bin string, runs int) {
	gitLog := func(rng string) []string {
		return []string{"git", "-C", dir, "log", "--format=%H%x00%B", rng}
	}
	rows := []struct {
		name  string
		argv  []string
		floor int // index of the row this one is compared to, -1 for a floor
	}{
		{"git log (floor, range)", gitLog("bench-v0.1.0..HEAD"), -1},
		{"slipway version next", []string{bin, "version", "next", "--repo", dir, "--tag-format", "bench-v{version}", "--output", "json"}, 0},
		{"git log (floor, all)", gitLog("HEAD"), -1},
		{"slipway changelog --all", []string{bin, "changelog", "--repo", dir, "--all"}, 2},
	}
	best := make([]time.Duration, len(rows))
	for i, r := range rows {
		var rss, own int64
		var cpu time.Duration
		best[i], cpu, own, rss = measure(r.argv, runs)
		ratio := ""
		if r.floor >= 0 {
			ratio = fmt.Sprintf("%.2fx", float64(best[i])/float64(best[r.floor]))
		}
		fmt.Printf("%-8d %-26s %9s %7s %9s %6.1f MiB %8.1f MiB\n", n, r.name, best[i].Round(time.Millisecond), ratio, cpu.Round(time.Millisecond), float64(own)/1024, float64(rss)/1024)
	}
}

// measure runs argv runs times with stdout discarded and returns the best
// wall time, the user+system CPU of that run, the peak RSS of the process
// itself (VmHWM, sampled every 5 ms) and the peak RSS including the
// children it waited for (git), all in KiB. On a shared machine CPU time
// is the steadier figure.
func measure(argv []string, runs int) (best, cpu time.Duration, own, rss int64) {
	for i := 0; i < runs; i++ {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Stderr = os.Stderr
		start := time.Now()
		check(cmd.Start())
		done := make(chan struct{})
		hwm := make(chan int64)
		go func() { hwm <- sampleHWM(cmd.Process.Pid, done) }()
		err := cmd.Wait()
		d := time.Since(start)
		close(done)
		if h := <-hwm; h > own {
			own = h
		}
		check(err)
		if best == 0 || d < best {
			best = d
			cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru.Maxrss > rss {
			rss = ru.Maxrss
		}
	}
	return best, cpu, own, rss
}

// sampleHWM polls /proc/<pid>/status for VmHWM (the process's own peak
// resident size) until done, returning the last value read.
func sampleHWM(pid int, done <-chan struct{}) int64 {
	var peak int64
	path := fmt.Sprintf("/proc/%d/status", pid)
	for {
		if b, err := os.ReadFile(path); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
					kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
					peak = max(peak, kb)
				}
			}
		}
		select {
		case <-done:
			return peak
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// generate writes a linear history of n commits with fast-import.
func generate(dir string, n int) {
	check(os.MkdirAll(dir, 0o755))
	run(exec.Command("git", "init", "-q", "-b", "main", dir))
	cmd := exec.Command("git", "-C", dir, "fast-import", "--quiet")
	in, err := cmd.StdinPipe()
	check(err)
	cmd.Stderr = os.Stderr
	check(cmd.Start())
	w := bufio.NewWriterSize(in, 1<<20)
	rng := rand.New(rand.NewSource(1))
	ts := int64(1700000000)
	for i := 1; i <= n; i++ {
		msg := message(rng, i)
		fmt.Fprintf(w, "commit refs/heads/main\nmark :%d\n", i)
		fmt.Fprintf(w, "author Dev %d <dev%d@example.com> %d +0000\n", i%37, i%37, ts+int64(i)*60)
		fmt.Fprintf(w, "committer CI <ci@example.com> %d +0000\n", ts+int64(i)*60)
		fmt.Fprintf(w, "data %d\n%s\n", len(msg), msg)
		if i > 1 {
			fmt.Fprintf(w, "from :%d\n", i-1)
		}
		fmt.Fprintf(w, "M 644 inline src/%s/file.go\ndata %d\n%d\n", scopes[i%len(scopes)], len(strconv.Itoa(i))+1, i)
		w.WriteString("\n")
		if i == 1 {
			w.WriteString("reset refs/tags/bench-v0.1.0\nfrom :1\n\n")
		}
		if i%1000 == 0 {
			fmt.Fprintf(w, "reset refs/tags/v1.%d.0\nfrom :%d\n\n", i/1000, i)
		}
	}
	check(w.Flush())
	check(in.Close())
	check(cmd.Wait())
	run(exec.Command("git", "-C", dir, "reset", "-q", "--hard", "main"))
}

var (
	types  = []string{"feat", "feat", "fix", "fix", "fix", "chore", "chore", "docs", "refactor", "perf", "test", "ci", "build"}
	scopes = []string{"api", "web", "db", "auth", "cli", "core", "ui", "deps"}
	words  = strings.Fields("the of a to handle retry cache digest rollout canary window gate promote release pin tag build image registry signature timeout error path config")
)

func sentence(rng *rand.Rand, n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = words[rng.Intn(len(words))]
	}
	return strings.Join(w, " ")
}

// message is one Conventional Commit: ~60% scoped, ~50% with a body, some
// footers, ~2% breaking (half "!", half a BREAKING CHANGE footer), and a
// few squash merges listing extra commits.
func message(rng *rand.Rand, i int) string {
	var b strings.Builder
	typ := types[rng.Intn(len(types))]
	b.WriteString(typ)
	if rng.Intn(10) < 6 {
		b.WriteString("(" + scopes[rng.Intn(len(scopes))] + ")")
	}
	breaking := rng.Intn(100) < 2
	bang := breaking && rng.Intn(2) == 0
	if bang {
		b.WriteString("!")
	}
	fmt.Fprintf(&b, ": %s (#%d)\n", sentence(rng, 3+rng.Intn(6)), i)
	if rng.Intn(2) == 0 {
		b.WriteString("\n")
		for l := rng.Intn(3); l >= 0; l-- {
			b.WriteString(sentence(rng, 8+rng.Intn(6)) + "\n")
		}
	}
	var footers []string
	if breaking && !bang {
		footers = append(footers, "BREAKING CHANGE: "+sentence(rng, 6))
	}
	if rng.Intn(5) == 0 {
		footers = append(footers, fmt.Sprintf("Refs: #%d", rng.Intn(i+1)))
	}
	if rng.Intn(10) == 0 {
		footers = append(footers, "Co-authored-by: Pair <pair@example.com>")
	}
	if rng.Intn(50) == 0 {
		footers = append(footers, "fix(deps): "+sentence(rng, 4))
	}
	if len(footers) > 0 {
		b.WriteString("\n" + strings.Join(footers, "\n") + "\n")
	}
	return b.String()
}

func run(cmd *exec.Cmd) {
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
		os.Exit(1)
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
