package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/internal/auditjson"
)

// AppendAudit links e to the chain (PrevHash, Seq, Hash) and stores it. The
// table lock (SHARE ROW EXCLUSIVE conflicts with itself, not with readers)
// makes appends from every replica take turns: each reads the real last
// entry, so the chain never forks. Were it ever bypassed, the primary key
// on seq would still refuse a second entry with the same number.
func (s *AuditStore) AppendAudit(ctx context.Context, e *slipway.AuditEntry) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE audit IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		var seq int64
		var prev string
		err := tx.QueryRow(ctx, `SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&seq, &prev)
		if err != nil && !isNoRows(err) {
			return err
		}
		e.Seq, e.PrevHash = seq+1, prev
		e.Hash = e.ComputeHash()
		body, err := json.Marshal(e)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO audit (seq, entry, hash, prev_hash, promotion_id) VALUES ($1,$2,$3,$4,$5)`, e.Seq, string(body), e.Hash, e.PrevHash, e.PromotionID)
		return err
	})
}

// AuditEntries returns the whole chain, oldest first, as recorded.
func (s *AuditStore) AuditEntries(ctx context.Context) ([]slipway.AuditEntry, error) {
	return queryAll(ctx, s.pool, scanAudit, `SELECT seq, entry FROM audit ORDER BY seq`)
}

// AuditOf returns the entries of one promotion, oldest first.
func (s *AuditStore) AuditOf(ctx context.Context, promotionID string) ([]slipway.AuditEntry, error) {
	return queryAll(ctx, s.pool, scanAudit, `SELECT seq, entry FROM audit WHERE promotion_id = $1 ORDER BY seq`, promotionID)
}

func scanAudit(r rowScanner) (slipway.AuditEntry, error) {
	var seq int64
	var body string
	var e slipway.AuditEntry
	if err := r.Scan(&seq, &body); err != nil {
		return e, err
	}
	if err := auditjson.Decode(body, &e); err != nil {
		return e, fmt.Errorf("audit entry %d is not valid JSON: %w", seq, err)
	}
	e.Seq = seq
	return e, nil
}

// AuditedPromotions returns env's promotions, oldest first, with only the
// fields an audit leaf is checked against (ID, Service, Env, Digest,
// PinCommit, Revert): `slipway audit verify` reads every prod promotion.
func (s *AuditStore) AuditedPromotions(ctx context.Context, env string) ([]slipway.Promotion, error) {
	return queryAll(ctx, s.pool, scanAuditedPromotion, `SELECT id, service, env, digest, pin_commit, revert FROM promotions WHERE env = $1 ORDER BY seq`, env)
}

func scanAuditedPromotion(r rowScanner) (slipway.Promotion, error) {
	var p slipway.Promotion
	err := r.Scan(&p.ID, &p.Service, &p.Env, &p.Digest, &p.PinCommit, &p.Revert)
	return p, err
}
