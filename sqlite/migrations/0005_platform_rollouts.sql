-- Platform rollouts: a platform version promoted into one environment in
-- waves. The plan and the per-service records (promotion ids) are JSON, and
-- revision guards every update; at most one active rollout per environment.
CREATE TABLE platform_rollouts (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  id           TEXT NOT NULL UNIQUE,
  platform     TEXT NOT NULL,
  version      TEXT NOT NULL,
  env          TEXT NOT NULL,
  state        TEXT NOT NULL,
  wave         INTEGER NOT NULL,
  reason       TEXT NOT NULL,
  requester    TEXT NOT NULL,
  rollback_all INTEGER NOT NULL,
  waves        TEXT NOT NULL,
  services     TEXT NOT NULL,
  revision     INTEGER NOT NULL,
  created      TEXT NOT NULL,
  updated      TEXT NOT NULL
);
CREATE UNIQUE INDEX platform_rollouts_one_active ON platform_rollouts (env)
 WHERE state IN ('running','paused','rolling-back');
