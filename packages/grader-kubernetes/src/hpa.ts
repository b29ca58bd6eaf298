import type { KubernetesObject } from '@kubernetes/client-node';

/**
 * What an HorizontalPodAutoscaler (autoscaling/v2) and its Deployment show while kadai loads them,
 * as one sample per look, and the states that will not change by waiting. Pure.
 */
export interface HpaShape {
  spec?: { scaleTargetRef?: { apiVersion?: string; kind?: string; name?: string }; minReplicas?: number; maxReplicas?: number };
  status?: {
    currentReplicas?: number;
    desiredReplicas?: number;
    currentMetrics?: { type?: string; resource?: { name?: string; current?: { averageUtilization?: number } } }[];
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

export interface ScaleSample {
  /** ms since the load started. */
  atMs: number;
  /** The CPU utilization the HPA last computed (percent of the request), when it has one. */
  cpuUtilization?: number;
  desired: number;
  /** The Deployment's spec.replicas (what the HPA set) and ready replicas. */
  replicas: number;
  ready: number;
}

export type Hpa = KubernetesObject & HpaShape;
export type ScaledDeployment = KubernetesObject & { spec?: { replicas?: number }; status?: { readyReplicas?: number } };

export function sampleOf(atMs: number, hpa: Hpa | undefined, deployment: ScaledDeployment | undefined): ScaleSample {
  const cpu = hpa?.status?.currentMetrics?.find((m) => m.type === 'Resource' && m.resource?.name === 'cpu')?.resource?.current?.averageUtilization;
  return {
    atMs,
    ...(cpu === undefined ? {} : { cpuUtilization: cpu }),
    desired: hpa?.status?.desiredReplicas ?? 0,
    replicas: deployment?.spec?.replicas ?? 0,
    ready: deployment?.status?.readyReplicas ?? 0,
  };
}

/** The replica curve: one line per change. */
export function replicaCurve(samples: readonly ScaleSample[], target?: number): string[] {
  const out: string[] = [];
  let previous = '';
  for (const s of samples) {
    const cpu = s.cpuUtilization === undefined ? 'cpu <unknown>' : `cpu ${s.cpuUtilization}%`;
    const state = `${cpu}${target === undefined ? '' : `/${target}%`}, desired ${s.desired}, replicas ${s.replicas}, ready ${s.ready}`;
    if (state !== previous) out.push(`+${(s.atMs / 1000).toFixed(1)}s ${state}`);
    previous = state;
  }
  return out;
}

/** The utilization target of the HPA's CPU metric, when it has one. */
export function cpuTarget(hpa: Hpa): number | undefined {
  const spec = hpa.spec as { metrics?: { type?: string; resource?: { name?: string; target?: { averageUtilization?: number } } }[] } | undefined;
  return spec?.metrics?.find((m) => m.type === 'Resource' && m.resource?.name === 'cpu')?.resource?.target?.averageUtilization;
}

/**
 * Why this HPA will never scale whatever the load (a mistake of the submission), or undefined while
 * it may still: no CPU request to compute a utilization from, or a scale target that does not exist.
 * The first looks before metrics arrive also report FailedGetResourceMetric ("no metrics returned"):
 * that passes, so only these reasons end the wait.
 */
export function stuckReason(hpa: Hpa): string | undefined {
  for (const c of hpa.status?.conditions ?? []) {
    if (c.status !== 'False') continue;
    if (c.type === 'AbleToScale' && c.reason === 'FailedGetScale') return `${c.type}=False ${c.reason}: ${c.message ?? ''}`;
    if (c.type === 'ScalingActive' && /missing request for/.test(c.message ?? '')) return `${c.type}=False ${c.reason ?? ''}: ${c.message ?? ''}`;
  }
  return undefined;
}

/** The HPA's conditions as evidence lines. */
export const conditionLines = (hpa: Hpa | undefined): string[] => (hpa?.status?.conditions ?? []).map((c) => `${c.type}=${c.status} ${c.reason ?? ''}: ${c.message ?? ''}`);
