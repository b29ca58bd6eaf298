import type { Readable } from 'node:stream';
import * as yauzl from 'yauzl';
import { RejectedInputError } from '@kadai/errors';
import { LimitTracker, type IntakeLimits, type SubmissionFiles } from './limits';
import { FileCollector, isRootFolderEntry, linkRejection, normalizeEntryPath, specialFileRejection } from './paths';

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const MADE_BY_UNIX = 3;
const DOS_DIRECTORY = 0x10;

function corrupt(detail: string, file?: string): RejectedInputError {
  const message = `corrupt zip archive: ${file ? `entry "${file}": ` : ''}${detail}`;
  return new RejectedInputError(message, [{ file, message }], 422);
}

function openZip(data: Buffer): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    // decodeStrings: false — yauzl's own name checks would fail with generic messages; ours name
    // the entry and the rule. autoClose: false — we close explicitly, also when aborting early.
    yauzl.fromBuffer(
      data,
      { lazyEntries: true, decodeStrings: false, autoClose: false, validateEntrySizes: true },
      (err, zip) => (err ? reject(corrupt(err.message)) : resolve(zip)),
    );
  });
}

/** Pull-style access to yauzl's event stream; an 'error' with no pending read is kept, not lost. */
function entryReader(zip: yauzl.ZipFile): () => Promise<yauzl.Entry | undefined> {
  let pending: { resolve: (e: yauzl.Entry | undefined) => void; reject: (e: Error) => void } | undefined;
  let failure: Error | undefined;
  let ended = false;
  const settle = (fn: (p: NonNullable<typeof pending>) => void): void => {
    const p = pending;
    pending = undefined;
    if (p) fn(p);
  };
  zip.on('entry', (entry: yauzl.Entry) => settle((p) => p.resolve(entry)));
  zip.on('end', () => {
    ended = true;
    settle((p) => p.resolve(undefined));
  });
  zip.on('error', (err: Error) => {
    failure = err;
    settle((p) => p.reject(err));
  });
  return () =>
    new Promise((resolve, reject) => {
      if (failure) return reject(failure);
      if (ended) return resolve(undefined);
      pending = { resolve, reject };
      zip.readEntry();
    });
}

/**
 * Streams one entry's inflated bytes through `onChunk` (which may throw to abort). The inflater
 * is destroyed at the first throw, so a bomb never inflates further than one chunk past a limit.
 */
function readEntryData(
  zip: yauzl.ZipFile,
  entry: yauzl.Entry,
  name: string,
  onChunk: (chunk: Buffer) => boolean,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream: Readable) => {
      if (err) return reject(corrupt(err.message, name));
      const chunks: Buffer[] = [];
      let done = false;
      const finish = (error?: Error): void => {
        if (done) return;
        done = true;
        if (error) {
          stream.destroy();
          reject(error);
        } else resolve(Buffer.concat(chunks));
      };
      stream.on('data', (chunk: Buffer) => {
        try {
          chunks.push(chunk);
          if (!onChunk(chunk)) {
            // The caller has read enough (link targets): stop the inflater here.
            stream.destroy();
            finish();
          }
        } catch (error) {
          finish(error as Error);
        }
      });
      stream.on('error', (e: Error) => finish(corrupt(e.message, name)));
      stream.on('end', () => finish());
    });
  });
}

type Kind = 'directory' | 'file' | 'symlink' | 'special';

function kindOf(entry: yauzl.Entry, rawName: string): Kind {
  const mode = entry.externalFileAttributes >>> 16;
  if (entry.versionMadeBy >> 8 === MADE_BY_UNIX && mode !== 0) {
    const type = mode & S_IFMT;
    if (type === S_IFDIR) return 'directory';
    if (type === S_IFLNK) return 'symlink';
    if (type !== S_IFREG && type !== 0) return 'special';
  }
  if (rawName.endsWith('/') || (entry.externalFileAttributes & DOS_DIRECTORY) !== 0) return 'directory';
  return 'file';
}

export async function unpackZip(data: Buffer, limits: IntakeLimits): Promise<SubmissionFiles> {
  const zip = await openZip(data);
  try {
    const next = entryReader(zip);
    const tracker = new LimitTracker(limits);
    const collector = new FileCollector();
    for (;;) {
      let entry: yauzl.Entry | undefined;
      try {
        entry = await next();
      } catch (error) {
        throw corrupt((error as Error).message);
      }
      if (!entry) break;
      const rawName = yauzl.getFileNameLowLevel(
        entry.generalPurposeBitFlag,
        entry.fileNameRaw,
        entry.extraFields,
        true, // keep backslashes so normalizeEntryPath can refuse them
      );
      tracker.entry(rawName);
      const kind = kindOf(entry, rawName);
      if (kind === 'directory' && isRootFolderEntry(rawName)) continue;
      const path = normalizeEntryPath(rawName);
      // Finder adds resource-fork copies under __MACOSX/; they are not part of the work.
      if (path === '__MACOSX' || path.startsWith('__MACOSX/')) continue;
      if (kind === 'directory') continue;
      if (kind === 'special') throw specialFileRejection(path, 'device, fifo or socket');
      if (entry.isEncrypted()) {
        throw new RejectedInputError(`entry "${path}": encrypted zip entries are not supported`, [
          { file: path, message: 'encrypted zip entries are not supported' },
        ]);
      }
      if (kind === 'symlink') {
        // A zip symlink's target is its content; read only enough of it to name it.
        let seen = 0;
        const target = await readEntryData(zip, entry, path, (c) => (seen += c.length) < 4096);
        throw linkRejection(path, 'symlink', target.subarray(0, 4096).toString('utf8'));
      }
      collector.claim(path);
      tracker.startFile(path);
      const content = await readEntryData(zip, entry, path, (chunk) => {
        tracker.add(chunk.length);
        return true;
      });
      collector.set(path, content);
    }
    return collector.files;
  } finally {
    zip.close();
  }
}
