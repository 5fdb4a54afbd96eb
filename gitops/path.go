package gitops

import (
	"fmt"
	"strconv"
	"strings"
)

// Path is a parsed pin path: an optional document selector followed by the
// steps that lead from a document's root to one scalar.
//
// The zero Path is empty and matches nothing; obtain one from ParsePath.
type Path struct {
	// Doc chooses one document of a multi-document file; nil means "the only
	// document in which the steps resolve".
	Doc *Step
	// Steps lead from the document root to the target, in order.
	Steps []Step
}

// StepKind says how a Step picks a child node.
type StepKind int

const (
	// KeyStep picks the value of a mapping key.
	KeyStep StepKind = iota + 1
	// IndexStep picks a sequence item by its zero-based position.
	IndexStep
	// SelectStep picks the one sequence item (or document) whose fields
	// equal the given values, like Kargo's and kustomize's selectors.
	SelectStep
)

// Step is one hop of a Path.
type Step struct {
	Kind StepKind
	// Key is the mapping key of a KeyStep.
	Key string
	// Index is the position of an IndexStep.
	Index int
	// Match holds the conditions of a SelectStep; all must hold.
	Match []Condition
}

// Condition of a SelectStep: the scalar at Field (a list of mapping keys,
// relative to the candidate item) must equal Value.
type Condition struct {
	Field []string
	Value string
}

// maxIndex bounds list indices so that a typo such as [99999999999999999999]
// gets a clear error instead of an integer overflow.
const maxIndex = 1 << 20

// docKeyword introduces a document selector at the start of a path.
const docKeyword = "doc["

// ParsePath parses a pin path. The grammar, with examples:
//
//	image.digest                          mapping keys, separated by dots
//	annotations."example.com/digest"      a key that holds dots, double-quoted
//	annotations['example.com/digest']     the same, as a bracketed key
//	containers[0].image                   a list item by zero-based index
//	containers[name=api].image            the list item whose name is api
//	images[name=ghcr.io/acme/api].digest  selector values may hold dots and slashes
//	[kind=Deployment,metadata.name=api]   several conditions, all must hold
//	doc[1].spec.replicas                  the second document of a multi-document file
//	doc[kind=Deployment,metadata.name=api].spec.template.spec.containers[name=api].image
//
// Bare keys may hold any character except whitespace, '.', '[', ']', '=',
// ',' and quotes; quote anything else. A key made of digits reads as a list
// index where the node is a list (Kargo's containers.0.image). Double-quoted keys use Go escapes; single
// quotes are doubled inside single-quoted keys, as in YAML. Selector values
// run to the next ',' or ']' and may be quoted the same way. A leading
// "doc[" always starts a document selector; write "doc"[0] to index a
// top-level key that is really named doc.
func ParsePath(s string) (Path, error) {
	p := pathParser{src: s}
	path, err := p.parse()
	if err != nil {
		return Path{}, err
	}
	return path, nil
}

// String renders the path in canonical form; ParsePath(p.String()) yields an
// equal path.
func (p Path) String() string {
	var b strings.Builder
	if p.Doc != nil {
		b.WriteString("doc")
		b.WriteString(p.Doc.bracket())
	}
	writeSteps(&b, p.Steps, p.Doc != nil)
	return b.String()
}

// prefix renders the document selector and the first n steps, naming how far
// a lookup got before it failed.
func (p Path) prefix(n int) string {
	return Path{Doc: p.Doc, Steps: p.Steps[:n]}.String()
}

func writeSteps(b *strings.Builder, steps []Step, afterSomething bool) {
	for i, st := range steps {
		if st.Kind == KeyStep {
			if i > 0 || afterSomething {
				b.WriteByte('.')
			}
			key := formatKey(st.Key)
			if i == 0 && !afterSomething && st.Key+"[" == docKeyword && len(steps) > 1 && steps[1].Kind != KeyStep {
				// A bare doc followed by '[' would read as a document selector.
				key = strconv.Quote(st.Key)
			}
			b.WriteString(key)
			continue
		}
		b.WriteString(st.bracket())
	}
}

// bracket renders an IndexStep or SelectStep in its [..] form.
func (st Step) bracket() string {
	if st.Kind == IndexStep {
		return "[" + strconv.Itoa(st.Index) + "]"
	}
	parts := make([]string, len(st.Match))
	for i, c := range st.Match {
		keys := make([]string, len(c.Field))
		for j, k := range c.Field {
			keys[j] = formatKey(k)
		}
		if k := keys[0]; k[0] == '-' || (k[0] >= '0' && k[0] <= '9') {
			// A leading digit or '-' would read as an index.
			keys[0] = strconv.Quote(c.Field[0])
		}
		parts[i] = strings.Join(keys, ".") + "=" + formatSelectorValue(c.Value)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// String renders one step the way it is written inside a path.
func (st Step) String() string {
	if st.Kind == KeyStep {
		return formatKey(st.Key)
	}
	return st.bracket()
}

func formatKey(k string) string {
	if isBareKey(k) {
		return k
	}
	return strconv.Quote(k)
}

func formatSelectorValue(v string) string {
	if v != "" && strings.TrimSpace(v) == v && !strings.ContainsAny(v, ",]\"'") {
		return v
	}
	return strconv.Quote(v)
}

func isBareKey(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if isBareStop(r) {
			return false
		}
	}
	return true
}

// isBareStop reports the runes that end a bare key.
func isBareStop(r rune) bool {
	switch r {
	case '.', '[', ']', '"', '\'', '=', ',', ' ', '\t', '\n', '\r', '\v', '\f':
		return true
	}
	return false
}

// PathSyntaxError reports a malformed path with the offset of the problem.
type PathSyntaxError struct {
	Path   string
	Offset int // byte offset into Path
	Msg    string
}

func (e *PathSyntaxError) Error() string {
	return fmt.Sprintf("invalid pin path %q at offset %d: %s; see docs/pins.md for the path syntax", e.Path, e.Offset, e.Msg)
}

type pathParser struct {
	src string
	pos int
}

func (p *pathParser) fail(format string, args ...any) error {
	return &PathSyntaxError{Path: p.src, Offset: p.pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *pathParser) eof() bool { return p.pos >= len(p.src) }

func (p *pathParser) peek() byte {
	if p.eof() {
		return 0
	}
	return p.src[p.pos]
}

func (p *pathParser) parse() (Path, error) {
	var path Path
	if p.src == "" {
		return path, p.fail("the path is empty; write the YAML path of the field, e.g. image.digest")
	}
	if strings.HasPrefix(p.src, docKeyword) {
		p.pos += len("doc")
		st, err := p.bracketStep(true)
		if err != nil {
			return path, err
		}
		path.Doc = &st
		if p.eof() {
			return path, p.fail("the document selector must be followed by the field, e.g. %s.image.digest", p.src)
		}
	}
	first := path.Doc == nil
	for !p.eof() {
		switch c := p.peek(); {
		case c == '[':
			st, err := p.bracketStep(false)
			if err != nil {
				return path, err
			}
			path.Steps = append(path.Steps, st)
		case c == '.' && !first:
			p.pos++
			key, err := p.key()
			if err != nil {
				return path, err
			}
			path.Steps = append(path.Steps, Step{Kind: KeyStep, Key: key})
		case first:
			key, err := p.key()
			if err != nil {
				return path, err
			}
			path.Steps = append(path.Steps, Step{Kind: KeyStep, Key: key})
		default:
			return path, p.fail("expected '.' or '[' after %q, found %q", p.src[:p.pos], c)
		}
		first = false
	}
	return path, nil
}

// key parses a bare or quoted mapping key.
func (p *pathParser) key() (string, error) {
	switch p.peek() {
	case '"', '\'':
		return p.quoted()
	}
	start := p.pos
	for !p.eof() {
		r := rune(p.src[p.pos])
		if r < 0x80 && isBareStop(r) {
			break
		}
		p.pos++
	}
	if p.pos == start {
		if p.eof() {
			return "", p.fail("a key is missing at the end of the path")
		}
		return "", p.fail("a key is missing before %q; quote keys that contain it, e.g. \"a.b\"", p.src[p.pos])
	}
	return p.src[start:p.pos], nil
}

// quoted parses a double-quoted string (Go escapes) or a single-quoted one
// (a quote is doubled inside) starting at the current position.
func (p *pathParser) quoted() (string, error) {
	start := p.pos
	q := p.src[p.pos]
	p.pos++
	if q == '\'' {
		var b strings.Builder
		for !p.eof() {
			c := p.src[p.pos]
			p.pos++
			if c != '\'' {
				b.WriteByte(c)
				continue
			}
			if p.peek() == '\'' {
				b.WriteByte('\'')
				p.pos++
				continue
			}
			return b.String(), nil
		}
		p.pos = start
		return "", p.fail("the single-quoted string is not closed; add a ' at its end")
	}
	for !p.eof() {
		switch p.src[p.pos] {
		case '\\':
			p.pos += 2
			continue
		case '"':
			p.pos++
			s, err := strconv.Unquote(p.src[start:p.pos])
			if err != nil {
				p.pos = start
				return "", p.fail("bad escape in double-quoted string %s (Go escapes apply)", p.src[start:])
			}
			return s, nil
		}
		p.pos++
	}
	p.pos = start
	return "", p.fail("the double-quoted string is not closed; add a \" at its end")
}

// bracketStep parses [N], ["key"], ['key'] or [field=value,...]. A document
// selector (doc[...]) allows only an index or conditions.
func (p *pathParser) bracketStep(isDoc bool) (Step, error) {
	open := p.pos
	p.pos++ // '['
	p.skipSpace()
	var st Step
	switch c := p.peek(); {
	case p.eof():
		p.pos = open
		return st, p.fail("'[' is not closed; add a ']'")
	case c >= '0' && c <= '9':
		n, err := p.index()
		if err != nil {
			return st, err
		}
		st = Step{Kind: IndexStep, Index: n}
	case (c == '"' || c == '\'') && !isDoc && !p.quotedIsField():
		key, err := p.quoted()
		if err != nil {
			return st, err
		}
		st = Step{Kind: KeyStep, Key: key}
	case c == ']':
		return st, p.fail("empty brackets; write an index [0], a key [\"a.b\"] or a selector [name=api]")
	case c == '-':
		return st, p.fail("negative indices are not supported; count from 0")
	default:
		conds, err := p.conditions()
		if err != nil {
			return st, err
		}
		st = Step{Kind: SelectStep, Match: conds}
	}
	p.skipSpace()
	if p.peek() != ']' {
		if p.eof() {
			p.pos = open
			return st, p.fail("'[' is not closed; add a ']'")
		}
		return st, p.fail("expected ']', found %q", p.peek())
	}
	p.pos++
	return st, nil
}

// quotedIsField looks past a quoted string at the current position to tell a
// bracketed key ["a.b"] from a selector whose field is quoted ["a.b"=x].
func (p *pathParser) quotedIsField() bool {
	save := p.pos
	defer func() { p.pos = save }()
	if _, err := p.quoted(); err != nil {
		return false
	}
	p.skipSpace()
	return p.peek() == '=' || p.peek() == '.'
}

func (p *pathParser) index() (int, error) {
	start := p.pos
	for !p.eof() && p.peek() >= '0' && p.peek() <= '9' {
		p.pos++
	}
	digits := p.src[start:p.pos]
	if len(digits) > 1 && digits[0] == '0' {
		p.pos = start
		return 0, p.fail("index %s has a leading zero; write %s", digits, strings.TrimLeft(digits, "0"))
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n > maxIndex {
		p.pos = start
		return 0, p.fail("index %s is too large (at most %d)", digits, maxIndex)
	}
	return n, nil
}

func (p *pathParser) conditions() ([]Condition, error) {
	var conds []Condition
	for {
		p.skipSpace()
		var field []string
		for {
			key, err := p.key()
			if err != nil {
				return nil, err
			}
			field = append(field, key)
			if p.peek() != '.' {
				break
			}
			p.pos++
		}
		p.skipSpace()
		if p.peek() != '=' {
			return nil, p.fail("a selector needs field=value, e.g. [name=api]; found %q", p.rest())
		}
		p.pos++
		p.skipSpace()
		value, err := p.selectorValue()
		if err != nil {
			return nil, err
		}
		conds = append(conds, Condition{Field: field, Value: value})
		p.skipSpace()
		if p.peek() != ',' {
			return conds, nil
		}
		p.pos++
	}
}

func (p *pathParser) selectorValue() (string, error) {
	if c := p.peek(); c == '"' || c == '\'' {
		return p.quoted()
	}
	start := p.pos
	for !p.eof() && p.peek() != ',' && p.peek() != ']' {
		p.pos++
	}
	v := strings.TrimRight(p.src[start:p.pos], " \t")
	if v == "" {
		return "", p.fail("selector value is empty; quote it to match an empty string: [name=\"\"]")
	}
	return v, nil
}

func (p *pathParser) skipSpace() {
	for !p.eof() && (p.peek() == ' ' || p.peek() == '\t') {
		p.pos++
	}
}

func (p *pathParser) rest() string {
	if p.eof() {
		return "end of path"
	}
	return p.src[p.pos:]
}
