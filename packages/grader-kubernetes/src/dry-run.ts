import { InfrastructureError, RejectedInputError, formatIssue, type InputIssue } from '@kadai/errors';
import { messageOf, statusOf, SUBMISSION_FIELD_MANAGER, type AttemptNamespace } from '@kadai/k8s-sandbox';
import { formatPath, type FieldPath, type VettedObject } from '@kadai/k8s-vetting';
import type { Stage } from './stages';
import { isVolume } from './volumes';

/** What the API server's admission refused in a dry run: not a rejection, but what an `apply` check expecting `refused` looks for. */
export interface AdmissionRefusal {
  stage: string;
  object: string;
  file: string;
  status: number;
  message: string;
}

interface StatusBody {
  message?: string;
  reason?: string;
  details?: { causes?: { field?: string; message?: string; reason?: string }[] };
}

/** The prefix of the API server's answer when server-side apply cannot fit an object to its schema (sent as a 500). */
const TYPED_PATCH_FAILURE = 'failed to create typed patch object';

/**
 * Server-side dry run of every stage, as the attempt's ServiceAccount, before anything is applied.
 * An object the schema or validation refuses (unknown field, wrong type, invalid value, a kind the
 * cluster does not serve) rejects the submission, naming file, line, document and field; what
 * admission refuses (quota, LimitRange, Pod Security, RBAC) is returned as evidence for checks.
 */
export async function dryRunStages(attempt: AttemptNamespace, stages: Iterable<Stage>, signal?: AbortSignal): Promise<AdmissionRefusal[]> {
  const issues: InputIssue[] = [];
  const refusals: AdmissionRefusal[] = [];
  for (const stage of stages) {
    const applied = [...stage.objects, ...stage.commands.flatMap((c) => (c.verb === 'apply' ? c.files.flatMap((f) => stage.commandFiles.get(f) ?? []) : []))];
    // kadai creates the copies of the student's PersistentVolumes itself (the attempt cannot create cluster-scoped objects)
    for (const vetted of applied.filter((v) => !isVolume(v.object))) {
      try {
        await attempt.asAttempt.apply(vetted.object, { fieldManager: SUBMISSION_FIELD_MANAGER, dryRun: true, ...(signal ? { signal } : {}) });
      } catch (err) {
        const schema = schemaIssues(vetted, err);
        if (schema) issues.push(...schema);
        else if (isAdmissionRefusal(err)) refusals.push({ stage: stage.id, object: vetted.label, file: vetted.file, status: statusOf(err) ?? 0, message: messageOf(err) });
        else throw new InfrastructureError(`dry run of ${vetted.label} in ${vetted.file}: ${messageOf(err)}`, true, { cause: err });
      }
    }
  }
  if (issues.length > 0) {
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    throw new RejectedInputError(`the cluster refuses the manifests: ${formatIssue(issues[0] as InputIssue)}${more}`, issues, 422);
  }
  return refusals;
}

const isAdmissionRefusal = (err: unknown): boolean => {
  const status = statusOf(err);
  return status === 403 || status === 409;
};

/** The issues of an object the schema or validation refuses; undefined when the refusal is something else. */
function schemaIssues(vetted: VettedObject, err: unknown): InputIssue[] | undefined {
  const status = statusOf(err);
  const message = messageOf(err);
  const issue = (field: string | undefined, text: string): InputIssue => {
    const fieldPath = field ? toFieldPath(field, vetted.object) : undefined;
    const at = vetted.locate(fieldPath ?? []);
    return { file: vetted.file, ...(at ?? {}), ...(fieldPath ? { field: formatPath(fieldPath) } : {}), message: `${vetted.label}: ${text}` };
  };
  if (err instanceof Error && err.message.startsWith('Unrecognized API version and kind')) {
    return [issue('apiVersion', `this cluster serves no ${String(vetted.object.kind)} in ${String(vetted.object.apiVersion)}`)];
  }
  if (status === 500 && message.startsWith(TYPED_PATCH_FAILURE)) {
    // one error: "… (ns/name; apps/v1, Kind=Deployment): .spec…imagee: field not declared in schema"; several:
    // "…: errors:\n  .spec.replicas: expected numeric (int or float), got string\n  .spec…imagee: …"
    const rest = message.slice(message.indexOf('): ') + 3);
    const lines = (rest.startsWith('errors:') ? rest.split('\n').slice(1) : [rest]).map((l) => l.trim()).filter((l) => l.startsWith('.'));
    if (!lines.length) return [issue(undefined, message)];
    return lines.map((line) => {
      const colon = line.indexOf(': ');
      return issue(line.slice(0, colon), line.slice(colon + 2));
    });
  }
  if (status === 400 || status === 422) {
    const body = bodyOf(err);
    const causes = body?.details?.causes?.filter((c) => c.message) ?? [];
    if (!causes.length) return [issue(undefined, message)];
    return causes.map((c) => issue(c.field, c.field ? `${c.field}: ${c.message ?? ''}` : (c.message ?? '')));
  }
  return undefined;
}

function bodyOf(err: unknown): StatusBody | undefined {
  const body: unknown = (err as { body?: unknown }).body;
  if (typeof body === 'object' && body !== null) return body as StatusBody;
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as StatusBody;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * A field as the API server names it (`.spec.template.spec.containers[name="web"].image`,
 * `spec.containers[0].image`, `metadata.labels[app]`) as a path into the object as written, where
 * a list item named by a key (`[name="web"]`) becomes its index.
 */
export function toFieldPath(field: string, object: unknown): FieldPath {
  const path: (string | number)[] = [];
  let current: unknown = object;
  const token = /\.?([^.[\]]+)|\[([^\]]*)\]/g;
  for (let m = token.exec(field); m; m = token.exec(field)) {
    let segment: string | number;
    if (m[1] !== undefined) segment = m[1];
    else {
      const inside = m[2] ?? '';
      const keyed = /^([^=]*)=(.*)$/.exec(inside);
      if (/^\d+$/.test(inside)) segment = Number(inside);
      else if (keyed && Array.isArray(current)) {
        const [, key = '', raw = ''] = keyed;
        const value = raw.replace(/^"|"$/g, '');
        const index = current.findIndex((item) => (key ? String((item as Record<string, unknown>)?.[key]) : String(item)) === value);
        if (index < 0) break;
        segment = index;
      } else segment = inside.replace(/^"|"$/g, '');
    }
    path.push(segment);
    current = typeof segment === 'number' ? (Array.isArray(current) ? current[segment] : undefined) : (current as Record<string, unknown> | undefined)?.[segment];
  }
  return path;
}
