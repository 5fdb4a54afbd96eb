package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/slipway/slipway"
)

// AppendAudit links e to the chain (PrevHash, Seq, Hash) and stores it, in one
// transaction so two writers cannot fork the chain.
func (s *AuditStore) AppendAudit(ctx context.Context, e *slipway.AuditEntry) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var seq int64
		var prev string
		err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&seq, &prev)
		if err != nil && !isNoRows(err) {
			return err
		}
		e.Seq, e.PrevHash = seq+1, prev
		e.Hash = e.ComputeHash()
		body, err := json.Marshal(e)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO audit (seq, entry, hash, prev_hash, promotion_id) VALUES (?,?,?,?,?)`, e.Seq, string(body), e.Hash, e.PrevHash, e.PromotionID)
		return err
	})
}

// AuditEntries returns the whole chain, oldest first, as recorded.
func (s *AuditStore) AuditEntries(ctx context.Context) ([]slipway.AuditEntry, error) {
	return queryAll(ctx, s.DB, scanAudit, `SELECT seq, entry FROM audit ORDER BY seq`)
}

// AuditOf returns the entries of one promotion, oldest first.
func (s *AuditStore) AuditOf(ctx context.Context, promotionID string) ([]slipway.AuditEntry, error) {
	return queryAll(ctx, s.DB, scanAudit, `SELECT seq, entry FROM audit WHERE promotion_id = ? ORDER BY seq`, promotionID)
}

func scanAudit(r rowScanner) (slipway.AuditEntry, error) {
	var seq int64
	var body string
	var e slipway.AuditEntry
	if err := r.Scan(&seq, &body); err != nil {
		return e, err
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		return e, fmt.Errorf("audit entry %d is not valid JSON: %w", seq, err)
	}
	e.Seq = seq
	return e, nil
}
