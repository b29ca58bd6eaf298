import { checkIsolation, DEFAULT_PROBE_IMAGE, probeIsolation } from '@kadai/grader-kubernetes';
import { ObjectClient, Sandboxes, type AttemptNamespace } from '@kadai/k8s-sandbox';
import { workerKube } from './cluster';

// The worker's start-up check that attempts are kept apart (packages/grader-kubernetes/src/isolation.ts),
// on the local cluster as kadai's fenced worker identity: it holds on the cluster as it is, and it
// notices when the isolation is gone — here two attempt namespaces whose NetworkPolicy was removed.
const kc = workerKube();
const client = new ObjectClient(kc);
const probe = { image: DEFAULT_PROBE_IMAGE };

it('finds attempts kept apart on the local cluster (NetworkPolicy enforced, the API server out of reach)', async () => {
  const status = await probeIsolation(kc, client, new Sandboxes(kc), probe);
  expect(status).toEqual({ available: true, conclusive: true, reason: expect.stringMatching(/^attempts are kept apart/) });
}, 180_000);

it('reports isolation missing when another namespace\'s Pod gets through (the policies removed)', async () => {
  const sandboxes = new Sandboxes(kc);
  const made: AttemptNamespace[] = [];
  try {
    for (const run of ['open-0', 'open-1']) made.push(await sandboxes.create({ submissionId: 'isolation-test', runId: run, leaseMs: 180_000 }));
    for (const ns of made) await client.request('DELETE', `/apis/networking.k8s.io/v1/namespaces/${ns.name}/networkpolicies/kadai-isolation`);
    const status = await checkIsolation(kc, client, { server: made[0]!.name, outsider: made[1]!.name }, probe);
    expect(status).toMatchObject({ available: false, conclusive: true });
    expect(status.reason).toMatch(/another attempt's namespace reached an attempt's Pod \(HTTP 200\): NetworkPolicy is not enforced/);
  } finally {
    await Promise.all(made.map((ns) => ns.destroy()));
  }
}, 180_000);
