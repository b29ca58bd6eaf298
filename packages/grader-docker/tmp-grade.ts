import { loadLab } from '@kadai/catalog';
import { createDockerGrader, leftovers } from '@kadai/grader-docker';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';

function walk(dir: string, base = dir, out = new Map<string, Buffer>()) {
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) walk(p, base, out);
    else if (e !== 'expect.yaml') out.set(path.relative(base, p), readFileSync(p));
  }
  return out;
}
async function main() {
  const [labDir, ...cases] = process.argv.slice(2);
  const { lab, issues } = await loadLab(path.resolve(labDir!));
  if (!lab) throw new Error(JSON.stringify(issues));
  const grader = createDockerGrader();
  const log = pino({ level: 'warn' });
  await Promise.all(cases.map(async (c) => {
    const files = walk(path.join(labDir!, c));
    const id = `t${Date.now()}${Math.random().toString(36).slice(2, 6)}`;
    const t0 = Date.now();
    try {
      await grader.validate(lab, files);
      const results = await grader.grade(lab, { submissionId: id, files }, { signal: new AbortController().signal, log });
      console.log(`== ${c} (${Date.now() - t0} ms)`);
      for (const r of results) console.log(`${r.status.padEnd(7)} ${r.checkId}: ${r.message.en}${process.env.EV ? '\n   ' + (r.evidence ?? '').split('\n').join('\n   ') : ''}`);
    } catch (e) {
      console.log(`== ${c}: ${(e as Error).name} ${(e as Error).message} ${JSON.stringify((e as { issues?: unknown }).issues ?? '')}`);
    }
    console.log('leftovers', await leftovers(grader.docker, id));
  }));
}
void main();
