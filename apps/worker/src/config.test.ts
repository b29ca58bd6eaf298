import { readWorkerConfig } from './config';

test('the Kubernetes target: a kubeconfig and context, else the Pod service account, else the local cluster', () => {
  expect(readWorkerConfig({ KADAI_KUBECONFIG: '/k/config', KADAI_KUBE_CONTEXT: 'eks' }).kubernetes.target).toEqual({ kind: 'kubeconfig', path: '/k/config', context: 'eks' });
  expect(readWorkerConfig({ KUBERNETES_SERVICE_HOST: '10.96.0.1' }).kubernetes.target).toEqual({ kind: 'in-cluster' });
  expect(readWorkerConfig({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KADAI_KUBECONFIG: '/k/config' }).kubernetes.target).toEqual({ kind: 'kubeconfig', path: '/k/config' });
  expect(readWorkerConfig({}).kubernetes.target).toEqual({ kind: 'kubeconfig', path: '/var/lib/kadai/cluster/kadai-worker.kubeconfig' });
  expect(() => readWorkerConfig({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KADAI_KUBE_CONTEXT: 'eks' })).toThrow(/KADAI_KUBE_CONTEXT: KADAI_KUBE_CONTEXT names a context of KADAI_KUBECONFIG/);
});

test('the lease outlives the heartbeat that renews it', () => {
  expect(readWorkerConfig({}).leaseMs).toBe(30_000);
  expect(readWorkerConfig({ KADAI_LEASE_MS: '3000', KADAI_HEARTBEAT_MS: '500' })).toMatchObject({ leaseMs: 3000, heartbeatMs: 500 });
  expect(() => readWorkerConfig({ KADAI_LEASE_MS: '5000', KADAI_HEARTBEAT_MS: '5000' })).toThrow(/KADAI_HEARTBEAT_MS: must be shorter than KADAI_LEASE_MS/);
});

test('the node runtime (killContainer) is the local cluster\'s only while the worker points at it; the probe image is settable', () => {
  const crictl = '/var/cache/kadai/cluster/v1.34.4/bin/crictl';
  expect(readWorkerConfig({}).kubernetes).toMatchObject({ probe: { image: 'kadai/probe:1' }, nodeRuntime: { endpoint: 'unix:///run/kadai-cluster/containerd.sock', crictl } });
  expect(readWorkerConfig({ KADAI_KUBECONFIG: '/var/lib/kadai/cluster/kadai-worker.kubeconfig' }).kubernetes.nodeRuntime).toEqual({ endpoint: 'unix:///run/kadai-cluster/containerd.sock', crictl });
  expect(readWorkerConfig({ KADAI_KUBECONFIG: '/k/config' }).kubernetes.nodeRuntime).toBeUndefined();
  expect(readWorkerConfig({ KUBERNETES_SERVICE_HOST: '10.96.0.1' }).kubernetes.nodeRuntime).toBeUndefined();
  expect(readWorkerConfig({ KADAI_NODE_RUNTIME_ENDPOINT: '' }).kubernetes.nodeRuntime).toBeUndefined();
  expect(readWorkerConfig({ KADAI_KUBECONFIG: '/k/config', KADAI_NODE_RUNTIME_ENDPOINT: 'unix:///run/containerd/containerd.sock', KADAI_CRICTL: '/usr/bin/crictl' }).kubernetes.nodeRuntime).toEqual({ endpoint: 'unix:///run/containerd/containerd.sock', crictl: '/usr/bin/crictl' });
  expect(readWorkerConfig({ KADAI_PROBE_IMAGE: 'registry.example/kadai/probe:1' }).kubernetes.probe).toEqual({ image: 'registry.example/kadai/probe:1' });
  expect(() => readWorkerConfig({ KADAI_NODE_RUNTIME_ENDPOINT: '/run/containerd.sock' })).toThrow(/KADAI_NODE_RUNTIME_ENDPOINT: a CRI endpoint/);
});

test("the node's volume directory is the local cluster's only while the worker points at it", () => {
  expect(readWorkerConfig({}).kubernetes.nodeVolumeRoot).toBe('/var/lib/kadai/attempt-volumes');
  expect(readWorkerConfig({ KADAI_KUBECONFIG: '/k/config' }).kubernetes.nodeVolumeRoot).toBeUndefined();
  expect(readWorkerConfig({ KUBERNETES_SERVICE_HOST: '10.96.0.1' }).kubernetes.nodeVolumeRoot).toBeUndefined();
  expect(readWorkerConfig({ KADAI_NODE_VOLUME_ROOT: '' }).kubernetes.nodeVolumeRoot).toBeUndefined();
  expect(readWorkerConfig({ KADAI_KUBECONFIG: '/k/config', KADAI_NODE_VOLUME_ROOT: '/mnt/node/attempt-volumes' }).kubernetes.nodeVolumeRoot).toBe('/mnt/node/attempt-volumes');
  expect(() => readWorkerConfig({ KADAI_NODE_VOLUME_ROOT: 'relative' })).toThrow(/KADAI_NODE_VOLUME_ROOT: an absolute path/);
});

test('the lab kinds a worker grades: every kind by default, or those named (one Deployment per kind)', () => {
  expect(readWorkerConfig({}).kinds).toEqual({ only: ['quiz', 'docker', 'kubernetes'], named: false });
  expect(readWorkerConfig({ KADAI_WORKER_KINDS: 'kubernetes' }).kinds).toEqual({ only: ['kubernetes'], named: true });
  expect(readWorkerConfig({ KADAI_WORKER_KINDS: ' quiz, docker ,quiz' }).kinds).toEqual({ only: ['quiz', 'docker'], named: true });
  expect(() => readWorkerConfig({ KADAI_WORKER_KINDS: 'quiz,helm' })).toThrow(/KADAI_WORKER_KINDS/);
  expect(() => readWorkerConfig({ KADAI_WORKER_KINDS: ' , ' })).toThrow(/KADAI_WORKER_KINDS: name at least one of quiz, docker, kubernetes/);
});

test('the metrics, /healthz and /readyz address: loopback unless set (0.0.0.0 in a Pod)', () => {
  expect(readWorkerConfig({})).toMatchObject({ metricsHost: '127.0.0.1', metricsPort: 9464 });
  expect(readWorkerConfig({ KADAI_WORKER_METRICS_HOST: '0.0.0.0', KADAI_WORKER_METRICS_PORT: '9100' })).toMatchObject({ metricsHost: '0.0.0.0', metricsPort: 9100 });
});

test('several grading clusters: comma-separated kubeconfigs, each with its current context', () => {
  expect(readWorkerConfig({ KADAI_KUBECONFIG: '/k/a, /k/b' }).kubernetes.target).toEqual([
    { kind: 'kubeconfig', path: '/k/a' },
    { kind: 'kubeconfig', path: '/k/b' },
  ]);
  expect(readWorkerConfig({ KADAI_KUBECONFIG: '/k/a, /k/b' }).kubernetes.nodeRuntime).toBeUndefined();
  expect(() => readWorkerConfig({ KADAI_KUBECONFIG: '/k/a,/k/b', KADAI_KUBE_CONTEXT: 'eks' })).toThrow(/KADAI_KUBE_CONTEXT: KADAI_KUBE_CONTEXT names one context, but KADAI_KUBECONFIG lists several/);
});
