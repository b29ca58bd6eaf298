import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { RejectedInputError } from '@kadai/errors';
import { unpackArchive } from './archive';
import { patchName, tarOf, tgzOf, zipOf } from './fixtures';
import { DEFAULT_LIMITS, type IntakeLimits } from './limits';

const MiB = 1024 * 1024;

async function rejection(data: Buffer, limits: IntakeLimits = DEFAULT_LIMITS): Promise<RejectedInputError> {
  try {
    await unpackArchive(data, limits);
  } catch (error) {
    expect(error).toBeInstanceOf(RejectedInputError);
    return error as RejectedInputError;
  }
  throw new Error('expected the archive to be rejected');
}

function asText(files: Map<string, Buffer>): Record<string, string> {
  return Object.fromEntries([...files].map(([k, v]) => [k, v.toString('utf8')]));
}

describe('unpackArchive: happy paths', () => {
  it('unpacks a zip, skipping folder entries', async () => {
    const zip = await zipOf([
      { name: 'Dockerfile', data: 'FROM alpine\n' },
      { name: 'k8s', dir: true },
      { name: 'k8s/app.yaml', data: 'kind: Pod\n', compress: false },
    ]);
    expect(asText(await unpackArchive(zip, DEFAULT_LIMITS))).toEqual({
      Dockerfile: 'FROM alpine\n',
      'k8s/app.yaml': 'kind: Pod\n',
    });
  });

  it('unpacks a tar.gz and a plain tar', async () => {
    const items = [
      { name: 'k8s', type: 'directory' as const },
      { name: './k8s/app.yaml', data: 'kind: Pod\n' },
      { name: 'Dockerfile', data: 'FROM alpine\n' },
    ];
    const expected = { 'k8s/app.yaml': 'kind: Pod\n', Dockerfile: 'FROM alpine\n' };
    expect(asText(await unpackArchive(await tgzOf(items), DEFAULT_LIMITS))).toEqual(expected);
    expect(asText(await unpackArchive(await tarOf(items), DEFAULT_LIMITS))).toEqual(expected);
  });

  it('strips a single common top-level folder, but not when files sit at the root', async () => {
    const wrapped = await zipOf([
      { name: 'mylab/', dir: true },
      { name: 'mylab/Dockerfile', data: 'FROM a' },
      { name: 'mylab/k8s/app.yaml', data: 'a: 1' },
      { name: '__MACOSX/mylab/._Dockerfile', data: 'junk' },
    ]);
    expect([...(await unpackArchive(wrapped, DEFAULT_LIMITS)).keys()]).toEqual(['Dockerfile', 'k8s/app.yaml']);
    const flat = await tgzOf([
      { name: 'README.md', data: 'x' },
      { name: 'mylab/Dockerfile', data: 'y' },
    ]);
    expect([...(await unpackArchive(flat, DEFAULT_LIMITS)).keys()]).toEqual(['README.md', 'mylab/Dockerfile']);
  });

  it('reads archives made by the real zip and tar tools', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'intake-cli-'));
    try {
      mkdirSync(join(dir, 'lab/k8s'), { recursive: true });
      writeFileSync(join(dir, 'lab/Dockerfile'), 'FROM busybox\n');
      writeFileSync(join(dir, 'lab/k8s/svc.yml'), 'kind: Service\n');
      execFileSync('zip', ['-qr', 'lab.zip', 'lab'], { cwd: dir });
      execFileSync('tar', ['-czf', 'lab.tgz', 'lab'], { cwd: dir });
      const expected = { Dockerfile: 'FROM busybox\n', 'k8s/svc.yml': 'kind: Service\n' };
      expect(asText(await unpackArchive(readFileSync(join(dir, 'lab.zip')), DEFAULT_LIMITS))).toEqual(expected);
      expect(asText(await unpackArchive(readFileSync(join(dir, 'lab.tgz')), DEFAULT_LIMITS))).toEqual(expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('unpackArchive: archives of "." (tar -C dir -czf work.tgz .)', () => {
  function packDot(tool: (dir: string) => void, out = 'out'): Buffer {
    const dir = mkdtempSync(join(tmpdir(), 'intake-dot-'));
    try {
      mkdirSync(join(dir, 'work/k8s'), { recursive: true });
      writeFileSync(join(dir, 'work/Dockerfile'), 'FROM busybox\n');
      writeFileSync(join(dir, 'work/k8s/svc.yml'), 'kind: Service\n');
      tool(dir);
      return readFileSync(join(dir, out));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const expected = { Dockerfile: 'FROM busybox\n', 'k8s/svc.yml': 'kind: Service\n' };

  it.each([
    ['tar -C work -czf out .', ['-C', 'work', '-czf', 'out', '.']],
    ['tar -C work -cf out .', ['-C', 'work', '-cf', 'out', '.']],
    ['tar -C work -czf out ./Dockerfile ./k8s', ['-C', 'work', '-czf', 'out', './Dockerfile', './k8s']],
  ])('reads what `%s` makes (a "./" entry, ./-prefixed names)', async (_name, args) => {
    const archive = packDot((dir) => execFileSync('tar', args, { cwd: dir }));
    expect(asText(await unpackArchive(archive, DEFAULT_LIMITS))).toEqual(expected);
  });

  it('reads what `cd work && zip -r ../out .` makes', async () => {
    const archive = packDot(
      (dir) => execFileSync('zip', ['-qr', '../out.zip', '.'], { cwd: join(dir, 'work') }),
      'out.zip',
    );
    expect(asText(await unpackArchive(archive, DEFAULT_LIMITS))).toEqual(expected);
  });

  it('takes a "./" folder entry as the root however it is spelt, in tar and zip', async () => {
    const items = [
      { name: './', type: 'directory' as const },
      { name: './/', type: 'directory' as const },
      { name: './Dockerfile', data: 'FROM busybox\n' },
    ];
    expect(asText(await unpackArchive(await tgzOf(items), DEFAULT_LIMITS))).toEqual({ Dockerfile: 'FROM busybox\n' });
    const zip = await zipOf([{ name: 'q', dir: true }, { name: 'Dockerfile', data: 'FROM busybox\n' }]);
    expect(asText(await unpackArchive(patchName(zip, 'q/', './'), DEFAULT_LIMITS))).toEqual({
      Dockerfile: 'FROM busybox\n',
    });
  });

  it('still refuses a "./" that is a file, and ".." behind "./"', async () => {
    expect((await rejection(await tgzOf([{ name: './', data: 'x' }]))).message).toBe('entry "./": empty file name');
    expect((await rejection(await tgzOf([{ name: './../x', data: 'x' }]))).message).toBe(
      'entry "./../x": path leads outside the submission root (..)',
    );
    expect((await rejection(await tgzOf([{ name: './../', type: 'directory' }]))).message).toBe(
      'entry "./../": path leads outside the submission root (..)',
    );
  });
});

describe('unpackArchive: hostile paths and entry types', () => {
  it('rejects ".." in a zip entry', async () => {
    const zip = patchName(await zipOf([{ name: 'xx/evil.sh', data: 'x' }]), 'xx/evil.sh', '../evil.sh');
    const error = await rejection(zip);
    expect([error.status, error.message]).toEqual([422, 'entry "../evil.sh": path leads outside the submission root (..)']);
  });

  it('rejects ".." and absolute paths in a tar', async () => {
    const dotdot = await rejection(await tgzOf([{ name: 'ok', data: '' }, { name: 'a/../../etc/cron.d/x', data: 'x' }]));
    expect(dotdot.message).toBe('entry "a/../../etc/cron.d/x": path leads outside the submission root (..)');
    const absolute = await rejection(await tarOf([{ name: '/etc/passwd', data: 'x' }]));
    expect(absolute.message).toBe('entry "/etc/passwd": absolute paths are not allowed');
  });

  it('rejects an absolute path in a zip', async () => {
    const zip = patchName(await zipOf([{ name: 'xetc/passwd', data: 'x' }]), 'xetc/passwd', '/etc/passwd');
    expect((await rejection(zip)).message).toBe('entry "/etc/passwd": absolute paths are not allowed');
  });

  it('rejects a tar symlink pointing out of the root, and any other symlink', async () => {
    const out = await rejection(await tgzOf([{ name: 'k8s/link', type: 'symlink', linkname: '../../etc/passwd' }]));
    expect(out.message).toBe('entry "k8s/link": symlink points outside the archive root (-> "../../etc/passwd")');
    const abs = await rejection(await tgzOf([{ name: 'link', type: 'symlink', linkname: '/etc/shadow' }]));
    expect(abs.message).toBe('entry "link": symlink points outside the archive root (-> "/etc/shadow")');
    const inside = await rejection(await tgzOf([{ name: 'k8s/link', type: 'symlink', linkname: '../Dockerfile' }]));
    expect(inside.message).toBe('entry "k8s/link": symlink to "../Dockerfile": links are not allowed in a submission');
  });

  it('rejects a zip symlink pointing out of the root', async () => {
    const zip = await zipOf([{ name: 'link', data: '../../../etc/passwd', mode: 0o120777 }]);
    expect((await rejection(zip)).message).toBe(
      'entry "link": symlink points outside the archive root (-> "../../../etc/passwd")',
    );
  });

  it('rejects hardlinks, outside the root or not', async () => {
    const out = await rejection(await tarOf([{ name: 'h', type: 'link', linkname: '../../etc/passwd' }]));
    expect(out.message).toBe('entry "h": hardlink points outside the archive root (-> "../../etc/passwd")');
    const inside = await rejection(
      await tarOf([
        { name: 'Dockerfile', data: 'x' },
        { name: 'copy', type: 'link', linkname: 'Dockerfile' },
      ]),
    );
    expect(inside.message).toBe('entry "copy": hardlink to "Dockerfile": links are not allowed in a submission');
  });

  it('rejects device and fifo entries', async () => {
    const error = await rejection(await tarOf([{ name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3 }]));
    expect(error.message).toBe(
      'entry "dev/null": character-device entries are not allowed in a submission (only regular files and folders)',
    );
    const fifo = await rejection(await zipOf([{ name: 'pipe', data: '', mode: 0o010644 }]));
    expect(fifo.message).toMatch(/^entry "pipe": device, fifo or socket entries are not allowed/);
  });

  it('rejects duplicate entries, also when spelled differently', async () => {
    const tar = await tgzOf([
      { name: 'Dockerfile', data: 'FROM good' },
      { name: './Dockerfile', data: 'FROM evil' },
    ]);
    const error = await rejection(tar);
    expect([error.status, error.message]).toEqual([422, 'entry "Dockerfile": duplicate entry']);
    const zip = await zipOf([
      { name: 'a.txt', data: '1' },
      { name: 'a.txt', data: '2' },
    ]);
    expect((await rejection(zip)).message).toBe('entry "a.txt": duplicate entry');
  });
});

describe('unpackArchive: limits and bombs', () => {
  const zeros = Buffer.alloc(50 * MiB);

  /** Parses "(stopped after N bytes)" so tests can prove how far inflation got. */
  function stoppedAfter(message: string): number {
    const match = /after (\d+) bytes\)/.exec(message);
    if (!match) throw new Error(`no byte count in: ${message}`);
    return Number(match[1]);
  }

  it('stops a zip bomb at the per-file limit without inflating it', async () => {
    const bomb = await zipOf([{ name: 'zeros.bin', data: zeros }]);
    expect(bomb.length).toBeLessThan(MiB); // ~50 KB that would inflate to 50 MB
    const before = process.memoryUsage().arrayBuffers;
    const error = await rejection(bomb);
    expect(error.status).toBe(413);
    expect(error.message).toMatch(/^file "zeros\.bin" exceeds the per-file limit of 5242880 bytes \(stopped after \d+ bytes\)$/);
    const inflated = stoppedAfter(error.message);
    expect(inflated).toBeGreaterThan(5 * MiB);
    expect(inflated).toBeLessThan(5 * MiB + 256 * 1024); // stopped within a chunk or so
    // Nothing near the 50 MB payload was ever held at once.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(20 * MiB);
  });

  it('stops a tar.gz bomb at the total limit', async () => {
    const limits = { ...DEFAULT_LIMITS, maxFileBytes: 40 * MiB, maxTotalBytes: 8 * MiB };
    const bomb = await tgzOf([
      { name: 'a.txt', data: 'hello' },
      { name: 'zeros.bin', data: zeros },
    ]);
    const error = await rejection(bomb, limits);
    expect(error.status).toBe(413);
    expect(error.issues[0]?.file).toBe('zeros.bin');
    expect(error.message).toMatch(/^submission exceeds the total size limit of 8388608 bytes \(stopped at file "zeros\.bin" after \d+ bytes\)$/);
    expect(stoppedAfter(error.message)).toBeLessThan(8 * MiB + 256 * 1024);
  });

  it('stops a gzip of empty tar blocks that never yields an entry', async () => {
    const limits = { ...DEFAULT_LIMITS, maxFiles: 10, maxTotalBytes: MiB };
    const error = await rejection(gzipSync(Buffer.concat([await tarOf([{ name: 'a', data: 'x' }]), zeros])), limits);
    expect(error.status).toBe(413);
    const cap = MiB + 140 * 2048 + MiB;
    expect(error.message).toMatch(new RegExp(`^archive expands beyond ${cap} bytes of tar data \\(stopped after \\d+ bytes\\)$`));
    expect(stoppedAfter(error.message)).toBeLessThan(cap + 256 * 1024);
  });

  it('rejects too many files, naming the first one over the limit', async () => {
    const items = Array.from({ length: 6 }, (_, i) => ({ name: `f${i}.txt`, data: String(i) }));
    const limits = { ...DEFAULT_LIMITS, maxFiles: 5 };
    for (const archive of [await zipOf(items), await tgzOf(items)]) {
      const error = await rejection(archive, limits);
      expect([error.status, error.message]).toEqual([413, 'too many files: more than the limit of 5 (at entry "f5.txt")']);
    }
  });

  it('rejects an upload over maxUploadBytes before reading it', async () => {
    const archive = await tgzOf([{ name: 'a', data: 'x'.repeat(1000) }]);
    const error = await rejection(archive, { ...DEFAULT_LIMITS, maxUploadBytes: 10 });
    expect([error.status, error.message]).toEqual([413, `archive is ${archive.length} bytes, over the upload limit of 10 bytes`]);
  });
});

describe('unpackArchive: not archives and corrupt archives', () => {
  it('rejects unknown formats', async () => {
    const error = await rejection(Buffer.from('FROM alpine\nRUN echo hi\n'));
    expect([error.status, error.message]).toEqual([422, 'not a zip or tar.gz archive (unrecognized file signature)']);
  });

  it('rejects a zip whose central directory is cut off', async () => {
    const zip = await zipOf([{ name: 'Dockerfile', data: 'FROM alpine\n'.repeat(100) }]);
    const error = await rejection(zip.subarray(0, zip.length - 30));
    expect(error.status).toBe(422);
    expect(error.message).toMatch(/^corrupt zip archive: /);
  });

  it('rejects a zip with damaged compressed data, naming the entry', async () => {
    const text = Array.from({ length: 5000 }, (_, i) => `RUN echo ${i * 7919}`).join('\n');
    const zip = await zipOf([{ name: 'Dockerfile', data: text }]);
    expect(zip.length).toBeGreaterThan(2000);
    const damaged = Buffer.from(zip);
    damaged.fill(0xff, 200, 300); // inside the deflate stream of the only entry
    const error = await rejection(damaged);
    expect(error.message).toMatch(/^corrupt zip archive: entry "Dockerfile": /);
  });

  it('rejects a truncated tar.gz', async () => {
    const tgz = await tgzOf([{ name: 'big.txt', data: Buffer.from(Array.from({ length: 20000 }, (_, i) => i).join(',')) }]);
    const error = await rejection(tgz.subarray(0, Math.floor(tgz.length / 2)));
    expect(error.status).toBe(422);
    expect(error.message).toMatch(/^corrupt tar\.gz archive: (entry "big\.txt": )?.*(unexpected end|truncated)/i);
  });

  it('rejects gzip data that is not a tar', async () => {
    const error = await rejection(gzipSync(Buffer.from('just some text, not a tarball'.repeat(30))));
    expect(error.message).toMatch(/^corrupt tar\.gz archive: .*tar header/i);
  });

  it('rejects an empty archive', async () => {
    expect((await rejection(await zipOf([{ name: 'only/', dir: true }]))).message).toBe('archive contains no files');
  });
});
