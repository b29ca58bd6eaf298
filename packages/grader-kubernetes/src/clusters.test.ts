import { InfrastructureError } from '@kadai/errors';
import { chooseCluster } from './clusters';

test('an attempt goes to the cluster with the most free capacity', () => {
  expect(chooseCluster([
    { name: 'a', capacity: { freeMillicores: 1000 } },
    { name: 'b', capacity: { freeMillicores: 6000 } },
    { name: 'c', capacity: { freeMillicores: -2000 } },
  ])).toBe(1);
  // over-committed clusters still compare: the least over-committed takes the attempt
  expect(chooseCluster([{ name: 'a', capacity: { freeMillicores: -4000 } }, { name: 'b', capacity: { freeMillicores: -2000 } }])).toBe(1);
});

test('on a tie the first listed cluster takes the attempt', () => {
  expect(chooseCluster([{ name: 'a', capacity: { freeMillicores: 2000 } }, { name: 'b', capacity: { freeMillicores: 2000 } }])).toBe(0);
});

test('a cluster that cannot be measured is passed over; none answering is kadai\'s failure, retried', () => {
  expect(chooseCluster([{ name: 'a', capacity: { error: 'connect ECONNREFUSED' } }, { name: 'b', capacity: { freeMillicores: 0 } }])).toBe(1);
  const none = () => chooseCluster([{ name: 'a', capacity: { error: 'connect ECONNREFUSED' } }, { name: 'b', capacity: { error: 'Unauthorized' } }]);
  expect(none).toThrow(InfrastructureError);
  expect(none).toThrow('no grading cluster answers (a: connect ECONNREFUSED; b: Unauthorized)');
  try {
    none();
  } catch (err) {
    expect((err as InfrastructureError).retryable).toBe(true);
  }
});
