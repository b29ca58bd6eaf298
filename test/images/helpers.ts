import { execFile } from 'child_process';
import { promisify } from 'util';
import * as net from 'net';
import * as path from 'path';

const execFileP = promisify(execFile);

export const REPO = path.resolve(__dirname, '../..');
export const REGISTRY = `127.0.0.1:${process.env.KADAI_REGISTRY_PORT ?? '5000'}`;
export const DOCKER = process.env.DOCKER ?? 'docker';
/** kadai's own engine (infra/docker/engine.sh); the tests never use the machine's own Docker. */
export const DOCKER_HOST = process.env.DOCKER_HOST ?? 'unix:///run/kadai/docker.sock';

export async function sh(
  cmd: string,
  args: string[],
  opts: { timeoutMs?: number; input?: string } = {},
): Promise<{ stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileP(cmd, args, {
      timeout: opts.timeoutMs ?? 60000,
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, DOCKER_HOST },
    });
    return { stdout, stderr };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  }
}

export async function docker(args: string[], timeoutMs = 60000): Promise<string> {
  return (await sh(DOCKER, args, { timeoutMs })).stdout.trim();
}

const started: string[] = [];
let seq = 0;

/** docker run -d with a published port on 127.0.0.1; returns the container id and the host port. */
export async function runDetached(
  image: string,
  containerPort: number,
  extra: string[] = [],
  cmd: string[] = [],
): Promise<{ id: string; port: number }> {
  const name = `kadai-imgtest-${process.pid}-${++seq}`;
  const id = await docker(['run', '-d', '--name', name, '-p', `127.0.0.1::${containerPort}`, ...extra, image, ...cmd]);
  started.push(id);
  const mapping = await docker(['port', id, `${containerPort}/tcp`]);
  const port = Number(mapping.split('\n')[0]!.split(':').pop());
  return { id, port };
}

/** docker run --rm image cmd...; returns stdout. */
export async function runOnce(image: string, cmd: string[], extra: string[] = [], timeoutMs = 60000): Promise<string> {
  return docker(['run', '--rm', ...extra, image, ...cmd], timeoutMs);
}

export async function removeStarted(): Promise<void> {
  while (started.length > 0) {
    const id = started.pop() as string;
    await sh(DOCKER, ['rm', '-f', id]).catch(() => undefined);
  }
}

/** GET with retries until the server answers (containers need a moment to start). */
export async function httpGet(
  url: string,
  init: RequestInit = {},
  deadlineMs = 20000,
): Promise<{ status: number; headers: Headers; body: string }> {
  const until = Date.now() + deadlineMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
      return { status: res.status, headers: res.headers, body: await res.text() };
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`no answer from ${url}: ${String(last)}`);
}

/** Send one raw line to a TCP server and return the first reply line (retries until deadline). */
export async function tcpRequest(port: number, line: string, deadlineMs = 20000): Promise<string> {
  const until = Date.now() + deadlineMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      return await new Promise<string>((resolve, reject) => {
        const s = net.connect(port, '127.0.0.1');
        let buf = '';
        s.setTimeout(3000, () => { s.destroy(); reject(new Error('timeout')); });
        s.on('connect', () => s.write(line));
        s.on('data', (d) => {
          buf += d.toString();
          if (buf.includes('\r\n')) { s.end(); resolve(buf.split('\r\n')[0]!); }
        });
        s.on('error', reject);
        s.on('close', () => { if (!buf) reject(new Error('closed without reply')); });
      });
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  throw new Error(`no reply on port ${port}: ${String(last)}`);
}
