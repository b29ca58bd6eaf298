import type { KubernetesLabDefinition } from '@kadai/catalog';
import { RejectedInputError } from '@kadai/errors';
import type { KubeCheckContext } from './context';
import { readDocuments } from './documents';
import { documentStep } from './steps/document';

const lab = { kubernetes: { documents: ['policy.json', 'objects.yaml'] } } as unknown as KubernetesLabDefinition;
const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ssm:GetParameters'], Resource: '*' }] });
const objects = 'kind: StorageClass\nmetadata: {name: efs-sc}\nprovisioner: efs.csi.aws.com\n---\nkind: SecretProviderClass\nmetadata: {name: aws-secrets}\nspec: {provider: aws}\n';
const files = (over: Record<string, string> = {}) => new Map(Object.entries({ 'policy.json': policy, 'objects.yaml': objects, ...over }).map(([k, v]) => [k, Buffer.from(v)]));

function rejection(run: () => unknown): RejectedInputError {
  try {
    run();
  } catch (err) {
    if (err instanceof RejectedInputError) return err;
    throw err;
  }
  throw new Error('not rejected');
}

describe('readDocuments', () => {
  it('parses JSON and multi-document YAML, in order', () => {
    const docs = readDocuments(lab, files());
    expect(docs.get('policy.json')).toEqual([JSON.parse(policy)]);
    expect(docs.get('objects.yaml')?.map((d) => d.kind)).toEqual(['StorageClass', 'SecretProviderClass']);
  });

  it('refuses a missing file and a broken one with its line and column, before anything is applied', () => {
    const err = rejection(() => readDocuments(lab, new Map([['objects.yaml', Buffer.from('kind: A\nspec: {provider: aws\n')]])));
    expect(err.issues).toEqual([
      { file: 'policy.json', message: 'this file is missing from the submission' },
      expect.objectContaining({ file: 'objects.yaml', line: expect.any(Number), column: expect.any(Number) }),
    ]);
  });

  it('refuses an alias bomb like a manifest', () => {
    const bomb = 'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n';
    expect(rejection(() => readDocuments(lab, files({ 'objects.yaml': bomb }))).issues[0]?.message).toMatch(/alias bomb/);
  });
});

/** A lab's content with one JSON Schema in schemas/: StorageClass-like objects, no other fields. */
function labWithSchema(): Map<string, Buffer> {
  const schema = { type: 'object', additionalProperties: false, required: ['kind'], properties: { kind: { enum: ['StorageClass', 'SecretProviderClass'] }, metadata: { type: 'object' }, provisioner: { type: 'string' }, spec: { type: 'object' } } };
  return new Map([['schemas/object.json', Buffer.from(JSON.stringify(schema))]]);
}

describe('document step', () => {
  const ctx = { documents: readDocuments(lab, files()), lab: { files: labWithSchema(), version: 'v1' }, definition: { id: 'k8s-x' } } as unknown as KubeCheckContext;
  const run = (spec: Record<string, unknown>) => documentStep.prepare({ id: 'x', type: 'document', title: { ja: 'x', en: 'x' }, points: 1, ...spec }).run(ctx);

  it('selects a document by kind and name and says it was checked as data', async () => {
    const outcome = await run({ file: 'objects.yaml', kind: 'StorageClass', name: 'efs-sc', match: { provisioner: 'efs.csi.aws.com' } });
    expect(outcome).toMatchObject({ status: 'pass', message: { en: expect.stringContaining('checked as data, not run') } });
  });

  it('fails with expected vs actual, and when no document is selected', async () => {
    const wrong = await run({ file: 'policy.json', jmespath: [{ query: "Statement[0].Action", contains: 'secretsmanager:GetSecretValue' }] });
    expect(wrong).toMatchObject({ status: 'fail' });
    expect(JSON.stringify(wrong)).toContain('secretsmanager:GetSecretValue');
    expect(await run({ file: 'objects.yaml', kind: 'StorageClass', name: 'gp2', match: {} })).toMatchObject({ status: 'fail', message: { en: expect.stringContaining('was not found') } });
  });

  it('validates against the lab schema, naming each error', async () => {
    expect(await run({ file: 'objects.yaml', kind: 'StorageClass', schema: 'object.json' })).toMatchObject({ status: 'pass' });
    const invalid = await run({ file: 'policy.json', schema: 'object.json' });
    expect(invalid).toMatchObject({ status: 'fail' });
    expect(JSON.stringify(invalid)).toContain('must NOT have additional properties (Version)');
  });
});
