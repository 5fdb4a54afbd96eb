package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/tlog"
)

// VerifyLogOptions say what to trust beyond the log's directory (see
// tlog.VerifyOptions).
type VerifyLogOptions struct {
	PublicKey      string // the key `slipway audit key` printed when the log was trusted
	Checkpoint     []byte // a checkpoint saved earlier (`slipway audit checkpoint > FILE`)
	CheckpointName string // its file name, for messages
}

// LogReport is what VerifyLog proved.
type LogReport struct {
	tlog.Report
	ChainEntries int // audit entries whose hash chain verified
	PinCommits   int // pin commits checked against the GitOps remote
	Entries      int // audit entries matched with their leaves
	// FetchError is set when the remote could not be fetched: Git was
	// checked as the clone last saw it.
	FetchError error
}

// VerifyLog checks the audit chain in the store (VerifyAudit) and the
// transparency log offline (tlog.Verify: signed
// checkpoint, every leaf's inclusion, the tiles, consistency with a saved
// checkpoint) and then each leaf against Git and the store: its pin commit
// is on a branch of the GitOps remote and sets its digest (or, for an
// abort or rollback, reverts it), a merge brought in the pull-request head
// that was reviewed, its promotion is the stored one, and an audit entry
// records it;
// finally every audit entry must have its leaf. The error names the first
// bad leaf (a *tlog.VerifyError) or entry, and why.
//
// Git and the store are read while the tree is proven: the pin commits
// are checked with one walk of the first-parent lines of the remote's
// branches, most proven from their parent's trees by hash (claimChecker),
// and Git's claims are decided while the store is still read, so 100k
// leaves take seconds (bench/auditverify).
func (e *Engine) VerifyLog(ctx context.Context, o VerifyLogOptions) (*LogReport, error) {
	if e.AuditLog == nil {
		return nil, errors.New("no transparency log is open")
	}
	prod := e.Cfg.Environments[len(e.Cfg.Environments)-1].Name
	var (
		gitRead, storeRead sync.WaitGroup
		checker            *claimChecker
		gitErr             error
		fetchErr           error
		store              auditStore
		storeErr           error
	)
	gitRead.Go(func() {
		fetchErr = e.fresh(ctx, true)
		checker, gitErr = e.newClaimChecker(ctx, prod)
	})
	storeRead.Go(func() {
		if store, storeErr = e.readAuditStore(ctx, prod); storeErr == nil {
			storeErr = slipway.VerifyChain(store.entries)
		}
	})
	leaves := make([]tlog.Leaf, 0, checkpointSize(e.AuditLog.Dir()))
	rep, err := tlog.Verify(ctx, e.AuditLog.Dir(), tlog.VerifyOptions{
		PublicKey: o.PublicKey, Checkpoint: o.Checkpoint, CheckpointName: o.CheckpointName,
		OnLeaf: func(_ uint64, l tlog.Leaf) error { leaves = append(leaves, l); return nil },
	})
	gitRead.Wait()
	if err != nil || gitErr != nil {
		storeRead.Wait()
		switch {
		case storeErr != nil:
			return nil, storeErr
		case errors.Is(err, tlog.ErrNoLog) && len(store.entries) == 0:
			return &LogReport{}, nil // nothing recorded, nothing to prove
		case errors.Is(err, tlog.ErrNoLog):
			return nil, fmt.Errorf("the store holds %d audit entries but %s holds no transparency log: if they predate it, `slipway audit sync` logs them; otherwise the log was deleted (%w)", len(store.entries), e.AuditLog.Dir(), err)
		case err != nil:
			return nil, err
		}
		return nil, gitErr
	}
	claims, heads := make([]*PinClaim, len(leaves)), make([]string, len(leaves))
	pinCommits := 0
	for i, l := range leaves {
		if claims[i], heads[i] = claimOf(l); claims[i] != nil {
			pinCommits++
		}
	}
	// Git's answers do not wait for the store's, nor the store's for Git's.
	var gitResults []error
	var gitChecked sync.WaitGroup
	gitChecked.Go(func() { gitResults = checker.check(ctx, claims, heads) })
	storeRead.Wait()
	if storeErr != nil {
		gitChecked.Wait()
		return nil, storeErr
	}
	out := &LogReport{Report: *rep, ChainEntries: len(store.entries), FetchError: fetchErr, PinCommits: pinCommits}
	matched := make([]bool, len(store.entries))
	storeResults := make([]error, len(leaves))
	for i, l := range leaves {
		if storeResults[i] = store.check(ctx, e, l, matched); storeResults[i] != nil {
			break // the first bad leaf is reported; what follows does not matter
		}
	}
	gitChecked.Wait()
	for i, l := range leaves {
		err := storeResults[i]
		if err == nil {
			err = gitResults[i]
		}
		if errors.Is(err, errNotPrefetched) {
			err = e.CheckPinCommit(ctx, *claims[i]) // not production's, or off the first-parent lines: alone
		}
		if err != nil {
			return nil, &tlog.VerifyError{Problem: tlog.ErrLeafCheck, Leaf: int64(i), Err: fmt.Errorf("%s %s/%s %s: %w", l.Kind, l.Service, l.Env, l.PromotionID, err)}
		}
	}
	for i, ok := range matched {
		if !ok && inLog(&store.entries[i]) {
			x := store.entries[i]
			return nil, fmt.Errorf("audit entry %d (%s of %s %s, %s) has no leaf in the transparency log: the log lost it, or its append was interrupted; `slipway audit sync` appends it, when the store is right", x.Seq, x.Kind, x.Service, digestShort(x.Digest), x.At.Format(time.RFC3339))
		}
	}
	for i := range store.entries {
		if inLog(&store.entries[i]) {
			out.Entries++
		}
	}
	return out, nil
}

// checkpointSize is the size the log's checkpoint claims (unverified: a
// capacity hint), at most a million.
func checkpointSize(dir string) int {
	cp, err := tlog.ReadCheckpoint(dir)
	if err != nil {
		return 0
	}
	lines := strings.SplitN(string(cp), "\n", 3)
	if len(lines) < 2 {
		return 0
	}
	n, err := strconv.Atoi(lines[1])
	if err != nil || n < 0 {
		return 0
	}
	return min(n, 1<<20)
}

// claimOf is what a leaf says its pin commit did, and the reviewed head;
// nil when it names no pin commit (an override, a released hold).
func claimOf(l tlog.Leaf) (*PinClaim, string) {
	if l.PinCommit == "" {
		return nil, ""
	}
	c := &PinClaim{Service: l.Service, Env: l.Env, Commit: l.PinCommit, Digest: l.Digest, Sets: true}
	switch l.Kind {
	case tlog.KindAborted, tlog.KindRolledBack:
		c.Sets = false // the pin commit is the revert
		return c, ""
	}
	return c, l.PRHead
}

// auditStore is what the store says about the prod changes: its
// promotions and audit entries, read once.
type auditStore struct {
	promotions map[string]*slipway.Promotion
	entries    []slipway.AuditEntry
	byKey      map[string]int // leafKey → index in entries
}

// readAuditStore reads the audit entries and env's promotions (where the
// leaves are; another environment's promotion is read when a leaf names it).
func (e *Engine) readAuditStore(ctx context.Context, env string) (auditStore, error) {
	var s auditStore
	var entriesErr error
	var wg sync.WaitGroup
	wg.Go(func() { s.entries, entriesErr = e.Store.Audit.AuditEntries(ctx) })
	var err error
	if l, ok := e.auditedLister(); ok {
		var ps []slipway.Promotion
		ps, err = l.AuditedPromotions(ctx, env)
		s.promotions = make(map[string]*slipway.Promotion, len(ps))
		for i := range ps {
			s.promotions[ps[i].ID] = &ps[i]
		}
	} else {
		var ps []*slipway.Promotion
		ps, err = e.Store.Promotions.Promotions(ctx, slipway.PromotionFilter{Env: env})
		s.promotions = make(map[string]*slipway.Promotion, len(ps))
		for _, p := range ps {
			s.promotions[p.ID] = p
		}
	}
	wg.Wait()
	if err != nil {
		return s, err
	}
	if entriesErr != nil {
		return s, entriesErr
	}
	s.byKey = make(map[string]int, len(s.entries))
	for i, x := range s.entries {
		s.byKey[leafKey(x.Kind, x.Service, x.Digest, x.At)] = i
	}
	return s, nil
}

// auditedPromotionLister is a store that lists an environment's
// promotions with only what a leaf is checked against (ID, Service, Env,
// Digest, PinCommit, Revert), faster than Promotions: both stores do.
type auditedPromotionLister interface {
	AuditedPromotions(ctx context.Context, env string) ([]slipway.Promotion, error)
}

// auditedLister is the store's narrow promotion list, when it has one,
// under the engine's own wrapper (loggedAudit, which every engine with a
// transparency log puts around the store).
func (e *Engine) auditedLister() (auditedPromotionLister, bool) {
	a := e.Store.Audit
	if la, ok := a.(loggedAudit); ok {
		a = la.AuditStore
	}
	l, ok := a.(auditedPromotionLister)
	return l, ok
}

// leafKey pairs an audit entry with its leaf: the leaf's time is the entry's.
func leafKey(kind, service, digest string, at time.Time) string {
	return kind + "|" + service + "|" + digest + "|" + strconv.FormatInt(at.UnixNano(), 10)
}

// check compares a leaf with the store: its promotion exists and moved
// that digest there, and an audit entry records the same change.
func (s auditStore) check(ctx context.Context, e *Engine, l tlog.Leaf, matched []bool) error {
	p := s.promotions[l.PromotionID]
	if p == nil {
		var err error
		if p, err = e.Store.Promotions.Promotion(ctx, l.PromotionID); slipway.ErrorCode(err) == slipway.ENOTFOUND {
			return fmt.Errorf("promotion %s is not in the store", l.PromotionID)
		} else if err != nil {
			return err
		}
	}
	if p.Service != l.Service || p.Env != l.Env || p.Digest != l.Digest {
		return fmt.Errorf("the store's %s moved %s of %s to %s, the leaf says %s of %s to %s", p.ID, digestShort(p.Digest), p.Service, p.Env, digestShort(l.Digest), l.Service, l.Env)
	}
	i, ok := s.byKey[leafKey(l.Kind, l.Service, l.Digest, l.Time)]
	if !ok {
		return fmt.Errorf("no audit entry in the store records it (at %s): the store lost it, or was restored from an older copy", l.Time.Format(time.RFC3339Nano))
	}
	matched[i] = true
	x := s.entries[i]
	differ := func(field string, store, leaf any) error {
		return fmt.Errorf("audit entry %d and the leaf disagree on the %s: the store says %q, the log %q", x.Seq, field, fmt.Sprint(store), fmt.Sprint(leaf))
	}
	switch {
	case x.PromotionID != "" && x.PromotionID != l.PromotionID: // hold-released entries name no promotion or env
		return differ("promotion", x.PromotionID, l.PromotionID)
	case x.Env != "" && x.Env != l.Env:
		return differ("env", x.Env, l.Env)
	case x.PinCommit != l.PinCommit:
		return differ("pin commit", x.PinCommit, l.PinCommit)
	case int64(x.PR) != l.PR:
		return differ("pull request", x.PR, l.PR)
	case !slices.Equal(sortedUnique(x.Approvers), l.Approvers) && len(x.Approvers)+len(l.Approvers) > 0:
		return differ("approvers", sortedUnique(x.Approvers), l.Approvers)
	case x.KeyID != "" && leafText(x.KeyID, 1024) != l.Signer:
		return differ("signer", x.KeyID, l.Signer)
	}
	if l.Kind == tlog.KindPromoted && p.PinCommit != l.PinCommit || (l.Kind == tlog.KindAborted || l.Kind == tlog.KindRolledBack) && l.PinCommit != "" && p.Revert != l.PinCommit {
		return fmt.Errorf("the store's %s has pin commit %s and revert %s, the leaf names %s", p.ID, orNone(short(p.PinCommit)), orNone(short(p.Revert)), short(l.PinCommit))
	}
	return nil
}
