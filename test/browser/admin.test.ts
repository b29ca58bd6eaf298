import { createServer, type Server } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { freePort, solutionAnswers, startStack, type Stack } from '../support/stack';
import { until } from '../support/until';
import { checkPage, launch, newContext, signIn } from './browser';

// The administration pages driven in Chromium against the real api, worker, PostgreSQL and Redis:
// enrolments and roster import, assignments, extensions, a course's webhooks with redelivery, and an admin's
// courses, users and tokens. Each form is one API call, so what the pages refuse is what the API refuses.

const WEBHOOKS = { KADAI_WEBHOOK_ALLOW_PRIVATE: '127.0.0.1', KADAI_WEBHOOK_POLL_MS: '200' };
let stack: Stack;
let browser: Browser;
/** A webhook receiver: the webhook-id of every request it got. */
let receiver: Server;
const received: string[] = [];
let receiverPort: number;
beforeAll(async () => {
  receiverPort = await freePort();
  receiver = createServer((req, res) => {
    received.push(String(req.headers['webhook-id']));
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  }).listen(receiverPort, '127.0.0.1');
  [stack, browser] = await Promise.all([startStack('browser_admin', { redisDb: 12, workerEnv: WEBHOOKS, apiEnv: { ...WEBHOOKS, KADAI_LOOKUP_CACHE_MS: '0' } }), launch()]);
}, 240_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  receiver?.close();
});

async function signedIn(who: 'admin' | 'sensei', path: string, locale: 'ja-JP' | 'en-US' = 'en-US'): Promise<Page> {
  const page = await (await newContext(browser, locale)).newPage();
  await signIn(page, stack.apiUrl, stack.tokens[who], path);
  return page;
}

/** Submits a form and waits for the page to be drawn again (a change that took). */
async function submitAndReload(page: Page, form: string): Promise<void> {
  await Promise.all([page.waitForEvent('load'), page.click(`${form} button[type="submit"]`)]);
  await page.waitForSelector('body[data-ready="true"]');
}
const statusOf = (page: Page, form: string) => page.locator(`${form} .form-status`);
const meStatus = async (token: string) => (await fetch(`${stack.apiUrl}/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status;

describe('an admin', () => {
  it('creates a user and a token shown once, revokes and rotates tokens (the API then refuses the old ones), renames a course, and is told which field is wrong', async () => {
    const page = await signedIn('admin', '/admin');
    await checkPage(page, 'admin');
    await page.fill('#user-login', 'newbie');
    await page.fill('#user-displayName', '<b>New</b> student');
    await submitAndReload(page, '#form-user');
    expect(await page.locator('#users-heading + table tbody tr', { hasText: 'newbie' }).textContent()).toContain('<b>New</b> student');

    await page.fill('#token-login', 'newbie');
    await page.fill('#token-label', 'browser-test');
    await page.click('#form-token button[type="submit"]');
    const token = (await page.locator('#form-token .shown-token').textContent())!;
    expect(token).toMatch(/^kadai_/);
    expect(await meStatus(token)).toBe(200);
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.content()).not.toContain(token); // shown once: never again
    const row = page.locator('#tokens-heading + table tbody tr', { hasText: 'browser-test' });
    await Promise.all([page.waitForEvent('load'), row.locator('button', { hasText: 'Revoke' }).click()]);
    expect(await meStatus(token)).toBe(401);

    // rotating: the new token is shown once, the old one stops at once
    await page.waitForSelector('body[data-ready="true"]');
    await page.fill('#token-login', 'newbie');
    await page.fill('#token-label', 'rotate-me');
    await page.click('#form-token button[type="submit"]');
    const before = (await page.locator('#form-token .shown-token').textContent())!;
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    const rotating = page.locator('#tokens-heading + table tbody tr', { hasText: 'rotate-me' });
    await rotating.locator('button', { hasText: 'Rotate' }).click();
    const after = (await rotating.locator('.shown-token').textContent())!;
    expect(after).toMatch(/^kadai_/);
    expect([await meStatus(before), await meStatus(after)]).toEqual([401, 200]);

    // renaming a course: the name is text on the page, whatever it holds
    await page.fill('#rename-0-title', 'Demo <i>2027</i>');
    await submitAndReload(page, '#form-rename-0');
    expect(await page.locator('#courses-heading + table tbody tr', { hasText: 'demo' }).locator('td').first().textContent()).toBe('Demo <i>2027</i>');

    // a bad course id: the API's own rule, named on the page; nothing created
    await page.waitForSelector('body[data-ready="true"]');
    await page.fill('#course-id', 'Not An Id');
    await page.fill('#course-title', 'Course');
    await page.click('#form-course button[type="submit"]');
    await page.waitForSelector('#course-id[aria-invalid="true"]');
    expect(await statusOf(page, '#form-course').textContent()).toContain('a course id is lowercase letters');
    expect(await stack.sql(`SELECT 1 FROM courses WHERE title = 'Course'`)).toEqual([]);
    await checkPage(page, 'admin-refused');
    await page.context().close();
  });
});

describe('an instructor', () => {
  it('enrols a student who then shows in the matrix, and unenrols them', async () => {
    await stack.sql(`INSERT INTO users (login, display_name, role) VALUES ('tanaka', 'Tanaka', 'student') ON CONFLICT DO NOTHING`);
    const page = await signedIn('sensei', '/courses/demo/members', 'ja-JP');
    await checkPage(page, 'course-members');
    await page.fill('#enrol-login', 'tanaka');
    await submitAndReload(page, '#form-enrol');
    await page.goto(`${stack.apiUrl}/courses/demo`);
    await page.waitForSelector('#matrix th[data-v="tanaka"]');
    await page.click('a[href="/courses/demo/members"]');
    await page.waitForSelector('body[data-ready="true"]');
    await Promise.all([page.waitForEvent('load'), page.locator('tr', { hasText: 'tanaka' }).locator('button').click()]);
    expect(await stack.sql(`SELECT 1 FROM enrollments e JOIN users u ON u.id = e.user_id WHERE u.login = 'tanaka'`)).toEqual([]);
    await page.context().close();
  });

  it('is refused a roster CSV with a bad row, named by line, and nothing is imported', async () => {
    const page = await signedIn('sensei', '/courses/demo/members');
    await page.setInputFiles('#roster-roster', { name: 'roster.csv', mimeType: 'text/csv', buffer: Buffer.from('login,name,role\nr001,Aoki,student\nnot a login,Baba,student\n') });
    await page.click('#form-roster button[type="submit"]');
    await until('the refusal', async () => ((await statusOf(page, '#form-roster').textContent())?.includes('roster.csv:3') ? true : undefined), 20_000);
    expect(await stack.sql(`SELECT 1 FROM users WHERE login = 'r001'`)).toEqual([]);
    await checkPage(page, 'course-members-roster-refused');
    await page.context().close();
  });

  it('sets a lab in a course from its assignments page, and is told which field is wrong', async () => {
    const asAdmin = { authorization: `Bearer ${stack.tokens.admin}`, 'content-type': 'application/json' };
    expect((await fetch(`${stack.apiUrl}/v1/courses`, { method: 'POST', headers: asAdmin, body: JSON.stringify({ id: 'set-2027', title: 'Set 2027' }) })).status).toBe(201);
    expect((await fetch(`${stack.apiUrl}/v1/courses/set-2027/enrollments/sensei`, { method: 'PUT', headers: asAdmin, body: JSON.stringify({ role: 'instructor' }) })).status).toBe(200);
    const page = await signedIn('sensei', '/courses/set-2027/assignments');
    await checkPage(page, 'course-assignments');
    await page.selectOption('#assign-labId', 'quiz-ch05');
    await page.fill('#assign-maxAttempts', '0');
    await page.click('#form-assign button[type="submit"]');
    await page.waitForSelector('#assign-maxAttempts[aria-invalid="true"]');
    expect(await stack.sql(`SELECT 1 FROM assignments WHERE course_id = 'set-2027'`)).toEqual([]);
    await page.fill('#assign-maxAttempts', '3');
    await page.fill('#assign-dueAt', '2030-01-31T23:59');
    await page.selectOption('#assign-scoring', 'last');
    await submitAndReload(page, '#form-assign');
    expect(await page.locator('tbody tr', { hasText: 'quiz-ch05' }).count()).toBe(1);
    expect(await page.locator('#assign-labId option[value="quiz-ch05"]').count()).toBe(0);
    const [row] = await stack.sql<{ max_attempts: number; scoring: string; due: number }>(`SELECT max_attempts, scoring, extract(epoch FROM due_at)::int AS due FROM assignments WHERE course_id = 'set-2027'`);
    expect(row).toEqual({ max_attempts: 3, scoring: 'last', due: Date.parse('2030-01-31T23:59:00+09:00') / 1000 });
    await page.context().close();
  });

  it('grants a student an extension with extra attempts, and is told which field is wrong', async () => {
    const page = await signedIn('sensei', '/courses/demo/extensions');
    await checkPage(page, 'course-extensions');
    const assignment = (await page.locator('#extend-assignment option', { hasText: 'quiz-ch01' }).getAttribute('value'))!;
    await page.selectOption('#extend-assignment', assignment);
    await page.fill('#extend-login', 'student1');
    await page.fill('#extend-extraAttempts', '-1');
    await page.click('#form-extend button[type="submit"]');
    await page.waitForSelector('#extend-extraAttempts[aria-invalid="true"]');
    expect(await stack.sql(`SELECT 1 FROM assignment_extensions`)).toEqual([]);
    await page.fill('#extend-extraAttempts', '2');
    await page.fill('#extend-dueAt', '2030-01-31T23:59');
    await page.fill('#extend-reason', 'illness');
    await submitAndReload(page, '#form-extend');
    expect(await page.locator('tr', { hasText: 'student1' }).textContent()).toContain('illness');
    const [extension] = await stack.sql<{ extra: number; due: number }>(`SELECT extra_attempts AS extra, extract(epoch FROM due_at)::int AS due FROM assignment_extensions WHERE assignment_id = $1`, [assignment]);
    expect(extension).toEqual({ extra: 2, due: Date.parse('2030-01-31T23:59:00+09:00') / 1000 });
    await page.context().close();
  });

  it('registers a webhook (its secret shown once), sees the delivery log and redelivers from the page', async () => {
    const page = await signedIn('sensei', '/courses/demo/webhooks');
    await page.fill('#webhook-url', `http://127.0.0.1:${receiverPort}/hook`);
    await page.click('#form-webhook button[type="submit"]');
    expect(await page.locator('#form-webhook .shown-secret').textContent()).toMatch(/^whsec_/);
    const accepted = await stack.client('student1').submitJson({ lab: 'quiz-ch02', answers: solutionAnswers('quiz-ch02') });
    await stack.client('student1').waitForResult(accepted.id, 60_000);
    await until('the first delivery', async () => (received.length >= 1 ? true : undefined), 60_000);
    // the receiver has it before the sender has read its answer and recorded `delivered`
    await until('the delivery recorded', async () => ((await stack.sql("SELECT 1 FROM webhook_deliveries WHERE state = 'delivered'")).length > 0 ? true : undefined), 60_000);
    await page.reload();
    await checkPage(page, 'course-webhooks');
    expect(await page.locator('tbody tr').first().textContent()).toContain('delivered');
    await page.locator('tbody tr').first().locator('button').click();
    await until('the redelivery', async () => (received.length >= 2 ? true : undefined), 60_000);
    expect(received[1]).toBe(received[0]); // the same message: the same webhook-id
    await page.context().close();
  });
});
