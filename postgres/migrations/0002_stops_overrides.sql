-- Stop-the-line switches and break-glass overrides (gates).
CREATE TABLE stops (
  id        bigserial PRIMARY KEY,
  env       text NOT NULL, -- '' for every environment
  by_user   text NOT NULL,
  reason    text NOT NULL,
  since     timestamptz NOT NULL,
  lifted    timestamptz,
  lifted_by text NOT NULL DEFAULT ''
);

CREATE TABLE overrides (
  id           bigserial PRIMARY KEY,
  promotion_id text NOT NULL REFERENCES promotions(id),
  "user"       text NOT NULL,
  digest       text NOT NULL,
  reason       text NOT NULL,
  at           timestamptz NOT NULL
);
