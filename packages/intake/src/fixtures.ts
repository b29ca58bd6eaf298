/**
 * Test-only helpers that build real archives in memory (never imported by the package itself).
 */
import { gzipSync } from 'node:zlib';
import * as tarStream from 'tar-stream';
import * as yazl from 'yazl';

export interface ZipItem {
  name: string;
  data?: Buffer | string;
  mode?: number;
  dir?: boolean;
  compress?: boolean;
}

export async function zipOf(items: ZipItem[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const item of items) {
    if (item.dir) zip.addEmptyDirectory(item.name, item.mode === undefined ? {} : { mode: item.mode });
    else {
      const data = typeof item.data === 'string' ? Buffer.from(item.data) : (item.data ?? Buffer.alloc(0));
      zip.addBuffer(data, item.name, { compress: item.compress ?? true, ...(item.mode === undefined ? {} : { mode: item.mode }) });
    }
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * yazl refuses unsafe names, so hostile ones are written as a same-length placeholder and then
 * patched in both the local header and the central directory.
 */
export function patchName(archive: Buffer, placeholder: string, hostile: string): Buffer {
  if (placeholder.length !== hostile.length) throw new Error('names must have the same length');
  const out = Buffer.from(archive);
  const from = Buffer.from(placeholder);
  let at = out.indexOf(from);
  let patched = 0;
  while (at >= 0) {
    out.write(hostile, at, 'latin1');
    patched += 1;
    at = out.indexOf(from, at + 1);
  }
  if (patched === 0) throw new Error(`placeholder ${placeholder} not found`);
  return out;
}

export type TarItem = Partial<tarStream.Header> & { name: string; data?: Buffer | string };

export async function tarOf(items: TarItem[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  for (const { data, ...header } of items) {
    const body = typeof data === 'string' ? Buffer.from(data) : data;
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (body) pack.entry({ type: 'file', ...header, size: body.length }, body, cb);
      else pack.entry({ type: 'file', ...header }, cb);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export async function tgzOf(items: TarItem[]): Promise<Buffer> {
  return gzipSync(await tarOf(items));
}
