import { createServer, connect, type Server, type Socket } from 'node:net';

/** Ports of this process's proxies: two attempts graded side by side never get the same one. */
const taken = new Set<number>();

function listen(server: Server, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const onError = () => resolve(false);
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve(true);
    });
  });
}

export interface PortProxy {
  port: number;
  close(): Promise<void>;
}

/**
 * Listens on a host port from kadai's range and forwards each connection to a container's address on
 * the attempt's internal network (which publishes nothing itself: an internal network has no port
 * mappings and no egress). The student's declared host port is checked as data and never bound.
 */
export async function openProxy(range: { from: number; to: number }, target: () => Promise<{ host: string; port: number }>): Promise<PortProxy> {
  const span = range.to - range.from + 1;
  const offset = Math.floor(Math.random() * span);
  for (let i = 0; i < span; i++) {
    const port = range.from + ((offset + i) % span);
    if (taken.has(port)) continue;
    taken.add(port);
    const sockets = new Set<Socket>();
    const server = createServer((client) => {
      sockets.add(client);
      client.on('close', () => sockets.delete(client));
      client.on('error', () => client.destroy());
      target().then(
        ({ host, port: to }) => {
          const upstream = connect(to, host);
          upstream.on('error', () => client.destroy());
          client.pipe(upstream).pipe(client);
          client.on('close', () => upstream.destroy());
        },
        () => client.destroy(),
      );
    });
    if (await listen(server, port)) {
      return {
        port,
        close: () =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            for (const socket of sockets) socket.destroy();
            taken.delete(port);
          }),
      };
    }
    taken.delete(port);
  }
  throw new Error(`no free port in ${range.from}-${range.to}`);
}
