import type { Db } from '@kadai/db';
import { SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import type { LtiKeys } from './keys';
import { getPlatform, type Platform } from './platforms';

export const SCORE_SCOPE = 'https://purl.imsglobal.org/spec/lti-ags/scope/score';
export const SCORE_MEDIA_TYPE = 'application/vnd.ims.lis.v1.score+json';
const TIMEOUT_MS = 10_000;

export interface PendingScore {
  platformId: string;
  userId: string;
  labId: string;
  ltiUserId: string;
  lineitem: string;
  submissionId: string;
  run: number;
  score: number;
  maxScore: number;
}

/**
 * Grade links whose counted grade (best or last, as the assignment scores; the late factor
 * applied) is not yet the one the platform has: a new grade, a regrade, an override.
 */
export async function pendingScores(db: Db, limit = 100): Promise<PendingScore[]> {
  const { rows } = await db.query<PendingScore>(
    `SELECT g.platform_id AS "platformId", g.user_id AS "userId", g.lab_id AS "labId", g.lti_user_id AS "ltiUserId", g.lineitem,
            pick.id AS "submissionId", pick.graded_run AS run, pick.score::float8 AS score, pick.max_score::float8 AS "maxScore"
       FROM lti_grade_links g
       JOIN lti_platforms p ON p.id = g.platform_id
       JOIN assignments a ON a.course_id = p.course_id AND a.lab_id = g.lab_id
       CROSS JOIN LATERAL (
         SELECT s.id, s.graded_run, s.score, s.max_score FROM submissions s
          WHERE s.assignment_id = a.id AND s.user_id = g.user_id AND s.graded_run IS NOT NULL
          ORDER BY CASE WHEN a.scoring = 'best' THEN s.score END DESC NULLS LAST, s.submitted_at DESC LIMIT 1
       ) pick
      WHERE g.posted_submission IS DISTINCT FROM pick.id OR g.posted_run IS DISTINCT FROM pick.graded_run OR g.posted_score IS DISTINCT FROM pick.score
      LIMIT $1`,
    [limit],
  );
  return rows;
}

/** A client-credentials access token for the score scope, asked for with a JWT kadai signs (RFC 7523). */
export async function accessToken(platform: Platform, keys: LtiKeys): Promise<string> {
  const key = await keys.current();
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
    .setIssuer(platform.clientId)
    .setSubject(platform.clientId)
    .setAudience(platform.authTokenUrl)
    .setIssuedAt()
    .setExpirationTime('5m')
    .setJti(randomUUID())
    .sign(key.key);
  const response = await fetch(platform.authTokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
      scope: SCORE_SCOPE,
    }),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`the platform's token endpoint answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
  const body = (await response.json()) as { access_token?: string };
  if (!body.access_token) throw new Error("the platform's token endpoint answered without an access_token");
  return body.access_token;
}

/** Posts one score to its line item's /scores (AGS 2.0) and records that the platform has it. */
export async function postScore(db: Db, keys: LtiKeys, pending: PendingScore, now = new Date()): Promise<void> {
  const platform = await getPlatform(db, pending.platformId);
  if (!platform) return;
  const token = await accessToken(platform, keys);
  const url = new URL(pending.lineitem);
  url.pathname = `${url.pathname.replace(/\/$/, '')}/scores`;
  const response = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': SCORE_MEDIA_TYPE },
    body: JSON.stringify({
      userId: pending.ltiUserId,
      scoreGiven: pending.score,
      scoreMaximum: pending.maxScore,
      activityProgress: 'Completed',
      gradingProgress: 'FullyGraded',
      timestamp: now.toISOString(),
    }),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`the platform refused the score (${response.status}): ${(await response.text()).slice(0, 300)}`);
  await db.query(
    `UPDATE lti_grade_links SET posted_submission = $4, posted_run = $5, posted_score = $6, updated_at = now()
      WHERE platform_id = $1 AND user_id = $2 AND lab_id = $3`,
    [pending.platformId, pending.userId, pending.labId, pending.submissionId, pending.run, pending.score],
  );
}
