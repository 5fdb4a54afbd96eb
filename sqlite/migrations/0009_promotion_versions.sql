-- Every change to a service's promotions bumps the service's version, made
-- by the database itself whoever writes (this server, a CLI, another
-- process): a reader that keeps what it read of a service's promotions
-- (the environment matrix) knows from one row whether it still holds.
-- A version only ever grows; the row of a service stays once made.
CREATE TABLE promotion_versions (
  service TEXT PRIMARY KEY,
  version INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO promotion_versions (service, version) SELECT service, 1 FROM promotions GROUP BY service;
CREATE TRIGGER promotions_version_insert AFTER INSERT ON promotions BEGIN
  INSERT INTO promotion_versions (service, version) VALUES (NEW.service, 1)
    ON CONFLICT (service) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER promotions_version_update AFTER UPDATE ON promotions BEGIN
  INSERT INTO promotion_versions (service, version) VALUES (NEW.service, 1)
    ON CONFLICT (service) DO UPDATE SET version = version + 1;
  INSERT INTO promotion_versions (service, version) SELECT OLD.service, 1 WHERE OLD.service IS NOT NEW.service
    ON CONFLICT (service) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER promotions_version_delete AFTER DELETE ON promotions BEGIN
  INSERT INTO promotion_versions (service, version) VALUES (OLD.service, 1)
    ON CONFLICT (service) DO UPDATE SET version = version + 1;
END;
