package gitops

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"
)

// DefaultReadLimit bounds the size of a pin file read from a checkout: a
// pin file is a values file or a manifest, never megabytes.
const DefaultReadLimit int64 = 1 << 20

// ErrUnsafeFile: a path in the checkout is a symbolic link, not a regular
// file, too large, or outside the checkout. Anyone who can push to the
// GitOps repository controls what the checkout holds, so Slipway reads
// and writes only plain files reached through plain directories.
var ErrUnsafeFile = errors.New("unsafe file")

// ReadFile reads rel (slash-separated, relative) from the checkout at
// root. It refuses a path that escapes root, a symbolic link in any of
// its components, a file that is not regular (a FIFO would hang the
// read, a device would read forever) and a file larger than limit
// (DefaultReadLimit when limit <= 0). A missing file is an error that
// wraps fs.ErrNotExist, so the caller can leave it out of the map it
// gives PinSet.Apply, which then names the pin.
func ReadFile(root, rel string, limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = DefaultReadLimit
	}
	r, clean, info, err := openChecked(root, rel)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if info.Size() > limit {
		return nil, unsafeFile(rel, "is %d bytes, more than the %d a pin file may have; pin a smaller file", info.Size(), limit)
	}
	// O_NONBLOCK: should a FIFO replace the file after the check, opening
	// it returns at once and the SameFile check below refuses it.
	f, err := r.OpenFile(clean, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", rel, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !os.SameFile(info, st) || !st.Mode().IsRegular() {
		return nil, unsafeFile(rel, "changed while Slipway was reading it; run the promotion again")
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", rel, err)
	}
	if int64(len(data)) > limit {
		return nil, unsafeFile(rel, "grew past %d bytes while Slipway was reading it", limit)
	}
	return data, nil
}

// WriteFile replaces the existing file rel in the checkout at root with
// data, keeping its permission bits, under the same rules as ReadFile.
// The new content goes to a temporary file in the same directory that is
// then renamed over rel, so a reader never sees half a file and a
// symbolic link swapped in at the last moment is replaced, not followed.
func WriteFile(root, rel string, data []byte) error {
	r, clean, info, err := openChecked(root, rel)
	if err != nil {
		return err
	}
	defer r.Close()
	var suffix [8]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		return err
	}
	dir, base := path.Split(clean)
	tmp := dir + "." + base + ".slipway-" + hex.EncodeToString(suffix[:])
	f, err := r.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Chmod(info.Mode().Perm())
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = r.Rename(tmp, clean)
	}
	if werr != nil {
		_ = r.Remove(tmp)
		return fmt.Errorf("write %s: %w", rel, werr)
	}
	return nil
}

// openChecked opens root and checks every component of rel with Lstat:
// directories all the way, then one regular file, no symbolic link
// anywhere. os.Root keeps every later access inside root even if the tree
// changes after the check.
func openChecked(root, rel string) (*os.Root, string, fs.FileInfo, error) {
	clean, err := cleanRelative(rel)
	if err != nil {
		return nil, "", nil, err
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, "", nil, fmt.Errorf("open the checkout %s: %w", root, err)
	}
	parts := strings.Split(clean, "/")
	var info fs.FileInfo
	for i := range parts {
		prefix := strings.Join(parts[:i+1], "/")
		info, err = r.Lstat(prefix)
		if err != nil {
			r.Close()
			if errors.Is(err, fs.ErrNotExist) {
				return nil, "", nil, fmt.Errorf("%s is not in the checkout: %w", rel, fs.ErrNotExist)
			}
			return nil, "", nil, fmt.Errorf("read %s: %w", rel, err)
		}
		last := i == len(parts)-1
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			r.Close()
			return nil, "", nil, unsafeFile(rel, "goes through the symbolic link %s; Slipway edits only plain files in the GitOps repository, so replace the link with the file it points to", prefix)
		case !last && !info.IsDir():
			r.Close()
			return nil, "", nil, fmt.Errorf("%s is not in the checkout: %s is a file, not a directory: %w", rel, prefix, fs.ErrNotExist)
		case last && !info.Mode().IsRegular():
			r.Close()
			return nil, "", nil, unsafeFile(rel, "is not a regular file (%s); point the pin at a YAML file", info.Mode().Type())
		}
	}
	return r, clean, info, nil
}

// cleanRelative accepts a slash-separated path inside the checkout.
func cleanRelative(rel string) (string, error) {
	clean, why := relativePath(rel)
	if why != "" {
		return "", unsafeFile(rel, "%s; pin files are named relative to the GitOps repository root, e.g. envs/prod/api/values.yaml", why)
	}
	return clean, nil
}

func unsafeFile(rel, format string, args ...any) error {
	return fmt.Errorf("%w: %s %s", ErrUnsafeFile, rel, fmt.Sprintf(format, args...))
}
