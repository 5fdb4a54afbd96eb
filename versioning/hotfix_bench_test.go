package versioning

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway/slipway/git"
)

// The benchmarks below measure what the hotfix lane adds to a release on a
// 10k-commit history with a tag every 1,000 commits: recognizing the
// maintenance branch (none, or the target is on one) and finding the fixes
// a hotfix release announced first. Run:
//
//	go test -run XXX -bench 'Hotfix' -benchtime 20x ./versioning/

// benchRepo: main has 10,000 commits (v1.1.0 … v1.10.0, then 500 more);
// hotfix/bench/v1.8 from v1.8.0 carries 3 fixes released as v1.8.1; main
// cherry-picked one of them.
func benchRepo(b *testing.B) string {
	dir, err := makeBenchRepo(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	return dir
}

func makeBenchRepo(dir string) (string, error) {
	git := func(args ...string) (string, error) {
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=B", "-c", "user.email=b@example.com"}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("git %v: %v: %s", args, err, out)
		}
		return strings.TrimSpace(string(out)), nil
	}
	if _, err := git("init", "-q", "-b", "main"); err != nil {
		return "", err
	}
	cmd := exec.Command("git", "-C", dir, "fast-import", "--quiet")
	in, err := cmd.StdinPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	w := bufio.NewWriterSize(in, 1<<20)
	types := []string{"feat", "fix", "chore", "docs", "fix", "refactor", "perf"}
	const n = 10500
	for i := 1; i <= n; i++ {
		msg := fmt.Sprintf("%s(s%d): change %d", types[i%len(types)], i%9, i)
		fmt.Fprintf(w, "commit refs/heads/main\nmark :%d\ncommitter B <b@example.com> %d +0000\ndata %d\n%s\n", i, 1700000000+i*60, len(msg), msg)
		if i > 1 {
			fmt.Fprintf(w, "from :%d\n", i-1)
		}
		body := fmt.Sprintf("%d\n", i)
		fmt.Fprintf(w, "M 644 inline src/f%d.go\ndata %d\n%s\n", i%50, len(body), body)
		if i%1000 == 0 {
			fmt.Fprintf(w, "reset refs/tags/bench-v1.%d.0\nfrom :%d\n\n", i/1000, i)
		}
	}
	w.Flush()
	in.Close()
	if err := cmd.Wait(); err != nil {
		return "", err
	}
	if _, err := git("checkout", "-q", "-b", "hotfix/bench/v1.8", "bench-v1.8.0"); err != nil {
		return "", err
	}
	var fixes []string
	for i := 0; i < 3; i++ {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("hotfix%d.txt", i)), []byte("fix\n"), 0o644); err != nil {
			return "", err
		}
		if _, err := git("add", "-A"); err != nil {
			return "", err
		}
		if _, err := git("commit", "-q", "-m", fmt.Sprintf("fix: hotfix %d", i)); err != nil {
			return "", err
		}
		sha, _ := git("rev-parse", "HEAD")
		fixes = append(fixes, sha)
	}
	for _, s := range [][]string{{"tag", "bench-v1.8.1"}, {"checkout", "-q", "main"}, {"cherry-pick", "-x", fixes[1]}} {
		if _, err := git(s...); err != nil {
			return "", err
		}
	}
	return dir, nil
}

var benchReq = Request{Component: "bench", TagFormat: "{component}-v{version}"}

// withAndWithoutGraph runs bench twice on a fresh repository: before and
// after `git commit-graph write` (which git gc does by default), since the
// reachability questions these paths ask cost a history walk without it.
func withAndWithoutGraph(b *testing.B, bench func(b *testing.B, dir string)) {
	dir := benchRepo(b)
	b.Run("commit-graph=false", func(b *testing.B) { bench(b, dir) })
	if out, err := exec.Command("git", "-C", dir, "commit-graph", "write", "--reachable").CombinedOutput(); err != nil {
		b.Fatalf("commit-graph: %v %s", err, out)
	}
	b.Run("commit-graph=true", func(b *testing.B) { bench(b, dir) })
}

func benchNext(b *testing.B, req Request) *Result {
	b.Helper()
	var res *Result
	for b.Loop() {
		var err error
		if res, err = Next(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
	return res
}

func BenchmarkHotfixNextMainLine(b *testing.B) {
	withAndWithoutGraph(b, func(b *testing.B, dir string) {
		for _, policy := range []bool{false, true} {
			b.Run(fmt.Sprintf("policy=%v", policy), func(b *testing.B) {
				req := benchReq
				req.Dir = dir
				if policy {
					req.Branches = &BranchPolicy{Release: "main"}
				}
				if res := benchNext(b, req); res.Maintenance != nil || res.Next != "1.11.0" {
					b.Fatalf("main line: %+v", res)
				}
			})
		}
	})
}

func BenchmarkHotfixNextOnMaintenanceBranch(b *testing.B) {
	withAndWithoutGraph(b, func(b *testing.B, dir string) {
		req := benchReq
		req.Dir = dir
		req.Target = "hotfix/bench/v1.8"
		req.Branches = &BranchPolicy{Release: "main"}
		// The target is the tagged v1.8.1: nothing new, no range to pass.
		if res := benchNext(b, req); res.Maintenance == nil || res.Maintenance.Range != ">=1.8.1 <1.9.0" {
			b.Fatalf("hotfix branch: %+v", res.Maintenance)
		}
	})
}

func BenchmarkHotfixSupersede(b *testing.B) {
	withAndWithoutGraph(b, func(b *testing.B, dir string) {
		req := benchReq
		req.Dir = dir
		res, err := Next(context.Background(), req)
		if err != nil {
			b.Fatal(err)
		}
		format, _ := ParseTagFormat(req.TagFormat, req.Component)
		repo := git.Open(req.Dir)
		for b.Loop() {
			sup, err := findSuperseded(context.Background(), repo, format, res)
			if err != nil || len(sup.first) != 1 || strings.Join(sup.tags, ",") != "bench-v1.8.1" {
				b.Fatalf("supersede: %+v %v", sup, err)
			}
		}
	})
}
