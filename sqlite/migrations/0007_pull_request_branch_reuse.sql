-- A branch carries one open pull request at a time, and may carry a new
-- one once the previous merged or closed: a standing release pull request
-- reopens on slipway/release/<component> after every release. SQLite
-- cannot drop a column's UNIQUE, so the table is rebuilt with the same
-- columns and numbers, and the rule becomes a partial unique index.
CREATE TABLE pull_requests_new (
  number    INTEGER PRIMARY KEY AUTOINCREMENT,
  url       TEXT NOT NULL DEFAULT '',
  branch    TEXT NOT NULL,
  base      TEXT NOT NULL,
  title     TEXT NOT NULL,
  body      TEXT NOT NULL,
  labels    TEXT NOT NULL DEFAULT '[]',
  reviewers TEXT NOT NULL DEFAULT '[]',
  author    TEXT NOT NULL,
  state     TEXT NOT NULL, -- open, merging, merged, closed
  head_sha  TEXT NOT NULL,
  merge_sha TEXT NOT NULL,
  merged_by TEXT NOT NULL,
  closed_by TEXT NOT NULL DEFAULT '',
  conflict  INTEGER NOT NULL DEFAULT 0,
  created   TEXT NOT NULL,
  updated   TEXT NOT NULL
);
INSERT INTO pull_requests_new (number, url, branch, base, title, body, labels, reviewers, author, state, head_sha, merge_sha, merged_by, closed_by, conflict, created, updated)
  SELECT number, url, branch, base, title, body, labels, reviewers, author, state, head_sha, merge_sha, merged_by, closed_by, conflict, created, updated FROM pull_requests;
DROP TABLE pull_requests;
ALTER TABLE pull_requests_new RENAME TO pull_requests;
CREATE UNIQUE INDEX pull_requests_one_open ON pull_requests (branch) WHERE state IN ('open', 'merging');
CREATE INDEX pull_requests_by_branch ON pull_requests (branch, number);
