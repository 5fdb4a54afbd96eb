package versioning

import (
	"fmt"

	"github.com/slipway/slipway/conventional"
)

// This file is the semantic-release preset: @semantic-release/commit-analyzer
// 13 with its defaults, rule for rule. The analyzer parses every message of
// the range with conventional-commits-parser and the angular preset's
// options (conventional.ParseAngular), drops reverted commits with
// conventional-commits-filter's RevertedCommitsFilter (srFilter), and gives
// each remaining commit the highest release type of the default release
// rules that match it (srBump).

// srCommit is what the analyzer sees of one commit.
type srCommit struct {
	// skip: an empty message, which the analyzer leaves out.
	skip bool
	// header and hash are what the filter compares with a revert's
	// capture; hash is the git hash unless a `-hash-` meta field replaced
	// it on the parsed commit.
	header string
	hash   string
	// unmatchable: a `-raw-` meta field, which the filter compares with
	// instead of the commit, so that no revert ever matches it.
	unmatchable bool
	revert      *conventional.AngularRevert
	isRevert    bool
	bump        Bump
	breaking    bool
	// throws says why the parser throws on this message ("" when it does
	// not); the analyzer then fails for the whole range.
	throws string
}

// semrel parses the commit the analyzer's way, once.
func (c *Commit) semrel() *srCommit {
	if c.sr == nil {
		c.sr = newSRCommit(c.SHA, c.message)
	}
	return c.sr
}

func newSRCommit(sha, message string) *srCommit {
	a, ok := conventional.ParseAngular(message)
	if !ok {
		return &srCommit{skip: true}
	}
	s := &srCommit{header: a.Header, hash: sha, revert: a.Revert, isRevert: a.IsRevert(), throws: a.Throws}
	if h, ok := a.Field("hash"); ok {
		s.hash = h
	}
	if raw, ok := a.Field("raw"); ok && raw != "" {
		s.unmatchable = true
	}
	s.bump, s.breaking = srBump(a)
	return s
}

// srDefaultRules are commit-analyzer's DEFAULT_RELEASE_RULES that match a
// field of the parsed commit (the breaking and revert rules are in srBump).
// Every rule is a literal, which micromatch matches by equality.
var srDefaultRules = []struct {
	field, value string
	bump         Bump
}{
	{"type", "feat", BumpMinor}, {"type", "fix", BumpPatch}, {"type", "perf", BumpPatch}, // Angular
	{"emoji", ":racehorse:", BumpPatch}, {"emoji", ":bug:", BumpPatch}, {"emoji", ":penguin:", BumpPatch}, // Atom
	{"emoji", ":apple:", BumpPatch}, {"emoji", ":checkered_flag:", BumpPatch},
	{"tag", "BUGFIX", BumpPatch}, {"tag", "FEATURE", BumpMinor}, {"tag", "SECURITY", BumpPatch}, // Ember
	{"tag", "Breaking", BumpMajor}, {"tag", "Fix", BumpPatch}, {"tag", "Update", BumpMinor}, {"tag", "New", BumpMinor}, // ESLint
	{"component", "perf", BumpPatch}, {"component", "deps", BumpPatch}, // Express
	{"type", "FEAT", BumpMinor}, {"type", "FIX", BumpPatch}, // JSHint
}

// srBump is the highest release type of the default rules matching a
// commit: {breaking: true} → major (a BREAKING CHANGE note), {revert: true}
// → patch, then the field rules. breaking reports the first.
func srBump(a conventional.AngularCommit) (b Bump, breaking bool) {
	if a.Notes > 0 {
		return BumpMajor, true
	}
	if a.IsRevert() {
		b = BumpPatch
	}
	for _, r := range srDefaultRules {
		if v, ok := a.Field(r.field); ok && v == r.value {
			b = max(b, r.bump)
		}
	}
	return b, false
}

// matches is the filter's test: the held revert names c by header and
// hash, both trimmed, compared exactly (an abbreviated or upper-case hash,
// or a header edited in the quote, names nothing).
func (rv *srCommit) matches(c *srCommit) bool {
	return rv.revert != nil && !c.unmatchable && c.header != "" &&
		conventional.JSTrim(c.header) == conventional.JSTrim(rv.revert.Header) &&
		conventional.JSTrim(c.hash) == conventional.JSTrim(rv.revert.Hash)
}

// srFilter is RevertedCommitsFilter over a range read newest first: a
// revert is held until the commit it names comes, and then both drop (a
// revert of a revert thus cancels that revert, and the original counts);
// a revert whose target never comes (before the range, or named by an
// abbreviated hash) counts at the end. Holding only changes the order in
// which commits are analysed, which the highest release type ignores.
type srFilter struct {
	held []*Commit
}

// process returns whether c counts now. A commit that cancels a held
// revert does not, nor does a revert (held).
func (f *srFilter) process(c *Commit) bool {
	s := c.semrel()
	if s.skip {
		return false
	}
	for i, h := range f.held {
		if h.semrel().matches(s) {
			h.Reverted, c.Reverted = true, true
			f.held = append(f.held[:i], f.held[i+1:]...)
			return false
		}
	}
	if s.isRevert {
		f.held = append(f.held, c)
		return false
	}
	return true
}

// srThrows is the error the analyzer's failure on a message becomes.
func srThrows(c *Commit) error {
	if s := c.semrel(); s.throws != "" {
		return fmt.Errorf("commit %s: semantic-release's commit parser fails on its message (%s), so semantic-release computes no release over this range and neither does the semantic-release preset; use --preset release-please, or start the range after this commit (last-release-sha)", short(c.SHA), s.throws)
	}
	return nil
}

// filterSemanticRelease marks the commits the analyzer's filter drops
// (Reverted) and returns the others. It fails where the analyzer does.
func filterSemanticRelease(commits []Commit) ([]Commit, error) {
	var f srFilter
	for i := range commits {
		if err := srThrows(&commits[i]); err != nil {
			return nil, err
		}
		f.process(&commits[i])
	}
	return live(commits), nil
}

func short(sha string) string { return sha[:min(12, len(sha))] }
