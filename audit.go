package slipway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
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
	var buf [512]byte
	b, ok := appendPlainJSON(buf[:0], &c)
	if !ok {
		var err error
		if b, err = json.Marshal(c); err != nil {
			panic(fmt.Sprintf("audit entry marshal: %v", err)) // only plain fields: cannot happen
		}
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// appendPlainJSON appends what json.Marshal writes for e, byte for byte,
// when every text is plain (printable ASCII that json.Marshal writes as
// is) and the time's year has four digits; false otherwise, and the caller
// marshals. `slipway audit verify` hashes every entry: this is a fifth of
// the cost.
func appendPlainJSON(b []byte, e *AuditEntry) ([]byte, bool) {
	if y := e.At.Year(); y < 0 || y > 9999 {
		return nil, false
	}
	ok := true
	str := func(b []byte, s string) []byte {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
				ok = false
			}
		}
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	b = strconv.AppendInt(append(b, `{"seq":`...), e.Seq, 10)
	b = append(e.At.AppendFormat(append(b, `,"at":"`...), time.RFC3339Nano), '"')
	b = str(append(b, `,"kind":`...), e.Kind)
	b = str(append(b, `,"service":`...), e.Service)
	b = str(append(b, `,"env":`...), e.Env)
	b = str(append(b, `,"digest":`...), e.Digest)
	b = str(append(b, `,"keyId":`...), e.KeyID)
	b = str(append(b, `,"pinCommit":`...), e.PinCommit)
	if e.PR != 0 {
		b = strconv.AppendInt(append(b, `,"pr":`...), int64(e.PR), 10)
	}
	if e.Approvers == nil {
		b = append(b, `,"approvers":null`...)
	} else {
		b = append(b, `,"approvers":[`...)
		for i, a := range e.Approvers {
			if i > 0 {
				b = append(b, ',')
			}
			b = str(b, a)
		}
		b = append(b, ']')
	}
	b = str(append(b, `,"verdict":`...), e.Verdict)
	b = str(append(b, `,"promotionId":`...), e.PromotionID)
	b = str(append(b, `,"prevHash":`...), e.PrevHash)
	b = str(append(b, `,"hash":`...), e.Hash)
	return append(b, '}'), ok
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
