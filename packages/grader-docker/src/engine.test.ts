import { engineFailure, engineMessage, studentCause } from './engine';

/** An error shaped as docker-modem makes it for an HTTP answer of the engine. */
const answered = (statusCode: number, reason: string, message: string) => Object.assign(new Error(`(HTTP code ${statusCode}) ${reason} - ${message}`), { statusCode, json: { message } });
const socket = (code: string) => Object.assign(new Error(`connect ${code} /var/run/docker.sock`), { code });

describe('engineMessage', () => {
  it("keeps the daemon's words", () => {
    expect(engineMessage(new Error('(HTTP code 400) unexpected - dockerfile parse error line 2: unknown instruction: FOO '))).toBe('dockerfile parse error line 2: unknown instruction: FOO');
    expect(engineMessage(new Error('(HTTP code 404) no such container - No such image: x'))).toBe('No such image: x');
  });
});

describe('engineFailure: retried only when trying again can fix it', () => {
  const retryable = (error: unknown) => engineFailure('create container', error).retryable;

  it.each([
    [500, 'server error', 'containerd: connection refused', true],
    [502, 'bad gateway', 'proxy in front of the engine failed', true],
    [503, 'unavailable', 'daemon shutting down', true],
    [501, 'not implemented', 'this engine has no such feature', false],
    [404, 'no such network', 'network kd-abc not found (the reaper removed it)', true],
    [409, 'conflict', 'removal of container kadai-x is already in progress', true],
    [408, 'timeout', 'request timed out', true],
    [429, 'too many requests', 'toomanyrequests: pull rate limit', true],
    [400, 'bad parameter', 'invalid JSON kadai built', false],
    [401, 'unauthorized', 'authorization plugin refused kadai', false],
    [403, 'forbidden', 'authorization denied by plugin', false],
    [405, 'method not allowed', 'wrong API version', false],
  ])('HTTP %i (%s) → retryable %s', (status, reason, message, expected) => {
    expect(retryable(answered(status, reason, message))).toBe(expected);
  });

  it('retries a socket that is down or reset, not a socket kadai may not open', () => {
    expect(retryable(socket('ECONNREFUSED'))).toBe(true);
    expect(retryable(socket('ECONNRESET'))).toBe(true);
    expect(retryable(socket('ENOENT'))).toBe(true); // the engine not started yet
    expect(retryable(socket('ENOSPC'))).toBe(false);
  });

  it('retries a failure it knows nothing about', () => {
    expect(retryable(new Error('something odd'))).toBe(true);
    expect(engineFailure('start container', answered(403, 'forbidden', 'denied'))).toMatchObject({ kind: 'infrastructure', message: 'docker engine: start container: (HTTP code 403) forbidden - denied' });
  });
});

describe("studentCause: only the student's 4xx", () => {
  it.each([
    ['create', 400, 'invalid reference format: repository name must be lowercase', 'invalid reference format: repository name must be lowercase'],
    ['create', 404, 'No such image: ngnix:latest', 'No such image: ngnix:latest'],
    ['create', 404, 'network kd-abc not found', undefined],
    ['create', 409, 'Conflict. The container name "/kadai-x" is already in use', undefined],
    ['create', 403, 'authorization denied by plugin', undefined],
    ['start', 400, 'OCI runtime create failed: exec: "pyhton": executable file not found in $PATH: unknown', 'OCI runtime create failed: exec: "pyhton": executable file not found in $PATH: unknown'],
    ['start', 404, 'No such container: 1234', undefined],
    ['start', 500, 'containerd: shim died', undefined],
  ] as const)('%s, HTTP %i %s → %s', (call, status, message, expected) => {
    expect(studentCause(call, answered(status, 'x', message))).toBe(expected);
  });

  it('is not the student on a socket failure', () => {
    expect(studentCause('create', socket('ECONNREFUSED'))).toBeUndefined();
  });
});
