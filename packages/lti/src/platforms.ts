import type { Queryable } from '@kadai/db';
import { z } from 'zod';

export const platformRegistration = z.strictObject({
  issuer: z.url(),
  clientId: z.string().min(1).max(200),
  authLoginUrl: z.url(),
  authTokenUrl: z.url(),
  jwksUrl: z.url(),
  deploymentIds: z.array(z.string().min(1).max(200)).min(1),
  courseId: z.string().min(1),
});
export type PlatformRegistration = z.infer<typeof platformRegistration>;
export type Platform = PlatformRegistration & { id: string };

const COLUMNS = `id, issuer, client_id AS "clientId", auth_login_url AS "authLoginUrl", auth_token_url AS "authTokenUrl",
  jwks_url AS "jwksUrl", deployment_ids AS "deploymentIds", course_id AS "courseId"`;

/** Registers a platform, or updates the one with the same issuer and client id. */
export async function registerPlatform(db: Queryable, p: PlatformRegistration): Promise<Platform> {
  const { rows } = await db.query<Platform>(
    `INSERT INTO lti_platforms (issuer, client_id, auth_login_url, auth_token_url, jwks_url, deployment_ids, course_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (issuer, client_id) DO UPDATE SET auth_login_url = EXCLUDED.auth_login_url, auth_token_url = EXCLUDED.auth_token_url,
       jwks_url = EXCLUDED.jwks_url, deployment_ids = EXCLUDED.deployment_ids, course_id = EXCLUDED.course_id
     RETURNING ${COLUMNS}`,
    [p.issuer, p.clientId, p.authLoginUrl, p.authTokenUrl, p.jwksUrl, p.deploymentIds, p.courseId],
  );
  return rows[0]!;
}

export async function listPlatforms(db: Queryable): Promise<Platform[]> {
  return (await db.query<Platform>(`SELECT ${COLUMNS} FROM lti_platforms ORDER BY issuer, client_id`)).rows;
}

/** The platform of an issuer; with several client ids for one issuer, `clientId` picks one. */
export async function findPlatform(db: Queryable, issuer: string, clientId?: string): Promise<Platform | undefined> {
  const { rows } = await db.query<Platform>(`SELECT ${COLUMNS} FROM lti_platforms WHERE issuer = $1 AND ($2::text IS NULL OR client_id = $2) ORDER BY created_at LIMIT 2`, [
    issuer,
    clientId ?? null,
  ]);
  return rows.length === 1 ? rows[0] : undefined;
}

export async function getPlatform(db: Queryable, id: string): Promise<Platform | undefined> {
  return (await db.query<Platform>(`SELECT ${COLUMNS} FROM lti_platforms WHERE id = $1`, [id])).rows[0];
}
