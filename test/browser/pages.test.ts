import { zipOf } from '@kadai/intake/src/fixtures';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { REPO_ROOT, solutionAnswers, startStack, type Stack } from '../support/stack';
import { until } from '../support/until';
import { checkPage, launch, newContext, signIn } from './browser';

let stack: Stack;
let browser: Browser;
beforeAll(async () => {
  [stack, browser] = await Promise.all([startStack('browser_pages', { redisDb: 11 }), launch()]);
  // A name made of markup: every page must show it as text.
  await stack.sql(`UPDATE users SET display_name = $1 WHERE login = 'student2'`, [`<img src=x onerror="document.title='pwned'"><script>document.title='pwned'</script>`]);
}, 240_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** Markup as a student's work could put it into a check's message, evidence or a file. */
const MARKUP = `<img src=x onerror="document.title='pwned'"><script>document.title='pwned'</script>`;

/** Presses Tab until the element matching `selector` has the focus (a keyboard user's way there). */
async function tabTo(page: Page, selector: string, maxPresses = 150): Promise<void> {
  for (let i = 0; i < maxPresses; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(`document.activeElement?.matches(${JSON.stringify(selector)}) ?? false`)) return;
  }
  throw new Error(`${selector}: not reached with ${maxPresses} presses of Tab`);
}

async function studentPage(locale: 'ja-JP' | 'en-US' = 'ja-JP'): Promise<Page> {
  const page = await (await newContext(browser, locale)).newPage();
  await signIn(page, stack.apiUrl, stack.tokens.student1);
  return page;
}

describe('sign-in', () => {
  it('refuses a wrong token on the page, and signs in with a right one into an HTTP-only session the scripts cannot read', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(`${stack.apiUrl}/courses/demo`);
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    await checkPage(page, 'sign-in');
    await page.fill('#token', 'kadai_not-a-token');
    await page.click('form[action="/sign-in"] button[type="submit"]');
    expect(await page.locator('[role="alert"]').textContent()).toContain('トークン');
    await page.fill('#token', stack.tokens.student1);
    await Promise.all([page.waitForURL(`${stack.apiUrl}/courses/demo`), page.click('form[action="/sign-in"] button[type="submit"]')]);
    const cookie = (await context.cookies()).find((c) => c.name === 'kadai_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    expect(await page.evaluate('({ cookie: document.cookie, stored: localStorage.length + sessionStorage.length })')).toEqual({ cookie: expect.not.stringContaining('kadai_session'), stored: 0 });
    await checkPage(page, 'student-course');
    await page.goto(`${stack.apiUrl}/`);
    await checkPage(page, 'courses');
    // signing out ends the session on the server too
    await Promise.all([page.waitForURL(/\/sign-in/), page.click('header form button[type="submit"]')]);
    const replay = await fetch(`${stack.apiUrl}/v1/labs`, { headers: { cookie: `kadai_session=${cookie.value}` } });
    expect(replay.status).toBe(401);
    await context.close();
  });

  it('refuses a state-changing call on the session without the CSRF token or from another origin', async () => {
    const page = await studentPage();
    const statuses = (await page.evaluate(`(async () => {
      const csrf = document.querySelector('meta[name="csrf-token"]').content;
      const post = (headers) =>
        fetch('/v1/submissions', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ lab: 'quiz-ch05', answers: {} }) }).then((r) => r.status);
      return { without: await post({}), wrong: await post({ 'x-csrf-token': 'nope' }), right: await post({ 'x-csrf-token': csrf }) };
    })()`)) as Record<'without' | 'wrong' | 'right', number>;
    // with the token the request gets through to intake (which refuses the empty answers); without it, 403
    expect(statuses.without).toBe(403);
    expect(statuses.wrong).toBe(403);
    expect(statuses.right).not.toBe(403);
    const cookie = (await page.context().cookies()).find((c) => c.name === 'kadai_session')!.value;
    const csrf = await page.locator('meta[name="csrf-token"]').getAttribute('content');
    const foreign = await fetch(`${stack.apiUrl}/v1/submissions`, {
      method: 'POST',
      headers: { cookie: `kadai_session=${cookie}`, 'x-csrf-token': csrf!, origin: 'https://evil.example', 'content-type': 'application/json' },
      body: JSON.stringify({ lab: 'quiz-ch01', answers: solutionAnswers('quiz-ch01') }),
    });
    expect(foreign.status).toBe(403);
    await page.context().close();
  });
});

describe('a student', () => {
  it('answers a quiz on its page, follows the grading live and sees the result and the attempt history', async () => {
    const page = await studentPage();
    // no CDN: everything the pages load (styles, scripts, the event stream) comes from kadai itself
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    await page.goto(`${stack.apiUrl}/courses/demo/labs/quiz-ch01`);
    await checkPage(page, 'student-lab-quiz');
    for (const [question, choices] of Object.entries(solutionAnswers('quiz-ch01'))) {
      for (const choice of choices) await page.check(`fieldset[data-question="${question}"] input[value="${choice}"]`);
    }
    await Promise.all([page.waitForURL(/\/submissions\/[0-9a-f-]{36}$/), page.click('#submit-form button[type="submit"]')]);
    // the page reloads itself when the event stream reports the end of the grading
    await page.waitForSelector('#live-state .state-graded', { timeout: 30_000 });
    expect(await page.locator('.facts').textContent()).toContain('8 / 8');
    await checkPage(page, 'student-result');
    await page.goto(`${stack.apiUrl}/courses/demo/labs/quiz-ch01`);
    expect(await page.locator('table caption', { hasText: '提出履歴' }).count()).toBe(1);
    expect(await page.locator('tbody .state-graded').count()).toBe(1);
    expect(requested.length).toBeGreaterThan(3);
    expect(requested.filter((url) => new URL(url).origin !== stack.apiUrl)).toEqual([]);
    await page.context().close();
  });

  it('can do it with the keyboard alone: signs in, opens the lab, answers and hands in', async () => {
    const page = await (await newContext(browser, 'en-US')).newPage();
    await page.goto(`${stack.apiUrl}/sign-in`);
    await tabTo(page, '#token');
    await page.keyboard.type(stack.tokens.student1);
    await Promise.all([page.waitForURL(`${stack.apiUrl}/`), page.keyboard.press('Enter')]);
    await tabTo(page, 'a[href="/courses/demo"]');
    await Promise.all([page.waitForURL(`${stack.apiUrl}/courses/demo`), page.keyboard.press('Enter')]);
    await tabTo(page, 'a[href="/courses/demo/labs/quiz-ch05"]');
    await Promise.all([page.waitForURL(`${stack.apiUrl}/courses/demo/labs/quiz-ch05`), page.keyboard.press('Enter')]);
    await page.waitForSelector('body[data-ready="true"]');
    const definition = (await stack.client('student1').lab('quiz-ch05')).definition as { questions: Array<{ id: string; type: string; choices: Array<{ id: string }> }> };
    const answers = solutionAnswers('quiz-ch05');
    for (const question of definition.questions) {
      const choices = question.choices.map((c) => c.id);
      const fieldset = `fieldset[data-question="${question.id}"]`;
      if (question.type === 'single') {
        // Tab enters a radio group on its first choice; the arrow keys move and choose
        await tabTo(page, `${fieldset} input`);
        const index = choices.indexOf(answers[question.id]![0]!);
        if (index === 0) await page.keyboard.press('Space');
        for (let i = 0; i < index; i++) await page.keyboard.press('ArrowDown');
      } else {
        for (const choice of answers[question.id]!) {
          await tabTo(page, `${fieldset} input[value="${choice}"]`);
          await page.keyboard.press('Space');
        }
      }
    }
    await tabTo(page, '#submit-form button[type="submit"]');
    await Promise.all([page.waitForURL(/\/submissions\/[0-9a-f-]{36}$/), page.keyboard.press('Enter')]);
    await page.waitForSelector('#live-state .state-graded', { timeout: 30_000 });
    // full marks: every answer chosen with the keyboard reached the grader
    expect(await page.locator('.facts').textContent()).toMatch(/(\d+) \/ \1(?!\d)/);
    await page.context().close();
  });

  it('hands in files, a folder or a zip, and is told in the page what is wrong with them', async () => {
    const page = await studentPage('en-US');
    await page.goto(`${stack.apiUrl}/courses/demo/labs/docker-compose-counter`);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await page.setInputFiles('#input-files', [{ name: 'app.py', mimeType: 'text/x-python', buffer: Buffer.from('print("hi")\n') }]);
    await page.click('#submit-form button[type="submit"]');
    await page.waitForSelector('#submit-status.error');
    expect(await page.locator('#submit-status').textContent()).toContain('compose.yaml');
    await checkPage(page, 'student-lab-docker');
    // a folder, then a zip: the reference solution with compose.yaml broken, refused naming its line — so the files got there
    const solution = path.join(REPO_ROOT, 'labs', 'docker-compose-counter', 'solution');
    const broken = { ...Object.fromEntries(readdirSync(solution).map((name) => [name, readFileSync(path.join(solution, name))])), 'compose.yaml': Buffer.from('services:\n  web: [\n') };
    const folder = mkdtempSync(path.join(tmpdir(), 'kadai-browser-folder-'));
    for (const [name, data] of Object.entries(broken)) writeFileSync(path.join(folder, name), data);
    for (const [mode, fill] of [
      ['folder', () => page.setInputFiles('#input-folder', folder)],
      ['archive', async () => page.setInputFiles('#input-archive', { name: 'work.zip', mimeType: 'application/zip', buffer: await zipOf(Object.entries(broken).map(([name, data]) => ({ name, data }))) })],
    ] as const) {
      await page.check(`input[name="mode"][value="${mode}"]`);
      await fill();
      await page.evaluate(`document.getElementById('submit-status').className = ''`);
      await page.click('#submit-form button[type="submit"]');
      await page.waitForSelector('#submit-status.error');
      expect(await page.locator('#submit-status').textContent()).toMatch(/compose\.yaml:\d+:\d+/);
    }
    rmSync(folder, { recursive: true, force: true });
    // switching the language keeps the page and remembers the choice
    await page.click('header a[lang="ja"]');
    expect(await page.getAttribute('html', 'lang')).toBe('ja');
    await page.goto(`${stack.apiUrl}/courses/demo`);
    expect(await page.getAttribute('html', 'lang')).toBe('ja');
    await page.context().close();
  });

  it('is kept out of the instructor pages and of other students’ submissions', async () => {
    const other = await stack.client('student2').submitJson({ lab: 'quiz-ch03', answers: solutionAnswers('quiz-ch03') });
    const page = await studentPage();
    expect((await page.goto(`${stack.apiUrl}/courses/demo/labs/quiz-ch01/analytics`))!.status()).toBe(403);
    await checkPage(page, 'error-403');
    expect((await page.goto(`${stack.apiUrl}/courses/demo/results.csv`))!.status()).toBe(403);
    expect((await page.goto(`${stack.apiUrl}/submissions/${other.id}`))!.status()).toBe(404);
    await checkPage(page, 'error-404');
    expect((await page.goto(`${stack.apiUrl}/courses/not-mine`))!.status()).toBe(404);
    await page.context().close();
  });
});

describe('an instructor', () => {
  let page: Page;
  beforeAll(async () => {
    // a graded submission of student2 (whose name is markup) to look at
    const { id } = await stack.client('student2').submitJson({ lab: 'quiz-ch02', answers: { ...solutionAnswers('quiz-ch02'), q1: ['3'] } });
    await stack.client('student2').waitForResult(id, 20_000);
    page = await (await newContext(browser)).newPage();
    await signIn(page, stack.apiUrl, stack.tokens.sensei);
  });
  afterAll(() => page.context().close());

  it('sees the class matrix with names as text, sorts and filters it', async () => {
    await page.goto(`${stack.apiUrl}/courses/demo`);
    await checkPage(page, 'instructor-matrix');
    expect(await page.title()).not.toBe('pwned');
    expect(await page.locator('#matrix tbody th', { hasText: '<script>' }).count()).toBe(1);
    expect(await page.locator('#matrix img').count()).toBe(0);
    const firstRow = () => page.locator('#matrix tbody tr:not([hidden]) th').first().getAttribute('data-v');
    expect(await firstRow()).toBe('student1');
    await page.click('#matrix thead button[data-col="0"]');
    expect(await firstRow()).toBe('student2');
    expect(await page.getAttribute('#matrix thead th:first-child', 'aria-sort')).toBe('descending');
    await page.fill('#matrix-filter', 'student1');
    expect(await page.locator('#matrix tbody tr:not([hidden])').count()).toBe(1);
    expect(await page.locator('#matrix-count').textContent()).toBe('1 / 2');
    await page.fill('#matrix-filter', '');
    await page.selectOption('#matrix-state', 'graded');
    expect(await page.locator('#matrix tbody tr:not([hidden])').count()).toBe(2);
  });

  it('downloads the results as CSV in UTF-8 with a byte-order mark', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('a[href$="/results.csv"]')]);
    const chunks: Buffer[] = [];
    for await (const chunk of (await download.createReadStream())!) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.toString('utf8')).toContain('student2,');
  });

  it('reads a lab’s analytics: pass rate per check, a score chart and the commonest failures', async () => {
    await page.goto(`${stack.apiUrl}/courses/demo/labs/quiz-ch02/analytics`);
    await checkPage(page, 'instructor-analytics');
    expect(await page.locator('svg.chart rect').count()).toBe(10);
    expect(await page.locator('#fail-heading + table tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('#pass-heading + table tbody tr').first().textContent()).toContain('0 / 1');
    // the whole assignment regraded from the page: each graded submission a new run, the reason in the audit trail
    const id = (await stack.sql<{ id: string }>(`SELECT s.id FROM submissions s JOIN users u ON u.id = s.user_id WHERE u.login = 'student2' AND s.lab_id = 'quiz-ch02'`))[0]!.id;
    await page.fill('form.regrade input[name="reason"]', 'whole assignment');
    await page.click('form.regrade button');
    await page.waitForSelector('form.regrade [role="status"]:has-text("✓")');
    await until('the assignment regraded', async () => {
      const view = await stack.client('sensei').submission(id);
      return view.gradedRun === 2 && view.state === 'graded' ? view : undefined;
    }, 30_000);
    await page.reload();
    expect(await page.locator('#audit-heading + ul').textContent()).toContain('whole assignment');
  });

  it('opens a submission with its evidence and files, regrades it and sees the audit trail', async () => {
    const id = (await stack.sql<{ id: string }>(`SELECT s.id FROM submissions s JOIN users u ON u.id = s.user_id WHERE u.login = 'student2' AND s.lab_id = 'quiz-ch02'`))[0]!.id;
    // markup in what a student's work puts into feedback and files is shown as text
    await stack.sql(`UPDATE check_results SET evidence = evidence || $2, message_en = message_en || $2, message_ja = message_ja || $2 WHERE submission_id = $1`, [id, `\n${MARKUP}`]);
    await stack.sql(`INSERT INTO submission_files (submission_id, path, content) VALUES ($1, 'notes.html', $2)`, [id, Buffer.from(MARKUP)]);
    await page.goto(`${stack.apiUrl}/submissions/${id}`);
    await checkPage(page, 'instructor-submission');
    expect(await page.locator('table.checks details pre').first().textContent()).toContain('selected: 3');
    expect(await page.locator('table.checks details pre').first().textContent()).toContain(MARKUP);
    expect(await page.locator('#files-heading ~ details summary').first().textContent()).toContain('answers.json');
    expect(await page.locator('#files-heading ~ details', { hasText: 'notes.html' }).locator('pre').textContent()).toContain(MARKUP);
    expect(await page.locator('main script, main img').count()).toBe(0);
    await page.fill('form.regrade input[name="reason"]', 'key fixed');
    await page.click('form.regrade button');
    await page.waitForSelector('form.regrade [role="status"]:has-text("✓")');
    await stack.client('sensei').waitForResult(id, 20_000);
    await page.reload();
    expect(await page.locator('#audit-heading + ul').textContent()).toContain('key fixed');
  });

  it('changes an assignment’s settings, each bad field named and nothing saved', async () => {
    await page.goto(`${stack.apiUrl}/courses/demo/labs/quiz-ch02/settings`);
    await checkPage(page, 'instructor-settings');
    await page.selectOption('#lateMode', 'penalty');
    await page.fill('#percentPerDay', '500');
    await page.fill('#maxAttempts', '-1');
    // past the browser's own checks of min and max: the server must name the fields itself
    await page.evaluate(`document.querySelector('form.settings').noValidate = true`);
    await page.click('form.settings button[type="submit"]');
    expect(await page.locator('#err-percentPerDay').textContent()).toBeTruthy();
    expect(await page.getAttribute('#maxAttempts', 'aria-invalid')).toBe('true');
    const before = await stack.sql(`SELECT late_policy, max_attempts FROM assignments WHERE lab_id = 'quiz-ch02'`);
    expect(before[0]).toMatchObject({ late_policy: { mode: 'penalty', percentPerDay: 10, maxDaysLate: 7 }, max_attempts: null });
    await page.fill('#percentPerDay', '20');
    await page.fill('#maxDaysLate', '3');
    await page.fill('#maxAttempts', '5');
    await page.fill('#dueAt', '2027-01-31T23:59');
    await page.selectOption('#scoring', 'last');
    // one question's feedback for instructors only, in this course
    await page.selectOption('#check-q2', 'hidden');
    await page.click('form.settings button[type="submit"]');
    await page.waitForSelector('.saved');
    const [after] = await stack.sql<{ late_policy: unknown; max_attempts: number; scoring: string; due: string; check_visibility: unknown }>(
      `SELECT late_policy, max_attempts, scoring, to_char(due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS due, check_visibility FROM assignments WHERE lab_id = 'quiz-ch02'`,
    );
    expect(after).toEqual({ late_policy: { mode: 'penalty', percentPerDay: 20, maxDaysLate: 3 }, max_attempts: 5, scoring: 'last', due: '2027-01-31 14:59', check_visibility: { q2: 'hidden' } });
    expect(await page.locator('#check-q2').inputValue()).toBe('hidden');
  });
});

describe('the API reference', () => {
  it('renders the OpenAPI document without signing in', async () => {
    const page = await (await newContext(browser, 'en-US')).newPage();
    await page.goto(`${stack.apiUrl}/reference`);
    await checkPage(page, 'api-reference');
    expect(await page.locator('section.operation h2', { hasText: /^POST \/v1\/submissions$/ }).count()).toBe(1);
    await page.context().close();
  });
});
