import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RejectedInputError } from '@kadai/errors';
import { DEFAULT_LIMITS, type IntakeLimits } from './limits';
import { parseMultipart, type MultipartResult } from './multipart';

const BOUNDARY = 'kadai-test-boundary';

interface Outcome {
  result?: MultipartResult;
  error?: RejectedInputError;
  /** Request bytes the server had read off the socket when parseMultipart settled. */
  bytesRead: number;
}

let server: Server;
let limits: IntakeLimits = DEFAULT_LIMITS;
let outcome: Promise<Outcome>;
let report: (o: Outcome) => void;

beforeAll(async () => {
  server = createServer((req, res) => {
    parseMultipart(req, limits).then(
      (result) => {
        report({ result, bytesRead: req.socket.bytesRead });
        res.end('ok');
      },
      (error: RejectedInputError) => {
        report({ error, bytesRead: req.socket.bytesRead });
        res.writeHead(error.status, { connection: 'close' });
        res.end(error.message);
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  limits = DEFAULT_LIMITS;
  outcome = new Promise((resolve) => (report = resolve));
});

function part(name: string, value: string | Buffer, filename?: string): Buffer {
  const disposition = `form-data; name="${name}"${filename ? `; filename="${filename}"` : ''}`;
  const type = filename ? 'Content-Type: application/octet-stream\r\n' : '';
  return Buffer.concat([
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`),
    Buffer.from(value),
    Buffer.from('\r\n'),
  ]);
}

function body(...parts: Buffer[]): Buffer {
  return Buffer.concat([...parts, Buffer.from(`--${BOUNDARY}--\r\n`)]);
}

/**
 * Sends a raw body; resolves with the HTTP status, or 0 when the server cut the connection
 * while we were still sending (expected for oversize uploads).
 */
function send(data: Buffer, headers: Record<string, string>, chunked = false): Promise<number> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    if (chunked) {
      for (let at = 0; at < data.length; at += 64 * 1024) req.write(data.subarray(at, at + 64 * 1024));
      req.end();
    } else req.end(data);
  });
}

const multipartHeaders = (data: Buffer): Record<string, string> => ({
  'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
  'content-length': String(data.length),
});

describe('parseMultipart', () => {
  it('returns string fields and the one file', async () => {
    const archive = Buffer.from([0x1f, 0x8b, 0, 1, 2, 0xff, 13, 10]);
    const data = body(part('lab', 'docker-101'), part('archive', archive, 'lab.tar.gz'), part('note', 'ü'));
    expect(await send(data, multipartHeaders(data))).toBe(200);
    const { result, error } = await outcome;
    expect(error).toBeUndefined();
    expect(result?.fields).toEqual({ lab: 'docker-101', note: 'ü' });
    expect(result?.file).toEqual({ field: 'archive', filename: 'lab.tar.gz', data: archive });
  });

  it('returns fields alone when no file is sent', async () => {
    const data = body(part('lab', 'k8s-1'));
    expect(await send(data, multipartHeaders(data))).toBe(200);
    expect((await outcome).result).toEqual({ fields: { lab: 'k8s-1' } });
  });

  it('rejects a declared oversize upload with 413 before reading it', async () => {
    limits = { ...DEFAULT_LIMITS, maxUploadBytes: 1000 };
    const data = body(part('archive', Buffer.alloc(5000), 'a.zip'));
    await send(data, multipartHeaders(data));
    const { error } = await outcome;
    expect([error?.status, error?.message]).toEqual([413, `upload is ${data.length} bytes, over the limit of 1000 bytes`]);
  });

  it('stops reading a chunked oversize upload with 413', async () => {
    limits = { ...DEFAULT_LIMITS, maxUploadBytes: 64 * 1024 };
    const data = body(part('archive', Buffer.alloc(8 * 1024 * 1024, 7), 'a.zip'));
    const status = await send(data, { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` }, true);
    expect([413, 0]).toContain(status);
    const { error, bytesRead } = await outcome;
    expect(error?.status).toBe(413);
    expect(error?.message).toMatch(/exceeds the limit of 65536 bytes/);
    // Far less than the 8 MiB sent: reading stopped near the limit.
    expect(bytesRead).toBeLessThan(1024 * 1024);
  });

  it('rejects a body without a boundary', async () => {
    const data = body(part('lab', 'x'));
    await send(data, { 'content-type': 'multipart/form-data', 'content-length': String(data.length) });
    const { error } = await outcome;
    expect([error?.status, error?.message]).toEqual([422, 'malformed multipart body: Multipart: Boundary not found']);
  });

  it('rejects a non-multipart content type', async () => {
    const data = Buffer.from('{"a":1}');
    await send(data, { 'content-type': 'application/json', 'content-length': String(data.length) });
    const { error } = await outcome;
    expect([error?.status, error?.message]).toEqual([422, 'malformed multipart body: Unsupported content type: application/json']);
  });

  it('rejects a truncated body', async () => {
    const data = part('archive', Buffer.from('PK partial'), 'a.zip').subarray(0, 80); // no closing boundary
    await send(data, multipartHeaders(data));
    const { error } = await outcome;
    expect([error?.status, error?.message]).toEqual([422, 'malformed multipart body: Unexpected end of form']);
  });

  it('rejects more than one file', async () => {
    const data = body(part('a', 'x', 'one.zip'), part('b', 'y', 'two.zip'));
    await send(data, multipartHeaders(data));
    const { error } = await outcome;
    expect([error?.status, error?.message]).toEqual([
      422,
      'more than one file in the upload (second file: field "b", "two.zip")',
    ]);
  });
});
