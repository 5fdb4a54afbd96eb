package git

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
)

// PatchIDs returns the stable patch id (`git patch-id --stable`) of every
// non-merge commit of revs, keyed by commit. Two commits with the same id
// make the same change: a cherry-pick, or the same fix made twice. Commits
// that change nothing have no id.
func (r *Repo) PatchIDs(ctx context.Context, revs []string) (map[string]string, error) {
	if len(revs) == 0 {
		return map[string]string{}, nil
	}
	for _, rev := range revs {
		if err := CheckArg("revision", strings.TrimPrefix(rev, "^")); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// git log -p | git patch-id --stable, streamed: the patches of a long
	// range are never held in memory.
	logArgs := append([]string{"log", "--no-merges", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames", "-p", "--format=commit %H"}, revs...)
	logArgs = append(logArgs, "--")
	log := r.Command(ctx, logArgs...)
	var logErr, idErr bytes.Buffer
	log.Stderr = &logErr
	patches, err := log.StdoutPipe()
	if err != nil {
		return nil, err
	}
	pid := r.Command(ctx, "patch-id", "--stable")
	pid.Stdin = patches
	pid.Stderr = &idErr
	out, err := pid.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := log.Start(); err != nil {
		return nil, &Error{Args: logArgs, Err: err}
	}
	if err := pid.Start(); err != nil {
		cancel()
		log.Wait()
		return nil, &Error{Args: []string{"patch-id", "--stable"}, Err: err}
	}
	ids, readErr := readPatchIDs(out)
	if readErr != nil {
		cancel()
		_, _ = io.Copy(io.Discard, out)
	}
	pidErr := pid.Wait()
	logWait := log.Wait()
	switch {
	case readErr != nil:
		return nil, readErr
	case logWait != nil:
		return nil, &Error{Args: logArgs, Stderr: logErr.String(), Err: logWait}
	case pidErr != nil:
		return nil, &Error{Args: []string{"patch-id", "--stable"}, Stderr: idErr.String(), Err: pidErr}
	}
	return ids, nil
}

// readPatchIDs parses patch-id's "<patch id> <commit>" lines.
func readPatchIDs(r io.Reader) (map[string]string, error) {
	ids := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 || !ValidSHA(f[0]) || !ValidSHA(f[1]) {
			return nil, fmt.Errorf("git patch-id: unexpected line %q", sc.Text())
		}
		ids[f[1]] = f[0]
	}
	return ids, sc.Err()
}
