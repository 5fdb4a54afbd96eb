-- A service's promotions, newest first (`GET /api/v1/promotions?service=`,
-- the UI's list, `slipway promotions --service`): read in order from this
-- index, a page at a time, instead of sorting every promotion the service
-- ever had (promotions_by_target orders by seq only within one env).
CREATE INDEX promotions_by_service ON promotions (service, seq);
