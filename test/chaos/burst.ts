/**
 * A mixed burst of lab submissions whose verdicts are known beforehand: each is a lab's solution or
 * one of its wrong variants, and its self-test expectations (expect.yaml) say how a quiet system
 * grades it. Shared by the chaos suite (test/chaos) and the benchmarks (bench/chaos.ts,
 * bench/deadline-burst.ts).
 */
import { loadCatalog, loadSelfTests, type Lab, type SelfTestCase } from '@kadai/catalog';
import { ApiError, type KadaiClient } from '@kadai/client';
import { checkValidators } from '@kadai/graders';
import { packLayers } from '@kadai/intake';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { REPO_ROOT } from '../support/stack';

export type LabKind = 'quiz' | 'docker' | 'kubernetes';

export interface KnownCase {
  lab: string;
  kind: LabKind;
  /** `solution` or `wrong/<variant>` */
  name: string;
  expected: SelfTestCase;
  archive: Buffer;
}

/**
 * The graded (never refused) self-test cases of the given labs: the solution and up to `wrongPerLab`
 * wrong variants of each, in the order expect.yaml files list them.
 */
export async function knownCases(labIds: readonly string[], wrongPerLab: number): Promise<KnownCase[]> {
  const { labs, issues } = await loadCatalog(path.join(REPO_ROOT, 'labs'), checkValidators);
  if (issues.length > 0) throw new Error(`the labs do not load: ${issues.map((i) => i.message).join('; ')}`);
  const cases: KnownCase[] = [];
  for (const id of labIds) {
    const lab: Lab | undefined = labs.get(id);
    if (!lab) throw new Error(`no lab ${id}`);
    const found = (await loadSelfTests(lab)).cases.filter((c) => !c.rejected);
    const chosen = [...found.filter((c) => c.name === 'solution'), ...found.filter((c) => c.name !== 'solution').slice(0, wrongPerLab)];
    for (const c of chosen) {
      const archive = await packLayers(c.layers, { exclude: (rel) => rel === 'expect.yaml', remove: c.remove });
      cases.push({ lab: id, kind: lab.definition.kind as LabKind, name: c.name, expected: c, archive });
    }
  }
  return cases;
}

/** Statuses at which the api did not take the submission in and asking again is right. */
const TRY_AGAIN = new Set([429, 500, 502, 503, 504]);

export interface Accepted {
  known: KnownCase;
  id: string;
  submittedAt: number;
  /** Times the api was asked again (it was down, or answered 5xx) before it took the submission. */
  retries: number;
}

/**
 * Hands one case in, asking again with the same Idempotency-Key while the api cannot take it
 * (restarting services, network errors), for at most `patienceMs`. Throws what the api answered
 * last when it never took the submission.
 */
export async function handIn(client: KadaiClient, known: KnownCase, patienceMs: number): Promise<Accepted> {
  const key = randomUUID();
  const submittedAt = Date.now();
  for (let retries = 0; ; retries++) {
    try {
      const { id } = await client.submitArchive(known.lab, known.archive, key);
      return { known, id, submittedAt, retries };
    } catch (error) {
      const again = !(error instanceof ApiError) || TRY_AGAIN.has(error.problem.status);
      if (!again || Date.now() - submittedAt > patienceMs) throw error;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Spreads the cases over `spreadMs` (shuffled, so kinds mix) and hands each in as its time comes. */
export async function handInSpread(client: KadaiClient, cases: readonly KnownCase[], spreadMs: number, patienceMs: number, random: () => number): Promise<{ accepted: Accepted[]; refused: Array<{ known: KnownCase; error: string }> }> {
  const order = shuffle(cases, random);
  const start = Date.now();
  const accepted: Accepted[] = [];
  const refused: Array<{ known: KnownCase; error: string }> = [];
  await Promise.all(
    order.map(async (known, i) => {
      const at = start + (order.length > 1 ? (spreadMs * i) / (order.length - 1) : 0);
      await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
      try {
        accepted.push(await handIn(client, known, patienceMs));
      } catch (error) {
        refused.push({ known, error: (error as Error).message });
      }
    }),
  );
  return { accepted, refused };
}

export function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** A small seeded generator (mulberry32), so a run's schedule of faults can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
