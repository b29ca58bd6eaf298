import { EXEC_EVERY_SECONDS, pollLines, q } from './k8s-script-shell';

/**
 * The kubectl equivalent of an `http` check (packages/grader-kubernetes/src/steps/http.ts,
 * probe/target.ts): a busybox Pod in the run's namespace (made on first use, as kadai's probe Pod),
 * the target resolved from the objects every round as kadai does, then one `kubectl exec` per round
 * running busybox's wget `requests` times; rounds every second until every answer has the status
 * (and body) expected and, with `distinctBodies`, enough Pods answered.
 */

type Port = number | string;
export interface HttpCheckFields {
  id: string;
  target?: { service?: string; port?: Port; via?: string; ingress?: { host?: string }; pod?: Record<string, string>; podDns?: { pod: string; service: string } };
  path?: string;
  expectStatus?: number;
  bodyContains?: string;
  bodyMatches?: string;
  requests?: number;
  distinctBodies?: { min: number };
}

const PROBE = 'kbench-probe';

/** The Service port's number for a port given by number or name (kadai resolves names from the Service). */
const servicePort = (service: string, port: Port): string =>
  typeof port === 'number' ? String(port) : `$(k -n $NS get service ${service} -o jsonpath=${q(`{.spec.ports[?(@.name=="${port}")].port}`)})`;

/** `A` (host[:port] to request, empty while there is none yet) and `H` (the Host header, or empty), from the live objects. */
function addressLines(target: NonNullable<HttpCheckFields['target']>): string {
  if (target.podDns) return `A=${target.podDns.pod}.${target.podDns.service}.$NS.svc.cluster.local:${target.port}; H=`;
  if (target.pod) {
    const labels = Object.entries(target.pod).map(([k, v]) => `${k}=${v}`).join(',');
    const ready = `k -n $NS get pod -l ${q(labels)} --sort-by=.metadata.name -o jsonpath=${q('{range .items[*]}{.status.podIP}|{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}')} | awk -F'|' '$1!="" && $2=="True" {print $1; exit}'`;
    return `A=$(${ready}); A=\${A:+$A:${target.port}}; H=`;
  }
  if (target.ingress) {
    // the ingress controller's address the Ingress with a rule for the host publishes; Host: that host (kadai's is made unique per attempt, the script's namespace has the course's)
    const host = target.ingress.host ?? '';
    const table = `k -n $NS get ingress -o jsonpath=${q('{range .items[*]}{.spec.rules[*].host}|{.status.loadBalancer.ingress[0].ip}{.status.loadBalancer.ingress[0].hostname}{"\\n"}{end}')}`;
    return `A=$(${table} | awk -F'|' -v h=${q(host)} '$2!="" && (h=="" || (" " $1 " ") ~ (" " h " ")) {print $2; exit}'); H=${q(host)}`;
  }
  const service = target.service!;
  const port = servicePort(service, target.port!);
  const field = (path: string) => `$(k -n $NS get service ${service} -o jsonpath=${q(path)})`;
  switch (target.via ?? 'dns') {
    case 'clusterIP':
      return `A=${field('{.spec.clusterIP}')}; [ "$A" = None ] && A=; A=\${A:+$A:${port}}; H=`;
    case 'nodePort': {
      const nodePort = typeof target.port === 'number' ? `{.spec.ports[?(@.port==${target.port})].nodePort}` : `{.spec.ports[?(@.name=="${target.port}")].nodePort}`;
      return `N=${field(nodePort)}; A=$(k -n $NS get pod ${PROBE} -o jsonpath='{.status.hostIP}'); [ -n "$N" ] && [ -n "$A" ] && A=$A:$N || A=; H=`;
    }
    case 'loadBalancer':
      return `A=${field('{.status.loadBalancer.ingress[0].ip}{.status.loadBalancer.ingress[0].hostname}')}; A=\${A:+$A:${port}}; H=`;
    default:
      return `A=${service}:${port}; H=`;
  }
}

/**
 * One round inside the busybox Pod (sh -c, $1 the URL, $2 the Host header or empty): `requests`
 * wgets one after another; exit 0 when each has the expected status and body, and the answers came
 * from enough Pods (the "Request served by <pod>" line of the echo servers, else the body's md5).
 */
function roundScript(check: HttpCheckFields): string {
  const status = check.expectStatus ?? 200;
  const body = check.bodyContains !== undefined ? ` && grep -qF -- ${q(check.bodyContains)} /tmp/b` : check.bodyMatches !== undefined ? ` && grep -qE -- ${q(check.bodyMatches)} /tmp/b` : '';
  const get = 'if [ -n "$2" ]; then wget -S -q -T 5 -O /tmp/b --header "Host: $2" "$1"; else wget -S -q -T 5 -O /tmp/b "$1"; fi';
  const answered = `grep -q "HTTP/1\\.[01] ${status} " /tmp/h${body}`;
  const server = '{ grep -o "^Request served by [^ ]*" /tmp/b || md5sum < /tmp/b; } | head -1 >> /tmp/s';
  const spread = check.distinctBodies ? `; [ "$(sort -u /tmp/s | wc -l)" -ge ${check.distinctBodies.min} ]` : '';
  return `: > /tmp/s; n=0; while [ $n -lt ${check.requests ?? 1} ]; do n=$((n+1)); rm -f /tmp/b; ${get} 2>/tmp/h; ${answered} || exit 1; ${server}; done${spread}`;
}

export function httpLines(check: HttpCheckFields, timeoutSeconds: number): string[] {
  const round = `${addressLines(check.target!)}; [ -n "$A" ] && k -n $NS exec ${PROBE} -- sh -c ${q(roundScript(check))} kbench "http://$A${check.path ?? '/'}" "$H" >/dev/null 2>&1`;
  return [
    // the probe Pod, once per run (kadai makes its own on the first http check of an attempt)
    `[ -n "\${PROBE_UP:-}" ] || { k -n $NS run ${PROBE} --image=busybox:1.36 --restart=Never --command -- sleep 3600 >/dev/null && k -n $NS wait pod/${PROBE} --for=condition=Ready --timeout=60s >/dev/null; PROBE_UP=1; }`,
    pollLines(check.id, timeoutSeconds, `{ ${round}; }`, EXEC_EVERY_SECONDS),
  ];
}
