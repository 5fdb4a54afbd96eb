package bundle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/slipway/slipway/conventional"
)

// Migration is one file of the app repository's migrations/ folder, which
// the bundle ships as it is. The convention (docs/bundle.md):
//
//	migrations/<component>/<version>_<title>.<ext>
//
// <version> is the leading number (0001, 20261128093000; Flyway's V12__
// works too); the words of <title> say the phase of an expand/contract
// change: "expand" (additive, safe with the previous code) or "contract"
// (removes what no running version reads any more).
type Migration struct {
	// Component is the folder under migrations/ ("" for files directly in it).
	Component string
	// Path is the bundle path, e.g. migrations/api/0002_expand_customer_id.sql.
	Path    string
	Version string
	// Phase is "expand", "contract" or "".
	Phase string
	// Down marks a down (rollback) migration, which must never run on
	// production data.
	Down bool
	// New: the previous bundle did not have it.
	New bool
}

// Footer is a Migration: or Upgrade: footer of a component's commit.
type Footer struct {
	Component, Version string
	SHA                string
	Text               string
}

// Commit is a commit message of a component release.
type Commit struct {
	SHA, Message string
}

type migrationSet struct {
	files   []Migration
	footers []Footer
	// compared: files were compared with a previous bundle, so New is
	// known; otherwise every file counts as new.
	compared bool
}

// components lists the components with new migration files or steps.
func (s *migrationSet) components() []string {
	var out []string
	add := func(c string) {
		if c != "" && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	for _, f := range s.files {
		if f.New || !s.compared {
			add(f.Component)
		}
	}
	for _, f := range s.footers {
		add(f.Component)
	}
	slices.Sort(out)
	return out
}

var (
	migrationVersionRE = regexp.MustCompile(`^(?:[Vv])?([0-9]+)`)
	titleWordRE        = regexp.MustCompile(`[A-Za-z]+`)
)

// parseMigrationName reads version, phase and direction from a file name.
func parseMigrationName(name string) (version, phase string, down bool) {
	if m := migrationVersionRE.FindStringSubmatch(name); m != nil {
		version = m[1]
	}
	for _, w := range titleWordRE.FindAllString(name, -1) {
		switch strings.ToLower(w) {
		case "expand":
			if phase == "" {
				phase = "expand"
			}
		case "contract":
			if phase == "" {
				phase = "contract"
			}
		case "down":
			down = true
		}
	}
	return version, phase, down
}

// copyMigrations ships migrations/, refuses a change to a migration the
// previous bundle released, and collects the Migration: and Upgrade:
// footers of the components' commits.
func (b *build) copyMigrations(context.Context) error {
	b.migs = &migrationSet{}
	src := b.appPath(AppMigrationsDir)
	if isDir(src) {
		if err := copyTree(src, b.out(MigrationsDir), AppMigrationsDir, nil); err != nil {
			return err
		}
		files, err := listMigrations(b.out(MigrationsDir))
		if err != nil {
			return err
		}
		b.migs.files = files
	}
	if p := b.opts.Previous; p != nil {
		if err := checkReleasedMigrations(p, b.stage, b.migs.files); err != nil {
			return err
		}
		b.migs.compared = true
	}
	for _, c := range b.m.Components {
		for _, commit := range b.opts.Commits[c.Name] {
			for _, cc := range conventional.Parse(commit.Message).Commits {
				for _, v := range cc.FooterValues("Migration") {
					b.migs.footers = append(b.migs.footers, Footer{Component: c.Name, Version: c.Version, SHA: commit.SHA, Text: strings.TrimSpace(v)})
				}
				for _, v := range cc.FooterValues("Upgrade") {
					b.upgrades = append(b.upgrades, Footer{Component: c.Name, Version: c.Version, SHA: commit.SHA, Text: strings.TrimSpace(v)})
				}
			}
		}
	}
	return nil
}

// listMigrations lists the files under a bundle's migrations/ folder.
func listMigrations(dir string) ([]Migration, error) {
	var out []Migration
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		m := Migration{Path: MigrationsDir + "/" + rel}
		if i := strings.IndexByte(rel, '/'); i > 0 {
			m.Component = rel[:i]
		}
		m.Version, m.Phase, m.Down = parseMigrationName(path.Base(rel))
		out = append(out, m)
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return out, err
}

// checkReleasedMigrations: every migration of the previous bundle is in
// this one, byte for byte (installations have run it; changing it would
// make their schema differ from a fresh install's). It marks the others New.
func checkReleasedMigrations(p *Previous, stage string, files []Migration) error {
	released, err := listMigrations(filepath.Join(p.Dir, MigrationsDir))
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, r := range released {
		have[r.Path] = true
		before, err := os.ReadFile(filepath.Join(p.Dir, filepath.FromSlash(r.Path)))
		if err != nil {
			return err
		}
		now, err := os.ReadFile(filepath.Join(stage, filepath.FromSlash(r.Path)))
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s was released in %s %s and is gone from the app repository: restore it (installations ran it); to undo what it did, add a new migration", r.Path, p.Manifest.Name, p.Manifest.Version)
		}
		if err != nil {
			return err
		}
		if !bytes.Equal(before, now) {
			return fmt.Errorf("%s was released in %s %s and has changed since: installations already ran the released version, so restore it and put the fix in a new migration (roll forward, never back)", r.Path, p.Manifest.Name, p.Manifest.Version)
		}
	}
	for i := range files {
		files[i].New = !have[files[i].Path]
	}
	return nil
}

func (b *build) writeMigrationNotes(context.Context) error {
	return b.write(MigrationsFile, []byte(renderMigrationNotes(b.m.Name, b.m.Version, b.opts.Previous != nil, b.migs, b.migrationSections())))
}

// migrationSections are the Migration sections of changed components' notes.
func (b *build) migrationSections() []Footer {
	var out []Footer
	chs, _ := changes(b.m, b.previousManifest())
	for _, ch := range chs {
		if !ch.Changed() {
			continue
		}
		for _, body := range sectionsOf(b.notes[ch.C.Name], MigrationSection) {
			out = append(out, Footer{Component: ch.C.Name, Version: ch.C.Version, Text: body})
		}
	}
	return out
}

// migrationComponents: components with new migrations, Migration:
// footers or migration sections in their notes.
func (b *build) migrationComponents() []string {
	out := b.migs.components()
	for _, s := range b.migrationSections() {
		if !slices.Contains(out, s.Component) {
			out = append(out, s.Component)
		}
	}
	slices.Sort(out)
	return out
}

const rollForwardGuidance = `## Roll forward, never back

A schema change ships as a migration that runs when the new version starts.
Once it has run, the database belongs to the new version:

* A problem in a schema change is fixed by a new, forward migration in the
  next release, never by rolling the database back, editing a released
  migration or running a down migration on production data.
* Reinstalling the previous version over a migrated database is not
  supported; the previous version does not know the new schema.
* Restore a backup only to recover from data loss: it also discards every
  write made since it was taken.

Changes that would break running code are split into expand and contract
steps, released apart:

1. **Expand**: additive only (new tables, nullable columns, new indexes);
   the previous version keeps working against the expanded schema, so the
   upgrade can roll out gradually.
2. **Migrate**: the new version writes both shapes and backfills.
3. **Contract**: in a later release, once no running version reads the old
   shape, remove it.
`

func renderMigrationNotes(name, version string, withPrev bool, s *migrationSet, sections []Footer) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Database migrations in %s %s\n\n", name, version)
	b.WriteString(rollForwardGuidance)

	b.WriteString("\n## Expand and contract steps in this release\n\n")
	if len(s.footers) == 0 && len(sections) == 0 {
		b.WriteString("None announced (no `Migration:` footer in the components' commits, no migration section in their notes).\n")
	}
	var last string
	for _, f := range s.footers {
		if head := f.Component + " " + f.Version; head != last {
			fmt.Fprintf(&b, "### %s\n\n", head)
			last = head
		}
		text := oneLine(f.Text)
		if phase, rest, ok := splitPhase(text); ok {
			text = "**" + phase + ":** " + rest
		}
		fmt.Fprintf(&b, "* %s (%s)\n", text, short(f.SHA))
	}
	for _, f := range sections {
		fmt.Fprintf(&b, "\n### %s %s (from its notes)\n\n%s\n", f.Component, f.Version, shiftHeadings(f.Text, 1))
	}

	b.WriteString("\n## Migration files\n\n")
	if len(s.files) == 0 {
		b.WriteString("The app repository has no migrations/ folder: no schema is migrated by files shipped here.\n")
		return b.String()
	}
	b.WriteString("The migrations/ folder of this bundle is the app repository's, unchanged; each component runs its own folder in version order when it starts.\n\n")
	if withPrev {
		b.WriteString("| component | version | file | phase | new |\n| --- | --- | --- | --- | --- |\n")
	} else {
		b.WriteString("| component | version | file | phase |\n| --- | --- | --- | --- |\n")
	}
	var downs []string
	for _, f := range s.files {
		comp := f.Component
		if comp == "" {
			comp = "(shared)"
		}
		phase := f.Phase
		if f.Down {
			phase = strings.TrimSpace(phase + " down")
			downs = append(downs, f.Path)
		}
		row := fmt.Sprintf("| %s | %s | `%s` | %s |", comp, f.Version, f.Path, phase)
		if withPrev {
			mark := ""
			if f.New {
				mark = "new"
			}
			row += " " + mark + " |"
		}
		b.WriteString(row + "\n")
	}
	if len(downs) > 0 {
		fmt.Fprintf(&b, "\nDown migrations are present (%s): they exist for development databases. Never run them against production data; fix forward instead.\n", strings.Join(downs, ", "))
	}
	return b.String()
}

// splitPhase reads "expand: …" / "contract - …" at the start of a step.
func splitPhase(text string) (phase, rest string, ok bool) {
	lower := strings.ToLower(text)
	for _, p := range []string{"expand", "contract"} {
		if strings.HasPrefix(lower, p) {
			rest := strings.TrimLeft(text[len(p):], " :-—")
			if rest != text[len(p):] && rest != "" {
				return p, rest, true
			}
		}
	}
	return "", text, false
}
