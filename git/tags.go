package git

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Tag is a tag and the commit it points at (annotated tags peeled).
type Tag struct {
	Name   string
	Commit string
	// Annotated is true for a tag object (git tag -a), false for a
	// lightweight tag.
	Annotated bool
	// Date is the tagger date of an annotated tag, else the commit date
	// (Unix seconds).
	Date int64
}

// Tags lists the tags of the repository; with merged != "", only those
// whose commit is reachable from merged (`--merged`). One git process.
func (r *Repo) Tags(ctx context.Context, merged string) ([]Tag, error) {
	args := []string{"for-each-ref", "--format=%(refname:strip=2)%00%(objecttype)%00%(objectname)%00%(*objectname)%00%(creatordate:unix)"}
	if merged != "" {
		args = append(args, "--merged="+merged)
	}
	args = append(args, "refs/tags")
	out, err := r.Run(ctx, args...)
	if err != nil {
		return nil, err
	}
	var tags []Tag
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(line, "\x00")
		if len(f) != 5 {
			continue
		}
		t := Tag{Name: f[0], Commit: f[2], Annotated: f[1] == "tag"}
		if t.Annotated {
			t.Commit = f[3]
		}
		t.Date, _ = strconv.ParseInt(f[4], 10, 64)
		tags = append(tags, t)
	}
	return tags, nil
}

// ErrTagElsewhere is returned by CreateTag when the tag exists on another
// commit: moving a release tag would rewrite what a version means.
var ErrTagElsewhere = errors.New("tag exists on another commit")

// CreateTag creates the annotated tag name on commit with message. It is
// idempotent: when the tag already points at commit it returns nil; when it
// points elsewhere it returns an error wrapping ErrTagElsewhere and changes
// nothing.
func (r *Repo) CreateTag(ctx context.Context, name, commit, message string) error {
	if existing, err := r.Run(ctx, "rev-parse", "--verify", "--quiet", "refs/tags/"+name+"^{commit}"); err == nil && existing != "" {
		want, err := r.ResolveCommit(ctx, commit)
		if err != nil {
			return err
		}
		if existing == want {
			return nil
		}
		return fmt.Errorf("tag %s points at %s, not %s: %w (delete it only if that release was never published)", name, existing[:12], want[:12], ErrTagElsewhere)
	}
	_, err := r.RunBytes(ctx, []byte(message), "tag", "-a", "--cleanup=verbatim", "-F", "-", name, commit)
	return err
}

// TagMessage returns the message of an annotated tag.
func (r *Repo) TagMessage(ctx context.Context, name string) (string, error) {
	return r.Run(ctx, "for-each-ref", "--format=%(contents)", "refs/tags/"+name)
}

// CreateTagAs is CreateTag with id as the tagger (the repository's own
// environment is left as it is).
func (r *Repo) CreateTagAs(ctx context.Context, id Identity, name, commit, message string) error {
	as := *r
	as.Env = append(slices.Clone(r.Env), id.Env()...)
	return as.CreateTag(ctx, name, commit, message)
}
