-- Audit entries are looked up by promotion, so a change retried after a
-- crash is recorded once (mirrors SQLite 0004).
ALTER TABLE audit ADD COLUMN promotion_id TEXT NOT NULL DEFAULT '';
UPDATE audit SET promotion_id = coalesce(entry::jsonb ->> 'promotionId', '');
CREATE INDEX audit_by_promotion ON audit (promotion_id, seq);
