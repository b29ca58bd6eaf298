import { RejectedInputError } from '@kadai/errors';
import { filesFromJson } from './json';
import { DEFAULT_LIMITS } from './limits';

const limits = { ...DEFAULT_LIMITS, maxFiles: 3, maxFileBytes: 10, maxTotalBytes: 15 };

function rejectionOf(files: unknown): RejectedInputError {
  try {
    filesFromJson(files as Record<string, string>, limits);
  } catch (error) {
    expect(error).toBeInstanceOf(RejectedInputError);
    return error as RejectedInputError;
  }
  throw new Error('expected a rejection');
}

describe('filesFromJson', () => {
  it('returns normalized paths with UTF-8 content', () => {
    const files = filesFromJson({ './Dockerfile': 'FROM ä', 'k8s/a.yaml': 'a: 1' }, limits);
    expect([...files.keys()]).toEqual(['Dockerfile', 'k8s/a.yaml']);
    expect(files.get('Dockerfile')).toEqual(Buffer.from('FROM ä', 'utf8'));
  });

  it('applies the path rules', () => {
    expect(rejectionOf({ '../x': 'a' }).message).toBe('entry "../x": path leads outside the submission root (..)');
  });

  it('rejects the same file given twice under different spellings', () => {
    expect(rejectionOf({ a: '1', './a': '2' }).message).toBe('entry "a": duplicate entry');
  });

  it('rejects a path that is both a file and a folder', () => {
    expect(rejectionOf({ a: '1', 'a/b': '2' }).message).toBe('entry "a/b": "a" is both a file and a folder');
  });

  it('enforces per-file, total and count limits with 413', () => {
    const big = rejectionOf({ a: '12345678901' });
    expect([big.status, big.message]).toEqual([
      413,
      'file "a" exceeds the per-file limit of 10 bytes (stopped after 11 bytes)',
    ]);
    const total = rejectionOf({ a: '1234567890', b: '1234567890' });
    expect(total.status).toBe(413);
    expect(total.message).toBe(
      'submission exceeds the total size limit of 15 bytes (stopped at file "b" after 20 bytes)',
    );
    const many = rejectionOf({ a: '', b: '', c: '', d: '' });
    expect([many.status, many.message]).toEqual([413, 'too many files: 4, over the limit of 3']);
  });

  it('rejects non-string content and non-objects', () => {
    expect(rejectionOf({ a: 5 }).message).toBe('file "a": content must be a string, got number');
    expect(rejectionOf(['x']).message).toBe('files must be an object mapping paths to file contents');
    expect(rejectionOf({}).message).toBe('no files submitted');
  });
});
