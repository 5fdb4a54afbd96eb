package versioning

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// The standing release pull request, in release-please's words: its
// title (src/util/pull-request-title.ts), its body
// (src/util/pull-request-body.ts) and its labels (src/manifest.ts), so
// teams moving from release-please keep their filters and dashboards.

// Release pull request labels.
const (
	// LabelPending marks a release pull request not yet tagged.
	LabelPending = "autorelease: pending"
	// LabelTagged marks a merged release pull request once released.
	LabelTagged = "autorelease: tagged"
)

// DefaultPRHeader is release-please's body header.
const DefaultPRHeader = ":robot: I have created a release *beep* *boop*"

// DefaultPRFooter closes the body. release-please's names itself; Slipway
// says which tool wrote the pull request, and keeps the format.
const DefaultPRFooter = "This PR was generated with [Slipway](https://github.com/slipway/slipway) in the format of [Release Please](https://github.com/googleapis/release-please). Merge it to release: the build of the merge commit is tagged and published."

// PRNotesDelimiter separates header, notes and footer.
const PRNotesDelimiter = "---"

// PRBranchPrefix starts the branch of a release pull request.
const PRBranchPrefix = "slipway/release/"

// PRBranch is the branch of component's standing release pull request.
func PRBranch(component string) string { return PRBranchPrefix + component }

// GroupPRBranch is the branch of the release pull request that releases
// several components together (release-please without
// separate-pull-requests), for target, the main line.
func GroupPRBranch(target string) string { return "slipway/releases/" + target }

// IsPRBranch reports whether branch is a release pull request's.
func IsPRBranch(branch string) bool {
	return strings.HasPrefix(branch, PRBranchPrefix) || strings.HasPrefix(branch, "slipway/releases/")
}

// PRTitle is release-please's default title, chore${scope}: release${component} ${version}:
// "chore(main): release 1.2.3", or "chore(main): release api 1.2.3" for a
// named component.
func PRTitle(target, component, version string) string {
	if component != "" {
		component = " " + component
	}
	return fmt.Sprintf("chore(%s): release%s %s", target, component, version)
}

// GroupPRTitle is release-please's title of a combined release pull
// request, chore: release ${branch}.
func GroupPRTitle(target string) string { return "chore: release " + target }

// PRRelease is one component's part of a release pull request body.
type PRRelease struct {
	Component string
	Version   string
	Notes     string
}

// PRBody is release-please's body: the header, the delimiter, the notes
// (one component's as they are; several, or any in a combined pull
// request, in <details> blocks summarised "component: version"), the
// delimiter and the footer.
func PRBody(header, footer string, releases []PRRelease, combined bool) string {
	if header == "" {
		header = DefaultPRHeader
	}
	if footer == "" {
		footer = DefaultPRFooter
	}
	var notes []string
	for _, r := range releases {
		if len(releases) == 1 && !combined {
			notes = append(notes, r.Notes)
			continue
		}
		summary := r.Version
		if r.Component != "" {
			summary = r.Component + ": " + r.Version
		}
		notes = append(notes, fmt.Sprintf("<details><summary>%s</summary>\n\n%s\n</details>", summary, r.Notes))
	}
	return fmt.Sprintf("%s\n%s\n\n\n%s\n\n%s\n%s", header, PRNotesDelimiter, strings.Join(notes, "\n\n"), PRNotesDelimiter, footer)
}

// releaseHeadingRE finds a release heading of a changelog: "## 1.2.3",
// "## [1.2.3](https://…) (2026-01-02)", "### v1.2.3".
var releaseHeadingRE = regexp.MustCompile(`(?m)^#{2,3} \[?v?([0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)[\]\s]`)

// ErrNoSection is returned when a changelog has no release section.
var ErrNoSection = errors.New("no release section")

// NewestSection returns the version and the text of the first release
// section of a changelog (the newest), from its heading to the next
// release heading.
func NewestSection(md []byte) (version, section string, err error) {
	loc := releaseHeadingRE.FindSubmatchIndex(md)
	if loc == nil {
		return "", "", ErrNoSection
	}
	return string(md[loc[2]:loc[3]]), sectionAt(md, loc[0]), nil
}

// Section returns the section of version in a changelog.
func Section(md []byte, version string) (string, error) {
	for _, loc := range releaseHeadingRE.FindAllSubmatchIndex(md, -1) {
		if string(md[loc[2]:loc[3]]) == version {
			return sectionAt(md, loc[0]), nil
		}
	}
	return "", fmt.Errorf("%w for %s", ErrNoSection, version)
}

func sectionAt(md []byte, start int) string {
	rest := md[start:]
	end := len(rest)
	if nl := strings.IndexByte(string(rest), '\n'); nl >= 0 {
		if next := releaseHeadingRE.FindIndex(rest[nl+1:]); next != nil {
			end = nl + 1 + next[0]
		}
	}
	return strings.TrimSpace(string(rest[:end]))
}

// SetManifestVersion records version for the package at path in a
// .release-please-manifest.json, in place (a path not listed yet is
// added at the end, as release-please's updater does).
func SetManifestVersion(manifest []byte, path, version string) ([]byte, error) {
	if strings.TrimSpace(string(manifest)) == "" {
		return []byte(fmt.Sprintf("{\n  %q: %q\n}\n", path, version)), nil
	}
	out, err := setJSONString(manifest, []string{path}, version)
	if !errors.Is(err, errNoSuchKey) {
		return out, err
	}
	end := strings.LastIndex(string(manifest), "}")
	body := strings.TrimRight(string(manifest[:end]), " \t\r\n")
	sep := ","
	if strings.HasSuffix(body, "{") {
		sep = ""
	}
	return []byte(fmt.Sprintf("%s%s\n  %q: %q\n%s", body, sep, path, version, manifest[end:])), nil
}
