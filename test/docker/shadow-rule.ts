import { execFileSync } from 'node:child_process';

const BINS = ['iptables', 'ip6tables'];

/** A chain's rules as `iptables -S` prints them (`-A <chain> …`). */
export const listing = (bin: string, chain: string): string[] =>
  execFileSync(bin, ['-w', '10', '-S', chain])
    .toString()
    .split('\n')
    .filter((l) => l.startsWith(`-A ${chain} `));

/**
 * An ACCEPT of what the attempt bridges send to one port of the host, inserted at the top of INPUT
 * in iptables and ip6tables, above kadai's host isolation rules (as ufw, Docker or an operator's
 * tool could): the worker must put its rules back above it before grading. Only the test's own
 * port, so other suites probing the host meanwhile are not opened; a comment of the test's own
 * (`sbnet-shadow-<name>`) so each test removes exactly what it inserted.
 */
export class ShadowRule {
  readonly comment: string;
  private readonly rule: string[];

  constructor(name: string, port: number) {
    this.comment = `sbnet-shadow-${name}`;
    this.rule = ['-i', 'kd-+', '-p', 'tcp', '-m', 'tcp', '--dport', String(port), '-m', 'comment', '--comment', this.comment, '-j', 'ACCEPT'];
  }

  insert(): void {
    for (const bin of BINS) execFileSync(bin, ['-w', '10', '-I', 'INPUT', '1', ...this.rule]);
  }

  /** Where it is in the bin's INPUT (-1: not there). */
  at(bin: string): number {
    return listing(bin, 'INPUT').findIndex((r) => r.includes(this.comment));
  }

  /** Removes every copy, whatever happened to the test (idempotent). */
  remove(): void {
    for (const bin of BINS) {
      for (let i = 0; i < 20; i++) {
        try {
          execFileSync(bin, ['-w', '10', '-D', 'INPUT', ...this.rule], { stdio: 'ignore' });
        } catch {
          break; // no copy left
        }
      }
    }
  }
}
