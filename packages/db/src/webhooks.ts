import type { Queryable } from './pool';

export const WEBHOOK_EVENTS = ['submission.graded', 'submission.error', 'submission.regraded'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export interface WebhookEndpoint {
  id: string;
  courseId: string;
  url: string;
  events: WebhookEvent[];
  disabledAt: Date | null;
  disabledReason: string | null;
  createdAt: Date;
}

/** What the delivery process needs of an endpoint: where, and the secrets that sign. */
export interface EndpointSecrets {
  secret: string;
  /** The secret before the last rotation, while it still signs too. */
  previousSecret: string | null;
}

const ENDPOINT_COLUMNS = `e.id, e.course_id AS "courseId", e.url, e.events, e.disabled_at AS "disabledAt",
  e.disabled_reason AS "disabledReason", e.created_at AS "createdAt"`;

/**
 * Writes the outbox rows telling a course's endpoints of a submission's new outcome. Called in the
 * transaction that records the outcome, so an event exists exactly when its grade (or error) does.
 * The event: `submission.error` for a run ending in error, `submission.regraded` for a later run's
 * grade, `submission.graded` for the first. Practice work (no assignment, so no course) tells no one.
 */
export async function enqueueSubmissionEvents(db: Queryable, submissionId: string): Promise<number> {
  const { rowCount } = await db.query(
    `WITH event AS (
       SELECT s.*, a.course_id, u.login,
              CASE WHEN s.state = 'error' THEN 'submission.error'
                   WHEN s.grading_run > 1 THEN 'submission.regraded' ELSE 'submission.graded' END AS type
         FROM submissions s JOIN assignments a ON a.id = s.assignment_id JOIN users u ON u.id = s.user_id
        WHERE s.id = $1 AND s.state IN ('graded', 'error')
     )
     INSERT INTO webhook_deliveries (message_id, endpoint_id, event_type, payload)
     SELECT 'msg_' || replace(gen_random_uuid()::text, '-', ''), e.id, ev.type, jsonb_build_object(
              'type', ev.type,
              'timestamp', to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
              'data', jsonb_build_object(
                'submissionId', ev.id, 'courseId', ev.course_id, 'assignmentId', ev.assignment_id, 'labId', ev.lab_id,
                'userId', ev.user_id, 'login', ev.login, 'attempt', ev.attempt, 'gradingRun', ev.grading_run,
                'state', ev.state, 'score', ev.score::float8, 'maxScore', ev.max_score::float8, 'lateFactor', ev.late_factor::float8,
                'labVersion', ev.graded_lab_version, 'submittedAt', ev.submitted_at, 'finishedAt', ev.finished_at))
       FROM event ev JOIN webhook_endpoints e ON e.course_id = ev.course_id
      WHERE e.disabled_at IS NULL AND ev.type = ANY (e.events)`,
    [submissionId],
  );
  return rowCount ?? 0;
}

export async function createWebhookEndpoint(db: Queryable, e: { courseId: string; url: string; events: WebhookEvent[]; secret: string; createdBy: string }): Promise<WebhookEndpoint> {
  const { rows } = await db.query<WebhookEndpoint>(
    `INSERT INTO webhook_endpoints AS e (course_id, url, events, secret, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING ${ENDPOINT_COLUMNS}`,
    [e.courseId, e.url, e.events, e.secret, e.createdBy],
  );
  return rows[0]!;
}

export async function listWebhookEndpoints(db: Queryable, courseId: string): Promise<WebhookEndpoint[]> {
  const { rows } = await db.query<WebhookEndpoint>(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints e WHERE e.course_id = $1 ORDER BY e.created_at`, [courseId]);
  return rows;
}

export async function getWebhookEndpoint(db: Queryable, id: string): Promise<WebhookEndpoint | undefined> {
  const { rows } = await db.query<WebhookEndpoint>(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints e WHERE e.id = $1`, [id]);
  return rows[0];
}

export async function deleteWebhookEndpoint(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM webhook_endpoints WHERE id = $1', [id]);
  return rowCount === 1;
}

/** A new secret signs from now on; the old one signs too for `graceMs`, so receivers switch over without a gap. */
export async function rotateWebhookSecret(db: Queryable, id: string, secret: string, graceMs: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE webhook_endpoints SET previous_secret = secret, secret = $2,
            previous_secret_until = now() + make_interval(secs => $3 / 1000.0) WHERE id = $1`,
    [id, secret, graceMs],
  );
  return rowCount === 1;
}

/** Enables an endpoint again (after a 410, say), or disables it with a reason. */
export async function setWebhookEndpointDisabled(db: Queryable, id: string, reason: string | null): Promise<boolean> {
  const { rowCount } = await db.query(
    reason === null
      ? 'UPDATE webhook_endpoints SET disabled_at = NULL, disabled_reason = NULL WHERE id = $1'
      : 'UPDATE webhook_endpoints SET disabled_at = now(), disabled_reason = $2 WHERE id = $1',
    reason === null ? [id] : [id, reason],
  );
  return rowCount === 1;
}

/** One message to send, as the delivery process takes it. */
export interface DueDelivery extends EndpointSecrets {
  id: string;
  messageId: string;
  endpointId: string;
  url: string;
  eventType: string;
  payload: unknown;
  attempts: number;
  createdAt: Date;
}

/**
 * Takes up to `limit` due messages for one delivery process, holding each for `holdMs` (another
 * process may take one over only after that: its sender died mid-delivery). A message of a disabled
 * endpoint is not taken; it stays pending until the endpoint is enabled again.
 */
export async function takeDueDeliveries(db: Queryable, limit: number, holdMs: number): Promise<DueDelivery[]> {
  const { rows } = await db.query<DueDelivery>(
    `UPDATE webhook_deliveries d SET locked_until = now() + make_interval(secs => $2 / 1000.0)
       FROM webhook_endpoints e
      WHERE d.id IN (SELECT d2.id FROM webhook_deliveries d2 JOIN webhook_endpoints e2 ON e2.id = d2.endpoint_id
                      WHERE d2.state = 'pending' AND d2.next_attempt_at <= now() AND e2.disabled_at IS NULL
                        AND (d2.locked_until IS NULL OR d2.locked_until < now())
                      ORDER BY d2.next_attempt_at LIMIT $1 FOR UPDATE OF d2 SKIP LOCKED)
        AND e.id = d.endpoint_id
      RETURNING d.id, d.message_id AS "messageId", d.endpoint_id AS "endpointId", e.url, d.event_type AS "eventType",
                d.payload, d.attempts, d.created_at AS "createdAt", e.secret,
                CASE WHEN e.previous_secret_until > now() THEN e.previous_secret END AS "previousSecret"`,
    [limit, holdMs],
  );
  return rows;
}

/** How one attempt to send a message ended, and what comes next. */
export interface AttemptOutcome {
  status: number | null;
  error: string | null;
  durationMs: number;
  /** delivered, failed for good, or to be tried again at `retryAt` */
  next: { state: 'delivered' } | { state: 'failed' } | { state: 'pending'; retryAt: Date };
  /** The receiver answered 410 Gone: the endpoint is disabled. */
  disableEndpoint?: string;
}

export async function recordDeliveryAttempt(db: Queryable, delivery: DueDelivery, outcome: AttemptOutcome): Promise<void> {
  const retryAt = outcome.next.state === 'pending' ? outcome.next.retryAt : null;
  await db.query(
    `WITH updated AS (
       UPDATE webhook_deliveries SET attempts = attempts + 1, state = $2, last_status = $3, last_error = $4, locked_until = NULL,
              next_attempt_at = coalesce($5, next_attempt_at), delivered_at = CASE WHEN $2 = 'delivered' THEN now() END
        WHERE id = $1 RETURNING id, attempts)
     INSERT INTO webhook_attempts (delivery_id, attempt, status, error, duration_ms) SELECT id, attempts, $3, $4, $6 FROM updated`,
    [delivery.id, outcome.next.state, outcome.status, outcome.error, retryAt, Math.round(outcome.durationMs)],
  );
  if (outcome.disableEndpoint) await setWebhookEndpointDisabled(db, delivery.endpointId, outcome.disableEndpoint);
}

export interface DeliveryLogEntry {
  id: string;
  messageId: string;
  eventType: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptAt: Date | null;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
  payload: unknown;
  history: Array<{ attempt: number; at: Date; status: number | null; error: string | null; durationMs: number }>;
}

/** An endpoint's deliveries, newest first, each with its attempts. */
export async function listWebhookDeliveries(db: Queryable, endpointId: string, limit: number): Promise<DeliveryLogEntry[]> {
  const { rows } = await db.query<DeliveryLogEntry>(
    `SELECT d.id, d.message_id AS "messageId", d.event_type AS "eventType", d.state, d.attempts,
            CASE WHEN d.state = 'pending' THEN d.next_attempt_at END AS "nextAttemptAt", d.last_status AS "lastStatus",
            d.last_error AS "lastError", d.created_at AS "createdAt", d.delivered_at AS "deliveredAt", d.payload,
            coalesce((SELECT json_agg(json_build_object('attempt', a.attempt, 'at', a.at, 'status', a.status, 'error', a.error,
                                                        'durationMs', a.duration_ms) ORDER BY a.id)
                        FROM webhook_attempts a WHERE a.delivery_id = d.id), '[]') AS history
       FROM webhook_deliveries d WHERE d.endpoint_id = $1 ORDER BY d.created_at DESC, d.id LIMIT $2`,
    [endpointId, limit],
  );
  return rows;
}

/** The endpoint (and so the course) a delivery belongs to. */
export async function endpointOfDelivery(db: Queryable, deliveryId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ endpointId: string }>('SELECT endpoint_id AS "endpointId" FROM webhook_deliveries WHERE id = $1', [deliveryId]);
  return rows[0]?.endpointId;
}

/**
 * Sends a message again, at once, with its retries renewed: the same message id (receivers dedupe on
 * webhook-id) and payload. A message being sent right now is left to that attempt.
 */
export async function redeliver(db: Queryable, deliveryId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = now(), attempts = 0, locked_until = NULL
      WHERE id = $1 AND (state <> 'pending' OR locked_until IS NULL OR locked_until < now())`,
    [deliveryId],
  );
  return rowCount === 1;
}
