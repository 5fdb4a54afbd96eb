package commitlint

import (
	"regexp"
	"strconv"
	"strings"
)

// defaultIgnored is @commitlint/is-ignored's list of default matchers,
// applied to the message with trailing whitespace removed. A message they
// match is valid whatever the rules say. Two of them are multiline
// patterns: a "Merge ..." line anywhere in the message ignores it all, as
// in commitlint.
func defaultIgnored(msg string) bool {
	lines := strings.FieldsFunc(msg, isLineTerminator)
	for _, l := range lines {
		// /^((Merge pull request)|(Merge (.*?) into (.*?)|(Merge branch (.*?)))(?:\r?\n)*$)/m
		if strings.HasPrefix(l, "Merge pull request") || strings.HasPrefix(l, "Merge branch ") ||
			strings.HasPrefix(l, "Merge ") && strings.Contains(l[len("Merge "):], " into ") {
			return true
		}
		// /^(Merge tag (.*?))(?:\r?\n)*$/m
		if strings.HasPrefix(l, "Merge tag ") {
			return true
		}
	}
	// The other patterns are anchored at the start and their "." stops
	// at the first line terminator.
	first := msg
	if i := strings.IndexFunc(msg, isLineTerminator); i >= 0 {
		first = msg[:i]
	}
	for _, p := range []string{"Revert ", "revert ", "Reapply ", "reapply ", "amend!", "fixup!", "squash!",
		"Merge remote-tracking branch", "Automatic merge"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	if isSemverMessage(msg) {
		return true
	}
	// /^(Merged (.*?)(in|into) (.*)|Merged PR (.*): (.*))/
	if rest, ok := strings.CutPrefix(first, "Merged "); ok && (strings.Contains(rest, "in ") || strings.Contains(rest, "into ")) {
		return true
	}
	if rest, ok := strings.CutPrefix(first, "Merged PR "); ok && strings.Contains(rest, ": ") {
		return true
	}
	// /^Auto-merged (.*?) into (.*)/
	if rest, ok := strings.CutPrefix(first, "Auto-merged "); ok && strings.Contains(rest, " into ") {
		return true
	}
	return false
}

// isSemverMessage is the release-commit matcher: the first line (split on
// "\n" only), without a "chore(...):" prefix and a [skip ci] marker, is a
// valid SemVer version for node-semver.
func isSemverMessage(msg string) bool {
	first, _, _ := strings.Cut(msg, "\n")
	if strings.HasPrefix(first, "chore:") {
		first = first[len("chore:"):]
	} else if strings.HasPrefix(first, "chore(") {
		// /^chore(\([^)]+\))?:/ with at least one character in the parentheses
		if i := strings.IndexByte(first, ')'); i > len("chore(") && strings.HasPrefix(first[i+1:], ":") {
			first = first[i+2:]
		}
	}
	first = skipCIRe.ReplaceAllStringFunc(first, onlyFirst())
	first = skipCIParenRe.ReplaceAllStringFunc(first, onlyFirst())
	return semverValid(jsTrim(first))
}

// The markers, with JavaScript's \s spelt out; the i flag folds ASCII only.
const jsSpaceClass = `[\t\n\v\f\r \x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}\x{feff}]`

var (
	skipCIRe      = regexp.MustCompile(`\[([sS][kK][iI][pP]|[cC][iI])(-|` + jsSpaceClass + `)([cC][iI]|[sS][kK][iI][pP])\]`)
	skipCIParenRe = regexp.MustCompile(`\(([sS][kK][iI][pP]|[cC][iI])(-|` + jsSpaceClass + `)([cC][iI]|[sS][kK][iI][pP])\)`)
)

// onlyFirst makes ReplaceAllStringFunc replace the first match only, as
// String.prototype.replace does with a non-global pattern.
func onlyFirst() func(string) string {
	done := false
	return func(m string) string {
		if done {
			return m
		}
		done = true
		return ""
	}
}

// semverRe is node-semver's FULL pattern (strict mode).
var semverRe = regexp.MustCompile(`^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
	`(?:-((?:\d*[a-zA-Z-][a-zA-Z0-9-]*|0|[1-9]\d*)(?:\.(?:\d*[a-zA-Z-][a-zA-Z0-9-]*|0|[1-9]\d*))*))?` +
	`(?:\+([a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*))?$`)

// semverValid is semver.valid(v) !== null: at most 256 UTF-16 units, the
// FULL pattern, and major, minor and patch within Number.MAX_SAFE_INTEGER.
func semverValid(v string) bool {
	if len16(v) > 256 {
		return false
	}
	m := semverRe.FindStringSubmatch(v)
	if m == nil {
		return false
	}
	for _, n := range m[1:4] {
		f, err := strconv.ParseFloat(n, 64)
		if err != nil || f > 9007199254740991 {
			return false
		}
	}
	return true
}
