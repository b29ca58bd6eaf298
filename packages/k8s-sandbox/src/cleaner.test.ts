import { ApiException } from '@kubernetes/client-node';
import { Cleaner } from './cleaner';
import { checkLabelValue } from './labels';

test('undo steps run newest first, a 404 counts as done, other failures are reported after every step ran', async () => {
  const cleaner = new Cleaner();
  const ran: string[] = [];
  cleaner.add('namespace', async () => ran.push('namespace'));
  cleaner.add('gone already', async () => {
    ran.push('gone');
    throw new ApiException(404, 'not found', '{"message":"pods \\"x\\" not found"}', {});
  });
  cleaner.add('volume', async () => {
    ran.push('volume');
    throw new ApiException(500, 'boom', '{"message":"etcd timeout"}', {});
  });
  expect(await cleaner.run()).toEqual(['volume: etcd timeout']);
  expect(ran).toEqual(['volume', 'gone', 'namespace']);
  expect(cleaner.size).toBe(0);
  expect(await cleaner.run()).toEqual([]); // each step runs once
});

test('ids that are not label values are refused before anything is created', () => {
  expect(checkLabelValue('run id', '0b5c7e6e-1c1f-4a6e-9d1e-4b2f1c0d9a11')).toBe('0b5c7e6e-1c1f-4a6e-9d1e-4b2f1c0d9a11');
  expect(() => checkLabelValue('run id', 'a/b')).toThrow('run id "a/b" is not a valid Kubernetes label value');
  expect(() => checkLabelValue('run id', 'x'.repeat(64))).toThrow(/not a valid/);
});
