-- Up Migration

-- Each lab version's content (lab.yaml, fixtures, schemas…: path → base64), so every api and worker
-- grades a published version with exactly its bytes, whatever its own labs folder holds. Versions
-- recorded before have none: a process's start publishes its folder's version of such a lab again.
ALTER TABLE lab_versions ADD COLUMN files jsonb;

-- Down Migration

ALTER TABLE lab_versions DROP COLUMN files;
