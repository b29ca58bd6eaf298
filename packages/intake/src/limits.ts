import { RejectedInputError } from '@kadai/errors';

/** Size ceilings for one submission. All byte counts are of real (decompressed) content. */
export interface IntakeLimits {
  /** The raw upload (multipart body / archive as sent). */
  maxUploadBytes: number;
  /** Sum of all files once unpacked. */
  maxTotalBytes: number;
  /** Number of regular files. */
  maxFiles: number;
  /** One file once unpacked. */
  maxFileBytes: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_LIMITS: Readonly<IntakeLimits> = Object.freeze({
  maxUploadBytes: 10 * MiB,
  maxTotalBytes: 20 * MiB,
  maxFiles: 500,
  maxFileBytes: 5 * MiB,
});

/** Normalized relative POSIX path → content. */
export type SubmissionFiles = Map<string, Buffer>;

export function tooLarge(message: string, file?: string): RejectedInputError {
  return new RejectedInputError(message, [{ file, message }], 413);
}

/**
 * Counts what an unpacker actually produces, chunk by chunk, so a decompression bomb is stopped
 * at the first chunk past a limit — declared sizes in archive headers are never trusted.
 */
export class LimitTracker {
  private files = 0;
  private entries = 0;
  private total = 0;
  private current = 0;
  private currentName = '';

  constructor(private readonly limits: IntakeLimits) {}

  /**
   * Every entry, directories included, counts against a loose cap: an archive of a million empty
   * directories costs CPU without ever reaching the byte limits.
   */
  entry(name: string): void {
    this.entries += 1;
    if (this.entries > this.limits.maxFiles * 4 + 100) {
      throw tooLarge(`archive has too many entries (more than ${this.limits.maxFiles * 4 + 100}) at entry "${name}"`, name);
    }
  }

  startFile(name: string): void {
    this.files += 1;
    if (this.files > this.limits.maxFiles) {
      throw tooLarge(`too many files: more than the limit of ${this.limits.maxFiles} (at entry "${name}")`, name);
    }
    this.current = 0;
    this.currentName = name;
  }

  /** Call for every chunk, before keeping it. */
  add(bytes: number): void {
    this.current += bytes;
    this.total += bytes;
    const name = this.currentName;
    if (this.current > this.limits.maxFileBytes) {
      throw tooLarge(
        `file "${name}" exceeds the per-file limit of ${this.limits.maxFileBytes} bytes (stopped after ${this.current} bytes)`,
        name,
      );
    }
    if (this.total > this.limits.maxTotalBytes) {
      throw tooLarge(
        `submission exceeds the total size limit of ${this.limits.maxTotalBytes} bytes (stopped at file "${name}" after ${this.total} bytes)`,
        name,
      );
    }
  }

  get totalBytes(): number {
    return this.total;
  }
}
