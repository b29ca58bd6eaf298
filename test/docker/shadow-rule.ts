import { execFileSync } from 'node:child_process';

/**
 * An ACCEPT of everything the attempt bridges send to the host, inserted above kadai's host
 * isolation rules in iptables and ip6tables (as ufw, Docker or an operator's tool could): the
 * worker must put its rules back above it before grading. Marked with a comment of its own so the
 * tests remove exactly what they inserted.
 */
export const SHADOW_COMMENT = 'sbnet-shadow';
const SHADOW = ['INPUT', '-i', 'kd-+', '-m', 'comment', '--comment', SHADOW_COMMENT, '-j', 'ACCEPT'];
const BINS = ['iptables', 'ip6tables'];

/** A chain's rules as `iptables -S` prints them (`-A <chain> …`). */
export const listing = (bin: string, chain: string): string[] =>
  execFileSync(bin, ['-w', '10', '-S', chain])
    .toString()
    .split('\n')
    .filter((l) => l.startsWith(`-A ${chain} `));

export function insertShadow(): void {
  for (const bin of BINS) execFileSync(bin, ['-w', '10', '-I', 'INPUT', '1', ...SHADOW.slice(1)]);
}

/** Removes every copy, whatever happened to the test (idempotent). */
export function removeShadow(): void {
  for (const bin of BINS) {
    for (let i = 0; i < 20; i++) {
      try {
        execFileSync(bin, ['-w', '10', '-D', ...SHADOW], { stdio: 'ignore' });
      } catch {
        break; // no copy left
      }
    }
  }
}
