package tlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// LeafVersion is the version of the leaf encoding this package writes and
// reads. A change to the fields or their meaning is a new version.
const LeafVersion = 1

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

var (
	kindRE      = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)
	nameRE      = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`) // config's service/env rule
	promotionRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`)
	releaseRE   = regexp.MustCompile(`^([a-z0-9][a-z0-9-]*/)?v[0-9A-Za-z.+-]{1,80}$`)
	sha256RE    = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	commitRE    = regexp.MustCompile(`^[0-9a-f]{40}([0-9a-f]{24})?$`)
	verdictRE   = regexp.MustCompile(`^[A-Z][A-Za-z]{0,31}$`)
	rekorUUIDRE = regexp.MustCompile(`^([0-9a-f]{16})?[0-9a-f]{64}$`)
)

// maxJSONInt is the largest integer RFC 8785 numbers carry exactly.
const maxJSONInt = 1<<53 - 1

// Validate reports the first field that cannot be recorded, naming it and
// the expected form.
func (l Leaf) Validate() error {
	req := func(field, v string, re *regexp.Regexp, want string) error {
		if !re.MatchString(v) {
			return fmt.Errorf("leaf %s %q: want %s", field, v, want)
		}
		return nil
	}
	opt := func(field, v string, re *regexp.Regexp, want string) error {
		if v == "" {
			return nil
		}
		return req(field, v, re, want)
	}
	for _, err := range []error{
		req("kind", l.Kind, kindRE, "a lowercase token such as promoted, aborted, rolled-back, override"),
		req("service", l.Service, nameRE, "a service name (lowercase letters, digits, '-')"),
		req("env", l.Env, nameRE, "an environment name (lowercase letters, digits, '-')"),
		req("promotion", l.PromotionID, promotionRE, "a promotion id such as p-7"),
		opt("release", l.Release, releaseRE, "a release tag such as v1.2.3 or api/v1.2.3"),
		req("digest", l.Digest, sha256RE, "sha256:<64 lowercase hex>"),
		opt("signature", l.SignatureDigest, sha256RE, "sha256:<64 lowercase hex>"),
		opt("pinCommit", l.PinCommit, commitRE, "a full lowercase commit SHA"),
		opt("prHead", l.PRHead, commitRE, "a full lowercase commit SHA"),
		opt("verdict", l.Verdict, verdictRE, "an analysis phase such as Successful, Failed, Inconclusive, Error"),
		opt("measurements", l.Measurements, sha256RE, "sha256:<64 lowercase hex>"),
		checkText("signer", l.Signer, 1024),
		checkText("reason", l.Reason, 4096),
	} {
		if err != nil {
			return err
		}
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
		if err := req("rekor.uuid", r.UUID, rekorUUIDRE, "64 or 80 lowercase hex"); err != nil {
			return err
		}
	}
	for i, a := range l.Approvers {
		if a == "" {
			return fmt.Errorf("leaf approvers[%d] is empty", i)
		}
		if err := checkText(fmt.Sprintf("approvers[%d]", i), a, 256); err != nil {
			return err
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
// exactly what is read back.
func ParseLeaf(b []byte) (Leaf, error) {
	var head struct {
		V json.RawMessage `json:"v"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return Leaf{}, fmt.Errorf("leaf is not a JSON object: %w", err)
	}
	if string(head.V) != fmt.Sprint(LeafVersion) {
		if len(head.V) == 0 {
			return Leaf{}, errors.New("leaf has no version (\"v\"): it was not written by Slipway")
		}
		return Leaf{}, fmt.Errorf("leaf version %s: this Slipway reads version %d; upgrade Slipway to read it", head.V, LeafVersion)
	}
	var w wireLeaf
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return Leaf{}, fmt.Errorf("leaf: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Leaf{}, errors.New("leaf: data after the JSON object")
	}
	t, err := time.Parse(time.RFC3339Nano, w.Time)
	if err != nil {
		return Leaf{}, fmt.Errorf("leaf time %q: want RFC 3339 in UTC", w.Time)
	}
	l := Leaf{
		Kind: w.Kind, Service: w.Service, Env: w.Env, PromotionID: w.Promotion, Release: w.Release,
		Digest: w.Digest, Signer: w.Signer, SignatureDigest: w.Signature,
		PinCommit: w.PinCommit, PR: w.PR, PRHead: w.PRHead, Approvers: w.Approvers,
		Verdict: w.Verdict, Measurements: w.Measurements, Reason: w.Reason, Time: t.UTC(),
	}
	if w.Rekor != nil {
		l.Rekor = &RekorEntry{LogIndex: w.Rekor.LogIndex, UUID: w.Rekor.UUID}
	}
	canon, err := l.Marshal()
	if err != nil {
		return Leaf{}, err
	}
	if !bytes.Equal(canon, b) {
		at := firstDiff(canon, b)
		return Leaf{}, fmt.Errorf("leaf is not in canonical form (differs at byte %d): it was not written by this encoding, or was altered", at)
	}
	return l, nil
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
