// Folder sharing against a real guest (test/peers/guest.ts with the `webdav` device set): QEMU's
// org.spice-space.webdav.0 port, spice-webdavd in the guest muxing its local TCP port onto it, and
// curl in the guest speaking WebDAV through it to the server spicedesk runs on a host folder
// (`spicedesk do TARGET wait N --spice-shared-dir DIR` keeps a session open). The guest lists,
// reads, writes, renames and deletes; the host folder is checked byte for byte after each. Then
// read-only mode, escape attempts from the guest, and spice-gtk as the oracle: spicy sharing the
// same folder with the same guest lists it the same way. One guest boot for the file.
import { parseByteranges } from '../helpers/byteranges.ts';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGuest, type Guest } from '../peers/guest.ts';
import { GUEST_WEBDAV_PORT } from '../peers/guest/devices.ts';
import { shellQuote } from '../peers/guest/console.ts';
import { spawnGroup, type GroupProcess } from '../peers/processes.ts';
import { requireTool } from '../peers/require-tool.ts';
import { BIN } from '../helpers/cli.ts';

const BOOT_TIMEOUT_MS = 180_000;
const DAV = `http://127.0.0.1:${GUEST_WEBDAV_PORT}`;

const work = mkdtempSync(join(tmpdir(), 'spicedesk-webdav-guest-'));
const share = join(work, 'share');
const hostFile = randomBytes(48 * 1024 + 7);
let guest: Guest;

beforeAll(async () => {
  mkdirSync(join(share, 'docs'), { recursive: true });
  writeFileSync(join(share, 'hello.txt'), 'hello from the host\n');
  writeFileSync(join(share, 'random.bin'), hostFile);
  writeFileSync(join(share, 'docs', 'inside.txt'), 'in a sub-folder\n');
  writeFileSync(join(work, 'secret.txt'), 'outside the share\n');
  guest = await startGuest({ devices: ['webdav'], bootTimeoutMs: BOOT_TIMEOUT_MS });
  console.log(`webdav guest: booted in ${guest.bootMs} ms`);
  const daemon = await guest.run('pidof spice-webdavd; cat /tmp/webdavd.log');
  expect(daemon.status, `spice-webdavd is not running in the guest: ${daemon.output}`).toBe(0);
}, BOOT_TIMEOUT_MS + 30_000);
afterAll(async () => {
  await guest?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** A client sharing `dir` with the guest until stopped. */
interface Sharer {
  process: GroupProcess;
  stop(): Promise<void>;
}

/** `spicedesk do TARGET wait 600 --spice-shared-dir DIR`: a session that shares DIR while it waits. */
function shareWithSpicedesk(dir: string, readOnly = false): Sharer {
  const args = [BIN, 'do', `spice://127.0.0.1:${guest.port}`, 'wait', '600', '--spice-shared-dir', dir, ...(readOnly ? ['--spice-shared-dir-ro'] : []), '--timeout', '20'];
  const process_ = spawnGroup(process.execPath, args, { name: 'spicedesk do wait', env: { ...process.env, SPICE_PASSWORD: undefined } });
  return { process: process_, stop: () => process_.stop() };
}

/** spice-gtk: spicy in an Xvfb, sharing `dir` (its phodav server). */
function shareWithSpicy(dir: string): Sharer {
  const spicy = requireTool('spicy', 'spice-client-gtk');
  const xvfbRun = requireTool('xvfb-run', 'xvfb');
  const p = spawnGroup(xvfbRun, ['-a', spicy, '-h', '127.0.0.1', '-p', String(guest.port), `--spice-shared-dir=${dir}`], { name: 'spicy' });
  return { process: p, stop: () => p.stop() };
}

interface CurlResult {
  status: number;
  body: string;
}

/** curl in the guest against spice-webdavd's port: the HTTP status and the body. */
async function curl(method: string, path: string, options: { headers?: string[]; upload?: string; timeoutS?: number } = {}): Promise<CurlResult> {
  const args = ['-s', '--path-as-is', '-m', String(options.timeoutS ?? 15), '-o', '/tmp/curl.body', '-w', '%{http_code}', '-X', method];
  for (const h of options.headers ?? []) args.push('-H', h);
  if (options.upload) args.push('-T', options.upload);
  const r = await guest.run(`curl ${args.map(shellQuote).join(' ')} ${shellQuote(DAV + path)}; echo; cat /tmp/curl.body`, { timeoutMs: 30_000 });
  const newline = r.output.indexOf('\n');
  return { status: Number(r.output.slice(0, newline)), body: r.output.slice(newline + 1) };
}

/** Waits (in the guest, polling its own daemon) until the shared folder answers a PROPFIND. */
async function waitForShare(sharer: Sharer): Promise<void> {
  const probe = `curl -s -m 3 -o /dev/null -w '%{http_code}' -X PROPFIND -H 'Depth: 0' ${DAV}/`;
  const r = await guest.run(`i=0; while [ $i -lt 90 ]; do [ "$(${probe})" = 207 ] && exit 0; i=$((i+1)); usleep 300000; done; exit 1`, { timeoutMs: 400_000 });
  if (r.status !== 0) throw new Error(`the shared folder never answered in the guest; the client's output:\n${sharer.process.outputTail()}\nwebdavd: ${(await guest.run('cat /tmp/webdavd.log')).output}`);
}

/** The names and sizes a Depth 1 PROPFIND lists (collections end with /, the folder itself left out). */
function listing(xml: string): Map<string, number | 'collection'> {
  const entries = new Map<string, number | 'collection'>();
  for (const m of xml.matchAll(/<(?:\w+:)?response\b[\s\S]*?<\/(?:\w+:)?response>/g)) {
    const response = m[0];
    const href = decodeURIComponent(/<(?:\w+:)?href>([^<]*)</.exec(response)?.[1] ?? '').replace(/^https?:\/\/[^/]+/, '');
    if (href === '/' || href === '') continue;
    const name = href.replace(/^\//, '');
    const collection = /<(?:\w+:)?collection\s*\/>/.test(response);
    const size = /<(?:\w+:)?getcontentlength>(\d+)</.exec(response)?.[1];
    entries.set(collection ? name.replace(/\/?$/, '/') : name, collection ? 'collection' : Number(size));
  }
  return entries;
}

/** The host folder as the same map. */
function hostListing(dir: string): Map<string, number | 'collection'> {
  return new Map(
    readdirSync(dir, { withFileTypes: true }).map((e): [string, number | 'collection'] => (e.isDirectory() ? [`${e.name}/`, 'collection'] : [e.name, statSync(join(dir, e.name)).size])),
  );
}

/** Every file under `dir` with its hash, to show that nothing changed. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const path = join(e.parentPath, e.name);
    out[path.slice(dir.length)] = e.isDirectory() ? 'dir' : createHash('sha256').update(readFileSync(path)).digest('hex');
  }
  return out;
}

const sorted = <K, V>(m: Map<K, V>) => new Map([...m].sort(([a], [b]) => String(a).localeCompare(String(b))));

describe('folder sharing with a real guest (spice-webdavd, curl)', () => {
  describe('read-write', () => {
    let sharer: Sharer;
    beforeAll(async () => {
      sharer = shareWithSpicedesk(share);
      await waitForShare(sharer);
    }, 120_000);
    afterAll(async () => sharer?.stop());

    it('lists the folder: the names and sizes of the host folder', { timeout: 60_000 }, async () => {
      const r = await curl('PROPFIND', '/', { headers: ['Depth: 1'] });
      expect(r.status).toBe(207);
      expect(sorted(listing(r.body))).toEqual(sorted(hostListing(share)));
      const sub = await curl('PROPFIND', '/docs/', { headers: ['Depth: 1'] });
      expect(sub.status).toBe(207);
      expect([...listing(sub.body).keys()]).toContain('docs/inside.txt');
    });

    it('reads a file: the guest gets the host\'s bytes', { timeout: 60_000 }, async () => {
      const r = await curl('GET', '/random.bin');
      expect(r.status).toBe(200);
      expect((await guest.run('cp /tmp/curl.body /tmp/got.bin')).status).toBe(0);
      const got = await guest.readFile('/tmp/got.bin');
      expect(got.length).toBe(hostFile.length);
      expect(got.equals(hostFile)).toBe(true);
    });

    it('reads part of a file (a Range, as GVFS reads when an application seeks): just those bytes', { timeout: 60_000 }, async () => {
      const start = 1000;
      const end = Math.min(hostFile.length - 1, 40_999);
      const r = await curl('GET', '/random.bin', { headers: [`Range: bytes=${start}-${end}`] });
      expect(r.status).toBe(206);
      expect((await guest.run('cp /tmp/curl.body /tmp/part.bin')).status).toBe(0);
      const got = await guest.readFile('/tmp/part.bin');
      expect(got.equals(hostFile.subarray(start, end + 1))).toBe(true);
      expect((await curl('GET', '/random.bin', { headers: [`Range: bytes=${hostFile.length}-`] })).status).toBe(416);
    });

    it('reads several pieces of a file in one request: a multipart/byteranges reply curl takes whole', { timeout: 60_000 }, async () => {
      const asked: [number, number][] = [[30_000, 30_999], [100, 1099]];
      const r = await curl('GET', '/random.bin', { headers: [`Range: bytes=${asked.map(([a, b]) => `${a}-${b}`).join(',')}`] });
      expect(r.status).toBe(206);
      expect((await guest.run('cp /tmp/curl.body /tmp/multi.bin')).status).toBe(0);
      const got = parseByteranges(await guest.readFile('/tmp/multi.bin'));
      expect(got.map((p) => [p.start, p.end, p.size])).toEqual([
        [100, 1099, hostFile.length],
        [30_000, 30_999, hostFile.length],
      ]);
      for (const p of got) expect(p.bytes.equals(hostFile.subarray(p.start, p.end + 1))).toBe(true);
    });

    it('writes, renames and deletes: the host folder follows byte for byte', { timeout: 90_000 }, async () => {
      expect((await guest.run('head -c 70001 /dev/urandom > /tmp/up.bin')).status).toBe(0);
      const written = await guest.readFile('/tmp/up.bin');
      const put = await curl('PUT', '/from-guest.bin', { upload: '/tmp/up.bin' });
      expect(put.status).toBe(201);
      expect(readFileSync(join(share, 'from-guest.bin')).equals(written)).toBe(true);
      // Written through a temporary file and a rename: nothing else is left beside it.
      expect(readdirSync(share).sort()).toEqual(['docs', 'from-guest.bin', 'hello.txt', 'random.bin']);

      const move = await curl('MOVE', '/from-guest.bin', { headers: [`Destination: ${DAV}/docs/renamed.bin`] });
      expect(move.status).toBe(201);
      expect(existsSync(join(share, 'from-guest.bin'))).toBe(false);
      expect(readFileSync(join(share, 'docs', 'renamed.bin')).equals(written)).toBe(true);

      const mkcol = await curl('MKCOL', '/made/');
      expect(mkcol.status).toBe(201);
      expect(statSync(join(share, 'made')).isDirectory()).toBe(true);

      const del = await curl('DELETE', '/docs/renamed.bin');
      expect(del.status).toBe(204);
      expect(existsSync(join(share, 'docs', 'renamed.bin'))).toBe(false);
      expect((await curl('DELETE', '/made/')).status).toBe(204);
      expect(readdirSync(share).sort()).toEqual(['docs', 'hello.txt', 'random.bin']);
    });

    it('escape attempts from the guest get 403 or 404 and touch nothing outside', { timeout: 120_000 }, async () => {
      const before = snapshot(work);
      const attempts: [string, string, string[]?][] = [
        ['GET', '/../secret.txt'],
        ['GET', '/%2e%2e/secret.txt'],
        ['GET', '/..%2fsecret.txt'],
        ['GET', '/docs/%2E%2E/%2E%2E/secret.txt'],
        ['GET', '/..%5csecret.txt'],
        ['DELETE', '/%2e%2e/secret.txt'],
        ['PUT', '/../evil.txt'],
        ['MOVE', '/hello.txt', [`Destination: ${DAV}/../moved-out.txt`]],
        ['COPY', '/hello.txt', [`Destination: ${DAV}/%2e%2e/copied-out.txt`]],
        ['PROPFIND', '/%2e%2e/', ['Depth: 1']],
      ];
      for (const [method, path, headers] of attempts) {
        const r = await curl(method, path, { headers, upload: method === 'PUT' ? '/tmp/up.bin' : undefined });
        expect([403, 404], `${method} ${path} answered ${r.status}: ${r.body}`).toContain(r.status);
        expect(r.body).not.toContain('outside the share');
      }
      expect(snapshot(work)).toEqual(before);
    });
  });

  describe('read-only', () => {
    let sharer: Sharer;
    beforeAll(async () => {
      sharer = shareWithSpicedesk(share, true);
      await waitForShare(sharer);
    }, 120_000);
    afterAll(async () => sharer?.stop());

    it('reads, and refuses every write with 403; the folder is unchanged', { timeout: 90_000 }, async () => {
      const before = snapshot(work);
      expect((await curl('GET', '/hello.txt')).body).toBe('hello from the host\n');
      const writes: [string, string, string[]?][] = [
        ['PUT', '/new.bin'],
        ['PUT', '/hello.txt'],
        ['DELETE', '/hello.txt'],
        ['MKCOL', '/made/'],
        ['MOVE', '/hello.txt', [`Destination: ${DAV}/moved.txt`]],
        ['COPY', '/hello.txt', [`Destination: ${DAV}/copied.txt`]],
        ['PROPPATCH', '/hello.txt'],
      ];
      for (const [method, path, headers] of writes) {
        const r = await curl(method, path, { headers, upload: method === 'PUT' ? '/tmp/up.bin' : undefined });
        expect(r.status, `${method} ${path}: ${r.body}`).toBe(403);
      }
      expect(snapshot(work)).toEqual(before);
    });
  });

  describe('spice-gtk as the oracle', () => {
    it('spicy sharing the same folder lists it the same way (names and sizes)', { timeout: 180_000 }, async () => {
      const ours = shareWithSpicedesk(share);
      let mine: Map<string, number | 'collection'>;
      try {
        await waitForShare(ours);
        mine = listing((await curl('PROPFIND', '/', { headers: ['Depth: 1'] })).body);
        expect(mine.get('random.bin')).toBe(hostFile.length);
      } finally {
        await ours.stop();
      }
      const spicy = shareWithSpicy(share);
      try {
        await waitForShare(spicy);
        const r = await curl('PROPFIND', '/', { headers: ['Depth: 1'] });
        expect(r.status).toBe(207);
        const theirs = listing(r.body);
        // phodav adds a virtual /.spice-clipboard/ (where file copy-paste lands); spicedesk has no
        // such folder: the folder's own entries must be the same.
        expect(theirs.get('.spice-clipboard/')).toBe('collection');
        theirs.delete('.spice-clipboard/');
        expect(sorted(mine)).toEqual(sorted(theirs));
        expect(sorted(theirs)).toEqual(sorted(hostListing(share)));
      } finally {
        await spicy.stop();
      }
    });
  });
});
