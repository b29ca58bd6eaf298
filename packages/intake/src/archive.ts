import { RejectedInputError } from '@kadai/errors';
import { tooLarge, type IntakeLimits, type SubmissionFiles } from './limits';
import { stripCommonTopFolder } from './paths';
import { unpackTar } from './tar';
import { unpackZip } from './zip';

type Format = 'zip' | 'gzip' | 'tar';

/** By content, never by file name or Content-Type: both are whatever the client says. */
function detectFormat(data: Buffer): Format | undefined {
  if (data.length >= 4 && data[0] === 0x50 && data[1] === 0x4b) {
    // Local file header, or end-of-central-directory of an empty zip.
    if ((data[2] === 0x03 && data[3] === 0x04) || (data[2] === 0x05 && data[3] === 0x06)) return 'zip';
  }
  if (data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b) return 'gzip';
  // "ustar" at offset 257 covers POSIX ("ustar\0") and GNU ("ustar  ") tar.
  if (data.length >= 262 && data.toString('latin1', 257, 262) === 'ustar') return 'tar';
  return undefined;
}

/**
 * Unpacks an uploaded zip / tar.gz / tar into memory, enforcing every limit on real bytes as they
 * are produced. Pure: returns the files or throws a RejectedInputError, never a partial result.
 */
export async function unpackArchive(data: Buffer, limits: IntakeLimits): Promise<SubmissionFiles> {
  if (data.length > limits.maxUploadBytes) {
    throw tooLarge(`archive is ${data.length} bytes, over the upload limit of ${limits.maxUploadBytes} bytes`);
  }
  const format = detectFormat(data);
  if (!format) {
    const message = 'not a zip or tar.gz archive (unrecognized file signature)';
    throw new RejectedInputError(message, [{ message }], 422);
  }
  const files = format === 'zip' ? await unpackZip(data, limits) : await unpackTar(data, format === 'gzip', limits);
  if (files.size === 0) {
    const message = 'archive contains no files';
    throw new RejectedInputError(message, [{ message }], 422);
  }
  return stripCommonTopFolder(files);
}
