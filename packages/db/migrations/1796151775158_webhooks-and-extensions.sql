-- Up Migration

-- Per-student exceptions to an assignment: a later due date and/or attempts beyond its limit.
CREATE TABLE assignment_extensions (
  assignment_id uuid NOT NULL REFERENCES assignments (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  due_at timestamptz,
  extra_attempts integer NOT NULL DEFAULT 0 CHECK (extra_attempts >= 0),
  reason text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (assignment_id, user_id)
);

-- A course's webhook endpoints. The secret signs as Standard Webhooks (whsec_…); after a rotation
-- the previous secret signs too until previous_secret_until, so receivers can switch without a gap.
CREATE TABLE webhook_endpoints (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  course_id text NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
  url text NOT NULL,
  events text[] NOT NULL,
  secret text NOT NULL,
  previous_secret text,
  previous_secret_until timestamptz,
  -- set when the receiver answered 410 Gone (or by an instructor); no delivery is attempted meanwhile
  disabled_at timestamptz,
  disabled_reason text,
  created_by uuid REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_by_course ON webhook_endpoints (course_id);

-- The outbox and the delivery log in one: a row is written in the same transaction as the grade it
-- tells of, and the delivery process sends it until it is delivered or its retries are used up.
-- id is the message id (webhook-id): a redelivery of the same event keeps it, so receivers dedupe.
CREATE TABLE webhook_deliveries (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  message_id text NOT NULL,
  endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  event_type text NOT NULL,
  payload jsonb NOT NULL,
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  -- a delivery process holds a row while it sends it; another takes it over only after this time
  locked_until timestamptz,
  last_status integer,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, created_at DESC);

-- Every attempt of a delivery, for the delivery log.
-- (attempt counts from 1 again after a manual redelivery)
CREATE TABLE webhook_attempts (
  id bigserial PRIMARY KEY,
  delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  attempt integer NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  status integer,
  error text,
  duration_ms integer NOT NULL
);
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery_id, id);

-- The delivery process wakes at once for a new message instead of waiting for its next poll.
CREATE FUNCTION notify_webhook_delivery() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('kadai_webhook', NEW.id::text);
  RETURN NEW;
END $$;
CREATE TRIGGER webhook_delivery_due AFTER INSERT OR UPDATE OF next_attempt_at ON webhook_deliveries
  FOR EACH ROW WHEN (NEW.state = 'pending') EXECUTE FUNCTION notify_webhook_delivery();

-- Idempotency-Key for administrative calls (an LMS retrying a roster import or an enrolment).
CREATE TABLE idempotent_requests (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  key text NOT NULL,
  method text NOT NULL,
  path text NOT NULL,
  status integer NOT NULL,
  body jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, key)
);

-- Down Migration

DROP TABLE idempotent_requests;
DROP TRIGGER webhook_delivery_due ON webhook_deliveries;
DROP FUNCTION notify_webhook_delivery;
DROP TABLE webhook_attempts, webhook_deliveries, webhook_endpoints, assignment_extensions;
