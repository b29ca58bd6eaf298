import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import path from 'node:path';

/** Writes bench/results/<name>.json with the machine and date beside the figures. */
export function writeResult(name: string, figures: Record<string, unknown>): void {
  const result = {
    benchmark: name,
    date: new Date().toISOString(),
    machine: {
      cores: cpus().length,
      cpuModel: cpus()[0]?.model,
      memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
      loadAverageAtEnd: loadavg().map((l) => Math.round(l * 100) / 100),
      node: process.version,
    },
    ...figures,
  };
  const file = path.join(__dirname, '..', 'results', `${name}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
}

/** A row measured while the machine's 1/5/15-min load averages were above its cores says so. */
export function loadedNote(loads: number[]): { machineLoaded?: string } {
  const cores = cpus().length;
  const peak = Math.max(...loads);
  return peak > cores ? { machineLoaded: `load average up to ${peak} on ${cores} cores while measured (other sessions' tests and builds): both kadai's and the script's times are longer than on a quiet machine` } : {};
}

/** `uptime`'s 1/5/15-min load averages, rounded. */
export const loadAverages = (): number[] => loadavg().map((l) => Math.round(l * 100) / 100);

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round(sorted[Math.max(0, index)]! * 100) / 100;
}
