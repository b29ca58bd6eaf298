import { binaryPath, ReferenceParsers } from '@kadai/reference-parsers';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { percentile, writeResult } from './lib/result';

/**
 * What reading a submission costs the api and the worker now that Compose files and Dockerfiles go
 * to the long-lived reference-parsers helper instead of a `docker-compose config` subprocess per
 * request (~0.3 s measured before): latency of one request alone, and throughput of 8 in flight.
 * Usage: npx tsx bench/reference-parsers.ts [requests per kind, default 300]
 */
const count = Number(process.argv[2] ?? 300);
const solution = path.resolve(__dirname, '../labs/docker-compose-counter/solution');
const composeFiles = Object.fromEntries(['compose.yaml', 'Dockerfile', 'app.py', 'requirements.txt'].map((f) => [f, readFileSync(path.join(solution, f), 'utf8')]));
const dockerfile = readFileSync(path.resolve(__dirname, '../labs/docker-multistage-go/solution/Dockerfile'), 'utf8');

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

async function measure(parsers: ReferenceParsers, run: () => Promise<unknown>) {
  const alone: number[] = [];
  for (let i = 0; i < count; i++) alone.push(await timed(run));
  alone.sort((a, b) => a - b);
  const started = Date.now();
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next++ < count) await run();
  }));
  return { requests: count, p50Ms: percentile(alone, 50), p95Ms: percentile(alone, 95), p99Ms: percentile(alone, 99), concurrentPerSecond: Math.round((count / (Date.now() - started)) * 1000) };
}

async function main() {
  const parsers = new ReferenceParsers({ binary: binaryPath(), timeoutMs: 10_000, maxRequestBytes: 16 << 20 });
  const startMs = await timed(() => parsers.dockerfile('Dockerfile', 'FROM alpine\n'));
  const compose = await measure(parsers, () => parsers.compose('compose.yaml', composeFiles));
  const dockerfileFigures = await measure(parsers, () => parsers.dockerfile('Dockerfile', dockerfile));
  parsers.close();
  writeResult('reference-parsers', { helperStartAndFirstRequestMs: Math.round(startMs), landlockAbi: parsers.landlock, compose, dockerfile: dockerfileFigures, before: 'docker-compose 1.29 `config` subprocess per Compose request: ~300 ms (bench/results/docker-labs.json note, 2026-11-28)' });
}
void main();
