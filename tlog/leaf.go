package tlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// LeafVersion is the version of the leaf encoding this package writes and
// reads. A change to the fields or their meaning is a new version.
const LeafVersion = 1

var leafVersionText = strconv.Itoa(LeafVersion)

// Kinds of production change Slipway records. Kind is a token so the engine
// may add kinds without a new leaf version; these are the ones it writes.
const (
	KindPromoted   = "promoted"    // a canary passed and the digest became stable
	KindAborted    = "aborted"     // the canary failed and the pin was reverted
	KindRolledBack = "rolled-back" // a person rolled a stable release back
	KindOverride   = "override"    // a person broke glass past a gate
)

// maxLeafBytes is Tessera's entry size limit (a 2-byte length prefix in
// entry bundles).
const maxLeafBytes = 1<<16 - 1

// Leaf is one production change, as the transparency log binds it. Its
// encoding (Marshal) is canonical: one leaf has exactly one byte string, so
// the log's leaf hash commits to every field below.
type Leaf struct {
	Kind        string // what happened: KindPromoted, KindAborted, … (a lowercase token)
	Service     string // the service, as named in slipway.yaml
	Env         string // the environment changed (prod, usually)
	PromotionID string // the promotion the change belongs to, as the store names it
	Release     string // the release tag (v1.2.3 or svc/v1.2.3), when promoted by release; optional

	Digest          string      // sha256:<hex> of the image manifest or index that runs
	Signer          string      // who signed it: a key id (hex SHA-256 of the SPKI) or a keyless identity; optional
	SignatureDigest string      // sha256:<hex> of the signature object verified at intake; optional
	Rekor           *RekorEntry // the signature's Rekor entry, when there is one; optional

	PinCommit string   // the GitOps commit that made Git match what runs (the revert, for aborts)
	PR        int64    // the pull request that carried the pin; 0 when pushed directly
	PRHead    string   // the head commit of that pull request that was reviewed and merged
	Approvers []string // who approved the digest, sorted, no duplicates

	Verdict      string // analysis verdict (Successful, Failed, Inconclusive, Error), empty when none ran
	Measurements string // sha256:<hex> of the analysis measurements as stored; optional
	Reason       string // a person's or the engine's reason, free text; optional

	Time time.Time // when the change happened; encoded in UTC
}

// RekorEntry names a Rekor v1 log entry.
type RekorEntry struct {
	LogIndex int64  // the entry's (virtual) log index
	UUID     string // 64 hex (leaf hash) or 80 hex (tree id + leaf hash)
}

// wireLeaf is the JSON form. Fields are declared in lexicographic order of
// their names and contents are restricted (see checkText) so that Go's
// encoding is also the RFC 8785 (JCS) canonical form: a verifier in any
// language can recompute the bytes.
type wireLeaf struct {
	Approvers    []string   `json:"approvers,omitempty"`
	Digest       string     `json:"digest"`
	Env          string     `json:"env"`
	Kind         string     `json:"kind"`
	Measurements string     `json:"measurements,omitempty"`
	PinCommit    string     `json:"pinCommit,omitempty"`
	PR           int64      `json:"pr,omitempty"`
	PRHead       string     `json:"prHead,omitempty"`
	Promotion    string     `json:"promotion"`
	Reason       string     `json:"reason,omitempty"`
	Rekor        *wireRekor `json:"rekor,omitempty"`
	Release      string     `json:"release,omitempty"`
	Service      string     `json:"service"`
	Signature    string     `json:"signature,omitempty"`
	Signer       string     `json:"signer,omitempty"`
	Time         string     `json:"time"`
	V            int        `json:"v"`
	Verdict      string     `json:"verdict,omitempty"`
}

type wireRekor struct {
	LogIndex int64  `json:"logIndex"`
	UUID     string `json:"uuid"`
}

// maxJSONInt is the largest integer RFC 8785 numbers carry exactly.
const maxJSONInt = 1<<53 - 1

// Validate reports the first field that cannot be recorded, naming it and
// the expected form. (Hand-written checks, not regexps: Verify validates
// every leaf of the log.)
func (l Leaf) Validate() error {
	type rule struct {
		field, value string
		optional     bool
		ok           func(string) bool
		want         string
	}
	for _, r := range []rule{
		{"kind", l.Kind, false, isKind, "a lowercase token such as promoted, aborted, rolled-back, override"},
		{"service", l.Service, false, isName, "a service name (lowercase letters, digits, '-')"},
		{"env", l.Env, false, isName, "an environment name (lowercase letters, digits, '-')"},
		{"promotion", l.PromotionID, false, isPromotionID, "a promotion id such as p-7"},
		{"release", l.Release, true, isRelease, "a release tag such as v1.2.3 or api/v1.2.3"},
		{"digest", l.Digest, false, isSHA256, "sha256:<64 lowercase hex>"},
		{"signature", l.SignatureDigest, true, isSHA256, "sha256:<64 lowercase hex>"},
		{"pinCommit", l.PinCommit, true, isCommit, "a full lowercase commit SHA"},
		{"prHead", l.PRHead, true, isCommit, "a full lowercase commit SHA"},
		{"verdict", l.Verdict, true, isVerdict, "an analysis phase such as Successful, Failed, Inconclusive, Error"},
		{"measurements", l.Measurements, true, isSHA256, "sha256:<64 lowercase hex>"},
	} {
		if (r.value != "" || !r.optional) && !r.ok(r.value) {
			return fmt.Errorf("leaf %s %q: want %s", r.field, r.value, r.want)
		}
	}
	if err := checkText("signer", l.Signer, 1024); err != nil {
		return err
	}
	if err := checkText("reason", l.Reason, 4096); err != nil {
		return err
	}
	if l.PR < 0 || l.PR > maxJSONInt {
		return fmt.Errorf("leaf pr %d: want a pull request number (0 when none)", l.PR)
	}
	if l.PRHead != "" && l.PR == 0 {
		return errors.New("leaf prHead set without pr: give the pull request number too")
	}
	if r := l.Rekor; r != nil {
		if r.LogIndex < 0 || r.LogIndex > maxJSONInt {
			return fmt.Errorf("leaf rekor.logIndex %d: want a log index ≥ 0", r.LogIndex)
		}
		if !isHex(r.UUID, 64) && !isHex(r.UUID, 80) {
			return fmt.Errorf("leaf rekor.uuid %q: want 64 or 80 lowercase hex", r.UUID)
		}
	}
	for i, a := range l.Approvers {
		if a == "" {
			return fmt.Errorf("leaf approvers[%d] is empty", i)
		}
		if err := checkText("approvers", a, 256); err != nil {
			return fmt.Errorf("%w (approvers[%d])", err, i)
		}
		if i > 0 && l.Approvers[i-1] == a {
			return fmt.Errorf("leaf approvers: %q listed twice", a)
		}
	}
	if l.Time.IsZero() {
		return errors.New("leaf time is not set")
	}
	if y := l.Time.UTC().Year(); y < 1970 || y > 9999 {
		return fmt.Errorf("leaf time %s: year out of range", l.Time.UTC().Format(time.RFC3339))
	}
	return nil
}

func isDigit(c byte) bool      { return '0' <= c && c <= '9' }
func isLower(c byte) bool      { return 'a' <= c && c <= 'z' }
func isUpper(c byte) bool      { return 'A' <= c && c <= 'Z' }
func isLowerHex(c byte) bool   { return isDigit(c) || 'a' <= c && c <= 'f' }
func isLowerAlnum(c byte) bool { return isDigit(c) || isLower(c) }
func isAlnum(c byte) bool      { return isLowerAlnum(c) || isUpper(c) }

// isToken: 1 to max bytes, the first from first, the others from rest.
func isToken(s string, max int, first, rest func(byte) bool) bool {
	if len(s) == 0 || len(s) > max || !first(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !rest(s[i]) {
			return false
		}
	}
	return true
}

func isHex(s string, n int) bool { return len(s) == n && isToken(s, n, isLowerHex, isLowerHex) }

func isSHA256(s string) bool { return strings.HasPrefix(s, "sha256:") && isHex(s[7:], 64) }

func isCommit(s string) bool { return isHex(s, 40) || isHex(s, 64) }

func isKind(s string) bool {
	return isToken(s, 32, isLower, func(c byte) bool { return isLowerAlnum(c) || c == '-' })
}

// isName is config's service and environment rule: a DNS label.
func isName(s string) bool {
	return isToken(s, 63, isLowerAlnum, func(c byte) bool { return isLowerAlnum(c) || c == '-' }) && s[len(s)-1] != '-'
}

func isPromotionID(s string) bool {
	return isToken(s, 128, isAlnum, func(c byte) bool { return isAlnum(c) || strings.IndexByte("._:-", c) >= 0 })
}

func isVerdict(s string) bool {
	return isToken(s, 32, isUpper, func(c byte) bool { return isUpper(c) || isLower(c) })
}

// isRelease: v1.2.3, or <component>/v1.2.3 for monorepo tags.
func isRelease(s string) bool {
	if i := strings.IndexByte(s, '/'); i >= 0 {
		if !isToken(s[:i], 63, isLowerAlnum, func(c byte) bool { return isLowerAlnum(c) || c == '-' }) {
			return false
		}
		s = s[i+1:]
	}
	return len(s) >= 2 && s[0] == 'v' && isToken(s[1:], 80, isAlnum, func(c byte) bool { return isAlnum(c) || strings.IndexByte(".+-", c) >= 0 })
}

// checkText refuses text that does not print as itself: invalid UTF-8,
// control and format characters (bidi overrides could make a terminal show
// another name), line separators, and leading or trailing space. Keeping
// to printable text is also what makes Go's JSON escaping equal RFC 8785's.
func checkText(field, s string, max int) error {
	if len(s) > max {
		return fmt.Errorf("leaf %s: %d bytes, at most %d", field, len(s), max)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("leaf %s: not valid UTF-8", field)
	}
	if strings.TrimSpace(s) != s {
		return fmt.Errorf("leaf %s %q: leading or trailing space", field, s)
	}
	for _, r := range s {
		if r < utf8.RuneSelf {
			if r < 0x20 || r == 0x7f {
				return fmt.Errorf("leaf %s %q: control character %U", field, s, r)
			}
			continue
		}
		if unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r) {
			return fmt.Errorf("leaf %s %q: control or format character %U", field, s, r)
		}
	}
	return nil
}

// Marshal returns the canonical encoding of l: JSON with the keys in
// lexicographic order, no spaces, empty optional fields left out, approvers
// sorted and the time in UTC (RFC 3339, nanoseconds without trailing
// zeros). It is RFC 8785 canonical JSON. It refuses a leaf Validate refuses.
func (l Leaf) Marshal() ([]byte, error) {
	l.Approvers = slices.Clone(l.Approvers)
	slices.Sort(l.Approvers)
	if err := l.Validate(); err != nil {
		return nil, err
	}
	w := wireLeaf{
		Approvers: l.Approvers, Digest: l.Digest, Env: l.Env, Kind: l.Kind,
		Measurements: l.Measurements, PinCommit: l.PinCommit, PR: l.PR, PRHead: l.PRHead,
		Promotion: l.PromotionID, Reason: l.Reason, Release: l.Release, Service: l.Service,
		Signature: l.SignatureDigest, Signer: l.Signer,
		Time: l.Time.UTC().Format(time.RFC3339Nano), V: LeafVersion, Verdict: l.Verdict,
	}
	if l.Rekor != nil {
		w.Rekor = &wireRekor{LogIndex: l.Rekor.LogIndex, UUID: l.Rekor.UUID}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // RFC 8785 escapes only '"', '\\' and control characters
	if err := enc.Encode(w); err != nil {
		return nil, fmt.Errorf("leaf encode: %w", err)
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if len(b) > maxLeafBytes {
		return nil, fmt.Errorf("leaf encodes to %d bytes, more than the log's limit of %d: shorten the reason", len(b), maxLeafBytes)
	}
	return b, nil
}

// ParseLeaf decodes one leaf. It accepts only the canonical encoding Marshal
// writes: unknown fields, a different version, duplicate keys, other key
// order, spacing or escaping are refused, so what was hashed into the log is
// exactly what is read back. It reads the canonical grammar directly (no
// reflection): Verify parses every leaf of the log.
func ParseLeaf(b []byte) (Leaf, error) {
	l, err := parseCanonical(b)
	if err != nil {
		return Leaf{}, explainVersion(b, err)
	}
	if err := l.Validate(); err != nil {
		return Leaf{}, err
	}
	if !slices.IsSorted(l.Approvers) {
		return Leaf{}, errors.New("leaf approvers are not sorted: not the canonical encoding")
	}
	if len(b) > maxLeafBytes {
		return Leaf{}, fmt.Errorf("leaf of %d bytes, more than %d", len(b), maxLeafBytes)
	}
	return l, nil
}

// explainVersion turns a grammar error on a leaf of another version into
// the advice to upgrade.
func explainVersion(b []byte, err error) error {
	var head struct {
		V json.RawMessage `json:"v"`
	}
	if json.Unmarshal(b, &head) != nil {
		return err
	}
	switch v := string(head.V); {
	case v == "":
		return fmt.Errorf("%w (and it has no version \"v\": it was not written by Slipway)", err)
	case v != fmt.Sprint(LeafVersion):
		return fmt.Errorf("leaf version %s: this Slipway reads version %d; upgrade Slipway to read it", v, LeafVersion)
	}
	return err
}

// leafField is one key of the canonical object, in encoding order.
type leafField struct {
	key      string
	required bool
	parse    func(*leafScanner, *Leaf) error
}

// leafKeyLits holds `"key":` for each of leafFields, made once.
var leafKeyLits = func() []string {
	out := make([]string, len(leafFields))
	for i, f := range leafFields {
		out[i] = `"` + f.key + `":`
	}
	return out
}()

// leafFields lists the keys of version 1 in the order Marshal writes them
// (lexicographic). Optional fields are absent when empty, so present ones
// must not be empty.
var leafFields = []leafField{
	{"approvers", false, func(s *leafScanner, l *Leaf) (err error) { l.Approvers, err = s.strings(); return }},
	{"digest", true, func(s *leafScanner, l *Leaf) (err error) { l.Digest, err = s.str(); return }},
	{"env", true, func(s *leafScanner, l *Leaf) (err error) { l.Env, err = s.str(); return }},
	{"kind", true, func(s *leafScanner, l *Leaf) (err error) { l.Kind, err = s.str(); return }},
	{"measurements", false, func(s *leafScanner, l *Leaf) (err error) { l.Measurements, err = s.nonEmpty(); return }},
	{"pinCommit", false, func(s *leafScanner, l *Leaf) (err error) { l.PinCommit, err = s.nonEmpty(); return }},
	{"pr", false, func(s *leafScanner, l *Leaf) (err error) {
		if l.PR, err = s.int(); err == nil && l.PR == 0 {
			err = errors.New("pr 0 is written by leaving pr out")
		}
		return
	}},
	{"prHead", false, func(s *leafScanner, l *Leaf) (err error) { l.PRHead, err = s.nonEmpty(); return }},
	{"promotion", true, func(s *leafScanner, l *Leaf) (err error) { l.PromotionID, err = s.str(); return }},
	{"reason", false, func(s *leafScanner, l *Leaf) (err error) { l.Reason, err = s.nonEmpty(); return }},
	{"rekor", false, func(s *leafScanner, l *Leaf) (err error) {
		r := &RekorEntry{}
		if !s.lit(`{"logIndex":`) {
			return s.fail(`want {"logIndex":…,"uuid":…}`)
		}
		if r.LogIndex, err = s.int(); err != nil {
			return err
		}
		if !s.lit(`,"uuid":`) {
			return s.fail(`want "uuid" after "logIndex"`)
		}
		if r.UUID, err = s.str(); err != nil {
			return err
		}
		if !s.lit("}") {
			return s.fail("want the end of rekor")
		}
		l.Rekor = r
		return nil
	}},
	{"release", false, func(s *leafScanner, l *Leaf) (err error) { l.Release, err = s.nonEmpty(); return }},
	{"service", true, func(s *leafScanner, l *Leaf) (err error) { l.Service, err = s.str(); return }},
	{"signature", false, func(s *leafScanner, l *Leaf) (err error) { l.SignatureDigest, err = s.nonEmpty(); return }},
	{"signer", false, func(s *leafScanner, l *Leaf) (err error) { l.Signer, err = s.nonEmpty(); return }},
	{"time", true, func(s *leafScanner, l *Leaf) error {
		v, err := s.str()
		if err != nil {
			return err
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil || t.UTC().Format(time.RFC3339Nano) != v {
			return fmt.Errorf("time %q: want RFC 3339 in UTC, nanoseconds without trailing zeros", v)
		}
		l.Time = t.UTC()
		return nil
	}},
	{"v", true, func(s *leafScanner, l *Leaf) error {
		if !s.lit(leafVersionText) || s.i < len(s.b) && isDigit(s.b[s.i]) {
			return s.fail(fmt.Sprintf("want version %d", LeafVersion))
		}
		return nil
	}},
	{"verdict", false, func(s *leafScanner, l *Leaf) (err error) { l.Verdict, err = s.nonEmpty(); return }},
}

func parseCanonical(b []byte) (Leaf, error) {
	var l Leaf
	s := &leafScanner{b: b, whole: string(b)}
	if !s.lit("{") {
		return l, s.fail("want a JSON object")
	}
	first := true
	for i, f := range leafFields {
		at := s.i
		if !first && !s.lit(",") || !s.lit(leafKeyLits[i]) {
			s.i = at
			if f.required {
				return l, s.fail(fmt.Sprintf("want field %q here (fields are in lexicographic order)", f.key))
			}
			continue
		}
		if err := f.parse(s, &l); err != nil {
			return l, fmt.Errorf("leaf %s: %w", f.key, err)
		}
		first = false
	}
	if !s.lit("}") {
		if s.i < len(s.b) && s.b[s.i] == ',' {
			return l, s.fail("unknown, repeated or misplaced field")
		}
		return l, s.fail("want the end of the object")
	}
	if s.i != len(b) {
		return l, s.fail("data after the JSON object")
	}
	return l, nil
}

// leafScanner reads the canonical JSON grammar: no spaces, strings with
// only \" and \\ escaped (the leaf's text holds no control characters),
// integers without sign, fraction or leading zeros.
type leafScanner struct {
	b     []byte
	whole string // b as one string: values without escapes are substrings of it (one allocation a leaf)
	i     int
}

func (s *leafScanner) fail(msg string) error {
	return fmt.Errorf("leaf is not in canonical form at byte %d: %s", s.i, msg)
}

func (s *leafScanner) lit(x string) bool {
	if len(s.b)-s.i < len(x) || string(s.b[s.i:s.i+len(x)]) != x {
		return false
	}
	s.i += len(x)
	return true
}

func (s *leafScanner) str() (string, error) {
	if !s.lit(`"`) {
		return "", s.fail("want a string")
	}
	start := s.i
	var buf []byte // only when the string holds an escape
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			v := s.whole[start:s.i]
			if buf != nil {
				v = string(append(buf, s.b[start:s.i]...))
			}
			s.i++
			return v, nil
		case c == '\\':
			if s.i+1 >= len(s.b) || s.b[s.i+1] != '"' && s.b[s.i+1] != '\\' {
				return "", s.fail(`only \" and \\ are escaped in canonical form`)
			}
			buf = append(append(buf, s.b[start:s.i]...), s.b[s.i+1])
			s.i += 2
			start = s.i
		case c < 0x20:
			return "", s.fail("control character in a string")
		case c < utf8.RuneSelf:
			s.i++
		default:
			r, n := utf8.DecodeRune(s.b[s.i:])
			if r == utf8.RuneError && n <= 1 {
				return "", s.fail("invalid UTF-8")
			}
			s.i += n
		}
	}
	return "", s.fail("unterminated string")
}

func (s *leafScanner) nonEmpty() (string, error) {
	v, err := s.str()
	if err == nil && v == "" {
		err = errors.New("empty value is written by leaving the field out")
	}
	return v, err
}

func (s *leafScanner) strings() ([]string, error) {
	if !s.lit("[") {
		return nil, s.fail("want an array")
	}
	var out []string
	for {
		v, err := s.str()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		if s.lit("]") {
			return out, nil
		}
		if !s.lit(",") {
			return nil, s.fail("want , or ]")
		}
	}
}

func (s *leafScanner) int() (int64, error) {
	start := s.i
	for s.i < len(s.b) && isDigit(s.b[s.i]) {
		s.i++
	}
	d := s.b[start:s.i]
	switch {
	case len(d) == 0:
		return 0, s.fail("want a non-negative integer")
	case len(d) > 1 && d[0] == '0':
		return 0, s.fail("leading zero")
	case len(d) > 16:
		return 0, s.fail("integer too large")
	}
	var n int64
	for _, c := range d {
		n = n*10 + int64(c-'0')
	}
	if n > maxJSONInt {
		return 0, s.fail("integer too large")
	}
	return n, nil
}
