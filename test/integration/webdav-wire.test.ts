// Large files through the shared folder's mux as fast as the client takes them: the webdav-wire
// bench's scripted guest side (peers/webdav-mux-guest.ts on the fake session) against `spicedesk
// do TARGET wait --spice-shared-dir DIR`. A 24 MiB PUT arrives whole on the host and comes back
// whole with GET, two uploads at once on two mux connections keep their bytes apart, and the
// script itself is checked here (its mux reader takes frames that span DATA messages), since the
// bench's figures rest on it.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.ts';
import { waitUntil } from '../helpers/wait.ts';
import type { MisbehavingServer } from '../peers/misbehaving-server.ts';
import { spawnGroup, type GroupProcess } from '../peers/processes.ts';
import { bodyInPieces, startWebdavWireSession, type WebdavMuxGuest } from '../peers/webdav-mux-guest.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-webdav-wire-'));
let server: MisbehavingServer;
let client: GroupProcess;
let guest: WebdavMuxGuest | undefined;

const put = (name: string, data: Buffer) => guest!.request(`PUT /${name} HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${data.length}\r\n\r\n`, bodyInPieces(data));

beforeAll(async () => {
  const session = await startWebdavWireSession();
  server = session.server;
  client = spawnGroup(process.execPath, [BIN, 'do', `spice://127.0.0.1:${server.port}`, 'wait', '120', '--spice-shared-dir', dir, '--timeout', '20'], {
    name: 'spicedesk do wait',
    env: { ...process.env, SPICE_PASSWORD: undefined },
  });
  await waitUntil('the webdav channel to link', () => (guest = session.guest()) !== undefined, 20_000, { explain: () => client.outputTail() });
});

afterAll(async () => {
  await client?.stop();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the shared folder through a scripted guest side at full speed', () => {
  it('answers PROPFIND on the share', async () => {
    const r = await guest!.request('PROPFIND / HTTP/1.1\r\nHost: localhost\r\nDepth: 0\r\nContent-Length: 0\r\n\r\n');
    expect(r.status, client.outputTail()).toBe(207);
    expect(r.body.toString('utf8')).toContain('multistatus');
  });

  it('takes a 24 MiB PUT whole, and gives the same bytes back with GET', { timeout: 60_000 }, async () => {
    const data = randomBytes(24 << 20);
    const r = await put('big.bin', data);
    expect(r.status, client.outputTail()).toBe(201);
    expect(readFileSync(join(dir, 'big.bin')).equals(data)).toBe(true);
    const parts: Buffer[] = [];
    const back = await guest!.request('GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n', undefined, (bytes) => parts.push(Buffer.from(bytes)));
    expect(back.status).toBe(200);
    expect(Number(back.headers.get('content-length'))).toBe(data.length);
    expect(Buffer.concat(parts).equals(data)).toBe(true);
  });

  it('keeps two uploads at once on two mux connections apart', { timeout: 60_000 }, async () => {
    const a = randomBytes(6 << 20);
    const b = randomBytes(5 << 20);
    const [ra, rb] = await Promise.all([put('a.bin', a), put('b.bin', b)]);
    expect([ra.status, rb.status]).toEqual([201, 201]);
    expect(readFileSync(join(dir, 'a.bin')).equals(a)).toBe(true);
    expect(readFileSync(join(dir, 'b.bin')).equals(b)).toBe(true);
  });
});
