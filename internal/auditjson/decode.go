// Package auditjson decodes the audit entries the stores keep as JSON
// text, fast: verifying 100,000 entries spent most of its store time in
// encoding/json's reflection.
package auditjson

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/slipway/slipway"
)

// Decode decodes body into e exactly as json.Unmarshal into a zero
// AuditEntry does. Bodies in the plain form json.Marshal writes (the
// fields by their exact names, each at most once, no white space, strings
// with at most simple escapes, integers in decimal) are read directly; anything else
// goes to json.Unmarshal itself, so an unusual body is never read
// differently, only more slowly. FuzzDecode checks the two agree.
func Decode(body string, e *slipway.AuditEntry) error {
	*e = slipway.AuditEntry{}
	if decodePlain(body, e) {
		return nil
	}
	*e = slipway.AuditEntry{}
	return json.Unmarshal([]byte(body), e)
}

// The fields, as bits of the set of those already read.
const (
	fSeq = 1 << iota
	fAt
	fKind
	fService
	fEnv
	fDigest
	fKeyID
	fPinCommit
	fPR
	fApprovers
	fVerdict
	fPromotionID
	fPrevHash
	fHash
)

var fields = map[string]int{
	"seq": fSeq, "at": fAt, "kind": fKind, "service": fService, "env": fEnv, "digest": fDigest,
	"keyId": fKeyID, "pinCommit": fPinCommit, "pr": fPR, "approvers": fApprovers, "verdict": fVerdict,
	"promotionId": fPromotionID, "prevHash": fPrevHash, "hash": fHash,
}

// decodePlain reads a body in the plain form into e; false when the body
// is not in it (e is then partly written).
func decodePlain(s string, e *slipway.AuditEntry) bool {
	p := plain{s: s}
	if !p.byte('{') {
		return false
	}
	if p.byte('}') {
		return p.i == len(s)
	}
	seen := 0
	for {
		key, ok := p.str()
		if !ok || !p.byte(':') {
			return false
		}
		f := fields[key]
		if f == 0 || seen&f != 0 {
			return false // unknown (json matches names without case), or repeated (the last wins)
		}
		seen |= f
		if !p.value(f, e) {
			return false
		}
		if p.byte('}') {
			return p.i == len(s)
		}
		if !p.byte(',') {
			return false
		}
	}
}

// plain reads the plain form from s at i.
type plain struct {
	s string
	i int
}

func (p *plain) byte(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a string without control characters or invalid UTF-8
// (json.Unmarshal would replace it), whose escapes, if any, are the
// simple ones json.Marshal writes (\" \\ \/ \b \f \n \r \t and \uXXXX
// outside the surrogates, as for "<" or "&").
func (p *plain) str() (string, bool) {
	if !p.byte('"') {
		return "", false
	}
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			v := p.s[start:p.i]
			p.i++
			return v, utf8.ValidString(v)
		case c == '\\':
			return p.escaped(start)
		case c < 0x20:
			return "", false
		}
		p.i++
	}
	return "", false
}

// escaped reads the rest of a string that has escapes, from p.i (the
// first backslash); start is where its content began.
func (p *plain) escaped(start int) (string, bool) {
	b := []byte(p.s[start:p.i])
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return string(b), utf8.Valid(b)
		case c < 0x20:
			return "", false
		case c != '\\':
			b = append(b, c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.s) {
			return "", false
		}
		if r := simpleEscape[p.s[p.i+1]]; r != 0 {
			b = append(b, r)
			p.i += 2
			continue
		}
		if p.s[p.i+1] != 'u' || p.i+6 > len(p.s) {
			return "", false
		}
		r, err := strconv.ParseUint(p.s[p.i+2:p.i+6], 16, 16)
		if err != nil || r >= 0xd800 && r < 0xe000 {
			return "", false // a surrogate (half of a pair, or alone): json.Unmarshal's rules
		}
		b = utf8.AppendRune(b, rune(r))
		p.i += 6
	}
	return "", false
}

var simpleEscape = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// int reads a JSON integer: -?(0|[1-9][0-9]*), no fraction or exponent.
func (p *plain) int(bits int) (int64, bool) {
	start := p.i
	p.byte('-')
	digits := p.i
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	n := p.i - digits
	if n == 0 || n > 1 && p.s[digits] == '0' || p.i < len(p.s) && strings.IndexByte(".eE", p.s[p.i]) >= 0 {
		return 0, false
	}
	v, err := strconv.ParseInt(p.s[start:p.i], 10, bits)
	return v, err == nil
}

func (p *plain) value(f int, e *slipway.AuditEntry) bool {
	var ok bool
	switch f {
	case fSeq:
		e.Seq, ok = p.int(64)
	case fPR:
		var v int64
		v, ok = p.int(strconv.IntSize)
		e.PR = int(v)
	case fAt:
		var v string
		if v, ok = p.str(); ok {
			ok = e.At.UnmarshalJSON([]byte(`"`+v+`"`)) == nil // what json.Unmarshal calls
		}
	case fApprovers:
		e.Approvers, ok = p.strings()
	default:
		var v string
		v, ok = p.str()
		*stringField(f, e) = v
	}
	return ok
}

// strings reads null (nil) or an array of strings (never nil: [] is empty).
func (p *plain) strings() ([]string, bool) {
	if strings.HasPrefix(p.s[p.i:], "null") {
		p.i += len("null")
		return nil, true
	}
	if !p.byte('[') {
		return nil, false
	}
	out := []string{}
	if p.byte(']') {
		return out, true
	}
	for {
		v, ok := p.str()
		if !ok {
			return nil, false
		}
		out = append(out, v)
		if p.byte(']') {
			return out, true
		}
		if !p.byte(',') {
			return nil, false
		}
	}
}

func stringField(f int, e *slipway.AuditEntry) *string {
	switch f {
	case fKind:
		return &e.Kind
	case fService:
		return &e.Service
	case fEnv:
		return &e.Env
	case fDigest:
		return &e.Digest
	case fKeyID:
		return &e.KeyID
	case fPinCommit:
		return &e.PinCommit
	case fVerdict:
		return &e.Verdict
	case fPromotionID:
		return &e.PromotionID
	case fPrevHash:
		return &e.PrevHash
	default: // fHash
		return &e.Hash
	}
}
