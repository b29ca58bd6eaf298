/**
 * The long chaos run (test/chaos is the short one CI does): a larger mixed burst with many worker
 * SIGKILLs and each service fault injected more than once; writes bench/results/chaos.json.
 *
 *   npx tsx bench/chaos.ts [worker kills] [service faults, e.g. redis=2,postgres=2,engine=1,apiServer=1]
 *
 * The engine and the API server are the machine's own: restart them only where no one else is
 * using them (or say in /work/notes/infra-changes.log that you do).
 */
import { loadavg } from 'node:os';
import { runChaos, SERVICE_FAULTS, type ServiceFault } from '../test/chaos/run';
import { writeResult } from './lib/result';

const kills = Number(process.argv[2] ?? 100);
const serviceFaults = Object.fromEntries(SERVICE_FAULTS.map((f) => [f, 0])) as Record<ServiceFault, number>;
for (const item of (process.argv[3] ?? 'redis=2,postgres=2,engine=2,apiServer=2').split(',')) {
  const [kind, count] = item.split('=');
  if (!SERVICE_FAULTS.includes(kind as ServiceFault) || !/^\d+$/.test(count ?? '')) throw new Error(`bad fault ${item} (kinds: ${SERVICE_FAULTS.join(', ')})`);
  serviceFaults[kind as ServiceFault] = Number(count);
}

async function main() {
  const loadAverageAtStart = loadavg().map((l) => Math.round(l * 100) / 100);
  const report = await runChaos({
    labs: ['quiz-ch01', 'quiz-ch02', 'quiz-ch03', 'quiz-ch04', 'quiz-ch05', 'docker-run-nginx', 'docker-multistage-go', 'docker-python-app', 'k8s-node-labels', 'k8s-kubectl-basics', 'k8s-cluster-basics', 'k8s-first-deployment'],
    wrongPerLab: 3,
    copies: 2,
    workers: 4,
    workerKills: kills,
    serviceFaults,
    spreadMs: 60_000,
    faultWindowMs: 8 * 60_000,
    budgetMs: 25 * 60_000,
    seed: 12,
    workerEnv: { KADAI_CONCURRENCY_KUBERNETES: '3' },
    log: (line) => console.error(`[chaos] ${line}`),
  });
  writeResult('chaos', { loadAverageAtStart, ...report });
  const failed = report.lost.length + report.gradedTwice.length + report.verdictMismatches.length + report.errorsWithScore.length + Object.values(report.leftovers).flat().length;
  process.exit(failed === 0 ? 0 : 1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
