import { LineSplitter, parseProbeLine, probeCommand, succeeded, type ProbeLine } from './output';

const line: ProbeLine = { seq: 3, start: '2026-12-01T14:00:00.1Z', offsetMs: 300.5, latencyMs: 2.1, status: 200, bytes: 12, sha256: '0123456789abcdef', body: 'hello', server: 'web-1' };
const summary = { sent: 4, ok: 3, failed: 1, errors: 1, statuses: { '200': 3 }, distinctBodies: 2, servers: { 'web-1': 2, 'web-2': 1 }, marks: {}, latencyMs: { p50: 1, p95: 2, max: 3 }, durationMs: 400, rate: 10 };

describe('probeCommand', () => {
  test('get: every flag and value its own word, nothing for a shell', () => {
    expect(probeCommand({ url: 'http://web:80/a b', host: 'shop.kadai-a-1.kadai.invalid', headers: { 'X-A': '1; rm -rf /' }, timeoutMs: 1500, bodyBytes: 64, marks: ['v1', 'v2'] })).toEqual([
      '/probe', 'get', '-url', 'http://web:80/a b', '-host', 'shop.kadai-a-1.kadai.invalid', '-H', 'X-A: 1; rm -rf /', '-timeout', '1500ms', '-body-bytes', '64', '-mark', 'v1', '-mark', 'v2',
    ]);
  });

  test('run: rate, duration or count, stop on stdin EOF', () => {
    expect(probeCommand({ url: 'http://web/', rate: 20, durationMs: 90_000, stopOnEof: true }, 'run')).toEqual(['/probe', 'run', '-url', 'http://web/', '-rate', '20', '-duration', '90000ms', '-stop-on-eof']);
    expect(probeCommand({ url: 'http://web/', count: 30 }, 'run')).toEqual(['/probe', 'run', '-url', 'http://web/', '-count', '30']);
    expect(() => probeCommand({ url: 'http://web/' }, 'run')).toThrow(/duration or a count/);
  });
});

describe('parseProbeLine', () => {
  test('a request line, the summary, and anything else', () => {
    expect(parseProbeLine(JSON.stringify(line))).toEqual({ request: line });
    expect(parseProbeLine(JSON.stringify({ summary }))).toEqual({ summary });
    expect(parseProbeLine('probe: -url is required')).toEqual({ other: 'probe: -url is required' });
    expect(parseProbeLine('{"seq":"x"}')).toEqual({ other: '{"seq":"x"}' });
  });

  test('fields the probe adds later are tolerated', () => {
    expect(parseProbeLine(JSON.stringify({ ...line, future: 1 }))).toEqual({ request: line });
  });
});

test('succeeded: answered below 400 without an error', () => {
  expect(succeeded(line)).toBe(true);
  expect(succeeded({ ...line, status: 302 })).toBe(true);
  expect(succeeded({ ...line, status: 503 })).toBe(false);
  expect(succeeded({ ...line, status: 0, error: 'connection refused: …' })).toBe(false);
  expect(succeeded({ ...line, error: 'reading the body: connection reset' })).toBe(false);
});

test('LineSplitter joins lines split across chunks and skips blank ones', () => {
  const lines: string[] = [];
  const s = new LineSplitter((l) => lines.push(l));
  s.push('{"a":');
  s.push('1}\n\n{"b"');
  s.push(':2}\n{"c":3}');
  expect(lines).toEqual(['{"a":1}', '{"b":2}']);
  s.flush();
  expect(lines).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
});
