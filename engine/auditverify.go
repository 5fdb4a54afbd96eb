package engine

import (
	"context"
	"errors"
	"fmt"
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
	PinCommits int // pin commits checked against the GitOps remote
	Entries    int // audit entries matched with their leaves
	// FetchError is set when the remote could not be fetched: Git was
	// checked as the clone last saw it.
	FetchError error
}

// VerifyLog checks the transparency log offline (tlog.Verify: signed
// checkpoint, every leaf's inclusion, the tiles, consistency with a saved
// checkpoint) and then each leaf against Git and the store: its pin commit
// is on a branch of the GitOps remote and sets its digest (or, for an
// abort or rollback, reverts it), the pull-request head that was merged
// pins it, its promotion is the stored one, and an audit entry records it;
// finally every audit entry must have its leaf. The error names the first
// bad leaf (a *tlog.VerifyError) or entry, and why.
//
// Git and the store are read while the tree is proven, and the pin
// commits are checked with one walk of the remote's history and one
// batch read of the pin files, so 100k leaves take seconds.
func (e *Engine) VerifyLog(ctx context.Context, o VerifyLogOptions) (*LogReport, error) {
	if e.AuditLog == nil {
		return nil, errors.New("no transparency log is open")
	}
	prod := e.Cfg.Environments[len(e.Cfg.Environments)-1].Name
	var (
		wg       sync.WaitGroup
		checker  *claimChecker
		gitErr   error
		fetchErr error
		store    auditStore
		storeErr error
	)
	wg.Go(func() {
		fetchErr = e.fresh(ctx, true)
		checker, gitErr = e.newClaimChecker(ctx, prod)
	})
	wg.Go(func() { store, storeErr = e.readAuditStore(ctx) })
	var leaves []tlog.Leaf
	rep, err := tlog.Verify(ctx, e.AuditLog.Dir(), tlog.VerifyOptions{
		PublicKey: o.PublicKey, Checkpoint: o.Checkpoint, CheckpointName: o.CheckpointName,
		OnLeaf: func(_ uint64, l tlog.Leaf) error { leaves = append(leaves, l); return nil },
	})
	wg.Wait()
	if err != nil {
		if errors.Is(err, tlog.ErrNoLog) && storeErr == nil && len(store.entries) == 0 {
			return &LogReport{}, nil // nothing recorded, nothing to prove
		}
		return nil, err
	}
	if storeErr != nil {
		return nil, storeErr
	}
	if gitErr != nil {
		return nil, gitErr
	}
	out := &LogReport{Report: *rep, FetchError: fetchErr}
	claims, heads := make([]*PinClaim, len(leaves)), make([]string, len(leaves))
	for i, l := range leaves {
		claims[i], heads[i] = claimOf(l)
		if claims[i] != nil {
			out.PinCommits++
			if l.Env != prod {
				claims[i] = nil // not production's: checked one by one below
			}
		}
	}
	gitResults, err := checker.check(ctx, claims, heads)
	if err != nil {
		return nil, err
	}
	matched := make([]bool, len(store.entries))
	for i, l := range leaves {
		err := store.check(l, matched)
		if err == nil {
			err = gitResults[i]
		}
		if err == nil && claims[i] == nil {
			if c, _ := claimOf(l); c != nil {
				err = e.CheckPinCommit(ctx, *c)
			}
		}
		if err != nil {
			return nil, &tlog.VerifyError{Problem: tlog.ErrLeafCheck, Leaf: int64(i), Err: fmt.Errorf("%s %s/%s %s: %w", l.Kind, l.Service, l.Env, l.PromotionID, err)}
		}
	}
	for i, ok := range matched {
		if !ok {
			x := store.entries[i]
			return nil, fmt.Errorf("audit entry %d (%s of %s %s, %s) has no leaf in the transparency log: the log lost it, or its append was interrupted; `slipway audit sync` appends it, when the store is right", x.Seq, x.Kind, x.Service, digestShort(x.Digest), x.At.Format(time.RFC3339))
		}
	}
	out.Entries = len(store.entries)
	return out, nil
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

func (e *Engine) readAuditStore(ctx context.Context) (auditStore, error) {
	var s auditStore
	ps, err := e.Store.Promotions.Promotions(ctx, slipway.PromotionFilter{})
	if err != nil {
		return s, err
	}
	s.promotions = make(map[string]*slipway.Promotion, len(ps))
	for _, p := range ps {
		s.promotions[p.ID] = p
	}
	if s.entries, err = e.Store.Audit.AuditEntries(ctx); err != nil {
		return s, err
	}
	s.byKey = make(map[string]int, len(s.entries))
	for i, x := range s.entries {
		s.byKey[leafKey(x.Kind, x.Service, x.Digest, x.At)] = i
	}
	return s, nil
}

// leafKey pairs an audit entry with its leaf: the leaf's time is the entry's.
func leafKey(kind, service, digest string, at time.Time) string {
	return fmt.Sprintf("%s|%s|%s|%d", kind, service, digest, at.UnixNano())
}

// check compares a leaf with the store: its promotion exists and moved
// that digest there, and an audit entry records the same change.
func (s auditStore) check(l tlog.Leaf, matched []bool) error {
	p := s.promotions[l.PromotionID]
	if p == nil {
		return fmt.Errorf("promotion %s is not in the store", l.PromotionID)
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
	for _, d := range []struct{ field, store, leaf string }{
		{"promotion", x.PromotionID, l.PromotionID},
		{"env", x.Env, l.Env},
		{"pin commit", x.PinCommit, l.PinCommit},
		{"pull request", fmt.Sprint(x.PR), fmt.Sprint(l.PR)},
		{"approvers", fmt.Sprint(sortedUnique(x.Approvers)), fmt.Sprint(l.Approvers)},
		{"signer", leafText(x.KeyID, 1024), l.Signer},
	} {
		if d.store == "" && (d.field == "promotion" || d.field == "env" || d.field == "signer") {
			continue // hold-released entries name no promotion or env; old entries no signer
		}
		if d.store != d.leaf {
			return fmt.Errorf("audit entry %d and the leaf disagree on the %s: the store says %q, the log %q", x.Seq, d.field, d.store, d.leaf)
		}
	}
	if l.Kind == tlog.KindPromoted && p.PinCommit != l.PinCommit || (l.Kind == tlog.KindAborted || l.Kind == tlog.KindRolledBack) && l.PinCommit != "" && p.Revert != l.PinCommit {
		return fmt.Errorf("the store's %s has pin commit %s and revert %s, the leaf names %s", p.ID, orNone(short(p.PinCommit)), orNone(short(p.Revert)), short(l.PinCommit))
	}
	return nil
}
