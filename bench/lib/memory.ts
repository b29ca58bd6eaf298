import { readdirSync, readFileSync } from 'node:fs';

/** A process and every process under it (Linux /proc). */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    const p = out[i]!;
    try {
      for (const task of readdirSync(`/proc/${p}/task`)) {
        const children = readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim();
        if (children) out.push(...children.split(/\s+/).map(Number));
      }
    } catch {
      // gone while we looked
    }
  }
  return out;
}

function rssBytes(pid: number): number {
  try {
    const pages = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
    return pages * 4096;
  } catch {
    return 0;
  }
}

/** The resident memory of the processes, in MiB. */
export const rssMiB = (pids: number[]): number => Math.round(pids.reduce((sum, pid) => sum + rssBytes(pid), 0) / 2 ** 20);

/** The process trees started from pidfiles (those that exist). */
export function treesOfPidfiles(files: string[]): number[] {
  return files.flatMap((file) => {
    try {
      return processTree(Number(readFileSync(file, 'utf8').trim()));
    } catch {
      return [];
    }
  });
}

/** Samples the peak of each named group's RSS every `everyMs` until stopped. */
export function peakMemory(groups: Record<string, () => number[]>, everyMs = 2000): { stop(): Record<string, number> } {
  const peaks: Record<string, number> = Object.fromEntries(Object.keys(groups).map((g) => [g, 0]));
  const sample = () => {
    for (const [name, pids] of Object.entries(groups)) peaks[name] = Math.max(peaks[name]!, rssMiB(pids()));
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return peaks;
    },
  };
}
