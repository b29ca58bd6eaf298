import { loadCatalog, loadSelfTests } from '@kadai/catalog';
import { dockerLabIssues } from '@kadai/grader-docker';
import path from 'node:path';
import { REPO_ROOT } from '../support/stack';

// Static checks of the docker labs (no engine): their docker: sections and check fields are valid for
// the docker grader, and every check is named as failing by at least one wrong variant.
it('every docker lab is valid for the docker grader and each check can fail', async () => {
  const { labs, issues } = await loadCatalog(path.join(REPO_ROOT, 'labs'), { docker: dockerLabIssues });
  expect(issues).toEqual([]);
  const docker = [...labs.values()].filter((l) => l.definition.kind === 'docker');
  expect(docker.map((l) => l.definition.id).sort()).toEqual(
    ['docker-compose-counter', 'docker-compose-depends', 'docker-multistage-go', 'docker-python-app', 'docker-run-nginx', 'docker-ubuntu-nginx'],
  );
  for (const lab of docker) {
    const { cases } = await loadSelfTests(lab);
    const failing = new Set(cases.flatMap((c) => c.fails));
    const never = lab.definition.kind === 'quiz' ? [] : lab.definition.checks.map((c) => c.id).filter((id) => !failing.has(id));
    expect({ lab: lab.definition.id, checksNoVariantFails: never }).toEqual({ lab: lab.definition.id, checksNoVariantFails: [] });
    expect(cases.filter((c) => c.name.startsWith('wrong/')).length).toBeGreaterThanOrEqual(3);
  }
});
