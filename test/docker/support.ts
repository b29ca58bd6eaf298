import type { Lab, LabDefinition } from '@kadai/catalog';
import { RejectedInputError } from '@kadai/errors';
import { createDockerGrader, leftovers, reap, type DockerGraderOptions } from '@kadai/grader-docker';
import type { CheckResult } from '@kadai/grading';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import pino from 'pino';

const t = (s: string) => ({ ja: s, en: s });

/** A docker lab made in code: `docker` is its docker: section, `checks` its checks (title and points filled in). */
export function makeLab(docker: Record<string, unknown>, checks: Array<Record<string, unknown>>, timeLimitSeconds = 120): Lab {
  const definition = {
    id: 'docker-test',
    kind: 'docker',
    chapter: 1,
    title: t('test'),
    instructions: t('test'),
    timeLimitSeconds,
    visibility: 'visible',
    submission: { maxBytes: 1024 * 1024, files: [] },
    docker,
    checks: checks.map((c, i) => ({ id: `c${i}`, title: t(`check ${i}`), points: 1, ...c })),
  } as unknown as LabDefinition;
  return { definition, dir: '/nowhere', version: 'test', files: new Map() };
}

export const files = (entries: Record<string, string | Buffer>) => new Map(Object.entries(entries).map(([k, v]) => [k, Buffer.isBuffer(v) ? v : Buffer.from(v)]));

export function testGrader(overrides: Partial<DockerGraderOptions> = {}) {
  return createDockerGrader({ runTimeoutMs: 60_000, buildTimeoutMs: 120_000, ...overrides });
}

export const log = pino({ level: 'silent' });

/** Grades in a fresh submission id and returns the results with what was left on the engine afterwards. */
export async function gradeOnce(grader: ReturnType<typeof testGrader>, lab: Lab, submission: Map<string, Buffer>, signal = new AbortController().signal, submissionId = `test-${randomUUID()}`, token = 1) {
  const started = Date.now();
  let results: CheckResult[] | undefined;
  let error: unknown;
  try {
    results = await grader.grade(lab, { submissionId, files: submission }, { signal, log, token });
  } catch (e) {
    error = e;
  }
  const left = await leftovers(grader.docker, submissionId);
  await reap(grader.docker, { olderThanMs: 0, submissionId });
  return { results, error, left, ms: Date.now() - started, submissionId };
}

/** The issues of a RejectedInputError thrown by validate, as "file:line field: message". */
export async function rejection(grader: ReturnType<typeof testGrader>, lab: Lab, submission: Map<string, Buffer>): Promise<string[]> {
  try {
    await grader.validate(lab, submission);
  } catch (error) {
    if (error instanceof RejectedInputError) return error.issues.map((i) => `${i.file ?? ''}:${i.line ?? ''} ${i.field ?? ''}: ${i.message}`);
    throw error;
  }
  return [];
}

/** Every process whose cgroup is the attempt's build cgroup or below (kadai names it after the submission). */
export function buildProcesses(submissionId: string): number[] {
  const attempt = `/kadai-build/kadai-${submissionId.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 20)}`;
  return readdirSync('/proc').flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    try {
      return readFileSync(`/proc/${entry}/cgroup`, 'utf8').includes(attempt) ? [Number(entry)] : [];
    } catch {
      return []; // gone meanwhile
    }
  });
}
