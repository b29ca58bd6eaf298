import { readFileSync } from 'node:fs';
import path from 'node:path';
import { permissivePolicy, vetManifests, type LabPolicy } from '@kadai/k8s-vetting';
import { percentile, writeResult } from './lib/result';

/**
 * What vetting costs: refusing hostile submissions (a 50 MiB ConfigMap, 5,000 objects, an alias
 * bomb) must be quick and must not build what it refuses; accepting the course's manifests must
 * be negligible next to applying them. Figures: p50/p95 over `runs` calls, and the heap grown by
 * one call. Usage: npx tsx bench/k8s-vetting.ts [runs, default 50]
 */
const runs = Number(process.argv[2] ?? 50);
const NS = 'kadai-a-000000000000';
const files = (name: string, text: string) => new Map([[name, Buffer.from(text)]]);

const hugeConfigMap = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  blob: "${'x'.repeat(50 * 2 ** 20)}"\n`;
const manyDocuments = Array.from({ length: 5000 }, (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c${i}}`).join('\n---\n');
const manyListItems = `apiVersion: v1\nkind: List\nitems:\n${Array.from({ length: 5000 }, (_, i) => `- {apiVersion: v1, kind: ConfigMap, metadata: {name: c${i}}}`).join('\n')}\n`;
const aliasBomb = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n${Array.from({ length: 8 }, (_, i) => `  ${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`).join('\n')}\n`;
const course = readFileSync(path.resolve(__dirname, '../packages/k8s-vetting/fixtures/course/ch4-nodeport.yaml'), 'utf8');
// the worst the default size limit lets through: a List of tiny flow mappings filling a whole file
const tinyItems = (bytes: number) => `apiVersion: v1\nkind: List\nitems:\n${Array.from({ length: Math.floor((bytes - 40) / 12) }, () => '- {kind: A}').join('\n')}\n`;
const unlimitedSizes: LabPolicy = { ...permissivePolicy, limits: { ...permissivePolicy.limits, maxFileBytes: 2 ** 30, maxTotalBytes: 2 ** 30 } };

function measure(input: Map<string, Buffer>, policy: LabPolicy) {
  const times: number[] = [];
  let outcome = '';
  const heapBefore = process.memoryUsage().heapUsed;
  let heapPeakGrowthMiB = 0;
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    try {
      outcome = `accepted ${vetManifests(input, policy, NS).length} objects`;
    } catch (error) {
      outcome = `refused (${(error as { status?: number }).status}): ${(error as Error).message.slice(0, 100)}`;
    }
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    heapPeakGrowthMiB = Math.max(heapPeakGrowthMiB, (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20);
  }
  times.sort((a, b) => a - b);
  return { inputBytes: [...input.values()].reduce((n, b) => n + b.length, 0), outcome, p50Ms: percentile(times, 50), p95Ms: percentile(times, 95), heapGrowthMiB: Math.round(heapPeakGrowthMiB * 10) / 10 };
}

writeResult('k8s-vetting', {
  runs,
  configMap50MiB: measure(files('big.yaml', hugeConfigMap), permissivePolicy),
  documents5000: measure(files('many.yaml', manyDocuments), permissivePolicy),
  documents5000SizeLimitsLifted: measure(files('many.yaml', manyDocuments), unlimitedSizes),
  listItems5000SizeLimitsLifted: measure(files('list.yaml', manyListItems), unlimitedSizes),
  tinyListItemsFillingMaxFileBytes: measure(files('tiny.yaml', tinyItems(permissivePolicy.limits.maxFileBytes)), permissivePolicy),
  aliasBomb: measure(files('lol.yaml', aliasBomb), permissivePolicy),
  courseNodePortManifest: measure(files('nodeport.yaml', course), permissivePolicy),
  note: 'heapGrowthMiB is heapUsed after a call minus before the first (no forced GC): an upper bound on what a refusal keeps; the 50 MiB input buffer itself is outside the heap',
});
