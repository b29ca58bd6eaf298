import { RejectedInputError } from '@kadai/errors';
import { LimitTracker, tooLarge, type IntakeLimits, type SubmissionFiles } from './limits';
import { FileCollector, normalizeEntryPath } from './paths';

/**
 * The JSON API form of a submission: `{ "Dockerfile": "FROM ..." }`. Same path rules and limits
 * as an archive; the values arrive from JSON.parse, so their types are checked at runtime too.
 */
export function filesFromJson(files: Record<string, string>, limits: IntakeLimits): SubmissionFiles {
  if (typeof files !== 'object' || files === null || Array.isArray(files)) {
    const message = 'files must be an object mapping paths to file contents';
    throw new RejectedInputError(message, [{ field: 'files', message }], 422);
  }
  const entries = Object.entries(files as Record<string, unknown>);
  if (entries.length > limits.maxFiles) {
    throw tooLarge(`too many files: ${entries.length}, over the limit of ${limits.maxFiles}`);
  }
  const tracker = new LimitTracker(limits);
  const collector = new FileCollector();
  for (const [raw, content] of entries) {
    if (typeof content !== 'string') {
      const message = `file ${JSON.stringify(raw)}: content must be a string, got ${content === null ? 'null' : typeof content}`;
      throw new RejectedInputError(message, [{ file: raw, field: 'files', message }], 422);
    }
    const path = normalizeEntryPath(raw);
    collector.claim(path);
    tracker.startFile(path);
    const data = Buffer.from(content, 'utf8');
    tracker.add(data.length);
    collector.set(path, data);
  }
  if (collector.files.size === 0) {
    const message = 'no files submitted';
    throw new RejectedInputError(message, [{ field: 'files', message }], 422);
  }
  return collector.files;
}
