import { RejectedInputError } from '@kadai/errors';
import { isRootFolderEntry, normalizeEntryPath } from './paths';

function rejection(raw: string): RejectedInputError {
  try {
    normalizeEntryPath(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(RejectedInputError);
    return error as RejectedInputError;
  }
  throw new Error(`expected ${JSON.stringify(raw)} to be rejected`);
}

describe('normalizeEntryPath', () => {
  it('strips ./, folds . and duplicate slashes, keeps the top folder', () => {
    expect(normalizeEntryPath('./Dockerfile')).toBe('Dockerfile');
    expect(normalizeEntryPath('mylab/./k8s//app.yaml')).toBe('mylab/k8s/app.yaml');
    expect(normalizeEntryPath('a/../b.txt')).toBe('b.txt');
    expect(normalizeEntryPath('k8s/')).toBe('k8s');
  });

  it.each([
    ['../etc/passwd', 'path leads outside the submission root (..)'],
    ['a/../../x', 'path leads outside the submission root (..)'],
    ['/etc/passwd', 'absolute paths are not allowed'],
    ['C:/Windows/x', 'file name starts with a drive letter'],
    ['c:x', 'file name starts with a drive letter'],
    ['dir\\file.txt', 'file name contains a backslash (use / as separator)'],
    ['a\0b', 'file name contains a NUL byte'],
    ['', 'empty file name'],
    ['./', 'empty file name'],
  ])('rejects %j', (raw, why) => {
    const error = rejection(raw);
    expect(error.status).toBe(422);
    expect(error.message).toBe(`entry ${JSON.stringify(raw)}: ${why}`);
    expect(error.issues).toEqual([{ file: raw, message: why }]);
  });
});

describe('isRootFolderEntry', () => {
  it.each(['.', './', './/', './.', './././'])('%j is the archive root', (raw) => {
    expect(isRootFolderEntry(raw)).toBe(true);
  });

  it.each(['', '..', '../', './..', './a', 'a/', '/', './../', '.a', '..a/'])('%j is not', (raw) => {
    expect(isRootFolderEntry(raw)).toBe(false);
  });
});
