import { readFileSync, statSync } from 'node:fs';
import { writeResult } from './lib/result';

/**
 * How long each part of one `.ci/run` took, read from its output (`.ci/run > log`): the foreground
 * steps from one `── step` line to the next, every suite's own `name: N s, exit rc` line (the
 * background suites run beside the foreground ones), and the closing `N passed, N failed` line.
 * `npx tsx bench/ci-run.ts <log> <cold|warm> [cluster-build.log]` → bench/results/ci-run-<cold|warm>.json.
 * A cold run is one on a machine with none of kadai's caches (/var/cache/kadai, /var/lib/kadai, Go's
 * and npm's caches), in a fresh clone; the cluster build's own log (.kadai/test-reports/cluster-build.log)
 * gives the Kubernetes part of the build.
 */
const [logFile, kind, clusterLog] = process.argv.slice(2);
if (!logFile || (kind !== 'cold' && kind !== 'warm')) throw new Error('usage: bench/ci-run.ts <log> <cold|warm> [cluster-build.log]');
const log = readFileSync(logFile, 'utf8');

const seconds = (clock: string) => {
  const [h, m, s] = clock.split(':').map(Number);
  return h! * 3600 + m! * 60 + s!;
};
const stepLines = [...log.matchAll(/^\[kadai (\d\d:\d\d:\d\d)\] ── (.+)$/gm)].map((m) => ({ at: seconds(m[1]!), step: m[2]! }));
const suites = Object.fromEntries([...log.matchAll(/^\[kadai \d\d:\d\d:\d\d\] ([\w-]+): (\d+) s, exit (\d+)$/gm)].map((m) => [m[1]!, { seconds: Number(m[2]), exit: Number(m[3]) }]));
const end = [...log.matchAll(/^\[kadai (\d\d:\d\d:\d\d)\] whole run: (\d+) min$/gm)].at(-1);
if (!end || stepLines.length === 0) throw new Error(`${logFile}: no steps or no 'whole run' line: not a finished .ci/run output`);
const endAt = seconds(end[1]!);
// the log's clock may pass midnight
const since = (from: number, to: number) => (to - from + 86400) % 86400;
// a background suite's output is replayed later, its lines with their first clock times: those go
// back in time and are left out (the suite's own line has its time)
const inOrder: typeof stepLines = [];
for (const line of stepLines) if (inOrder.length === 0 || since(inOrder.at(-1)!.at, line.at) < 43200) inOrder.push(line);
const foreground = inOrder
  .map((line, i) => ({ step: line.step, seconds: since(line.at, inOrder[i + 1]?.at ?? endAt) }))
  .filter((row) => !row.step.endsWith(': its output'));
const counted = /^(\d+) passed, (\d+) failed$/m.exec(log);
const cluster = clusterLog ? readFileSync(clusterLog, 'utf8') : '';

writeResult(`ci-run-${kind}`, {
  setup: `one CI=true .ci/run in a fresh clone (${kind === 'cold' ? "no kadai cache on the machine: every install, Go module, build and image from nothing" : 'caches kept from earlier runs'}); parts from its own output (bench/ci-run.ts)`,
  runEndedAt: statSync(logFile).mtime.toISOString(),
  wholeRunSeconds: since(stepLines[0]!.at, endAt),
  wholeRunMinutesAsPrinted: Number(end[2]),
  tests: counted ? { passed: Number(counted[1]), failed: Number(counted[2]) } : undefined,
  foregroundSteps: foreground,
  suites,
  imagesBuildSeconds: Number(/\[images\/build\] done in (\d+)s/.exec(log)?.[1] ?? NaN) || undefined,
  kubernetesBuildSeconds: Number(/built kubernetes \S+ in (\d+)s/.exec(cluster)?.[1] ?? NaN) || undefined,
});
