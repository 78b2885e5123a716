import { createServer, type AddressInfo } from 'node:net';
import { freePort as anyFreePort } from '@ork/shared';

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
 * demo), else any (the library's own `freePort`). Tests pass PORT=0 instead; this is for a
 * process that must be told its port (the bench's API logs its port only at info level).
 */
export async function freePort(preferred = 0): Promise<number> {
  if (preferred !== 0) {
    const port = await tryListen(preferred);
    if (port !== undefined) return port;
  }
  return anyFreePort();
}
