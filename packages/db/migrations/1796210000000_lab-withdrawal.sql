-- Up Migration

-- A lab is withdrawn when a reload of the labs folder no longer finds its folder: it takes no new
-- submissions and leaves the catalog, while its published version (lab_versions) still grades what
-- was handed in before and keeps every result readable. A reload that finds the folder again puts it
-- back in service (NULL).
ALTER TABLE labs ADD COLUMN withdrawn_at timestamptz;

-- Down Migration

ALTER TABLE labs DROP COLUMN withdrawn_at;
