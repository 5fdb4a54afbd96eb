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
	"maps"
	"path"
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

// pinChanges is what commits changed in the pin files against their first
// parent, with the blobs before and after, as `git log --raw` reports it.
type pinChanges struct {
	commits map[string]*pinChange
	prefix  string // only files under it are kept ("" for all)
}

type pinChange struct {
	parents []string
	files   []fileChange
}

type fileChange struct{ path, before, after, beforeMode, afterMode string }

const nullSHA = "0000000000000000000000000000000000000000"

// readFirstParentChanges walks the first-parent line of every branch of
// the remote (as fetched) once, with what each commit changed under
// prefix ("" for everything) against its first parent. Slipway's pin
// commits and reverts are on that line: a direct push, a pull request's
// merge commit (diffed against the branch it merged into), a revert.
//
// Every commit of the line is listed, whatever it changed. The prefix is
// applied here rather than given to git as a pathspec: git matches a
// pathspec against every entry of every tree it compares, which made the
// walk a third slower (bench/auditverify), while a full diff skips
// unchanged subtrees by their ids.
func readFirstParentChanges(ctx context.Context, repo GitOpsRepo, prefix string) (pinChanges, error) {
	out := pinChanges{prefix: prefix}
	args := []string{"log", "--first-parent", "--remotes", "-z", "--raw", "--no-abbrev", "--no-renames",
		"--root", "--diff-merges=first-parent", "--format=C %H %P"}
	if err := stream(ctx, repo, args, nil, out.parse); err != nil {
		return pinChanges{}, fmt.Errorf("git log of the GitOps remote's branches: %w", err)
	}
	return out, nil
}

// parse reads `-z --raw --format="C %H %P"`: a commit line, then
// ":<modes> <blobs> <status>" and the path, each NUL-terminated.
func (h *pinChanges) parse(r *bufio.Reader) error {
	h.commits = map[string]*pinChange{}
	var cur *pinChange
	for {
		tok, err := r.ReadString(0)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		tok = strings.TrimLeft(strings.TrimSuffix(tok, "\x00"), "\n")
		switch {
		case strings.HasPrefix(tok, "C "):
			f := strings.Fields(tok[2:])
			if len(f) == 0 {
				return fmt.Errorf("commit line %q", tok)
			}
			cur = &pinChange{parents: f[1:]}
			h.commits[f[0]] = cur
		case strings.HasPrefix(tok, ":"):
			f := strings.Fields(tok[1:])
			path, err := r.ReadString(0)
			if err != nil || len(f) != 5 || cur == nil {
				return fmt.Errorf("raw line %q", tok)
			}
			path = strings.TrimSuffix(path, "\x00")
			if !under(path, h.prefix) {
				continue
			}
			c := fileChange{path: path, before: f[2], after: f[3], beforeMode: f[0], afterMode: f[1]}
			if c.before == nullSHA {
				c.before = ""
			}
			if c.after == nullSHA {
				c.after = ""
			}
			cur.files = append(cur.files, c)
		case tok == "":
		default:
			return fmt.Errorf("unexpected %q", tok)
		}
	}
}

// under reports whether path is dir or inside it ("" holds everything).
func under(path, dir string) bool {
	return dir == "" || path == dir || strings.HasPrefix(path, dir+"/")
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

// claimFiles names, for one side of a commit, the object holding each pin
// file: a blob id, or "<commit>:<path>" for a file the commit did not
// change (it is the same on both sides). "" is absent.
func (c *pinChange) claimFiles(commit string, files []string, after bool) (map[string]string, error) {
	out := make(map[string]string, len(files))
	for _, f := range files {
		i := slices.IndexFunc(c.files, func(x fileChange) bool { return x.path == f })
		if i < 0 {
			out[f] = commit + ":" + f
			continue
		}
		p := c.files[i]
		blob, mode := p.before, p.beforeMode
		if after {
			blob, mode = p.after, p.afterMode
		}
		if blob != "" && mode != "100644" && mode != "100755" {
			return nil, fmt.Errorf("%s at %s is not a regular file (mode %s): Slipway reads pins only in regular files", f, short(commit), mode)
		}
		out[f] = blob
	}
	return out, nil
}

// catFiles reads objects by name (blob ids or "<rev>:<path>") with one
// `git cat-file --batch` process; missing objects are left out. Objects
// over pinFileLimit are an error naming them.
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
			if err := readObject(r, head, n, out); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("git cat-file of the pin files: %w", err)
	}
	return out, nil
}

// readObject reads the content of one `cat-file --batch` answer whose
// header line is head ("<id> <type> <size>", or "<name> missing") into
// out[name].
func readObject(r *bufio.Reader, head, name string, out map[string][]byte) error {
	f := strings.Fields(head)
	if len(f) == 2 && (f[1] == "missing" || f[1] == "ambiguous") {
		return nil
	}
	if len(f) != 3 {
		return fmt.Errorf("%q", head)
	}
	size, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil {
		return fmt.Errorf("size %q", f[2])
	}
	if size > pinFileLimit {
		return fmt.Errorf("%s is %d bytes, over the %d-byte limit for a pin file", name, size, pinFileLimit)
	}
	body := make([]byte, size+1) // and the newline after it
	if _, err := io.ReadFull(r, body); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if f[1] == "blob" {
		out[name] = body[:size]
	}
	return nil
}

// claimChecker checks many claims on one environment's pins with one walk
// of the first-parent lines of the remote's branches (what each commit
// changed in the pins, which does not wait for the claims), the pin files
// those changes name (most known without reading them: pinContents), and
// the decisions, in parallel and mostly without parsing YAML (holdsCache).
// A claim whose commit is not on those lines (a merged revert pull
// request, a rewritten commit) is errNotPrefetched: check it alone.
type claimChecker struct {
	e       *Engine
	env     string
	pins    map[string]pinSet   // by service
	files   map[string][]string // the pin files, by service
	changes pinChanges
	cache   *holdsCache
	read    int // objects read from git by check (the rest were known: pinContents)
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
	var all []string
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
		all = append(all, files...)
	}
	c.changes, err = readFirstParentChanges(ctx, e.GitOps, commonDir(all))
	if err != nil {
		return nil, err
	}
	return c, nil
}

// commonDir is the directory every path is under ("" for the root).
func commonDir(paths []string) string {
	if len(paths) == 0 {
		return ""
	}
	dir := path.Dir(paths[0])
	for _, p := range paths[1:] {
		for dir != "." && !strings.HasPrefix(p, dir+"/") {
			dir = path.Dir(dir)
		}
	}
	if dir == "." {
		return ""
	}
	return dir
}

// check decides every claim (nil for "nothing to check"); the result is
// by index. heads[i], when set, is the pull-request head that was
// reviewed: when claims[i]'s commit is a merge, it must be its second
// parent.
func (c *claimChecker) check(ctx context.Context, claims []*PinClaim, heads []string) []error {
	results := make([]error, len(claims))
	plans := make([]claimPlan, len(claims))
	for i, cl := range claims {
		if cl == nil {
			continue
		}
		pins, ok := c.pins[cl.Service]
		ch := c.changes.commits[cl.Commit]
		switch {
		case cl.Env != c.env:
			results[i] = errNotPrefetched
			continue
		case !ok:
			results[i] = fmt.Errorf("%s has no pins in %s in slipway.yaml: its pin commit cannot be checked", cl.Service, cl.Env)
			continue
		case ch == nil:
			results[i] = errNotPrefetched
			continue
		case heads[i] != "" && len(ch.parents) == 2 && ch.parents[1] != heads[i]:
			results[i] = fmt.Errorf("merge commit %s brought in %s, not the reviewed head %s", short(cl.Commit), short(ch.parents[1]), short(heads[i]))
			continue
		}
		files := c.files[cl.Service]
		p := claimPlan{pins: pins}
		var err error
		if p.before, err = ch.claimFiles(cl.Commit, files, false); err == nil {
			p.after, err = ch.claimFiles(cl.Commit, files, true)
		}
		if err != nil {
			results[i] = err
			continue
		}
		plans[i] = p
	}
	known, err := c.pinContents(ctx, claims, plans)
	if err != nil {
		for i := range results {
			if claims[i] != nil && results[i] == nil {
				results[i] = err
			}
		}
		return results
	}
	read := func(m map[string]string) map[string][]byte {
		out := make(map[string][]byte, len(m))
		for f, n := range m {
			if b, ok := known[n]; ok {
				out[f] = b
			}
		}
		return out
	}
	var wg sync.WaitGroup
	next := make(chan int, 256)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				results[i] = judgeClaim(*claims[i], plans[i].pins, read(plans[i].before), read(plans[i].after), c.cache)
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

// claimPlan is where one claim's pin files are, before and after its
// commit (see claimFiles); before is nil when the claim is not planned.
type claimPlan struct {
	pins          pinSet
	before, after map[string]string
}

// pinContents returns the content of every object the plans name, keyed
// by name; missing ones are left out. Most are known without reading
// them: a service's pin file differs from one change to the next only in
// its digest, so the file a claim's commit should have written is its
// service's file with the claim's digest put in, and when that content's
// blob id (the SHA-1, or SHA-256, of "blob <size>\0<content>", as git
// names it) is the id in the tree, the tree holds that content: the same
// hash that names every object Git itself trusts (and a forged SHA-1
// collision would first have to pass the collision detection git applies
// to every object it fetches). Git reads the rest: the
// objects of each service's first claim (from which the file's shape is
// learned), the files a commit did not change, and every blob whose guess
// fails, so an unusual file is read, never assumed.
func (c *claimChecker) pinContents(ctx context.Context, claims []*PinClaim, plans []claimPlan) (map[string][]byte, error) {
	known := map[string][]byte{}
	asked := map[string]bool{}
	var want []string
	need := func(n string) {
		if _, ok := known[n]; !ok && n != "" && !asked[n] {
			asked[n] = true
			want = append(want, n)
		}
	}
	read := func() error {
		got, err := catFiles(ctx, c.e.GitOps, want)
		c.read += len(want)
		maps.Copy(known, got)
		want = want[:0]
		return err
	}
	// The first claim of each service, read.
	var firsts []int
	seen := map[string]bool{}
	for i, p := range plans {
		if p.before == nil {
			continue
		}
		if svc := claims[i].Service; !seen[svc] {
			seen[svc] = true
			firsts = append(firsts, i)
			for _, m := range []map[string]string{p.before, p.after} {
				for _, n := range m {
					need(n)
				}
			}
		}
	}
	if err := read(); err != nil {
		return nil, err
	}
	// The shapes: what holds the digest, split around its hex.
	type slot struct{ service, file string }
	shapes := map[slot][][]byte{}
	for _, i := range firsts {
		dh, holds := digestHex(claims[i].Digest), plans[i].after
		if !claims[i].Sets {
			holds = plans[i].before
		}
		for f, n := range holds {
			if b := known[n]; dh != nil && bytes.Contains(b, dh) {
				shapes[slot{claims[i].Service, f}] = bytes.Split(b, dh)
			}
		}
	}
	// Every other object: guessed from its shape, or read.
	for i, p := range plans {
		if p.before == nil {
			continue
		}
		dh := digestHex(claims[i].Digest)
		for _, m := range []map[string]string{p.before, p.after} {
			for f, n := range m {
				if _, ok := known[n]; ok || asked[n] {
					continue
				}
				if shape, ok := shapes[slot{claims[i].Service, f}]; ok && dh != nil {
					if guess := bytes.Join(shape, dh); blobID(guess, len(n)) == n {
						known[n] = guess
						continue
					}
				}
				need(n)
			}
		}
	}
	return known, read()
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
	fmt.Fprintf(h, "blob %d\x00", len(content))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}
