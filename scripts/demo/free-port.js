import { createServer } from 'node:net';

function tryListen(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address();
      server.close(() => resolve(bound));
    });
  });
}

/** `preferred` when it is free on 127.0.0.1 (a stable URL to open), else any free port. */
export async function freePort(preferred) {
  return (await tryListen(preferred)) ?? (await tryListen(0));
}
