import { loadCatalog } from '@kadai/catalog';
import { createDockerGrader, DEFAULT_DOCKER_OPTIONS, mirrorAddress, readSubmission } from '@kadai/grader-docker';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { readDir } from './lib/files';
import { percentile, writeResult } from './lib/result';

/**
 * Build time of every docker lab's solution before and after builds moved to kadai's BuildKit
 * daemon (issue 7 item 7): "after" is the grader's own build step (buildctl build, pushed to kadai's registry, pulled by
 * the engine, from the grader's step timings), "before" the engine's classic builder with the
 * options the grader used to pass (build network, mirror hosts, memory), run by hand with the docker
 * CLI. Both warm (one warm-up each), runs alternating. Also the whole grading's p50 with BuildKit.
 * Usage: npx tsx bench/docker-builds.ts [runs per lab, default 5] [lab ids...]
 */

const ROOT = path.resolve(__dirname, '..');
const runs = Number(process.argv[2] ?? 5);
const only = process.argv.slice(3);

const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);

async function main(): Promise<void> {
  const { labs } = await loadCatalog(path.join(ROOT, 'labs'));
  const dockerLabs = [...labs.values()].filter((l) => l.definition.kind === 'docker' && (only.length === 0 || only.includes(l.definition.id)));
  // the grader's step timings come from its log line "docker attempt done"
  let lastSteps: Record<string, number> = {};
  const log = pino({ level: 'info' }, { write: (line: string) => void (line.includes('docker attempt done') && (lastSteps = (JSON.parse(line) as { stepMs: Record<string, number> }).stepMs)) });
  const grader = createDockerGrader();
  const o = DEFAULT_DOCKER_OPTIONS;
  const env = { ...process.env, DOCKER_HOST: `unix://${o.socketPath}`, DOCKER_BUILDKIT: '0' };
  const figures: Record<string, unknown> = {};
  const loadAverageAtStart = loadavg().map((l) => Math.round(l * 100) / 100);
  for (const lab of dockerLabs) {
    const files = readDir(path.join(lab.dir, 'solution'));
    const { project } = await readSubmission(lab.definition, files, o);
    const built = project.services.filter((s) => s.build);
    const contextDir = mkdtempSync(path.join(tmpdir(), 'kbench-'));
    for (const [rel, data] of files) {
      spawnSync('mkdir', ['-p', path.dirname(path.join(contextDir, rel))]);
      writeFileSync(path.join(contextDir, rel), data);
    }
    const classic = (): number => {
      const started = Date.now();
      for (const s of built) {
        const ctx = path.join(contextDir, s.build!.context);
        const tag = `kbench-classic-${randomUUID().slice(0, 8)}`;
        const hosts = [o.packageMirrorHost, 'deb.debian.org'].flatMap((h) => ['--add-host', `${h}:${mirrorAddress(o)}`]);
        const args = ['build', '-q', '--network', o.buildNetwork, ...hosts, '--memory', String(o.buildMemoryBytes), '--memory-swap', String(o.buildMemoryBytes), '-t', tag, '-f', path.join(ctx, s.build!.dockerfile), ctx];
        const r = spawnSync('docker', args, { env, encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`${lab.definition.id}: classic build failed: ${r.stderr}`);
        spawnSync('docker', ['rmi', '--no-prune', tag], { env });
      }
      return Date.now() - started;
    };
    const grade = async (): Promise<{ totalMs: number; buildMs: number }> => {
      const started = Date.now();
      const results = await grader.grade(lab, { submissionId: `bench-${randomUUID()}`, files }, { signal: new AbortController().signal, log, token: 1 });
      const failed = results.filter((r) => r.status !== 'pass').map((r) => r.checkId);
      if (failed.length > 0) throw new Error(`${lab.definition.id}: the solution failed ${failed.join(', ')}`);
      return { totalMs: Date.now() - started, buildMs: lastSteps.build ?? NaN };
    };
    if (built.length > 0) classic();
    await grade(); // warm-up: layer caches, images, JIT
    const before: number[] = [];
    const after: Array<{ totalMs: number; buildMs: number }> = [];
    for (let i = 0; i < runs; i++) {
      if (built.length > 0) before.push(classic());
      after.push(await grade());
    }
    rmSync(contextDir, { recursive: true, force: true });
    const beforeMs = built.length > 0 ? median(before) : 0;
    const afterMs = median(after.map((a) => a.buildMs));
    figures[lab.definition.id] = {
      runs,
      builds: built.length,
      classicBuildP50Ms: beforeMs,
      buildkitBuildP50Ms: afterMs,
      ratio: built.length > 0 ? Math.round((afterMs / beforeMs) * 100) / 100 : null,
      gradingP50Ms: median(after.map((a) => a.totalMs)),
    };
    console.error(lab.definition.id, JSON.stringify(figures[lab.definition.id]));
  }
  const labFigures = Object.values(figures) as Array<{ builds: number; classicBuildP50Ms: number; buildkitBuildP50Ms: number }>;
  const classicTotal = labFigures.reduce((sum, f) => sum + (f.builds > 0 ? f.classicBuildP50Ms : 0), 0);
  const buildkitTotal = labFigures.reduce((sum, f) => sum + (f.builds > 0 ? f.buildkitBuildP50Ms : 0), 0);
  writeResult('docker-builds', {
    loadAverageAtStart,
    allLabsWithBuilds: { classicBuildP50MsSum: classicTotal, buildkitBuildP50MsSum: buildkitTotal, ratio: Math.round((buildkitTotal / classicTotal) * 100) / 100 },
    setup:
      "each docker lab's solution: 'buildkit' = the grader's build step (kadai's buildkitd: buildctl build on the build network, image pushed to kadai's registry under the attempt's own repository and pulled by the engine, which fetches only the layers it lacks; the repository emptied) from the grader's step timings while grading the solution in-process; 'classic' = the same services built by the engine's classic builder (DOCKER_BUILDKIT=0 docker build, the build network, mirror hosts and memory limit the grader passed before), image removed with --no-prune. Warm caches (one warm-up each), runs alternating; p50 over the runs. ratio = buildkit / classic. gradingP50Ms: the whole grading with BuildKit.",
    labs: figures,
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
