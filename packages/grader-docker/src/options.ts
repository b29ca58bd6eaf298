import { binaryPath } from '@kadai/reference-parsers';
import type { BuildkitEndpoint } from './buildkit/buildctl';

/** How the docker grader reaches the engine and what it allows one attempt; the worker passes these in from its config. */
export interface DockerGraderOptions {
  /** The Docker engine's socket (dockerode talks to it; no TCP). */
  socketPath: string;
  /** Memory per running container (bytes); swap is not allowed on top. */
  memoryBytes: number;
  /** CPUs per running container (1 = one core). */
  cpus: number;
  /** Processes per running container. */
  pidsLimit: number;
  /** Memory for each build step's container (bytes). */
  buildMemoryBytes: number;
  /** CPUs for each build step's container. */
  buildCpus: number;
  /**
   * kadai's BuildKit daemon (infra/buildkit/up), which runs every build, the buildctl client built
   * with it, and its state directory (whose free space decides whether a failed build was kadai's disk).
   */
  buildkit: BuildkitEndpoint & { stateDir: string };
  /** Processes of one attempt's build containers together (its own pids cgroup; always on). */
  buildPidsLimit: number;
  /** Where attempts' build cgroups go: `/<buildCgroupParent>/<attempt>` (an absolute cgroup parent). */
  buildCgroupParent: string;
  /** Where the cgroup filesystem is mounted (v1 hierarchies or the v2 tree). */
  cgroupRoot: string;
  /** What one container may write on top of its image (its writable layer; each build step's too), bytes. */
  diskBytes: number;
  /** Below this much free space on the engine's disk, attempts wait (an infrastructure error, retried). */
  engineMinFreeBytes: number;
  /** The network builds run on (created if missing, bridge kd-builds); '' = Docker's default bridge (no egress rules: tests only). */
  buildNetwork: string;
  /** The build network's IPv4 subnet; its first address is the gateway, where the package mirror listens. */
  buildSubnet: string;
  /**
   * kadai's package mirror, the build network's only way out: builds resolve `packageMirrorHost` (and
   * deb.debian.org, the stand-ins' apt source) to it and reach it on `packageMirrorPort`; the grader
   * asks `packageMirrorStatusUrl` (on the host) whether it failed upstream while a build ran. '' for
   * the URL: no mirror, builds have no egress at all.
   */
  packageMirrorHost: string;
  /** Where on the build network the mirror listens; '' = the bridge's gateway (tests run a second mirror beside it). */
  packageMirrorAddress: string;
  packageMirrorPort: number;
  packageMirrorStatusUrl: string;
  /** kadai's registry: the only source of the images a Dockerfile builds FROM; '' = only images already on the engine. */
  imageRegistry: string;
  /**
   * Where built images pass from buildkitd to the engine (buildkit/transfer.ts): a registry both
   * reach, normally kadai's registry (`imageRegistry`), whose base layers are then never sent again.
   */
  transferRegistry: string;
  /**
   * Largest image an attempt may use: compressed layers fetched for a build's FROM, layers a pull
   * announces, and the size of an image the attempt builds.
   */
  maxImageBytes: number;
  /** At most this long for all builds of one attempt together (the lab's time limit bounds it further). */
  buildTimeoutMs: number;
  /** At most this long for starting the attempt's containers and running its checks (the lab's time limit bounds it further). */
  runTimeoutMs: number;
  /**
   * Registries kadai itself serves images from besides the engine's mirrors (URLs, e.g.
   * `http://registry.internal:5000`): a pull from them that fails while they are down is kadai's
   * failure. Images from any other registry are the student's choice.
   */
  ownRegistries: string[];
  /** The reaper removes attempt resources older than this (what a crashed worker left behind). */
  reapAfterMs: number;
  /** How often the worker runs the reaper. */
  reapIntervalMs: number;
  /** Log size kept per container by the engine (json-file max-size, one file). */
  logMaxBytes: number;
  /** Host ports kadai assigns for probes (a TCP proxy from 127.0.0.1:<port> to the container). */
  portRange: { from: number; to: number };
  /** The reference-parsers helper (compose-go, BuildKit's Dockerfile parser); one long-lived process per Node process. */
  parsersBin: string;
  /**
   * `# syntax=` values a Dockerfile may name besides Dockerfile syntax 1 (`docker/dockerfile:1…`,
   * built into kadai's buildkitd). buildkitd never pulls a frontend (its gateway frontend is off),
   * so another value is refused. Default: none.
   */
  dockerfileFrontends: string[];
  /** Most services (Compose services or docker run lines) one submission may start. */
  maxServices: number;
  /** Image used for reachability probes on the attempt's network. */
  helperImage: string;
  /**
   * Drop what attempt networks send to the host itself (iptables INPUT rules on the kd-* bridges;
   * needs root), and close the build network except for the package mirror (build-egress.ts; iptables
   * and ip6tables). Without it containers could reach services the host listens on. Keep it on.
   */
  isolateFromHost: boolean;
}

/**
 * The BuildKit release infra/buildkit builds: the version infra/buildkit/module/go.mod requires
 * (a unit test keeps them equal) with kadai's patches (BUILDKIT_RELEASE in infra/buildkit/buildkit.sh).
 */
export const BUILDKIT_RELEASE = 'v0.34.2-kadai.2';

/** The socket of kadai's own engine (infra/docker/up); kadai never grades on the machine's own Docker. */
export const KADAI_ENGINE_SOCKET = '/run/kadai/docker.sock';

export const DEFAULT_DOCKER_OPTIONS: Readonly<DockerGraderOptions> = Object.freeze({
  socketPath: KADAI_ENGINE_SOCKET,
  memoryBytes: 256 * 1024 * 1024,
  cpus: 0.5,
  pidsLimit: 128,
  buildMemoryBytes: 1024 * 1024 * 1024,
  buildCpus: 1,
  buildkit: {
    address: 'unix:///run/kadai/buildkit/buildkitd.sock',
    buildctl: `/var/cache/kadai/buildkit-${BUILDKIT_RELEASE}/bin/buildctl`,
    stateDir: '/var/lib/kadai/buildkit',
  },
  buildPidsLimit: 1024,
  buildCgroupParent: 'kadai-build',
  cgroupRoot: '/sys/fs/cgroup',
  diskBytes: 1024 * 1024 * 1024,
  engineMinFreeBytes: 2048 * 1024 * 1024,
  buildNetwork: 'kadai-builds',
  buildSubnet: '10.203.0.0/24',
  packageMirrorHost: 'packages.kadai.internal',
  packageMirrorAddress: '',
  packageMirrorPort: 80,
  packageMirrorStatusUrl: 'http://127.0.0.1:5080',
  imageRegistry: 'http://127.0.0.1:5000',
  transferRegistry: 'http://127.0.0.1:5000',
  maxImageBytes: 2 * 1024 * 1024 * 1024,
  buildTimeoutMs: 240_000,
  runTimeoutMs: 90_000,
  ownRegistries: [],
  reapAfterMs: 30 * 60_000,
  reapIntervalMs: 5 * 60_000,
  logMaxBytes: 1024 * 1024,
  portRange: { from: 61000, to: 61999 }, // above Linux's ephemeral range (32768-60999): never a port the OS hands out
  parsersBin: binaryPath(),
  dockerfileFrontends: [],
  maxServices: 8,
  helperImage: 'busybox:1.36',
  isolateFromHost: true,
});

/**
 * What a lab's container may do as root beyond an unprivileged process: start as root and drop to a
 * service user (SETUID, SETGID, CHOWN of its data and run directories — nginx, redis), read files
 * regardless of owner and mode bits (DAC_OVERRIDE, FOWNER), signal its workers (KILL) and bind ports
 * below 1024 (NET_BIND_SERVICE). Everything else Docker grants by default is dropped: raw sockets
 * (spoofing on the attempt network), device nodes, file capabilities, chroot, audit writes.
 */
export const LAB_CAPABILITIES = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETUID', 'SETGID', 'KILL', 'NET_BIND_SERVICE'];
