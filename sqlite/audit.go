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
		_, err = tx.ExecContext(ctx, `INSERT INTO audit (seq, entry, hash, prev_hash) VALUES (?,?,?,?)`, e.Seq, string(body), e.Hash, e.PrevHash)
		return err
	})
}

// AuditEntries returns the whole chain, oldest first, as recorded.
func (s *AuditStore) AuditEntries(ctx context.Context) ([]slipway.AuditEntry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, entry FROM audit ORDER BY seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []slipway.AuditEntry
	for rows.Next() {
		var seq int64
		var body string
		if err := rows.Scan(&seq, &body); err != nil {
			return nil, err
		}
		var e slipway.AuditEntry
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			return nil, fmt.Errorf("audit entry %d is not valid JSON: %w", seq, err)
		}
		e.Seq = seq
		out = append(out, e)
	}
	return out, rows.Err()
}
