package engine

import (
	"context"
	"sort"

	"github.com/slipway/slipway"
)

// audit appends a production change to the hash-chained audit log: the
// signed digest (and the key that verified it), the reviewed pin commit, the
// pull request and its approvers, and the analysis verdict; the store then
// appends its leaf to the transparency log (loggedAudit).
// A change retried after a crash is recorded once: the entry found, its
// leaf is appended again, which the log deduplicates (the leaf is rebuilt
// from the entry, so it is the same).
func (e *Engine) audit(ctx context.Context, kind string, p *slipway.Promotion, verdict string) error {
	prior, err := e.Store.Audit.AuditOf(ctx, p.ID)
	if err != nil {
		return err
	}
	for _, x := range prior {
		if x.Kind == kind {
			_, err := e.logEntry(ctx, &x)
			return err
		}
	}
	b, err := e.Store.Builds.Build(ctx, p.BuildID)
	if err != nil {
		return err
	}
	approvals, err := e.Store.Gates.Approvals(ctx, p.ID)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	approvers := []string{}
	for _, a := range approvals {
		if a.Approve && a.Digest == p.Digest && !seen[a.User] {
			seen[a.User] = true
			approvers = append(approvers, a.User)
		}
	}
	sort.Strings(approvers)
	entry := &slipway.AuditEntry{
		At: e.Now(), Kind: kind, Service: p.Service, Env: p.Env, Digest: p.Digest,
		KeyID: b.KeyID, PinCommit: p.PinCommit, PR: p.PR, Approvers: approvers,
		Verdict: verdict, PromotionID: p.ID,
	}
	if kind == "aborted" || kind == "rolled-back" {
		entry.PinCommit = p.Revert // the commit that made Git match what runs again
	}
	if err := e.Store.Audit.AppendAudit(ctx, entry); err != nil {
		return err
	}
	e.emit("audit", short(entry.Hash), "audit entry %d: %s %s %s (%s)", entry.Seq, kind, p.Service, p.Env, verdict)
	return nil
}

// VerifyAudit recomputes the audit chain; the error names the first bad entry.
func (e *Engine) VerifyAudit(ctx context.Context) (int, error) {
	entries, err := e.Store.Audit.AuditEntries(ctx)
	if err != nil {
		return 0, err
	}
	return len(entries), slipway.VerifyChain(entries)
}
