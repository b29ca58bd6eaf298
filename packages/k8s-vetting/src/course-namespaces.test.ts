import { RejectedInputError } from '@kadai/errors';
import { labPolicy } from './policy';
import { vetManifestSources } from './vet';

// chapter 7: the course's `team1`, standing for one more namespace of the attempt
const NS = 'kadai-a-0123456789ab';
const course = new Map([['team1', `${NS}-team1`]]);
const policy = labPolicy({ kinds: ['Pod', 'ResourceQuota', 'LimitRange'], images: ['nginx'], quota: { maxReplicas: 1, cpu: '2', memory: '1Gi', storage: '1Gi' }, commands: [] });
const files = (yaml: string) => new Map([['m.yaml', Buffer.from(yaml)]]);
const quota = (meta: string) => `apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: q${meta}\nspec:\n  hard: {pods: "4"}\n`;
const pod = (meta: string) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p${meta}\nspec:\n  containers: [{name: c, image: nginx}]\n`;

function issues(yaml: string, stageDefault?: string): string[] {
  try {
    vetManifestSources(files(yaml), policy, NS, { course, ...(stageDefault ? { stageDefault } : {}) });
  } catch (err) {
    if (err instanceof RejectedInputError) return err.issues.map((i) => `${i.field}: ${i.message}`);
    throw err;
  }
  return [];
}

describe('the course\'s other namespaces', () => {
  it('maps namespace: team1 to the attempt\'s namespace for it, and default or none to the attempt\'s own', () => {
    const placed = vetManifestSources(files(`${pod('\n  namespace: team1')}---\n${pod('2')}---\n${pod('3\n  namespace: default')}`), policy, NS, { course });
    expect(placed.map((v) => v.object.metadata?.namespace)).toEqual([`${NS}-team1`, NS, NS]);
  });

  it('takes a Namespace document naming team1 as "it exists" and applies nothing of it', () => {
    const placed = vetManifestSources(files(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team1\n---\n${quota('\n  namespace: team1')}`), policy, NS, { course });
    expect(placed.map((v) => v.object.kind)).toEqual(['ResourceQuota']);
  });

  it('refuses any other Namespace and any other namespace', () => {
    expect(issues('apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team2\n')).toEqual([expect.stringMatching(/^kind: .*Namespace is cluster-scoped/)]);
    expect(issues(pod('\n  namespace: team2'))).toEqual([expect.stringMatching(/^metadata.namespace: .*namespace "team2" is not allowed.*\(team1\)/)]);
  });

  it('places objects without a namespace in the stage\'s (kubectl apply -n team1)', () => {
    const [placed] = vetManifestSources(files(pod('')), policy, NS, { course, stageDefault: 'team1' });
    expect(placed?.object.metadata?.namespace).toBe(`${NS}-team1`);
  });

  it('accepts a ResourceQuota or LimitRange in team1 only, never under kadai\'s names', () => {
    expect(issues(quota('\n  namespace: team1'))).toEqual([]);
    expect(issues(quota(''), 'team1')).toEqual([]);
    expect(issues(quota(''))).toEqual([expect.stringMatching(/^metadata.namespace: .*belongs in the lab's own namespace \(metadata.namespace: team1\)/)]);
    expect(issues(quota('\n  namespace: default'))).toEqual([expect.stringMatching(/belongs in the lab's own namespace/)]);
    expect(issues(quota('\n  namespace: team1').replace('name: q', 'name: kadai-quota'))).toEqual([expect.stringMatching(/^metadata.name: .*"kadai-quota" is kadai's own/)]);
  });
});
