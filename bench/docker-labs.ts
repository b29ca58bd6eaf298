import { checksOf, loadCatalog, type Lab } from '@kadai/catalog';
import { createDockerGrader, DEFAULT_DOCKER_OPTIONS, LAB_CAPABILITIES, mirrorAddress, readSubmission } from '@kadai/grader-docker';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { readDir } from './lib/files';
import { loadAverages, loadedNote, percentile, writeResult } from './lib/result';

/**
 * Grading time of every docker lab's solution through the docker grader (sandbox, limits, labels,
 * cleanup, checks), against the same build, run and probes done by hand with the docker CLI in one
 * shell script generated from the same project and checks. Target: p50 / intrinsic ≤ 1.3.
 * Usage: npx tsx bench/docker-labs.ts [runs per lab, default 5] [lab ids...]
 * With lab ids, their rows are merged into the existing docker-labs.json, each with its own date
 * and load averages; the other rows stay as they were measured.
 */

const ROOT = path.resolve(__dirname, '..');
const runs = Number(process.argv[2] ?? 5);
const only = process.argv.slice(3);
const RESULTS_FILE = path.join(ROOT, 'bench', 'results', 'docker-labs.json');

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The by-hand version of one grading: docker CLI commands only, same limits, same probes. */
async function handScript(lab: Lab, files: Map<string, Buffer>, contextDir: string): Promise<string> {
  const { project } = await readSubmission(lab.definition, files, DEFAULT_DOCKER_OPTIONS);
  const o = DEFAULT_DOCKER_OPTIONS;
  const lines: string[] = [
    'set -u',
    'P=kbench-$$-$RANDOM',
    'net=$P-net',
    'now() { date +%s%3N; }',
    'ip() { docker inspect -f "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}" "$1"; }',
    'cleanup() {',
    '  docker rm -f $(docker ps -aq --filter label=kbench=$P) >/dev/null 2>&1',
    '  docker network rm $net >/dev/null 2>&1',
    '  docker volume rm $(docker volume ls -q --filter label=kbench=$P) >/dev/null 2>&1',
    // the built images; their parent layers stay as the classic builder's cache (the grader's
    // BuildKit keeps its layer cache in buildkitd): warm on both sides
    '  docker rmi --no-prune $(docker images -q --filter label=kbench=$P) >/dev/null 2>&1',
    '}',
    'trap cleanup EXIT',
    // retry TRIES SLEEP 'command': until it succeeds, or the script fails (the probes must really pass)
    'retry() { local n=0; until eval "$3"; do n=$((n+1)); [ $n -ge $1 ] && { echo "gave up: $3" >&2; exit 1; }; sleep $2; done; }',
  ];
  // the same way out as the grader's builds: the package mirror under its two names
  const mirrorHosts = [o.packageMirrorHost, 'deb.debian.org'].map((h) => `--add-host ${h}:${mirrorAddress(o)}`).join(' ');
  const c = (service: string) => `$P-${service}`;
  const tag = (service: string) => `$P-${service.toLowerCase()}`; // $P is lower-case already
  for (const s of project.services) {
    if (!s.build) continue;
    const ctx = path.join(contextDir, s.build.context);
    lines.push(`DOCKER_BUILDKIT=0 docker build -q --network ${o.buildNetwork || 'default'} ${mirrorHosts} --label kbench=$P --memory ${o.buildMemoryBytes} --memory-swap ${o.buildMemoryBytes} --cpu-period 100000 --cpu-quota ${Math.round(o.buildCpus * 100_000)} -t ${tag(s.name)} -f ${q(path.join(ctx, s.build.dockerfile))} ${q(ctx)} >/dev/null`);
  }
  // a kd-… bridge, as the grader's: kadai's engine has no iptables rules of Docker's, its firewall lets containers talk on kd-* bridges
  lines.push('docker network create --internal --label kbench=$P -o com.docker.network.bridge.name=kd-bench$RANDOM $net >/dev/null');
  for (const v of project.volumes) lines.push(`docker volume create --label kbench=$P $P-${v} >/dev/null`);
  const order = [...project.services].sort((a, b) => (a.dependsOn.includes(b.name) ? 1 : b.dependsOn.includes(a.name) ? -1 : 0));
  for (const s of order) {
    const image = s.build ? tag(s.name) : q(s.image!);
    const flags = [
      `--name ${c(s.name)}`, '--label kbench=$P', '--network $net', `--network-alias ${s.name}`,
      `--memory ${o.memoryBytes} --memory-swap ${o.memoryBytes} --cpus ${o.cpus} --pids-limit ${o.pidsLimit}`,
      '--security-opt no-new-privileges', `--log-opt max-size=${o.logMaxBytes} --log-opt max-file=1`,
      `--cap-drop ALL ${LAB_CAPABILITIES.map((cap) => `--cap-add ${cap}`).join(' ')}`,
      // kadai's engine has simple btrfs quotas: a container's size limit is what it writes (disk.ts)
      `--storage-opt size=${o.diskBytes}`,
      s.restart !== 'no' ? `--restart ${s.restart}` : '',
      ...Object.entries(s.env).map(([k, v]) => `-e ${q(`${k}=${v}`)}`),
      ...s.volumes.map((v) => `-v $P-${v.volume}:${v.target}${v.readOnly ? ':ro' : ''}`),
      s.entrypoint ? `--entrypoint ${q(s.entrypoint[0]!)}` : '',
      s.workingDir ? `-w ${q(s.workingDir)}` : '',
    ].filter(Boolean);
    lines.push(`docker run -d ${flags.join(' ')} ${image} ${(s.command ?? []).map(q).join(' ')} >/dev/null`, `started_${s.name.replace(/\W/g, '_')}=$(now)`);
  }
  const first = project.services[0]!.name;
  for (const check of checksOf(lab.definition) as Array<{ type: string }>) {
    const spec = check as Record<string, unknown>;
    const svc = (spec.service as string | undefined) ?? first;
    const name = c(svc);
    const declared = project.services.find((s) => s.name === svc);
    const port = (spec.hostPort ? declared?.ports.find((p) => p.host === spec.hostPort)?.container : undefined) ?? (spec.port as number | undefined) ?? declared?.ports[0]?.container ?? 80;
    const path_ = (spec.path as string | undefined) ?? '/';
    const grep = spec.bodyContains ? `grep -qF ${q(spec.bodyContains as string)}` : spec.bodyMatches ? `grep -qP ${q(spec.bodyMatches as string)}` : 'true';
    switch (check.type) {
      case 'build':
        break;
      case 'image': {
        const image = declared?.build ? tag(svc) : declared?.image ?? '';
        lines.push(`docker image inspect ${image} >/dev/null`);
        const paths = [...((spec.absentPaths as string[] | undefined) ?? []), ...((spec.presentPaths as string[] | undefined) ?? [])];
        if (paths.length > 0) {
          lines.push(`pc=$(docker create --label kbench=$P --network none --entrypoint /nonexistent ${image})`);
          for (const p of paths) lines.push(`docker cp $pc:${p} - 2>/dev/null | head -c 1 >/dev/null`);
          lines.push('docker rm -f $pc >/dev/null');
        }
        break;
      }
      case 'container':
        if (spec.running !== false) lines.push(`w=$(( started_${svc.replace(/\W/g, '_')} + 2000 - $(now) )); [ $w -gt 0 ] && sleep $(awk "BEGIN{print $w/1000}")`);
        lines.push(`docker inspect -f '{{.State.Status}} {{.HostConfig.RestartPolicy.Name}}' ${name} >/dev/null`);
        break;
      case 'http':
        lines.push(`retry 40 0.5 ${q(`curl -s -m 5 http://$(ip ${name}):${port}${path_} | ${grep}`)}`);
        break;
      case 'logs': {
        const what = spec.contains ? `grep -qF -- ${q(spec.contains as string)}` : `grep -qP -- ${q(spec.matches as string)}`;
        lines.push(`retry 20 0.5 ${q(`docker logs --tail 500 ${name} 2>&1 | ${what}`)}`);
        break;
      }
      case 'reach':
        lines.push(`docker run --rm --label kbench=$P --network $net --memory 32m busybox:1.36 sh -c ${q(`echo | nc -w 2 ${spec.to as string} ${spec.port as number}`)} >/dev/null 2>&1 || exit 1`);
        break;
      case 'start-order':
        lines.push(`docker inspect -f '{{.State.StartedAt}}' ${name} ${((spec.after as string[]) ?? []).map(c).join(' ')} >/dev/null`);
        break;
      case 'restart':
        lines.push(
          `retry 30 0.5 ${q(`curl -sf -m 5 http://$(ip ${name}):${port}${path_} >/dev/null`)}`,
          `rc=$(docker inspect -f '{{.RestartCount}}' ${name}); kill -9 $(docker inspect -f '{{.State.Pid}}' ${name})`,
          `retry 100 0.3 ${q(`[ "$(docker inspect -f '{{.RestartCount}} {{.State.Running}}' ${name})" = "$((rc+1)) true" ]`)}`,
          `retry 60 0.5 ${q(`curl -sf -m 5 http://$(ip ${name}):${port}${path_} >/dev/null`)}`,
        );
        break;
    }
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const { labs } = await loadCatalog(path.join(ROOT, 'labs'));
  const dockerLabs = [...labs.values()].filter((l) => l.definition.kind === 'docker' && (only.length === 0 || only.includes(l.definition.id)));
  const grader = createDockerGrader();
  // where the grader's time goes: its step timings (prepare, build, start, checks, cleanup) from its log line
  let lastSteps: Record<string, number> = {};
  const log = pino({ level: 'info' }, { write: (line: string) => void (line.includes('docker attempt done') && (lastSteps = (JSON.parse(line) as { stepMs: Record<string, number> }).stepMs)) });
  const loadAverageAtStart = loadAverages();
  const figures: Record<string, unknown> = {};
  for (const lab of dockerLabs) {
    const dir = path.join(lab.dir, 'solution');
    const files = readDir(dir);
    const grade = async () => {
      const started = performance.now();
      const results = await grader.grade(lab, { submissionId: `bench-${randomUUID()}`, files }, { signal: new AbortController().signal, log, token: 1 });
      const failed = results.filter((r) => r.status !== 'pass').map((r) => r.checkId);
      if (failed.length > 0) throw new Error(`${lab.definition.id}: the solution failed ${failed.join(', ')}`);
      return performance.now() - started;
    };
    const labStartLoad = loadAverages();
    const scriptDir = mkdtempSync(path.join(tmpdir(), 'kadai-bench-'));
    const scriptFile = path.join(scriptDir, 'by-hand.sh');
    writeFileSync(scriptFile, await handScript(lab, files, dir));
    const byHand = () => {
      const started = performance.now();
      const r = spawnSync('bash', [scriptFile], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, DOCKER_HOST: `unix://${grader.options.socketPath}` } });
      if (r.status !== 0) throw new Error(`${lab.definition.id}: the by-hand script failed: ${r.stderr.toString()}`);
      return performance.now() - started;
    };
    await grade(); // warm-up: Docker's layer cache, images, JIT
    byHand();
    const graded: number[] = [];
    const hand: number[] = [];
    const steps: Array<Record<string, number>> = [];
    for (let i = 0; i < runs; i++) {
      graded.push(await grade());
      steps.push(lastSteps);
      hand.push(byHand());
    }
    rmSync(scriptDir, { recursive: true, force: true });
    graded.sort((a, b) => a - b);
    hand.sort((a, b) => a - b);
    const p50 = percentile(graded, 50);
    const intrinsic = percentile(hand, 50);
    figures[lab.definition.id] = {
      runs,
      p50Ms: Math.round(p50),
      p95Ms: Math.round(percentile(graded, 95)),
      intrinsicMs: Math.round(intrinsic),
      overheadRatio: Math.round((p50 / intrinsic) * 100) / 100,
      graderStepsP50Ms: Object.fromEntries(Object.keys(steps[0] ?? {}).map((k) => [k, Math.round(percentile(steps.map((st) => st[k] ?? 0).sort((a, b) => a - b), 50))])),
      ...(only.length > 0 ? { measuredAt: new Date().toISOString(), loadAverageAtStart: labStartLoad, loadAverageAtEnd: loadAverages(), ...loadedNote([...labStartLoad, ...loadAverages()]) } : {}),
    };
    console.error(lab.definition.id, figures[lab.definition.id]);
  }
  // some labs measured again: their rows replace theirs, the others stay with the run they came from
  const earlier = only.length > 0 ? (JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as { labs: Record<string, unknown>; date: string; rowsWithoutDateFrom?: string; loadAverageAtStart: number[]; note?: string }) : undefined;
  const rows = { ...earlier?.labs, ...figures };
  const ratios = Object.values(rows).map((f) => (f as { overheadRatio: number }).overheadRatio);
  writeResult('docker-labs', {
    loadAverageAtStart: earlier ? earlier.loadAverageAtStart : loadAverageAtStart,
    ...(earlier ? { rowsWithoutDateFrom: earlier.rowsWithoutDateFrom ?? earlier.date, rowsMeasuredLater: 'rows with measuredAt were measured later, at their own load average' } : {}),
    target: { overheadRatio: 1.3 },
    maxOverheadRatio: Math.max(...ratios),
    setup:
      "each lab's solution graded by the docker grader in-process on kadai's engine (limits re-checked before the attempt; build on kadai's buildkitd in the attempt's pids cgroup with its watch, pushed to kadai's registry under the attempt's own repository, pulled by the engine (only the new layers), the repository emptied; sandbox network; containers with memory/CPU/pids/disk limits and dropped capabilities; every check; cleanup), runs alternating with a bash script doing the same build (the engine's classic builder, same memory/CPU limits, same network and mirror), run (same limits, capabilities, storage-opt size), probes and cleanup by hand with the docker CLI (generated from the same project and checks). Layer caches warm on both sides (buildkitd's for the grader, the engine's for the script). p50/p95 over the runs; intrinsicMs is the script's median.",
    labs: rows,
    ...(earlier?.note ? { note: earlier.note } : {}),
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
