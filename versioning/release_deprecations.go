package versioning

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/slipway/slipway/changelog"
	"github.com/slipway/slipway/git"
	"github.com/slipway/slipway/versioning/deprecation"
)

// ErrDeprecationWindow refuses a release that removes a deprecated thing
// inside its deprecation window.
var ErrDeprecationWindow = errors.New("removes what is still inside its deprecation window")

// registerChange is what a release does to the deprecation register.
type registerChange struct {
	reg            *deprecation.Register
	added, removed []deprecation.Entry
	warnings       []string
	notes          []changelog.Note // the removals, for the notes' callout
}

// keepRegister reads the register and applies the release to it: the
// removals it makes (refused inside their window unless an early removal
// is allowed), then the deprecations its footers announce.
func keepRegister(ctx context.Context, repo *git.Repo, format TagFormat, req ReleaseRequest, res *Result, path string, src []byte, date time.Time) (*registerChange, error) {
	reg, err := deprecation.Parse(path, src)
	if err != nil {
		return nil, fmt.Errorf("release %s: the deprecation register is invalid: %w", res.Tag, err)
	}
	ch := &registerChange{reg: reg}
	var removes, breaking []string
	for _, e := range res.Entries {
		removes = append(removes, e.Commit.FooterValues(deprecation.RemovesToken)...)
		if e.Commit.Breaking() {
			breaking = append(breaking, e.Commit.BreakingNote, e.Commit.Description)
		}
	}
	idx, unknown := reg.Removed(req.Component, removes, breaking)
	for _, u := range unknown {
		ch.warnings = append(ch.warnings, fmt.Sprintf("Removes: %q names nothing in %s%s", u, path, forComponent(req.Component)))
	}
	if err := ch.remove(ctx, repo, format, req, res, idx, date); err != nil {
		return nil, err
	}
	// Oldest first, so the register reads in the order things happened.
	for i := len(res.Entries) - 1; i >= 0; i-- {
		e := res.Entries[i]
		for _, v := range e.Commit.FooterValues(deprecation.FooterToken) {
			n, err := deprecation.ParseFooter(v)
			if err != nil {
				ch.warnings = append(ch.warnings, fmt.Sprintf("commit %s: %v", short(e.SHA), err))
			}
			if n.What == "" {
				continue
			}
			entry := deprecation.Entry{ID: deprecation.ID(n.What), Component: req.Component, What: n.What, Since: res.Next,
				Date: date.UTC().Format(time.DateOnly), RemoveAfter: n.RemoveAfter, Commit: e.SHA}
			if reg.Add(entry) {
				ch.added = append(ch.added, reg.Entries[len(reg.Entries)-1])
			}
		}
	}
	return ch, nil
}

// remove marks the entries the release removes, after the window check.
func (ch *registerChange) remove(ctx context.Context, repo *git.Repo, format TagFormat, req ReleaseRequest, res *Result, idx []int, date time.Time) error {
	if len(idx) == 0 {
		return nil
	}
	pol := req.Deprecations
	var blocked []string
	early := map[int]bool{}
	if !pol.Window.IsZero() {
		released, err := releasedVersions(ctx, repo, format)
		if err != nil {
			return err
		}
		r := deprecation.Removal{Version: semver.MustParse(res.Next), Date: date, Released: released}
		for _, i := range idx {
			e := ch.reg.Entries[i]
			if ok, when := pol.Window.Due(e, r); !ok {
				early[i] = true
				blocked = append(blocked, fmt.Sprintf("  - %q (id %s, deprecated in %s on %s%s): it may go %s", e.What, e.ID, e.Since, e.Date, commitOf(e), when))
			}
		}
	}
	reason := strings.Join(strings.Fields(pol.AllowEarlyRemoval), " ")
	if len(blocked) > 0 && reason == "" {
		return fmt.Errorf("release %s of %s %w (policy deprecationWindow %s):\n%s\nKeep it until then (revert the removal, or hold the release back), or release anyway with --allow-early-removal \"<reason>\" (recorded in the register, the tag annotation and the audit log)",
			res.Next, orComponent(req.Component), ErrDeprecationWindow, pol.Window, strings.Join(blocked, "\n"))
	}
	for _, i := range idx {
		why := ""
		if early[i] {
			why = reason
		}
		ch.reg.Remove(i, res.Next, why)
		e := ch.reg.Entries[i]
		ch.removed = append(ch.removed, e)
		text := fmt.Sprintf("%s (deprecated in %s)", e.What, e.Since)
		if why != "" {
			text = fmt.Sprintf("%s (deprecated in %s; removed inside its deprecation window: %s)", e.What, e.Since, why)
		}
		ch.notes = append(ch.notes, changelog.Note{Text: text})
	}
	return nil
}

// releasedVersions are every stable version of the component tagged so
// far, on any branch.
func releasedVersions(ctx context.Context, repo *git.Repo, format TagFormat) ([]*semver.Version, error) {
	tags, err := repo.Tags(ctx, "")
	if err != nil {
		return nil, err
	}
	var out []*semver.Version
	for _, t := range pickTags(tags, format) {
		if t.v.Prerelease() == "" && !slices.ContainsFunc(out, t.v.Equal) {
			out = append(out, t.v)
		}
	}
	return out, nil
}

func commitOf(e deprecation.Entry) string {
	if e.Commit == "" {
		return ""
	}
	return ", commit " + short(e.Commit)
}

func forComponent(c string) string {
	if c == "" {
		return ""
	}
	return " for " + c
}

func orComponent(c string) string {
	if c == "" {
		return "the repository"
	}
	return c
}
