package gitops

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// span is the byte range [start, end) of a scalar's text in the source,
// after its anchor and tag. An empty span (start == end) marks an empty
// value such as the one in "digest:" — the new value is inserted there.
type span struct{ start, end int }

// style is how a scalar is written, which the new value keeps.
type style int

const (
	plainStyle style = iota
	doubleQuoted
	singleQuoted
	emptyValue // "key:" with nothing after it
)

// locateScalar finds the bytes of n in src and the style they are written in.
func locateScalar(src []byte, n *yaml.Node, path string) (span, style, error) {
	unsupported := func(format string, args ...any) (span, style, error) {
		return span{}, 0, &PathError{Path: path, Line: n.Line, Err: ErrUnsupported, Detail: fmt.Sprintf(format, args...)}
	}
	off, ok := offsetOf(src, n.Line, n.Column)
	if !ok {
		return unsupported("could not find line %d column %d of the value in the file", n.Line, n.Column)
	}
	if n.Tag == "!!null" && n.Value == "" && n.Style&^yaml.TaggedStyle == 0 {
		return locateEmpty(src, off, n, unsupported)
	}
	off = skipProperties(src, off)
	switch n.Style &^ yaml.TaggedStyle {
	case yaml.DoubleQuotedStyle:
		end, ok := quotedEnd(src, off, '"')
		if !ok {
			return unsupported("the double-quoted value at line %d is not where the parser put it", n.Line)
		}
		return span{off, end}, doubleQuoted, nil
	case yaml.SingleQuotedStyle:
		end, ok := quotedEnd(src, off, '\'')
		if !ok {
			return unsupported("the single-quoted value at line %d is not where the parser put it", n.Line)
		}
		return span{off, end}, singleQuoted, nil
	case yaml.LiteralStyle, yaml.FoldedStyle:
		return unsupported("the value at line %d is a block scalar (| or >); write it on one line, e.g. digest: \"sha256:...\"", n.Line)
	case 0:
		if !bytes.HasPrefix(src[off:], []byte(n.Value)) {
			return unsupported("the plain value at line %d spans several lines; write it on one line, e.g. digest: \"sha256:...\"", n.Line)
		}
		return span{off, off + len(n.Value)}, plainStyle, nil
	}
	return unsupported("the value at line %d has a style Slipway does not edit", n.Line)
}

// locateEmpty handles an empty value ("key:", "- ", "{key: }"). yaml.v3
// places such a scalar right after the indicator in block style and at the
// next token in flow style; the value goes right after the ':' or '-'.
func locateEmpty(src []byte, off int, n *yaml.Node, unsupported func(string, ...any) (span, style, error)) (span, style, error) {
	at := off
	for at > 0 && (src[at-1] == ' ' || src[at-1] == '\t') {
		at--
	}
	if at == 0 || (src[at-1] != ':' && src[at-1] != '-') {
		return unsupported("the empty value at line %d is not right after a ':' or '-'; write `key: \"\"` there", n.Line)
	}
	return span{at, at}, emptyValue, nil
}

// skipProperties steps over an anchor (&a) and a tag (!!str) written before
// a scalar on the same line; yaml.v3 reports the scalar's position as the
// start of these properties.
func skipProperties(src []byte, off int) int {
	for off < len(src) && (src[off] == '&' || src[off] == '!') {
		for off < len(src) && !isBlankOrBreak(src[off]) {
			off++
		}
		for off < len(src) && (src[off] == ' ' || src[off] == '\t') {
			off++
		}
	}
	return off
}

func isBlankOrBreak(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// quotedEnd returns the offset just past the closing quote of the quoted
// scalar that starts at off. Double quotes escape with a backslash, single
// quotes by doubling.
func quotedEnd(src []byte, off int, q byte) (int, bool) {
	if off >= len(src) || src[off] != q {
		return 0, false
	}
	for i := off + 1; i < len(src); i++ {
		switch {
		case q == '"' && src[i] == '\\':
			i++
		case src[i] == q && q == '\'' && i+1 < len(src) && src[i+1] == '\'':
			i++
		case src[i] == q:
			return i + 1, true
		}
	}
	return 0, false
}

// renderings lists ways to write value in place of a scalar of style st,
// best first: the scalar's own style when it can hold the value, then a
// double-quoted string, which can hold anything. Each rendering is checked
// by re-parsing, so a plain rendering that YAML would read differently
// (a number, "null", "a #b") falls through to the quoted one.
func renderings(value string, st style) []string {
	quoted := strconv.Quote(value)
	switch st {
	case plainStyle:
		if plainCandidate(value) {
			return []string{value, quoted}
		}
	case emptyValue:
		if plainCandidate(value) {
			return []string{" " + value, " " + quoted}
		}
		return []string{" " + quoted}
	case singleQuoted:
		if singleQuotable(value) {
			return []string{"'" + strings.ReplaceAll(value, "'", "''") + "'", quoted}
		}
	}
	return []string{quoted}
}

// plainCandidate rules out values that can never be a one-line plain
// scalar; the re-parse check catches the subtler cases.
func plainCandidate(v string) bool {
	if v == "" || strings.TrimSpace(v) != v {
		return false
	}
	for _, r := range v {
		if !unicode.IsPrint(r) || r == utf8.RuneError {
			return false
		}
	}
	return true
}

// singleQuotable: single-quoted scalars cannot escape anything, and line
// breaks inside them fold into spaces.
func singleQuotable(v string) bool {
	for _, r := range v {
		if r != ' ' && !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// splice returns src with sp replaced by text, in a new slice.
func splice(src []byte, sp span, text string) []byte {
	out := make([]byte, 0, len(src)-(sp.end-sp.start)+len(text))
	out = append(out, src[:sp.start]...)
	out = append(out, text...)
	return append(out, src[sp.end:]...)
}
