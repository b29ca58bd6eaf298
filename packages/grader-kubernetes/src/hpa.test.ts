import { cpuTarget, replicaCurve, sampleOf, stuckReason, type Hpa } from './hpa';

const hpa = (status: Hpa['status'], metrics?: unknown[]): Hpa => ({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' }, spec: { maxReplicas: 5, metrics } as Hpa['spec'], status });

describe('hpa samples', () => {
  test('a sample reads the CPU utilization, desired replicas and the Deployment', () => {
    const s = sampleOf(1500, hpa({ desiredReplicas: 4, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 180 } } }] }), { apiVersion: 'apps/v1', kind: 'Deployment', spec: { replicas: 4 }, status: { readyReplicas: 2 } });
    expect(s).toEqual({ atMs: 1500, cpuUtilization: 180, desired: 4, replicas: 4, ready: 2 });
  });

  test('no metrics yet: the utilization is unknown', () => {
    expect(sampleOf(0, hpa({}), undefined)).toEqual({ atMs: 0, desired: 0, replicas: 0, ready: 0 });
  });

  test('the curve has one line per change', () => {
    const curve = replicaCurve(
      [
        { atMs: 0, desired: 2, replicas: 2, ready: 2 },
        { atMs: 2000, desired: 2, replicas: 2, ready: 2 },
        { atMs: 4000, cpuUtilization: 190, desired: 4, replicas: 4, ready: 2 },
      ],
      50,
    );
    expect(curve).toEqual(['+0.0s cpu <unknown>/50%, desired 2, replicas 2, ready 2', '+4.0s cpu 190%/50%, desired 4, replicas 4, ready 2']);
  });

  test('the CPU target comes from the Resource metric', () => {
    expect(cpuTarget(hpa({}, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }]))).toBe(50);
    expect(cpuTarget(hpa({}))).toBeUndefined();
  });
});

describe('an HPA that will never scale', () => {
  test('a container without a CPU request', () => {
    const why = stuckReason(hpa({ conditions: [{ type: 'ScalingActive', status: 'False', reason: 'FailedGetResourceMetric', message: 'the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu in container demo-app of Pod demo-app-1' }] }));
    expect(why).toContain('missing request for cpu');
  });

  test('a scale target that does not exist', () => {
    expect(stuckReason(hpa({ conditions: [{ type: 'AbleToScale', status: 'False', reason: 'FailedGetScale', message: 'deployments/scale.apps "demo" not found' }] }))).toContain('not found');
  });

  test('metrics not there yet is not stuck', () => {
    expect(stuckReason(hpa({ conditions: [{ type: 'AbleToScale', status: 'True', reason: 'SucceededGetScale' }, { type: 'ScalingActive', status: 'False', reason: 'FailedGetResourceMetric', message: 'unable to get metrics for resource cpu: no metrics returned from resource metrics API' }] }))).toBeUndefined();
  });
});
