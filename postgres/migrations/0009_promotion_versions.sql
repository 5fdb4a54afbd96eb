-- The same model as SQLite's migration 0009: every change to a service's
-- promotions bumps the service's version, made by the database itself
-- whoever writes, so a reader that keeps what it read of a service's
-- promotions (the environment matrix) knows from one row whether it still
-- holds. A version only ever grows; the row of a service stays once made.
CREATE TABLE promotion_versions (
  service TEXT PRIMARY KEY,
  version BIGINT NOT NULL
);
INSERT INTO promotion_versions (service, version) SELECT service, 1 FROM promotions GROUP BY service;
CREATE FUNCTION promotions_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO promotion_versions (service, version) VALUES (NEW.service, 1)
      ON CONFLICT (service) DO UPDATE SET version = promotion_versions.version + 1;
  END IF;
  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.service IS DISTINCT FROM NEW.service) THEN
    INSERT INTO promotion_versions (service, version) VALUES (OLD.service, 1)
      ON CONFLICT (service) DO UPDATE SET version = promotion_versions.version + 1;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER promotions_version AFTER INSERT OR UPDATE OR DELETE ON promotions
  FOR EACH ROW EXECUTE FUNCTION promotions_bump_version();
