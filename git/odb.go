package git

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// odb is the Go side of one repository's object database, for the hot path
// of a promotion (read the pins at the tip, commit the edit): objects are
// read through one long-lived `git cat-file --batch-command` and written as
// loose objects exactly as git writes them (zlib of "<type> <size>\0<data>",
// named by its SHA-1, created read-only beside its final name and linked
// into place), so a pin commit costs no git process at all instead of six.
//
// It only does what it is sure git would do byte for byte: SHA-1
// repositories without settings that change how objects are written, and
// plain trees (see plainTree). Everything else answers errUnusual and the
// caller takes the plumbing path, which is also where every refusal and
// error message comes from.
type odb struct {
	dir     string
	env     []string
	objects atomic.Value // string: the objects directory git itself uses
	usable  bool
	why     string // why not usable
	checked time.Time

	mu     sync.Mutex // one request at a time on the process
	proc   *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Reader
	idle   *time.Timer

	cache objectCache
}

// errUnusual means the fast path cannot promise git's exact result here:
// take the plumbing path.
var errUnusual = errors.New("unusual for the fast path")

func unusual(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errUnusual}, args...)...)
}

var (
	odbs sync.Map // dir + env → *odb

	// odbIdle closes a reader nobody used for this long (tests make many
	// repositories; a controller keeps its one reader busy).
	odbIdle = 10 * time.Second
	// odbRecheck is how often the repository's settings are read again.
	odbRecheck = 30 * time.Second
)

// fastObjects turns the fast path off (SLIPWAY_GIT_FAST=0), to measure or
// to rule it out.
var fastObjects = os.Getenv("SLIPWAY_GIT_FAST") != "0"

// objectsDB returns the repository's Go object database, or errUnusual
// when it must not be used.
func (r *Repo) objectsDB(ctx context.Context) (*odb, error) {
	if !fastObjects {
		return nil, unusual("disabled by SLIPWAY_GIT_FAST=0")
	}
	key := r.Dir + "\x00" + strings.Join(r.Env, "\x00")
	v, ok := odbs.Load(key)
	if !ok {
		v, _ = odbs.LoadOrStore(key, &odb{dir: r.Dir, env: append([]string(nil), r.Env...), cache: newObjectCache(32 << 20)})
	}
	o := v.(*odb)
	o.mu.Lock()
	defer o.mu.Unlock()
	if time.Since(o.checked) > odbRecheck {
		o.usable, o.why = o.check(ctx)
		if ctx.Err() == nil { // an answer cut short is asked again next time
			o.checked = time.Now()
		}
	}
	if !o.usable {
		return nil, unusual("%s", o.why)
	}
	return o, nil
}

// check reads the settings that decide whether Go may write this
// repository's objects: git's own answer for the objects directory and the
// hash, and configuration that changes how objects are written or read.
func (o *odb) check(ctx context.Context) (bool, string) {
	r := &Repo{Dir: o.dir, Env: o.env}
	out, err := r.Run(ctx, "rev-parse", "--git-path", "objects", "--show-object-format")
	if err != nil {
		return false, err.Error()
	}
	lines := strings.Split(out, "\n")
	if len(lines) != 2 || lines[1] != "sha1" {
		return false, fmt.Sprintf("object format %q", out)
	}
	objects := lines[0]
	if !filepath.IsAbs(objects) {
		abs, err := filepath.Abs(filepath.Join(o.dir, objects))
		if err != nil {
			return false, err.Error()
		}
		objects = abs
	}
	cfg, err := r.RunBytes(ctx, nil, "config", "-z", "--list")
	if err != nil {
		var ge *Error
		if !errors.As(err, &ge) || len(cfg) != 0 || ge.Stderr != "" {
			return false, err.Error()
		}
	}
	for _, kv := range bytes.Split(cfg, []byte{0}) {
		key, val, _ := strings.Cut(string(kv), "\n")
		if why := unusualSetting(strings.ToLower(key), val); why != "" {
			return false, why
		}
	}
	o.objects.Store(objects)
	return true, ""
}

// unusualSetting names a setting under which Go's objects could differ
// from git's (their ids, their files, or how paths match).
func unusualSetting(key, val string) string {
	on := func() bool {
		switch strings.ToLower(val) {
		case "", "false", "no", "off", "0":
			return false
		}
		return true
	}
	switch {
	case key == "i18n.commitencoding" && !strings.EqualFold(val, "utf-8") && !strings.EqualFold(val, "utf8"):
		return key + "=" + val // git adds an encoding header
	case key == "core.sharedrepository" && on() && !strings.EqualFold(val, "umask"):
		return key // git sets group permissions on new files
	case key == "core.fsync", key == "core.fsyncobjectfiles" && on(), key == "core.fsyncmethod":
		return key // git would fsync what we write
	case key == "core.ignorecase" && on(), key == "core.precomposeunicode" && on():
		return key // paths could match other names
	case strings.HasPrefix(key, "extensions.") && key != "extensions.worktreeconfig" &&
		!(key == "extensions.objectformat" && strings.EqualFold(val, "sha1")) &&
		!(key == "extensions.refstorage" && strings.EqualFold(val, "files")):
		return key
	}
	return ""
}

// start runs the reader process (o.mu held).
func (o *odb) start() error {
	if o.proc != nil {
		return nil
	}
	r := &Repo{Dir: o.dir, Env: o.env}
	cmd := r.Command(context.Background(), "cat-file", "--batch-command")
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	o.proc, o.stdin, o.stdout = cmd, in, bufio.NewReaderSize(out, 64<<10)
	if o.idle == nil {
		o.idle = time.AfterFunc(odbIdle, o.closeIdle)
	}
	return nil
}

// closeIdle ends the reader and forgets the cached objects of a repository
// nobody used for odbIdle.
func (o *odb) closeIdle() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.stop()
	o.cache.clear()
}

// stop ends the reader process (o.mu held); the next request starts one.
func (o *odb) stop() {
	if o.proc == nil {
		return
	}
	o.stdin.Close()
	o.proc.Process.Kill()
	o.proc.Wait()
	o.proc = nil
}

// request sends one command and reads its header line (o.mu held). A
// context that ends mid-request kills the process, so a hung git never
// holds the lock.
func (o *odb) request(ctx context.Context, cmd string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := o.start(); err != nil {
		return "", unusual("start git cat-file: %v", err)
	}
	o.idle.Reset(odbIdle)
	proc := o.proc
	stop := context.AfterFunc(ctx, func() { proc.Process.Kill() })
	defer stop()
	if _, err := io.WriteString(o.stdin, cmd+"\n"); err != nil {
		o.stop()
		return "", unusual("git cat-file: %v", err)
	}
	line, err := o.stdout.ReadString('\n')
	if err != nil {
		o.stop()
		return "", unusual("git cat-file: %v", err)
	}
	return strings.TrimSuffix(line, "\n"), nil
}

// header parses "<oid> <type> <size>"; "… missing" and "… ambiguous" are
// errMissing and errUnusual.
func parseHeader(line string) (oid, typ string, size int64, err error) {
	f := strings.Fields(line)
	if len(f) == 2 && f[1] == "missing" {
		return "", "", 0, errMissing
	}
	if len(f) != 3 || !isSHA1(f[0]) {
		return "", "", 0, unusual("git cat-file said %q", line)
	}
	size, err = strconv.ParseInt(f[2], 10, 64)
	if err != nil || size < 0 {
		return "", "", 0, unusual("git cat-file said %q", line)
	}
	return f[0], f[1], size, nil
}

// errMissing is an object or name git does not have.
var errMissing = errors.New("missing")

// resolve returns the object a name (a full ref such as
// refs/remotes/origin/main) points at, as git resolves it.
func (o *odb) resolve(ctx context.Context, name string) (string, string, error) {
	if name == "" || strings.ContainsAny(name, "\x00\n\r") || strings.TrimSpace(name) != name {
		return "", "", unusual("name %q", name)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	line, err := o.request(ctx, "info "+name)
	if err != nil {
		return "", "", err
	}
	oid, typ, _, err := parseHeader(line)
	return oid, typ, err
}

// read returns an object's type and bytes; an object over limit bytes is
// errUnusual (the plumbing path says what is wrong with it).
func (o *odb) read(ctx context.Context, oid string, limit int64) (string, []byte, error) {
	if !isSHA1(oid) {
		return "", nil, unusual("object name %q", oid)
	}
	if c, ok := o.cache.get(oid); ok {
		if int64(len(c.data)) > limit {
			return "", nil, unusual("%s is %d bytes", oid, len(c.data))
		}
		return c.typ, c.data, nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	line, err := o.request(ctx, "contents "+oid)
	if err != nil {
		return "", nil, err
	}
	got, typ, size, err := parseHeader(line)
	if err != nil {
		return "", nil, err
	}
	if got != oid || size > limit {
		o.stop() // not worth draining: the plumbing path reports it
		return "", nil, unusual("%s is %d bytes", oid, size)
	}
	data := make([]byte, size+1)
	if _, err := io.ReadFull(o.stdout, data); err != nil || data[size] != '\n' {
		o.stop()
		return "", nil, unusual("git cat-file: short object %s: %v", oid, err)
	}
	data = data[:size]
	o.cache.put(oid, typ, data)
	return typ, data, nil
}

// write stores an object as a loose object (when absent) and returns its id.
func (o *odb) write(typ string, data []byte) (string, error) {
	h := sha1.New()
	fmt.Fprintf(h, "%s %d\x00", typ, len(data))
	h.Write(data)
	oid := hex.EncodeToString(h.Sum(nil))
	if err := writeLoose(o.objects.Load().(string), oid, typ, data); err != nil {
		return "", fmt.Errorf("write %s %s: %w", typ, oid, err)
	}
	o.cache.put(oid, typ, data)
	return oid, nil
}

// writeLoose writes a loose object as git does: compressed into a
// read-only temporary file beside its final name (tmp_obj_*, which `git
// prune` cleans up after a crash), then renamed into place, so a reader
// never sees half an object (two writers of one object write the same
// bytes). An object already there is only freshened (its time bumped, so
// gc keeps it), as git does. Like git's default (core.fsync), loose
// objects are not fsynced: a promotion records its commit and checks it
// still exists before reusing it.
func writeLoose(objects, oid, typ string, data []byte) error {
	dir := filepath.Join(objects, oid[:2])
	final := filepath.Join(dir, oid[2:])
	if _, err := os.Stat(final); err == nil {
		now := time.Now()
		os.Chtimes(final, now, now)
		return nil
	}
	buf := zbufs.Get().(*zbuf)
	defer zbufs.Put(buf)
	buf.b.Reset()
	buf.w.Reset(&buf.b)
	fmt.Fprintf(buf.w, "%s %d\x00", typ, len(data))
	buf.w.Write(data)
	if err := buf.w.Close(); err != nil {
		return err
	}
	var suffix [6]byte
	rand.Read(suffix[:])
	tmp := filepath.Join(dir, "tmp_obj_"+hex.EncodeToString(suffix[:]))
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o444)
	if errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o777); err != nil {
			return err
		}
		f, err = os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o444)
	}
	if err != nil {
		return err
	}
	_, err = f.Write(buf.b.Bytes())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, final)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// zbufs reuse compressors: a new one allocates a megabyte.
var zbufs = sync.Pool{New: func() any {
	z := &zbuf{}
	z.w, _ = zlib.NewWriterLevel(&z.b, zlib.BestSpeed) // git's core.looseCompression default
	return z
}}

type zbuf struct {
	b bytes.Buffer
	w *zlib.Writer
}

func isSHA1(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// objectCache keeps recently read and written objects (trees, commits and
// small files) by id: objects never change, so an entry is never stale. It
// also remembers which trees are plain (see plainTree).
type objectCache struct {
	mu    sync.Mutex
	limit int
	size  int
	objs  map[string]cachedObject
	order []string // insertion order, for eviction
	plain map[string]bool
}

type cachedObject struct {
	typ  string
	data []byte
}

func newObjectCache(limit int) objectCache {
	return objectCache{limit: limit, objs: map[string]cachedObject{}, plain: map[string]bool{}}
}

func (c *objectCache) get(oid string) (cachedObject, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	o, ok := c.objs[oid]
	return o, ok
}

func (c *objectCache) put(oid, typ string, data []byte) {
	if len(data) > c.limit/64 {
		return // a big object would evict everything else
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.objs[oid]; ok {
		return
	}
	c.objs[oid] = cachedObject{typ: typ, data: data}
	c.order = append(c.order, oid)
	c.size += len(data)
	for c.size > c.limit && len(c.order) > 0 {
		old := c.order[0]
		c.order = c.order[1:]
		c.size -= len(c.objs[old].data)
		delete(c.objs, old)
	}
	if len(c.order) > 4*len(c.objs)+64 {
		c.order = append([]string(nil), c.order...) // drop the evicted prefix's backing array
	}
}

func (c *objectCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.objs)
	clear(c.plain)
	c.order, c.size = nil, 0
}

func (c *objectCache) isPlain(oid string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.plain[oid]
}

func (c *objectCache) setPlain(oid string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.plain) > 1<<17 {
		clear(c.plain)
	}
	c.plain[oid] = true
}
