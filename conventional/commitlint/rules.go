package commitlint

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"time"
)

// check is a compiled rule: its verdict and message for one commit.
type check func(c *Commit, when string) (bool, string)

// ruleDef compiles a rule's configured value (has is false when the
// configuration gives none) into a check, or says what is wrong with it.
type ruleDef struct {
	name    string
	compile func(v any, has bool) (check, error)
}

// ruleDefs are @commitlint/rules, in the order commitlint lists them.
var ruleDefs = []ruleDef{
	{"body-case", caseRule("body", func(c *Commit) (string, bool) { return str(c.Body), str(c.Body) != "" })},
	{"body-empty", emptyRule("body", func(c *Commit) string { return str(c.Body) }, false)},
	{"body-full-stop", fullStopRule("body", func(c *Commit) string { return str(c.Body) }, true)},
	{"body-leading-blank", noValue(bodyLeadingBlank)},
	{"body-max-length", lengthRule("body must not be longer than %s characters", func(c *Commit) string { return str(c.Body) }, false)},
	{"body-max-line-length", lineLengthRule("body's", func(c *Commit) string { return str(c.Body) })},
	{"body-min-length", lengthRule("body must not be shorter than %s characters", func(c *Commit) string { return str(c.Body) }, true)},
	{"breaking-change-exclamation-mark", noValue(breakingChangeExclamationMark)},
	{"footer-empty", emptyRule("footer", func(c *Commit) string { return str(c.Footer) }, false)},
	{"footer-leading-blank", noValue(footerLeadingBlank)},
	{"footer-max-length", lengthRule("footer must not be longer than %s characters", func(c *Commit) string { return str(c.Footer) }, false)},
	{"footer-max-line-length", lineLengthRule("footer's", func(c *Commit) string { return str(c.Footer) })},
	{"footer-min-length", lengthRule("footer must not be shorter than %s characters", func(c *Commit) string { return str(c.Footer) }, true)},
	{"header-case", caseRule("header", func(c *Commit) (string, bool) {
		h := str(c.Header)
		return h, h != "" && (h[0] >= 'a' && h[0] <= 'z' || h[0] >= 'A' && h[0] <= 'Z')
	})},
	{"header-full-stop", fullStopRule("header", func(c *Commit) string { return str(c.Header) }, false)},
	{"header-max-length", headerLength(false)},
	{"header-min-length", headerLength(true)},
	{"header-trim", noValue(headerTrim)},
	{"references-empty", noValue(referencesEmpty)},
	{"scope-case", scopeCase},
	{"scope-delimiter-style", scopeDelimiterStyle},
	{"scope-empty", emptyRule("scope", func(c *Commit) string { return c.Scope }, true)},
	{"scope-enum", scopeEnum},
	{"scope-max-length", lengthRule("scope must not be longer than %s characters", func(c *Commit) string { return c.Scope }, false)},
	{"scope-min-length", lengthRule("scope must not be shorter than %s characters", func(c *Commit) string { return c.Scope }, true)},
	{"signed-off-by", signedOffBy},
	{"subject-case", caseRule("subject", func(c *Commit) (string, bool) {
		return c.Subject, c.Subject != "" && startsWithCasedLetter(c.Subject)
	})},
	{"subject-empty", emptyRule("subject", func(c *Commit) string { return c.Subject }, false)},
	{"subject-exclamation-mark", noValue(subjectExclamationMark)},
	{"subject-full-stop", subjectFullStop},
	{"subject-max-length", lengthRule("subject must not be longer than %s characters", func(c *Commit) string { return c.Subject }, false)},
	{"subject-min-length", lengthRule("subject must not be shorter than %s characters", func(c *Commit) string { return c.Subject }, true)},
	{"trailer-exists", trailerExists},
	{"type-case", caseRule("type", func(c *Commit) (string, bool) { return c.Type, c.Type != "" })},
	{"type-empty", emptyRule("type", func(c *Commit) string { return c.Type }, false)},
	{"type-enum", typeEnum},
	{"type-max-length", lengthRule("type must not be longer than %s characters", func(c *Commit) string { return c.Type }, false)},
	{"type-min-length", lengthRule("type must not be shorter than %s characters", func(c *Commit) string { return c.Type }, true)},
}

func findRule(name string) (ruleDef, bool) {
	for _, r := range ruleDefs {
		if r.name == name {
			return r, true
		}
	}
	return ruleDef{}, false
}

// RuleNames lists every rule Slipway implements, in commitlint's order.
func RuleNames() []string {
	out := make([]string, len(ruleDefs))
	for i, r := range ruleDefs {
		out[i] = r.name
	}
	return out
}

// message is @commitlint/message: the non-empty parts joined by spaces.
func message(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, " ")
}

func pick(never bool, ifNever, ifAlways string) string {
	if never {
		return ifNever
	}
	return ifAlways
}

func noValue(fn check) func(any, bool) (check, error) {
	return func(any, bool) (check, error) { return fn, nil }
}

// Value decoders: a rule's value is checked when the configuration is
// read, so a typo fails there rather than as a JavaScript coercion.

func numberValue(v any, has bool) (float64, error) {
	if !has {
		return 0, nil
	}
	f, ok := v.(float64)
	if !ok {
		return 0, fmt.Errorf("the value must be a number, e.g. 100; got %s", describe(v))
	}
	return f, nil
}

func stringValue(v any, has bool, def string) (string, error) {
	if !has {
		return def, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("the value must be a string, e.g. %q; got %s", def, describe(v))
	}
	return s, nil
}

func stringList(v any, what string) ([]string, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s must be a list of strings, e.g. [\"a\", \"b\"]; got %s", what, describe(v))
	}
	out := make([]string, len(list))
	for i, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("%s must be a list of strings; item %d is %s", what, i+1, describe(e))
		}
		out[i] = s
	}
	return out, nil
}

func caseList(v any) ([]caseCheck, error) {
	var items []any
	switch t := v.(type) {
	case string:
		items = []any{t}
	case []any:
		items = t
	default:
		return nil, fmt.Errorf("the value must be a case or a list of cases (%s); got %s", strings.Join(caseNames, ", "), describe(v))
	}
	out := make([]caseCheck, 0, len(items))
	for _, it := range items {
		c := caseCheck{When: "always"}
		switch t := it.(type) {
		case string:
			c.Case = t
		case *Object:
			cs, _ := t.Get("case")
			c.Case, _ = cs.(string)
			if w, ok := t.Get("when"); ok {
				ws, _ := w.(string)
				c.When = ws
			} else {
				c.When = ""
			}
		default:
			return nil, fmt.Errorf("each case must be a string or {when, case}; got %s", describe(it))
		}
		if !knownCase(c.Case) {
			return nil, fmt.Errorf("%q is not a case commitlint knows: use one of %s", c.Case, strings.Join(caseNames, ", "))
		}
		out = append(out, c)
	}
	return out, nil
}

func caseRule(field string, get func(*Commit) (string, bool)) func(any, bool) (check, error) {
	return func(v any, has bool) (check, error) {
		var checks []caseCheck
		if has {
			var err error
			if checks, err = caseList(v); err != nil {
				return nil, err
			}
		}
		return func(c *Commit, when string) (bool, string) {
			s, applies := get(c)
			if !applies {
				return true, ""
			}
			return runCaseChecks(field, when, checks, func(target string) bool { return ensureCase(s, target) })
		}, nil
	}
}

// emptyRule is the *-empty family. inverted marks scope-empty, whose
// default condition is "never" and whose messages read "must"/"may not"
// the other way round in the source; the verdicts are the same.
func emptyRule(field string, get func(*Commit) string, inverted bool) func(any, bool) (check, error) {
	return noValue(func(c *Commit, when string) (bool, string) {
		notEmpty := get(c) != ""
		if inverted {
			negated := when == "always"
			return pickBool(negated, !notEmpty, notEmpty), message(field, pick(negated, "must", "may not"), "be empty")
		}
		negated := when == "never"
		return pickBool(negated, notEmpty, !notEmpty), message(field, pick(negated, "may not", "must"), "be empty")
	})
}

func pickBool(cond, a, b bool) bool {
	if cond {
		return a
	}
	return b
}

// numberRule decodes a numeric value once and builds the check from it.
func numberRule(build func(n float64) check) func(any, bool) (check, error) {
	return func(v any, has bool) (check, error) {
		n, err := numberValue(v, has)
		if err != nil {
			return nil, err
		}
		return build(n), nil
	}
}

// within is ensure's maxLength (or minLength) on a UTF-16 length.
func within(s string, n float64, min bool) bool {
	l := float64(len16(s))
	if min {
		return l >= n
	}
	return l <= n
}

func lengthRule(format string, get func(*Commit) string, min bool) func(any, bool) (check, error) {
	return numberRule(func(n float64) check {
		return func(c *Commit, _ string) (bool, string) {
			s := get(c)
			if s == "" {
				return true, ""
			}
			return within(s, n, min), fmt.Sprintf(format, jsNumber(n))
		}
	})
}

// maxLineLength is @commitlint/ensure's: every line within max, except
// lines holding a URL.
func maxLineLength(s string, max float64) bool {
	for _, l := range toLines(s) {
		if !hasURLForLength(l) && !within(l, max, false) {
			return false
		}
	}
	return true
}

func lineLengthRule(owner string, get func(*Commit) string) func(any, bool) (check, error) {
	return numberRule(func(n float64) check {
		return func(c *Commit, _ string) (bool, string) {
			s := get(c)
			if s == "" {
				return true, ""
			}
			return maxLineLength(s, n), fmt.Sprintf("%s lines must not be longer than %s characters", owner, jsNumber(n))
		}
	})
}

func headerLength(min bool) func(any, bool) (check, error) {
	word := pick(min, "shorter", "longer")
	return numberRule(func(n float64) check {
		return func(c *Commit, _ string) (bool, string) {
			// A null header fails both (typeof null !== "string").
			if c.Header == nil {
				return false, fmt.Sprintf("header must not be %s than %s characters, current length is undefined", word, jsNumber(n))
			}
			return within(*c.Header, n, min), fmt.Sprintf("header must not be %s than %s characters, current length is %d", word, jsNumber(n), len16(*c.Header))
		}
	})
}

func bodyLeadingBlank(c *Commit, when string) (bool, string) {
	if str(c.Body) == "" {
		return true, ""
	}
	never := when == "never"
	lines := toLines(c.Raw)
	ok := len(lines) > 1 && lines[1] == ""
	return pickBool(never, !ok, ok), message("body", pick(never, "may not", "must"), "have leading blank line")
}

// footerLeadingBlank finds the footer's first line in the raw message and
// looks at the line before it, with JavaScript's slice() semantics when the
// line is not found (index -1 looks two lines from the end).
func footerLeadingBlank(c *Commit, when string) (bool, string) {
	if str(c.Footer) == "" {
		return true, ""
	}
	never := when == "never"
	raw := toLines(c.Raw)
	first := toLines(*c.Footer)[0]
	off := -1
	for i, l := range raw {
		if l == first {
			off = i
			break
		}
	}
	k := off - 1
	if k < 0 {
		k = max(len(raw)+k, 0)
	}
	ok := k < len(raw) && raw[k] == ""
	return pickBool(never, !ok, ok), message("footer", pick(never, "may not", "must"), "have leading blank line")
}

// breakingHeader is /^(\w*)(?:\((.*)\))?!: (.*)$/ with JavaScript's ".".
func breakingHeader(h string) bool {
	return !strings.ContainsAny(h, "\n\r\u2028\u2029") && breakingHeaderRe.MatchString(h)
}

// footerHasBreakingChange is /^BREAKING[ -]CHANGE:/m.
func footerHasBreakingChange(f string) bool {
	at := func(s string) bool {
		return strings.HasPrefix(s, "BREAKING CHANGE:") || strings.HasPrefix(s, "BREAKING-CHANGE:")
	}
	if at(f) {
		return true
	}
	for i, r := range f {
		if isLineTerminator(r) {
			n := len(string(r))
			if at(f[i+n:]) {
				return true
			}
		}
	}
	return false
}

func breakingChangeExclamationMark(c *Commit, when string) (bool, string) {
	if c.Header == nil && str(c.Footer) == "" {
		return true, ""
	}
	excl := c.Header != nil && breakingHeader(*c.Header)
	bc := str(c.Footer) != "" && footerHasBreakingChange(*c.Footer)
	never := when == "never"
	ok := excl == bc
	return pickBool(never, !ok, ok), message("breaking changes", pick(never, "must not", "must"),
		"have both an exclamation mark in the header", "and BREAKING CHANGE in the footer", "to identify a breaking change")
}

func subjectExclamationMark(c *Commit, when string) (bool, string) {
	if c.Header == nil {
		return true, ""
	}
	never := when == "never"
	has := breakingHeader(*c.Header)
	return pickBool(never, !has, has), message("subject", pick(never, "must not", "must"),
		"have an exclamation mark in the subject to identify a breaking change")
}

func headerTrim(c *Commit, _ string) (bool, string) {
	if c.Header == nil {
		return true, ""
	}
	h := *c.Header
	start := jsTrimStart(h) != h
	end := jsTrimEnd(h) != h
	switch {
	case start && end:
		return false, "header must not be surrounded by whitespace"
	case start:
		return false, "header must not start with whitespace"
	case end:
		return false, "header must not end with whitespace"
	}
	return true, ""
}

func referencesEmpty(c *Commit, when string) (bool, string) {
	negated := when == "always"
	notEmpty := c.References > 0
	return pickBool(negated, !notEmpty, notEmpty), message("references", pick(negated, "must", "may not"), "be empty")
}

func fullStopValue(v any, has bool) (string, error) { return stringValue(v, has, ".") }

// fullStopRule is body-full-stop and header-full-stop: does the text end
// with the value? skipEmpty passes an empty text (the body rule does; the
// header rule judges a null header as not ending with it).
func fullStopRule(field string, get func(*Commit) string, skipEmpty bool) func(any, bool) (check, error) {
	return func(v any, has bool) (check, error) {
		stop, err := fullStopValue(v, has)
		if err != nil {
			return nil, err
		}
		return func(c *Commit, when string) (bool, string) {
			s := get(c)
			if skipEmpty && s == "" {
				return true, ""
			}
			never := when == "never"
			has := lastUnitIs(s, stop)
			return pickBool(never, !has, has), message(field, pick(never, "may not", "must"), "end with full stop")
		}, nil
	}
}

// subjectFullStop looks at the end of the header, not of the subject; a
// header whose only colon is its last character passes, and so does one
// ending in "...".
func subjectFullStop(v any, has bool) (check, error) {
	stop, err := fullStopValue(v, has)
	if err != nil {
		return nil, err
	}
	return func(c *Commit, when string) (bool, string) {
		h := str(c.Header)
		if i := strings.IndexByte(h, ':'); i > 0 && i == len(h)-1 {
			return true, ""
		}
		never := when == "never"
		has := lastUnitIs(h, stop) && !strings.HasSuffix(h, "...")
		return pickBool(never, !has, has), message("subject", pick(never, "may not", "must"), "end with full stop")
	}, nil
}

// delimiters reads a {..., delimiters: [...]} list; empty means the
// default ["/", "\\", ","].
func delimiterSplitter(list []string) *regexp.Regexp {
	if len(list) == 0 {
		list = []string{"/", `\`, ","}
	}
	parts := make([]string, len(list))
	for i, d := range list {
		if d == "," {
			parts[i] = ", ?"
		} else {
			parts[i] = regexp.QuoteMeta(d)
		}
	}
	return regexp.MustCompile(strings.Join(parts, "|"))
}

func objectDelimiters(o *Object) ([]string, error) {
	d, ok := o.Get("delimiters")
	if !ok || d == nil {
		return nil, nil
	}
	list, err := stringList(d, "delimiters")
	if err != nil {
		return nil, err
	}
	for _, s := range list {
		if s == "" {
			return nil, fmt.Errorf("an empty delimiter would split every character: remove it")
		}
	}
	return list, nil
}

func scopeCase(v any, has bool) (check, error) {
	var checks []caseCheck
	var delims []string
	if has {
		var err error
		if o, ok := v.(*Object); ok {
			cs, _ := o.Get("cases")
			if checks, err = caseList(cs); err != nil {
				return nil, err
			}
			if delims, err = objectDelimiters(o); err != nil {
				return nil, err
			}
		} else if checks, err = caseList(v); err != nil {
			return nil, err
		}
	}
	split := delimiterSplitter(delims)
	return func(c *Commit, when string) (bool, string) {
		if c.Scope == "" {
			return true, ""
		}
		segments := split.Split(c.Scope, -1)
		return runCaseChecks("scope", when, checks, func(target string) bool {
			for _, s := range segments {
				if !split.MatchString(s) && !ensureCase(s, target) {
					return false
				}
			}
			return true
		})
	}, nil
}

var scopeDelimiterRunRe = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

func scopeDelimiterStyle(v any, has bool) (check, error) {
	var allowed []string
	if has {
		var err error
		if allowed, err = stringList(v, "the value"); err != nil {
			return nil, err
		}
	}
	if len(allowed) == 0 {
		allowed = []string{"/", `\`, ","}
	}
	return func(c *Commit, when string) (bool, string) {
		if c.Scope == "" {
			return true, ""
		}
		all := true
		for _, d := range scopeDelimiterRunRe.FindAllString(c.Scope, -1) {
			if jsTrim(d) == "," {
				d = ","
			}
			if !contains(allowed, d) {
				all = false
			}
		}
		never := when == "never"
		return pickBool(never, !all, all), fmt.Sprintf("scope delimiters must %sbe one of [%s]", pick(never, "not ", ""), strings.Join(allowed, ", "))
	}, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func scopeEnum(v any, has bool) (check, error) {
	var scopes, delims []string
	if has {
		var err error
		if o, ok := v.(*Object); ok {
			s, _ := o.Get("scopes")
			if scopes, err = stringList(s, "scopes"); err != nil {
				return nil, err
			}
			if delims, err = objectDelimiters(o); err != nil {
				return nil, err
			}
		} else if scopes, err = stringList(v, "the value"); err != nil {
			return nil, err
		}
	}
	split := delimiterSplitter(delims)
	return func(c *Commit, when string) (bool, string) {
		if c.Scope == "" || len(scopes) == 0 {
			return true, ""
		}
		parts := split.Split(c.Scope, -1)
		list := "be one of [" + strings.Join(scopes, ", ") + "]"
		if when == "never" {
			for _, p := range parts {
				if contains(scopes, p) {
					return false, message("scope must", "not", list)
				}
			}
			return !contains(scopes, c.Scope), message("scope must", "not", list)
		}
		all := true
		for _, p := range parts {
			if !contains(scopes, p) {
				all = false
			}
		}
		return all || contains(scopes, c.Scope), message("scope must", list)
	}, nil
}

func typeEnum(v any, has bool) (check, error) {
	var types []string
	if has {
		var err error
		if types, err = stringList(v, "the value"); err != nil {
			return nil, err
		}
	}
	return func(c *Commit, when string) (bool, string) {
		if c.Type == "" {
			return true, ""
		}
		never := when == "never"
		ok := contains(types, c.Type)
		return pickBool(never, !ok, ok), message("type must", pick(never, "not", ""), "be one of ["+strings.Join(types, ", ")+"]")
	}, nil
}

// cherryPickRe is /^\(cherry picked from commit [0-9a-f]{7,64}\)$/i.
var cherryPickRe = regexp.MustCompile(`^\([cC][hH][eE][rR][rR][yY] [pP][iI][cC][kK][eE][dD] [fF][rR][oO][mM] [cC][oO][mM][mM][iI][tT] [0-9a-fA-F]{7,64}\)$`)

func signedOffBy(v any, has bool) (check, error) {
	prefix, err := stringValue(v, has, "")
	if err != nil {
		return nil, err
	}
	return func(c *Commit, when string) (bool, string) {
		var last string
		for _, l := range toLines(c.Raw) {
			if l == "" || strings.HasPrefix(l, "#") || cherryPickRe.MatchString(jsTrim(l)) {
				continue
			}
			last = l
		}
		has := last != "" && strings.HasPrefix(last, prefix)
		never := when == "never"
		return pickBool(never, !has, has), message("message", pick(never, "must not", "must"), "be signed off")
	}, nil
}

// trailerExists asks git, as commitlint does, which trailers the message
// has (git interpret-trailers --parse).
func trailerExists(v any, has bool) (check, error) {
	token, err := stringValue(v, has, "")
	if err != nil {
		return nil, err
	}
	return func(c *Commit, when string) (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "git", "interpret-trailers", "--parse")
		cmd.Stdin = strings.NewReader(c.Raw)
		var out bytes.Buffer
		cmd.Stdout = &out
		_ = cmd.Run() // no git, no trailers: the rule then reports them missing
		n := 0
		for _, l := range toLines(out.String()) {
			if strings.HasPrefix(l, token) {
				n++
			}
		}
		never := when == "never"
		has := n > 0
		return pickBool(never, !has, has), message("message", pick(never, "must not", "must"), "have `"+token+"` trailer")
	}, nil
}
