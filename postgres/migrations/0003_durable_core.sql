-- Durable core: one active promotion per pin location, pin records, canary
-- progress, leases, the work queue, refused intakes, one decision per person.
ALTER TABLE promotions ADD COLUMN branch text NOT NULL DEFAULT '';
ALTER TABLE promotions ADD COLUMN head text NOT NULL DEFAULT '';
-- Older stores may hold several non-finished promotions of one target; the
-- newest stays, the others were superseded in all but name.
UPDATE promotions SET state = 'superseded', reason = 'superseded (store upgrade)'
 WHERE state IN ('waiting','pinning','review-open','synced','canary','paused')
   AND seq < (SELECT max(q.seq) FROM promotions q WHERE q.service = promotions.service AND q.env = promotions.env
              AND q.state IN ('waiting','pinning','review-open','synced','canary','paused'));
-- The store's guarantee, whatever the code does: at most one active
-- promotion per (service, env). A concurrent second insert waits for the
-- first to commit, then fails with 23505.
CREATE UNIQUE INDEX promotions_one_active ON promotions (service, env)
 WHERE state IN ('waiting','pinning','review-open','synced','canary','paused');

CREATE TABLE pins (
  service      text NOT NULL,
  env          text NOT NULL,
  digest       text NOT NULL,
  promotion_id text NOT NULL,
  commit_sha   text NOT NULL,
  updated      timestamptz NOT NULL,
  PRIMARY KEY (service, env)
);

CREATE TABLE canary_progress (
  promotion_id text PRIMARY KEY REFERENCES promotions(id),
  step         integer NOT NULL,
  weight       integer NOT NULL,
  phase        text NOT NULL,
  reason       text NOT NULL,
  updated      timestamptz NOT NULL
);

-- Lease times are the database's clock (clock_timestamp()), so replicas
-- with skewed clocks agree on expiry.
CREATE TABLE leases (
  name    text PRIMARY KEY,
  owner   text NOT NULL,
  token   bigint NOT NULL,
  expires timestamptz NOT NULL
);

CREATE TABLE work (
  id         bigserial PRIMARY KEY,
  kind       text NOT NULL,
  key        text NOT NULL,
  not_before timestamptz NOT NULL,
  attempts   integer NOT NULL DEFAULT 0,
  last_error text NOT NULL DEFAULT '',
  version    bigint NOT NULL DEFAULT 1,
  created    timestamptz NOT NULL,
  UNIQUE (kind, key)
);
CREATE INDEX work_due ON work (not_before, id);

CREATE TABLE refused_intakes (
  id         bigserial PRIMARY KEY,
  service    text NOT NULL,
  image      text NOT NULL,
  commit_sha text NOT NULL,
  rule       text NOT NULL,
  reason     text NOT NULL,
  at         timestamptz NOT NULL
);
CREATE INDEX refused_by_service ON refused_intakes (service, id);

ALTER TABLE builds ADD COLUMN signature_digest text NOT NULL DEFAULT '';
ALTER TABLE builds ADD COLUMN sbom_digest text NOT NULL DEFAULT '';
ALTER TABLE builds ADD COLUMN builder text NOT NULL DEFAULT '';
ALTER TABLE builds ADD COLUMN platforms text[] NOT NULL DEFAULT '{}';
ALTER TABLE builds ADD COLUMN rekor_entry text NOT NULL DEFAULT '';

-- The identity slipway.NormalizeIdentity derives: the email inside
-- "Name <email>", else the whole string; trimmed, lowercased.
ALTER TABLE approvals ADD COLUMN identity text NOT NULL DEFAULT '';
UPDATE approvals SET identity = lower(btrim(CASE WHEN strpos("user", '<') > 0
    AND strpos("user", '>') > strpos("user", '<')
  THEN substr("user", strpos("user", '<') + 1, strpos("user", '>') - strpos("user", '<') - 1) ELSE "user" END));
DELETE FROM approvals WHERE id NOT IN (SELECT min(id) FROM approvals GROUP BY promotion_id, identity);
CREATE UNIQUE INDEX approvals_one_per_person ON approvals (promotion_id, identity);

ALTER TABLE pull_requests ADD COLUMN url text NOT NULL DEFAULT '';
ALTER TABLE pull_requests ADD COLUMN labels text[] NOT NULL DEFAULT '{}';
ALTER TABLE pull_requests ADD COLUMN reviewers text[] NOT NULL DEFAULT '{}';
ALTER TABLE pull_requests ADD COLUMN closed_by text NOT NULL DEFAULT '';
ALTER TABLE pull_requests ADD COLUMN conflict boolean NOT NULL DEFAULT false;

-- SQLite serializes writers, so "one already on is kept" needs no index
-- there; PostgreSQL writers run concurrently, so the store says it here:
-- at most one active hold per digest and one switch on per environment.
CREATE UNIQUE INDEX holds_one_active ON holds (service, digest) WHERE released IS NULL;
CREATE UNIQUE INDEX stops_one_on ON stops (env) WHERE lifted IS NULL;
