import express from 'express';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { freePort } from './stack';

export interface RecordedScore {
  lab: string;
  contentType: string | undefined;
  body: Record<string, unknown>;
}

/**
 * A small LTI 1.3 platform (an LMS's side) for the tests: it signs launches with its own key,
 * answers kadai's OIDC login with an auto-posting form as an LMS does, checks the JWT kadai signs
 * for an access token against kadai's published JWKS, and records the scores posted to its line items.
 */
export class TestPlatform {
  readonly clientId = 'kadai-tool';
  readonly deploymentId = 'deployment-1';
  readonly scores: RecordedScore[] = [];
  /** The key ids of kadai's client assertions the token endpoint verified. */
  readonly assertionKids: string[] = [];
  url = '';
  private key!: CryptoKey;
  private server!: Server;
  private tokens = new Set<string>();

  private constructor(private readonly kadaiUrl: string) {}

  static async start(kadaiUrl: string): Promise<TestPlatform> {
    const platform = new TestPlatform(kadaiUrl);
    await platform.listen();
    return platform;
  }

  get issuer(): string {
    return this.url;
  }

  registration(courseId: string) {
    return {
      issuer: this.issuer,
      clientId: this.clientId,
      authLoginUrl: `${this.url}/auth`,
      authTokenUrl: `${this.url}/token`,
      jwksUrl: `${this.url}/jwks`,
      deploymentIds: [this.deploymentId],
      courseId,
    };
  }

  /** An id_token as this platform signs it; `overrides` change claims, `key` signs with another key. */
  async idToken(claims: { sub: string; nonce: string; lab: string; role?: 'Learner' | 'Instructor' }, overrides: JWTPayload = {}, key: CryptoKey = this.key): Promise<string> {
    const payload: JWTPayload = {
      nonce: claims.nonce,
      name: `LTI ${claims.sub}`,
      'https://purl.imsglobal.org/spec/lti/claim/message_type': 'LtiResourceLinkRequest',
      'https://purl.imsglobal.org/spec/lti/claim/version': '1.3.0',
      'https://purl.imsglobal.org/spec/lti/claim/deployment_id': this.deploymentId,
      'https://purl.imsglobal.org/spec/lti/claim/target_link_uri': `${this.kadaiUrl}/lti/launch`,
      'https://purl.imsglobal.org/spec/lti/claim/resource_link': { id: `link-${claims.lab}` },
      'https://purl.imsglobal.org/spec/lti/claim/roles': [`http://purl.imsglobal.org/vocab/lis/v2/membership#${claims.role ?? 'Learner'}`],
      'https://purl.imsglobal.org/spec/lti/claim/custom': { lab: claims.lab },
      'https://purl.imsglobal.org/spec/lti-ags/claim/endpoint': {
        scope: ['https://purl.imsglobal.org/spec/lti-ags/scope/score'],
        lineitem: `${this.url}/lineitems/${claims.lab}`,
      },
      ...overrides,
    };
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', kid: 'platform-key' })
      .setIssuer(this.issuer)
      .setAudience(typeof overrides.aud === 'string' ? overrides.aud : this.clientId)
      .setSubject(claims.sub)
      .setIssuedAt(typeof overrides.iat === 'number' ? overrides.iat : undefined)
      .setExpirationTime(typeof overrides.exp === 'number' ? overrides.exp : '5m')
      .sign(key);
  }

  /** Where a learner's browser starts a launch of a lab (the link in the LMS course). */
  launchLink(user: string, lab: string): string {
    return `${this.url}/start?user=${encodeURIComponent(user)}&lab=${encodeURIComponent(lab)}`;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async listen(): Promise<void> {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    this.key = privateKey;
    const publicJwk = { ...(await exportJWK(publicKey)), kid: 'platform-key', alg: 'RS256', use: 'sig' };
    const kadaiKeys = createRemoteJWKSet(new URL(`${this.kadaiUrl}/.well-known/jwks.json`), { cooldownDuration: 0 });
    const app = express();
    app.use(express.urlencoded({ extended: false }));
    app.get('/jwks', (_req, res) => res.json({ keys: [publicJwk] }));
    app.get('/start', (req, res) => {
      const login = new URL(`${this.kadaiUrl}/lti/login`);
      login.search = new URLSearchParams({ iss: this.issuer, login_hint: String(req.query.user), lti_message_hint: String(req.query.lab), target_link_uri: `${this.kadaiUrl}/lti/launch`, client_id: this.clientId }).toString();
      res.redirect(302, login.toString());
    });
    app.get('/auth', async (req, res) => {
      const q = req.query as Record<string, string>;
      if (q.client_id !== this.clientId || q.redirect_uri !== `${this.kadaiUrl}/lti/launch` || q.response_mode !== 'form_post' || q.scope !== 'openid') {
        res.status(400).send('bad authentication request');
        return;
      }
      const idToken = await this.idToken({ sub: q.login_hint!, nonce: q.nonce!, lab: q.lti_message_hint! });
      res.type('html').send(`<!doctype html><html lang="en"><title>LMS</title><body><form method="post" action="${q.redirect_uri}">
<input type="hidden" name="id_token" value="${idToken}"><input type="hidden" name="state" value="${q.state}"></form>
<script>document.forms[0].submit()</script></body></html>`);
    });
    app.post('/token', async (req, res) => {
      try {
        if (req.body.grant_type !== 'client_credentials' || req.body.client_assertion_type !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') throw new Error('grant');
        const { payload, protectedHeader } = await jwtVerify(String(req.body.client_assertion), kadaiKeys, { issuer: this.clientId, subject: this.clientId, audience: `${this.url}/token` });
        if (!payload.jti) throw new Error('jti');
        this.assertionKids.push(protectedHeader.kid!);
        const token = randomUUID();
        this.tokens.add(token);
        res.json({ access_token: token, token_type: 'bearer', expires_in: 3600, scope: req.body.scope });
      } catch (error) {
        res.status(401).json({ error: 'invalid_client', error_description: String(error) });
      }
    });
    app.post('/lineitems/:lab/scores', express.json({ type: 'application/vnd.ims.lis.v1.score+json' }), (req, res) => {
      if (!this.tokens.has(String(req.headers.authorization).replace(/^Bearer /, ''))) {
        res.status(401).end();
        return;
      }
      this.scores.push({ lab: String(req.params.lab), contentType: req.headers['content-type'], body: req.body });
      res.status(204).end();
    });
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    await new Promise<void>((resolve) => (this.server = app.listen(port, '127.0.0.1', () => resolve())));
  }
}
