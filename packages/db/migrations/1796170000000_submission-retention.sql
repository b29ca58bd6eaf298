-- Up Migration

-- Retention: the stored files of old submissions may be removed (KADAI_RETENTION_FILES_DAYS); the
-- grade, check results and audit stay. A submission without its files can no longer be regraded.
ALTER TABLE submissions ADD COLUMN files_removed_at timestamptz;

-- Down Migration

ALTER TABLE submissions DROP COLUMN files_removed_at;
