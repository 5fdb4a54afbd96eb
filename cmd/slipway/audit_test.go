package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway/slipway/app"
	"github.com/slipway/slipway/demo"
)

// TestAuditCLI plays the demo (two prod changes: v1.0.0 promoted, v1.1.0
// aborted and reverted) and checks `slipway audit` against its state, then
// tampers with the log and with Git: each `audit verify` fails with exit 1
// naming the leaf.
func TestAuditCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("plays the demo: skipped with -short")
	}
	res, err := demo.Run(context.Background(), demo.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	cli := func(args ...string) (string, int) {
		return runCLI(t, append([]string{"--config", res.ConfigPath, "--state", res.StateDir}, args...)...)
	}
	must := func(want int, args ...string) string {
		t.Helper()
		out, code := cli(args...)
		if code != want {
			t.Fatalf("slipway %s: exit %d, want %d:\n%s", strings.Join(args, " "), code, want, out)
		}
		return out
	}
	dir := app.TlogDir(res.StateDir)

	if key := strings.TrimSpace(must(0, "audit", "key")); key != res.LogKey {
		t.Errorf("audit key printed %q, the demo pinned %q", key, res.LogKey)
	}
	cp := filepath.Join(t.TempDir(), "audit.cp")
	if err := os.WriteFile(cp, []byte(must(0, "audit", "checkpoint")), 0o644); err != nil {
		t.Fatal(err)
	}
	out := must(0, "audit", "verify", "--key", res.LogKey, "--checkpoint", cp)
	for _, want := range []string{"audit chain ok: 5 entries" /* the platform release: in the chain, not in the log */, "transparency log ok: 4 leaves", "signed by the pinned key", "consistent with " + cp, "3 pin commits", "4 audit entries match"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit verify output lacks %q:\n%s", want, out)
		}
	}
	show := must(0, "audit", "show", "--service", "api", "--release", "v1.0.0")
	for _, want := range []string{"keyless https://github.com/acme/api/.github/workflows/release.yml", res.Good.SBOMDigest, "promoted      in prod", "analysis    Successful", "leaf 0 (hash", "pull request #"} {
		if !strings.Contains(show, want) {
			t.Errorf("audit show lacks %q:\n%s", want, show)
		}
	}
	if out := must(0, "audit", "show", "--service", "api", "--release", "v1.1.0", "--output", "json"); !strings.Contains(out, `"kind": "aborted"`) || !strings.Contains(out, `"index": 1`) {
		t.Errorf("audit show -o json of v1.1.0:\n%s", out)
	}
	if out := must(0, "build", "list", "--refused", "--service", "api"); !strings.Contains(out, "unsigned") || !strings.Contains(out, "RULE") {
		t.Errorf("build list --refused:\n%s", out)
	}
	must(1, "audit", "show", "--service", "api", "--release", "v9.9.9")

	t.Run("a flipped leaf byte", func(t *testing.T) {
		bundle := filepath.Join(dir, "log", "tile", "entries", "000.p", "4") // the partial bundle of the demo's 4 leaves
		orig, err := os.ReadFile(bundle)
		if err != nil {
			t.Fatal(err)
		}
		defer os.WriteFile(bundle, orig, 0o644)
		i := bytes.LastIndex(orig, []byte(`"verdict":"Failed"`))
		tampered := bytes.Clone(orig)
		copy(tampered[i:], `"verdict":"Fooled"`)
		os.WriteFile(bundle, tampered, 0o644)
		if out, code := cli("audit", "verify", "--key", res.LogKey); code != 1 || !strings.Contains(out, "leaf 1: leaf altered") {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})

	t.Run("the newest leaf deleted", func(t *testing.T) {
		bundle := filepath.Join(dir, "log", "tile", "entries", "000.p", "4") // the partial bundle of the demo's 4 leaves
		orig, err := os.ReadFile(bundle)
		if err != nil {
			t.Fatal(err)
		}
		defer os.WriteFile(bundle, orig, 0o644)
		// Keep the first three leaves (each a 2-byte length and its bytes).
		end := 0
		for i := 0; i < 3; i++ {
			end += 2 + (int(orig[end])<<8 | int(orig[end+1]))
		}
		os.WriteFile(bundle, orig[:end], 0o644)
		if out, code := cli("audit", "verify", "--key", res.LogKey, "--checkpoint", cp); code != 1 || !strings.Contains(out, "leaf 3: leaf missing") {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})

	t.Run("the checkpoint replaced", func(t *testing.T) {
		file := filepath.Join(dir, "log", "checkpoint")
		orig, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		defer os.WriteFile(file, orig, 0o644)
		// The checkpoint saved after v1.0.0: signed, but one leaf short.
		os.WriteFile(file, res.Checkpoint, 0o644)
		if out, code := cli("audit", "verify", "--key", res.LogKey, "--checkpoint", cp); code != 1 || !strings.Contains(out, "leaf 1: leaves were deleted") {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})

	t.Run("another key", func(t *testing.T) {
		other := strings.Replace(res.LogKey, "slipway.local/audit/", "slipway.local/audit/0", 1)
		if out, code := cli("audit", "verify", "--key", other); code == 0 || !strings.Contains(out, "key") {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})

	t.Run("the pin commit rewritten away by a force-push", func(t *testing.T) {
		// History rewritten to one commit holding today's files, and
		// force-pushed: the pin commits the log names are gone.
		git := func(args ...string) string {
			out, err := exec.Command("git", append([]string{"-C", res.GitOps}, args...)...).CombinedOutput()
			if err != nil {
				t.Fatalf("git %v: %v: %s", args, err, out)
			}
			return strings.TrimSpace(string(out))
		}
		root := git("-c", "user.name=m", "-c", "user.email=m@example.com", "commit-tree", git("rev-parse", "main^{tree}"), "-m", "history squashed")
		git("update-ref", "refs/heads/main", root)
		for _, ref := range strings.Fields(git("for-each-ref", "--format=%(refname)", "refs/heads/slipway")) {
			git("update-ref", "-d", ref) // open pull requests' branches carry the old history too
		}
		if out, code := cli("audit", "verify", "--key", res.LogKey); code != 1 || !strings.Contains(out, "leaf 0: leaf check failed: promoted api/prod") || !strings.Contains(out, "is on no branch of the GitOps remote") {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})
}
