-- The environment matrix (GET /api/v1/services) reads, per service, the
-- promotions with work left and the last one that succeeded in each
-- environment: both are ranges of this index, read without the table.
CREATE INDEX promotions_by_state ON promotions (service, state, env, seq);
