package bundle

import (
	"context"
	"fmt"
	"strings"

	"github.com/slipway/slipway/platform"
)

// componentChange is one component compared with the previous platform.
type componentChange struct {
	C platform.Component
	// Prev is the component in the previous platform version, if any.
	Prev *platform.Component
}

// Changed reports a new version or digest (or a new component).
func (c componentChange) Changed() bool {
	return c.Prev == nil || c.Prev.Version != c.C.Version || c.Prev.Digest != c.C.Digest
}

// changes pairs each component with its previous release; removed lists
// components the previous platform had and this one drops.
func changes(m, prev *platform.Manifest) (out []componentChange, removed []platform.Component) {
	for _, c := range m.Components {
		ch := componentChange{C: c}
		if prev != nil {
			if p, ok := prev.Component(c.Name); ok {
				ch.Prev = &p
			}
		}
		out = append(out, ch)
	}
	if prev != nil {
		for _, p := range prev.Components {
			if _, ok := m.Component(p.Name); !ok {
				removed = append(removed, p)
			}
		}
	}
	return out, removed
}

func (b *build) previousManifest() *platform.Manifest {
	if b.opts.Previous == nil {
		return nil
	}
	return b.opts.Previous.Manifest
}

func (b *build) writeReleaseNotes(context.Context) error {
	b.notes = map[string][]Release{}
	for _, c := range b.m.Components {
		b.notes[c.Name] = ParseNotes(c.Notes)
	}
	return b.write(ReleaseNotesFile, []byte(renderReleaseNotes(b.m, b.previousManifest(), b.notes)))
}

// renderReleaseNotes writes RELEASE-NOTES.md: the component table, then
// every breaking change and deprecation of every changed component, then
// each component's own notes without those sections.
func renderReleaseNotes(m, prev *platform.Manifest, notes map[string][]Release) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s %s\n\n", m.Name, m.Version)
	fmt.Fprintf(&b, "Platform release of %s.", m.Created.Format("2006-01-02"))
	if prev != nil {
		fmt.Fprintf(&b, " Upgrades from %s %s (see UPGRADE.md).", prev.Name, prev.Version)
	}
	b.WriteString("\n\n")
	chs, removed := changes(m, prev)
	b.WriteString(componentTable(chs, prev != nil))
	for _, r := range removed {
		fmt.Fprintf(&b, "\nRemoved since %s: **%s** (was %s).\n", prev.Version, r.Name, r.Version)
	}
	for _, kind := range []struct {
		k     SectionKind
		title string
	}{{BreakingSection, "⚠ Breaking changes"}, {DeprecationSection, "Deprecations"}} {
		var parts []string
		for _, ch := range chs {
			if !ch.Changed() {
				continue
			}
			for _, body := range sectionsOf(notes[ch.C.Name], kind.k) {
				parts = append(parts, fmt.Sprintf("### %s %s\n\n%s\n", ch.C.Name, ch.C.Version, shiftHeadings(body, 1)))
			}
		}
		if len(parts) > 0 {
			fmt.Fprintf(&b, "\n## %s\n\n%s", kind.title, strings.Join(parts, "\n"))
		}
	}
	for _, ch := range chs {
		fmt.Fprintf(&b, "\n## %s %s\n\n", ch.C.Name, ch.C.Version)
		switch {
		case !ch.Changed():
			fmt.Fprintf(&b, "Unchanged since %s %s.\n", prev.Name, prev.Version)
		case strings.TrimSpace(ch.C.Notes) == "":
			b.WriteString("No changelog was given for this release.\n")
		default:
			b.WriteString(componentBody(notes[ch.C.Name]))
		}
	}
	return b.String()
}

func componentTable(chs []componentChange, withPrev bool) string {
	var b strings.Builder
	if withPrev {
		b.WriteString("| component | version | previous | tier | image |\n| --- | --- | --- | --- | --- |\n")
	} else {
		b.WriteString("| component | version | tier | image |\n| --- | --- | --- | --- |\n")
	}
	for _, ch := range chs {
		tier, err := tierOf(ch.C)
		if err != nil {
			tier = ch.C.Labels[TierLabel]
		}
		if withPrev {
			prev := "new"
			if ch.Prev != nil {
				prev = ch.Prev.Version
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | `%s` |\n", ch.C.Name, ch.C.Version, prev, tier, ch.C.Ref())
		} else {
			fmt.Fprintf(&b, "| %s | %s | %s | `%s` |\n", ch.C.Name, ch.C.Version, tier, ch.C.Ref())
		}
	}
	return b.String()
}

// componentBody renders a component's notes minus the sections moved to
// the top (breaking, deprecations) or to MIGRATIONS.md.
func componentBody(releases []Release) string {
	var b strings.Builder
	nested := len(releases) > 1
	for _, r := range releases {
		shift := 0
		if nested {
			heading := r.Heading
			if heading == "" {
				heading = "Notes"
			}
			fmt.Fprintf(&b, "### %s\n\n", heading)
			shift = 1
		}
		if r.Intro != "" {
			b.WriteString(shiftHeadings(r.Intro, shift) + "\n\n")
		}
		for _, s := range r.Sections {
			if s.Kind != OtherSection {
				continue
			}
			fmt.Fprintf(&b, "%s %s\n\n", strings.Repeat("#", 3+shift), s.Title)
			if s.Body != "" {
				b.WriteString(shiftHeadings(s.Body, shift) + "\n\n")
			}
		}
	}
	out := strings.TrimRight(b.String(), "\n") + "\n"
	if strings.TrimSpace(out) == "" {
		return "Only breaking changes, deprecations or migrations: see above and MIGRATIONS.md.\n"
	}
	return out
}
