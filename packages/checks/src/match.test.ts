import { formatMismatches, matchPartial } from './match';

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web', tier: 'front' }, annotations: { 'kadai.io/x': '1' } },
  spec: { replicas: 2, template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1.21', ports: [{ containerPort: 80 }] }] } } },
};

describe('matchPartial', () => {
  it('passes when every expected field is there, ignoring extra actual fields', () => {
    expect(matchPartial({ kind: 'Deployment', metadata: { labels: { app: 'web' } }, spec: { replicas: 2 } }, deployment)).toEqual({ ok: true, mismatches: [] });
  });

  it('lists every mismatch with its path, expected and actual', () => {
    const result = matchPartial({ spec: { replicas: 3, template: { spec: { containers: [{ image: 'nginx:1.22', ports: [{ containerPort: 80 }] }] } } }, metadata: { labels: { env: 'prod' } } }, deployment);
    expect(result.ok).toBe(false);
    expect(result.mismatches).toEqual([
      { path: 'spec.replicas', expected: 3, actual: 2 },
      { path: 'spec.template.spec.containers[0].image', expected: 'nginx:1.22', actual: 'nginx:1.21' },
      { path: 'metadata.labels.env', expected: 'prod', actual: undefined },
    ]);
    expect(formatMismatches(result)).toBe(
      ['✗ spec.replicas: expected 3, actual 2', '✗ spec.template.spec.containers[0].image: expected nginx:1.22, actual nginx:1.21', '✗ metadata.labels.env: expected prod, actual (missing)'].join('\n'),
    );
  });

  it('compares arrays by length and in order', () => {
    expect(matchPartial({ a: [1, 2] }, { a: [1, 2, 3] }).mismatches).toEqual([{ path: 'a', expected: [1, 2], actual: [1, 2, 3] }]);
    expect(matchPartial({ a: [1, 2] }, { a: [2, 1] }).mismatches.map((m) => m.path)).toEqual(['a[0]', 'a[1]']);
  });

  it('does not coerce types and quotes keys that are not plain names', () => {
    expect(matchPartial({ n: 3 }, { n: '3' }).ok).toBe(false);
    expect(matchPartial({ metadata: { annotations: { 'kadai.io/x': '2' } } }, deployment).mismatches[0]?.path).toBe('metadata.annotations["kadai.io/x"]');
  });

  it('reports an object expected where something else is', () => {
    expect(matchPartial({ spec: { replicas: 1 } }, { spec: null }).mismatches).toEqual([{ path: 'spec', expected: { replicas: 1 }, actual: null }]);
    expect(matchPartial({ a: 1 }, 'text').mismatches[0]?.path).toBe('(root)');
  });
});
