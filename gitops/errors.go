package gitops

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors, matched with errors.Is, that classify a *PathError.
var (
	// ErrNotFound: a key, index or selector of the path has no match.
	ErrNotFound = errors.New("not found")
	// ErrAmbiguous: a key, selector or path without a document selector
	// matches more than one node, so an edit would be a guess.
	ErrAmbiguous = errors.New("ambiguous")
	// ErrNotScalar: the path ends on a mapping or a sequence.
	ErrNotScalar = errors.New("not a scalar")
	// ErrAlias: the path crosses or ends on an alias (*name), or ends on an
	// anchored value (&name); editing it would also change every other
	// place that shares it.
	ErrAlias = errors.New("alias")
	// ErrUnsupported: the target is a scalar Slipway does not rewrite in
	// place (block scalars, multi-line plain scalars, odd layouts).
	ErrUnsupported = errors.New("unsupported scalar")
	// ErrInvalidValue: the value to write is not acceptable (not a digest in
	// digest mode, not valid UTF-8, ...).
	ErrInvalidValue = errors.New("invalid value")
)

// PathError reports why a pin path could not be read or written in a file.
// Callers that know the file name set File before showing the error, so the
// message points at the exact place to fix.
type PathError struct {
	// File is the file the content came from; empty until a caller sets it.
	File string
	// Path is the pin path, in the canonical form of Path.String.
	Path string
	// Found is the longest prefix of Path that exists ("" if not even the
	// first step matched).
	Found string
	// Line is the 1-based line of the node Found names, or of the offending
	// node; 0 if unknown.
	Line int
	// Err classifies the failure: ErrNotFound, ErrAmbiguous, ErrNotScalar,
	// ErrAlias, ErrUnsupported or ErrInvalidValue.
	Err error
	// Detail says what went wrong and what to do about it.
	Detail string
}

func (e *PathError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "pin path %s: %v", e.Path, e.Err)
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	return b.String()
}

func (e *PathError) Unwrap() error { return e.Err }

// SyntaxError reports content that is not YAML (or not UTF-8) and so cannot
// hold a pin.
type SyntaxError struct {
	// File is the file the content came from; empty until a caller sets it.
	File string
	// Line is the 1-based line yaml.v3 complained about; 0 if it did not
	// say. The parser names where the broken construct starts, which may
	// be a line or two before the typo.
	Line int
	// Msg is the parser's message without its "yaml: line N:" prefix.
	Msg string
	// Fix says what to do; empty means the generic advice.
	Fix string
}

func (e *SyntaxError) Error() string {
	where := "content"
	if e.File != "" {
		where = e.File
	}
	fix := e.Fix
	if fix == "" {
		fix = "check the indentation and quoting there"
	}
	if e.Line > 0 {
		return fmt.Sprintf("%s is not valid YAML near line %d: %s; %s", where, e.Line, e.Msg, fix)
	}
	return fmt.Sprintf("%s is not valid YAML: %s; %s", where, e.Msg, fix)
}

// SetFile records the file name on the errors this package returns, so
// callers can say where a problem is with one call:
//
//	out, _, err := gitops.Set(b, path, v)
//	err = gitops.SetFile(err, "envs/prod/api/values.yaml")
//
// Other errors are returned unchanged.
func SetFile(err error, file string) error {
	var pe *PathError
	if errors.As(err, &pe) {
		pe.File = file
	}
	var se *SyntaxError
	if errors.As(err, &se) {
		se.File = file
	}
	return err
}
