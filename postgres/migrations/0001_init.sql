-- Slipway store, version 1 (PostgreSQL dialect of sqlite/migrations/0001_init.sql:
-- the same tables and columns; a schema version means the same model in both).
-- Times are timestamptz (microseconds, like the SQLite strings); lists are text[].
CREATE TABLE builds (
  id         text PRIMARY KEY,
  service    text NOT NULL,
  commit_sha text NOT NULL,
  image      text NOT NULL,
  digest     text NOT NULL,
  key_id     text NOT NULL,
  created    timestamptz NOT NULL,
  UNIQUE (service, digest)
);

CREATE TABLE releases (
  service    text NOT NULL,
  version    text NOT NULL,
  tag        text NOT NULL,
  build_id   text NOT NULL REFERENCES builds(id),
  commit_sha text NOT NULL,
  notes      text NOT NULL,
  authors    text[] NOT NULL,
  created    timestamptz NOT NULL,
  PRIMARY KEY (service, tag)
);

CREATE TABLE promotions (
  seq        bigserial PRIMARY KEY,
  -- p-<seq>, derived so it can never disagree with seq.
  id         text GENERATED ALWAYS AS ('p-' || seq::text) STORED UNIQUE,
  service    text NOT NULL,
  env        text NOT NULL,
  build_id   text NOT NULL REFERENCES builds(id),
  digest     text NOT NULL,
  release    text NOT NULL,
  requester  text NOT NULL,
  expedited  text NOT NULL,
  state      text NOT NULL,
  reason     text NOT NULL,
  pin_commit text NOT NULL,
  pr         integer NOT NULL,
  revert     text NOT NULL,
  created    timestamptz NOT NULL,
  updated    timestamptz NOT NULL
);
CREATE INDEX promotions_by_target ON promotions (service, env, seq);

CREATE TABLE transitions (
  id           bigserial PRIMARY KEY,
  promotion_id text NOT NULL REFERENCES promotions(id),
  from_state   text NOT NULL,
  to_state     text NOT NULL,
  reason       text NOT NULL,
  at           timestamptz NOT NULL
);
CREATE INDEX transitions_by_promotion ON transitions (promotion_id, id);

CREATE TABLE approvals (
  id           bigserial PRIMARY KEY,
  promotion_id text NOT NULL REFERENCES promotions(id),
  "user"       text NOT NULL,
  digest       text NOT NULL,
  approve      boolean NOT NULL,
  comment      text NOT NULL,
  at           timestamptz NOT NULL
);
CREATE INDEX approvals_by_promotion ON approvals (promotion_id, id);

CREATE TABLE verifications (
  id         bigserial PRIMARY KEY,
  service    text NOT NULL,
  env        text NOT NULL,
  check_name text NOT NULL,
  digest     text NOT NULL,
  passed     boolean NOT NULL,
  url        text NOT NULL,
  at         timestamptz NOT NULL
);
CREATE INDEX verifications_by_target ON verifications (service, env, digest, id);

CREATE TABLE analysis_runs (
  id           bigserial PRIMARY KEY,
  promotion_id text NOT NULL REFERENCES promotions(id),
  phase        text NOT NULL,
  message      text NOT NULL,
  started      timestamptz NOT NULL,
  finished     timestamptz
);

CREATE TABLE measurements (
  id      bigserial PRIMARY KEY,
  run_id  bigint NOT NULL REFERENCES analysis_runs(id),
  metric  text NOT NULL,
  phase   text NOT NULL,
  value   text NOT NULL,
  message text NOT NULL,
  at      timestamptz NOT NULL
);
CREATE INDEX measurements_by_run ON measurements (run_id, id);

CREATE TABLE audit (
  seq       bigint PRIMARY KEY,
  entry     text NOT NULL, -- the JSON the hash covers, byte for byte as recorded (not jsonb, which rewrites it)
  hash      text NOT NULL UNIQUE,
  prev_hash text NOT NULL
);

CREATE TABLE holds (
  id       bigserial PRIMARY KEY,
  service  text NOT NULL,
  digest   text NOT NULL,
  reason   text NOT NULL,
  by_user  text NOT NULL,
  created  timestamptz NOT NULL,
  released timestamptz
);
CREATE INDEX holds_by_digest ON holds (service, digest);

-- Pull requests of the built-in local forge.
CREATE TABLE pull_requests (
  number    serial PRIMARY KEY,
  branch    text NOT NULL UNIQUE,
  base      text NOT NULL,
  title     text NOT NULL,
  body      text NOT NULL,
  author    text NOT NULL,
  state     text NOT NULL, -- open, merged, closed
  head_sha  text NOT NULL,
  merge_sha text NOT NULL,
  merged_by text NOT NULL,
  created   timestamptz NOT NULL,
  updated   timestamptz NOT NULL
);
