// Free loopback ports and X display numbers. Several test files (and other people's test runs on
// the same machine) start peers at once, so nothing here is a reservation: callers must retry when
// the peer fails to bind. The in-process sets only stop this process from handing out a number twice.
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';

const handedOutPorts = new Set<number>();
const handedOutDisplays = new Set<number>();

/** A TCP port on 127.0.0.1 that nothing listens on right now (the kernel picks it). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.unref();
      server.once('error', reject);
      server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
        const address = server.address();
        const chosen = typeof address === 'object' && address ? address.port : 0;
        server.close(() => resolve(chosen));
      });
    });
    if (port > 0 && !handedOutPorts.has(port)) {
      handedOutPorts.add(port);
      return port;
    }
  }
  throw new Error('freePort: the kernel kept returning ports this process already handed out');
}

/** True when an X server holds display :n (lock file or socket present). */
export function displayInUse(n: number): boolean {
  return existsSync(`/tmp/.X${n}-lock`) || existsSync(`/tmp/.X11-unix/X${n}`);
}

/**
 * A display number no X server uses. Starts from a random point in [100, 900) so that parallel
 * test workers rarely pick the same number, and stays clear of the low numbers people use.
 */
export function freeDisplayNumber(): number {
  const first = 100 + Math.floor(Math.random() * 800);
  for (let i = 0; i < 800; i++) {
    const n = 100 + ((first - 100 + i) % 800);
    if (!handedOutDisplays.has(n) && !displayInUse(n)) {
      handedOutDisplays.add(n);
      return n;
    }
  }
  throw new Error('freeDisplayNumber: displays :100 to :899 are all in use (stale /tmp/.X*-lock files?)');
}
