/** Ingress routing, LoadBalancer addresses, dynamic storage, fake-node scheduling and metrics. */
import { apply, deleteNamespace, echoAppManifest, eventually, httpGet, images, kubectl, kubectlJson, makeNamespace, NODE_IP } from './kube';

let ns: string;
beforeAll(async () => {
  ns = await makeNamespace('addons');
});
afterAll(async () => {
  await deleteNamespace(ns);
});

const echoApp = echoAppManifest;

async function lbAddress(namespace: string, name: string): Promise<string> {
  return eventually(`address of ${namespace}/${name}`, async () =>
    (await kubectlJson(['get', '-n', namespace, 'service', name])).status.loadBalancer?.ingress?.[0]?.ip, 60000);
}

test('an Ingress routes /h1 and /h2 to two Services, through the default class and `alb` (field or annotation)', async () => {
  await apply(ns, echoApp('h1') + '---' + echoApp('h2') + `
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: paths}
spec:
  rules:
  - http:
      paths:
      - {path: /h1, pathType: Prefix, backend: {service: {name: h1, port: {number: 80}}}}
      - {path: /h2, pathType: Prefix, backend: {service: {name: h2, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: eks}
spec:
  ingressClassName: alb
  rules:
  - host: eks.example.test
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: h2, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: legacy
  annotations: {kubernetes.io/ingress.class: alb}
spec:
  rules:
  - host: legacy.example.test
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: h1, port: {number: 80}}}}
`);
  await kubectl(['rollout', 'status', '-n', ns, 'deployment/h1', '--timeout=180s']);
  await kubectl(['rollout', 'status', '-n', ns, 'deployment/h2', '--timeout=180s']);
  const ing = await kubectlJson(['get', '-n', ns, 'ingress/paths']);
  expect(ing.spec.ingressClassName).toBe('kadai'); // the default IngressClass was applied
  const addr = await lbAddress('kube-system', 'kadai-ingress');
  const h1 = await eventually('/h1 routed', async () => {
    const r = await httpGet(`http://${addr}/h1`);
    return r.status === 200 && r.body;
  });
  expect(h1).toMatch(/served by h1-/);
  const h2 = await eventually('/h2 routed', async () => {
    const r = await httpGet(`http://${addr}/h2`);
    return r.status === 200 && r.body;
  });
  expect(h2).toMatch(/served by h2-/);
  const eks = await eventually('alb class routed', async () => {
    const r = await httpGet(`http://${addr}/`, { host: 'eks.example.test' });
    return r.status === 200 && r.body;
  });
  expect(eks).toMatch(/served by h2-/);
  // Older EKS manifests name the class by annotation only.
  const legacy = await eventually('annotated alb Ingress routed', async () => {
    const r = await httpGet(`http://${addr}/`, { host: 'legacy.example.test' });
    return r.status === 200 && r.body;
  });
  expect(legacy).toMatch(/served by h1-/);
  // kadai-ingress publishes the address in the Ingress status, as a cloud controller would.
  await eventually('ingress status', async () =>
    (await kubectlJson(['get', '-n', ns, 'ingress/paths'])).status.loadBalancer?.ingress?.[0]?.ip === addr, 60000);
});

test('the Ingress controller follows the Ingress API: Exact paths, whole path elements, 503 without a ready endpoint', async () => {
  await apply(ns, `
apiVersion: v1
kind: Service
metadata: {name: nobody}
spec: {selector: {app: nobody-here}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: edges}
spec:
  rules:
  - host: edges.example.test
    http:
      paths:
      - {path: /exact, pathType: Exact, backend: {service: {name: h1, port: {number: 80}}}}
      - {path: /app/, pathType: Prefix, backend: {service: {name: h2, port: {number: 80}}}}
      - {path: /nobody, pathType: Prefix, backend: {service: {name: nobody, port: {number: 80}}}}
`);
  const get = (path: string) => httpGet(`http://${NODE_IP}:8000${path}`, { host: 'edges.example.test' });
  const exact = await eventually('the Exact path routed (h1 and h2: the test above)', async () => {
    const r = await get('/exact');
    return r.status === 200 && r.body;
  });
  expect(exact).toMatch(/served by h1-/);
  expect((await get('/exact/more')).status).toBe(404);
  expect((await get('/app')).body).toMatch(/served by h2-/); // a Prefix pattern's trailing '/' is ignored
  expect((await get('/app/x/y')).body).toMatch(/served by h2-/);
  expect((await get('/application')).status).toBe(404); // Prefix matches whole path elements
  expect(await get('/nobody')).toMatchObject({ status: 503, body: expect.stringContaining('no available server') });
});

test('a LoadBalancer Service answers on its address', async () => {
  await apply(ns, echoApp('lb').replace('ports: [{port: 80, targetPort: 8080}]', 'type: LoadBalancer\n  ports: [{port: 8081, targetPort: 8080}]'));
  await kubectl(['rollout', 'status', '-n', ns, 'deployment/lb', '--timeout=180s']);
  const addr = await lbAddress(ns, 'lb');
  const body = await eventually('LoadBalancer answering', async () => {
    const r = await httpGet(`http://${addr}:8081/`);
    return r.status === 200 && r.body;
  }, 30000);
  expect(body).toMatch(/served by lb-/);
});

test('a PVC binds dynamically and keeps its data across a Pod deletion; RWX binds on efs-sc', async () => {
  const pod = (name: string, cmd: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  restartPolicy: Never
  containers: [{name: c, image: ${images.busybox}, command: [sh, -c, '${cmd}'], volumeMounts: [{name: d, mountPath: /data}]}]
  volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]
`;
  await apply(ns, `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: shared}
spec:
  storageClassName: efs-sc
  accessModes: [ReadWriteMany]
  resources: {requests: {storage: 1Gi}}
`);
  const pvc = await eventually('PVC bound', async () => {
    const c = await kubectlJson(['get', '-n', ns, 'pvc/data']);
    return c.status.phase === 'Bound' && c;
  }, 60000);
  expect(pvc.spec.storageClassName).toBe('standard'); // the default StorageClass
  await apply(ns, pod('writer', 'echo kept-$(date +%s) > /data/f && cat /data/f'));
  const written = await eventually('writer done', async () => {
    const p = await kubectlJson(['get', '-n', ns, 'pod/writer']);
    return p.status.phase === 'Succeeded' && (await kubectl(['logs', '-n', ns, 'writer'])).trim();
  });
  await kubectl(['delete', '-n', ns, 'pod/writer', '--wait=true']);
  await apply(ns, pod('reader', 'cat /data/f'));
  const read = await eventually('reader done', async () => {
    const p = await kubectlJson(['get', '-n', ns, 'pod/reader']);
    return p.status.phase === 'Succeeded' && (await kubectl(['logs', '-n', ns, 'reader'])).trim();
  });
  expect(read).toBe(written);
  const shared = await eventually('RWX PVC bound', async () => {
    const c = await kubectlJson(['get', '-n', ns, 'pvc/shared']);
    return c.status.phase === 'Bound' && c;
  }, 60000);
  expect(shared.status.accessModes).toEqual(['ReadWriteMany']);
});

test('a Pod lands on a fake node by nodeSelector, never on the tainted one', async () => {
  const nodes = await kubectlJson(['get', 'nodes', '-l', 'type=kwok']);
  expect(nodes.items).toHaveLength(3);
  for (const n of nodes.items) {
    expect(n.status.conditions.find((c: any) => c.type === 'Ready').status).toBe('True');
  }
  await apply(ns, `
apiVersion: apps/v1
kind: Deployment
metadata: {name: ssd}
spec:
  replicas: 4
  selector: {matchLabels: {app: ssd}}
  template:
    metadata: {labels: {app: ssd}}
    spec:
      nodeSelector: {disktype: ssd}
      tolerations: [{key: kadai.dev/simulated, operator: Exists, effect: NoSchedule}]
      containers: [{name: c, image: ${images.nginx121}}]
`);
  const pods = await eventually('4 Pods running', async () => {
    const l = await kubectlJson(['get', '-n', ns, 'pods', '-l', 'app=ssd']);
    return l.items.length === 4 && l.items.every((p: any) => p.status.phase === 'Running') && l.items;
  }, 60000);
  // kadai-worker-3 also has disktype=ssd but is tainted; the real node has no disktype label.
  expect(new Set(pods.map((p: any) => p.spec.nodeName))).toEqual(new Set(['kadai-worker-1']));
});

test('kubectl top answers for nodes and Pods', async () => {
  await apply(ns, echoApp('top'));
  await kubectl(['rollout', 'status', '-n', ns, 'deployment/top', '--timeout=180s']);
  const out = await eventually('pod metrics', async () => {
    const r = await kubectl(['top', 'pods', '-n', ns, '-l', 'app=top', '--no-headers']);
    return /top-\S+\s+\d+m\s+\d+Mi/.test(r) && r;
  }, 150000, 5000);
  expect(out).toMatch(/top-/);
  expect(await kubectl(['top', 'nodes', '--no-headers'])).toMatch(/kadai-control-plane\s+\d+m/);
});

test('a HorizontalPodAutoscaler reads CPU metrics', async () => {
  await apply(ns, `
apiVersion: apps/v1
kind: Deployment
metadata: {name: scaled}
spec:
  replicas: 1
  selector: {matchLabels: {app: scaled}}
  template:
    metadata: {labels: {app: scaled}}
    spec:
      containers: [{name: echo, image: ${images.echo}, resources: {requests: {cpu: 50m}}}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: scaled}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: scaled}
  minReplicas: 1
  maxReplicas: 3
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}]
`);
  const current = await eventually('HPA current metrics', async () => {
    const h = await kubectlJson(['get', '-n', ns, 'hpa/scaled']);
    return h.status.currentMetrics?.[0]?.resource?.current?.averageUtilization !== undefined && h.status.currentMetrics[0];
  }, 180000, 5000);
  expect(current.resource.name).toBe('cpu');
});
