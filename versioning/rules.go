package versioning

import (
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/slipway/slipway/changelog"
	"github.com/slipway/slipway/conventional"
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
	// KeepReverts turns off revert cancellation (`reverts: keep`).
	KeepReverts bool
	// Sections decide what release-please considers releasable (a commit
	// the changelog shows) and how the changelog is grouped.
	Sections []changelog.Section
}

// decision is what the rules make of a range of commits.
type decision struct {
	bump      Bump
	breaking  bool
	releaseAs string // a version forced by Release-As (footer or config)
}

// decide applies the rules to the commits of a range (newest first) for a
// component whose current version is cur (nil before the first release).
func (r Rules) decide(cur *semver.Version, commits []Commit) decision {
	switch r.Preset {
	case PresetSemanticRelease:
		return r.decideSemanticRelease(commits)
	case PresetConventional:
		return r.decideConventional(cur, commits)
	default:
		return r.decideReleasePlease(cur, commits)
	}
}

// decideReleasePlease mirrors release-please's DefaultVersioningStrategy
// and its "no user facing commits" check. Types compare case-sensitively
// there ("Feat:" is shown as a feature but bumps patch); so do we.
func (r Rules) decideReleasePlease(cur *semver.Version, commits []Commit) decision {
	var d decision
	visible, breaking, features := false, false, false
	for _, c := range commits {
		for _, e := range c.Entries {
			if e.ReleaseAs != "" {
				// release-please iterates newest first and keeps the last
				// one seen: the oldest Release-As wins.
				d.releaseAs = e.ReleaseAs
			}
			if _, ok := changelog.Visible(e, r.Sections); ok {
				visible = true
			}
			if !e.Conventional {
				continue
			}
			if e.Breaking() {
				breaking = true
			} else if e.Type == "feat" || e.Type == "feature" {
				features = true
			}
		}
	}
	d.breaking = breaking
	if r.ReleaseAs != "" {
		d.releaseAs = r.ReleaseAs
	}
	if !visible && d.releaseAs == "" {
		return d
	}
	preMajor := cur != nil && cur.Major() < 1
	switch {
	case breaking && preMajor && r.BumpMinorPreMajor:
		d.bump = BumpMinor
	case breaking:
		d.bump = BumpMajor
	case features && preMajor && r.BumpPatchForMinorPreMajor:
		d.bump = BumpPatch
	case features:
		d.bump = BumpMinor
	default:
		d.bump = BumpPatch
	}
	return d
}

// decideSemanticRelease mirrors @semantic-release/commit-analyzer with the
// angular preset: one message per git commit (no extra commits), the
// angular header pattern, and the default release rules.
func (r Rules) decideSemanticRelease(commits []Commit) decision {
	var d decision
	for _, c := range commits {
		if len(c.Entries) == 0 {
			continue
		}
		main := c.Entries[len(c.Entries)-1]
		b := BumpNone
		typ, _, _, _ := conventional.AngularHeader(main.Header)
		switch {
		case main.BreakingNote != "":
			b = BumpMajor
			d.breaking = true
		case main.Revert != nil && main.Revert.SHA != "" && (strings.HasPrefix(main.Header, "Revert") || strings.HasPrefix(main.Header, "revert:")):
			b = BumpPatch
		case typ == "feat":
			b = BumpMinor
		case typ == "fix" || typ == "perf":
			b = BumpPatch
		}
		d.bump = max(d.bump, b)
	}
	if r.ReleaseAs != "" {
		d.releaseAs = r.ReleaseAs
	}
	return d
}

// decideConventional: breaking by "!" or footer, otherwise the type table.
func (r Rules) decideConventional(cur *semver.Version, commits []Commit) decision {
	var d decision
	table := r.Types
	if table == nil {
		table = DefaultTypeBumps
	}
	for _, c := range commits {
		for _, e := range c.Entries {
			if e.ReleaseAs != "" {
				d.releaseAs = e.ReleaseAs
			}
			if !e.Conventional {
				continue
			}
			b := table[strings.ToLower(e.Type)]
			if e.Breaking() {
				b = BumpMajor
				d.breaking = true
			}
			d.bump = max(d.bump, b)
		}
	}
	if r.ReleaseAs != "" {
		d.releaseAs = r.ReleaseAs
	}
	if cur != nil && cur.Major() < 1 {
		if d.bump == BumpMajor && r.BumpMinorPreMajor {
			d.bump = BumpMinor
		} else if d.bump == BumpMinor && r.BumpPatchForMinorPreMajor {
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
