import type { KubernetesObject } from '@kubernetes/client-node';
import { attemptIngressHost, makeUniquePerAttempt, REWRITE_ANNOTATION } from './rewrite';

const names = { namespace: 'kadai-a-0123456789ab' };
const suffix = 'kadai-a-0123456789ab.kadai.invalid';
type Obj = KubernetesObject & Record<string, unknown>;

const service = (spec: Record<string, unknown>): Obj => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', labels: { app: 'web' } }, spec });
const annotation = (o: KubernetesObject) => JSON.parse(o.metadata?.annotations?.[REWRITE_ANNOTATION] ?? 'null') as unknown;

describe('Service', () => {
  test('a fixed nodePort in range is dropped (the API server allocates one); the port and targetPort stay', () => {
    const submitted = service({ type: 'NodePort', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }, { name: 'other', port: 81 }] });
    const { objects, rewrites } = makeUniquePerAttempt([submitted], names);
    expect(objects[0]!.spec).toEqual({ type: 'NodePort', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'other', port: 81 }] });
    expect(rewrites).toEqual([{ object: 'Service/web', field: 'spec.ports[0].nodePort', submitted: 30080 }]);
    expect(annotation(objects[0]!)).toEqual([{ field: 'spec.ports[0].nodePort', submitted: 30080 }]);
    expect(objects[0]!.metadata?.labels).toEqual({ app: 'web' });
  });

  test('the submitted object is not modified', () => {
    const submitted = service({ type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] });
    const copy = structuredClone(submitted);
    makeUniquePerAttempt([submitted], names);
    expect(submitted).toEqual(copy);
  });

  test('a nodePort outside the range (or not an integer) is left for the API server to refuse', () => {
    const submitted = service({ type: 'NodePort', ports: [{ port: 80, nodePort: 80 }, { port: 81, nodePort: '30080' }, { port: 82, nodePort: 30000.5 }] });
    const { objects, rewrites } = makeUniquePerAttempt([submitted], names);
    expect(rewrites).toEqual([]);
    expect(objects[0]).toEqual(submitted);
    expect(objects[0]!.metadata?.annotations).toBeUndefined();
  });

  test('the range is the cluster\'s', () => {
    const submitted = service({ type: 'NodePort', ports: [{ port: 80, nodePort: 20080 }] });
    expect(makeUniquePerAttempt([submitted], { ...names, nodePortRange: { min: 20000, max: 22767 } }).rewrites).toHaveLength(1);
    expect(makeUniquePerAttempt([submitted], names).rewrites).toHaveLength(0);
  });

  test('LoadBalancer: fixed nodePorts, healthCheckNodePort and loadBalancerIP are dropped', () => {
    const submitted = service({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 31000, loadBalancerIP: '10.250.0.9', ports: [{ port: 80, nodePort: 30090 }] });
    const { objects, rewrites } = makeUniquePerAttempt([submitted], names);
    expect(objects[0]!.spec).toEqual({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ port: 80 }] });
    expect(rewrites.map((r) => r.field)).toEqual(['spec.ports[0].nodePort', 'spec.healthCheckNodePort', 'spec.loadBalancerIP']);
  });

  test('a ClusterIP Service and other kinds pass unchanged', () => {
    const objs: Obj[] = [service({ ports: [{ port: 80, targetPort: 8080 }] }), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { nodePort: '30080' } }];
    const { objects, rewrites } = makeUniquePerAttempt(objs, names);
    expect(objects).toEqual(objs);
    expect(rewrites).toEqual([]);
  });
});

describe('Ingress', () => {
  const ingress = (spec: Record<string, unknown>): Obj => ({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'shop' }, spec });
  const backend = (name: string) => ({ service: { name, port: { number: 80 } } });
  const paths = (name: string, path = '/') => ({ paths: [{ path, pathType: 'Prefix', backend: backend(name) }] });

  test('a host-less rule gets the attempt\'s name; a named host gets the attempt\'s suffix', () => {
    const { objects, rewrites } = makeUniquePerAttempt([ingress({ ingressClassName: 'traefik', rules: [{ http: paths('a', '/a') }, { host: 'shop.example.com', http: paths('b') }] })], names);
    expect(objects[0]!.spec).toEqual({ ingressClassName: 'traefik', rules: [{ host: suffix, http: paths('a', '/a') }, { host: `shop.example.com.${suffix}`, http: paths('b') }] });
    expect(rewrites).toEqual([
      { object: 'Ingress/shop', field: 'spec.rules[0].host', submitted: null, applied: suffix },
      { object: 'Ingress/shop', field: 'spec.rules[1].host', submitted: 'shop.example.com', applied: `shop.example.com.${suffix}` },
    ]);
  });

  test('a wildcard host stays a wildcard that matches exactly the rewritten hosts below it', () => {
    const { objects } = makeUniquePerAttempt([ingress({ rules: [{ host: '*.example.com', http: paths('a') }] })], names);
    const host = (objects[0]!.spec as { rules: { host: string }[] }).rules[0]!.host;
    expect(host).toBe(`*.example.com.${suffix}`);
    expect(attemptIngressHost('foo.example.com', names)).toBe(`foo.example.com.${suffix}`);
    // one label for the *, as Kubernetes matches wildcards
    expect(attemptIngressHost('foo.example.com', names).split('.').slice(1).join('.')).toBe(host.slice(2));
  });

  test('a defaultBackend (a catch-all on the shared controller) becomes a rule for the attempt\'s host-less name', () => {
    const { objects, rewrites } = makeUniquePerAttempt([ingress({ defaultBackend: backend('fallback'), rules: [{ host: 'a.example.com', http: paths('a') }] })], names);
    expect(objects[0]!.spec).toEqual({
      rules: [
        { host: `a.example.com.${suffix}`, http: paths('a') },
        { host: suffix, http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('fallback') }] } },
      ],
    });
    expect(rewrites.map((r) => r.field)).toEqual(['spec.rules[0].host', 'spec.defaultBackend']);
  });

  test('a host Kubernetes would refuse is left for the dry run to refuse', () => {
    const spec = { rules: [{ host: 'Not_A_Host', http: paths('a') }, { host: '*', http: paths('b') }] };
    const { objects, rewrites } = makeUniquePerAttempt([ingress(spec)], names);
    expect(objects[0]!.spec).toEqual(spec);
    expect(rewrites).toEqual([]);
  });

  test('TLS hosts follow their rules', () => {
    const { objects } = makeUniquePerAttempt([ingress({ tls: [{ hosts: ['a.example.com'], secretName: 'tls' }], rules: [{ host: 'a.example.com', http: paths('a') }] })], names);
    expect((objects[0]!.spec as { tls: unknown }).tls).toEqual([{ hosts: [`a.example.com.${suffix}`], secretName: 'tls' }]);
  });

  test('a host too long for DNS with the suffix gets a stable short stand-in', () => {
    const long = `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(30)}.example.com`;
    const mapped = attemptIngressHost(long, names);
    expect(mapped.length).toBeLessThanOrEqual(253);
    expect(mapped).toMatch(new RegExp(`^h-[0-9a-f]{16}\\.${suffix.replace(/\./g, '\\.')}$`));
    expect(attemptIngressHost(long, names)).toBe(mapped);
    expect(attemptIngressHost(`*.${long}`, names)).toMatch(/^\*\.h-[0-9a-f]{16}\./);
  });

  test('two attempts never share a host', () => {
    const other = { namespace: 'kadai-a-ba9876543210' };
    expect(attemptIngressHost(undefined, names)).not.toBe(attemptIngressHost(undefined, other));
    expect(attemptIngressHost('x.example.com', names)).not.toBe(attemptIngressHost('x.example.com', other));
    expect(attemptIngressHost('x', { ...names, ingressDomain: 'grading.example.org' })).toBe('x.kadai-a-0123456789ab.grading.example.org');
  });
});
