package gitops

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// parseStream decodes every document of content into yaml.v3 nodes
// (each a DocumentNode). An empty stream yields no documents.
func parseStream(content []byte) (docs []*yaml.Node, err error) {
	if !utf8.Valid(content) {
		return nil, &SyntaxError{Line: firstInvalidUTF8Line(content), Msg: "the bytes are not UTF-8 text", Fix: "save the file as UTF-8"}
	}
	// yaml.v3 has panicked on hostile input before; a pin edit runs inside
	// the controller, so a parser panic must become an error, not a crash.
	defer func() {
		if r := recover(); r != nil {
			docs, err = nil, &SyntaxError{Msg: fmt.Sprintf("the YAML parser failed: %v", r), Fix: "simplify the file or report this file to the Slipway maintainers"}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(content))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, syntaxError(err)
		}
		docs = append(docs, &doc)
	}
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError turns a yaml.v3 error string into a *SyntaxError, lifting the
// line number out of the "yaml: line N: msg" form when there is one.
func syntaxError(err error) *SyntaxError {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &SyntaxError{Line: line, Msg: m[2]}
	}
	if len(msg) > 6 && msg[:6] == "yaml: " {
		msg = msg[6:]
	}
	return &SyntaxError{Msg: msg}
}

func firstInvalidUTF8Line(b []byte) int {
	line := 1
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			return line
		}
		if r == '\n' {
			line++
		}
		b = b[size:]
	}
	return line
}

// offsetOf converts a yaml.v3 position (1-based line, 1-based column counted
// in characters, not bytes) to a byte offset into src. Line breaks are
// counted the way yaml.v3 counts them: CRLF, CR, LF, NEL, LS and PS each end
// a line, and a leading byte order mark takes no column.
func offsetOf(src []byte, line, column int) (int, bool) {
	if line < 1 || column < 1 {
		return 0, false
	}
	off := 0
	if bytes.HasPrefix(src, []byte("\ufeff")) {
		off = 3
	}
	for l := 1; l < line; l++ {
		next, ok := nextLine(src, off)
		if !ok {
			return 0, false
		}
		off = next
	}
	for c := 1; c < column; c++ {
		if off >= len(src) || breakLen(src, off) > 0 {
			return 0, false
		}
		_, size := utf8.DecodeRune(src[off:])
		off += size
	}
	return off, true
}

// nextLine returns the offset just past the line break that ends the line
// containing off.
func nextLine(src []byte, off int) (int, bool) {
	for off < len(src) {
		if n := breakLen(src, off); n > 0 {
			return off + n, true
		}
		_, size := utf8.DecodeRune(src[off:])
		off += size
	}
	return 0, false
}

// breakLen returns the byte length of the line break at off, or 0.
func breakLen(src []byte, off int) int {
	switch {
	case src[off] == '\n':
		return 1
	case src[off] == '\r':
		if off+1 < len(src) && src[off+1] == '\n' {
			return 2
		}
		return 1
	case bytes.HasPrefix(src[off:], []byte("\u0085")):
		return 2
	case bytes.HasPrefix(src[off:], []byte("\u2028")), bytes.HasPrefix(src[off:], []byte("\u2029")):
		return 3
	}
	return 0
}
