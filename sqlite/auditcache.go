package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"github.com/slipway/slipway"
)

// auditCache keeps decoded audit entries by sequence number, with the
// stored text they were decoded from: the audit page (its first pages
// above all) is read many times a second, and decoding the same JSON
// again was most of its cost. A promotion's entries (AuditOf) are read
// without it: those reads spread over the whole log, and caching them
// cost more memory than it saved time. An entry is reused only when the row read now
// holds exactly the text it was decoded from, so a cached entry never
// differs from what the store holds. The whole chain (AuditEntries, which
// verification reads) bypasses it.
type auditCache struct {
	mu      sync.Mutex
	entries map[int64]cachedAudit
}

type cachedAudit struct {
	body  string
	entry slipway.AuditEntry
}

// maxCachedAudit bounds the cache (about 1 MiB); past it, it starts again.
const maxCachedAudit = 1024

// decode returns the entry stored as body under seq.
func (c *auditCache) decode(seq int64, body string) (slipway.AuditEntry, error) {
	c.mu.Lock()
	x, ok := c.entries[seq]
	c.mu.Unlock()
	if ok && x.body == body {
		return clone(x.entry), nil
	}
	var e slipway.AuditEntry
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		return e, fmt.Errorf("audit entry %d is not valid JSON: %w", seq, err)
	}
	e.Seq = seq
	c.mu.Lock()
	if c.entries == nil || len(c.entries) >= maxCachedAudit {
		c.entries = map[int64]cachedAudit{}
	}
	c.entries[seq] = cachedAudit{body: body, entry: clone(e)}
	c.mu.Unlock()
	return e, nil
}

// clone copies an entry so no caller shares its Approvers with the cache.
func clone(e slipway.AuditEntry) slipway.AuditEntry {
	e.Approvers = slices.Clone(e.Approvers)
	return e
}

// auditRows reads audit rows (seq, entry) through the cache.
func (s *DB) auditRows(ctx context.Context, q string, args ...any) ([]slipway.AuditEntry, error) {
	return queryAll(ctx, s, func(r rowScanner) (slipway.AuditEntry, error) {
		var seq int64
		var body string
		if err := r.Scan(&seq, &body); err != nil {
			return slipway.AuditEntry{}, err
		}
		return s.audit.decode(seq, body)
	}, q, args...)
}
