import { migrate } from '@kadai/db';
import { Client } from 'pg';
import { createTestDatabase, dropTestDatabase } from '../support/stack';

// Every process migrates at start-up; the api and several workers start at once (a Helm rollout, a
// worker replaced while another starts). None of them may fail because another is migrating.
let url: string;
beforeAll(async () => {
  url = await createTestDatabase('migrate');
});
afterAll(async () => {
  await dropTestDatabase(url);
});

test('six processes migrating one empty database at once all succeed, and the schema is applied once', async () => {
  const results = await Promise.allSettled(Array.from({ length: 6 }, () => migrate(url)));
  expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string; runs: string }>('SELECT name, count(*) AS runs FROM pgmigrations GROUP BY name HAVING count(*) > 1');
    expect(rows).toEqual([]);
    const { rows: applied } = await client.query<{ n: string }>('SELECT count(*) AS n FROM pgmigrations');
    expect(Number(applied[0]!.n)).toBeGreaterThan(0);
  } finally {
    await client.end();
  }
});
