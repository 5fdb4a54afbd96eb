package git

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The functions in this file work on the object database only: no work
// tree, no shared index, no checkout. Many goroutines and processes can make
// commits in one clone at once, which the promotion engine does.

// ValidSHA reports whether s is a full object id: 40 (SHA-1) or 64
// (SHA-256) lowercase hex digits. A loop, not a regexp: the audit checks
// hundreds of thousands.
func ValidSHA(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// CheckArg refuses a value that git could read as an option or that could
// smuggle a second argument: values from configuration, Git or people are
// passed after `--` where git allows it, and checked here where it does not
// (revisions, branch names).
func CheckArg(what, s string) error {
	if s == "" || s[0] == '-' || strings.ContainsAny(s, "\x00\n\r") {
		return fmt.Errorf("%s %q cannot be passed to git: it is empty, starts with '-' or holds a control character", what, s)
	}
	return nil
}

// CheckBranch refuses names git would not accept as a branch. Git's
// answer for a name without '@' (which could refer to a previous branch)
// never changes, so an accepted one is remembered: a push does not pay a
// process to check the same branch again.
func CheckBranch(name string) error {
	if err := CheckArg("branch", name); err != nil {
		return err
	}
	if _, ok := validBranches.Load(name); ok {
		return nil
	}
	if _, err := Open(".").Run(context.Background(), "check-ref-format", "--branch", name); err != nil {
		return fmt.Errorf("%q is not a valid git branch name", name)
	}
	if !strings.Contains(name, "@") && validCount.Add(1) < 1<<14 {
		validBranches.Store(name, true)
	}
	return nil
}

var (
	validBranches sync.Map
	validCount    atomic.Int64
)

// ErrNotFile is returned by ReadFile for a path that is a directory, a
// submodule or a symlink.
var ErrNotFile = errors.New("not a regular file")

// ReadFile returns the content of path at commit. It refuses a symlink (a
// pin must never be read through a link an attacker planted), anything that
// is not a regular file, and a file larger than limit bytes. A missing file
// is reported as fs.ErrNotExist.
func (r *Repo) ReadFile(ctx context.Context, commit, path string, limit int64) ([]byte, error) {
	files, err := r.ReadFiles(ctx, commit, []string{path}, limit)
	if err != nil {
		return nil, err
	}
	b, ok := files[path]
	if !ok {
		return nil, fmt.Errorf("%s at %.12s: %w", path, commit, fs.ErrNotExist)
	}
	return b, nil
}

// ReadFiles reads the files of paths that exist at commit, with ReadFile's
// refusals (the first refusal is the error); a missing path is left out of
// the map. Ordinary reads go through the repository's reader process (no
// new process); anything else takes two git processes.
func (r *Repo) ReadFiles(ctx context.Context, commit string, paths []string, limit int64) (map[string][]byte, error) {
	if err := CheckArg("revision", commit); err != nil {
		return nil, err
	}
	if files, err := r.readFilesFast(ctx, commit, paths, limit); err == nil {
		return files, nil
	}
	return r.readFilesGit(ctx, commit, paths, limit)
}

// readFilesGit is ReadFiles with ls-tree and cat-file.
func (r *Repo) readFilesGit(ctx context.Context, commit string, paths []string, limit int64) (map[string][]byte, error) {
	out, err := r.Run(ctx, append([]string{"ls-tree", "-z", "--full-tree", "-l", commit, "--"}, paths...)...)
	if err != nil {
		return nil, err
	}
	blobs := map[string]string{}
	for _, entry := range strings.Split(out, "\x00") {
		tab := strings.IndexByte(entry, '\t')
		if tab < 0 {
			continue
		}
		f, path := strings.Fields(entry[:tab]), entry[tab+1:]
		if len(f) != 4 {
			continue
		}
		switch f[0] {
		case "100644", "100755":
		case "120000":
			return nil, fmt.Errorf("%s at %.12s is a symbolic link: Slipway reads and writes pins only in regular files; replace the link with the file: %w", path, commit, ErrNotFile)
		default:
			return nil, fmt.Errorf("%s at %.12s is not a regular file (mode %s): %w", path, commit, f[0], ErrNotFile)
		}
		size, err := strconv.ParseInt(f[3], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s at %.12s: size %q: %w", path, commit, f[3], err)
		}
		if size > limit {
			return nil, fmt.Errorf("%s at %.12s is %d bytes, over the %d-byte limit for a pin file: pin files are small YAML documents; split the file", path, commit, size, limit)
		}
		blobs[path] = f[2]
	}
	var req bytes.Buffer
	var found []string
	for _, p := range paths {
		if sha, ok := blobs[p]; ok {
			req.WriteString(sha + "\n")
			found = append(found, p)
		}
	}
	if len(found) == 0 {
		return map[string][]byte{}, nil
	}
	raw, err := r.RunBytes(ctx, req.Bytes(), "cat-file", "--batch")
	if err != nil {
		return nil, err
	}
	files := make(map[string][]byte, len(found))
	for _, p := range found {
		nl := bytes.IndexByte(raw, '\n')
		if nl < 0 {
			return nil, fmt.Errorf("git cat-file --batch: short output")
		}
		f := strings.Fields(string(raw[:nl]))
		if len(f) != 3 {
			return nil, fmt.Errorf("git cat-file --batch: %q", raw[:nl])
		}
		n, err := strconv.Atoi(f[2])
		if err != nil || nl+1+n > len(raw) {
			return nil, fmt.Errorf("git cat-file --batch: bad size %q", f[2])
		}
		files[p] = raw[nl+1 : nl+1+n]
		raw = raw[nl+1+n:]
		if len(raw) > 0 && raw[0] == '\n' {
			raw = raw[1:]
		}
	}
	return files, nil
}

// fileMode returns the mode of path in commit's tree ("" when absent).
func (r *Repo) fileMode(ctx context.Context, commit, path string) (string, error) {
	out, err := r.Run(ctx, "ls-tree", "-z", "--full-tree", commit, "--", path)
	if err != nil || out == "" {
		return "", err
	}
	return strings.Fields(out)[0], nil
}

// CommitFiles makes a commit on parent whose tree is parent's with files
// replaced, without touching a work tree or the clone's index. Modes of
// existing files are kept; new files are 100644. An ordinary edit is
// written from Go (commitFilesFast: the same objects git writes, no
// process); anything else takes git's plumbing.
func (r *Repo) CommitFiles(ctx context.Context, parent string, files map[string][]byte, id Identity, at time.Time, message string) (string, error) {
	if err := CheckArg("revision", parent); err != nil {
		return "", err
	}
	if sha, err := r.commitFilesFast(ctx, parent, files, id, at, message); err == nil {
		return sha, nil
	}
	return r.commitFilesGit(ctx, parent, files, id, at, message)
}

// commitFilesGit is CommitFiles with a temporary index: read-tree,
// hash-object, update-index, write-tree, commit-tree.
func (r *Repo) commitFilesGit(ctx context.Context, parent string, files map[string][]byte, id Identity, at time.Time, message string) (string, error) {
	idx, err := os.CreateTemp("", "slipway-index-*")
	if err != nil {
		return "", err
	}
	idx.Close()
	os.Remove(idx.Name()) // git creates it; an empty file is not a valid index
	defer os.Remove(idx.Name())
	c := *r
	c.Env = append(append([]string(nil), r.Env...), "GIT_INDEX_FILE="+idx.Name())
	if _, err := c.Run(ctx, "read-tree", parent); err != nil {
		return "", err
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var info strings.Builder
	for _, p := range paths {
		blob, err := c.RunBytes(ctx, files[p], "hash-object", "-w", "--stdin")
		if err != nil {
			return "", err
		}
		mode, err := r.fileMode(ctx, parent, p)
		if err != nil {
			return "", err
		}
		if mode == "" {
			mode = "100644"
		}
		fmt.Fprintf(&info, "%s %s\t%s\n", mode, strings.TrimSpace(string(blob)), p)
	}
	if _, err := c.RunBytes(ctx, []byte(info.String()), "update-index", "--index-info"); err != nil {
		return "", err
	}
	tree, err := c.Run(ctx, "write-tree")
	if err != nil {
		return "", err
	}
	return r.CommitTree(ctx, tree, []string{parent}, id, at, message)
}

// CommitTree makes a commit object of tree with parents.
func (r *Repo) CommitTree(ctx context.Context, tree string, parents []string, id Identity, at time.Time, message string) (string, error) {
	args := []string{"commit-tree", tree}
	for _, p := range parents {
		if err := CheckArg("parent", p); err != nil {
			return "", err
		}
		args = append(args, "-p", p)
	}
	c := *r
	date := at.UTC().Format(time.RFC3339)
	c.Env = append(append(append([]string(nil), r.Env...), id.Env()...), "GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date)
	out, err := c.RunBytes(ctx, []byte(message), append(args, "-F", "-")...)
	return strings.TrimSpace(string(out)), err
}

// ErrConflict is returned when a merge or revert does not apply cleanly.
var ErrConflict = errors.New("conflict")

// MergeTree merges theirs into ours without a work tree and returns the
// merged tree, or ErrConflict naming the conflicting files.
func (r *Repo) MergeTree(ctx context.Context, ours, theirs string) (string, error) {
	for _, a := range []string{ours, theirs} {
		if err := CheckArg("revision", a); err != nil {
			return "", err
		}
	}
	out, err := r.Run(ctx, "merge-tree", "--write-tree", "--name-only", "--no-messages", ours, theirs)
	if err != nil {
		var ge *Error
		if errors.As(err, &ge) && out != "" {
			lines := strings.Split(out, "\n")
			return "", fmt.Errorf("%w in %s", ErrConflict, strings.Join(lines[1:], ", "))
		}
		return "", err
	}
	return strings.SplitN(out, "\n", 2)[0], nil
}

// MergeFile merges the change base→other into current (a three-way merge
// of one file's bytes, as `git revert` does per file).
func MergeFile(ctx context.Context, current, base, other []byte) ([]byte, error) {
	dir, err := os.MkdirTemp("", "slipway-merge-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	names := []string{"current", "base", "other"}
	for i, b := range [][]byte{current, base, other} {
		if err := os.WriteFile(filepath.Join(dir, names[i]), b, 0o600); err != nil {
			return nil, err
		}
	}
	out, err := Open(dir).RunBytes(ctx, nil, "merge-file", "-p", "--", "current", "base", "other")
	if err != nil {
		var ge *Error
		if errors.As(err, &ge) && len(out) > 0 {
			return nil, ErrConflict
		}
		return nil, err
	}
	return out, nil
}

// ChangedFiles lists the paths that differ between two commits.
func (r *Repo) ChangedFiles(ctx context.Context, from, to string) ([]string, error) {
	for _, a := range []string{from, to} {
		if err := CheckArg("revision", a); err != nil {
			return nil, err
		}
	}
	out, err := r.Run(ctx, "diff", "--name-only", "-z", "--no-renames", from, to, "--")
	if err != nil {
		return nil, err
	}
	var files []string
	for _, f := range strings.Split(out, "\x00") {
		if f != "" {
			files = append(files, f)
		}
	}
	return files, nil
}

// Parents returns a commit's parents, first parent first.
func (r *Repo) Parents(ctx context.Context, sha string) ([]string, error) {
	if err := CheckArg("revision", sha); err != nil {
		return nil, err
	}
	out, err := r.Run(ctx, "rev-list", "--parents", "-n", "1", sha, "--")
	if err != nil {
		return nil, err
	}
	f := strings.Fields(out)
	if len(f) == 0 {
		return nil, fmt.Errorf("commit %s not found", sha)
	}
	return f[1:], nil
}

// CommitsTouching lists up to n first-parent commits reachable from rev that
// changed any of paths, newest first.
func (r *Repo) CommitsTouching(ctx context.Context, rev string, paths []string, n int) ([]string, error) {
	if err := CheckArg("revision", rev); err != nil {
		return nil, err
	}
	args := append([]string{"log", "--first-parent", "--format=%H", "-n", strconv.Itoa(n), rev, "--"}, paths...)
	out, err := r.Run(ctx, args...)
	if err != nil || out == "" {
		return nil, err
	}
	return strings.Split(out, "\n"), nil
}

// PushCommit pushes sha to branch on origin as a fast-forward only: a remote
// that moved refuses it (ErrRejected) and nothing is overwritten. The
// remote-tracking ref follows, so the next commit builds on it without a
// fetch.
func (r *Repo) PushCommit(ctx context.Context, sha, branch string) error {
	if err := CheckBranch(branch); err != nil {
		return err
	}
	if err := CheckArg("commit", sha); err != nil {
		return err
	}
	if err := r.push(ctx, branch, "push", "--quiet", "--porcelain", "origin", sha+":refs/heads/"+branch); err != nil {
		return err
	}
	r.track(ctx, branch, sha)
	return nil
}

// track moves the remote-tracking ref of branch after a push, under the
// fetch lock (a concurrent fetch updates the same ref); "" deletes it.
func (r *Repo) track(ctx context.Context, branch, sha string) {
	r.withFetchLock(func() error {
		if sha == "" {
			_, err := r.Run(ctx, "update-ref", "-d", "refs/remotes/origin/"+branch)
			return err
		}
		_, err := r.Run(ctx, "update-ref", "refs/remotes/origin/"+branch, sha)
		return err
	})
}

// PushCAS points branch on origin at sha only if it is still at old ("" for
// a branch that must not exist yet): a compare-and-swap for Slipway's own
// pull-request branches, which it may rebuild, never for someone's work.
func (r *Repo) PushCAS(ctx context.Context, sha, branch, old string) error {
	if err := CheckBranch(branch); err != nil {
		return err
	}
	lease := "--force-with-lease=refs/heads/" + branch + ":" + old
	dst := sha + ":refs/heads/" + branch
	if sha == "" { // delete
		dst = ":refs/heads/" + branch
	}
	if err := r.push(ctx, branch, "push", "--quiet", "--porcelain", lease, "origin", dst); err != nil {
		return err
	}
	r.track(ctx, branch, sha)
	return nil
}

func (r *Repo) push(ctx context.Context, branch string, args ...string) error {
	// Push to origin's URL rather than its name: git then leaves the
	// remote-tracking refs alone (a concurrent fetch holds them); track
	// moves them under the fetch lock.
	url, err := r.originURL(ctx)
	if err != nil {
		return err
	}
	for i, a := range args {
		if a == "origin" {
			args[i] = url
		}
	}
	_, err = r.Run(ctx, args...)
	var ge *Error
	if errors.As(err, &ge) && (strings.Contains(ge.Stderr, "rejected") || strings.Contains(ge.Stderr, "non-fast-forward") || strings.Contains(ge.Stderr, "fetch first") || strings.Contains(ge.Stderr, "stale info") || strings.Contains(ge.Stderr, "failed to push")) {
		return fmt.Errorf("%w: origin refused %s: %v", ErrRejected, branch, err)
	}
	return err
}

// originURL is the URL of the clone's origin remote.
func (r *Repo) originURL(ctx context.Context) (string, error) {
	if u, ok := originURLs.Load(r.Dir); ok {
		return u.(string), nil
	}
	u, err := r.Run(ctx, "remote", "get-url", "origin")
	if err != nil {
		return "", err
	}
	originURLs.Store(r.Dir, u)
	return u, nil
}

var originURLs sync.Map

// fetchLocks serializes fetches of one clone inside this process; a file
// lock does it across processes (concurrent fetches fight over ref locks).
var fetchLocks sync.Map

// FetchShared updates the remote-tracking refs like Fetch, safely while
// other goroutines and processes use the same clone.
func (r *Repo) FetchShared(ctx context.Context) error {
	return r.withFetchLock(func() error { return r.Fetch(ctx) })
}

// withFetchLock runs fn holding the clone's fetch lock (in this process and
// across processes).
func (r *Repo) withFetchLock(fn func() error) error {
	mu, _ := fetchLocks.LoadOrStore(r.Dir, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	f, err := os.OpenFile(filepath.Join(r.Dir, ".git", "slipway-fetch.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	r.removeStaleRefLocks()
	return fn()
}

// removeStaleRefLocks deletes ref lock files a killed git left behind.
// Every ref update in Slipway's clone happens under the fetch lock, so a
// lock file seen while holding it belongs to a process that died.
func (r *Repo) removeStaleRefLocks() {
	gitDir := filepath.Join(r.Dir, ".git")
	os.Remove(filepath.Join(gitDir, "packed-refs.lock"))
	filepath.WalkDir(filepath.Join(gitDir, "refs"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".lock") {
			os.Remove(p)
		}
		return nil
	})
}

// CommitMessage builds a commit message whose trailers are exactly the given
// ones: free text (reasons, justifications) is folded into single lines
// inside the body, so no text a person typed can become a trailer line or a
// paragraph that parses as one.
func CommitMessage(subject string, body []string, trailers [][2]string) string {
	var b bytes.Buffer
	b.WriteString(oneLine(subject))
	b.WriteString("\n")
	for _, p := range body {
		if p = oneLine(p); p != "" {
			b.WriteString("\n")
			b.WriteString(p)
			b.WriteString("\n")
		}
	}
	if len(trailers) > 0 {
		b.WriteString("\n")
		for _, t := range trailers {
			fmt.Fprintf(&b, "%s: %s\n", t[0], oneLine(t[1]))
		}
	}
	return b.String()
}

// oneLine folds every run of whitespace (newlines included) into one space.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
