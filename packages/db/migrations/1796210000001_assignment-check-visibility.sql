-- Up Migration

-- An assignment's visibility per check (check id → visible | hidden | after_due), over the
-- assignment-wide override (assignments.visibility) and the lab's own: an instructor can hide one
-- check's feedback in one course, or hold it back until the due date, without editing the lab.
ALTER TABLE assignments ADD COLUMN check_visibility jsonb NOT NULL DEFAULT '{}';

-- Down Migration

ALTER TABLE assignments DROP COLUMN check_visibility;
