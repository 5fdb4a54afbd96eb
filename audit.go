package slipway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// AuditEntry records one production change. Entries form a hash chain: each
// entry's Hash covers its content and the previous entry's Hash, so editing or
// removing any entry breaks every later one.
type AuditEntry struct {
	Seq         int64     `json:"seq"`
	At          time.Time `json:"at"`
	Kind        string    `json:"kind"` // promoted, aborted, rolled-back, override
	Service     string    `json:"service"`
	Env         string    `json:"env"`
	Digest      string    `json:"digest"`
	KeyID       string    `json:"keyId"`     // key that verified the image signature at intake
	PinCommit   string    `json:"pinCommit"` // the reviewed commit on the env branch
	PR          int       `json:"pr,omitempty"`
	Approvers   []string  `json:"approvers"`
	Verdict     string    `json:"verdict"` // analysis verdict or the reason of the change
	PromotionID string    `json:"promotionId"`
	PrevHash    string    `json:"prevHash"`
	Hash        string    `json:"hash"`
}

// ComputeHash returns the hash of the entry's content and PrevHash (Hash and
// Seq excluded; Seq is implied by the chain). JSON with a fixed field order
// and UTC times keeps it stable across stores.
func (e AuditEntry) ComputeHash() string {
	c := e
	c.Hash = ""
	c.Seq = 0
	c.At = c.At.UTC().Truncate(time.Microsecond)
	if c.Approvers == nil {
		c.Approvers = []string{}
	}
	b, err := json.Marshal(c)
	if err != nil {
		panic(fmt.Sprintf("audit entry marshal: %v", err)) // only plain fields: cannot happen
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// VerifyChain recomputes the chain and returns an error naming the first entry
// whose hash or link does not match.
func VerifyChain(entries []AuditEntry) error {
	prev := ""
	for i, e := range entries {
		if e.PrevHash != prev {
			return Errorf(ECONFLICT, "audit entry %d (%s %s/%s): previous-hash link broken: has %.12s, the chain says %.12s", e.Seq, e.Kind, e.Service, e.Env, e.PrevHash, prev)
		}
		if got := e.ComputeHash(); got != e.Hash {
			return Errorf(ECONFLICT, "audit entry %d (%s %s/%s): content does not match its hash (recorded %.12s, recomputed %.12s): the entry was altered", e.Seq, e.Kind, e.Service, e.Env, e.Hash, got)
		}
		if i > 0 && e.Seq != entries[i-1].Seq+1 {
			return Errorf(ECONFLICT, "audit entry %d: sequence gap after %d: an entry was removed", e.Seq, entries[i-1].Seq)
		}
		prev = e.Hash
	}
	return nil
}

// AuditStore persists the audit chain.
type AuditStore interface {
	// AppendAudit links e to the chain (sets PrevHash, Seq, Hash) and stores
	// it in one transaction, so two writers cannot fork the chain.
	AppendAudit(ctx context.Context, e *AuditEntry) error
	// AuditEntries returns the whole chain, oldest first, as recorded.
	AuditEntries(ctx context.Context) ([]AuditEntry, error)
	// AuditOf returns the entries of one promotion, oldest first, so a
	// change retried after a crash is recorded once.
	AuditOf(ctx context.Context, promotionID string) ([]AuditEntry, error)
}
