import type { Queryable } from '@kadai/db';
import { exportJWK, generateKeyPair, importJWK, type JWK, type CryptoKey } from 'jose';
import { randomUUID } from 'node:crypto';

export interface SigningKey {
  kid: string;
  key: CryptoKey;
}

/**
 * kadai's RS256 keys. A key signs for `rotationMs`, then a new one takes over; the old one stays in
 * the published JWKS for one more period, so a platform that cached the JWKS still verifies what it
 * signed. Two api processes rotating at once make two keys: both are published, the newer signs.
 */
export class LtiKeys {
  constructor(
    private readonly db: Queryable,
    private readonly rotationMs: number,
  ) {}

  /** Makes sure a key younger than the rotation period exists; returns it. */
  async current(now = new Date()): Promise<SigningKey> {
    const found = await this.newest(now);
    if (found) return found;
    return this.rotate(now);
  }

  /** Starts a new signing key now (also called when a period is over). */
  async rotate(now = new Date()): Promise<SigningKey> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const kid = randomUUID();
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'RS256' };
    await this.db.query(`INSERT INTO lti_keys (kid, private_jwk, public_jwk, created_at, retires_at) VALUES ($1, $2, $3, $4, $5)`, [
      kid,
      privateJwk,
      publicJwk,
      now,
      new Date(now.getTime() + 2 * this.rotationMs),
    ]);
    return { kid, key: privateKey };
  }

  /** The public keys of every key not yet retired, newest first. */
  async jwks(now = new Date()): Promise<{ keys: JWK[] }> {
    await this.current(now);
    const { rows } = await this.db.query<{ public_jwk: JWK }>('SELECT public_jwk FROM lti_keys WHERE retires_at > $1 ORDER BY created_at DESC', [now]);
    return { keys: rows.map((r) => r.public_jwk) };
  }

  private async newest(now: Date): Promise<SigningKey | undefined> {
    const { rows } = await this.db.query<{ kid: string; private_jwk: JWK }>(
      `SELECT kid, private_jwk FROM lti_keys WHERE created_at > $1 AND created_at <= $2 ORDER BY created_at DESC LIMIT 1`,
      [new Date(now.getTime() - this.rotationMs), now],
    );
    const row = rows[0];
    return row && { kid: row.kid, key: (await importJWK(row.private_jwk, 'RS256')) as CryptoKey };
  }
}
