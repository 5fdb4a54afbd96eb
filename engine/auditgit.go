package engine

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"maps"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/slipway/slipway/git"
)

// PinClaim is what an audit record says a GitOps commit did to the pins of
// a service in an environment: made them hold Digest (Sets), or made them
// stop holding it (a revert, after an abort or a rollback).
type PinClaim struct {
	Service, Env, Commit, Digest string
	Sets                         bool
}

func (c PinClaim) String() string {
	verb := "sets"
	if !c.Sets {
		verb = "reverts"
	}
	return fmt.Sprintf("commit %s %s %s for %s in %s", short(c.Commit), verb, digestShort(c.Digest), c.Service, c.Env)
}

// CheckPinCommit checks one claim against the GitOps remote as the clone
// last fetched it: the commit is on one of the remote's branches, and the
// pins at the commit hold the digest while its first parent's do not (or,
// for a revert, the reverse). Git's content decides, never a message.
func (e *Engine) CheckPinCommit(ctx context.Context, c PinClaim) error {
	pins, err := e.claimPins(c)
	if err != nil {
		return err
	}
	if err := e.onRemote(ctx, c.Commit); err != nil {
		return err
	}
	after, err := pins.read(ctx, e.GitOps, c.Commit)
	if err != nil {
		return err
	}
	parents, err := e.GitOps.Parents(ctx, c.Commit)
	if err != nil {
		return err
	}
	before := map[string][]byte{}
	if len(parents) > 0 {
		if before, err = pins.read(ctx, e.GitOps, parents[0]); err != nil {
			return err
		}
	}
	return judgeClaim(c, pins, before, after, nil)
}

func (e *Engine) claimPins(c PinClaim) (pinSet, error) {
	if !git.ValidSHA(c.Commit) {
		return pinSet{}, invalid("%q is not a full commit SHA", c.Commit)
	}
	env, _, err := e.Cfg.Environment(c.Env)
	if err != nil {
		return pinSet{}, invalid("%v: its pins cannot be read", err)
	}
	return e.pinsFor(env, c.Service, nil, "")
}

// onRemote fails unless commit is on a branch of the remote (as fetched):
// a commit that exists only in the clone was rewritten away or never pushed.
func (e *Engine) onRemote(ctx context.Context, commit string) error {
	if err := git.CheckArg("commit", commit); err != nil {
		return err
	}
	out, err := e.GitOps.Run(ctx, "for-each-ref", "--count=1", "--format=%(refname)", "--contains", commit, "refs/remotes/")
	if err != nil || strings.TrimSpace(out) == "" {
		return fmt.Errorf("commit %s is on no branch of the GitOps remote: it was rewritten away (a force-push) or never pushed", short(commit))
	}
	return nil
}

// judgeClaim decides a claim from the pin files before (the first parent)
// and after (the commit). A side that must hold the digest must parse; a
// side that must not may be unreadable. cache may be nil.
func judgeClaim(c PinClaim, pins pinSet, before, after map[string][]byte, cache *holdsCache) error {
	must, mustNot := after, before
	if !c.Sets {
		must, mustNot = before, after
	}
	held, err := cache.holds(pins, must, c.Digest)
	switch {
	case err != nil && c.Sets:
		return fmt.Errorf("commit %s should pin %s for %s in %s, but its pins do not read: %v", short(c.Commit), digestShort(c.Digest), c.Service, c.Env, err)
	case err != nil:
		return fmt.Errorf("commit %s should revert %s for %s in %s, but its first parent's pins do not read: %v", short(c.Commit), digestShort(c.Digest), c.Service, c.Env, err)
	case !held && c.Sets:
		return fmt.Errorf("commit %s does not pin %s for %s in %s (its pins hold %s)", short(c.Commit), digestShort(c.Digest), c.Service, c.Env, orNone(pins.describe(must)))
	case !held:
		return fmt.Errorf("commit %s does not revert %s for %s in %s: its first parent does not pin it (it pins %s)", short(c.Commit), digestShort(c.Digest), c.Service, c.Env, orNone(pins.describe(must)))
	}
	if held, _ := cache.holds(pins, mustNot, c.Digest); held {
		if c.Sets {
			return fmt.Errorf("commit %s does not set %s for %s in %s: its first parent already pins it", short(c.Commit), digestShort(c.Digest), c.Service, c.Env)
		}
		return fmt.Errorf("commit %s does not revert %s for %s in %s: its pins still hold it", short(c.Commit), digestShort(c.Digest), c.Service, c.Env)
	}
	return nil
}

// holds reports whether the pin files hold digest (parsing them).
func (s pinSet) holds(files map[string][]byte, digest string) (bool, error) {
	want, err := s.files()
	if err != nil {
		return false, err
	}
	if len(files) < len(want) {
		return false, nil // a pin file is missing: nothing is pinned
	}
	d, err := s.digest(files)
	return d == digest, err
}

// describe is what the pins hold, for a message.
func (s pinSet) describe(files map[string][]byte) string {
	want, _ := s.files()
	if len(files) < len(want) {
		return ""
	}
	d, err := s.digest(files)
	if err != nil {
		return "unreadable pins"
	}
	return digestShort(d)
}

// holdsCache answers "do these pin files hold this digest" without parsing
// YAML again for files that differ from ones already parsed only in the
// digest. Whether a pin holds a digest depends on the file's structure,
// not on which digest (every "sha256:<64 hex>" reads alike), so the answer
// for the file with the digest replaced by a placeholder is the answer for
// every digest. Files that do not contain the digest's hex cannot hold it
// and are not parsed at all. A nil cache parses every time.
type holdsCache struct {
	mu sync.Mutex
	m  map[string]holdsResult
}

type holdsResult struct {
	held bool
	err  error
}

var digestPlaceholder = []byte("\x01slipway-digest\x01")

func (c *holdsCache) holds(s pinSet, files map[string][]byte, digest string) (bool, error) {
	hex := []byte(strings.TrimPrefix(digest, "sha256:"))
	found := false
	for _, b := range files {
		found = found || bytes.Contains(b, hex)
	}
	if !found {
		return false, nil
	}
	key, ok := c.template(s, files, digest)
	if !ok {
		return s.holds(files, digest)
	}
	c.mu.Lock()
	r, hit := c.m[key]
	c.mu.Unlock()
	if !hit {
		r.held, r.err = s.holds(files, digest)
		c.mu.Lock()
		c.m[key] = r
		c.mu.Unlock()
	}
	return r.held, r.err
}

// template is the cache key: the pin set and its files, each occurrence of
// the digest replaced by a placeholder; false when it cannot be used.
func (c *holdsCache) template(s pinSet, files map[string][]byte, digest string) (string, bool) {
	if c == nil {
		return "", false
	}
	var b bytes.Buffer
	b.WriteString(s.target.Service + "\x00" + s.target.Env)
	d := []byte(digest)
	for _, f := range slices.Sorted(maps.Keys(files)) {
		content := files[f]
		if bytes.Contains(content, digestPlaceholder) {
			return "", false
		}
		b.WriteString("\x00" + f + "\x00")
		b.Write(bytes.ReplaceAll(content, d, digestPlaceholder))
	}
	return b.String(), true
}

// firstParents is every commit on the first-parent lines of the remote's
// branches (as fetched), with its root tree and parents. Slipway's pin
// commits and reverts are on those lines: a direct push, a pull request's
// merge commit (whose first parent is the branch it merged into), a
// revert.
type firstParents map[string]*lineCommit

type lineCommit struct {
	tree    string
	parents string // space-separated, as git prints them
	pos     int    // in git log's order, newest first
}

// parent is the i-th parent, "" when there is none (the parser made every
// id as long as the tree's).
func (l *lineCommit) parent(i int) string {
	n := len(l.tree)
	if start := i * (n + 1); start+n <= len(l.parents) {
		return l.parents[start : start+n]
	}
	return ""
}

// keepCommitGraph brings the clone's commit-graph up to date, as `git gc`
// and `git maintenance` do in a long-lived clone: with it, the walk reads
// each commit's tree and parents from one file instead of inflating 100k
// commit objects (a third of the cost). The first write covers the whole
// history (seconds for 200k commits); later ones add a layer with only the
// commits fetched since (milliseconds). The audit and every reconcile of
// the controller run it. It is a cache: when it fails (another process
// holds its lock, say), the walk reads the commits.
func keepCommitGraph(ctx context.Context, repo GitOpsRepo) {
	if _, err := repo.Run(ctx, "commit-graph", "write", "--reachable", "--split", "--no-progress"); err != nil {
		slog.Debug("commit-graph not written; the audit walk reads every commit", "err", err)
	}
}

// readFirstParents lists the lines with no diff: the pin commits are then
// proven from their trees (claimChecker.replay), which costs a third of
// having git diff every commit against its parent.
func readFirstParents(ctx context.Context, repo GitOpsRepo) (firstParents, error) {
	var out firstParents
	args := []string{"log", "--first-parent", "--remotes", "--format=%H %T %P"}
	if err := stream(ctx, repo, args, nil, func(r *bufio.Reader) (err error) {
		out, err = parseFirstParents(r)
		return err
	}); err != nil {
		return nil, fmt.Errorf("git log of the GitOps remote's branches: %w", err)
	}
	return out, nil
}

// parseFirstParents reads `--format=%H %T %P`: one commit a line.
func parseFirstParents(r *bufio.Reader) (firstParents, error) {
	out := firstParents{}
	var slab []lineCommit // allocated a few thousand at a time: 100k commits are 100k lines
	for pos := 0; ; pos++ {
		line, err := r.ReadString('\n')
		if err == io.EOF && line == "" {
			return out, nil
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		line = strings.TrimSuffix(line, "\n")
		commit, rest, _ := strings.Cut(line, " ")
		tree, parents, _ := strings.Cut(rest, " ")
		if !git.ValidSHA(commit) || !git.ValidSHA(tree) {
			return nil, fmt.Errorf("line %d: %q is not \"<commit> <tree> <parents>\"", pos+1, line)
		}
		for p := range strings.SplitSeq(parents, " ") {
			if parents != "" && (!git.ValidSHA(p) || len(p) != len(tree)) {
				return nil, fmt.Errorf("line %d: parent %q is not a commit id", pos+1, p)
			}
		}
		if _, twice := out[commit]; twice {
			continue
		}
		if len(slab) == cap(slab) {
			slab = make([]lineCommit, 0, 4096)
		}
		slab = append(slab, lineCommit{tree: tree, parents: parents, pos: pos})
		out[commit] = &slab[len(slab)-1]
	}
}

// stream runs git with args, writing its stdin with in (in a goroutine:
// git answers while it reads) and reading its stdout with out.
func stream(ctx context.Context, repo GitOpsRepo, args []string, in func(*bufio.Writer), out func(*bufio.Reader) error) error {
	cmd := repo.Command(ctx, args...)
	var stdin io.WriteCloser
	var err error
	if in != nil {
		if stdin, err = cmd.StdinPipe(); err != nil {
			return err
		}
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	if in != nil {
		go func() {
			w := bufio.NewWriterSize(stdin, 1<<16)
			in(w)
			w.Flush()
			stdin.Close()
		}()
	}
	perr := out(bufio.NewReaderSize(stdout, 1<<16))
	if perr != nil {
		io.Copy(io.Discard, stdout)
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return perr
}

// catFiles reads blobs by id with one `git cat-file --batch` process;
// missing objects are left out. Objects over pinFileLimit are an error
// naming them.
func catFiles(ctx context.Context, repo GitOpsRepo, names []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(names))
	if len(names) == 0 {
		return out, nil
	}
	err := stream(ctx, repo, []string{"cat-file", "--batch", "--buffer"}, func(w *bufio.Writer) {
		for _, n := range names {
			w.WriteString(n)
			w.WriteByte('\n')
		}
	}, func(r *bufio.Reader) error {
		for _, n := range names {
			head, err := r.ReadString('\n')
			if err != nil {
				return fmt.Errorf("short output at %s", n)
			}
			typ, body, err := readObject(r, head, n, pinFileLimit)
			if err != nil {
				return err
			}
			if typ == "blob" {
				out[n] = body
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("git cat-file of the pin files: %w", err)
	}
	return out, nil
}

// readObject reads one `cat-file --batch` answer whose header line is head
// ("<id> <type> <size>", or "<name> missing"): its type ("" when missing)
// and content. An object over limit is an error naming it.
func readObject(r *bufio.Reader, head, name string, limit int64) (string, []byte, error) {
	f := strings.Fields(head)
	if len(f) == 2 && (f[1] == "missing" || f[1] == "ambiguous") {
		return "", nil, nil
	}
	if len(f) != 3 {
		return "", nil, fmt.Errorf("%q", head)
	}
	size, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil || size < 0 {
		return "", nil, fmt.Errorf("size %q", f[2])
	}
	if size > limit {
		return "", nil, fmt.Errorf("%s is %d bytes, over the %d-byte limit for a %s Slipway reads", name, size, limit, f[1])
	}
	body := make([]byte, size+1) // and the newline after it
	if _, err := io.ReadFull(r, body); err != nil {
		return "", nil, fmt.Errorf("%s: %w", name, err)
	}
	return f[1], body[:size], nil
}

// objectReader reads objects one at a time through one long-lived
// `git cat-file --batch`, for the reads a replay cannot know in advance.
type objectReader struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	in     *bufio.Writer
	out    *bufio.Reader
	stderr bytes.Buffer
	broken error
}

func openObjects(ctx context.Context, repo GitOpsRepo) (*objectReader, error) {
	o := &objectReader{cmd: repo.Command(ctx, "cat-file", "--batch")}
	var err error
	if o.stdin, err = o.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := o.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	o.cmd.Stderr = &o.stderr
	if err := o.cmd.Start(); err != nil {
		return nil, fmt.Errorf("git cat-file: %w", err)
	}
	o.in, o.out = bufio.NewWriter(o.stdin), bufio.NewReaderSize(stdout, 1<<16)
	return o, nil
}

// get reads object oid, which must be of type typ and at most limit bytes.
func (o *objectReader) get(oid, typ string, limit int64) ([]byte, error) {
	if o.broken != nil {
		return nil, o.broken
	}
	o.in.WriteString(oid + "\n")
	if err := o.in.Flush(); err != nil {
		o.broken = fmt.Errorf("git cat-file: %v: %s", err, strings.TrimSpace(o.stderr.String()))
		return nil, o.broken
	}
	head, err := o.out.ReadString('\n')
	if err != nil {
		o.broken = fmt.Errorf("git cat-file: %v: %s", err, strings.TrimSpace(o.stderr.String()))
		return nil, o.broken
	}
	got, body, err := readObject(o.out, head, oid, limit)
	switch {
	case err != nil:
		o.broken = err // the answer was not read to its end
		return nil, err
	case got == "":
		return nil, fmt.Errorf("%s %s is missing from the GitOps clone", typ, oid)
	case got != typ:
		return nil, fmt.Errorf("%s is a %s, not a %s", oid, got, typ)
	}
	return body, nil
}

func (o *objectReader) close() {
	o.stdin.Close()
	io.Copy(io.Discard, o.out)
	o.cmd.Wait()
}

// treeLimit bounds a tree object the audit reads.
const treeLimit = 64 << 20

// claimChecker checks many claims on one environment's pins with one walk
// of the first-parent lines of the remote's branches (commits, trees and
// parents, no diffs: read while the log is verified) and a replay of the
// claimed commits, oldest first, on a model of the trees along the pin
// files (git.TreeModel). Most pin commits are proven without reading
// anything: a service's pin file differs from one change to the next only
// in its digest, so the file a claim's commit should have written is its
// service's file with the claim's digest put in (a revert: the file as it
// was before the reverted change), and when the parent's trees with that
// blob put in hash to the commit's own tree id, the commit changed
// exactly that: the hash that names every object Git itself trusts (and a
// forged SHA-1 collision would first have to pass the collision detection
// git applies to every object it fetches). Anything else (a hand edit,
// another file changed in the same commit, a file of an unusual shape) is
// read, never assumed. The decisions then run in parallel, mostly without
// parsing YAML (holdsCache).
// A claim whose commit is not on those lines (a merged revert pull
// request, a rewritten commit) is errNotPrefetched: check it alone.
type claimChecker struct {
	e     *Engine
	env   string
	pins  map[string]pinSet   // by service
	files map[string][]string // the pin files, by service
	line  firstParents
	cache *holdsCache

	// What check did: the pin commits proven from their parent's trees,
	// and the content of every blob it knows (read, or proven from its id).
	proven int
	known  map[string][]byte
}

// errNotPrefetched: the claim's commit is not among those the checker read
// (another environment, or off the first-parent lines).
var errNotPrefetched = errors.New("not prefetched")

// newClaimChecker reads what the remote's branches say about the pins of
// every configured service in env.
func (e *Engine) newClaimChecker(ctx context.Context, env string) (*claimChecker, error) {
	cfgEnv, _, err := e.Cfg.Environment(env)
	if err != nil {
		return nil, invalid("%v", err)
	}
	c := &claimChecker{e: e, env: env, pins: map[string]pinSet{}, files: map[string][]string{}, cache: &holdsCache{m: map[string]holdsResult{}}}
	for _, svc := range e.Cfg.Services {
		ps, err := e.pinsFor(cfgEnv, svc.Name, nil, "")
		if err != nil {
			continue // a service without pins here has no claims here
		}
		files, err := ps.files()
		if err != nil {
			continue
		}
		c.pins[svc.Name], c.files[svc.Name] = ps, files
	}
	keepCommitGraph(ctx, e.GitOps)
	if c.line, err = readFirstParents(ctx, e.GitOps); err != nil {
		return nil, err
	}
	return c, nil
}

// check decides every claim (nil for "nothing to check"); the result is
// by index. heads[i], when set, is the pull-request head that was
// reviewed: when claims[i]'s commit is a merge, it must be its second
// parent.
func (c *claimChecker) check(ctx context.Context, claims []*PinClaim, heads []string) []error {
	results := make([]error, len(claims))
	byCommit := map[string][]int{}
	for i, cl := range claims {
		if cl == nil {
			continue
		}
		_, ok := c.pins[cl.Service]
		lc := c.line[cl.Commit]
		switch {
		case cl.Env != c.env:
			results[i] = errNotPrefetched
		case !ok:
			results[i] = fmt.Errorf("%s has no pins in %s in slipway.yaml: its pin commit cannot be checked", cl.Service, cl.Env)
		case lc == nil:
			results[i] = errNotPrefetched
		case heads[i] != "" && lc.parent(1) != "" && lc.parent(2) == "" && lc.parent(1) != heads[i]:
			results[i] = fmt.Errorf("merge commit %s brought in %s, not the reviewed head %s", short(cl.Commit), short(lc.parent(1)), short(heads[i]))
		default:
			byCommit[cl.Commit] = append(byCommit[cl.Commit], i)
		}
	}
	plans := make([]claimPlan, len(claims))
	if err := c.replay(ctx, claims, byCommit, plans, results); err != nil {
		for i := range results {
			if claims[i] != nil && results[i] == nil {
				results[i] = err
			}
		}
		return results
	}
	content := func(files, ids []string) map[string][]byte {
		out := make(map[string][]byte, len(ids))
		for k, id := range ids {
			if b, ok := c.known[id]; ok {
				out[files[k]] = b
			}
		}
		return out
	}
	var wg sync.WaitGroup
	next := make(chan int, 256)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				files := c.files[claims[i].Service]
				results[i] = judgeClaim(*claims[i], plans[i].pins, content(files, plans[i].before), content(files, plans[i].after), c.cache)
			}
		})
	}
	for i := range claims {
		if claims[i] != nil && results[i] == nil {
			next <- i
		}
	}
	close(next)
	wg.Wait()
	return results
}

// claimPlan is the blob each of a claim's pin files (c.files of its
// service, in order) holds before its commit (in the first parent) and
// after it: "" absent, "mode <m>" not a regular file.
type claimPlan struct {
	pins          pinSet
	before, after []string
}

// replay walks the claimed commits oldest first on a model of the trees
// along the pin files, filling each claim's plan, and leaves in c.known
// the content of every blob the plans name (results[i] is set for a claim
// that cannot be planned). A returned error concerns every claim.
func (c *claimChecker) replay(ctx context.Context, claims []*PinClaim, byCommit map[string][]int, plans []claimPlan, results []error) error {
	c.known = map[string][]byte{}
	if len(byCommit) == 0 {
		return nil
	}
	objs, err := openObjects(ctx, c.e.GitOps)
	if err != nil {
		return err
	}
	defer objs.close()
	var all []string
	for _, files := range c.files {
		all = append(all, files...)
	}
	model, err := git.NewTreeModel(all, func(oid string) ([]byte, error) { return objs.get(oid, "tree", treeLimit) })
	if err != nil {
		return err
	}
	g := guesser{shapes: map[pinSlot][][]byte{}, learned: map[string]bool{}, prev: map[string]string{}, made: map[string][]byte{}}
	blob := func(id string) ([]byte, error) {
		if b, ok := c.known[id]; ok || id == "" {
			return b, nil
		}
		b, err := objs.get(id, "blob", pinFileLimit)
		c.known[id] = b
		return b, err
	}
	// move makes the model tree: proven from the held one with the first
	// guess that hashes to it, else loaded; it notes each pin file's
	// previous blob (what a revert brings back).
	move := func(tree string, guesses []map[string]string) (bool, error) {
		for _, guess := range guesses {
			changes, ok, err := model.Apply(guess, tree)
			if err != nil {
				return false, err
			}
			if !ok {
				continue
			}
			for _, id := range guess {
				if b, ok := g.made[id]; ok {
					c.known[id] = b
				}
			}
			for _, ch := range changes {
				g.prev[ch.Path] = ch.Old
			}
			return true, nil
		}
		changes, err := model.Load(tree)
		for _, ch := range changes {
			if ch.Old != "" {
				g.prev[ch.Path] = ch.Old
			}
		}
		return false, err
	}
	type claimed struct {
		commit *lineCommit
		idx    []int
	}
	commits := make([]claimed, 0, len(byCommit))
	for commit, idx := range byCommit {
		commits = append(commits, claimed{c.line[commit], idx})
	}
	slices.SortFunc(commits, func(a, b claimed) int { return b.commit.pos - a.commit.pos }) // oldest first
	for _, cc := range commits {
		lc, idx := cc.commit, cc.idx
		root := lc.parents == ""
		clear(g.made)
		parent := lc.tree // a root commit: its files are compared with none
		if !root {
			p := c.line[lc.parent(0)]
			if p == nil { // a shallow clone's edge: checked alone
				for _, i := range idx {
					results[i] = errNotPrefetched
				}
				continue
			}
			parent = p.tree
		}
		if model.Root() != parent {
			if _, err := move(parent, c.parentGuesses(&g, model, claims, idx, len(parent))); err != nil {
				return err
			}
		}
		for _, i := range idx {
			plans[i] = claimPlan{pins: c.pins[claims[i].Service], before: c.filesAt(model, claims[i].Service, root)}
		}
		var guesses []map[string]string
		if !root {
			guesses = g.guesses(claims, idx, plans, c.files, len(lc.tree))
		}
		proven, err := move(lc.tree, guesses)
		if err != nil {
			return err
		}
		if proven {
			c.proven++
		}
		for _, i := range idx {
			cl := claims[i]
			plans[i].after = c.filesAt(model, cl.Service, false)
			results[i] = c.regular(cl, plans[i])
			if results[i] == nil {
				if err := g.learn(cl, plans[i], c.files[cl.Service], blob); err != nil {
					return err
				}
			}
		}
	}
	// The blobs no guess proved: read in one batch.
	var want []string
	asked := map[string]bool{}
	for i := range plans {
		for _, ids := range [][]string{plans[i].before, plans[i].after} {
			for _, id := range ids {
				if _, ok := c.known[id]; !ok && git.ValidSHA(id) && !asked[id] {
					asked[id] = true
					want = append(want, id)
				}
			}
		}
	}
	got, err := catFiles(ctx, c.e.GitOps, want)
	maps.Copy(c.known, got)
	return err
}

// parentGuesses guess a commit's parent from the model held, when they
// differ: the parent of a revert is most often the commit that pinned
// what the revert takes out (an aborted canary's pin commit), which no
// leaf names, so it is guessed as pinning that digest.
func (c *claimChecker) parentGuesses(g *guesser, model *git.TreeModel, claims []*PinClaim, idx []int, idLen int) []map[string]string {
	if model.Root() == "" {
		return nil
	}
	var out []map[string]string
	for _, i := range idx {
		if claims[i].Sets {
			continue
		}
		set := *claims[i]
		set.Sets = true
		if one, ok := g.guess(&set, c.filesAt(model, set.Service, false), c.files[set.Service], idLen); ok {
			out = append(out, one)
		}
	}
	return out
}

// filesAt is the blob of each of service's pin files in the model (see
// claimPlan); none for a root commit's parent.
func (c *claimChecker) filesAt(model *git.TreeModel, service string, none bool) []string {
	files := c.files[service]
	out := make([]string, len(files))
	if none {
		return out
	}
	for k, f := range files {
		mode, id := model.File(f)
		if id != "" && mode != "100644" && mode != "100755" {
			id = "mode " + mode // refused by regular
		}
		out[k] = id
	}
	return out
}

// regular refuses a pin file that is not a regular file on either side.
func (c *claimChecker) regular(cl *PinClaim, p claimPlan) error {
	for _, ids := range [][]string{p.before, p.after} {
		for k, f := range c.files[cl.Service] {
			if mode, ok := strings.CutPrefix(ids[k], "mode "); ok {
				return fmt.Errorf("%s at %s is not a regular file (mode %s): Slipway reads pins only in regular files", f, short(cl.Commit), mode)
			}
		}
	}
	return nil
}

// guesser makes the guess of what a pin commit wrote, from what earlier
// claims of the same service showed.
type guesser struct {
	shapes  map[pinSlot][][]byte // a pin file holding a digest, split around its hex
	learned map[string]bool      // services whose shapes are known
	prev    map[string]string    // a pin file's blob before its last change
	made    map[string][]byte    // guessed blobs' content, by id (an id names its content: true whether or not a tree holds it)
}

type pinSlot struct{ service, file string }

// guesses are what the commit's claimed pin files should hold after it
// (file → blob): the claims' guesses together, and when two claims guess
// one file differently (they cannot both hold), each claim's guess over
// the rest. None when a file cannot be guessed (the service's first
// claim, a revert of a change not seen).
func (g *guesser) guesses(claims []*PinClaim, idx []int, plans []claimPlan, files map[string][]string, idLen int) []map[string]string {
	if len(idx) == 1 { // the usual case: one claim, one guess
		i := idx[0]
		if one, ok := g.guess(claims[i], plans[i].before, files[claims[i].Service], idLen); ok {
			return []map[string]string{one}
		}
		return nil
	}
	merged, conflict := map[string]string{}, false
	var each []map[string]string
	for _, i := range idx {
		one, ok := g.guess(claims[i], plans[i].before, files[claims[i].Service], idLen)
		if !ok {
			return nil
		}
		for f, id := range one {
			if old, seen := merged[f]; seen && old != id {
				conflict = true
			}
			merged[f] = id
		}
		each = append(each, one)
	}
	tries := []map[string]string{merged}
	for _, one := range each {
		if conflict {
			m := maps.Clone(merged)
			maps.Copy(m, one)
			tries = append(tries, m)
		}
	}
	return tries
}

// guess is the blob each of one claim's pin files should hold after its
// commit, given what they hold before; the content of those made from a
// shape is kept in g.made.
func (g *guesser) guess(cl *PinClaim, before, files []string, idLen int) (map[string]string, bool) {
	if !g.learned[cl.Service] {
		return nil, false
	}
	out := make(map[string]string, len(files))
	dh := digestHex(cl.Digest)
	for k, f := range files {
		shape, shaped := g.shapes[pinSlot{cl.Service, f}]
		switch {
		case !shaped: // a file that holds no digest: unchanged
			out[f] = before[k]
		case cl.Sets && dh != nil:
			b := bytes.Join(shape, dh)
			out[f] = blobID(b, idLen)
			g.made[out[f]] = b
		case !cl.Sets && g.prev[f] != "":
			out[f] = g.prev[f]
		default:
			return nil, false
		}
		if len(out[f]) != idLen { // absent, not a regular file, or an unknown hash
			return nil, false
		}
	}
	return out, true
}

// learn notes the shape of the service's files from its first claim
// whose pins hold the digest (read from git).
func (g *guesser) learn(cl *PinClaim, p claimPlan, files []string, blob func(string) ([]byte, error)) error {
	if g.learned[cl.Service] {
		return nil
	}
	dh, holds := digestHex(cl.Digest), p.after
	if !cl.Sets {
		holds = p.before
	}
	for k, id := range holds {
		b, err := blob(id)
		if err != nil {
			return err
		}
		if dh != nil && bytes.Contains(b, dh) {
			g.shapes[pinSlot{cl.Service, files[k]}] = bytes.Split(b, dh)
			g.learned[cl.Service] = true // else the next claim shows them
		}
	}
	return nil
}

// digestHex is the hex of a sha256 digest, nil for any other.
func digestHex(digest string) []byte {
	h, ok := strings.CutPrefix(digest, "sha256:")
	if !ok || len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" {
		return nil
	}
	return []byte(h)
}

// blobID is the id git gives a blob holding content, in the repository's
// hash (told by the length of its ids: 40 hex digits SHA-1, 64 SHA-256);
// "" for any other length.
func blobID(content []byte, idLen int) string {
	var h hash.Hash
	switch idLen {
	case 2 * sha1.Size:
		h = sha1.New()
	case 2 * sha256.Size:
		h = sha256.New()
	default:
		return ""
	}
	h.Write(strconv.AppendInt([]byte("blob "), int64(len(content)), 10))
	h.Write([]byte{0})
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}
