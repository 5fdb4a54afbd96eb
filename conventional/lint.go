package conventional

import (
	"fmt"
	"regexp"
	"strings"
)

// DefaultTypes are the types a linter accepts when nothing is configured:
// release-please's changelog types (which include the Angular ones).
var DefaultTypes = []string{"feat", "feature", "fix", "perf", "revert", "docs", "style", "chore", "refactor", "test", "build", "ci"}

// LintRules say what a team accepts.
type LintRules struct {
	// Types allowed (case-insensitive); empty means DefaultTypes.
	Types []string
	// Scopes allowed; empty means any scope.
	Scopes []string
	// RequireScope rejects headers without a scope.
	RequireScope bool
	// MaxHeaderLength, 0 for no limit (commitlint uses 100).
	MaxHeaderLength int
}

// Problem is one lint finding, with the fix spelled out.
type Problem struct {
	// Line is 1-based within the message.
	Line    int
	Message string
	// Example is the message's header rewritten to pass, when we can guess.
	Example string
}

func (p Problem) String() string {
	s := fmt.Sprintf("line %d: %s", p.Line, p.Message)
	if p.Example != "" {
		s += "\n    e.g. " + p.Example
	}
	return s
}

var (
	// looseHeaderRe recognises an attempt at a header, to explain what is
	// wrong with it rather than just "not conventional".
	looseHeaderRe = regexp.MustCompile(`^\s*([A-Za-z][\w-]*)\s*(?:\(([^)]*)\)?)?\s*(!)?\s*(:)?\s*(.*)$`)
	mergeRe       = regexp.MustCompile(`^(Merge (pull request|branch|remote-tracking branch)|Revert ")`)
)

// Lint checks one message and returns its problems (none when it is fine).
// Merge commits and git's own "Revert" headers are accepted as they are:
// tools write them, and versioning understands them.
func Lint(message string, rules LintRules) []Problem {
	msg := normalise(message)
	lines := strings.Split(msg, "\n")
	header := lines[0]
	if strings.TrimSpace(header) == "" {
		return []Problem{{Line: 1, Message: "empty commit message", Example: "fix(api): handle an empty digest"}}
	}
	if mergeRe.MatchString(header) {
		return nil
	}
	types := rules.Types
	if len(types) == 0 {
		types = DefaultTypes
	}
	var probs []Problem
	c := Parse(msg).Main()
	if !c.Conventional {
		return []Problem{explainHeader(header, types)}
	}
	if !containsFold(types, c.Type) {
		probs = append(probs, Problem{Line: 1,
			Message: fmt.Sprintf("type %q is not allowed; use one of: %s", c.Type, strings.Join(types, ", ")),
			Example: rebuild(closestType(c.Type, types), c.Scope, c.Bang, c.Description)})
	}
	if c.Scope == "" && rules.RequireScope {
		probs = append(probs, Problem{Line: 1, Message: "a scope is required", Example: rebuild(c.Type, firstOr(rules.Scopes, "api"), c.Bang, c.Description)})
	}
	if c.Scope != "" && len(rules.Scopes) > 0 && !containsFold(rules.Scopes, c.Scope) {
		probs = append(probs, Problem{Line: 1,
			Message: fmt.Sprintf("scope %q is not allowed; use one of: %s", c.Scope, strings.Join(rules.Scopes, ", ")),
			Example: rebuild(c.Type, rules.Scopes[0], c.Bang, c.Description)})
	}
	if !strings.Contains(header, ": ") {
		probs = append(probs, Problem{Line: 1, Message: "put one space after the colon", Example: rebuild(c.Type, c.Scope, c.Bang, c.Description)})
	}
	if rules.MaxHeaderLength > 0 && len(header) > rules.MaxHeaderLength {
		probs = append(probs, Problem{Line: 1, Message: fmt.Sprintf("header is %d characters; keep it within %d and move details to the body", len(header), rules.MaxHeaderLength)})
	}
	if len(lines) > 1 && strings.TrimSpace(lines[1]) != "" {
		probs = append(probs, Problem{Line: 2, Message: "leave a blank line between the header and the body"})
	}
	for i, l := range lines {
		for _, bad := range []string{"BREAKING CHANGES:", "Breaking change:", "breaking change:", "BREAKING:"} {
			if strings.HasPrefix(l, bad) {
				probs = append(probs, Problem{Line: i + 1, Message: fmt.Sprintf("%q is not recognised; write the footer as \"BREAKING CHANGE: <what breaks>\" (upper case, singular)", bad)})
			}
		}
	}
	return probs
}

// explainHeader says what is wrong with a header that is not a
// Conventional Commit and proposes a corrected one.
func explainHeader(header string, types []string) Problem {
	p := Problem{Line: 1}
	m := looseHeaderRe.FindStringSubmatch(header)
	if m == nil || m[4] == "" {
		p.Message = fmt.Sprintf("header %q is not \"type(scope): description\"", header)
		p.Example = "fix: " + lowerFirst(strings.TrimSpace(header))
		return p
	}
	typ, scope, bang, desc := m[1], m[2], m[3] == "!", strings.TrimSpace(m[5])
	switch {
	case desc == "":
		p.Message = "the description after the colon is empty"
		p.Example = rebuild(typ, scope, bang, "describe the change")
	case strings.Contains(header, "(") && !strings.Contains(header, ")"):
		p.Message = "the scope is missing its closing parenthesis"
	default:
		p.Message = fmt.Sprintf("header %q is not \"type(scope): description\"", header)
	}
	if p.Example == "" {
		p.Example = rebuild(closestType(typ, types), scope, bang, desc)
	}
	return p
}

func rebuild(typ, scope string, bang bool, desc string) string {
	s := typ
	if scope != "" {
		s += "(" + scope + ")"
	}
	if bang {
		s += "!"
	}
	return s + ": " + desc
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

func firstOr(list []string, def string) string {
	if len(list) > 0 {
		return list[0]
	}
	return def
}

func lowerFirst(s string) string {
	if s == "" {
		return "describe the change"
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// closestType maps common misspellings to an allowed type.
func closestType(t string, types []string) string {
	lt := strings.ToLower(t)
	if containsFold(types, lt) {
		return lt
	}
	aliases := map[string]string{
		"feature": "feat", "features": "feat", "add": "feat", "new": "feat",
		"bugfix": "fix", "hotfix": "fix", "bug": "fix", "fixes": "fix", "fixed": "fix",
		"doc": "docs", "documentation": "docs", "tests": "test", "testing": "test",
		"refact": "refactor", "performance": "perf", "chores": "chore", "deps": "build",
	}
	if a, ok := aliases[lt]; ok && containsFold(types, a) {
		return a
	}
	best, bestD := types[0], 1<<30
	for _, c := range types {
		if d := levenshtein(lt, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
