import { createGunzip, type Gunzip } from 'node:zlib';
import * as tarStream from 'tar-stream';
import { RejectedInputError } from '@kadai/errors';
import { LimitTracker, tooLarge, type IntakeLimits, type SubmissionFiles } from './limits';
import { FileCollector, isRootFolderEntry, linkRejection, normalizeEntryPath, specialFileRejection } from './paths';

function corrupt(format: string, detail: string, file?: string): RejectedInputError {
  const message = `corrupt ${format} archive: ${file ? `entry "${file}": ` : ''}${detail}`;
  return new RejectedInputError(message, [{ file, message }], 422);
}

/**
 * Ceiling on the decompressed tar stream itself, on top of per-entry counting: a gzip of endless
 * zero blocks yields no entries at all (tar readers skip empty headers), so counting file
 * content alone would let it inflate forever. The slack covers headers and block padding.
 */
function maxTarStreamBytes(limits: IntakeLimits): number {
  return limits.maxTotalBytes + (limits.maxFiles * 4 + 100) * 2048 + 1024 * 1024;
}

/**
 * Feeds the (gunzipped) bytes to the tar parser with backpressure: inflation pauses whenever
 * the parser is behind, so memory stays bounded however well the input compresses.
 */
function feed(data: Buffer, gzip: boolean, extract: tarStream.Extract, limits: IntakeLimits): Gunzip | undefined {
  if (!gzip) {
    extract.end(data);
    return undefined;
  }
  const gunzip = createGunzip();
  const cap = maxTarStreamBytes(limits);
  let inflated = 0;
  gunzip.on('data', (chunk: Buffer) => {
    inflated += chunk.length;
    if (inflated > cap) {
      gunzip.destroy();
      extract.destroy(
        tooLarge(`archive expands beyond ${cap} bytes of tar data (stopped after ${inflated} bytes)`),
      );
      return;
    }
    if (!extract.write(chunk)) {
      gunzip.pause();
      extract.once('drain', () => gunzip.resume());
    }
  });
  // (cast: streamx's typings declare end() with a required argument)
  gunzip.on('end', () => (extract as NodeJS.WritableStream).end());
  gunzip.on('error', (e: Error) => extract.destroy(corrupt('tar.gz', `gzip: ${e.message}`)));
  gunzip.end(data);
  return gunzip;
}

export async function unpackTar(data: Buffer, gzip: boolean, limits: IntakeLimits): Promise<SubmissionFiles> {
  const format = gzip ? 'tar.gz' : 'tar';
  const extract = tarStream.extract();
  const gunzip = feed(data, gzip, extract, limits);
  const tracker = new LimitTracker(limits);
  const collector = new FileCollector();
  let current: string | undefined; // names the entry in "truncated"/"corrupt" messages
  try {
    for await (const entry of extract) {
      const { header } = entry;
      tracker.entry(header.name);
      if (header.type === 'directory' && isRootFolderEntry(header.name)) {
        entry.resume();
        continue;
      }
      const path = normalizeEntryPath(header.name);
      switch (header.type) {
        case 'file':
        case 'contiguous-file':
          break;
        case 'directory':
          entry.resume();
          continue;
        case 'symlink':
          throw linkRejection(path, 'symlink', header.linkname ?? '');
        case 'link':
          throw linkRejection(path, 'hardlink', header.linkname ?? '');
        case 'character-device':
        case 'block-device':
        case 'fifo':
          throw specialFileRejection(path, header.type);
        default:
          throw specialFileRejection(path, `unsupported tar entry type (${String(header.type)})`);
      }
      collector.claim(path);
      tracker.startFile(path);
      current = path;
      const chunks: Buffer[] = [];
      for await (const chunk of entry) {
        tracker.add((chunk as Buffer).length);
        chunks.push(chunk as Buffer);
      }
      collector.set(path, Buffer.concat(chunks));
      current = undefined;
    }
  } catch (error) {
    if (error instanceof RejectedInputError) throw error;
    throw corrupt(format, (error as Error).message, current);
  } finally {
    gunzip?.destroy();
    extract.destroy();
  }
  return collector.files;
}
