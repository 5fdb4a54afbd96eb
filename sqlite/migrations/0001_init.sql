-- Slipway store, version 1. Times are RFC 3339 UTC strings with microseconds.
CREATE TABLE builds (
  id         TEXT PRIMARY KEY,
  service    TEXT NOT NULL,
  commit_sha TEXT NOT NULL,
  image      TEXT NOT NULL,
  digest     TEXT NOT NULL,
  key_id     TEXT NOT NULL,
  created    TEXT NOT NULL,
  UNIQUE (service, digest)
);

CREATE TABLE releases (
  service  TEXT NOT NULL,
  version  TEXT NOT NULL,
  tag      TEXT NOT NULL,
  build_id TEXT NOT NULL REFERENCES builds(id),
  commit_sha TEXT NOT NULL,
  notes    TEXT NOT NULL,
  authors  TEXT NOT NULL, -- JSON array
  created  TEXT NOT NULL,
  PRIMARY KEY (service, tag)
);

CREATE TABLE promotions (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  id         TEXT NOT NULL UNIQUE,
  service    TEXT NOT NULL,
  env        TEXT NOT NULL,
  build_id   TEXT NOT NULL REFERENCES builds(id),
  digest     TEXT NOT NULL,
  release    TEXT NOT NULL,
  requester  TEXT NOT NULL,
  expedited  TEXT NOT NULL,
  state      TEXT NOT NULL,
  reason     TEXT NOT NULL,
  pin_commit TEXT NOT NULL,
  pr         INTEGER NOT NULL,
  revert     TEXT NOT NULL,
  created    TEXT NOT NULL,
  updated    TEXT NOT NULL
);
CREATE INDEX promotions_by_target ON promotions (service, env, seq);

CREATE TABLE transitions (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  promotion_id TEXT NOT NULL REFERENCES promotions(id),
  from_state   TEXT NOT NULL,
  to_state     TEXT NOT NULL,
  reason       TEXT NOT NULL,
  at           TEXT NOT NULL
);
CREATE INDEX transitions_by_promotion ON transitions (promotion_id, id);

CREATE TABLE approvals (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  promotion_id TEXT NOT NULL REFERENCES promotions(id),
  user         TEXT NOT NULL,
  digest       TEXT NOT NULL,
  approve      INTEGER NOT NULL,
  comment      TEXT NOT NULL,
  at           TEXT NOT NULL
);
CREATE INDEX approvals_by_promotion ON approvals (promotion_id, id);

CREATE TABLE verifications (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  service TEXT NOT NULL,
  env     TEXT NOT NULL,
  check_name TEXT NOT NULL,
  digest  TEXT NOT NULL,
  passed  INTEGER NOT NULL,
  url     TEXT NOT NULL,
  at      TEXT NOT NULL
);
CREATE INDEX verifications_by_target ON verifications (service, env, digest, id);

CREATE TABLE analysis_runs (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  promotion_id TEXT NOT NULL REFERENCES promotions(id),
  phase        TEXT NOT NULL,
  message      TEXT NOT NULL,
  started      TEXT NOT NULL,
  finished     TEXT
);

CREATE TABLE measurements (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id  INTEGER NOT NULL REFERENCES analysis_runs(id),
  metric  TEXT NOT NULL,
  phase   TEXT NOT NULL,
  value   TEXT NOT NULL,
  message TEXT NOT NULL,
  at      TEXT NOT NULL
);
CREATE INDEX measurements_by_run ON measurements (run_id, id);

CREATE TABLE audit (
  seq          INTEGER PRIMARY KEY,
  entry        TEXT NOT NULL, -- the JSON the hash covers, as recorded
  hash         TEXT NOT NULL UNIQUE,
  prev_hash    TEXT NOT NULL
);

CREATE TABLE holds (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  service  TEXT NOT NULL,
  digest   TEXT NOT NULL,
  reason   TEXT NOT NULL,
  by_user  TEXT NOT NULL,
  created  TEXT NOT NULL,
  released TEXT
);
CREATE INDEX holds_by_digest ON holds (service, digest);

-- Pull requests of the built-in local forge.
CREATE TABLE pull_requests (
  number   INTEGER PRIMARY KEY AUTOINCREMENT,
  branch   TEXT NOT NULL UNIQUE,
  base     TEXT NOT NULL,
  title    TEXT NOT NULL,
  body     TEXT NOT NULL,
  author   TEXT NOT NULL,
  state    TEXT NOT NULL, -- open, merged, closed
  head_sha TEXT NOT NULL,
  merge_sha TEXT NOT NULL,
  merged_by TEXT NOT NULL,
  created  TEXT NOT NULL,
  updated  TEXT NOT NULL
);
