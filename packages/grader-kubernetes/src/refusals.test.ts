import type { KubernetesObject } from '@kubernetes/client-node';
import { expectsRefusal, refusedCreation } from './refusals';

const workload = (kind: string, message?: string, status = 'True'): KubernetesObject =>
  ({ apiVersion: 'apps/v1', kind, metadata: { name: 'web' }, status: { conditions: message === undefined ? [] : [{ type: 'ReplicaFailure', status, reason: 'FailedCreate', message }] } }) as KubernetesObject;

const podSecurity = 'pods "web-7d9c-x2" is forbidden: violates PodSecurity "baseline:latest": seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")';
const limitRange = 'pods "web-7d9c-x2" is forbidden: maximum cpu usage per Container is 1, but limit is 2';
const quota = 'pods "web-7d9c-x2" is forbidden: exceeded quota: team1-quota, requested: limits.memory=390Mi, used: limits.memory=20Mi, limited: limits.memory=400Mi';

describe('refusedCreation', () => {
  it('stops on a ReplicaSet whose Pods Pod Security forbids, naming it and the API server\'s words', () => {
    const stuck = refusedCreation([workload('ReplicaSet', podSecurity)], { teachesResources: false });
    expect(stuck).toMatchObject({ pod: 'ReplicaSet/web', reason: 'Forbidden' });
    expect(stuck?.message.en).toBe(`The API server refuses to create the Pods of ReplicaSet/web (${podSecurity}).`);
    expect(stuck?.message.ja).toContain(podSecurity);
  });

  it("stops on a LimitRange's refusal where the lab teaches resources (the student's LimitRange), not where it is kadai's guard", () => {
    expect(refusedCreation([workload('ReplicaSet', limitRange)], { teachesResources: true })?.reason).toBe('Forbidden');
    expect(refusedCreation([workload('ReplicaSet', limitRange)], { teachesResources: false })).toBeUndefined();
  });

  it("keeps polling on a quota refusal (room may come free), a condition that is not True, a Deployment's copy, other kinds and healthy workloads", () => {
    expect(refusedCreation([workload('ReplicaSet', quota)], { teachesResources: true })).toBeUndefined();
    expect(refusedCreation([workload('ReplicaSet', podSecurity, 'False')], { teachesResources: false })).toBeUndefined();
    // a Deployment's condition may still be an old ReplicaSet's right after a fixed template rolled out
    expect(refusedCreation([workload('Deployment', podSecurity)], { teachesResources: false })).toBeUndefined();
    expect(refusedCreation([workload('StatefulSet', podSecurity)], { teachesResources: false })).toBeUndefined();
    expect(refusedCreation([workload('ReplicaSet'), workload('ReplicaSet', 'error creating: Internal error occurred')], { teachesResources: false })).toBeUndefined();
    // a fresh namespace's default ServiceAccount appears a moment later: not for good
    expect(refusedCreation([workload('ReplicaSet', 'pods "web-7d9c-x2" is forbidden: error looking up service account kadai-a-1/default: serviceaccount "default" not found')], { teachesResources: true })).toBeUndefined();
  });

  it('lets a check about the refusal itself watch it', () => {
    expect(expectsRefusal({ match: { status: { conditions: [{ type: 'ReplicaFailure', status: 'True' }] } } })).toBe(true);
    expect(expectsRefusal({ condition: 'Available' })).toBe(false);
  });
});
