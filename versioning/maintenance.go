package versioning

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/slipway/slipway/git"
)

// This file is the hotfix lane's versioning: maintenance branches and the
// versions each may release, with semantic-release's rules (lib/branches:
// normalize.maintenance, and the EINVALIDNEXTVERSION check of index.js).
// A maintenance branch serves one release line, named by the branch:
// Slipway's `hotfix/<component>/vX.Y` (patches of X.Y), or
// semantic-release's `X.Y.x`, `X.x`, `X.x.x`. Its range starts at the
// highest version released on it and ends at the line's end or, when lower,
// at the first version the main line released after every maintenance
// release; so a fix on 1.2.x releases 1.2.4 once main has released 1.3.0,
// and a feat there (1.3.0) is refused.

// DefaultHotfixBranch is the name `slipway hotfix start` gives a
// maintenance branch. {service} may be written for {component}.
const DefaultHotfixBranch = "hotfix/{component}/v{major}.{minor}"

// firstRelease is semantic-release's FIRST_RELEASE.
var firstRelease = semver.MustParse("1.0.0")

// Line is the release line a maintenance branch serves.
type Line struct {
	Major, Minor uint64
	// AnyMinor marks a major line (1.x, 1.x.x): minors and patches of 1.
	AnyMinor bool
	// Spec is the line as semantic-release writes a maintenance range
	// ("1.2.x", "1.x", "1.x.x"): it orders branches by it.
	Spec string
}

// Lower is the line's first version (X.Y.0 or X.0.0).
func (l Line) Lower() *semver.Version {
	if l.AnyMinor {
		return semver.New(l.Major, 0, 0, "", "")
	}
	return semver.New(l.Major, l.Minor, 0, "", "")
}

// Upper is the first version after the line (X.(Y+1).0 or (X+1).0.0).
func (l Line) Upper() *semver.Version {
	if l.AnyMinor {
		return semver.New(l.Major+1, 0, 0, "", "")
	}
	return semver.New(l.Major, l.Minor+1, 0, "", "")
}

// Contains reports whether v belongs to the line.
func (l Line) Contains(v *semver.Version) bool {
	return !v.LessThan(l.Lower()) && v.LessThan(l.Upper())
}

// isMajorRange is semantic-release's test for a major line (1.x, 1.x.x).
func isMajorRange(spec string) bool { return majorRangeRE.MatchString(spec) }

var (
	majorRangeRE = regexp.MustCompile(`^\d+\.x(?:\.x)?$`)
	// srNameRE is semantic-release's default maintenance branch glob,
	// +([0-9])?(.{+([0-9]),x}).x: 1.x, 1.2.x, 1.x.x (lower-case x).
	srNameRE = regexp.MustCompile(`^(0|[1-9][0-9]{0,8})(?:\.(0|[1-9][0-9]{0,8}|x))?\.x$`)
)

// BranchPattern names maintenance branches: a pattern with {major}, and
// optionally {minor} and {component} (or {service}).
type BranchPattern struct {
	raw   string
	parts []string // literals and placeholders, in order
}

// ParseBranchPattern checks a pattern ("" is DefaultHotfixBranch).
func ParseBranchPattern(pattern string) (BranchPattern, error) {
	if pattern == "" {
		pattern = DefaultHotfixBranch
	}
	p := BranchPattern{raw: pattern}
	seen := map[string]int{}
	rest := pattern
	for rest != "" {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			p.parts = append(p.parts, rest)
			break
		}
		if i > 0 {
			p.parts = append(p.parts, rest[:i])
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return BranchPattern{}, fmt.Errorf("hotfix branch pattern %q: unclosed {: use {major}, {minor} and {service}", pattern)
		}
		ph := rest[i : i+j+1]
		switch ph {
		case "{service}":
			ph = "{component}"
			fallthrough
		case "{component}", "{major}", "{minor}":
			seen[ph]++
		default:
			return BranchPattern{}, fmt.Errorf("hotfix branch pattern %q: unknown placeholder %s: use {major}, {minor} and {service}", pattern, ph)
		}
		if len(p.parts) > 0 && isPlaceholder(p.parts[len(p.parts)-1]) {
			return BranchPattern{}, fmt.Errorf("hotfix branch pattern %q: two placeholders touch: separate them (e.g. v{major}.{minor})", pattern)
		}
		p.parts = append(p.parts, ph)
		rest = rest[i+j+1:]
	}
	for k := 1; k < len(p.parts); k++ {
		if (p.parts[k-1] == "{major}" || p.parts[k-1] == "{minor}") && !isPlaceholder(p.parts[k]) && p.parts[k][0] >= '0' && p.parts[k][0] <= '9' {
			return BranchPattern{}, fmt.Errorf("hotfix branch pattern %q: a digit right after %s makes names ambiguous: separate them (e.g. v{major}.{minor})", pattern, p.parts[k-1])
		}
	}
	switch {
	case seen["{major}"] != 1:
		return BranchPattern{}, fmt.Errorf("hotfix branch pattern %q must contain {major} once (e.g. hotfix/{service}/v{major}.{minor})", pattern)
	case seen["{minor}"] > 1 || seen["{component}"] > 1:
		return BranchPattern{}, fmt.Errorf("hotfix branch pattern %q repeats a placeholder", pattern)
	}
	if err := git.CheckBranch(p.name("svc", 1, 2)); err != nil {
		return BranchPattern{}, fmt.Errorf("hotfix branch pattern %q does not make a valid branch name: %v", pattern, err)
	}
	return p, nil
}

func isPlaceholder(s string) bool { return strings.HasPrefix(s, "{") }

// String is the pattern as written.
func (p BranchPattern) String() string { return p.raw }

// Name is the maintenance branch of component for the line of v.
func (p BranchPattern) Name(component string, v *semver.Version) string {
	return p.name(component, v.Major(), v.Minor())
}

func (p BranchPattern) name(component string, major, minor uint64) string {
	var b strings.Builder
	for _, part := range p.parts {
		switch part {
		case "{component}":
			b.WriteString(component)
		case "{major}":
			b.WriteString(strconv.FormatUint(major, 10))
		case "{minor}":
			b.WriteString(strconv.FormatUint(minor, 10))
		default:
			b.WriteString(part)
		}
	}
	return b.String()
}

// Line recognizes name as a maintenance branch of component: the pattern,
// or semantic-release's X.Y.x / X.x / X.x.x, alone or as the last segment
// under the pattern's directory (hotfix/api/1.2.x).
func (p BranchPattern) Line(name, component string) (Line, bool) {
	if l, ok := p.match(name, component); ok {
		return l, true
	}
	if l, ok := srLine(name); ok {
		return l, true
	}
	dir := p.name(component, 0, 0)
	if i := strings.LastIndexByte(dir, '/'); i >= 0 && strings.HasPrefix(name, dir[:i+1]) {
		return srLine(name[i+1:])
	}
	return Line{}, false
}

// match reads name against the pattern's parts.
func (p BranchPattern) match(name, component string) (Line, bool) {
	var l Line
	minor := false
	for _, part := range p.parts {
		switch part {
		case "{component}":
			if !strings.HasPrefix(name, component) || component == "" {
				return Line{}, false
			}
			name = name[len(component):]
		case "{major}", "{minor}":
			n, rest, ok := leadingNumber(name)
			if !ok {
				return Line{}, false
			}
			if part == "{major}" {
				l.Major = n
			} else {
				l.Minor, minor = n, true
			}
			name = rest
		default:
			if !strings.HasPrefix(name, part) {
				return Line{}, false
			}
			name = name[len(part):]
		}
	}
	if name != "" {
		return Line{}, false
	}
	l.AnyMinor = !minor
	if l.AnyMinor {
		l.Spec = fmt.Sprintf("%d.x", l.Major)
	} else {
		l.Spec = fmt.Sprintf("%d.%d.x", l.Major, l.Minor)
	}
	return l, true
}

// leadingNumber reads a decimal number without leading zeros.
func leadingNumber(s string) (uint64, string, bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 || i > 9 || i > 1 && s[0] == '0' {
		return 0, s, false
	}
	n, _ := strconv.ParseUint(s[:i], 10, 64)
	return n, s[i:], true
}

// srLine reads a semantic-release maintenance branch name.
func srLine(name string) (Line, bool) {
	m := srNameRE.FindStringSubmatch(name)
	if m == nil {
		return Line{}, false
	}
	major, _ := strconv.ParseUint(m[1], 10, 64)
	l := Line{Major: major, Spec: name, AnyMinor: m[2] == "" || m[2] == "x"}
	if !l.AnyMinor {
		l.Minor, _ = strconv.ParseUint(m[2], 10, 64)
	}
	return l, true
}

// BranchPolicy says which branches of the repository release what. With
// it, Next recognizes a target on a maintenance branch and keeps its
// version inside that branch's range.
type BranchPolicy struct {
	// Release is the main line's branch (default "main").
	Release string
	// Remote whose remote-tracking branches count as well as the local
	// ones ("" for local branches only).
	Remote string
	// Pattern names maintenance branches ("" for DefaultHotfixBranch).
	Pattern string
}

// Maintenance is the maintenance branch a release is cut from.
type Maintenance struct {
	Branch string `json:"branch"`
	// Line is the release line the branch serves ("1.2.x").
	Line string `json:"line"`
	// Range is the versions it may release now, as semantic-release
	// prints it (">=1.2.3 <1.3.0").
	Range string `json:"range"`
	// Accept lists the release types the range leaves room for.
	Accept []string `json:"accept"`
	// Ref is the ref the branch was read from (local, else remote-tracking).
	Ref string `json:"-"`

	min, max *semver.Version
}

// releaseTypes is semantic-release's RELEASE_TYPE.
var releaseTypes = []string{"patch", "minor", "major"}

// srMaintenance is one maintenance branch as semantic-release's
// normalize.maintenance sees it: its range spec and the versions of the
// tags in its history (prereleases included).
type srMaintenance struct {
	name, spec string
	versions   []*semver.Version
}

// srNormalized is what normalize.maintenance computes for a branch.
type srNormalized struct {
	name               string
	min, max           *semver.Version // range: >=min <max
	mergeMin, mergeMax *semver.Version
	accept             []string
}

// normalizeMaintenance is semantic-release's normalize.maintenance: the
// branches sorted by range spec; each one's lower bound is its latest
// release or its line's start (a major line after a minor line starts
// where that one ends), and its upper bound the line's end or, when lower,
// the first main-line version above every maintenance release.
func normalizeMaintenance(branches []srMaintenance, release []*semver.Version, hasRelease bool) []srNormalized {
	sorted := slices.Clone(branches)
	slices.SortStableFunc(sorted, func(a, b srMaintenance) int { return strings.Compare(a.spec, b.spec) })
	var union []*semver.Version
	for _, b := range sorted {
		union = append(union, b.versions...)
	}
	base := firstRelease
	if hasRelease {
		if v := firstVersionAbove(release, union); v != nil {
			base = v
		} else if v := latestStable(release); v != nil {
			base = v
		}
	}
	out := make([]srNormalized, len(sorted))
	for i, b := range sorted {
		l, _ := srLine(b.spec)
		maintenanceMin := l.Lower()
		if isMajorRange(b.spec) && i > 0 && !isMajorRange(sorted[i-1].spec) {
			prev, _ := srLine(sorted[i-1].spec)
			maintenanceMin = prev.Upper()
		}
		latest := latestStable(b.versions)
		if latest == nil {
			latest = firstRelease
		}
		n := srNormalized{name: b.name, min: highest(latest, maintenanceMin), mergeMin: maintenanceMin, mergeMax: l.Upper()}
		n.max = lowest(base, l.Upper())
		if n.min.LessThan(n.max) {
			d := semverDiff(n.min, n.max)
			k := slices.Index(releaseTypes, d)
			if k < 0 {
				k = len(releaseTypes) - 1 // JavaScript's slice(0, -1)
			}
			n.accept = slices.Clone(releaseTypes[:k])
		}
		out[i] = n
	}
	return out
}

// firstVersionAbove is semantic-release's getFirstVersion: the lowest of
// versions above the highest of lower (prereleases included), or the
// lowest stable one when lower is empty.
func firstVersionAbove(versions, lower []*semver.Version) *semver.Version {
	var top *semver.Version
	for _, v := range lower {
		if top == nil || v.GreaterThan(top) {
			top = v
		}
	}
	if top == nil {
		var low *semver.Version
		for _, v := range versions {
			if v.Prerelease() == "" && (low == nil || v.LessThan(low)) {
				low = v
			}
		}
		return low
	}
	var first *semver.Version
	for _, v := range versions {
		if v.GreaterThan(top) && (first == nil || v.LessThan(first)) {
			first = v
		}
	}
	return first
}

func latestStable(vs []*semver.Version) *semver.Version {
	var top *semver.Version
	for _, v := range vs {
		if v.Prerelease() == "" && (top == nil || v.GreaterThan(top)) {
			top = v
		}
	}
	return top
}

func highest(a, b *semver.Version) *semver.Version {
	if a.GreaterThan(b) {
		return a
	}
	return b
}

func lowest(a, b *semver.Version) *semver.Version {
	if a.LessThan(b) {
		return a
	}
	return b
}

// semverDiff is node-semver's diff (7.5 and later) for a < b.
func semverDiff(a, b *semver.Version) string {
	low, high := a, b
	lowPre, highPre := low.Prerelease() != "", high.Prerelease() != ""
	if lowPre && !highPre {
		if low.Patch() == 0 && low.Minor() == 0 {
			return "major"
		}
		if low.Major() == high.Major() && low.Minor() == high.Minor() && low.Patch() == high.Patch() {
			if low.Minor() != 0 && low.Patch() == 0 {
				return "minor"
			}
			return "patch"
		}
	}
	prefix := ""
	if highPre {
		prefix = "pre"
	}
	switch {
	case a.Major() != b.Major():
		return prefix + "major"
	case a.Minor() != b.Minor():
		return prefix + "minor"
	case a.Patch() != b.Patch():
		return prefix + "patch"
	}
	return "prerelease"
}

func srRange(min, max *semver.Version) string { return fmt.Sprintf(">=%s <%s", min, max) }

// branchRefs are the local and remote-tracking refs of one branch name.
type branchRefs struct {
	name string
	line Line
	refs []string
}

// find returns the maintenance branch the target is released from, or nil
// when it is on the main line (or on no maintenance branch).
func (p BranchPolicy) find(ctx context.Context, repo *git.Repo, component string, format TagFormat, target string) (*Maintenance, error) {
	pat, err := ParseBranchPattern(p.Pattern)
	if err != nil {
		return nil, err
	}
	release := p.Release
	if release == "" {
		release = "main"
	}
	prefixes := []string{"refs/heads"}
	if p.Remote != "" {
		prefixes = append(prefixes, "refs/remotes/"+p.Remote)
	}
	refs, err := repo.Refs(ctx, prefixes...)
	if err != nil {
		return nil, err
	}
	byName := map[string]*branchRefs{}
	var names []string
	var mainRefs, all []string // all: the maintenance branches' refs
	for _, ref := range refs {
		name := strings.TrimPrefix(ref, "refs/heads/")
		if p.Remote != "" && strings.HasPrefix(ref, "refs/remotes/"+p.Remote+"/") {
			name = strings.TrimPrefix(ref, "refs/remotes/"+p.Remote+"/")
		}
		if name == "HEAD" || name == ref {
			continue
		}
		if name == release {
			mainRefs = append(mainRefs, ref)
			continue
		}
		l, ok := pat.Line(name, component)
		if !ok {
			continue
		}
		if byName[name] == nil {
			byName[name] = &branchRefs{name: name, line: l}
			names = append(names, name)
		}
		byName[name].refs = append(byName[name].refs, ref)
		all = append(all, ref)
	}
	if len(names) == 0 {
		return nil, nil
	}
	// Most releases are cut from the main line: ask that first, cheaply
	// (the target is usually its tip).
	for _, ref := range mainRefs {
		if on, err := repo.IsAncestor(ctx, target, ref); err != nil || on {
			return nil, err
		}
	}
	containing, err := repo.RefsContaining(ctx, target, all)
	if err != nil {
		return nil, err
	}
	var on []*branchRefs
	for _, n := range names {
		for _, ref := range byName[n].refs {
			if slices.Contains(containing, ref) {
				on = append(on, byName[n])
				break
			}
		}
	}
	if len(on) == 0 {
		return nil, nil
	}
	if len(mainRefs) == 0 {
		return nil, fmt.Errorf("the commit %s is on maintenance branch %s, but the main line %q is not in %s (neither refs/heads/%[3]s nor a remote-tracking branch): its releases bound the maintenance range; fetch it, or set app.branch to the main line's name", short(target), on[0].name, release, repo.Dir)
	}
	// The narrowest line wins (1.2.x over 1.x), then the name.
	slices.SortStableFunc(on, func(a, b *branchRefs) int {
		if a.line.AnyMinor != b.line.AnyMinor {
			if a.line.AnyMinor {
				return 1
			}
			return -1
		}
		return strings.Compare(a.name, b.name)
	})
	chosen := on[0]
	versionsOf := func(refs []string) ([]*semver.Version, error) {
		seen := map[string]bool{}
		var vs []*semver.Version
		for _, ref := range refs {
			tags, err := repo.Tags(ctx, ref)
			if err != nil {
				return nil, err
			}
			for _, t := range pickTags(tags, format) {
				if !seen[t.tag.Name] {
					seen[t.tag.Name] = true
					vs = append(vs, t.v)
				}
			}
		}
		return vs, nil
	}
	var branches []srMaintenance
	for _, n := range names {
		b := byName[n]
		vs, err := versionsOf(b.refs)
		if err != nil {
			return nil, err
		}
		branches = append(branches, srMaintenance{name: n, spec: b.line.Spec, versions: vs})
	}
	mainVersions, err := versionsOf(mainRefs)
	if err != nil {
		return nil, err
	}
	for _, n := range normalizeMaintenance(branches, mainVersions, true) {
		if n.name == chosen.name {
			return &Maintenance{Branch: chosen.name, Line: chosen.line.Spec, Range: srRange(n.min, n.max), Accept: n.accept, Ref: chosen.refs[0], min: n.min, max: n.max}, nil
		}
	}
	return nil, fmt.Errorf("internal error: maintenance branch %s lost in normalization", chosen.name)
}

// ErrOutOfRange is returned when the next version of a maintenance branch
// falls outside the versions it may release.
var ErrOutOfRange = errors.New("out of the maintenance branch's range")

// ErrPrereleaseOnMaintenance refuses a prerelease from a maintenance branch.
var ErrPrereleaseOnMaintenance = errors.New("no prereleases on maintenance branches")

// checkRange refuses a next version outside the branch's range, naming the
// range, the commits that need more than it allows, and what to do.
func (m *Maintenance) checkRange(res *Result, rules Rules, mainBranch string) error {
	if !res.Released {
		return nil
	}
	next := semver.MustParse(res.Next)
	if !next.LessThan(m.min) && next.LessThan(m.max) {
		return nil
	}
	if mainBranch == "" {
		mainBranch = "main"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "release %s on maintenance branch %s: %v: only versions %s can be released from %s", res.Next, m.Branch, ErrOutOfRange, m.Range, m.Branch)
	if !m.min.LessThan(m.max) {
		fmt.Fprintf(&b, ", which holds none: %s has released nothing above %s yet, so %s's next version would collide with %s's. Land the fix on %s and release it there (then `slipway promote --expedite`), or release %s first", mainBranch, m.min, m.Branch, mainBranch, mainBranch, mainBranch)
		return &rangeError{b.String()}
	}
	fmt.Fprintf(&b, " (%s releases only; %s is a %s)", strings.Join(m.Accept, " and "), res.Next, res.Bump)
	if lines := responsible(res, rules, m.Accept); len(lines) > 0 {
		fmt.Fprintf(&b, ". The commits that need a %s:\n%s\n", res.Bump, strings.Join(lines, "\n"))
	} else {
		b.WriteString(". ")
	}
	fmt.Fprintf(&b, "Move them to %s (git cherry-pick) and take them off %s (git revert), then build and release again", mainBranch, m.Branch)
	return &rangeError{b.String()}
}

// rangeError is an ErrOutOfRange with its explanation.
type rangeError struct{ msg string }

func (e *rangeError) Error() string { return e.msg }
func (e *rangeError) Unwrap() error { return ErrOutOfRange }

// responsible lists the commits whose own bump is beyond what the branch
// accepts, as "  - header (abc1234)".
func responsible(res *Result, rules Rules, accept []string) []string {
	allowed := BumpNone
	for _, a := range accept {
		if b, err := ParseBump(a); err == nil {
			allowed = max(allowed, b)
		}
	}
	cur, err := semver.NewVersion(res.Current)
	if err != nil {
		return nil
	}
	var out []string
	for i := range res.History {
		c := res.History[i]
		if c.Reverted {
			continue
		}
		t := tally{rules: rules}
		t.add(&c)
		if t.decision(cur).bump > allowed {
			header := ""
			if len(c.Entries) > 0 {
				header = c.Entries[len(c.Entries)-1].Header
			}
			out = append(out, fmt.Sprintf("  - %s (%s)", strings.SplitN(header, "\n", 2)[0], c.SHA[:min(7, len(c.SHA))]))
		}
	}
	return out
}
