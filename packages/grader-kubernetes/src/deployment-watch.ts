import { Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { DeploymentShape } from './rollout';

export interface DeploymentSample {
  /** ms since the watch started. */
  atMs: number;
  generation: number;
  observedGeneration: number;
  replicas: number;
  updated: number;
  ready: number;
  available: number;
}

/**
 * Every status a Deployment goes through, from a watch (polling would miss a short dip of ready
 * replicas between two looks). A watch the API server ends early is opened again.
 */
export class DeploymentWatch {
  readonly samples: DeploymentSample[] = [];
  latest?: KubernetesObject & DeploymentShape;
  private controller?: AbortController;
  private stopped = false;
  private readonly started = Date.now();
  private failure?: unknown;

  constructor(
    private readonly kc: KubeConfig,
    private readonly namespace: string,
    private readonly name: string,
  ) {}

  async start(): Promise<void> {
    this.controller = await new Watch(this.kc).watch(
      `/apis/apps/v1/namespaces/${this.namespace}/deployments`,
      { fieldSelector: `metadata.name=${this.name}` },
      (type: string, object: KubernetesObject & DeploymentShape) => {
        if (type === 'ADDED' || type === 'MODIFIED') this.record(object);
      },
      (err: unknown) => {
        if (this.stopped) return;
        if (err) this.failure = err;
        // ended by the server (timeout) or a hiccup: watch again, the first event is the current state
        this.start().catch((e: unknown) => {
          this.failure = e;
        });
      },
    );
  }

  private record(d: KubernetesObject & DeploymentShape): void {
    this.latest = d;
    const s = d.status ?? {};
    this.samples.push({
      atMs: Date.now() - this.started,
      generation: d.metadata?.generation ?? 0,
      observedGeneration: s.observedGeneration ?? 0,
      replicas: s.replicas ?? 0,
      updated: s.updatedReplicas ?? 0,
      ready: s.readyReplicas ?? 0,
      available: s.availableReplicas ?? 0,
    });
  }

  /** Why the watch could not be kept open (undefined while it is fine). */
  get error(): unknown {
    return this.failure;
  }

  stop(): void {
    this.stopped = true;
    this.controller?.abort();
  }
}

/** The samples as a short timeline: one line per change. */
export function timeline(samples: readonly DeploymentSample[]): string[] {
  const out: string[] = [];
  let previous = '';
  for (const s of samples) {
    const state = `generation ${s.observedGeneration}/${s.generation}, replicas ${s.replicas}, updated ${s.updated}, ready ${s.ready}, available ${s.available}`;
    if (state !== previous) out.push(`+${(s.atMs / 1000).toFixed(1)}s ${state}`);
    previous = state;
  }
  return out;
}
