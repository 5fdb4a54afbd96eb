-- Stop-the-line switches and break-glass overrides (gates).
CREATE TABLE stops (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  env     TEXT NOT NULL, -- '' for every environment
  by_user TEXT NOT NULL,
  reason  TEXT NOT NULL,
  since   TEXT NOT NULL,
  lifted  TEXT,
  lifted_by TEXT NOT NULL DEFAULT ''
);

CREATE TABLE overrides (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  promotion_id TEXT NOT NULL REFERENCES promotions(id),
  user         TEXT NOT NULL,
  digest       TEXT NOT NULL,
  reason       TEXT NOT NULL,
  at           TEXT NOT NULL
);
