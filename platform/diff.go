package platform

import (
	"fmt"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// Bump is how far a version moves.
type Bump string

// Bumps, weakest first.
const (
	BumpNone    Bump = "none"
	BumpPatch   Bump = "patch"
	BumpMinor   Bump = "minor"
	BumpMajor   Bump = "major"
	BumpInitial Bump = "initial" // the first platform release (1.0.0)
)

func (b Bump) rank() int {
	switch b {
	case BumpPatch:
		return 1
	case BumpMinor:
		return 2
	case BumpMajor, BumpInitial:
		return 3
	}
	return 0
}

// Change kinds of a component between two platform versions.
const (
	Added   = "added"
	Removed = "removed"
	Bumped  = "bumped"
)

// Change is one component that differs between two platform versions.
type Change struct {
	Component  string `json:"component"`
	Kind       string `json:"kind"`           // added, removed, bumped
	Bump       Bump   `json:"bump"`           // what it does to the platform version
	From       string `json:"from,omitempty"` // component version before ("" when added)
	To         string `json:"to,omitempty"`   // after ("" when removed)
	FromDigest string `json:"fromDigest,omitempty"`
	ToDigest   string `json:"toDigest,omitempty"`
	// Downgrade is set when To is lower than From (a rollback in the
	// environment the platform was cut from).
	Downgrade bool `json:"downgrade,omitempty"`
	// Sections are the changelog sections between From and To, oldest
	// first (the engine fills them from the stored releases; Diff puts the
	// new manifest's notes).
	Sections []Section `json:"sections,omitempty"`
}

// Section is one component release's changelog section.
type Section struct {
	Version string `json:"version"`
	Notes   string `json:"notes"`
}

// Diff lists what changed from a to b (a may be nil: everything is added).
type Diff struct {
	From    string   `json:"from,omitempty"`
	To      string   `json:"to"`
	Bump    Bump     `json:"bump"`
	Changes []Change `json:"changes"`
}

// Compare returns the changes from a (nil: no previous platform) to b,
// sorted by component, and the platform bump they call for:
//   - a component whose major version changed (either way) → major;
//   - a component removed → major (installations lose it);
//   - a component whose minor version changed, or a component added → minor;
//   - any other change (patch, prerelease, build, or the digest alone) → patch;
//   - nothing changed → none. With no previous platform: initial.
func Compare(a, b *Manifest) Diff {
	d := Diff{To: b.Version, Bump: BumpNone}
	if a == nil {
		d.Bump = BumpInitial
	} else {
		d.From = a.Version
	}
	old := map[string]Component{}
	if a != nil {
		for _, c := range a.Components {
			old[c.Name] = c
		}
	}
	seen := map[string]bool{}
	for _, c := range b.Components {
		seen[c.Name] = true
		o, ok := old[c.Name]
		switch {
		case !ok:
			d.add(Change{Component: c.Name, Kind: Added, Bump: BumpMinor, To: c.Version, ToDigest: c.Digest, Sections: notes(c)})
		case o.Version != c.Version || o.Digest != c.Digest:
			ch := Change{Component: c.Name, Kind: Bumped, From: o.Version, To: c.Version, FromDigest: o.Digest, ToDigest: c.Digest, Sections: notes(c)}
			ch.Bump, ch.Downgrade = componentBump(o.Version, c.Version)
			d.add(ch)
		}
	}
	if a != nil {
		for _, c := range a.Components {
			if !seen[c.Name] {
				d.add(Change{Component: c.Name, Kind: Removed, Bump: BumpMajor, From: c.Version, FromDigest: c.Digest})
			}
		}
	}
	if a == nil {
		d.Bump = BumpInitial
	}
	slices.SortFunc(d.Changes, func(x, y Change) int { return strings.Compare(x.Component, y.Component) })
	return d
}

func (d *Diff) add(c Change) {
	d.Changes = append(d.Changes, c)
	if c.Bump.rank() > d.Bump.rank() {
		d.Bump = c.Bump
	}
}

func notes(c Component) []Section {
	if strings.TrimSpace(c.Notes) == "" {
		return nil
	}
	return []Section{{Version: c.Version, Notes: c.Notes}}
}

// componentBump is the field of the component's SemVer that changed.
func componentBump(from, to string) (Bump, bool) {
	f, err1 := semver.StrictNewVersion(from)
	t, err2 := semver.StrictNewVersion(to)
	if err1 != nil || err2 != nil {
		return BumpPatch, false // validated manifests hold SemVer; a digest-only change lands here too
	}
	down := t.LessThan(f)
	switch {
	case f.Major() != t.Major():
		return BumpMajor, down
	case f.Minor() != t.Minor():
		return BumpMinor, down
	}
	return BumpPatch, down
}

// Next is the platform version after prev for bump: prev "" starts at
// 1.0.0. BumpNone returns prev.
func Next(prev string, bump Bump) (string, error) {
	if prev == "" {
		return "1.0.0", nil
	}
	v, err := semver.StrictNewVersion(prev)
	if err != nil {
		return "", fmt.Errorf("previous platform version %q: %w", prev, err)
	}
	var n semver.Version
	switch bump {
	case BumpMajor, BumpInitial:
		n = v.IncMajor()
	case BumpMinor:
		n = v.IncMinor()
	case BumpPatch:
		n = v.IncPatch()
	default:
		return prev, nil
	}
	return n.String(), nil
}

// Text renders the diff for a person: one line per change, then each
// change's changelog sections.
func (d Diff) Text() string {
	var b strings.Builder
	from := d.From
	if from == "" {
		from = "(nothing)"
	}
	fmt.Fprintf(&b, "platform %s -> %s: %s\n", from, d.To, d.Bump)
	if len(d.Changes) == 0 {
		b.WriteString("no component changed\n")
		return b.String()
	}
	for _, c := range d.Changes {
		switch c.Kind {
		case Added:
			fmt.Fprintf(&b, "  added    %-16s %s (%s)\n", c.Component, c.To, digest12(c.ToDigest))
		case Removed:
			fmt.Fprintf(&b, "  removed  %-16s %s (%s)\n", c.Component, c.From, digest12(c.FromDigest))
		default:
			how := string(c.Bump)
			if c.Downgrade {
				how += ", downgrade"
			}
			fmt.Fprintf(&b, "  bumped   %-16s %s -> %s (%s)\n", c.Component, c.From, c.To, how)
		}
	}
	for _, c := range d.Changes {
		for _, s := range c.Sections {
			fmt.Fprintf(&b, "\n## %s %s\n\n%s\n", c.Component, s.Version, strings.TrimSpace(s.Notes))
		}
	}
	return b.String()
}

func digest12(d string) string {
	if s, ok := strings.CutPrefix(d, "sha256:"); ok && len(s) >= 12 {
		return s[:12]
	}
	return d
}
