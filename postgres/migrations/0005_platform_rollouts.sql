-- Platform rollouts (mirrors SQLite 0005): a platform version promoted into
-- one environment in waves; at most one active rollout per environment.
CREATE TABLE platform_rollouts (
  seq          BIGSERIAL PRIMARY KEY,
  id           TEXT GENERATED ALWAYS AS ('r-' || seq::text) STORED UNIQUE,
  platform     TEXT NOT NULL,
  version      TEXT NOT NULL,
  env          TEXT NOT NULL,
  state        TEXT NOT NULL,
  wave         INTEGER NOT NULL,
  reason       TEXT NOT NULL,
  requester    TEXT NOT NULL,
  rollback_all BOOLEAN NOT NULL,
  waves        JSONB NOT NULL,
  services     JSONB NOT NULL,
  revision     BIGINT NOT NULL,
  created      TIMESTAMPTZ NOT NULL,
  updated      TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX platform_rollouts_one_active ON platform_rollouts (env)
 WHERE state IN ('running','paused','rolling-back');
