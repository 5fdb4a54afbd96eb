-- Durable core: one active promotion per pin location, pin records, canary
-- progress, leases, the work queue, refused intakes, one decision per person.
ALTER TABLE promotions ADD COLUMN branch TEXT NOT NULL DEFAULT '';
ALTER TABLE promotions ADD COLUMN head TEXT NOT NULL DEFAULT '';
-- Older stores may hold several non-finished promotions of one target; the
-- newest stays, the others were superseded in all but name.
UPDATE promotions SET state = 'superseded', reason = 'superseded (store upgrade)'
 WHERE state IN ('waiting','pinning','review-open','synced','canary','paused')
   AND seq < (SELECT max(q.seq) FROM promotions q WHERE q.service = promotions.service AND q.env = promotions.env
              AND q.state IN ('waiting','pinning','review-open','synced','canary','paused'));
CREATE UNIQUE INDEX promotions_one_active ON promotions (service, env)
 WHERE state IN ('waiting','pinning','review-open','synced','canary','paused');

CREATE TABLE pins (
  service      TEXT NOT NULL,
  env          TEXT NOT NULL,
  digest       TEXT NOT NULL,
  promotion_id TEXT NOT NULL,
  commit_sha   TEXT NOT NULL,
  updated      TEXT NOT NULL,
  PRIMARY KEY (service, env)
);

CREATE TABLE canary_progress (
  promotion_id TEXT PRIMARY KEY REFERENCES promotions(id),
  step         INTEGER NOT NULL,
  weight       INTEGER NOT NULL,
  phase        TEXT NOT NULL,
  reason       TEXT NOT NULL,
  updated      TEXT NOT NULL
);

CREATE TABLE leases (
  name    TEXT PRIMARY KEY,
  owner   TEXT NOT NULL,
  token   INTEGER NOT NULL,
  expires TEXT NOT NULL
);

CREATE TABLE work (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  kind       TEXT NOT NULL,
  key        TEXT NOT NULL,
  not_before TEXT NOT NULL,
  attempts   INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  version    INTEGER NOT NULL DEFAULT 1,
  created    TEXT NOT NULL,
  UNIQUE (kind, key)
);
CREATE INDEX work_due ON work (not_before, id);

CREATE TABLE refused_intakes (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  service    TEXT NOT NULL,
  image      TEXT NOT NULL,
  commit_sha TEXT NOT NULL,
  rule       TEXT NOT NULL,
  reason     TEXT NOT NULL,
  at         TEXT NOT NULL
);
CREATE INDEX refused_by_service ON refused_intakes (service, id);

ALTER TABLE builds ADD COLUMN signature_digest TEXT NOT NULL DEFAULT '';
ALTER TABLE builds ADD COLUMN sbom_digest TEXT NOT NULL DEFAULT '';
ALTER TABLE builds ADD COLUMN builder TEXT NOT NULL DEFAULT '';
ALTER TABLE builds ADD COLUMN platforms TEXT NOT NULL DEFAULT '[]';
ALTER TABLE builds ADD COLUMN rekor_entry TEXT NOT NULL DEFAULT '';

ALTER TABLE approvals ADD COLUMN identity TEXT NOT NULL DEFAULT '';
UPDATE approvals SET identity = lower(trim(CASE WHEN instr(user, '<') > 0 AND instr(user, '>') > instr(user, '<')
  THEN substr(user, instr(user, '<') + 1, instr(user, '>') - instr(user, '<') - 1) ELSE user END));
DELETE FROM approvals WHERE id NOT IN (SELECT min(id) FROM approvals GROUP BY promotion_id, identity);
CREATE UNIQUE INDEX approvals_one_per_person ON approvals (promotion_id, identity);

ALTER TABLE pull_requests ADD COLUMN url TEXT NOT NULL DEFAULT '';
ALTER TABLE pull_requests ADD COLUMN labels TEXT NOT NULL DEFAULT '[]';
ALTER TABLE pull_requests ADD COLUMN reviewers TEXT NOT NULL DEFAULT '[]';
ALTER TABLE pull_requests ADD COLUMN closed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE pull_requests ADD COLUMN conflict INTEGER NOT NULL DEFAULT 0;
