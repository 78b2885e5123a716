import { createServer, type AddressInfo } from 'node:net';

function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as AddressInfo;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * A TCP port free a moment ago on 127.0.0.1: `preferred` when it is free (a stable URL for the
 * demo), else any. Tests pass PORT=0 instead; this is for a process that must be told its port.
 */
export async function freePort(preferred = 0): Promise<number> {
  const port = (await tryListen(preferred)) ?? (await tryListen(0));
  if (port === undefined) throw new Error('no free TCP port on 127.0.0.1');
  return port;
}
