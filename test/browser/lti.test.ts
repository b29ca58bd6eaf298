import type { Browser } from 'playwright-core';
import { TestPlatform } from '../support/lti-platform';
import { solutionAnswers, startStack, type Stack } from '../support/stack';
import { checkPage, launch, newContext } from './browser';

let stack: Stack;
let browser: Browser;
let platform: TestPlatform;
const admin = () => ({ authorization: `Bearer ${stack.tokens.admin}`, 'content-type': 'application/json' });

beforeAll(async () => {
  [stack, browser] = await Promise.all([startStack('browser_lti', { redisDb: 13, apiEnv: { KADAI_LTI_PASSBACK_MS: '300' } }), launch()]);
  platform = await TestPlatform.start(stack.apiUrl);
}, 240_000);
afterAll(async () => {
  await platform?.stop();
  await browser?.close();
  await stack?.stop();
});

/** The OIDC login as the platform's browser would start it; returns kadai's state and nonce. */
async function login(user: string): Promise<{ state: string; nonce: string }> {
  const response = await fetch(`${stack.apiUrl}/lti/login?${new URLSearchParams({ iss: platform.issuer, login_hint: user, client_id: platform.clientId })}`, { redirect: 'manual' });
  expect(response.status).toBe(302);
  const auth = new URL(response.headers.get('location')!);
  expect(auth.origin + auth.pathname).toBe(`${platform.url}/auth`);
  return { state: auth.searchParams.get('state')!, nonce: auth.searchParams.get('nonce')! };
}

async function postLaunch(idToken: string, state: string) {
  const response = await fetch(`${stack.apiUrl}/lti/launch`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ id_token: idToken, state }) });
  return { status: response.status, location: response.headers.get('location'), text: await response.text() };
}

async function waitFor<T>(what: string, probe: () => T | undefined, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('platform registration (admin API)', () => {
  it('registers the platform, and refuses a bad registration naming each field', async () => {
    const bad = await fetch(`${stack.apiUrl}/v1/lti/platforms`, { method: 'POST', headers: admin(), body: JSON.stringify({ ...platform.registration('demo'), issuer: 'not a url', deploymentIds: [] }) });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { errors: Array<{ field: string }> }).errors.map((e) => e.field).sort()).toEqual(['deploymentIds', 'issuer']);
    const unknownCourse = await fetch(`${stack.apiUrl}/v1/lti/platforms`, { method: 'POST', headers: admin(), body: JSON.stringify(platform.registration('no-such-course')) });
    expect(unknownCourse.status).toBe(422);
    const asInstructor = await fetch(`${stack.apiUrl}/v1/lti/platforms`, { method: 'POST', headers: { ...admin(), authorization: `Bearer ${stack.tokens.sensei}` }, body: JSON.stringify(platform.registration('demo')) });
    expect(asInstructor.status).toBe(403);
    const created = await fetch(`${stack.apiUrl}/v1/lti/platforms`, { method: 'POST', headers: admin(), body: JSON.stringify(platform.registration('demo')) });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ issuer: platform.issuer, courseId: 'demo' });
  });
});

describe('an LTI launch', () => {
  it('signs the student in on the lab page; their grade goes back to the platform with a client-credentials token', async () => {
    const context = await newContext(browser, 'en-US');
    const page = await context.newPage();
    await page.goto(platform.launchLink('lms-learner-1', 'quiz-ch01'));
    await page.waitForURL(`${stack.apiUrl}/courses/demo/labs/quiz-ch01`);
    expect((await context.cookies()).find((c) => c.name === 'kadai_session')).toMatchObject({ httpOnly: true });
    await checkPage(page, 'lti-landing');
    for (const [question, choices] of Object.entries(solutionAnswers('quiz-ch01'))) {
      for (const choice of choices) await page.check(`fieldset[data-question="${question}"] input[value="${choice}"]`);
    }
    await Promise.all([page.waitForURL(/\/submissions\//), page.click('#submit-form button[type="submit"]')]);
    await page.waitForSelector('#live-state .state-graded', { timeout: 30_000 });
    const score = await waitFor('the score at the platform', () => platform.scores[0]);
    expect(score).toEqual({
      lab: 'quiz-ch01',
      contentType: 'application/vnd.ims.lis.v1.score+json',
      body: { userId: 'lms-learner-1', scoreGiven: 8, scoreMaximum: 8, activityProgress: 'Completed', gradingProgress: 'FullyGraded', timestamp: expect.any(String) },
    });
    // the token endpoint checked kadai's assertion against the published JWKS
    const jwks = (await (await fetch(`${stack.apiUrl}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string; d?: string }> };
    expect(jwks.keys.map((k) => k.kid)).toContain(platform.assertionKids[0]);
    expect(jwks.keys.every((k) => k.d === undefined)).toBe(true);
    await context.close();
  });

  it('rotates kadai’s key: both keys published, the new one signs the next passback (an override)', async () => {
    const before = (await (await fetch(`${stack.apiUrl}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
    const rotated = await fetch(`${stack.apiUrl}/v1/lti/keys/rotate`, { method: 'POST', headers: admin() });
    expect(rotated.status).toBe(201);
    const { kid } = (await rotated.json()) as { kid: string };
    const after = (await (await fetch(`${stack.apiUrl}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
    expect(after.keys.map((k) => k.kid)).toEqual([kid, ...before.keys.map((k) => k.kid)]);
    // an instructor lowers the score by hand: the platform gets the new grade, asked for with the new key
    const id = (await stack.sql<{ id: string }>(`SELECT s.id FROM submissions s JOIN users u ON u.id = s.user_id WHERE u.login LIKE 'lti-%' AND s.lab_id = 'quiz-ch01'`))[0]!.id;
    const override = await fetch(`${stack.apiUrl}/v1/submissions/${id}/override`, { method: 'POST', headers: { ...admin(), authorization: `Bearer ${stack.tokens.sensei}` }, body: JSON.stringify({ score: 5, reason: 'copied answers' }) });
    expect(override.status).toBe(200);
    const second = await waitFor('the second score', () => platform.scores[1]);
    expect(second.body).toMatchObject({ userId: 'lms-learner-1', scoreGiven: 5, scoreMaximum: 8 });
    expect(platform.assertionKids.at(-1)).toBe(kid);
  });

  it('refuses forged, replayed, expired and misdirected id_tokens, and unknown states', async () => {
    const { generateKeyPair } = await import('jose');
    const { privateKey: otherKey } = await generateKeyPair('RS256');
    const now = Math.floor(Date.now() / 1000);
    const cases: Array<[string, (nonce: string) => Promise<string>, RegExp]> = [
      ['forged', (nonce) => platform.idToken({ sub: 'x', nonce, lab: 'quiz-ch01' }, {}, otherKey), /signature/i],
      ['expired', (nonce) => platform.idToken({ sub: 'x', nonce, lab: 'quiz-ch01' }, { iat: now - 7200, exp: now - 3600 }), /exp/i],
      ['for another tool', (nonce) => platform.idToken({ sub: 'x', nonce, lab: 'quiz-ch01' }, { aud: 'someone-else' }), /aud/i],
      ['for another login', () => platform.idToken({ sub: 'x', nonce: 'not-this-one', lab: 'quiz-ch01' }), /nonce/i],
      ['from an unknown deployment', (nonce) => platform.idToken({ sub: 'x', nonce, lab: 'quiz-ch01' }, { 'https://purl.imsglobal.org/spec/lti/claim/deployment_id': 'other' }), /deployment/i],
      ['of an unknown lab', (nonce) => platform.idToken({ sub: 'x', nonce, lab: 'no-such-lab' }), /no-such-lab/],
    ];
    for (const [name, token, reason] of cases) {
      const { state, nonce } = await login('lms-attacker');
      const result = await postLaunch(await token(nonce), state);
      expect({ name, status: result.status, reason: reason.test(result.text) }).toEqual({ name, status: 401, reason: true });
    }
    // a good launch, then the same id_token again: with its used state, and with a fresh state
    const first = await login('lms-learner-2');
    const good = await platform.idToken({ sub: 'lms-learner-2', nonce: first.nonce, lab: 'quiz-ch02' });
    expect(await postLaunch(good, first.state)).toMatchObject({ status: 303, location: '/courses/demo/labs/quiz-ch02' });
    expect(await postLaunch(good, first.state)).toMatchObject({ status: 401, text: expect.stringMatching(/state/) });
    const second = await login('lms-learner-2');
    expect(await postLaunch(good, second.state)).toMatchObject({ status: 401, text: expect.stringMatching(/nonce|replay/) });
    expect((await postLaunch(good, 'made-up-state')).status).toBe(401);
    const users = await stack.sql<{ n: number }>(`SELECT count(*)::int AS n FROM users WHERE login LIKE 'lti-%'`);
    expect(users[0]!.n).toBe(2);
  });
});
