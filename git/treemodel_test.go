package git

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// modelRepo is a repository to model: pins under envs/prod, other files
// beside them. commit writes files (content "" removes one) and returns
// the commit's root tree.
type modelRepo struct {
	t *testing.T
	r *Repo
}

func newModelRepo(t *testing.T, format string) *modelRepo {
	r := &Repo{Dir: t.TempDir(), Env: newRepoEnv}
	m := &modelRepo{t, r}
	m.git("init", "-q", "-b", "main", "--object-format="+format)
	return m
}

func (m *modelRepo) git(args ...string) string {
	m.t.Helper()
	out, err := m.r.Run(context.Background(), args...)
	if err != nil {
		m.t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

func (m *modelRepo) commit(files map[string]string) string {
	m.t.Helper()
	for p, c := range files {
		full := filepath.Join(m.r.Dir, p)
		if c == "" {
			os.Remove(full)
			continue
		}
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			m.t.Fatal(err)
		}
	}
	m.git("add", "-A")
	m.git("commit", "-q", "--allow-empty", "-m", "change")
	return m.git("rev-parse", "HEAD^{tree}")
}

// reader reads trees through git, as the audit does.
func (m *modelRepo) reader() func(string) ([]byte, error) {
	return func(oid string) ([]byte, error) {
		return m.r.RunBytes(context.Background(), nil, "cat-file", "tree", oid)
	}
}

func (m *modelRepo) blob(content string) string {
	m.t.Helper()
	out, err := m.r.RunBytes(context.Background(), []byte(content), "hash-object", "--stdin")
	if err != nil {
		m.t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

var modelPins = []string{"envs/prod/api/values.yaml", "envs/prod/web/values.yaml", "envs/prod/solo.yaml"}

func pin(d string) string { return "image:\n  digest: sha256:" + strings.Repeat(d, 64) + "\n" }

// TestTreeModelProvesOneFileChanged: Apply accepts a root tree exactly when
// it is the held tree with the given pin files replaced, in SHA-1 and
// SHA-256 repositories alike, and refuses (changing nothing) a commit that
// also changed anything else, however small.
func TestTreeModelProvesOneFileChanged(t *testing.T) {
	for _, format := range []string{"sha1", "sha256"} {
		t.Run(format, func(t *testing.T) {
			m := newModelRepo(t, format)
			t0 := m.commit(map[string]string{
				"README.md": "# gitops\n", "envs/prod/api/values.yaml": pin("1"), "envs/prod/web/values.yaml": pin("1"),
				"envs/prod/solo.yaml": pin("1"), "envs/dev/api/values.yaml": pin("1"), "envs/prod/api/extra.yaml": "x: 1\n",
			})
			model, err := NewTreeModel(modelPins, m.reader())
			if err != nil {
				t.Fatal(err)
			}
			changes, err := model.Load(t0)
			if err != nil {
				t.Fatal(err)
			}
			if len(changes) != 3 {
				t.Errorf("first load: changes %v, want the 3 pins added", changes)
			}
			for _, c := range changes {
				if c.Old != "" || c.New != m.git("rev-parse", "HEAD:"+c.Path) {
					t.Errorf("first load: %+v", c)
				}
			}
			// root, envs, prod, api, web
			if model.Reads != 5 || model.Root() != t0 {
				t.Fatalf("first load: %d reads, root %s, want 5 and %s", model.Reads, model.Root(), t0)
			}
			for _, p := range modelPins {
				mode, oid := model.File(p)
				if want := m.git("rev-parse", "HEAD:"+p); oid != want || mode != "100644" {
					t.Errorf("%s: %s %s, want 100644 %s", p, mode, oid, want)
				}
			}

			// One pin changed, then two at once: proven with no read.
			t1 := m.commit(map[string]string{"envs/prod/api/values.yaml": pin("2")})
			was := m.git("rev-parse", "HEAD~1:envs/prod/api/values.yaml")
			if changes, ok, err := model.Apply(map[string]string{"envs/prod/api/values.yaml": m.blob(pin("2"))}, t1); !ok || err != nil || len(changes) != 1 || changes[0] != (FileChange{"envs/prod/api/values.yaml", was, m.blob(pin("2"))}) {
				t.Fatalf("one pin: %v %v %v", changes, ok, err)
			}
			t2 := m.commit(map[string]string{"envs/prod/api/values.yaml": pin("3"), "envs/prod/solo.yaml": pin("3")})
			if _, ok, err := model.Apply(map[string]string{"envs/prod/api/values.yaml": m.blob(pin("3")), "envs/prod/solo.yaml": m.blob(pin("3"))}, t2); !ok || err != nil {
				t.Fatalf("two pins: %v %v", ok, err)
			}
			if model.Reads != 5 || model.Root() != t2 {
				t.Fatalf("after applies: %d reads, root %s", model.Reads, model.Root())
			}

			// Anything else changed too, or a wrong guess: refused, model unchanged.
			for name, other := range map[string]map[string]string{
				"a file beside the pins":  {"envs/prod/api/extra.yaml": "x: 2\n"},
				"another environment":     {"envs/dev/api/values.yaml": pin("4")},
				"a new file in the pins":  {"envs/prod/web/new.yaml": "n: 1\n"},
				"the readme":              {"README.md": "# changed\n"},
				"another service's pin":   {"envs/prod/web/values.yaml": pin("4")},
				"the pin to other digest": {},
			} {
				base := m.git("rev-parse", "HEAD")
				files := map[string]string{"envs/prod/api/values.yaml": pin("4")}
				for p, c := range other {
					files[p] = c
				}
				if name == "the pin to other digest" {
					files["envs/prod/api/values.yaml"] = pin("5")
				}
				tn := m.commit(files)
				if _, ok, err := model.Apply(map[string]string{"envs/prod/api/values.yaml": m.blob(pin("4"))}, tn); ok || err != nil {
					t.Errorf("%s: accepted (%v)", name, err)
				}
				if _, id := model.File("envs/prod/api/values.yaml"); model.Root() != t2 || id != m.blob(pin("3")) {
					t.Fatalf("%s: a refused Apply changed the model", name)
				}
				m.git("reset", "-q", "--hard", base)
			}
			// A file the model does not hold is never guessed.
			if _, ok, _ := model.Apply(map[string]string{"envs/prod/absent.yaml": m.blob("x")}, t2); ok {
				t.Error("a new file was guessed")
			}

			// Load after a change elsewhere reads only the trees that changed.
			t3 := m.commit(map[string]string{"envs/dev/api/values.yaml": pin("9")})
			reads := model.Reads
			if changes, err := model.Load(t3); err != nil || len(changes) != 0 {
				t.Fatalf("load after a dev change: %v %v, want no pin changed", changes, err)
			}
			if got := model.Reads - reads; got != 2 || model.Root() != t3 { // root and envs; prod is the same tree
				t.Errorf("load after a dev change: %d reads, want 2", got)
			}
			// And a removed pin reads as absent.
			old := m.git("rev-parse", "HEAD:envs/prod/web/values.yaml")
			t4 := m.commit(map[string]string{"envs/prod/web/values.yaml": ""})
			changes, err = model.Load(t4)
			if err != nil {
				t.Fatal(err)
			}
			if len(changes) != 1 || changes[0] != (FileChange{"envs/prod/web/values.yaml", old, ""}) {
				t.Errorf("removed pin: changes %v", changes)
			}
			if mode, oid := model.File("envs/prod/web/values.yaml"); mode != "" || oid != "" {
				t.Errorf("removed pin: %s %s", mode, oid)
			}
			if _, oid := model.File("envs/prod/api/values.yaml"); oid != m.git("rev-parse", "HEAD:envs/prod/api/values.yaml") {
				t.Error("the other pins were lost on load")
			}
			// A whole directory of pins removed: each of its pins is a change.
			old = m.git("rev-parse", "HEAD:envs/prod/api/values.yaml")
			t5 := m.commit(map[string]string{"envs/prod/api/values.yaml": "", "envs/prod/api/extra.yaml": ""})
			if changes, err = model.Load(t5); err != nil || len(changes) != 1 || changes[0] != (FileChange{"envs/prod/api/values.yaml", old, ""}) {
				t.Errorf("removed directory: changes %v %v", changes, err)
			}
		})
	}
}

// TestTreeModelModes: a symlink or a directory where a pin file should be
// is reported with its mode (the caller refuses to read it as a pin); a
// file where a directory should be makes the pins below it absent.
func TestTreeModelModes(t *testing.T) {
	m := newModelRepo(t, "sha1")
	m.commit(map[string]string{"envs/prod/web/values.yaml/inner": "x\n", "envs/prod/api": "a file, not a directory\n", "target.yaml": pin("1")})
	os.Symlink("../../target.yaml", filepath.Join(m.r.Dir, "envs/prod/solo.yaml"))
	root := m.commit(nil)
	model, _ := NewTreeModel(modelPins, m.reader())
	if _, err := model.Load(root); err != nil {
		t.Fatal(err)
	}
	if mode, _ := model.File("envs/prod/solo.yaml"); mode != "120000" {
		t.Errorf("symlink: mode %q", mode)
	}
	if mode, _ := model.File("envs/prod/web/values.yaml"); mode != "40000" {
		t.Errorf("directory: mode %q", mode)
	}
	if mode, oid := model.File("envs/prod/api/values.yaml"); mode != "" || oid != "" {
		t.Errorf("below a file: %q %q", mode, oid)
	}
	if _, ok, _ := model.Apply(map[string]string{"envs/prod/web/values.yaml": m.blob("x")}, root); ok {
		t.Error("a directory was replaced by a blob")
	}
}

// TestTreeModelRefusesMalformedTrees: a tree object git would not write is
// an error naming it, never half-read.
func TestTreeModelRefusesMalformedTrees(t *testing.T) {
	id := strings.Repeat("ab", 20)
	for name, raw := range map[string]string{
		"truncated id":   "100644 a\x00" + strings.Repeat("x", 5),
		"no name":        "100644 \x00" + strings.Repeat("x", 20),
		"mode not octal": "10x644 a\x00" + strings.Repeat("x", 20),
		"slash in name":  "100644 envs/prod\x00" + strings.Repeat("x", 20),
		"twice":          "40000 envs\x00" + strings.Repeat("x", 20) + "40000 envs\x00" + strings.Repeat("y", 20),
	} {
		model, _ := NewTreeModel(modelPins, func(string) ([]byte, error) { return []byte(raw), nil })
		_, err := model.Load(id)
		if err == nil || !strings.Contains(err.Error(), "tree "+id) {
			t.Errorf("%s: %v, want an error naming tree %s", name, err, id)
		}
	}
	if _, err := NewTreeModel([]string{"envs/../x"}, nil); err == nil {
		t.Error("an unclean path was accepted")
	}
}

// FuzzTreeModelIndex: whatever a tree object holds, indexing it returns an
// error or offsets of whole ids inside it; it never panics.
func FuzzTreeModelIndex(f *testing.F) {
	f.Add([]byte("100644 envs\x00" + strings.Repeat("x", 20)))
	f.Add([]byte("40000 envs\x00" + strings.Repeat("x", 20) + "100644 b\x00" + strings.Repeat("y", 20)))
	f.Add([]byte("100644 \x00"))
	paths := &pathTrie{kids: map[string]*pathTrie{"envs": {file: true}, "b": {file: true}}}
	f.Fuzz(func(t *testing.T, raw []byte) {
		entries, err := indexTree(raw, paths, 20)
		if err != nil {
			return
		}
		for name, e := range entries {
			if e.off+20 > len(raw) || !bytes.HasPrefix(raw[e.off-len(name)-1:], []byte(name+"\x00")) {
				t.Fatalf("entry %q at %d does not sit in %q", name, e.off, raw)
			}
		}
	})
}
