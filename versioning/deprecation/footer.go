// Package deprecation is the API policy of a component: what it has
// deprecated (from `Deprecated:` commit footers), kept in a register in the
// application repository (deprecations.yaml), and when a deprecated thing
// may be removed (the deprecation window).
//
// The footer syntax is
//
//	Deprecated: <what>[; remove after <x.y.z | YYYY-MM-DD>]
//	Removes: <id or what>
//
// The token is case-insensitive (DEPRECATED: works); a multi-line value is
// folded into one line. Only the last ";" clause is read, and only when it
// starts with "remove after": a semicolon elsewhere is part of <what>.
package deprecation

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/Masterminds/semver/v3"
)

// FooterToken and RemovesToken are the footers this package reads.
const (
	FooterToken  = "Deprecated"
	RemovesToken = "Removes"
)

// Notice is what one `Deprecated:` footer says.
type Notice struct {
	// What is deprecated, as written (whitespace folded).
	What string `json:"what"`
	// RemoveAfter is the promise made to users: a version (x.y.z, the
	// thing stays through it) or a date (YYYY-MM-DD, it stays through that
	// day); "" when the footer names none.
	RemoveAfter string `json:"removeAfter,omitempty"`
}

// ParseFooter reads the value of a `Deprecated:` footer. It never loses
// the footer: on an error the returned Notice still holds the whole text as
// What (without a promise), so a release can record it and say what was
// wrong.
func ParseFooter(value string) (Notice, error) {
	text, ctrl := fold(value)
	var err error
	if len(text) > maxWhat {
		// The register lives in the repository; a pushed commit must not
		// be able to grow it past what a release can read back.
		cut := maxWhat
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut] + "…"
		err = fmt.Errorf("Deprecated: footer is over %d bytes; it was cut: say briefly what is deprecated and link the details", maxWhat)
	}
	n := Notice{What: text}
	if text == "" {
		return n, fmt.Errorf("Deprecated: footer is empty: write what is deprecated, e.g. `Deprecated: the /v1/orders endpoint; remove after 2.0.0`")
	}
	if ctrl {
		err = fmt.Errorf("Deprecated: footer %q holds control characters; they were dropped", text)
	}
	i := strings.LastIndexByte(text, ';')
	if i < 0 {
		return n, err
	}
	clause := strings.TrimSpace(text[i+1:])
	const phrase = "remove after"
	if len(clause) < len(phrase) || !strings.EqualFold(clause[:len(phrase)], phrase) {
		return n, err // a semicolon inside the description
	}
	what := strings.TrimSpace(text[:i])
	when := strings.TrimSuffix(strings.TrimSpace(clause[len(phrase):]), ".")
	if what == "" {
		return n, fmt.Errorf("Deprecated: footer %q says when but not what: write `Deprecated: <what>; remove after %s`", text, when)
	}
	promise, perr := ParseWhen(when)
	if perr != nil {
		return n, fmt.Errorf("Deprecated: footer %q: %v", text, perr)
	}
	return Notice{What: what, RemoveAfter: promise}, err
}

// String is the canonical footer value of n (ParseFooter reads it back).
func (n Notice) String() string {
	if n.RemoveAfter == "" {
		return n.What
	}
	return n.What + "; remove after " + n.RemoveAfter
}

// ParseWhen reads the <when> of "remove after <when>": a SemVer version
// (a leading v is dropped) or a calendar date YYYY-MM-DD.
func ParseWhen(s string) (string, error) {
	s = strings.TrimSpace(s)
	if d, err := time.Parse(time.DateOnly, s); err == nil && d.Format(time.DateOnly) == s {
		return s, nil
	}
	if v, err := semver.StrictNewVersion(strings.TrimPrefix(s, "v")); err == nil {
		return v.String(), nil
	}
	return "", fmt.Errorf("%q after \"remove after\" is neither a version (x.y.z, e.g. 2.0.0) nor a date (YYYY-MM-DD, e.g. 2027-03-01)", s)
}

// fold joins every run of whitespace into one space and drops control
// characters (reporting that it did).
func fold(s string) (string, bool) {
	ctrl := false
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && !unicode.IsSpace(r) {
			ctrl = true
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " "), ctrl
}

// maxWhat bounds the text of a footer.
const maxWhat = 500

// maxID bounds an id's length; ids are cut at a dash.
const maxID = 64

// ID is the register id of a deprecated thing: its text in lower case,
// ASCII letters and digits kept, everything else folded into single
// dashes ("the /v1/orders endpoint" → "the-v1-orders-endpoint"). Text
// without a letter or digit gets "deprecation-" and a hash.
func ID(what string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(what) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	id := b.String()
	if len(id) > maxID {
		id = id[:maxID]
		if i := strings.LastIndexByte(id, '-'); i > 0 {
			id = id[:i]
		}
		id = strings.TrimRight(id, "-")
	}
	if id == "" {
		sum := sha256.Sum256([]byte(what))
		return "deprecation-" + hex.EncodeToString(sum[:4])
	}
	return id
}

// ParseRemoves reads a `Removes:` footer: the id or the text of a
// deprecated thing, whitespace folded.
func ParseRemoves(value string) string {
	s, _ := fold(value)
	return s
}
