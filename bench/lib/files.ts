import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** Every file under `dir`, keyed by its path relative to `base` (a lab's solution as a submission). */
export function readDir(dir: string, base = dir, out = new Map<string, Buffer>()): Map<string, Buffer> {
  for (const entry of readdirSync(dir)) {
    const p = path.join(dir, entry);
    if (statSync(p).isDirectory()) readDir(p, base, out);
    else out.set(path.relative(base, p), readFileSync(p));
  }
  return out;
}
