import type { Queryable } from '@kadai/db';
import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { findPlatform, getPlatform, type Platform } from './platforms';

const STATE_TTL_MS = 10 * 60 * 1000;
/** Nonces are remembered this long; id_tokens older than this are refused anyway (`maxTokenAge`). */
const NONCE_TTL_MS = 60 * 60 * 1000;
const MAX_TOKEN_AGE = '10m';

const CLAIM = {
  messageType: 'https://purl.imsglobal.org/spec/lti/claim/message_type',
  version: 'https://purl.imsglobal.org/spec/lti/claim/version',
  deploymentId: 'https://purl.imsglobal.org/spec/lti/claim/deployment_id',
  roles: 'https://purl.imsglobal.org/spec/lti/claim/roles',
  custom: 'https://purl.imsglobal.org/spec/lti/claim/custom',
  targetLinkUri: 'https://purl.imsglobal.org/spec/lti/claim/target_link_uri',
  ags: 'https://purl.imsglobal.org/spec/lti-ags/claim/endpoint',
} as const;

/** A launch refused; `reason` says why (for the log and the person looking at the page). */
export class LtiLaunchError extends Error {}

const hash = (value: string) => createHash('sha256').update(value).digest();

/**
 * The OIDC login initiation (third-party initiated login): remembers a single-use state and nonce
 * and answers where to send the browser — the platform's authorization endpoint.
 */
export async function startLogin(
  db: Queryable,
  params: { iss?: string; login_hint?: string; target_link_uri?: string; lti_message_hint?: string; client_id?: string },
  redirectUri: string,
): Promise<string> {
  if (!params.iss || !params.login_hint) throw new LtiLaunchError('the login request needs iss and login_hint');
  const platform = await findPlatform(db, params.iss, params.client_id);
  if (!platform) throw new LtiLaunchError(`no platform registered for issuer ${params.iss}${params.client_id ? ` and client ${params.client_id}` : ''}`);
  const state = randomBytes(24).toString('base64url');
  const nonce = randomBytes(24).toString('base64url');
  await db.query('DELETE FROM lti_states WHERE expires_at < now()');
  await db.query('INSERT INTO lti_states (state_hash, platform_id, nonce, expires_at) VALUES ($1, $2, $3, $4)', [
    hash(state),
    platform.id,
    nonce,
    new Date(Date.now() + STATE_TTL_MS),
  ]);
  const url = new URL(platform.authLoginUrl);
  const query: Record<string, string | undefined> = {
    scope: 'openid',
    response_type: 'id_token',
    response_mode: 'form_post',
    prompt: 'none',
    client_id: platform.clientId,
    redirect_uri: redirectUri,
    login_hint: params.login_hint,
    lti_message_hint: params.lti_message_hint,
    state,
    nonce,
  };
  for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, value);
  return url.toString();
}

export interface Launch {
  platform: Platform;
  /** The platform's id of the user (`sub`). */
  userId: string;
  name: string;
  instructor: boolean;
  labId: string | undefined;
  /** The AGS line item scores go to, when the platform granted the score scope. */
  lineitem: string | undefined;
}

const jwksByUrl = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
function platformKeys(url: string) {
  let jwks = jwksByUrl.get(url);
  if (!jwks) jwksByUrl.set(url, (jwks = createRemoteJWKSet(new URL(url), { timeoutDuration: 10_000, cooldownDuration: 30_000 })));
  return jwks;
}

/**
 * Completes a launch: the state must be one kadai issued and not used yet; the id_token must be
 * signed by the platform's key (its JWKS), for this client, recent, with the nonce of that state
 * seen for the first time, from a registered deployment, and a resource link launch of LTI 1.3.
 */
export async function completeLaunch(db: Queryable, idToken: string, state: string): Promise<Launch> {
  const { rows } = await db.query<{ platform_id: string; nonce: string }>(
    'DELETE FROM lti_states WHERE state_hash = $1 AND expires_at > now() RETURNING platform_id, nonce',
    [hash(state)],
  );
  const pending = rows[0];
  if (!pending) throw new LtiLaunchError('unknown, used or expired state: start the launch again from the LMS');
  const platform = (await getPlatform(db, pending.platform_id))!;
  let claims: JWTPayload;
  try {
    ({ payload: claims } = await jwtVerify(idToken, platformKeys(platform.jwksUrl), {
      issuer: platform.issuer,
      audience: platform.clientId,
      algorithms: ['RS256', 'RS384', 'RS512', 'ES256', 'PS256'],
      maxTokenAge: MAX_TOKEN_AGE,
      requiredClaims: ['sub', 'nonce', 'iat', 'exp'],
    }));
  } catch (error) {
    const why = error instanceof errors.JOSEError ? `${error.code}: ${error.message}` : String(error);
    throw new LtiLaunchError(`the id_token is not valid: ${why}`);
  }
  if (claims.nonce !== pending.nonce) throw new LtiLaunchError('the id_token was not issued for this login (nonce)');
  // the nonce is remembered: the same id_token presented again (with any state) is refused
  await db.query('DELETE FROM lti_nonces WHERE expires_at < now()');
  const fresh = await db.query('INSERT INTO lti_nonces (platform_id, nonce, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
    platform.id,
    claims.nonce,
    new Date(Date.now() + NONCE_TTL_MS),
  ]);
  if (fresh.rowCount !== 1) throw new LtiLaunchError('this id_token was used before (replay)');
  if (claims[CLAIM.version] !== '1.3.0') throw new LtiLaunchError(`LTI version ${String(claims[CLAIM.version])} is not 1.3.0`);
  if (claims[CLAIM.messageType] !== 'LtiResourceLinkRequest') throw new LtiLaunchError(`message type ${String(claims[CLAIM.messageType])} is not supported`);
  const deployment = String(claims[CLAIM.deploymentId] ?? '');
  if (!platform.deploymentIds.includes(deployment)) throw new LtiLaunchError(`deployment ${deployment} is not registered for this platform`);
  const roles = Array.isArray(claims[CLAIM.roles]) ? (claims[CLAIM.roles] as string[]) : [];
  const custom = (claims[CLAIM.custom] ?? {}) as Record<string, unknown>;
  const target = typeof claims[CLAIM.targetLinkUri] === 'string' ? new URL(claims[CLAIM.targetLinkUri] as string).searchParams.get('lab') : null;
  const ags = claims[CLAIM.ags] as { lineitem?: string; scope?: string[] } | undefined;
  return {
    platform,
    userId: claims.sub!,
    name: typeof claims.name === 'string' && claims.name ? claims.name : claims.sub!,
    instructor: roles.some((r) => /membership#(Instructor|Administrator)$/.test(r) || /#ContentDeveloper$/.test(r)),
    labId: typeof custom.lab === 'string' ? custom.lab : (target ?? undefined),
    lineitem: ags?.lineitem && ags.scope?.includes('https://purl.imsglobal.org/spec/lti-ags/scope/score') ? ags.lineitem : undefined,
  };
}
