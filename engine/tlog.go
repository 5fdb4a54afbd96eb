package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/tlog"
)

// AuditLog is the transparency log every audit entry is also appended to:
// *tlog.Log, opened by the wiring (package app) under the state directory.
// The engine never opens it.
type AuditLog interface {
	// Dir is the log's directory, for offline verification (tlog.Verify).
	Dir() string
	// Append records a leaf and returns its index once a signed checkpoint
	// covers it; a leaf already in the log returns its existing index.
	Append(ctx context.Context, leaf tlog.Leaf) (uint64, error)
	// Find returns the index of a leaf already in the log.
	Find(ctx context.Context, leaf tlog.Leaf) (uint64, bool, error)
	Close() error
}

// loggedAudit is the store's audit chain with every appended entry also
// appended to the transparency log, after the entry: the entry fixes the
// leaf's content (time included), so a retry rebuilds the identical leaf
// and the log deduplicates it. Wrapping the store (rather than each call
// site) puts every kind of entry in the log: promoted, aborted,
// rolled-back, override, hold-released.
type loggedAudit struct {
	slipway.AuditStore
	e *Engine
}

func (a loggedAudit) AppendAudit(ctx context.Context, x *slipway.AuditEntry) error {
	if err := a.AuditStore.AppendAudit(ctx, x); err != nil || !inLog(x) {
		return err
	}
	_, err := a.e.logEntry(ctx, x)
	return err
}

// inLog reports whether an audit entry has a transparency-log leaf: every
// change a promotion made, or a person decided about one (a leaf binds a
// promotion's digest, signature and pin commit). A platform release or an
// early removal names no promotion: the hash chain records them, and the
// platform manifest is signed and tagged in the GitOps repository.
func inLog(x *slipway.AuditEntry) bool {
	switch x.Kind {
	case "platform-release", "early-removal":
		return false
	}
	return true
}

// logEntry appends the leaf of a recorded audit entry (again: appending
// the same leaf twice returns its index) and returns its index.
func (e *Engine) logEntry(ctx context.Context, x *slipway.AuditEntry) (uint64, error) {
	if e.AuditLog == nil {
		return 0, nil
	}
	leaf, err := e.leafOf(ctx, x)
	if err == nil {
		var idx uint64
		if idx, err = e.AuditLog.Append(ctx, leaf); err == nil {
			e.emit("audit", fmt.Sprintf("leaf %d", idx), "transparency log leaf %d: %s %s/%s %s, pin %s", idx, leaf.Kind, leaf.Service, leaf.Env, digestShort(leaf.Digest), orNone(short(leaf.PinCommit)))
			return idx, nil
		}
	}
	return 0, fmt.Errorf("audit entry %d (%s %s %s) is recorded, but its transparency-log leaf is not: %w; retry the command, or run `slipway audit sync`", x.Seq, x.Kind, x.Service, x.PromotionID, err)
}

// LeafOf rebuilds the transparency-log leaf of an audit entry. It reads
// only what no longer changes once the entry is recorded — the entry, the
// build, the promotion's release and reviewed head, its analysis — so the
// leaf is the same whenever it is rebuilt.
func (e *Engine) LeafOf(ctx context.Context, x *slipway.AuditEntry) (tlog.Leaf, error) {
	return e.leafOf(ctx, x)
}

func (e *Engine) leafOf(ctx context.Context, x *slipway.AuditEntry) (tlog.Leaf, error) {
	leaf := tlog.Leaf{
		Kind: x.Kind, Service: x.Service, Env: x.Env, PromotionID: x.PromotionID, Digest: x.Digest,
		PinCommit: x.PinCommit, PR: int64(x.PR), Approvers: sortedUnique(x.Approvers),
		Reason: leafText(x.Verdict, 4096), Time: x.At,
	}
	p, err := e.promotionOf(ctx, x)
	if err != nil {
		return leaf, err
	}
	leaf.PromotionID = p.ID
	if leaf.Env == "" {
		leaf.Env = p.Env // a hold is per digest: its release names where it was held
	}
	if isReleaseTag(p.Release) {
		leaf.Release = p.Release
	}
	if leaf.PR != 0 && git40(p.Head) {
		leaf.PRHead = p.Head
	}
	b, err := e.Store.Builds.Build(ctx, p.BuildID)
	if err != nil {
		return leaf, fmt.Errorf("build %s of %s: %w", p.BuildID, p.ID, err)
	}
	leaf.Signer = leafText(b.KeyID, 1024)
	if slipway.ValidDigest(b.SignatureDigest) {
		leaf.SignatureDigest = b.SignatureDigest
	}
	leaf.Rekor = rekorEntry(b.RekorEntry)
	leaf.Verdict, leaf.Measurements, err = e.analysisOf(ctx, p.ID)
	return leaf, err
}

// promotionOf finds the promotion an entry records. A hold-released entry
// names none: its promotion is the newest abort or rollback that held the
// digest.
func (e *Engine) promotionOf(ctx context.Context, x *slipway.AuditEntry) (*slipway.Promotion, error) {
	if x.PromotionID != "" {
		p, err := e.Store.Promotions.Promotion(ctx, x.PromotionID)
		if err != nil {
			return nil, fmt.Errorf("promotion %s of audit entry %d: %w", x.PromotionID, x.Seq, err)
		}
		return p, nil
	}
	ps, err := e.Store.Promotions.Promotions(ctx, slipway.PromotionFilter{Service: x.Service, Digest: x.Digest})
	if err != nil {
		return nil, err
	}
	for i := len(ps) - 1; i >= 0; i-- {
		if ps[i].State == slipway.StateAborted || ps[i].State == slipway.StateRolledBack {
			return ps[i], nil
		}
	}
	return nil, fmt.Errorf("audit entry %d (%s of %s %s): no aborted or rolled-back promotion held that digest", x.Seq, x.Kind, x.Service, digestShort(x.Digest))
}

// verdicts are the analysis phases that decide; a leaf records the last
// one a promotion's analysis reached.
var verdicts = []string{"Successful", "Failed", "Inconclusive", "Error"}

// analysisOf returns the verdict of a promotion's analysis and the
// SHA-256 of its measurements (MeasurementsDigest); empty when none ran.
func (e *Engine) analysisOf(ctx context.Context, promotionID string) (string, string, error) {
	runs, err := e.Store.Analysis.AnalysisRuns(ctx, promotionID)
	if err != nil || len(runs) == 0 {
		return "", "", err
	}
	verdict := ""
	ms := make([][]slipway.Measurement, len(runs))
	for i, r := range runs {
		if slices.Contains(verdicts, r.Phase) {
			verdict = r.Phase
		}
		if ms[i], err = e.Store.Analysis.Measurements(ctx, r.ID); err != nil {
			return "", "", err
		}
	}
	return verdict, MeasurementsDigest(runs, ms), nil
}

// MeasurementsDigest is "sha256:<hex>" of a promotion's analysis, encoded
// canonically: the runs in order (phase, message), each with its
// measurements sorted by time, metric, value, phase and message, times in
// UTC to the microsecond (what every store keeps). The row order a store
// returns and its ids do not change it. measurements[i] belongs to runs[i].
func MeasurementsDigest(runs []slipway.AnalysisRun, measurements [][]slipway.Measurement) string {
	type m struct {
		At      string `json:"at"`
		Message string `json:"message"`
		Metric  string `json:"metric"`
		Phase   string `json:"phase"`
		Value   string `json:"value"`
	}
	type run struct {
		Measurements []m    `json:"measurements"`
		Message      string `json:"message"`
		Phase        string `json:"phase"`
	}
	doc := make([]run, len(runs))
	for i, r := range runs {
		doc[i] = run{Phase: r.Phase, Message: r.Message, Measurements: []m{}}
		for _, x := range measurements[i] {
			doc[i].Measurements = append(doc[i].Measurements, m{At: x.At.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano), Message: x.Message, Metric: x.Metric, Phase: x.Phase, Value: x.Value})
		}
		slices.SortFunc(doc[i].Measurements, func(a, b m) int {
			for _, c := range [][2]string{{a.At, b.At}, {a.Metric, b.Metric}, {a.Value, b.Value}, {a.Phase, b.Phase}, {a.Message, b.Message}} {
				if n := strings.Compare(c[0], c[1]); n != 0 {
					return n
				}
			}
			return 0
		})
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic(fmt.Sprintf("measurements encode: %v", err)) // strings only: cannot happen
	}
	sum := sha256.Sum256(append([]byte("slipway-measurements/v1\n"), b...))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// rekorEntry reads a build's Rekor entry ("<logIndex>:<leaf hash>", as
// intake records it); nil when there is none or it does not parse.
func rekorEntry(s string) *tlog.RekorEntry {
	i := strings.IndexByte(s, ':')
	if i < 0 {
		return nil
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	uuid := s[i+1:]
	if err != nil || n < 0 || n > 1<<53-1 || (len(uuid) != 64 && len(uuid) != 80) || strings.Trim(uuid, "0123456789abcdef") != "" {
		return nil
	}
	return &tlog.RekorEntry{LogIndex: n, UUID: uuid}
}

// leafText makes free text fit a leaf: one line, no control or format
// characters, at most max bytes.
func leafText(s string, max int) string {
	s = strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError {
			return ' '
		}
		return r
	}, s)), " ")
	for len(s) > max {
		_, n := utf8.DecodeLastRuneInString(s)
		s = strings.TrimSpace(s[:len(s)-n])
	}
	return s
}

func sortedUnique(xs []string) []string {
	out := slices.Clone(xs)
	slices.Sort(out)
	return slices.Compact(out)
}

func git40(s string) bool { return len(s) == 40 && strings.Trim(s, "0123456789abcdef") == "" }

// isReleaseTag: what a leaf's release holds (v1.2.3, or api/v1.2.3).
func isReleaseTag(tag string) bool {
	return tag != "" && (tlog.Leaf{Kind: "k", Service: "s", Env: "e", PromotionID: "p", Digest: "sha256:" + strings.Repeat("0", 64), Release: tag, Time: time.Unix(0, 0)}).Validate() == nil
}

// SyncAuditLog appends the leaf of every audit entry the transparency log
// lacks (an append interrupted by a crash or an error after its entry was
// recorded) and returns how many it appended.
func (e *Engine) SyncAuditLog(ctx context.Context) (int, error) {
	if e.AuditLog == nil {
		return 0, fmt.Errorf("no transparency log is open")
	}
	entries, err := e.Store.Audit.AuditEntries(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for i := range entries {
		if !inLog(&entries[i]) {
			continue
		}
		leaf, err := e.leafOf(ctx, &entries[i])
		if err != nil {
			return n, err
		}
		if _, ok, err := e.AuditLog.Find(ctx, leaf); err != nil {
			return n, err
		} else if ok {
			continue
		}
		if _, err := e.logEntry(ctx, &entries[i]); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
