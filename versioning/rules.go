package versioning

import (
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/slipway/slipway/changelog"
)

// Bump is the size of a version change.
type Bump int

// Bumps, smallest first, so that max() picks the biggest.
const (
	BumpNone Bump = iota
	BumpPatch
	BumpMinor
	BumpMajor
)

func (b Bump) String() string {
	return [...]string{"none", "patch", "minor", "major"}[b]
}

// ParseBump reads "none", "patch", "minor" or "major".
func ParseBump(s string) (Bump, error) {
	for b := BumpNone; b <= BumpMajor; b++ {
		if b.String() == s {
			return b, nil
		}
	}
	return BumpNone, fmt.Errorf("bump %q: use one of none, patch, minor, major", s)
}

// Preset names a reference tool whose version rules we follow exactly.
type Preset string

// The presets.
const (
	// PresetReleasePlease: any breaking change → major; else feat → minor;
	// else patch when the changelog would show something.
	PresetReleasePlease Preset = "release-please"
	// PresetSemanticRelease: the angular rules of
	// @semantic-release/commit-analyzer; "type!:" alone is not breaking.
	PresetSemanticRelease Preset = "semantic-release"
	// PresetConventional: "!" and footers break; Types maps the rest.
	PresetConventional Preset = "conventionalcommits"
)

// ParsePreset validates a preset name ("" means release-please).
func ParsePreset(s string) (Preset, error) {
	switch Preset(s) {
	case "":
		return PresetReleasePlease, nil
	case PresetReleasePlease, PresetSemanticRelease, PresetConventional:
		return Preset(s), nil
	}
	return "", fmt.Errorf("preset %q: use release-please, semantic-release or conventionalcommits", s)
}

// DefaultTypeBumps is the conventionalcommits preset's default table.
var DefaultTypeBumps = map[string]Bump{"feat": BumpMinor, "fix": BumpPatch, "perf": BumpPatch, "revert": BumpPatch}

// Rules are the versioning settings of one component.
type Rules struct {
	Preset Preset
	// BumpMinorPreMajor: below 1.0.0 a breaking change bumps minor.
	BumpMinorPreMajor bool
	// BumpPatchForMinorPreMajor: below 1.0.0 a feature bumps patch.
	BumpPatchForMinorPreMajor bool
	// ReleaseAs forces the next version (release-please's release-as).
	ReleaseAs string
	// Types is the conventionalcommits preset's type → bump table
	// (lower-case types); nil means DefaultTypeBumps.
	Types map[string]Bump
	// Reverts says how a revert and the commit it reverts count when both
	// are in the range; "" is the preset's own rule (see RevertRule).
	Reverts RevertRule
	// KeepReverts is Reverts: RevertsKeep.
	//
	// Deprecated: set Reverts.
	KeepReverts bool
	// Sections decide what release-please considers releasable (a commit
	// the changelog shows) and how the changelog is grouped.
	Sections []changelog.Section
}

// RevertRule is how reverts count in a range.
type RevertRule string

// The revert rules.
const (
	// RevertsPreset follows the preset's tool: release-please counts every
	// commit as written (a `revert:` commit is a Reverts entry, a git
	// `Revert "…"` header is not conventional); semantic-release drops a
	// revert and the commit it names when the analyzer's filter matches
	// them (same header and full hash), and a revert left counts as a
	// patch; conventionalcommits cancels as RevertsCancel.
	RevertsPreset RevertRule = ""
	// RevertsCancel is Slipway's rule: a revert and the commit named by
	// its `This reverts commit <sha>` (full or abbreviated) both drop.
	RevertsCancel RevertRule = "cancel"
	// RevertsKeep counts every commit as written.
	RevertsKeep RevertRule = "keep"
)

// revertsSemanticRelease is the semantic-release preset's own rule.
const revertsSemanticRelease RevertRule = "semantic-release"

// ParseRevertRule reads "", "cancel" or "keep".
func ParseRevertRule(s string) (RevertRule, error) {
	switch r := RevertRule(s); r {
	case RevertsPreset, RevertsCancel, RevertsKeep:
		return r, nil
	}
	return "", fmt.Errorf("reverts %q: use cancel or keep, or leave it empty for the preset's own rule", s)
}

// revertRule resolves the rule in force.
func (r Rules) revertRule() RevertRule {
	switch {
	case r.KeepReverts:
		return RevertsKeep
	case r.Reverts != RevertsPreset:
		return r.Reverts
	}
	switch r.Preset {
	case PresetSemanticRelease:
		return revertsSemanticRelease
	case PresetConventional:
		return RevertsCancel
	}
	return RevertsKeep
}

// counted applies the revert rule to a range (newest first): the commits
// that count, those dropped marked Reverted.
func (r Rules) counted(commits []Commit) ([]Commit, error) {
	switch r.revertRule() {
	case RevertsCancel:
		cancelReverts(commits)
		return live(commits), nil
	case revertsSemanticRelease:
		return filterSemanticRelease(commits)
	}
	return commits, nil
}

// decision is what the rules make of a range of commits.
type decision struct {
	bump      Bump
	breaking  bool
	releaseAs string // a version forced by Release-As (footer or config)
}

// tally accumulates the rules' view of a range commit by commit (newest
// first), so that a long range can be decided while it streams by,
// without keeping the commits.
type tally struct {
	rules                       Rules
	visible, breaking, features bool
	bump                        Bump
	releaseAs                   string
}

// decide applies the rules to the commits of a range (newest first) for a
// component whose current version is cur (nil before the first release).
func (r Rules) decide(cur *semver.Version, commits []Commit) decision {
	t := tally{rules: r}
	for i := range commits {
		t.add(&commits[i])
	}
	return t.decision(cur)
}

func (t *tally) add(c *Commit) {
	switch t.rules.Preset {
	case PresetSemanticRelease:
		t.addSemanticRelease(c)
	case PresetConventional:
		t.addConventional(c)
	default:
		t.addReleasePlease(c)
	}
}

// addReleasePlease mirrors release-please's DefaultVersioningStrategy and
// its "no user facing commits" check. Types compare case-sensitively
// there ("Feat:" is shown as a feature but bumps patch); so do we.
func (t *tally) addReleasePlease(c *Commit) {
	for _, e := range c.Entries {
		if e.ReleaseAs != "" {
			// release-please iterates newest first and keeps the last one
			// seen: the oldest Release-As wins.
			t.releaseAs = e.ReleaseAs
		}
		if !t.visible {
			if _, ok := changelog.Visible(e, t.rules.Sections); ok {
				t.visible = true
			}
		}
		if !e.Conventional {
			continue
		}
		if e.Breaking() {
			t.breaking = true
		} else if e.Type == "feat" || e.Type == "feature" {
			t.features = true
		}
	}
}

// addSemanticRelease mirrors @semantic-release/commit-analyzer with its
// defaults: one message per git commit (no extra commits), parsed with the
// angular options, and the default release rules (see semrel.go). Reverted
// commits were filtered before.
func (t *tally) addSemanticRelease(c *Commit) {
	s := c.semrel()
	if s.skip {
		return
	}
	t.bump = max(t.bump, s.bump)
	t.breaking = t.breaking || s.breaking
}

// addConventional: breaking by "!" or footer, otherwise the type table.
func (t *tally) addConventional(c *Commit) {
	table := t.rules.Types
	if table == nil {
		table = DefaultTypeBumps
	}
	for _, e := range c.Entries {
		if e.ReleaseAs != "" {
			t.releaseAs = e.ReleaseAs
		}
		if !e.Conventional {
			continue
		}
		b := table[strings.ToLower(e.Type)]
		if e.Breaking() {
			b = BumpMajor
			t.breaking = true
		}
		t.bump = max(t.bump, b)
	}
}

// decision closes the tally.
func (t *tally) decision(cur *semver.Version) decision {
	d := decision{breaking: t.breaking, releaseAs: t.releaseAs}
	if t.rules.ReleaseAs != "" {
		d.releaseAs = t.rules.ReleaseAs
	}
	preMajor := cur != nil && cur.Major() < 1
	switch t.rules.Preset {
	case PresetSemanticRelease:
		d.bump = t.bump
		d.releaseAs = t.rules.ReleaseAs
	case PresetConventional:
		d.bump = t.bump
		if preMajor && d.bump == BumpMajor && t.rules.BumpMinorPreMajor {
			d.bump = BumpMinor
		} else if preMajor && d.bump == BumpMinor && t.rules.BumpPatchForMinorPreMajor {
			d.bump = BumpPatch
		}
	default:
		if !t.visible && d.releaseAs == "" {
			return d
		}
		switch {
		case t.breaking && preMajor && t.rules.BumpMinorPreMajor:
			d.bump = BumpMinor
		case t.breaking:
			d.bump = BumpMajor
		case t.features && preMajor && t.rules.BumpPatchForMinorPreMajor:
			d.bump = BumpPatch
		case t.features:
			d.bump = BumpMinor
		default:
			d.bump = BumpPatch
		}
	}
	return d
}

// apply bumps a stable version.
func apply(v *semver.Version, b Bump) *semver.Version {
	var n semver.Version
	switch b {
	case BumpMajor:
		n = v.IncMajor()
	case BumpMinor:
		n = v.IncMinor()
	case BumpPatch:
		n = v.IncPatch()
	default:
		return v
	}
	return &n
}

// bumpBetween names the change from a to b ("none" when equal).
func bumpBetween(a, b *semver.Version) Bump {
	switch {
	case a == nil || b.Major() != a.Major():
		return BumpMajor
	case b.Minor() != a.Minor():
		return BumpMinor
	case b.Equal(a):
		return BumpNone
	default:
		return BumpPatch
	}
}
