import { RejectedInputError } from '@kadai/errors';
import { checkYamlSyntax } from './yaml-syntax';

function files(entries: Record<string, string>): Map<string, Buffer> {
  return new Map(Object.entries(entries).map(([k, v]) => [k, Buffer.from(v)]));
}

function rejection(input: Map<string, Buffer>): RejectedInputError {
  try {
    checkYamlSyntax(input);
  } catch (error) {
    expect(error).toBeInstanceOf(RejectedInputError);
    return error as RejectedInputError;
  }
  throw new Error('expected a rejection');
}

describe('checkYamlSyntax', () => {
  it('accepts valid multi-document YAML with a few aliases, and ignores other files', () => {
    const ok = files({
      'k8s/app.yaml': 'apiVersion: v1\nkind: Pod\n---\nbase: &b {a: 1}\nuse: *b\n',
      'empty.yml': '',
      'notes.txt': 'a: [',
    });
    expect(() => checkYamlSyntax(ok)).not.toThrow();
  });

  it('reports the exact line and column of a syntax error', () => {
    const error = rejection(files({ 'k8s/pod.yaml': 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web: x\n' }));
    expect(error.status).toBe(422);
    const message = 'Nested mappings are not allowed in compact mappings';
    expect(error.issues).toEqual([{ file: 'k8s/pod.yaml', line: 4, column: 9, message }]);
    expect(error.message).toBe(`YAML syntax error in 1 file: k8s/pod.yaml:4:9: ${message}`);
  });

  it('collects errors from every file and every document', () => {
    const error = rejection(
      files({
        'a.yaml': 'ok: 1\n---\nimage: @foo\n',
        'b.yml': 'spec:\n  image: nginx\n\tport: 80\n',
      }),
    );
    expect(error.issues).toEqual([
      { file: 'a.yaml', line: 3, column: 8, message: 'Plain value cannot start with reserved character @' },
      { file: 'b.yml', line: 3, column: 1, message: 'Tabs are not allowed as indentation' },
    ]);
    expect(error.message).toBe(
      'YAML syntax error in 2 files: a.yaml:3:8: Plain value cannot start with reserved character @ (and 1 more)',
    );
  });

  it('rejects an alias bomb', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i += 1) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      lines.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const error = rejection(files({ 'bomb.yaml': `kind: ConfigMap\n---\n${lines.join('\n')}\n` }));
    expect(error.issues).toEqual([
      { file: 'bomb.yaml', line: 3, column: 1, message: 'alias bomb: excessive alias expansion (more than 100 aliases)' },
    ]);
  });
});
