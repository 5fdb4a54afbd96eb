package ui

import (
	"context"
	"regexp"
	"strings"

	"github.com/slipway/slipway"
)

// pinDiff is the change a promotion makes to the GitOps repository: the
// diff of its pin commit against the environment branch before it (the
// first parent, so a merge commit shows what its pull request brought),
// or of its pull request's head while the request is open.
type pinDiff struct {
	Commit string     // the commit shown ("" when none exists yet)
	What   string     // what the commit is: "pin commit", "pull request head"
	Lines  []diffLine // the unified diff
	Note   string     // why there is no diff, or that it was cut
}

type diffLine struct {
	Kind string // add, del, hunk, meta, ctx
	Text string
}

// maxDiff bounds the diff shown on a page.
const maxDiff = 64 << 10

var fullSHA = regexp.MustCompile(`^[0-9a-f]{40}([0-9a-f]{24})?$`)

func (u *UI) pinDiff(ctx context.Context, p *slipway.Promotion) pinDiff {
	d := pinDiff{Commit: p.PinCommit, What: "pin commit"}
	if d.Commit == "" && p.Head != "" {
		d.Commit, d.What = p.Head, "pull request head"
	}
	if d.Commit == "" {
		d.Note = "Nothing is committed yet: the pin moves to " + slipway.Digest12(p.Digest) + " when the gates open."
		return d
	}
	// The commit comes from the store; check its form anyway so it can
	// never be read as an option by git.
	if !fullSHA.MatchString(d.Commit) || u.Engine.GitOps == nil {
		d.Note = "The " + d.What + " " + d.Commit + " cannot be read from Slipway's GitOps clone."
		return d
	}
	out, err := u.Engine.GitOps.RunBytes(ctx, nil, "diff", "--no-color", "--no-ext-diff", "--no-textconv", d.Commit+"^1", d.Commit, "--")
	if err != nil {
		d.Note = "The " + d.What + " " + slipway.Digest12(d.Commit) + " is not in Slipway's GitOps clone yet (it is fetched on the next reconcile)."
		return d
	}
	text := string(out)
	if len(text) > maxDiff {
		text, d.Note = text[:maxDiff], "The diff is cut at 64 KiB: see the commit in the GitOps repository."
	}
	d.Lines = diffLines(text)
	if len(d.Lines) == 0 && d.Note == "" {
		d.Note = "The " + d.What + " changes no file."
	}
	return d
}

// diffLines classifies the lines of a unified diff for display; the +/-
// marks stay in the text, so the change reads without colour.
func diffLines(text string) []diffLine {
	var out []diffLine
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if l == "" && len(out) == 0 {
			continue
		}
		k := "ctx"
		switch {
		case strings.HasPrefix(l, "+++ "), strings.HasPrefix(l, "--- "), strings.HasPrefix(l, "diff "), strings.HasPrefix(l, "index "),
			strings.HasPrefix(l, "new file"), strings.HasPrefix(l, "deleted file"), strings.HasPrefix(l, "similarity"), strings.HasPrefix(l, "rename "):
			k = "meta"
		case strings.HasPrefix(l, "@@"):
			k = "hunk"
		case strings.HasPrefix(l, "+"):
			k = "add"
		case strings.HasPrefix(l, "-"):
			k = "del"
		}
		out = append(out, diffLine{Kind: k, Text: l})
	}
	return out
}
