-- Access control, webhooks and notifications: local users, API tokens
-- (hashed), browser sessions (hashed), webhook deliveries seen (replays are
-- refused by the primary key), and the durable outbox of notifications.
CREATE TABLE users (
  name          TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  disabled      INTEGER NOT NULL DEFAULT 0,
  created       TEXT NOT NULL,
  updated       TEXT NOT NULL
);

CREATE TABLE tokens (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  kind       TEXT NOT NULL,
  owner      TEXT NOT NULL,
  service    TEXT NOT NULL,
  hash       TEXT NOT NULL UNIQUE,
  created_by TEXT NOT NULL,
  created    TEXT NOT NULL,
  expires    TEXT,
  last_used  TEXT,
  revoked    TEXT
);
CREATE INDEX tokens_by_owner ON tokens (owner, created);

CREATE TABLE sessions (
  id         TEXT PRIMARY KEY,
  user_name  TEXT NOT NULL,
  via        TEXT NOT NULL,
  idp_groups TEXT NOT NULL, -- JSON array
  csrf       TEXT NOT NULL,
  created    TEXT NOT NULL,
  expires    TEXT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_name);

CREATE TABLE deliveries (
  source TEXT NOT NULL,
  id     TEXT NOT NULL,
  at     TEXT NOT NULL,
  PRIMARY KEY (source, id)
);

CREATE TABLE outbox (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  receiver     TEXT NOT NULL,
  key          TEXT NOT NULL,
  notice       TEXT NOT NULL, -- JSON of slipway.Notice
  attempts     INTEGER NOT NULL DEFAULT 0,
  next_attempt TEXT NOT NULL,
  last_error   TEXT NOT NULL DEFAULT '',
  delivered    TEXT,
  failed       TEXT,
  created      TEXT NOT NULL,
  UNIQUE (receiver, key)
);
CREATE INDEX outbox_due ON outbox (next_attempt, id) WHERE delivered IS NULL AND failed IS NULL;
