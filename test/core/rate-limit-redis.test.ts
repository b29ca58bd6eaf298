import { RateLimits } from '@kadai/api-routes';
import type { Principal } from '@kadai/db';
import type { Request } from 'express';
import Redis from 'ioredis';
import { deleteKeys } from '../support/stack';

// Limits hold across api processes: two RateLimits over the same Redis (as two api processes
// would build them) share one budget.
const REDIS_URL = `${process.env.KADAI_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'}/6`;
const prefix = `kadai-test-ratelimit-${process.pid}`;
let redis: Redis;
beforeAll(() => {
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  await deleteKeys(redis, `${prefix}:*`);
  redis.disconnect();
});

const settings = {
  windowSeconds: 60,
  perAddress: { submissions: 100, reads: 100 },
  authFailuresPerAddress: 4,
  perStudent: { submissions: 1, reads: 1 },
  perStaff: { submissions: 1, reads: 1 },
};

it('two api processes count unknown tokens of one address together', async () => {
  const first = new RateLimits(redis, settings, prefix);
  const second = new RateLimits(redis, settings, prefix);
  const req = { ip: '192.0.2.9' } as Request;
  await first.recordUnknownToken(req);
  await second.recordUnknownToken(req);
  await first.recordUnknownToken(req);
  await expect(second.assertMayTryUnknownToken(req)).resolves.toBeUndefined();
  await second.recordUnknownToken(req);
  await expect(first.assertMayTryUnknownToken(req)).rejects.toMatchObject({ status: 429, retryAfterSeconds: expect.any(Number) });
  await expect(second.assertMayTryUnknownToken({ ip: '192.0.2.10' } as Request)).resolves.toBeUndefined();
});

it('charges a known token\'s address and user at once, and a request the address refuses costs the user nothing', async () => {
  const limits = new RateLimits(redis, { ...settings, perAddress: { submissions: 1, reads: 1 }, perStudent: { submissions: 3, reads: 3 } }, `${prefix}:both`);
  const student = { userId: 'u-both', login: 'both', role: 'student' } as Principal;
  const req = { ip: '192.0.2.20', method: 'POST' } as Request;
  await expect(limits.chargeAddressAndUser(req, student)).resolves.toBeUndefined();
  // the address's budget is used up: its refusal is the one reported, twice
  for (let i = 0; i < 2; i++) {
    await expect(limits.chargeAddressAndUser(req, student)).rejects.toMatchObject({ status: 429, message: expect.stringContaining('from 192.0.2.20') });
  }
  // from another address the student still has 2 of 3 submissions: the refused ones were given back
  const elsewhere = { ip: '192.0.2.21', method: 'POST' } as Request;
  await expect(limits.chargeUser(elsewhere, student)).resolves.toBeUndefined();
  await expect(limits.chargeUser(elsewhere, student)).resolves.toBeUndefined();
  await expect(limits.chargeUser(elsewhere, student)).rejects.toMatchObject({ status: 429, message: expect.stringContaining('by both') });
});
