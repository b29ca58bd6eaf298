import { execFile, spawn } from 'node:child_process';

/** Where kadai's BuildKit daemon is (infra/buildkit/up) and the client that talks to it. */
export interface BuildkitEndpoint {
  /** buildkitd's gRPC address (`unix:///run/kadai/buildkit/buildkitd.sock`). */
  address: string;
  /** The buildctl binary built with it (`/var/cache/kadai/buildkit-<version>/bin/buildctl`). */
  buildctl: string;
}

export interface BuildctlBuild {
  /** A directory holding the build context (the Dockerfile inside it). */
  contextDir: string;
  /** The Dockerfile's path in the context. */
  dockerfile: string;
  /** Where buildkitd pushes the image (a transfer.ts reference in kadai's registry); '' exports nothing (a probe). */
  push: string;
  args: Record<string, string>;
  target?: string;
  labels: Record<string, string>;
  /** `name=address` entries for the build containers' /etc/hosts. */
  addHosts: string[];
  /** Prefix of every `RUN --mount=type=cache` id: one attempt's caches are never another's. */
  cacheNamespace: string;
  /** The cgroup parent of the RUN steps' containers (absolute), '' for buildkitd's default. */
  cgroupParent: string;
  /** Memory (no swap on top) and CPUs of each RUN step, as the classic builder's --memory / --cpu-quota. */
  memoryBytes: number;
  cpus: number;
  /** The largest file a RUN step may write (RLIMIT_FSIZE). */
  maxFileBytes: number;
  /** A source policy file (source-policy.ts). */
  sourcePolicyFile: string;
}

/**
 * The command line of one build with BuildKit's built-in Dockerfile frontend. `cmdline` (set,
 * empty) makes that frontend build the file itself instead of forwarding to the frontend image a
 * `# syntax=` line names (the frontend only forwards when the request has no cmdline); no
 * `--secret`/`--ssh` is ever given, so `RUN --mount=type=secret` finds nothing and
 * `--mount=type=ssh` fails as on a student's `docker build` without them. The image is pushed to
 * kadai's registry (plain HTTP, Docker media types, which the engine's dockerd 20.10 pulls), from
 * where the engine pulls only the layers it lacks (transfer.ts).
 */
export function buildctlArgs(endpoint: BuildkitEndpoint, b: BuildctlBuild): string[] {
  const opt = (key: string, value: string) => ['--opt', `${key}=${value}`];
  return [
    '--addr',
    endpoint.address,
    'build',
    '--progress=plain',
    '--frontend=dockerfile.v0',
    '--local',
    `context=${b.contextDir}`,
    '--local',
    `dockerfile=${b.contextDir}`,
    ...opt('filename', b.dockerfile),
    ...opt('cmdline', ''),
    ...opt('platform', 'linux/amd64'),
    ...opt('build-arg:BUILDKIT_CACHE_MOUNT_NS', b.cacheNamespace),
    ...(b.addHosts.length > 0 ? opt('add-hosts', b.addHosts.join(',')) : []),
    ...(b.cgroupParent ? opt('cgroup-parent', b.cgroupParent) : []),
    ...opt('memory', String(b.memoryBytes)),
    ...opt('memswap', String(b.memoryBytes)),
    ...opt('cpuperiod', '100000'),
    ...opt('cpuquota', String(Math.round(b.cpus * 100_000))),
    ...opt('ulimit', `fsize=${b.maxFileBytes}:${b.maxFileBytes}`),
    ...(b.target ? opt('target', b.target) : []),
    ...Object.entries(b.args).flatMap(([k, v]) => opt(`build-arg:${k}`, v)),
    ...Object.entries(b.labels).flatMap(([k, v]) => opt(`label:${k}`, v)),
    '--source-policy-file',
    b.sourcePolicyFile,
    ...(b.push ? ['--output', `type=image,name=${b.push},push=true,registry.insecure=true,oci-mediatypes=false`] : []),
  ];
}

export interface BuildctlResult {
  exitCode: number | null;
  /** What buildctl said last: `error: failed to solve: …` when the build failed. */
  error?: string;
}

/** The last `error: …` line buildctl printed (its whole message, BuildKit's cause included). */
export function buildctlError(output: string): string | undefined {
  const lines = output.trimEnd().split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^(?:error|ERROR): (.*)$/.exec(lines[i]!);
    if (m) return m[1]!.trim();
  }
  return undefined;
}

/**
 * Runs one build: the progress (plain text) goes to `onLog`. Aborting the signal stops buildctl,
 * and buildkitd cancels the build with its session, killing its RUN steps' processes.
 */
export function runBuildctl(endpoint: BuildkitEndpoint, b: BuildctlBuild, onLog: (text: string) => void, signal: AbortSignal): Promise<BuildctlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(endpoint.buildctl, buildctlArgs(endpoint, b), { stdio: ['ignore', 'ignore', 'pipe'] });
    let output = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      output = (output + text).slice(-64 * 1024);
      onLog(text);
    });
    const stop = () => {
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
    };
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    child.once('error', (error) => {
      signal.removeEventListener('abort', stop);
      reject(error);
    });
    child.once('close', (exitCode) => {
      signal.removeEventListener('abort', stop);
      const error = exitCode === 0 ? undefined : (buildctlError(output) ?? `buildctl exited with ${exitCode ?? 'a signal'}`);
      resolve({ exitCode, ...(error ? { error } : {}) });
    });
  });
}

function buildctl(endpoint: BuildkitEndpoint, args: string[], timeoutMs: number): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile(endpoint.buildctl, ['--addr', endpoint.address, ...args], { timeout: timeoutMs }, (error, stdout, stderr) => resolve({ ok: !error, output: `${String(stdout)}${String(stderr)}`.trim() }));
  });
}

/** Why buildkitd is not usable (undefined when it answers). */
export async function buildkitProblem(endpoint: BuildkitEndpoint): Promise<string | undefined> {
  const workers = await buildctl(endpoint, ['debug', 'workers'], 15_000);
  return workers.ok ? undefined : `buildkitd (${endpoint.address}) does not answer: ${workers.output.split('\n').pop() ?? ''}`;
}

/**
 * Removes the `RUN --mount=type=cache` caches of one namespace (one attempt's builds). Cache mounts
 * are the only build state BuildKit keeps apart per attempt; its layer cache is shared, as the
 * engine's was.
 */
export async function pruneCacheMounts(endpoint: BuildkitEndpoint, namespace: string): Promise<string | undefined> {
  const pruned = await buildctl(endpoint, ['prune', '--filter', `type==exec.cachemount,description~="id \\"${namespace}/"`], 60_000);
  return pruned.ok ? undefined : pruned.output;
}
