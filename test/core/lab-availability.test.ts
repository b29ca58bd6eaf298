import { publishLabAvailability, unavailableLabs, withdrawLabAvailability } from '@kadai/queue';
import Redis from 'ioredis';

// Workers say which labs they cannot grade; the api refuses a lab only when no live worker of its kind can grade it.
const REDIS_URL = `${process.env.KADAI_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'}/6`;
const prefix = `kadai-test-availability-${process.pid}`;
let redis: Redis;
beforeAll(() => {
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  await redis.del(`${prefix}:lab-availability`);
  redis.disconnect();
});

test('a lab is unavailable only when every live worker of its kind says so; a dead or withdrawn worker’s word no longer counts', async () => {
  expect(await unavailableLabs(redis, prefix)).toEqual(new Map());
  await publishLabAvailability(redis, prefix, { workerId: 'w1', kind: 'kubernetes', unavailable: { 'k8s-a': 'needs killContainer', 'k8s-b': 'needs metrics' } }, 60_000);
  await publishLabAvailability(redis, prefix, { workerId: 'w2', kind: 'kubernetes', unavailable: { 'k8s-a': 'needs killContainer (2)' } }, 60_000);
  // another kind's report says nothing about kubernetes labs
  await publishLabAvailability(redis, prefix, { workerId: 'w3', kind: 'docker', unavailable: {} }, 60_000);
  expect(await unavailableLabs(redis, prefix)).toEqual(new Map([['k8s-a', 'needs killContainer']]));

  // w2 can grade k8s-a after all: nobody is left saying every worker can't
  await publishLabAvailability(redis, prefix, { workerId: 'w2', kind: 'kubernetes', unavailable: {} }, 60_000);
  expect(await unavailableLabs(redis, prefix)).toEqual(new Map());

  // w2 stops (withdrawn) and w1's word stands alone
  await withdrawLabAvailability(redis, prefix, 'w2', 'kubernetes');
  expect(await unavailableLabs(redis, prefix)).toEqual(new Map([['k8s-a', 'needs killContainer'], ['k8s-b', 'needs metrics']]));

  // w1 dies without withdrawing: its report expires and is dropped
  await publishLabAvailability(redis, prefix, { workerId: 'w1', kind: 'kubernetes', unavailable: { 'k8s-a': 'x' } }, 1);
  await new Promise((r) => setTimeout(r, 20));
  expect(await unavailableLabs(redis, prefix)).toEqual(new Map());
  expect(await redis.hkeys(`${prefix}:lab-availability`)).toEqual(['docker:w3']);
});

test("a worker's fresh report published while an expired one is being read is not removed with it", async () => {
  const key = `${prefix}:lab-availability`;
  await publishLabAvailability(redis, prefix, { workerId: 'w4', kind: 'quiz', unavailable: { 'quiz-x': 'old' } }, 1);
  await new Promise((r) => setTimeout(r, 20));
  // the reader sees the expired report; before it removes it, w4 publishes again
  const racing = new Proxy(redis, {
    get(target, name, receiver) {
      if (name !== 'hgetall') return Reflect.get(target, name, receiver);
      return async (hash: string) => {
        const seen = await target.hgetall(hash);
        await publishLabAvailability(target, prefix, { workerId: 'w4', kind: 'quiz', unavailable: { 'quiz-x': 'fresh' } }, 60_000);
        return seen;
      };
    },
  });
  expect(await unavailableLabs(racing, prefix)).toEqual(new Map());
  expect(await unavailableLabs(redis, prefix)).toEqual(new Map([['quiz-x', 'fresh']]));
  await redis.hdel(key, 'quiz:w4');
});
