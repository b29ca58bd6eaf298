-- Up Migration

-- Files that hold credentials (a live cluster's kubeconfig: Grader.secretFiles) are marked when the
-- submission is taken, so they can be erased once it has ended whatever ended it — also when the
-- worker no longer knows the lab, or stopped between recording the grade and erasing them.
ALTER TABLE submission_files ADD COLUMN secret boolean NOT NULL DEFAULT false;
-- the workers' sweep looks for them often: only the few marked rows are indexed
CREATE INDEX submission_files_secret ON submission_files (submission_id) WHERE secret;

-- Down Migration

DROP INDEX submission_files_secret;
ALTER TABLE submission_files DROP COLUMN secret;
