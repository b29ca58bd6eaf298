import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { RejectedInputError } from '@kadai/errors';
import { tooLarge, type IntakeLimits } from './limits';

export interface MultipartResult {
  fields: Record<string, string>;
  file?: { field: string; filename: string; data: Buffer };
}

const MAX_FIELDS = 50;
const MAX_FIELD_BYTES = 64 * 1024;

function malformed(detail: string): RejectedInputError {
  const message = `malformed multipart body: ${detail}`;
  return new RejectedInputError(message, [{ message }], 422);
}

/**
 * Reads a multipart/form-data upload: string fields plus at most one file (the archive).
 *
 * On any rejection the request is unpiped and paused, so nothing more is read or buffered; the
 * HTTP layer should answer with `Connection: close` so the client stops sending.
 */
export function parseMultipart(req: IncomingMessage, limits: IntakeLimits): Promise<MultipartResult> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limits.maxUploadBytes) {
      // Refused before reading a single byte.
      reject(tooLarge(`upload is ${declared} bytes, over the limit of ${limits.maxUploadBytes} bytes`));
      return;
    }

    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: req.headers,
        limits: { fileSize: limits.maxUploadBytes, fields: MAX_FIELDS, fieldSize: MAX_FIELD_BYTES, parts: MAX_FIELDS + 2 },
      });
    } catch (error) {
      // Missing/unsupported Content-Type or no boundary.
      reject(malformed((error as Error).message));
      return;
    }

    const fields: Record<string, string> = Object.create(null) as Record<string, string>;
    let file: MultipartResult['file'];
    let fileSeen = false;
    let received = 0;
    let settled = false;

    const fail = (error: RejectedInputError): void => {
      if (settled) return;
      settled = true;
      req.off('data', count);
      req.unpipe(bb);
      req.pause();
      bb.removeAllListeners();
      bb.on('error', () => undefined); // late parser errors after rejection are irrelevant
      reject(error);
    };

    // Chunked bodies have no Content-Length; count what actually arrives.
    const count = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > limits.maxUploadBytes) {
        fail(tooLarge(`upload exceeds the limit of ${limits.maxUploadBytes} bytes (stopped after ${received} bytes)`));
      }
    };

    bb.on('field', (name, value, info) => {
      if (info.valueTruncated) {
        fail(tooLarge(`form field "${name}" exceeds ${MAX_FIELD_BYTES} bytes`));
        return;
      }
      fields[name] = value;
    });
    bb.on('file', (field, stream, info) => {
      if (fileSeen) {
        stream.resume();
        const message = `more than one file in the upload (second file: field "${field}", "${info.filename}")`;
        fail(new RejectedInputError(message, [{ field, message }], 422));
        return;
      }
      fileSeen = true;
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => {
        fail(tooLarge(`uploaded file "${info.filename}" exceeds the limit of ${limits.maxUploadBytes} bytes`));
      });
      // 'end' (all data consumed) precedes busboy's own 'close', which resolves the promise.
      stream.on('end', () => {
        if (!settled) file = { field, filename: info.filename ?? '', data: Buffer.concat(chunks) };
      });
    });
    bb.on('fieldsLimit', () => fail(tooLarge(`too many form fields (more than ${MAX_FIELDS})`)));
    bb.on('partsLimit', () => fail(tooLarge(`too many form parts (more than ${MAX_FIELDS + 2})`)));
    bb.on('error', (error: Error) => fail(malformed(error.message)));
    bb.on('close', () => {
      if (settled) return;
      settled = true;
      resolve(file ? { fields, file } : { fields });
    });
    req.on('aborted', () => fail(malformed('request aborted before the body was complete')));
    req.on('error', (error: Error) => fail(malformed(error.message)));

    req.on('data', count);
    req.pipe(bb);
  });
}
