/** infra/up's steps (infra/lib/common.sh step_begin/step_end): n/N, what, and how long it usually takes. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../support/stack';

/** What the steps print (their log lines go to stderr, joined here), under the shell options infra/up runs with. */
const runSteps = (timesDir: string, script: string, env: Record<string, string> = {}) =>
  execFileSync('bash', ['-c', `set -euo pipefail; source infra/lib/common.sh; step_total=2; { ${script}; } 2>&1`], { cwd: REPO_ROOT, env: { ...process.env, KADAI_STEP_TIMES: timesDir, ...env }, encoding: 'utf8' });

test('the first run shows the first-run estimate; later runs the time recorded on this machine', () => {
  const timesDir = mkdtempSync(path.join(tmpdir(), 'kadai-steps-'));
  const first = runSteps(timesDir, 'step_begin "cluster" 1100; sleep 1; step_end; step_begin "demo course" 20; step_end');
  expect(first).toMatch(/\[1\/2\] cluster \(no earlier run recorded; first run: about 18 min 20 s\)/);
  expect(first).toMatch(/\[1\/2\] cluster: done in [12] s/);
  expect(first).toMatch(/\[2\/2\] demo course \(no earlier run recorded; first run: about 20 s\)/);
  expect(readFileSync(path.join(timesDir, 'cluster'), 'utf8')).toMatch(/^[12]\n$/);
  const second = runSteps(timesDir, 'step_begin "cluster" 1100; step_end');
  expect(second).toMatch(/\[1\/2\] cluster \(usually [12] s here\)/);
});

test('while a step runs it says how long it has been running, and stops saying so when it ends', () => {
  // a tick of 1 s instead of 30 s; the step runs 4 s, so at least one line even on a loaded machine
  const output = runSteps(mkdtempSync(path.join(tmpdir(), 'kadai-steps-')), 'step_begin "images" 300; sleep 4; step_end; sleep 2', { KADAI_STEP_TICK_SECONDS: '1' });
  expect(output).toMatch(/\[1\/2\] images: \d s so far/);
  expect(output).toMatch(/\[1\/2\] images: done in \d+ s/);
  const after = output.slice(output.indexOf('images: done in'));
  expect(after).not.toMatch(/so far/);
});
