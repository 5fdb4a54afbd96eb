package git

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"
	"strings"
)

// TreeModel is one commit's trees along a fixed set of file paths (the pin
// files of an environment): enough to say which blob each path holds, and
// to compute without git the root tree id of a commit that changes only
// some of those files. The audit proves a pin commit this way: when its
// parent's trees with the claimed blob put in hash to the commit's own
// root tree id, Git's hash says the commit changed exactly that.
//
// Only the trees on the paths are kept, and of each only the entries on
// the paths are indexed, so a commit elsewhere in the repository costs
// nothing until its trees along the paths are needed (Load reads only the
// trees whose ids changed).
type TreeModel struct {
	read  func(oid string) ([]byte, error) // a tree object's content
	paths *pathTrie
	root  *modelTree
	hex   string // root's id in hex
	algo  func() hash.Hash
	h     hash.Hash // reused by rehash
	buf   []byte
	size  int // bytes of an object id
	Reads int // tree objects read so far
}

// pathTrie is the set of paths, one level per name.
type pathTrie struct {
	kids map[string]*pathTrie
	file bool // a path ends here
}

type modelTree struct {
	id      string // raw object id
	raw     []byte // the tree object's content, as git hashes it
	entries map[string]modelEntry
	kids    map[string]*modelTree // the subtrees on the paths that exist
}

// modelEntry is one entry on the paths: its mode and where its id sits
// in raw.
type modelEntry struct {
	mode string
	off  int
}

func (e modelEntry) isTree() bool { return e.mode == "40000" || e.mode == "040000" }

// NewTreeModel models paths ("a/b/c.yaml"); read returns a tree object's
// content by id (hex), as `git cat-file tree` prints it.
func NewTreeModel(paths []string, read func(oid string) ([]byte, error)) (*TreeModel, error) {
	m := &TreeModel{read: read, paths: &pathTrie{}}
	for _, p := range paths {
		names := strings.Split(p, "/")
		t := m.paths
		for _, n := range names {
			if n == "" || n == "." || n == ".." {
				return nil, fmt.Errorf("path %q: not a clean repository path", p)
			}
			if t.kids == nil {
				t.kids = map[string]*pathTrie{}
			}
			if t.kids[n] == nil {
				t.kids[n] = &pathTrie{}
			}
			t = t.kids[n]
		}
		t.file = true
	}
	return m, nil
}

// Root is the id (hex) of the root tree the model holds, "" before Load.
func (m *TreeModel) Root() string { return m.hex }

// FileChange is a path whose entry differs between two trees: its id
// (hex) before and after, "" where nothing is.
type FileChange struct{ Path, Old, New string }

// Load makes the model the tree root (hex), reading only the trees along
// the paths whose ids differ from those held, and returns the paths whose
// entries changed.
func (m *TreeModel) Load(root string) ([]FileChange, error) {
	id, err := m.rawID(root)
	if err != nil {
		return nil, err
	}
	var changes []FileChange
	t, err := m.sync(m.root, id, m.paths, "", 0, &changes)
	if err != nil {
		return nil, err
	}
	m.root, m.hex = t, hex.EncodeToString([]byte(id))
	return changes, nil
}

// rawID decodes an id, learning the hash from the first one: 40 hex
// digits SHA-1, 64 SHA-256.
func (m *TreeModel) rawID(oid string) (string, error) {
	raw, err := hex.DecodeString(oid)
	if err != nil || len(raw) != sha1.Size && len(raw) != sha256.Size {
		return "", fmt.Errorf("%q is not an object id", oid)
	}
	if m.size == 0 {
		m.size, m.algo = len(raw), sha1.New
		if len(raw) == sha256.Size {
			m.algo = sha256.New
		}
	}
	if len(raw) != m.size {
		return "", fmt.Errorf("object id %s is not of the repository's hash", oid)
	}
	return string(raw), nil
}

func (m *TreeModel) sync(old *modelTree, id string, paths *pathTrie, dir string, depth int, changes *[]FileChange) (*modelTree, error) {
	if old != nil && old.id == id {
		return old, nil
	}
	if depth > maxDepth {
		return nil, fmt.Errorf("trees nested over %d deep", maxDepth)
	}
	oid := hex.EncodeToString([]byte(id))
	raw, err := m.read(oid)
	if err != nil {
		return nil, fmt.Errorf("tree %s: %w", oid, err)
	}
	m.Reads++
	t := &modelTree{id: id, raw: raw}
	if t.entries, err = indexTree(raw, paths, m.size); err != nil {
		return nil, fmt.Errorf("tree %s: %w", oid, err)
	}
	for name, sub := range paths.kids {
		if sub.file {
			if before, after := old.entryID(name, m.size), t.entryID(name, m.size); before != after {
				*changes = append(*changes, FileChange{Path: dir + name, Old: before, New: after})
			}
		}
		if sub.kids == nil {
			continue
		}
		var oldKid *modelTree
		if old != nil {
			oldKid = old.kids[name]
		}
		e, ok := t.entries[name]
		if !ok || !e.isTree() {
			oldKid.gone(sub, dir+name+"/", m.size, changes)
			continue
		}
		kid, err := m.sync(oldKid, string(raw[e.off:e.off+m.size]), sub, dir+name+"/", depth+1, changes)
		if err != nil {
			return nil, err
		}
		if t.kids == nil {
			t.kids = map[string]*modelTree{}
		}
		t.kids[name] = kid
	}
	return t, nil
}

// entryID is the id (hex) of t's entry name, "" when there is none.
func (t *modelTree) entryID(name string, size int) string {
	if t == nil {
		return ""
	}
	e, ok := t.entries[name]
	if !ok {
		return ""
	}
	return hex.EncodeToString(t.raw[e.off : e.off+size])
}

// gone notes every path below t as removed.
func (t *modelTree) gone(paths *pathTrie, dir string, size int, changes *[]FileChange) {
	if t == nil {
		return
	}
	for name, sub := range paths.kids {
		if id := t.entryID(name, size); sub.file && id != "" {
			*changes = append(*changes, FileChange{Path: dir + name, Old: id})
		}
		t.kids[name].gone(sub, dir+name+"/", size, changes)
	}
}

// indexTree checks a tree object's entries are well formed and indexes
// those on the paths. git refuses to write or accept a malformed tree; one
// found here is reported rather than guessed at.
func indexTree(raw []byte, paths *pathTrie, size int) (map[string]modelEntry, error) {
	var out map[string]modelEntry
	for pos := 0; pos < len(raw); {
		rest := raw[pos:]
		sp := bytes.IndexByte(rest, ' ')
		nul := bytes.IndexByte(rest, 0)
		if sp <= 0 || nul < sp+2 || len(rest) < nul+1+size {
			return nil, fmt.Errorf("malformed entry at byte %d", pos)
		}
		mode := string(rest[:sp])
		if _, err := strconv.ParseUint(mode, 8, 32); err != nil {
			return nil, fmt.Errorf("entry mode %q", mode)
		}
		name := rest[sp+1 : nul]
		if bytes.IndexByte(name, '/') >= 0 {
			return nil, fmt.Errorf("entry name %q", name)
		}
		if _, ok := paths.kids[string(name)]; ok {
			if out == nil {
				out = map[string]modelEntry{}
			}
			if _, twice := out[string(name)]; twice {
				return nil, fmt.Errorf("entry %q twice", name)
			}
			out[string(name)] = modelEntry{mode: mode, off: pos + nul + 1}
		}
		pos += nul + 1 + size
	}
	return out, nil
}

// File is the entry at path in the model: its mode as the tree writes it
// and its id (hex); "" and "" when nothing is there (or a parent is not a
// tree).
func (m *TreeModel) File(path string) (mode, oid string) {
	t := m.root
	names := strings.Split(path, "/")
	for i, n := range names {
		if t == nil {
			return "", ""
		}
		if i < len(names)-1 {
			t = t.kids[n]
			continue
		}
		e, ok := t.entries[n]
		if !ok {
			return "", ""
		}
		return e.mode, hex.EncodeToString(t.raw[e.off : e.off+m.size])
	}
	return "", ""
}

// Apply checks whether root (hex) is the model's tree with the entries at
// files (path → new id, hex) replaced and nothing else changed, and if so
// makes it the model and returns the entries that changed. Each file must
// be an entry the model holds (a replacement keeps its mode and name;
// adding or removing an entry is not guessed): otherwise, or when the
// hashes differ, it returns false and the model is unchanged.
func (m *TreeModel) Apply(files map[string]string, root string) ([]FileChange, bool, error) {
	want, err := m.rawID(root)
	if err != nil || m.root == nil {
		return nil, false, err
	}
	top := &modelEdit{tree: m.root}
	var changes []FileChange
	for p, oid := range files {
		id, err := m.rawID(oid)
		if err != nil {
			return nil, false, err
		}
		ed, name := top, p
		for {
			n, rest, ok := strings.Cut(name, "/")
			if !ok {
				break
			}
			kid := ed.tree.kids[n]
			if kid == nil {
				return nil, false, nil
			}
			ed, name = ed.kid(n, kid), rest
		}
		e, ok := ed.tree.entries[name]
		if !ok || e.isTree() {
			return nil, false, nil
		}
		if old := ed.tree.raw[e.off : e.off+m.size]; string(old) != id {
			changes = append(changes, FileChange{Path: p, Old: hex.EncodeToString(old), New: oid})
		}
		ed.patch(e.off, id)
	}
	var changed []treeChange
	var undo []idUndo
	if m.rehash(top, &changed, &undo) != want {
		for i := len(undo) - 1; i >= 0; i-- { // as it was
			copy(undo[i].tree.raw[undo[i].off:], undo[i].old)
		}
		return nil, false, nil
	}
	for _, c := range changed {
		c.tree.id = c.id
	}
	m.hex = hex.EncodeToString([]byte(want))
	return changes, true, nil
}

// modelEdit is what changes in one tree: ids put in at offsets of its
// content, and edits of its subtrees (only those on an edited path). A
// pin commit edits one path or a few: slices, not maps.
type modelEdit struct {
	tree    *modelTree
	patches []idPatch
	kids    []namedEdit
}

type idPatch struct {
	off int
	id  string
}

type namedEdit struct {
	name string
	edit *modelEdit
}

func (ed *modelEdit) kid(name string, t *modelTree) *modelEdit {
	for _, k := range ed.kids {
		if k.name == name {
			return k.edit
		}
	}
	k := &modelEdit{tree: t}
	ed.kids = append(ed.kids, namedEdit{name, k})
	return k
}

func (ed *modelEdit) patch(off int, id string) {
	for i := range ed.patches {
		if ed.patches[i].off == off {
			ed.patches[i].id = id
			return
		}
	}
	ed.patches = append(ed.patches, idPatch{off, id})
}

// treeChange is a tree's new id; idUndo, an id it held at off before it
// was patched in place (put back when the guess fails).
type treeChange struct {
	tree *modelTree
	id   string
}

type idUndo struct {
	tree *modelTree
	off  int
	old  string
}

// rehash is the edited tree's id, its content patched in place: no copy
// of a tree is made for the guess of every pin commit.
func (m *TreeModel) rehash(ed *modelEdit, changed *[]treeChange, undo *[]idUndo) string {
	t := ed.tree
	for _, k := range ed.kids {
		if id := m.rehash(k.edit, changed, undo); id != k.edit.tree.id {
			ed.patch(t.entries[k.name].off, id)
		}
	}
	patched := false
	for _, p := range ed.patches {
		if cur := t.raw[p.off : p.off+m.size]; string(cur) != p.id {
			*undo = append(*undo, idUndo{t, p.off, string(cur)})
			copy(cur, p.id)
			patched = true
		}
	}
	if !patched {
		return t.id
	}
	if m.h == nil {
		m.h = m.algo()
	}
	m.h.Reset()
	m.buf = append(strconv.AppendInt(append(m.buf[:0], "tree "...), int64(len(t.raw)), 10), 0)
	m.h.Write(m.buf)
	m.h.Write(t.raw)
	m.buf = m.h.Sum(m.buf[:0])
	id := string(m.buf)
	*changed = append(*changed, treeChange{t, id})
	return id
}
