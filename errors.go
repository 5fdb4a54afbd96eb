// Package slipway holds Slipway's domain: builds, releases, promotions, gates,
// holds and audit entries, and the interfaces the engine needs from adapters.
// Adapters (sqlite, git, oci, forge, …) import this package, never the reverse.
package slipway

import (
	"errors"
	"fmt"
)

// Error codes, in the spirit of the errors users can act on.
const (
	EINVALID   = "invalid"   // the input is wrong; the message says how to fix it
	ENOTFOUND  = "not_found" // the thing named does not exist
	ECONFLICT  = "conflict"  // the request contradicts the current state
	EFORBIDDEN = "forbidden" // the caller may not do this
	EINTERNAL  = "internal"  // a bug or an environment failure
)

// Error is an error with a code a caller can branch on and a message a person
// can act on.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, or EINTERNAL for errors that carry none.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return EINTERNAL
}
