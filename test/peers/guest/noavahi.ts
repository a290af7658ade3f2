// The one-function library the guest's spice-webdavd is started with (LD_PRELOAD). spice-webdavd
// announces its port through Avahi and exits ("Failed to create avahi client: Daemon not
// running") when no avahi-daemon runs; the test guest has no D-Bus and no Avahi. Making
// ga_client_start (libavahi-gobject) report success is enough: the daemon then waits for a client
// state change that never comes, and serves its port meanwhile. Compiled with gcc once per source
// text, cached beside the guest images.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireTool } from '../require-tool.ts';
import { guestCacheDir } from './image.ts';

const NOAVAHI_SOURCE = `/* Avahi's client "started" without a daemon: see test/peers/guest/noavahi.ts. */
int ga_client_start(void *client, void **error) { (void)client; (void)error; return 1; }
`;

/** The compiled shim's bytes (built on first use, then from the cache). */
export function noAvahiShim(): Buffer {
  const key = createHash('sha256').update(NOAVAHI_SOURCE).digest('hex').slice(0, 16);
  const dir = guestCacheDir();
  const library = join(dir, `noavahi-${key}.so`);
  if (!existsSync(library)) {
    mkdirSync(dir, { recursive: true });
    const temp = `${library}.${process.pid}-${randomBytes(4).toString('hex')}`;
    const source = `${temp}.c`;
    writeFileSync(source, NOAVAHI_SOURCE);
    try {
      execFileSync(requireTool('gcc', 'gcc'), ['-shared', '-fPIC', '-O2', '-o', temp, source], { stdio: ['ignore', 'pipe', 'pipe'] });
      renameSync(temp, library);
    } finally {
      rmSync(source, { force: true });
      rmSync(temp, { force: true });
    }
  }
  return readFileSync(library);
}
