package engine

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
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
	return judgeClaim(c, pins, before, after)
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
// side that must not may be unreadable.
func judgeClaim(c PinClaim, pins pinSet, before, after map[string][]byte) error {
	must, mustNot := after, before
	if !c.Sets {
		must, mustNot = before, after
	}
	held, err := pins.holds(must, c.Digest)
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
	if held, _ := pins.holds(mustNot, c.Digest); held {
		if c.Sets {
			return fmt.Errorf("commit %s does not set %s for %s in %s: its first parent already pins it", short(c.Commit), digestShort(c.Digest), c.Service, c.Env)
		}
		return fmt.Errorf("commit %s does not revert %s for %s in %s: its pins still hold it", short(c.Commit), digestShort(c.Digest), c.Service, c.Env)
	}
	return nil
}

// holds reports whether the pin files hold digest. Files that do not
// contain the digest's hex at all cannot hold it: no YAML is parsed for
// them (most of the sides a verification looks at).
func (s pinSet) holds(files map[string][]byte, digest string) (bool, error) {
	want, err := s.files()
	if err != nil {
		return false, err
	}
	hex := []byte(strings.TrimPrefix(digest, "sha256:"))
	found := false
	for _, f := range want {
		if bytes.Contains(files[f], hex) {
			found = true
		}
	}
	if !found {
		return false, nil
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

// pinHistory is what the GitOps remote's history says about a set of pin
// files: every commit on one of its branches that changes one of them
// against its first parent, with the blobs before and after. Read with one
// `git log`, so checking many claims costs one walk of history.
type pinHistory struct {
	commits map[string]*pinChange
}

type pinChange struct {
	parents []string
	files   map[string]blobPair // path → blobs; "" when the file is absent on that side
}

type blobPair struct{ before, after, beforeMode, afterMode string }

const nullSHA = "0000000000000000000000000000000000000000"

// readPinHistory walks every branch of the remote (as fetched) once.
func readPinHistory(ctx context.Context, repo *git.Repo, paths []string) (*pinHistory, error) {
	h := &pinHistory{commits: map[string]*pinChange{}}
	if len(paths) == 0 {
		return h, nil
	}
	args := append([]string{"--literal-pathspecs", "log", "-z", "--raw", "--no-abbrev", "--no-renames", "--root",
		"--full-history", "--diff-merges=first-parent", "--format=C %H %P", "--remotes", "--"}, paths...)
	cmd := repo.Command(ctx, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	perr := h.parse(bufio.NewReaderSize(out, 1<<16))
	if perr != nil {
		io.Copy(io.Discard, out)
	}
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("git log of the pin files: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return h, perr
}

// parse reads `git log -z --raw --format="C %H %P"`: a commit line, then
// ":<modes> <blobs> <status>" and the path, each NUL-terminated.
func (h *pinHistory) parse(r *bufio.Reader) error {
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
				return fmt.Errorf("git log: commit line %q", tok)
			}
			cur = &pinChange{parents: f[1:], files: map[string]blobPair{}}
			h.commits[f[0]] = cur
		case strings.HasPrefix(tok, ":"):
			f := strings.Fields(tok[1:])
			path, err := r.ReadString(0)
			if err != nil || len(f) != 5 || cur == nil {
				return fmt.Errorf("git log: raw line %q", tok)
			}
			p := blobPair{before: f[2], after: f[3], beforeMode: f[0], afterMode: f[1]}
			if p.before == nullSHA {
				p.before = ""
			}
			if p.after == nullSHA {
				p.after = ""
			}
			cur.files[strings.TrimSuffix(path, "\x00")] = p
		case tok == "":
		default:
			return fmt.Errorf("git log: unexpected %q", tok)
		}
	}
}

// claimFiles names, for one side of a commit, the object holding each pin
// file: a blob id from the history, or "<commit>:<path>" for a file the
// commit did not change (it is the same on both sides). "" is absent.
func (c *pinChange) claimFiles(commit string, files []string, after bool) (map[string]string, error) {
	out := make(map[string]string, len(files))
	for _, f := range files {
		p, changed := c.files[f]
		if !changed {
			out[f] = commit + ":" + f
			continue
		}
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
func catFiles(ctx context.Context, repo *git.Repo, names []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(names))
	if len(names) == 0 {
		return out, nil
	}
	cmd := repo.Command(ctx, "cat-file", "--batch", "--buffer")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		w := bufio.NewWriterSize(stdin, 1<<16)
		for _, n := range names {
			w.WriteString(n)
			w.WriteByte('\n')
		}
		w.Flush()
		stdin.Close()
	}()
	r := bufio.NewReaderSize(stdout, 1<<16)
	var rerr error
	for _, n := range names {
		if rerr = readObject(r, n, out); rerr != nil {
			break
		}
	}
	if rerr != nil {
		io.Copy(io.Discard, stdout)
	}
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("git cat-file: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return out, rerr
}

// readObject reads one `cat-file --batch` answer: "<id> <type> <size>\n"
// and the content, or "<name> missing\n".
func readObject(r *bufio.Reader, name string, out map[string][]byte) error {
	head, err := r.ReadString('\n')
	if err != nil {
		return fmt.Errorf("git cat-file: short output at %s", name)
	}
	f := strings.Fields(head)
	if len(f) == 2 && (f[1] == "missing" || f[1] == "ambiguous") {
		return nil
	}
	if len(f) != 3 {
		return fmt.Errorf("git cat-file: %q", head)
	}
	size, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil {
		return fmt.Errorf("git cat-file: size %q", f[2])
	}
	if size > pinFileLimit {
		return fmt.Errorf("%s is %d bytes, over the %d-byte limit for a pin file", name, size, pinFileLimit)
	}
	body := make([]byte, size+1) // and the newline after it
	if _, err := io.ReadFull(r, body); err != nil {
		return fmt.Errorf("git cat-file: %s: %w", name, err)
	}
	if f[1] == "blob" {
		out[name] = body[:size]
	}
	return nil
}

// claimChecker checks many claims on one environment's pins with one walk
// of history and one read of the blobs involved.
type claimChecker struct {
	e    *Engine
	hist *pinHistory
	pins map[string]pinSet // by service
}

// newClaimChecker reads the history of the pins of every configured
// service in env.
func (e *Engine) newClaimChecker(ctx context.Context, env string) (*claimChecker, error) {
	cfgEnv, _, err := e.Cfg.Environment(env)
	if err != nil {
		return nil, invalid("%v", err)
	}
	c := &claimChecker{e: e, pins: map[string]pinSet{}}
	var paths []string
	for _, svc := range e.Cfg.Services {
		ps, err := e.pinsFor(cfgEnv, svc.Name, nil, "")
		if err != nil {
			continue // a service without pins here has no claims here
		}
		files, err := ps.files()
		if err != nil {
			continue
		}
		c.pins[svc.Name] = ps
		paths = append(paths, files...)
	}
	if c.hist, err = readPinHistory(ctx, e.GitOps, paths); err != nil {
		return nil, err
	}
	return c, nil
}

// sides are the pin files of a claim's commit and its first parent.
type sides struct {
	pins          pinSet
	before, after map[string]string
	err           error
}

// check decides every claim (nil for "nothing to check"); the result is
// by index. heads[i], when set, is a pull-request head that must pin
// claims[i]'s digest and, if claims[i]'s commit is a merge, be its second
// parent.
func (c *claimChecker) check(ctx context.Context, claims []*PinClaim, heads []string) ([]error, error) {
	results := make([]error, len(claims))
	plan := make([]sides, len(claims))
	headPlan := make([]sides, len(claims))
	var names []string
	seen := map[string]bool{}
	want := func(m map[string]string) {
		for _, n := range m {
			if n != "" && !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	for i, cl := range claims {
		if cl == nil {
			continue
		}
		pins, ok := c.pins[cl.Service]
		if !ok {
			plan[i].err = fmt.Errorf("%s has no pins in %s in slipway.yaml: its pin commit cannot be checked", cl.Service, cl.Env)
			continue
		}
		plan[i].pins = pins
		files, _ := pins.files()
		ch, ok := c.hist.commits[cl.Commit]
		if !ok {
			plan[i].err = errNotInHistory
			continue
		}
		if plan[i].before, plan[i].err = ch.claimFiles(cl.Commit, files, false); plan[i].err == nil {
			plan[i].after, plan[i].err = ch.claimFiles(cl.Commit, files, true)
		}
		want(plan[i].before)
		want(plan[i].after)
		if heads[i] == "" {
			continue
		}
		if len(ch.parents) == 2 && ch.parents[1] != heads[i] {
			headPlan[i].err = fmt.Errorf("merge commit %s brought in %s, not the reviewed head %s", short(cl.Commit), short(ch.parents[1]), short(heads[i]))
			continue
		}
		if hc, ok := c.hist.commits[heads[i]]; ok { // a squash merge's head may be gone: then the merge alone speaks
			headPlan[i].pins = pins
			headPlan[i].after, headPlan[i].err = hc.claimFiles(heads[i], files, true)
			want(headPlan[i].after)
		}
	}
	blobs, err := catFiles(ctx, c.e.GitOps, names)
	if err != nil {
		return nil, err
	}
	read := func(m map[string]string) map[string][]byte {
		out := make(map[string][]byte, len(m))
		for f, n := range m {
			if b, ok := blobs[n]; ok {
				out[f] = b
			}
		}
		return out
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				results[i] = c.decide(ctx, claims[i], heads[i], plan[i], headPlan[i], read)
			}
		})
	}
	for i := range claims {
		if claims[i] != nil {
			next <- i
		}
	}
	close(next)
	wg.Wait()
	return results, nil
}

var errNotInHistory = errors.New("not in history")

func (c *claimChecker) decide(ctx context.Context, cl *PinClaim, head string, s, hs sides, read func(map[string]string) map[string][]byte) error {
	if errors.Is(s.err, errNotInHistory) {
		// Either not on any branch, or on one without changing the pins:
		// ask Git which (only for claims that fail, so rarely).
		if err := c.e.onRemote(ctx, cl.Commit); err != nil {
			return err
		}
		return fmt.Errorf("commit %s does not change the pins of %s in %s", short(cl.Commit), cl.Service, cl.Env)
	}
	if s.err != nil {
		return s.err
	}
	if err := judgeClaim(*cl, s.pins, read(s.before), read(s.after)); err != nil {
		return err
	}
	if hs.err != nil {
		return hs.err
	}
	if hs.after != nil {
		if held, err := hs.pins.holds(read(hs.after), cl.Digest); !held || err != nil {
			return fmt.Errorf("pull-request head %s does not pin %s for %s in %s (it pins %s)", short(head), digestShort(cl.Digest), cl.Service, cl.Env, orNone(hs.pins.describe(read(hs.after))))
		}
	}
	return nil
}
