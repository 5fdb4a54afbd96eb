-- A branch carries one open pull request at a time, and may carry a new
-- one once the previous merged or closed: a standing release pull request
-- reopens on slipway/release/<component> after every release.
ALTER TABLE pull_requests DROP CONSTRAINT pull_requests_branch_key;
CREATE UNIQUE INDEX pull_requests_one_open ON pull_requests (branch) WHERE state IN ('open', 'merging');
CREATE INDEX pull_requests_by_branch ON pull_requests (branch, number);
