import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT } from '../support/stack';

/** Debian's Chromium (infra/browser/install); playwright-core downloads no browser of its own. */
export const CHROMIUM = process.env.KADAI_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.join(REPO_ROOT, '.kadai', 'browser-screenshots');
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export async function launch(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // --no-sandbox: the tests run as root, where Chromium's own sandbox cannot start
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

export async function newContext(browser: Browser, locale: 'ja-JP' | 'en-US' = 'ja-JP'): Promise<BrowserContext> {
  return browser.newContext({ locale, viewport: { width: 1280, height: 900 } });
}

/** Signs in through the sign-in page with a token, as a person would. */
export async function signIn(page: Page, apiUrl: string, token: string, next = '/'): Promise<void> {
  await page.goto(`${apiUrl}/sign-in?next=${encodeURIComponent(next)}`);
  await page.fill('#token', token);
  await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/sign-in')), page.click('form[action="/sign-in"] button[type="submit"]')]);
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

/**
 * Runs axe-core (WCAG 2.1 A and AA rules) on the page as it is. Evaluated through the DevTools
 * protocol, so the pages' CSP, which admits no inline script, stays in force.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  // a string, evaluated in the page: these tests are compiled without the DOM's types
  return page.evaluate(`axe
    .run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
    .then((result) => result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => ({ target: n.target })) })))`);
}

/** Checks accessibility and keeps a screenshot of the page under .kadai/browser-screenshots. */
export async function checkPage(page: Page, name: string): Promise<void> {
  await page.waitForSelector('body[data-ready="true"]');
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  expect(await axeViolations(page)).toEqual([]);
}
