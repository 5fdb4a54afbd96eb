package versioning

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"github.com/slipway/slipway/gitops"
)

// Tree is the repository as a release pull request's commit will find it
// (the main line's tip).
type Tree interface {
	// Read returns a file's content; an error wrapping fs.ErrNotExist when
	// it is absent.
	Read(path string) ([]byte, error)
	// Find lists the files named name under dir ("." for the root).
	Find(dir, name string) ([]string, error)
}

// VersionBump says what a release of one component bumps besides its changelog.
type VersionBump struct {
	// ReleaseType is release-please's release-type: node, python, helm,
	// simple, go (others bump the changelog only).
	ReleaseType string
	// Path is the package directory ("." for the root).
	Path string
	// Version is the version released.
	Version string
	// Component names the package where the files need it (python's
	// package directory when pyproject.toml has no name).
	Component string
	// PackageName is release-please's package-name (node: the npm name a
	// samples/package.json depends on; python: the project name).
	PackageName string
	// VersionFile is release-please's version-file (simple: default
	// version.txt; go: none unless set).
	VersionFile string
}

// BumpTypes are the release types whose version files Slipway bumps.
var BumpTypes = []string{"simple", "node", "python", "helm", "go"}

// VersionFiles returns the files a release pull request of b changes
// besides the changelog, as release-please's strategy for b.ReleaseType
// would: only files that exist are touched (release-please's
// createIfMissing: false), each edited in place. Warnings say what was
// left alone and why (a dynamic pyproject version, an unknown release
// type); an error names the file that cannot be edited and why.
//
//   - simple: version.txt (or version-file) holds the version and a newline.
//   - node: package.json's version; package-lock.json and
//     npm-shrinkwrap.json's version (and packages[""].version for lock
//     files v2 and v3); samples/package.json's dependency on the package.
//   - python: pyproject.toml's project.version (or tool.poetry.version),
//     setup.cfg's and setup.py's version, __version__ in
//     <name>/__init__.py, src/<name>/__init__.py (also with - as _) and in
//     every version.py under the package.
//   - helm: Chart.yaml's version, and its appVersion when it has one
//     (release-please leaves appVersion alone; for a service Slipway
//     releases, the chart's appVersion is the release).
//   - go: only version-file's `const Version = "…"`, when set.
func VersionFiles(t Tree, b VersionBump) (map[string][]byte, []string, error) {
	files := map[string][]byte{}
	var warnings []string
	at := func(p string) string { return path.Join(b.Path, p) }
	read := func(p string) ([]byte, bool, error) {
		c, err := t.Read(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, false, nil
		}
		return c, err == nil, err
	}
	edit := func(p string, fn func([]byte) ([]byte, error)) error {
		c, ok, err := read(p)
		if err != nil || !ok {
			return err
		}
		out, err := fn(c)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if string(out) != string(c) {
			files[p] = out
		}
		return nil
	}
	v := b.Version
	switch b.ReleaseType {
	case "", "simple":
		vf := b.VersionFile
		if vf == "" {
			vf = "version.txt"
		}
		if err := edit(at(vf), func([]byte) ([]byte, error) { return []byte(v + "\n"), nil }); err != nil {
			return nil, nil, err
		}
	case "go":
		if b.VersionFile != "" {
			if err := edit(at(b.VersionFile), regexEdit(goVersionRE, `const Version = "`+v+`"`)); err != nil {
				return nil, nil, err
			}
		}
	case "node":
		name := b.PackageName
		if err := edit(at("package.json"), func(c []byte) ([]byte, error) {
			if name == "" {
				name = getJSONString(c, []string{"name"})
			}
			out, err := setJSONString(c, []string{"version"}, v)
			if errors.Is(err, errNoSuchKey) {
				warnings = append(warnings, at("package.json")+" has no \"version\": not bumped")
				return c, nil
			}
			return out, err
		}); err != nil {
			return nil, nil, err
		}
		for _, lock := range []string{"package-lock.json", "npm-shrinkwrap.json"} {
			if err := edit(at(lock), func(c []byte) ([]byte, error) { return bumpLockFile(c, v) }); err != nil {
				return nil, nil, err
			}
		}
		if name != "" {
			if err := edit(at("samples/package.json"), func(c []byte) ([]byte, error) {
				out, err := setJSONString(c, []string{"dependencies", name}, "^"+v)
				if errors.Is(err, errNoSuchKey) {
					return c, nil
				}
				return out, err
			}); err != nil {
				return nil, nil, err
			}
		}
	case "python":
		name := b.Component
		if b.PackageName != "" {
			name = b.PackageName
		}
		if err := edit(at("setup.cfg"), regexEdit(setupCfgRE, "${1}"+v)); err != nil {
			return nil, nil, err
		}
		if err := edit(at("setup.py"), regexEdit(setupPyRE, "${1}"+v+"${2}")); err != nil {
			return nil, nil, err
		}
		if err := edit(at("pyproject.toml"), func(c []byte) ([]byte, error) {
			if n := pyProjectName(c); n != "" {
				name = n
			}
			out, err := setPyProjectVersion(c, v)
			switch {
			case errors.Is(err, errDynamicVersion):
				warnings = append(warnings, at("pyproject.toml")+": the version is dynamic: not bumped")
				return c, nil
			case errors.Is(err, errNoProject):
				warnings = append(warnings, at("pyproject.toml")+": no [project] or [tool.poetry] table: not bumped")
				return c, nil
			}
			return out, err
		}); err != nil {
			return nil, nil, err
		}
		var pyFiles []string
		if name != "" {
			for _, n := range uniq(name, strings.ReplaceAll(name, "-", "_")) {
				pyFiles = append(pyFiles, at(n+"/__init__.py"), at("src/"+n+"/__init__.py"))
			}
		}
		found, err := t.Find(b.Path, "version.py")
		if err != nil {
			return nil, nil, err
		}
		for _, p := range uniq(append(pyFiles, found...)...) {
			if err := edit(p, regexEdit(pyVersionRE, "${1}"+v+"${2}")); err != nil {
				return nil, nil, err
			}
		}
	case "helm":
		if err := edit(at("Chart.yaml"), func(c []byte) ([]byte, error) {
			out, _, err := gitops.Set(c, "version", v)
			if err != nil {
				return nil, err
			}
			if _, err := gitops.Get(out, "appVersion"); err == nil {
				out, _, err = gitops.Set(out, "appVersion", v)
			}
			return out, err
		}); err != nil {
			return nil, nil, err
		}
	default:
		warnings = append(warnings, fmt.Sprintf("release-type %s: Slipway bumps the changelog only (it bumps the version files of %s)", b.ReleaseType, strings.Join(BumpTypes, ", ")))
	}
	return files, warnings, nil
}

// The patterns of release-please's updaters; each replaces the first match.
var (
	goVersionRE = regexp.MustCompile(`const Version = "[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?"`)
	setupCfgRE  = regexp.MustCompile(`(version ?= ?)[0-9]+\.[0-9]+\.[0-9]+(?:-\w+)?`)
	setupPyRE   = regexp.MustCompile(`(version ?= ?["'])[0-9]+\.[0-9]+\.[0-9]+(?:-\w+)?(["'])`)
	pyVersionRE = regexp.MustCompile(`(__version__ ?= ?["'])[0-9]+\.[0-9]+\.[0-9]+(?:-\w+)?(["'])`)
)

// regexEdit replaces the first match of re with repl (JavaScript's
// String.replace with a non-global pattern, as release-please does).
func regexEdit(re *regexp.Regexp, repl string) func([]byte) ([]byte, error) {
	return func(c []byte) ([]byte, error) {
		loc := re.FindSubmatchIndex(c)
		if loc == nil {
			return c, nil
		}
		var out []byte
		out = append(out, c[:loc[0]]...)
		out = re.Expand(out, []byte(repl), c, loc)
		return append(out, c[loc[1]:]...), nil
	}
}

// bumpLockFile sets a lock file's version, and packages[""].version for
// lockfileVersion 2 and 3.
func bumpLockFile(c []byte, v string) ([]byte, error) {
	out, err := setJSONString(c, []string{"version"}, v)
	if errors.Is(err, errNoSuchKey) {
		out, err = c, nil
	}
	if err != nil {
		return nil, err
	}
	if lv := lockfileVersion(out); lv == 2 || lv == 3 {
		next, err := setJSONString(out, []string{"packages", "", "version"}, v)
		if err != nil && !errors.Is(err, errNoSuchKey) {
			return nil, err
		}
		if err == nil {
			out = next
		}
	}
	return out, nil
}

func lockfileVersion(c []byte) int {
	var lock struct {
		LockfileVersion int `json:"lockfileVersion"`
	}
	if json.Unmarshal(c, &lock) != nil {
		return 0
	}
	return lock.LockfileVersion
}

func uniq(s ...string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
