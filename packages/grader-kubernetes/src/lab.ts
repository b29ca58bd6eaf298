import type { KubernetesLabDefinition, Lab, LabDefinition, LabFiles } from '@kadai/catalog';
import { checkIssues } from '@kadai/checks';
import { InfrastructureError, type InputIssue } from '@kadai/errors';
import { loadSchema } from './schemas';
import { readFixture, VALIDATION_NAMESPACE } from './stages';
import { STEP_TYPES } from './steps';

/** The lab's definition when it is a kubernetes lab (the catalog validated it), else kadai's bug. */
export function kubernetesDefinition(lab: Lab): KubernetesLabDefinition {
  if (lab.definition.kind !== 'kubernetes') throw new InfrastructureError(`${lab.definition.id} is not a kubernetes lab`, false);
  return lab.definition;
}

/**
 * What `kadai labs validate` (the catalog loader) checks of a kubernetes lab beyond the common
 * schema: every step's own fields, the stages and fixtures its checks name, `needs` naming earlier
 * checks, and each fixture and schema file present (in the lab's content) and readable.
 */
export function kubernetesLabIssues(file: string, def: LabDefinition, files: LabFiles): InputIssue[] {
  if (def.kind !== 'kubernetes') return [];
  const issues = checkIssues(file, def.checks, STEP_TYPES);
  const stages = new Set(def.kubernetes.stages.map((s) => s.id));
  const fixtures = new Set(def.kubernetes.fixtures.map((f) => f.id));
  const nodes = new Set(def.kubernetes.nodes.map((n) => n.name));
  const documents = new Set(def.kubernetes.documents);
  const earlier = new Set<string>();
  def.checks.forEach((check, index) => {
    const at = (field: string, message: string) => issues.push({ file, field: `checks.${index}.${field}`, message });
    if (typeof check.stage === 'string' && !stages.has(check.stage)) at('stage', `no stage "${check.stage}" in kubernetes.stages (${[...stages].join(', ')})`);
    if (typeof check.fixture === 'string' && !fixtures.has(check.fixture)) at('fixture', `no fixture "${check.fixture}" in kubernetes.fixtures (${[...fixtures].join(', ') || 'none'})`);
    if (check.type === 'document' && typeof check.file === 'string' && !documents.has(check.file)) at('file', `"${check.file}" is not in kubernetes.documents (${[...documents].join(', ') || 'none'})`);
    if (check.type === 'document' && typeof check.schema === 'string') {
      try {
        loadSchema(files, check.schema);
      } catch (err) {
        at('schema', `schemas/${check.schema}: ${(err as Error).message}`);
      }
    }
    // placement and node steps name the lab's own nodes by the course's names
    for (const field of ['node', 'notNode'] as const) {
      const name: unknown = check[field];
      if ((check.type === 'placement' || check.type === 'node') && typeof name === 'string' && !nodes.has(name)) at(field, `no node "${name}" in kubernetes.nodes (${[...nodes].join(', ') || 'none'})`);
    }
    const listed: unknown = check.type === 'untaintNodes' || check.type === 'everyNode' ? check.nodes : undefined;
    if (Array.isArray(listed)) {
      listed.forEach((name: unknown, i) => {
        const node = def.kubernetes.nodes.find((n) => n.name === name);
        if (typeof name === 'string' && !node) at(`nodes.${i}`, `no node "${name}" in kubernetes.nodes (${[...nodes].join(', ') || 'none'})`);
        else if (check.type === 'untaintNodes' && node && !node.taints.some((t) => t.key === check.key)) at(`nodes.${i}`, `node "${name}" starts with no taint "${String(check.key)}" (kubernetes.nodes)`);
      });
    }
    if (check.type === 'everyNode' && check.realNodes === true && !def.kubernetes.realNodes) at('realNodes', 'the lab\'s Pods run only on its own nodes: set kubernetes.realNodes to count the real ones');
    const needs: unknown = check.needs;
    if (Array.isArray(needs)) {
      needs.forEach((id: unknown, i) => {
        if (typeof id === 'string' && !earlier.has(id)) at(`needs.${i}`, `"${id}" is not a check before this one`);
      });
    }
    earlier.add(check.id);
  });
  def.kubernetes.fixtures.forEach((fixture, index) => {
    try {
      readFixture(files, fixture.file, VALIDATION_NAMESPACE);
    } catch (err) {
      const message = (err as Error).message;
      issues.push({ file, field: `kubernetes.fixtures.${index}.file`, message: message.startsWith('fixtures/') ? message : `fixtures/${fixture.file}: ${message}` });
    }
  });
  return issues;
}
