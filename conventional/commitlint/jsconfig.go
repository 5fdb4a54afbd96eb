package commitlint

// A commitlint.config.{js,cjs,mjs,ts} is a program. Slipway reads the
// common shape that is really data, and refuses everything else by name:
//
//	module.exports = { extends: [...], rules: {...} };
//	export default { ... };
//	const config = { ... }; export default config;   (or module.exports = config)
//
// with comments, trailing commas, quotes of all three kinds (a template
// without ${}), "as const" / "satisfies T" / ": T" annotations, type-only
// imports, and RuleConfigSeverity.{Disabled,Warning,Error} imported from
// @commitlint/types. A require(), another import, a function, a spread, a
// computed key or any other variable needs JavaScript, and the error says
// where and what to write instead.

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString
	tNumber
	tPunct
)

type token struct {
	kind tokKind
	text string // identifier, punctuation, or decoded string
	num  float64
	line int
	col  int
}

// NeedsJSError is returned for a config that only JavaScript could
// evaluate.
type NeedsJSError struct {
	File      string
	Line, Col int
	What      string
}

func (e *NeedsJSError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s needs JavaScript to evaluate, and Slipway reads commitlint configs as data: "+
		"write the value out literally (e.g. 'header-max-length': [2, 'always', 72]), or move the configuration to .commitlintrc.json",
		e.File, e.Line, e.Col, e.What)
}

type lexer struct {
	file string
	src  string
	pos  int
	line int
	col  int
}

func (l *lexer) errorf(line, col int, format string, args ...any) error {
	return fmt.Errorf("%s:%d:%d: %s", l.file, line, col, fmt.Sprintf(format, args...))
}

func (l *lexer) advance(n int) {
	for _, r := range l.src[l.pos : l.pos+n] {
		if r == '\n' {
			l.line++
			l.col = 1
		} else {
			l.col++
		}
	}
	l.pos += n
}

func (l *lexer) skipSpaceAndComments() error {
	for l.pos < len(l.src) {
		r, n := utf8.DecodeRuneInString(l.src[l.pos:])
		switch {
		case isJSSpace(r):
			l.advance(n)
		case strings.HasPrefix(l.src[l.pos:], "//"):
			end := strings.IndexByte(l.src[l.pos:], '\n')
			if end < 0 {
				end = len(l.src) - l.pos
			}
			l.advance(end)
		case strings.HasPrefix(l.src[l.pos:], "/*"):
			end := strings.Index(l.src[l.pos+2:], "*/")
			if end < 0 {
				return l.errorf(l.line, l.col, "unterminated /* comment")
			}
			l.advance(end + 4)
		case l.pos == 0 && strings.HasPrefix(l.src, "#!"):
			end := strings.IndexByte(l.src, '\n')
			if end < 0 {
				end = len(l.src)
			}
			l.advance(end)
		default:
			return nil
		}
	}
	return nil
}

func isIdentStart(r rune) bool { return r == '$' || r == '_' || unicode.IsLetter(r) }
func isIdentPart(r rune) bool  { return isIdentStart(r) || unicode.IsDigit(r) }

func (l *lexer) next() (token, error) {
	if err := l.skipSpaceAndComments(); err != nil {
		return token{}, err
	}
	t := token{line: l.line, col: l.col}
	if l.pos >= len(l.src) {
		return t, nil
	}
	rest := l.src[l.pos:]
	r, n := utf8.DecodeRuneInString(rest)
	switch {
	case isIdentStart(r):
		end := n
		for end < len(rest) {
			r2, n2 := utf8.DecodeRuneInString(rest[end:])
			if !isIdentPart(r2) {
				break
			}
			end += n2
		}
		t.kind, t.text = tIdent, rest[:end]
		l.advance(end)
	case r == '"' || r == '\'' || r == '`':
		s, used, err := l.readString(rest, byte(r))
		if err != nil {
			return t, err
		}
		t.kind, t.text = tString, s
		l.advance(used)
	case r >= '0' && r <= '9' || r == '.' && len(rest) > 1 && rest[1] >= '0' && rest[1] <= '9':
		end := 0
		for end < len(rest) && (isWordByte(rest[end]) || rest[end] == '.' ||
			(rest[end] == '+' || rest[end] == '-') && end > 0 && (rest[end-1] == 'e' || rest[end-1] == 'E')) {
			end++
		}
		f, err := parseJSNumber(rest[:end])
		if err != nil {
			return t, l.errorf(t.line, t.col, "%q is not a number Slipway reads", rest[:end])
		}
		t.kind, t.num, t.text = tNumber, f, rest[:end]
		l.advance(end)
	case strings.HasPrefix(rest, "..."):
		t.kind, t.text = tPunct, "..."
		l.advance(3)
	case strings.HasPrefix(rest, "=>"):
		t.kind, t.text = tPunct, "=>"
		l.advance(2)
	default:
		t.kind, t.text = tPunct, rest[:n]
		l.advance(n)
	}
	return t, nil
}

func parseJSNumber(s string) (float64, error) {
	clean := strings.ReplaceAll(s, "_", "")
	if len(clean) > 2 && clean[0] == '0' {
		base := 0
		switch clean[1] {
		case 'x', 'X':
			base = 16
		case 'o', 'O':
			base = 8
		case 'b', 'B':
			base = 2
		}
		if base != 0 {
			u, err := strconv.ParseUint(clean[2:], base, 64)
			return float64(u), err
		}
	}
	f, err := strconv.ParseFloat(clean, 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, fmt.Errorf("bad number")
	}
	return f, nil
}

// readString decodes a quoted string (or a template without
// substitutions) and returns it with the number of bytes used.
func (l *lexer) readString(s string, q byte) (string, int, error) {
	var b strings.Builder
	line, col := l.line, l.col
	for i := 1; i < len(s); {
		c := s[i]
		switch {
		case c == q:
			return b.String(), i + 1, nil
		case c == '\n' && q != '`':
			return "", 0, l.errorf(line, col, "unterminated string")
		case q == '`' && c == '$' && i+1 < len(s) && s[i+1] == '{':
			return "", 0, &NeedsJSError{File: l.file, Line: line, Col: col, What: "a template literal with ${...}"}
		case c == '\\':
			if i+1 >= len(s) {
				return "", 0, l.errorf(line, col, "unterminated string")
			}
			e := s[i+1]
			i += 2
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'v':
				b.WriteByte('\v')
			case '0':
				b.WriteByte(0)
			case '\n':
				// line continuation
			case 'x', 'u':
				r, used, ok := readEscape(s[i:], e)
				if !ok {
					return "", 0, l.errorf(line, col, "bad \\%c escape in string", e)
				}
				b.WriteRune(r)
				i += used
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
			i++
		}
	}
	return "", 0, l.errorf(line, col, "unterminated string")
}

func readEscape(s string, kind byte) (rune, int, bool) {
	if kind == 'x' {
		if len(s) < 2 {
			return 0, 0, false
		}
		v, err := strconv.ParseUint(s[:2], 16, 8)
		return rune(v), 2, err == nil
	}
	if strings.HasPrefix(s, "{") {
		end := strings.IndexByte(s, '}')
		if end < 0 {
			return 0, 0, false
		}
		v, err := strconv.ParseUint(s[1:end], 16, 32)
		return rune(v), end + 1, err == nil && v <= unicode.MaxRune
	}
	if len(s) < 4 {
		return 0, 0, false
	}
	v, err := strconv.ParseUint(s[:4], 16, 16)
	if err != nil {
		return 0, 0, false
	}
	r := rune(v)
	// A surrogate pair written as two escapes.
	if r >= 0xD800 && r <= 0xDBFF && len(s) >= 10 && s[4:6] == `\u` {
		if lo, err := strconv.ParseUint(s[6:10], 16, 16); err == nil && lo >= 0xDC00 && lo <= 0xDFFF {
			return (r-0xD800)<<10 + (rune(lo) - 0xDC00) + 0x10000, 10, true
		}
	}
	return r, 4, true
}

type jsParser struct {
	lx       *lexer
	tok      token
	peeked   []token
	severity string // local name of RuleConfigSeverity when imported
	consts   map[string]any
}

func (p *jsParser) advance() error {
	if len(p.peeked) > 0 {
		p.tok, p.peeked = p.peeked[0], p.peeked[1:]
		return nil
	}
	t, err := p.lx.next()
	p.tok = t
	return err
}

func (p *jsParser) peek() (token, error) {
	if len(p.peeked) == 0 {
		t, err := p.lx.next()
		if err != nil {
			return t, err
		}
		p.peeked = append(p.peeked, t)
	}
	return p.peeked[0], nil
}

func (p *jsParser) is(kind tokKind, text string) bool {
	return p.tok.kind == kind && p.tok.text == text
}

func (p *jsParser) needsJS(what string) error {
	return &NeedsJSError{File: p.lx.file, Line: p.tok.line, Col: p.tok.col, What: what}
}

func (p *jsParser) expect(text string) error {
	if !p.is(tPunct, text) {
		return p.lx.errorf(p.tok.line, p.tok.col, "expected %q, found %s", text, p.describeTok())
	}
	return p.advance()
}

func (p *jsParser) describeTok() string {
	switch p.tok.kind {
	case tEOF:
		return "the end of the file"
	case tString:
		return fmt.Sprintf("the string %q", p.tok.text)
	}
	return fmt.Sprintf("%q", p.tok.text)
}

// ParseJSConfig reads the exported object of a JavaScript or TypeScript
// commitlint configuration without running it.
func ParseJSConfig(file, src string) (*Object, error) {
	p := &jsParser{lx: &lexer{file: file, src: src, line: 1, col: 1}, consts: map[string]any{}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	var exported any
	found := false
	for p.tok.kind != tEOF {
		if p.is(tPunct, ";") {
			if err := p.advance(); err != nil {
				return nil, err
			}
			continue
		}
		v, isExport, err := p.statement()
		if err != nil {
			return nil, err
		}
		if isExport {
			if found {
				return nil, p.lx.errorf(p.tok.line, p.tok.col, "the configuration is exported twice; keep one export")
			}
			exported, found = v, true
		}
	}
	if !found {
		return nil, fmt.Errorf("%s: no `export default { ... }` or `module.exports = { ... }` found: Slipway reads the exported object", file)
	}
	o, ok := exported.(*Object)
	if !ok {
		return nil, fmt.Errorf("%s: the export is %s, not a configuration object", file, describe(exported))
	}
	return o, nil
}

func (p *jsParser) statement() (any, bool, error) {
	t := p.tok
	if t.kind == tString && (t.text == "use strict") {
		return nil, false, p.advance()
	}
	if t.kind != tIdent {
		return nil, false, p.lx.errorf(t.line, t.col, "unexpected %s at the top level", p.describeTok())
	}
	switch t.text {
	case "import":
		return nil, false, p.importDecl()
	case "export":
		if err := p.advance(); err != nil {
			return nil, false, err
		}
		if !p.is(tIdent, "default") {
			return nil, false, p.needsJS("a named export")
		}
		if err := p.advance(); err != nil {
			return nil, false, err
		}
		v, err := p.exprWithType()
		return v, true, err
	case "module":
		if err := p.advance(); err != nil {
			return nil, false, err
		}
		if err := p.expect("."); err != nil {
			return nil, false, err
		}
		if !p.is(tIdent, "exports") {
			return nil, false, p.needsJS("module." + p.tok.text)
		}
		if err := p.advance(); err != nil {
			return nil, false, err
		}
		if err := p.expect("="); err != nil {
			return nil, false, err
		}
		v, err := p.exprWithType()
		return v, true, err
	case "const", "let", "var":
		if err := p.advance(); err != nil {
			return nil, false, err
		}
		if p.tok.kind != tIdent {
			return nil, false, p.needsJS("a destructuring declaration")
		}
		name := p.tok.text
		if err := p.advance(); err != nil {
			return nil, false, err
		}
		if p.is(tPunct, ":") {
			if err := p.advance(); err != nil {
				return nil, false, err
			}
			if err := p.skipType(); err != nil {
				return nil, false, err
			}
		}
		if err := p.expect("="); err != nil {
			return nil, false, err
		}
		v, err := p.exprWithType()
		if err != nil {
			return nil, false, err
		}
		p.consts[name] = v
		return nil, false, nil
	case "require":
		return nil, false, p.needsJS("require(...)")
	}
	return nil, false, p.needsJS("the statement starting with `" + t.text + "`")
}

// importDecl accepts type-only imports and RuleConfigSeverity from
// @commitlint/types; any other import brings in code.
func (p *jsParser) importDecl() error {
	start := p.tok
	if err := p.advance(); err != nil {
		return err
	}
	typeOnly := false
	if p.is(tIdent, "type") {
		typeOnly = true
		if err := p.advance(); err != nil {
			return err
		}
	}
	var names [][2]string // imported, local
	if p.is(tPunct, "{") {
		if err := p.advance(); err != nil {
			return err
		}
		for !p.is(tPunct, "}") {
			spec := typeOnly
			if p.is(tIdent, "type") {
				if nt, err := p.peek(); err == nil && nt.kind == tIdent {
					spec = true
					if err := p.advance(); err != nil {
						return err
					}
				}
			}
			if p.tok.kind != tIdent {
				return p.lx.errorf(p.tok.line, p.tok.col, "unexpected %s in import", p.describeTok())
			}
			imported, local := p.tok.text, p.tok.text
			if err := p.advance(); err != nil {
				return err
			}
			if p.is(tIdent, "as") {
				if err := p.advance(); err != nil {
					return err
				}
				local = p.tok.text
				if err := p.advance(); err != nil {
					return err
				}
			}
			if !spec {
				names = append(names, [2]string{imported, local})
			}
			if p.is(tPunct, ",") {
				if err := p.advance(); err != nil {
					return err
				}
			} else if !p.is(tPunct, "}") {
				return p.lx.errorf(p.tok.line, p.tok.col, "unexpected %s in import", p.describeTok())
			}
		}
		if err := p.advance(); err != nil {
			return err
		}
	} else if !typeOnly {
		return &NeedsJSError{File: p.lx.file, Line: start.line, Col: start.col, What: "an import of code"}
	} else {
		for !p.is(tIdent, "from") && p.tok.kind != tEOF {
			if err := p.advance(); err != nil {
				return err
			}
		}
	}
	if !p.is(tIdent, "from") {
		return p.lx.errorf(p.tok.line, p.tok.col, "expected from in import")
	}
	if err := p.advance(); err != nil {
		return err
	}
	if p.tok.kind != tString {
		return p.lx.errorf(p.tok.line, p.tok.col, "expected a module name after from")
	}
	module := p.tok.text
	if err := p.advance(); err != nil {
		return err
	}
	for _, n := range names {
		if module != "@commitlint/types" || n[0] != "RuleConfigSeverity" {
			return &NeedsJSError{File: p.lx.file, Line: start.line, Col: start.col, What: fmt.Sprintf("the import of %s from %q", n[0], module)}
		}
		p.severity = n[1]
	}
	return nil
}

// exprWithType reads a value and any TypeScript "as T" / "satisfies T"
// after it.
func (p *jsParser) exprWithType() (any, error) {
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	for p.is(tIdent, "as") || p.is(tIdent, "satisfies") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.is(tIdent, "const") { // "as const"
			if err := p.advance(); err != nil {
				return nil, err
			}
			continue
		}
		if err := p.skipType(); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// skipType skips a type annotation: names, dots, generics, unions,
// arrays, import('...') types.
func (p *jsParser) skipType() error {
	depth := 0
	for {
		switch {
		case p.tok.kind == tEOF:
			return nil
		case p.is(tPunct, "<"), p.is(tPunct, "("), p.is(tPunct, "["):
			depth++
		case p.is(tPunct, ">"), p.is(tPunct, ")"), p.is(tPunct, "]"):
			if depth == 0 {
				return nil
			}
			depth--
		case depth == 0 && (p.is(tPunct, "=") || p.is(tPunct, ";") || p.is(tPunct, ",") || p.is(tPunct, "}")):
			return nil
		case depth == 0 && p.tok.kind == tIdent && (p.tok.text == "export" || p.tok.text == "module" || p.tok.text == "const"):
			return nil
		}
		if err := p.advance(); err != nil {
			return err
		}
	}
}

func (p *jsParser) value() (any, error) {
	t := p.tok
	switch t.kind {
	case tString:
		return t.text, p.advance()
	case tNumber:
		return t.num, p.advance()
	case tPunct:
		switch t.text {
		case "{":
			return p.object()
		case "[":
			return p.array()
		case "-", "+":
			if err := p.advance(); err != nil {
				return nil, err
			}
			if p.tok.kind != tNumber {
				return nil, p.needsJS("the expression `" + t.text + p.tok.text + "`")
			}
			n := p.tok.num
			if t.text == "-" {
				n = -n
			}
			return n, p.advance()
		case "...":
			return nil, p.needsJS("a spread (...)")
		case "(":
			return nil, p.needsJS("a parenthesised expression or arrow function")
		}
		return nil, p.lx.errorf(t.line, t.col, "unexpected %s", p.describeTok())
	case tIdent:
		switch t.text {
		case "true", "false":
			return t.text == "true", p.advance()
		case "null":
			return nil, p.advance()
		case "function", "async", "class", "new", "await":
			return nil, p.needsJS("a `" + t.text + "` expression")
		case "require":
			return nil, p.needsJS("require(...)")
		case "import":
			return nil, p.needsJS("import(...)")
		}
		if nt, err := p.peek(); err == nil && nt.kind == tPunct && nt.text == "=>" {
			return nil, p.needsJS("an arrow function")
		} else if err == nil && nt.kind == tPunct && nt.text == "(" {
			return nil, p.needsJS("the call " + t.text + "(...)")
		}
		if p.severity != "" && t.text == p.severity {
			return p.severityMember()
		}
		if v, ok := p.consts[t.text]; ok {
			if nt, err := p.peek(); err == nil && nt.kind == tPunct && (nt.text == "." || nt.text == "(" || nt.text == "[") {
				return nil, p.needsJS("the expression starting with `" + t.text + nt.text + "`")
			}
			// Only a whole declared object may be exported by name.
			if err := p.advance(); err != nil {
				return nil, err
			}
			return v, nil
		}
		return nil, p.needsJS("the variable `" + t.text + "`")
	}
	return nil, p.lx.errorf(t.line, t.col, "unexpected %s", p.describeTok())
}

func (p *jsParser) severityMember() (any, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	if err := p.expect("."); err != nil {
		return nil, err
	}
	levels := map[string]float64{"Disabled": 0, "Warning": 1, "Error": 2}
	v, ok := levels[p.tok.text]
	if !ok {
		return nil, p.lx.errorf(p.tok.line, p.tok.col, "RuleConfigSeverity has no member %q (Disabled, Warning, Error)", p.tok.text)
	}
	return v, p.advance()
}

func (p *jsParser) array() (any, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	out := []any{}
	for !p.is(tPunct, "]") {
		if p.tok.kind == tEOF {
			return nil, p.lx.errorf(p.tok.line, p.tok.col, "unterminated array")
		}
		v, err := p.exprWithType()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		if p.is(tPunct, ",") {
			if err := p.advance(); err != nil {
				return nil, err
			}
		} else if !p.is(tPunct, "]") {
			return nil, p.lx.errorf(p.tok.line, p.tok.col, "expected \",\" or \"]\", found %s", p.describeTok())
		}
	}
	return out, p.advance()
}

func (p *jsParser) object() (any, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	o := NewObject()
	for !p.is(tPunct, "}") {
		var key string
		switch {
		case p.tok.kind == tEOF:
			return nil, p.lx.errorf(p.tok.line, p.tok.col, "unterminated object")
		case p.tok.kind == tIdent || p.tok.kind == tString:
			key = p.tok.text
		case p.tok.kind == tNumber:
			key = jsNumber(p.tok.num)
		case p.is(tPunct, "..."):
			return nil, p.needsJS("a spread (...)")
		case p.is(tPunct, "["):
			return nil, p.needsJS("a computed key")
		default:
			return nil, p.lx.errorf(p.tok.line, p.tok.col, "unexpected %s in an object", p.describeTok())
		}
		keyTok := p.tok
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.is(tPunct, "(") {
			return nil, &NeedsJSError{File: p.lx.file, Line: keyTok.line, Col: keyTok.col, What: "the method " + key + "()"}
		}
		if !p.is(tPunct, ":") {
			if keyTok.kind == tIdent && (p.is(tPunct, ",") || p.is(tPunct, "}")) {
				return nil, &NeedsJSError{File: p.lx.file, Line: keyTok.line, Col: keyTok.col, What: "the shorthand property `" + key + "` (a variable)"}
			}
			if keyTok.kind == tIdent && (key == "get" || key == "set" || key == "async") {
				return nil, &NeedsJSError{File: p.lx.file, Line: keyTok.line, Col: keyTok.col, What: "a `" + key + "` accessor"}
			}
			return nil, p.lx.errorf(p.tok.line, p.tok.col, "expected \":\" after %q, found %s", key, p.describeTok())
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		v, err := p.exprWithType()
		if err != nil {
			return nil, err
		}
		if p.is(tPunct, "=>") {
			return nil, p.needsJS("an arrow function")
		}
		o.Set(key, v)
		if p.is(tPunct, ",") {
			if err := p.advance(); err != nil {
				return nil, err
			}
		} else if !p.is(tPunct, "}") {
			return nil, p.lx.errorf(p.tok.line, p.tok.col, "expected \",\" or \"}\" after the value of %q, found %s", key, p.describeTok())
		}
	}
	return o, p.advance()
}
