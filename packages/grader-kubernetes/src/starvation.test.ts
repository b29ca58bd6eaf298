import type { KubernetesObject } from '@kubernetes/client-node';
import { largestAllocatable, podRequest, unschedulableCause, type SchedulingFacts } from './starvation';

const shared = (exceeds: string[] = []): SchedulingFacts => ({ ownNodesOnly: false, exceedsEveryNode: (r) => exceeds.includes(r) });
const ownNodes: SchedulingFacts = { ownNodesOnly: true, exceedsEveryNode: () => false };

test('a shared node full of other attempts\' requests is kadai\'s capacity, not the student\'s', () => {
  expect(unschedulableCause('0/4 nodes are available: 1 Insufficient cpu, 3 node(s) had untolerated taint(s). preemption: 0/4 nodes are available: 1 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.', shared())).toBe('capacity');
  expect(unschedulableCause('0/13 nodes are available: 1 Insufficient memory, 12 node(s) didn\'t match Pod\'s node affinity/selector.', shared())).toBe('capacity');
});

test('a request beyond what any node can ever allocate is the student\'s (chapter 7)', () => {
  expect(unschedulableCause('0/1 nodes are available: 1 Insufficient cpu.', shared(['cpu']))).toBe('student');
  expect(unschedulableCause('0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory.', shared(['memory']))).toBe('student');
});

test('a scheduling lab\'s own nodes hold only the attempt\'s Pods: Insufficient there is the student\'s', () => {
  expect(unschedulableCause('0/3 nodes are available: 3 Insufficient cpu.', ownNodes)).toBe('student');
});

test('selectors, taints and affinity are the student\'s; a claim being provisioned passes by itself', () => {
  expect(unschedulableCause("0/4 nodes are available: 1 node(s) had untolerated taint(s), 3 node(s) didn't match Pod's node affinity/selector.", shared())).toBe('student');
  expect(unschedulableCause('0/16 nodes are available: pod has unbound immediate PersistentVolumeClaims. not found', shared())).toBe('provisioning');
});

test('a Pod\'s request counts its containers, or its largest init container when more; nodes by allocatable', () => {
  const pod = {
    spec: {
      containers: [{ resources: { requests: { cpu: '250m' } } }, { resources: { limits: { cpu: '1' } } }, {}],
      initContainers: [{ resources: { requests: { cpu: '2' } } }],
    },
  } as unknown as KubernetesObject;
  expect(podRequest(pod, 'cpu')).toBe(2);
  expect(podRequest({ spec: { containers: [{ resources: { requests: { memory: '64Mi' } } }, { resources: { limits: { memory: '1Gi' } } }] } } as unknown as KubernetesObject, 'memory')).toBe(64 * 2 ** 20 + 2 ** 30);
  const nodes = [{ status: { allocatable: { cpu: '2' } } }, { status: { allocatable: { cpu: '3500m' } } }, {}] as unknown as KubernetesObject[];
  expect(largestAllocatable(nodes, 'cpu')).toBe(3.5);
  expect(largestAllocatable([], 'cpu')).toBe(0);
});
