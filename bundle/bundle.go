// Package bundle builds, publishes and verifies a platform's self-host
// bundle: from a platform manifest (package platform) and the app
// repository's skeletons it writes a directory holding a Helm chart, a
// Docker Compose bundle, the multi-arch image list, release notes, an
// upgrade guide and migration notes, all covered by SHA256SUMS and a
// cosign-compatible signature over it; it pushes the chart (Helm's OCI
// format) and the whole bundle (one OCI artifact) to a registry; and it
// verifies a bundle directory or reference. docs/bundle.md is the user's
// page; the conventions of the app repository are listed there too.
//
// Build is a list of small steps (see steps) run in order on a staging
// directory that is renamed to the output directory only when every step
// succeeded, so a failed build leaves nothing behind.
package bundle

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/slipway/slipway/oci"
	"github.com/slipway/slipway/platform"
	"github.com/slipway/slipway/trust"
)

// Files and folders of a bundle directory (docs/bundle.md describes each).
const (
	ManifestFile     = "platform.yaml"
	ImagesFile       = "images.json"
	ImageListFile    = "images.txt"
	ChartDir         = "chart"
	ComposeDir       = "compose"
	ComposeFile      = "compose/compose.yaml"
	EnvExampleFile   = "compose/.env.example"
	MigrationsDir    = "migrations"
	ReleaseNotesFile = "RELEASE-NOTES.md"
	UpgradeFile      = "UPGRADE.md"
	MigrationsFile   = "MIGRATIONS.md"
	SumsFile         = "SHA256SUMS"
	SigFile          = "SHA256SUMS.sig"
	SigstoreFile     = "SHA256SUMS.sigstore.json"
)

// Conventions of the app repository, relative to its root.
const (
	AppChartDir      = "deploy/chart"
	AppComposeDir    = "deploy/compose"
	AppStopsFile     = "deploy/upgrade-stops.yaml"
	AppMigrationsDir = "migrations"
)

// Options are the inputs of Build.
type Options struct {
	// Manifest is the platform release to bundle (required).
	Manifest *platform.Manifest
	// AppDir is the app repository (skeletons, upgrade stops, migrations/).
	AppDir string
	// OutDir is created by Build; it must not exist yet, or be empty.
	OutDir string
	// Signer signs SHA256SUMS (required).
	Signer crypto.Signer
	// ImagePolicy returns the keys a component's images must be signed
	// with (each platform image and the index). Required.
	ImagePolicy func(component string) (trust.Policy, error)
	// RequirePlatforms are os/arch[/variant] every component image must
	// provide, besides the manifest's own Platforms.
	RequirePlatforms []string
	// Previous is the bundle of the platform version installations upgrade
	// from (optional): the upgrade guide then lists changed settings and
	// components, and released migrations are checked to be unchanged.
	Previous *Previous
	// Commits are each component's commits since its previous release
	// (optional; see CollectCommits): their Migration: and Upgrade:
	// footers feed MIGRATIONS.md and UPGRADE.md.
	Commits map[string][]Commit
	// PushTarget is where the bundle will be pushed ("oci://REG/REPO"),
	// for the commands the upgrade guide prints (optional).
	PushTarget string
	// Registry says how to reach the image registries.
	Registry oci.Options
	// Log receives progress; nil discards it.
	Log *slog.Logger
}

// Result describes a bundle Build wrote.
type Result struct {
	// Dir is the bundle directory (Options.OutDir).
	Dir string
	// Sums are the files SHA256SUMS lists.
	Sums []Sum
	// Digest is "sha256:<hex>" of SHA256SUMS: the signed digest that names
	// the bundle's content.
	Digest string
	// KeyID is the trust.KeyID of the key that signed it.
	KeyID string
	// Chart is the chart archive's path in the bundle ("" when the app
	// repository has no chart skeleton), ChartName its name.
	Chart, ChartName string
	// Images are the verified component images.
	Images []Image
	// Skipped says what was not produced and why, for the user to read.
	Skipped []string
}

// build is the state the steps share.
type build struct {
	opts     Options
	m        *platform.Manifest
	stage    string // directory being filled, renamed to OutDir at the end
	log      *slog.Logger
	res      *Result
	images   []Image
	chart    *chartOutput
	compose  *composeOutput
	notes    map[string][]Release
	migs     *migrationSet
	upgrades []Footer // Upgrade: footers
}

// step is one stage of Build, named for the log.
type step struct {
	name string
	run  func(*build, context.Context) error
}

// steps run in this order; later steps read what earlier ones found.
var steps = []step{
	{"verify component images", (*build).verifyImages},
	{"fill and package the Helm chart", (*build).buildChart},
	{"fill and validate the Compose bundle", (*build).buildCompose},
	{"copy migrations", (*build).copyMigrations},
	{"write release notes", (*build).writeReleaseNotes},
	{"write the upgrade guide", (*build).writeUpgradeGuide},
	{"write migration notes", (*build).writeMigrationNotes},
	{"write the manifest and image list", (*build).writeIndex},
	{"write the README", (*build).writeReadme},
	{"write and sign SHA256SUMS", (*build).writeSums},
}

// Build writes the bundle of opts.Manifest into opts.OutDir. On error the
// output directory is not created (an empty one given is left empty).
func Build(ctx context.Context, opts Options) (*Result, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	parent := filepath.Dir(filepath.Clean(opts.OutDir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("bundle output: %w", err)
	}
	stage, err := os.MkdirTemp(parent, "."+filepath.Base(opts.OutDir)+".partial-")
	if err != nil {
		return nil, fmt.Errorf("bundle output: %w", err)
	}
	defer os.RemoveAll(stage)
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &build{opts: opts, m: opts.Manifest, stage: stage, log: log, res: &Result{Dir: opts.OutDir}}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		log.Info("bundle: " + s.name)
		if err := s.run(b, ctx); err != nil {
			return nil, fmt.Errorf("bundle %s %s: %s: %w", b.m.Name, b.m.Version, s.name, err)
		}
	}
	if err := os.Chmod(stage, 0o755); err != nil {
		return nil, err
	}
	// An empty OutDir given by the user is replaced; Rename needs it gone.
	_ = os.Remove(opts.OutDir)
	if err := os.Rename(stage, opts.OutDir); err != nil {
		return nil, fmt.Errorf("bundle output %s: %w", opts.OutDir, err)
	}
	return b.res, nil
}

func (o Options) check() error {
	switch {
	case o.Manifest == nil:
		return errors.New("bundle: no platform manifest: pass --manifest FILE")
	case o.Signer == nil:
		return errors.New("bundle: no signing key: pass --key FILE (a PEM private key from `slipway keys generate`)")
	case o.ImagePolicy == nil:
		return errors.New("bundle: no trust policy for the component images: pass --image-key FILE.pub")
	case o.OutDir == "":
		return errors.New("bundle: no output directory: pass --out DIR")
	case o.AppDir == "":
		return errors.New("bundle: no app repository: pass --app DIR")
	}
	if err := o.Manifest.Validate(); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	for _, c := range o.Manifest.Components {
		if _, err := tierOf(c); err != nil {
			return fmt.Errorf("bundle: %w", err)
		}
	}
	if st, err := os.Stat(o.AppDir); err != nil || !st.IsDir() {
		return fmt.Errorf("bundle: app repository %s is not a directory: pass --app with the repository that holds deploy/ and migrations/", o.AppDir)
	}
	entries, err := os.ReadDir(o.OutDir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("bundle: output %s: %w", o.OutDir, err)
	case len(entries) > 0:
		return fmt.Errorf("bundle: output directory %s is not empty: a bundle is never written over another; remove it or choose another --out", o.OutDir)
	}
	if o.Previous != nil && !versionLess(o.Previous.Manifest.Version, o.Manifest.Version) {
		return fmt.Errorf("bundle: the previous bundle is version %s, not older than %s: pass the bundle installations upgrade from", o.Previous.Manifest.Version, o.Manifest.Version)
	}
	return nil
}

// appPath joins a path of the app repository convention to AppDir.
func (b *build) appPath(rel string) string {
	return filepath.Join(b.opts.AppDir, filepath.FromSlash(rel))
}

// out joins a bundle path to the staging directory.
func (b *build) out(rel string) string { return filepath.Join(b.stage, filepath.FromSlash(rel)) }

// write writes one bundle file, creating its folder.
func (b *build) write(rel string, data []byte) error {
	p := b.out(rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o644)
}

func (b *build) skip(what string) {
	b.log.Warn("bundle: " + what)
	b.res.Skipped = append(b.res.Skipped, what)
}
