import { InfrastructureError } from '@kadai/errors';
import type { CapabilityStatus } from '@kadai/k8s-sandbox';
import { execFile } from 'node:child_process';

/**
 * The node's container runtime, for what the Kubernetes API cannot do: kill a container's PID 1 the
 * way a crash would (`killContainer`). It is reached through its CRI socket with crictl, so only a
 * worker on the node (the local cluster: unix:///run/kadai-cluster/containerd.sock) has it; elsewhere
 * the capability is unavailable (a node agent would be needed) and labs that require it are too.
 */
export interface NodeRuntime {
  /** CRI endpoint, e.g. unix:///run/kadai-cluster/containerd.sock. */
  endpoint: string;
  /** The crictl binary. */
  crictl: string;
}

const CRICTL_TIMEOUT_MS = 15_000;

function crictl(runtime: NodeRuntime, args: string[], signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      runtime.crictl,
      ['--runtime-endpoint', runtime.endpoint, '--timeout', '10s', ...args],
      { timeout: CRICTL_TIMEOUT_MS, maxBuffer: 4 << 20, ...(signal ? { signal } : {}) },
      (err, stdout, stderr) => {
        // crictl warns on stderr about its missing config file even when all went well
        if (err) reject(new Error(`crictl ${args.join(' ')}: ${(stderr.trim().split('\n').filter((l) => !/crictl\.yaml/.test(l)).join(' ') || err.message).slice(0, 500)}`));
        else resolve(stdout);
      },
    );
  });
}

/** Start-up probe of the `killContainer` capability: the runtime answers on its endpoint. */
export async function probeNodeRuntime(runtime: NodeRuntime | undefined): Promise<CapabilityStatus> {
  if (!runtime) return { available: false, reason: 'no node runtime endpoint is configured (KADAI_NODE_RUNTIME_ENDPOINT): kadai cannot kill a container on this cluster' };
  try {
    const version = await crictl(runtime, ['version']);
    const name = /RuntimeName:\s*(\S+)/.exec(version)?.[1] ?? '?';
    const release = /RuntimeVersion:\s*(\S+)/.exec(version)?.[1] ?? '?';
    return { available: true, reason: `${name} ${release} at ${runtime.endpoint}` };
  } catch (err) {
    return { available: false, reason: `the node runtime at ${runtime.endpoint} does not answer: ${(err as Error).message}` };
  }
}

/** `containerd://<id>` (a Pod's containerStatuses[].containerID) → `<id>`. */
export function runtimeContainerId(containerID: string): string {
  const id = /^[a-z0-9-]+:\/\/([0-9a-f]{12,})$/.exec(containerID)?.[1];
  if (!id) throw new Error(`not a container ID kadai can use: "${containerID}"`);
  return id;
}

/**
 * Kills the container's main process at once (SIGKILL: CRI StopContainer with no grace), as a crash
 * or the OOM killer would; the kubelet then sees it exit (137) and restarts it — or not — as the Pod's
 * restartPolicy says. A failure is kadai's (the runtime or its socket), never the student's.
 */
export async function killContainer(runtime: NodeRuntime, containerID: string, signal?: AbortSignal): Promise<void> {
  const id = runtimeContainerId(containerID);
  try {
    await crictl(runtime, ['stop', '--timeout', '0', id], signal);
  } catch (err) {
    throw new InfrastructureError(`killing container ${id.slice(0, 12)} through the node runtime: ${(err as Error).message}`, true, { cause: err });
  }
}
