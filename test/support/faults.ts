import { KADAI_ENGINE_SOCKET } from '@kadai/grader-docker';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import path from 'node:path';

// Faults injected for one test only, so tests sharing this machine's engine and registry are not
// disturbed: a proxy in front of the engine's socket that the test can cut, and a registry of the
// test's own (the real distribution binary kadai's registry runs) behind a proxy that dies mid-pull.

/** A proxy between a listener and an upstream; `cut()` closes the listener and every connection. */
class Proxy {
  private readonly sockets = new Set<Socket>();
  private server?: Server;
  /** Bytes sent from upstream to clients so far. */
  downstreamBytes = 0;
  private onBytes?: (total: number) => void;

  constructor(private readonly upstream: () => Socket) {}

  async listen(where: string | number): Promise<void> {
    this.server = createServer((client) => {
      const up = this.upstream();
      for (const s of [client, up]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => [client, up].forEach((x) => x.destroy()));
      }
      up.on('data', (chunk: Buffer) => {
        this.downstreamBytes += chunk.length;
        this.onBytes?.(this.downstreamBytes);
      });
      client.pipe(up).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      if (typeof where === 'number') this.server!.listen(where, '127.0.0.1', resolve);
      else this.server!.listen(where, resolve);
    });
  }

  /** Calls `then` once, as soon as more than `bytes` went downstream (in the middle of a transfer). */
  whenPast(bytes: number, then: () => void): void {
    this.onBytes = (total) => {
      if (total <= bytes) return;
      this.onBytes = undefined;
      then();
    };
  }

  cut(): void {
    this.server?.close();
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
  }
}

/** A Unix socket at `socketPath` that forwards to the engine's socket until cut: the engine gone, for one worker only. */
export async function engineProxy(socketPath: string, engineSocket = KADAI_ENGINE_SOCKET): Promise<Proxy> {
  const proxy = new Proxy(() => connect(engineSocket));
  await proxy.listen(socketPath);
  return proxy;
}

export interface TestRegistry {
  /** Where the registry itself listens (push here). */
  direct: string;
  /** The proxy in front of it (the worker pulls here). */
  proxied: string;
  proxy: Proxy;
  /** Stops the registry process and cuts the proxy: the registry is down. */
  stop(): void;
}

function registryBinary(): string {
  const bin = path.join(process.env.KADAI_IMAGES_CACHE ?? '/var/cache/kadai/images', 'bin');
  const version = readdirSync(bin).find((d) => d.startsWith('registry-'));
  if (!version) throw new Error(`no registry binary under ${bin}: run infra/images/up`);
  return path.join(bin, version, 'registry');
}

/** Starts a real registry (the binary infra/images builds) on `port`, with a proxy on `proxyPort` in front. */
export async function startTestRegistry(dir: string, port: number, proxyPort: number): Promise<TestRegistry> {
  mkdirSync(path.join(dir, 'data'), { recursive: true });
  const config = path.join(dir, 'config.yml');
  writeFileSync(config, `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n`);
  const child: ChildProcess = spawn(registryBinary(), ['serve', config], { stdio: 'ignore', env: { ...process.env, OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' } });
  const direct = `127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  while (!(await fetch(`http://${direct}/v2/`).then((r) => r.ok, () => false))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('the test registry did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const proxy = new Proxy(() => connect(port, '127.0.0.1'));
  await proxy.listen(proxyPort);
  return {
    direct,
    proxied: `127.0.0.1:${proxyPort}`,
    proxy,
    stop: () => {
      child.kill('SIGKILL');
      proxy.cut();
    },
  };
}
