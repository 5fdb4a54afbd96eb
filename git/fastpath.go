package git

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The fast paths of ReadFiles, CommitFiles and RemoteBranch: the same
// answers as the plumbing, through the Go object database (odb.go). Each
// returns errUnusual for anything it does not handle exactly like git, and
// the caller then runs the plumbing path, so refusals and error messages
// always come from there.

const (
	commitLimit = 1 << 20  // a commit object bigger than this is unusual
	treeLimit   = 64 << 20 // so is a tree
	maxDepth    = 64
)

// treeEntry is one entry of a tree object, its mode as written in the tree.
type treeEntry struct {
	mode, name, oid string
}

func (e treeEntry) isTree() bool { return e.mode == "40000" || e.mode == "040000" }

// key orders entries as git does: a tree's name compares as if it ended
// with '/'.
func (e treeEntry) key() string {
	if e.isTree() {
		return e.name + "/"
	}
	return e.name
}

// parseTree reads a tree object. ordered reports whether its entries are in
// git's order with no name twice (git fsck's "unsorted" and "duplicate").
func parseTree(data []byte) (entries []treeEntry, ordered bool, err error) {
	ordered = true
	seen := map[string]bool{}
	for len(data) > 0 {
		sp := bytes.IndexByte(data, ' ')
		nul := bytes.IndexByte(data, 0)
		if sp <= 0 || nul < sp+2 || len(data) < nul+21 {
			return nil, false, unusual("malformed tree")
		}
		mode := string(data[:sp])
		if _, err := strconv.ParseUint(mode, 8, 32); err != nil {
			return nil, false, unusual("tree entry mode %q", mode)
		}
		e := treeEntry{mode: mode, name: string(data[sp+1 : nul]), oid: hex.EncodeToString(data[nul+1 : nul+21])}
		if strings.Contains(e.name, "/") {
			return nil, false, unusual("tree entry name %q", e.name)
		}
		if seen[e.name] || len(entries) > 0 && entries[len(entries)-1].key() >= e.key() {
			ordered = false
		}
		seen[e.name] = true
		entries = append(entries, e)
		data = data[nul+21:]
	}
	return entries, ordered, nil
}

// encodeTree writes entries (in git's order) as a tree object.
func encodeTree(entries []treeEntry) []byte {
	sort.Slice(entries, func(i, j int) bool { return entries[i].key() < entries[j].key() })
	var b bytes.Buffer
	for _, e := range entries {
		raw, _ := hex.DecodeString(e.oid)
		b.WriteString(e.mode)
		b.WriteByte(' ')
		b.WriteString(e.name)
		b.WriteByte(0)
		b.Write(raw)
	}
	return b.Bytes()
}

// canonicalMode: the modes git itself writes in a tree.
func canonicalMode(m string) bool {
	switch m {
	case "100644", "100755", "120000", "40000", "160000":
		return true
	}
	return false
}

// plainName accepts the names a GitOps repository is made of and refuses,
// conservatively, every name git treats specially or may refuse in an index
// (".git" and its look-alikes, "." and "..", control characters,
// characters Windows file systems reserve, non-ASCII).
func plainName(n string) bool {
	if n == "" || n == "." || n == ".." || len(n) > 255 || strings.HasPrefix(strings.ToLower(n), ".git") {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if c < 0x20 || c >= 0x7f || strings.IndexByte(`/\:*?"<>|~`, c) >= 0 {
			return false
		}
	}
	return n[len(n)-1] != '.' && n[len(n)-1] != ' '
}

// plainPath splits a repository path into plain names.
func plainPath(p string) ([]string, bool) {
	parts := strings.Split(p, "/")
	if len(p) > 4096 || len(parts) > maxDepth {
		return nil, false
	}
	for _, n := range parts {
		if !plainName(n) {
			return nil, false
		}
	}
	return parts, true
}

// rootTree is the tree of a commit (or a tree itself, as ls-tree takes it).
func (o *odb) rootTree(ctx context.Context, rev string, commitOnly bool) (string, error) {
	typ, data, err := o.read(ctx, rev, commitLimit)
	if err != nil {
		return "", err
	}
	switch {
	case typ == "commit" && bytes.HasPrefix(data, []byte("tree ")) && len(data) >= 46 && data[45] == '\n' && isSHA1(string(data[5:45])):
		return string(data[5:45]), nil
	case typ == "tree" && !commitOnly:
		return rev, nil
	}
	return "", unusual("%s is a %s", rev, typ)
}

// tree reads a tree object.
func (o *odb) tree(ctx context.Context, oid string) ([]treeEntry, bool, error) {
	typ, data, err := o.read(ctx, oid, treeLimit)
	if err != nil {
		return nil, false, err
	}
	if typ != "tree" {
		return nil, false, unusual("%s is a %s, not a tree", oid, typ)
	}
	return parseTree(data)
}

// lookup finds path under a tree; found is false when a name on the way
// is absent (ls-tree then lists nothing).
func (o *odb) lookup(ctx context.Context, root string, names []string) (treeEntry, bool, error) {
	cur := root
	for i, n := range names {
		entries, ordered, err := o.tree(ctx, cur)
		if err != nil {
			return treeEntry{}, false, err
		}
		if !ordered {
			return treeEntry{}, false, unusual("tree %s is not in git's order", cur)
		}
		var e *treeEntry
		for j := range entries {
			if entries[j].name == n {
				e = &entries[j]
				break
			}
		}
		switch {
		case e == nil:
			return treeEntry{}, false, nil
		case i == len(names)-1:
			return *e, true, nil
		case e.mode != "40000":
			return treeEntry{}, false, unusual("%s is not a directory", strings.Join(names[:i+1], "/"))
		}
		cur = e.oid
	}
	return treeEntry{}, false, unusual("empty path")
}

// readFilesFast is ReadFiles through the Go object database.
func (r *Repo) readFilesFast(ctx context.Context, commit string, paths []string, limit int64) (map[string][]byte, error) {
	o, err := r.objectsDB(ctx)
	if err != nil {
		return nil, err
	}
	if !isSHA1(commit) {
		return nil, unusual("revision %q", commit)
	}
	root, err := o.rootTree(ctx, commit, false)
	if err != nil {
		return nil, err
	}
	files := make(map[string][]byte, len(paths))
	for _, p := range paths {
		names, ok := plainPath(p)
		if !ok {
			return nil, unusual("path %q", p)
		}
		e, found, err := o.lookup(ctx, root, names)
		if err != nil {
			return nil, err
		}
		if !found {
			continue
		}
		if e.mode != "100644" && e.mode != "100755" {
			return nil, unusual("%s has mode %s", p, e.mode)
		}
		typ, data, err := o.read(ctx, e.oid, limit)
		if err != nil {
			return nil, err
		}
		if typ != "blob" {
			return nil, unusual("%s is a %s", p, typ)
		}
		files[p] = bytes.Clone(data) // the caller may edit it; the cache keeps its own
	}
	return files, nil
}

// plainTree reports whether a tree and every tree under it are exactly as
// git's index would write them back: entries in order, no name twice,
// canonical modes, plain names, no tree without a file somewhere under it
// (the index cannot hold an empty directory, so write-tree drops it).
// Only then does a tree edited in Go get the id `read-tree`, `update-index`
// and `write-tree` would give it. The answer is remembered by tree id.
func (o *odb) plainTree(ctx context.Context, oid string, depth int) (bool, error) {
	if o.cache.isPlain(oid) {
		return true, nil
	}
	if depth > maxDepth {
		return false, nil
	}
	entries, ordered, err := o.tree(ctx, oid)
	if err != nil || !ordered || len(entries) == 0 {
		return false, err
	}
	for _, e := range entries {
		if !canonicalMode(e.mode) || !plainName(e.name) {
			return false, nil
		}
		if e.mode == "40000" {
			if ok, err := o.plainTree(ctx, e.oid, depth+1); !ok || err != nil {
				return false, err
			}
		}
	}
	o.cache.setPlain(oid)
	return true, nil
}

// treeEdit is what changes under one tree: files written at this level and
// edits of the directories below it.
type treeEdit struct {
	files map[string][]byte
	dirs  map[string]*treeEdit
}

func newTreeEdit() *treeEdit {
	return &treeEdit{files: map[string][]byte{}, dirs: map[string]*treeEdit{}}
}

// add records a file at names; a name both a file and a directory in one
// commit is unusual.
func (t *treeEdit) add(names []string, content []byte) error {
	for _, n := range names[:len(names)-1] {
		if _, ok := t.files[n]; ok {
			return unusual("%s is written as a file and a directory", n)
		}
		sub, ok := t.dirs[n]
		if !ok {
			sub = newTreeEdit()
			t.dirs[n] = sub
		}
		t = sub
	}
	last := names[len(names)-1]
	if _, ok := t.dirs[last]; ok {
		return unusual("%s is written as a file and a directory", last)
	}
	t.files[last] = content
	return nil
}

// rewrite writes the tree oid ("" for a new one) with ed applied and
// returns its id. Existing files keep their mode; new files are 100644.
func (o *odb) rewrite(ctx context.Context, oid string, ed *treeEdit) (string, error) {
	var entries []treeEntry
	if oid != "" {
		var err error
		if entries, _, err = o.tree(ctx, oid); err != nil {
			return "", err
		}
	}
	at := make(map[string]int, len(entries))
	for i, e := range entries {
		at[e.name] = i
	}
	for name, content := range ed.files {
		blob, err := o.write("blob", bytes.Clone(content)) // cached: the caller may reuse its slice
		if err != nil {
			return "", err
		}
		i, ok := at[name]
		if !ok {
			entries = append(entries, treeEntry{mode: "100644", name: name, oid: blob})
			continue
		}
		if m := entries[i].mode; m != "100644" && m != "100755" {
			return "", unusual("%s has mode %s", name, m)
		}
		entries[i].oid = blob
	}
	for name, sub := range ed.dirs {
		i, ok := at[name]
		if ok && entries[i].mode != "40000" {
			return "", unusual("%s is not a directory", name)
		}
		base := ""
		if ok {
			base = entries[i].oid
		}
		id, err := o.rewrite(ctx, base, sub)
		if err != nil {
			return "", err
		}
		if ok {
			entries[i].oid = id
		} else {
			entries = append(entries, treeEntry{mode: "40000", name: name, oid: id})
		}
	}
	id, err := o.write("tree", encodeTree(entries))
	if err != nil {
		return "", err
	}
	o.cache.setPlain(id)
	return id, nil
}

// commitFilesFast is CommitFiles through the Go object database.
func (r *Repo) commitFilesFast(ctx context.Context, parent string, files map[string][]byte, id Identity, at time.Time, message string) (string, error) {
	o, err := r.objectsDB(ctx)
	if err != nil {
		return "", err
	}
	if !isSHA1(parent) || len(files) == 0 {
		return "", unusual("parent %q, %d files", parent, len(files))
	}
	who, err := identLine(id, at)
	if err != nil {
		return "", err
	}
	ed := newTreeEdit()
	for p, content := range files {
		names, ok := plainPath(p)
		if !ok {
			return "", unusual("path %q", p)
		}
		if err := ed.add(names, content); err != nil {
			return "", err
		}
	}
	root, err := o.rootTree(ctx, parent, true)
	if err != nil {
		return "", err
	}
	if ok, err := o.plainTree(ctx, root, 0); !ok || err != nil {
		return "", unusual("tree %s of %s is not plain (%v)", root, parent, err)
	}
	tree, err := o.rewrite(ctx, root, ed)
	if err != nil {
		return "", err
	}
	body := fmt.Sprintf("tree %s\nparent %s\nauthor %s\ncommitter %s\n\n%s", tree, parent, who, who, message)
	if message == "" || strings.IndexByte(message, 0) >= 0 || !gitUTF8(body) {
		return "", unusual("the commit message is empty or not UTF-8 as git wants it")
	}
	return o.write("commit", []byte(body))
}

// identLine is the author and committer line git writes for id at (as
// CommitTree passes them: GIT_*_NAME, GIT_*_EMAIL, an RFC 3339 UTC date).
func identLine(id Identity, at time.Time) (string, error) {
	name, email := withoutCrud(id.Name), withoutCrud(id.Email)
	if name == "" || email == "" || strings.IndexByte(id.Name+id.Email, 0) >= 0 {
		return "", unusual("identity %q <%q>", id.Name, id.Email)
	}
	if y := at.UTC().Year(); y < 2000 || y > 2099 {
		return "", unusual("date %s", at)
	}
	return fmt.Sprintf("%s <%s> %d +0000", name, email, at.Unix()), nil
}

// withoutCrud is git's strbuf_addstr_without_crud (ident.c): crud trimmed
// from both ends, then '\n', '<' and '>' dropped.
func withoutCrud(s string) string {
	crud := func(c byte) bool { return c <= 32 || strings.IndexByte(`.,:;<>"\'`, c) >= 0 }
	for len(s) > 0 && crud(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && crud(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '<' || r == '>' {
			return -1
		}
		return r
	}, s)
}

// gitUTF8 is git's find_invalid_utf8 (commit.c) finding nothing: valid
// UTF-8 without non-characters. Git rewrites a message that fails it, so
// such a message takes the plumbing path.
func gitUTF8(s string) bool {
	for i := 0; i < len(s); {
		if s[i] < 0x80 {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 {
			return false
		}
		if r&0xfffe == 0xfffe || r >= 0xfdd0 && r <= 0xfdef {
			return false
		}
		i += n
	}
	return true
}

// remoteBranchFast is RemoteBranch through the reader process; a branch it
// does not find is answered by the plumbing path.
func (r *Repo) remoteBranchFast(ctx context.Context, branch string) (string, error) {
	if !plainRefName(branch) {
		return "", unusual("branch %q", branch)
	}
	o, err := r.objectsDB(ctx)
	if err != nil {
		return "", err
	}
	oid, _, err := o.resolve(ctx, "refs/remotes/origin/"+branch)
	return oid, err
}

// plainRefName accepts ordinary branch names (no '@', no "..", nothing git
// might read as a revision expression).
func plainRefName(b string) bool {
	if b == "" || strings.Contains(b, "..") || strings.Contains(b, "//") || strings.HasPrefix(b, "/") || strings.HasSuffix(b, "/") || strings.HasSuffix(b, ".lock") || b[0] == '-' || b[0] == '.' {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '/') {
			return false
		}
	}
	return true
}
