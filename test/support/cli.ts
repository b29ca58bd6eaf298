import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './stack';

/** Runs the real `kadai` command against an api (exit code, stdout, stderr); env adds to this process's. */
export function runKadai(apiUrl: string, args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(path.join(REPO_ROOT, 'apps/cli/bin/kadai'), args, {
    cwd: REPO_ROOT,
    env: { ...process.env, KADAI_API_URL: apiUrl, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, out: result.stdout, err: result.stderr };
}
