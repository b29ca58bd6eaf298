-- Up Migration

-- One grading at a time: a claim takes a lease (owner = worker_id, until lease_expires_at) and a
-- fencing token, raised by every claim. Every write of a run's outcome and every lease renewal names
-- the token it holds, so a worker whose lease was taken over writes nothing.
ALTER TABLE submissions
  ADD COLUMN lease_token integer NOT NULL DEFAULT 0,
  ADD COLUMN lease_expires_at timestamptz,
  -- the grading run whose score and check results count (and are shown); a regrade replaces it only
  -- when it records a grade, so a regrade ending `error` or `rejected` keeps the earned grade
  ADD COLUMN graded_run integer;

UPDATE submissions SET graded_run = grading_run WHERE state = 'graded';

-- The sweeper looks for running grading runs whose lease ran out.
CREATE INDEX submissions_by_lease ON submissions (lease_expires_at) WHERE state = 'running';

-- Down Migration

DROP INDEX submissions_by_lease;
ALTER TABLE submissions DROP COLUMN lease_token, DROP COLUMN lease_expires_at, DROP COLUMN graded_run;
