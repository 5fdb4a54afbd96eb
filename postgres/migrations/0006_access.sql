-- Access control, webhooks and notifications: local users, API tokens
-- (hashed), browser sessions (hashed), webhook deliveries seen (replays are
-- refused by the primary key), and the durable outbox of notifications.
CREATE TABLE users (
  name          text PRIMARY KEY,
  password_hash text NOT NULL,
  disabled      boolean NOT NULL DEFAULT false,
  created       timestamptz NOT NULL,
  updated       timestamptz NOT NULL
);

CREATE TABLE tokens (
  id         text PRIMARY KEY,
  name       text NOT NULL,
  kind       text NOT NULL,
  owner      text NOT NULL,
  service    text NOT NULL,
  hash       text NOT NULL UNIQUE,
  created_by text NOT NULL,
  created    timestamptz NOT NULL,
  expires    timestamptz,
  last_used  timestamptz,
  revoked    timestamptz
);
CREATE INDEX tokens_by_owner ON tokens (owner, created);

CREATE TABLE sessions (
  id         text PRIMARY KEY,
  user_name  text NOT NULL,
  via        text NOT NULL,
  idp_groups text[] NOT NULL,
  csrf       text NOT NULL,
  created    timestamptz NOT NULL,
  expires    timestamptz NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_name);

CREATE TABLE deliveries (
  source text NOT NULL,
  id     text NOT NULL,
  at     timestamptz NOT NULL,
  PRIMARY KEY (source, id)
);

CREATE TABLE outbox (
  id           bigserial PRIMARY KEY,
  receiver     text NOT NULL,
  key          text NOT NULL,
  notice       jsonb NOT NULL,
  attempts     integer NOT NULL DEFAULT 0,
  next_attempt timestamptz NOT NULL,
  last_error   text NOT NULL DEFAULT '',
  delivered    timestamptz,
  failed       timestamptz,
  created      timestamptz NOT NULL,
  UNIQUE (receiver, key)
);
CREATE INDEX outbox_due ON outbox (next_attempt, id) WHERE delivered IS NULL AND failed IS NULL;
