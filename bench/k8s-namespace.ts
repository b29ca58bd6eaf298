import { kubeConfigFor, Sandboxes, type AttemptNamespace } from '@kadai/k8s-sandbox';
import { loadavg } from 'node:os';
import { percentile, writeResult } from './lib/result';

/**
 * namespaceSetupMs: how long the Kubernetes grader takes to make one attempt's namespace ready
 * (namespace, the worker's RoleBinding, quota, LimitRange, NetworkPolicy, ServiceAccount + Role +
 * binding, the default ServiceAccount, the quota counted), as kadai's fenced worker identity.
 * Namespaces are made one after another, each deleted (without waiting) before the next.
 * Target: p95 < 1,000 ms. Usage: npx tsx bench/k8s-namespace.ts [count, default 30] [kubeconfig]
 */
const count = Number(process.argv[2] ?? 30);
const kubeconfig = process.argv[3] ?? '/var/lib/kadai/cluster/kadai-worker.kubeconfig';

async function main(): Promise<void> {
  // the machine is shared (other suites run): the load before the run is recorded beside the one after
  const loadAtStart = loadavg().map((l) => Math.round(l * 100) / 100);
  const sandboxes = new Sandboxes(kubeConfigFor({ kind: 'kubeconfig', path: kubeconfig }));
  await sandboxes.workerName(); // who-am-i is asked once per worker, not per attempt
  const times: number[] = [];
  const made: AttemptNamespace[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const sandbox = await sandboxes.create({ submissionId: 'bench', runId: `bench-${i}`, leaseMs: 10 * 60_000 });
      made.push(sandbox);
      times.push(sandbox.setupMs);
      await sandbox.destroy();
    }
  } finally {
    await Promise.all(made.map((s) => s.destroy().catch(() => undefined)));
  }
  const sorted = [...times].sort((a, b) => a - b);
  writeResult('k8s-namespace', {
    target: { namespaceSetupMsP95: 1000 },
    setup: `${count} attempt namespaces made one after another on the local cluster (infra/cluster) as kadai-worker, each deleted before the next; from the create call to the quota counted`,
    loadAverageAtStart: loadAtStart,
    namespaceSetupMs: { n: count, p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted[sorted.length - 1] },
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
