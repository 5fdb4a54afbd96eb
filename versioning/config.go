package versioning

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/slipway/slipway/changelog"
)

// The file names release-please reads from the repository root.
const (
	ReleasePleaseConfigFile   = "release-please-config.json"
	ReleasePleaseManifestFile = ".release-please-manifest.json"
)

// Component is one releasable unit of a repository: a path with its own
// version, tags and changelog.
type Component struct {
	// Name is the component as it appears in tags ("" for a root package
	// without one).
	Name string
	// Path is the package directory relative to the root ("." for root).
	Path          string
	ReleaseType   string
	ChangelogPath string // relative to the repository root
	TagFormat     string
	Rules         Rules
	ExcludePaths  []string
	// LastReleaseSHA and CurrentVersion come from last-release-sha /
	// bootstrap-sha and the manifest.
	LastReleaseSHA string
	CurrentVersion string
	// PackageName and VersionFile are release-please's package-name and
	// version-file: what a release pull request's version files need.
	PackageName string
	VersionFile string
	// SeparatePullRequest keeps the component out of a combined release
	// pull request (its own separate-pull-requests: true).
	SeparatePullRequest bool

	// npm workspace data (node-workspace plugin).
	npmName string
	npmDeps map[string]map[string]string // kind → package → range
}

// Request is the version request of the component at target. Paths limit
// it to the component's directory (Plan instead gives each file to its
// deepest package).
func (c *Component) Request(dir, target string) Request {
	req := Request{
		Dir: dir, Component: c.Name, ExcludePaths: c.ExcludePaths, TagFormat: c.TagFormat,
		Rules: c.Rules, Target: target,
		LastReleaseSHA: c.LastReleaseSHA, CurrentVersion: c.CurrentVersion,
	}
	if c.Path != "." && c.Path != "" {
		req.Paths = []string{c.Path}
	}
	return req
}

// LinkedGroup is a linked-versions plugin entry: components that always
// release together with one version.
type LinkedGroup struct {
	Name       string
	Components []string
}

// Config is a repository's versioning configuration.
type Config struct {
	Components    []Component
	NodeWorkspace bool
	Linked        []LinkedGroup
	// SeparatePullRequests is release-please's separate-pull-requests: one
	// release pull request per component, else one for all. Unset, it is
	// true for a single component and false for several, as
	// release-please decides.
	SeparatePullRequests bool
	// PullRequestHeader and PullRequestFooter replace the release pull
	// request body's header and footer ("" keeps the defaults).
	PullRequestHeader, PullRequestFooter string
}

// Component finds a component by name or path.
func (c *Config) Component(name string) (*Component, error) {
	comp, _, err := c.Pick(name)
	return comp, err
}

// Pick chooses the component a command works on, the one way every command
// does it: by name or path, or, with name "", the only component of a
// single-component config. It also returns the component's index, which is
// the index of its result in Plan's.
func (c *Config) Pick(name string) (*Component, int, error) {
	var names []string
	for i := range c.Components {
		if name == "" && len(c.Components) == 1 || c.Components[i].Name == name || c.Components[i].Path == name {
			return &c.Components[i], i, nil
		}
		names = append(names, fmt.Sprintf("%q", c.Components[i].Name))
	}
	if name == "" {
		return nil, -1, fmt.Errorf("%s has %d components: pass --component (one of %s)", ReleasePleaseConfigFile, len(c.Components), strings.Join(names, ", "))
	}
	return nil, -1, fmt.Errorf("no component %q in %s: known components are %s", name, ReleasePleaseConfigFile, strings.Join(names, ", "))
}

// rpSettings are the release-please options we honour, at the top level
// (defaults) and per package. Pointers tell "unset" from false.
type rpSettings struct {
	ReleaseType               string              `json:"release-type"`
	Component                 *string             `json:"component"`
	PackageName               string              `json:"package-name"`
	ChangelogPath             string              `json:"changelog-path"`
	BumpMinorPreMajor         *bool               `json:"bump-minor-pre-major"`
	BumpPatchForMinorPreMajor *bool               `json:"bump-patch-for-minor-pre-major"`
	ReleaseAs                 *string             `json:"release-as"`
	IncludeComponentInTag     *bool               `json:"include-component-in-tag"`
	IncludeVInTag             *bool               `json:"include-v-in-tag"`
	TagSeparator              *string             `json:"tag-separator"`
	ExcludePaths              []string            `json:"exclude-paths"`
	ChangelogSections         []changelog.Section `json:"changelog-sections"`
	VersionFile               string              `json:"version-file"`
	SeparatePullRequests      *bool               `json:"separate-pull-requests"`
	PullRequestHeader         string              `json:"pull-request-header"`
	PullRequestFooter         string              `json:"pull-request-footer"`
}

type rpConfig struct {
	rpSettings
	LastReleaseSHA string                `json:"last-release-sha"`
	BootstrapSHA   string                `json:"bootstrap-sha"`
	Plugins        []json.RawMessage     `json:"plugins"`
	Packages       map[string]rpSettings `json:"packages"`
}

// merge fills unset fields of s from defaults d.
func (s rpSettings) merge(d rpSettings) rpSettings {
	if s.ReleaseType == "" {
		s.ReleaseType = d.ReleaseType
	}
	if s.Component == nil {
		s.Component = d.Component
	}
	if s.ChangelogPath == "" {
		s.ChangelogPath = d.ChangelogPath
	}
	if s.BumpMinorPreMajor == nil {
		s.BumpMinorPreMajor = d.BumpMinorPreMajor
	}
	if s.BumpPatchForMinorPreMajor == nil {
		s.BumpPatchForMinorPreMajor = d.BumpPatchForMinorPreMajor
	}
	if s.ReleaseAs == nil {
		s.ReleaseAs = d.ReleaseAs
	}
	if s.IncludeComponentInTag == nil {
		s.IncludeComponentInTag = d.IncludeComponentInTag
	}
	if s.IncludeVInTag == nil {
		s.IncludeVInTag = d.IncludeVInTag
	}
	if s.TagSeparator == nil {
		s.TagSeparator = d.TagSeparator
	}
	if s.ExcludePaths == nil {
		s.ExcludePaths = d.ExcludePaths
	}
	if s.ChangelogSections == nil {
		s.ChangelogSections = d.ChangelogSections
	}
	if s.VersionFile == "" {
		s.VersionFile = d.VersionFile
	}
	if s.PullRequestHeader == "" {
		s.PullRequestHeader = d.PullRequestHeader
	}
	if s.PullRequestFooter == "" {
		s.PullRequestFooter = d.PullRequestFooter
	}
	return s
}

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// LoadReleasePlease reads release-please-config.json and
// .release-please-manifest.json from the root of dir. It returns
// (nil, nil) when the repository has no release-please config.
func LoadReleasePlease(dir string) (*Config, error) {
	raw, err := os.ReadFile(filepath.Join(dir, ReleasePleaseConfigFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var manifest map[string]string
	if m, err := os.ReadFile(filepath.Join(dir, ReleasePleaseManifestFile)); err == nil {
		if err := json.Unmarshal(m, &manifest); err != nil {
			return nil, fmt.Errorf("%s: %w (it must map package paths to versions, e.g. {\".\": \"1.2.3\"})", ReleasePleaseManifestFile, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return ParseReleasePlease(raw, manifest, func(p string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, p)) })
}

// ParseReleasePlease builds a Config from a release-please config and
// manifest. readFile reads repository files (package.json for
// node-workspace); it may be nil.
func ParseReleasePlease(raw []byte, manifest map[string]string, readFile func(string) ([]byte, error)) (*Config, error) {
	var rc rpConfig
	if err := json.Unmarshal(raw, &rc); err != nil {
		return nil, fmt.Errorf("%s: %w (check the JSON syntax)", ReleasePleaseConfigFile, err)
	}
	if len(rc.Packages) == 0 {
		return nil, fmt.Errorf("%s has no \"packages\": add at least {\"packages\": {\".\": {}}}", ReleasePleaseConfigFile)
	}
	cfg := &Config{
		SeparatePullRequests: deref(rc.SeparatePullRequests, len(rc.Packages) == 1),
		PullRequestHeader:    rc.PullRequestHeader, PullRequestFooter: rc.PullRequestFooter,
	}
	paths := make([]string, 0, len(rc.Packages))
	for p := range rc.Packages {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	lastSHA := rc.LastReleaseSHA
	if lastSHA == "" {
		lastSHA = rc.BootstrapSHA
	}
	for _, p := range paths {
		s := rc.Packages[p].merge(rc.rpSettings)
		clean := path.Clean(strings.TrimSpace(p))
		if strings.HasPrefix(clean, "..") || path.IsAbs(clean) {
			return nil, fmt.Errorf("%s: package path %q must be inside the repository (relative, e.g. \"packages/api\")", ReleasePleaseConfigFile, p)
		}
		comp := Component{
			Path:           clean,
			ReleaseType:    s.ReleaseType,
			ExcludePaths:   s.ExcludePaths,
			LastReleaseSHA: lastSHA,
			CurrentVersion: manifest[p],
			PackageName:    s.PackageName,
			VersionFile:    s.VersionFile,
			// The package's setting, else the top-level one, keeps it out
			// of a combined pull request (release-please's merge plugin).
			SeparatePullRequest: deref(rc.Packages[p].SeparatePullRequests, deref(rc.SeparatePullRequests, false)),
			Rules: Rules{
				Preset:                    PresetReleasePlease,
				BumpMinorPreMajor:         deref(s.BumpMinorPreMajor, false),
				BumpPatchForMinorPreMajor: deref(s.BumpPatchForMinorPreMajor, false),
				ReleaseAs:                 deref(s.ReleaseAs, ""),
				Sections:                  s.ChangelogSections,
			},
		}
		if s.ReleaseType == "node" && readFile != nil {
			comp.readPackageJSON(readFile)
		}
		switch {
		case s.Component != nil:
			comp.Name = *s.Component
		case s.PackageName != "":
			comp.Name = normalizeComponent(s.PackageName)
		case comp.npmName != "":
			comp.Name = normalizeComponent(comp.npmName)
		case clean != ".":
			comp.Name = path.Base(clean)
		}
		comp.TagFormat = ReleasePleaseTagFormat(comp.Name, deref(s.IncludeComponentInTag, true), deref(s.IncludeVInTag, true), deref(s.TagSeparator, "-"))
		cl := s.ChangelogPath
		if cl == "" {
			cl = "CHANGELOG.md"
		}
		comp.ChangelogPath = path.Join(clean, cl)
		cfg.Components = append(cfg.Components, comp)
	}
	for _, rawPlugin := range rc.Plugins {
		if err := cfg.addPlugin(rawPlugin); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// normalizeComponent drops an npm scope ("@acme/api" → "api"), as
// release-please does when it derives a component from a package name.
func normalizeComponent(name string) string {
	if strings.HasPrefix(name, "@") {
		if i := strings.Index(name, "/"); i >= 0 {
			return name[i+1:]
		}
	}
	return name
}

func (c *Config) addPlugin(raw json.RawMessage) error {
	var name string
	if json.Unmarshal(raw, &name) != nil {
		var obj struct {
			Type       string   `json:"type"`
			GroupName  string   `json:"groupName"`
			Components []string `json:"components"`
		}
		if err := json.Unmarshal(raw, &obj); err != nil {
			return fmt.Errorf("%s: plugin %s: %w", ReleasePleaseConfigFile, raw, err)
		}
		name = obj.Type
		if name == "linked-versions" {
			if len(obj.Components) == 0 {
				return fmt.Errorf("%s: linked-versions plugin %q lists no components: add \"components\": [\"a\", \"b\"]", ReleasePleaseConfigFile, obj.GroupName)
			}
			for _, n := range obj.Components {
				if _, err := c.Component(n); err != nil {
					return fmt.Errorf("linked-versions plugin %q: %w", obj.GroupName, err)
				}
			}
			c.Linked = append(c.Linked, LinkedGroup{Name: obj.GroupName, Components: obj.Components})
			return nil
		}
	}
	switch name {
	case "node-workspace":
		c.NodeWorkspace = true
	case "linked-versions":
		return fmt.Errorf("%s: the linked-versions plugin needs an object with groupName and components", ReleasePleaseConfigFile)
	default:
		// Other plugins (cargo-workspace, maven-workspace, sentence-case…)
		// change files we do not write; versions stay as computed.
	}
	return nil
}

// readPackageJSON loads a node package's name and internal dependency
// ranges; a missing or broken package.json leaves them empty.
func (comp *Component) readPackageJSON(readFile func(string) ([]byte, error)) {
	b, err := readFile(path.Join(comp.Path, "package.json"))
	if err != nil {
		return
	}
	var pj map[string]json.RawMessage
	if json.Unmarshal(b, &pj) != nil {
		return
	}
	_ = json.Unmarshal(pj["name"], &comp.npmName)
	comp.npmDeps = map[string]map[string]string{}
	for _, kind := range []string{"dependencies", "devDependencies", "peerDependencies", "optionalDependencies"} {
		var deps map[string]string
		if json.Unmarshal(pj[kind], &deps) == nil && len(deps) > 0 {
			comp.npmDeps[kind] = deps
		}
	}
}
