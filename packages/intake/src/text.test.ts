import { RejectedInputError } from '@kadai/errors';
import { assertTextFiles, isTextPath } from './text';

describe('isTextPath', () => {
  it.each(['Dockerfile', 'app/Dockerfile.dev', 'k8s/deploy.YAML', 'x.yml', 'main.go', 'run.sh', 'nginx.conf'])(
    '%s is text',
    (p) => expect(isTextPath(p)).toBe(true),
  );
  it.each(['logo.png', 'app.bin', 'archive.tar.gz'])('%s is not text', (p) => expect(isTextPath(p)).toBe(false));
});

describe('assertTextFiles', () => {
  it('accepts UTF-8 text and ignores binary files under binary names', () => {
    const files = new Map([
      ['Dockerfile', Buffer.from('FROM alpine # ünïcode\n')],
      ['logo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0xff])],
    ]);
    expect(() => assertTextFiles(files, isTextPath)).not.toThrow();
  });

  it('rejects NUL bytes and invalid UTF-8 under text names, naming every file', () => {
    const files = new Map([
      ['Dockerfile', Buffer.from('FROM alpine\0')],
      ['app.py', Buffer.from([0x70, 0xc3, 0x28])], // truncated 2-byte sequence
      ['ok.yaml', Buffer.from('a: 1\n')],
    ]);
    let error: unknown;
    try {
      assertTextFiles(files, isTextPath);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RejectedInputError);
    const rejected = error as RejectedInputError;
    expect(rejected.message).toBe('file Dockerfile, app.py: binary content where text is expected');
    expect(rejected.issues).toEqual([
      { file: 'Dockerfile', message: 'binary content where text is expected' },
      { file: 'app.py', message: 'binary content where text is expected' },
    ]);
  });

  it('uses the given predicate', () => {
    const files = new Map([['blob.dat', Buffer.from([0])]]);
    expect(() => assertTextFiles(files, () => true)).toThrow('file blob.dat: binary content where text is expected');
  });
});
