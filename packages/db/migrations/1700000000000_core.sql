-- Up Migration

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  login text NOT NULL UNIQUE,
  display_name text NOT NULL,
  role text NOT NULL CHECK (role IN ('student', 'instructor', 'admin', 'lms')),
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Only a SHA-256 of each token is kept: a database leak does not leak credentials.
CREATE TABLE api_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash bytea NOT NULL UNIQUE,
  label text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  revoked_at timestamptz
);

CREATE TABLE courses (
  id text PRIMARY KEY,
  title text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE enrollments (
  course_id text NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('student', 'instructor')),
  PRIMARY KEY (course_id, user_id)
);

-- The catalog as last loaded; every version a result was graded against stays in lab_versions.
CREATE TABLE labs (
  id text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('quiz', 'docker', 'kubernetes')),
  version text NOT NULL,
  title_ja text NOT NULL,
  title_en text NOT NULL,
  max_points numeric NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE lab_versions (
  lab_id text NOT NULL REFERENCES labs (id) ON DELETE CASCADE,
  version text NOT NULL,
  definition jsonb NOT NULL,
  first_seen_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (lab_id, version)
);

CREATE TABLE assignments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  course_id text NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
  lab_id text NOT NULL REFERENCES labs (id),
  opens_at timestamptz,
  due_at timestamptz,
  late_policy jsonb NOT NULL DEFAULT '{"mode": "reject"}',
  max_attempts integer CHECK (max_attempts > 0),
  scoring text NOT NULL DEFAULT 'best' CHECK (scoring IN ('best', 'last')),
  -- overrides the lab's per-check visibility for this assignment when set
  visibility text CHECK (visibility IN ('visible', 'hidden', 'after_due')),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (course_id, lab_id)
);

CREATE TABLE submissions (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id),
  lab_id text NOT NULL REFERENCES labs (id),
  assignment_id uuid REFERENCES assignments (id),
  -- NULL while rejected: a rejected submission uses no attempt
  attempt integer CHECK (attempt > 0),
  state text NOT NULL CHECK (state IN ('queued', 'running', 'graded', 'error', 'rejected')),
  lab_version text NOT NULL,
  graded_lab_version text,
  -- each regrade is a new run; results are kept per run, the submission shows the latest
  grading_run integer NOT NULL DEFAULT 1,
  idempotency_key text,
  score numeric,
  max_score numeric,
  late_factor numeric NOT NULL DEFAULT 1,
  worker_id text,
  infra_retries integer NOT NULL DEFAULT 0,
  error_message text,
  rejection jsonb,
  submitted_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, idempotency_key)
);
-- One attempt number per student, lab and assignment (practice work has no assignment); rejected
-- submissions hold no number (NULL), and NULLs never collide.
CREATE UNIQUE INDEX submissions_attempt_unique ON submissions
  (user_id, lab_id, coalesce(assignment_id, '00000000-0000-0000-0000-000000000000'::uuid), attempt);
CREATE INDEX submissions_by_state ON submissions (state, updated_at) WHERE state IN ('queued', 'running');
CREATE INDEX submissions_by_assignment ON submissions (assignment_id, user_id);
CREATE INDEX submissions_by_user_lab ON submissions (user_id, lab_id);

CREATE TABLE submission_files (
  submission_id uuid NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
  path text NOT NULL,
  content bytea NOT NULL,
  PRIMARY KEY (submission_id, path)
);

CREATE TABLE check_results (
  submission_id uuid NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
  grading_run integer NOT NULL,
  position integer NOT NULL,
  check_id text NOT NULL,
  title_ja text NOT NULL,
  title_en text NOT NULL,
  points numeric NOT NULL,
  max_points numeric NOT NULL,
  status text NOT NULL CHECK (status IN ('pass', 'fail', 'error', 'skipped')),
  message_ja text NOT NULL,
  message_en text NOT NULL,
  evidence text CHECK (octet_length(evidence) <= 65536),
  visibility text NOT NULL CHECK (visibility IN ('visible', 'hidden', 'after_due')),
  PRIMARY KEY (submission_id, grading_run, check_id)
);

CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  actor_id uuid REFERENCES users (id),
  action text NOT NULL,
  subject text NOT NULL,
  detail jsonb NOT NULL DEFAULT '{}',
  at timestamptz NOT NULL DEFAULT now()
);

-- Waiting clients (SSE, the CLI) are told of every state change at once instead of polling.
CREATE FUNCTION notify_submission_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('kadai_submission', NEW.id::text);
  RETURN NEW;
END $$;
CREATE TRIGGER submission_state_changed AFTER UPDATE OF state, grading_run ON submissions
  FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.grading_run IS DISTINCT FROM NEW.grading_run)
  EXECUTE FUNCTION notify_submission_state();

-- Down Migration

DROP TRIGGER submission_state_changed ON submissions;
DROP FUNCTION notify_submission_state;
DROP TABLE audit_log, check_results, submission_files, submissions, assignments, lab_versions, labs,
  enrollments, courses, api_tokens, users;
