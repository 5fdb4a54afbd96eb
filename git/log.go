package git

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// LogEntry is one commit as read from history.
type LogEntry struct {
	SHA            string
	Parents        []string
	AuthorName     string
	AuthorEmail    string
	CommitterName  string
	CommitterEmail string
	// Time is the committer date, Unix seconds.
	Time    int64
	Message string

	// boundary marks a commit just outside the range (--boundary).
	boundary bool
	// Files are the paths the commit changes (only with LogOptions.Files;
	// merge commits list none, as with plain `git log --name-only`).
	Files []string
}

// LogOptions selects what Log reads.
type LogOptions struct {
	// Revs are rev-list arguments: "HEAD", "v1.2.0..HEAD", "^abc123".
	// Empty means HEAD.
	Revs []string
	// Files asks for the changed paths of each commit (--name-only), which
	// costs a diff per commit: ask only when component paths matter.
	Files bool
	// TopoOrder guarantees children before parents (--topo-order), which
	// history-wide passes need to attribute commits to releases.
	TopoOrder bool
	// CrossCheck also runs `git rev-list --count` (concurrently) and
	// compares. The closure check of every read already proves the same
	// equality; this doubles the history walk, so it is for tests and
	// for the doubtful.
	CrossCheck bool
	// NoIdentity leaves the author, committer and time fields empty: less
	// for git to format and for us to allocate when only messages matter.
	NoIdentity bool
	// OnBoundary, when set, receives each boundary commit: a commit outside
	// the range whose child is inside it. A negative revision ^X that is
	// an ancestor of the tip always shows up here, which lets a caller
	// confirm "X is an ancestor" from the same pass.
	OnBoundary func(sha string)

	// extraArgs lets tests make git log lose commits, to exercise the guard.
	extraArgs []string
}

// CountMismatchError is returned when the commits read for a range are
// not all of the range (`git rev-list --count` would give another number):
// a release computed from a partial history would be wrong, so we refuse.
type CountMismatchError struct {
	Revs   []string
	Parsed int
	// Count is rev-list's figure, or -1 when the closure check failed.
	Count int
	// Missing names a commit the range needs but the read lacked.
	Missing string
}

func (e *CountMismatchError) Error() string {
	what := fmt.Sprintf("git rev-list --count says %d", e.Count)
	if e.Count < 0 {
		what = "commit " + e.Missing + " of the range was not read"
	}
	return fmt.Sprintf("history of %s: parsed %d commits but %s; refusing to compute a release from a partial history (is it a shallow clone? run `git fetch --unshallow`)",
		strings.Join(e.Revs, " "), e.Parsed, what)
}

// closure proves that the commits read are the whole range, in the same
// pass: in a range (tips minus what the negative revs reach) every commit
// but a tip has a child in the range, so if every parent of every commit
// read is itself read or is a boundary commit (--boundary), and every
// commit without a child read is a tip, nothing is missing, and the count
// equals what `git rev-list --count` gives. It holds only the frontier:
// parents not read yet, and commits no child has claimed yet.
type closure struct {
	needed map[string]struct{}
	early  map[string]struct{}
}

func newClosure() *closure {
	return &closure{needed: map[string]struct{}{}, early: map[string]struct{}{}}
}

func (c *closure) add(sha string, parents []string) {
	if _, ok := c.needed[sha]; ok {
		delete(c.needed, sha)
	} else {
		c.early[sha] = struct{}{}
	}
	for _, p := range parents {
		if _, ok := c.early[p]; ok {
			delete(c.early, p)
		} else {
			c.needed[p] = struct{}{}
		}
	}
}

// missing returns a commit that breaks the proof, or "".
func (c *closure) missing(tips map[string]bool) string {
	for p := range c.needed {
		return p
	}
	for sha := range c.early {
		if !tips[sha] {
			return "a child of " + sha
		}
	}
	return ""
}

// recordStart begins each commit in the log stream. Messages may contain
// newlines but never NUL, so fields are NUL-terminated and the start byte
// tells a new commit from the file names of the previous one.
const recordStart = '\x1e'

// logFormat is one commit: start byte, boundary mark ("-" for a boundary
// commit, ">" otherwise) and hash, then NUL-terminated fields.
const logFormat = "--format=%x1e%m%H%x00%P%x00%an%x00%ae%x00%cn%x00%ce%x00%ct%x00%B%x00"

// logFormatNoIdentity has the same fields, the identity ones empty.
const logFormatNoIdentity = "--format=%x1e%m%H%x00%P%x00%x00%x00%x00%x00%x00%B%x00"

const logFields = 8

// Log streams the commits of opts.Revs to fn, newest first, in one
// `git log` process, and proves in the same pass that none is missing (see
// closure). fn must not keep the *LogEntry; it may keep its strings. It
// returns the number of commits.
func (r *Repo) Log(ctx context.Context, opts LogOptions, fn func(*LogEntry) error) (int, error) {
	revs := opts.Revs
	if len(revs) == 0 {
		revs = []string{"HEAD"}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	tips, err := r.tips(ctx, revs)
	if err != nil {
		return 0, err
	}

	type countResult struct {
		n   int
		err error
	}
	counted := make(chan countResult, 1)
	if opts.CrossCheck {
		go func() {
			n, err := r.CountCommits(ctx, revs)
			counted <- countResult{n, err}
		}()
	}

	format := logFormat
	if opts.NoIdentity {
		format = logFormatNoIdentity
	}
	args := []string{"log", "-z", "--no-color", "--no-decorate", "--no-show-signature", "--boundary", format}
	if opts.Files {
		args = append(args, "--name-only", "--no-renames")
	}
	if opts.TopoOrder {
		args = append(args, "--topo-order")
	}
	args = append(args, opts.extraArgs...)
	args = append(args, revs...)
	args = append(args, "--")
	cmd := r.Command(ctx, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, &Error{Args: args, Err: err}
	}
	proof := newClosure()
	n := 0
	_, readErr := readLog(out, func(e *LogEntry) error {
		if e.boundary {
			proof.add(e.SHA, nil)
			if opts.OnBoundary != nil {
				opts.OnBoundary(e.SHA)
			}
			return nil
		}
		proof.add(e.SHA, e.Parents)
		n++
		return fn(e)
	})
	if readErr != nil {
		cancel()
		_, _ = io.Copy(io.Discard, out)
	}
	waitErr := cmd.Wait()
	if readErr != nil {
		return n, readErr
	}
	if waitErr != nil {
		return n, &Error{Args: args, Stderr: stderr.String(), Err: waitErr}
	}
	if m := proof.missing(tips); m != "" && !opts.CrossCheck {
		// The frontier proof assumes children come before parents; git
		// log's default order shows a parent first when its date ties with
		// (or a skewed clock puts it after) a child's, as in a release
		// pull request merged within a second. Count the range instead.
		if c, err := r.CountCommits(ctx, revs); err != nil || c != n {
			return n, &CountMismatchError{Revs: revs, Parsed: n, Count: -1, Missing: m}
		}
	}
	if opts.CrossCheck {
		c := <-counted
		if c.err != nil {
			return n, c.err
		}
		if c.n != n {
			return n, &CountMismatchError{Revs: revs, Parsed: n, Count: c.n}
		}
	}
	return n, nil
}

// tips resolves the positive revisions of revs (the commits a range
// starts from).
func (r *Repo) tips(ctx context.Context, revs []string) (map[string]bool, error) {
	out, err := r.Run(ctx, append([]string{"rev-parse", "--revs-only"}, revs...)...)
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w (check the refs exist and were fetched)", strings.Join(revs, " "), err)
	}
	var positive []string
	for _, l := range strings.Fields(out) {
		if !strings.HasPrefix(l, "^") {
			positive = append(positive, l+"^{commit}")
		}
	}
	tips := map[string]bool{}
	if len(positive) == 0 {
		return tips, nil
	}
	resolved, err := r.Run(ctx, append([]string{"rev-parse"}, positive...)...)
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", strings.Join(revs, " "), err)
	}
	for _, sha := range strings.Fields(resolved) {
		tips[sha] = true
	}
	return tips, nil
}

// CountCommits is `git rev-list --count revs`.
func (r *Repo) CountCommits(ctx context.Context, revs []string) (int, error) {
	args := append([]string{"rev-list", "--count"}, revs...)
	args = append(args, "--")
	out, err := r.Run(ctx, args...)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		return 0, fmt.Errorf("git rev-list --count printed %q: %w", out, err)
	}
	return n, nil
}

// readLog parses the -z log stream. Each commit is recordStart, logFields
// NUL-terminated fields, then (with --name-only) an empty token and the
// file names, the first prefixed by "\n".
func readLog(r io.Reader, fn func(*LogEntry) error) (int, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var (
		e       LogEntry
		n       int
		field   = -1 // -1: expecting a record start; 0..logFields-1: header fields; logFields: files
		pending bool
		long    []byte // a token longer than the buffer
	)
	flush := func() error {
		if !pending {
			return nil
		}
		pending = false
		n++
		return fn(&e)
	}
	for {
		tok, err := br.ReadSlice(0)
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long, tok...)
			continue
		}
		if long != nil {
			tok = append(long, tok...)
			long = nil
		}
		if err == io.EOF {
			if len(bytes.TrimSpace(tok)) != 0 {
				return n, fmt.Errorf("git log: truncated output after %d commits", n)
			}
			return n, flush()
		}
		if err != nil {
			return n, err
		}
		tok = tok[:len(tok)-1] // drop NUL
		if len(tok) > 1 && tok[0] == recordStart && (field == -1 || field == logFields && isHash(tok[2:])) {
			if err := flush(); err != nil {
				return n, err
			}
			e = LogEntry{boundary: tok[1] == '-'}
			tok = tok[2:]
			field = 0
		}
		switch field {
		case -1:
			return n, fmt.Errorf("git log: unexpected output %q", tok)
		case 0:
			e.SHA = string(tok)
		case 1:
			if len(tok) > 0 {
				e.Parents = strings.Fields(string(tok))
			}
		case 2:
			e.AuthorName = string(tok)
		case 3:
			e.AuthorEmail = string(tok)
		case 4:
			e.CommitterName = string(tok)
		case 5:
			e.CommitterEmail = string(tok)
		case 6:
			if len(tok) > 0 {
				e.Time, _ = strconv.ParseInt(string(tok), 10, 64)
			}
		case 7:
			e.Message = string(tok)
			pending = true
		default: // file names
			tok = bytes.TrimPrefix(tok, []byte("\n"))
			if len(tok) > 0 {
				e.Files = append(e.Files, string(tok))
			}
			continue
		}
		field++
	}
}

// isHash tells a record start from a file name that happens to begin with
// the record byte: only a full SHA-1 or SHA-256 hex name follows it.
func isHash(b []byte) bool {
	if len(b) != 40 && len(b) != 64 {
		return false
	}
	for _, c := range b {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// ResolveCommit returns the full hash of the commit ref names, with an
// error that names the ref when it does not exist.
func (r *Repo) ResolveCommit(ctx context.Context, ref string) (string, error) {
	out, err := r.Run(ctx, "rev-parse", "--verify", "--quiet", "--end-of-options", ref+"^{commit}")
	if err != nil || out == "" {
		return "", fmt.Errorf("%q is not a commit in %s: check the ref name (a branch, tag or hash) and that it was fetched", ref, r.Dir)
	}
	return out, nil
}
