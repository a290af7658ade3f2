// TCP connections to SPICE servers are probed when idle, so that a cut nobody reports ends the
// session (and lets it reconnect) instead of leaving it hanging. Checked in the kernel's own
// table: /proc/net/tcp's timer column is 2 while a keepalive timer runs on the socket.
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Transport } from '../../../../src/protocol/wire/transport.ts';
import { openSocket } from '../../../../src/main/transport/socket-transport.ts';
import { waitUntil } from '../../../helpers/wait.ts';

const hexAddress = (port: number): string => `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;

/** The timer kind of the TCP connection 127.0.0.1:`local` -> 127.0.0.1:`remote`, from /proc/net/tcp. */
function timerOf(local: number, remote: number): number | null {
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1] === hexAddress(local) && f[2] === hexAddress(remote)) return Number.parseInt(f[5].split(':')[0], 16);
  }
  return null;
}

describe('openSocket', () => {
  let server: Server | undefined;
  let transport: Transport | undefined;
  afterEach(() => {
    transport?.close();
    server?.close();
  });

  /** A local server, `transport` opened to it with openSocket, and the server's end of that connection. */
  async function connect(): Promise<{ port: number; peer: Socket; transport: Transport }> {
    const accepted = new Promise<Socket>((resolve) => {
      server = createServer(resolve).listen(0, '127.0.0.1');
    });
    await new Promise((r) => server!.once('listening', r));
    const port = (server!.address() as { port: number }).port;
    const opened = await openSocket({ host: '127.0.0.1', port }, 5000);
    transport = opened;
    return { port, peer: await accepted, transport: opened };
  }

  it('turns TCP keepalive on for the connection', async () => {
    const { port, peer } = await connect();
    const clientPort = peer.remotePort!;
    expect(timerOf(clientPort, port)).toBe(2);
    // The server's end, which spicedesk did not set up, has no timer: the column tells them apart.
    expect(timerOf(port, clientPort)).toBe(0);
    peer.destroy();
  });

  it('writev sends the chunks in order; backlog counts what the peer has not read, onDrain fires when it has', { timeout: 30_000 }, async () => {
    const { peer, transport } = await connect();
    peer.pause();
    // 32 MiB in 64 KiB chunks whose bytes say where they are: more than the kernel's buffers take.
    const chunks = Array.from({ length: 512 }, (_, i) => new Uint8Array(65536).fill(i & 0xff));
    for (let i = 0; i < chunks.length; i += 8) transport.writev!(chunks.slice(i, i + 8));
    expect(transport.backlog!()).toBeGreaterThan(1024 * 1024);
    let drained = false;
    transport.onDrain!(() => (drained = true));
    const got: Buffer[] = [];
    let size = 0;
    peer.on('data', (b: Buffer) => {
      got.push(b);
      size += b.byteLength;
    });
    peer.resume();
    await waitUntil('the peer to read everything and the transport to drain', () => drained && size === 512 * 65536, 20_000);
    expect(transport.backlog!()).toBe(0);
    const all = Buffer.concat(got);
    for (let i = 0; i < 512; i++) expect(all[i * 65536]).toBe(i & 0xff);
    peer.destroy();
  });

  it('reads land in slabs as views that later reads never overwrite, and the end is reported', { timeout: 30_000 }, async () => {
    const { peer, transport } = await connect();
    // 4 MiB whose every byte depends on its position, in writes of odd sizes: many slabs' worth.
    const total = 4 * 1024 * 1024;
    const sent = new Uint8Array(total);
    for (let i = 0; i < total; i++) sent[i] = (i * 7 + (i >> 13)) & 0xff;
    await new Promise<void>((r) => peer.write(sent.subarray(0, 1000), () => r()));
    for (let o = 1000; o < total; o += 40_001) peer.write(sent.subarray(o, Math.min(total, o + 40_001)));
    peer.end();
    const chunks: Uint8Array[] = [];
    let size = 0;
    let ended = false;
    let endError: Error | undefined;
    transport.start({
      data: (c) => {
        chunks.push(c);
        size += c.byteLength;
      },
      end: (e) => {
        ended = true;
        endError = e;
      },
    });
    await waitUntil('every byte and the end', () => ended && size === total, 20_000);
    expect(endError).toBeUndefined();
    // Checked only now, after every read: a view that a later read had reused would differ.
    let at = 0;
    for (const c of chunks) {
      expect(Buffer.from(c.buffer, c.byteOffset, c.byteLength).equals(Buffer.from(sent.buffer, at, c.byteLength))).toBe(true);
      at += c.byteLength;
    }
    // Some reads share a slab (a view, not a buffer of its own).
    expect(chunks.some((c) => c.byteOffset > 0)).toBe(true);
  });

  it('hands nothing on while its reads are held, then what came meanwhile in one read', { timeout: 30_000 }, async () => {
    const { peer, transport } = await connect();
    const reads: number[] = [];
    transport.start({ data: (c) => reads.push(c.byteLength), end: () => {} });
    await new Promise<void>((r) => peer.write(new Uint8Array(10), () => r()));
    await waitUntil('the first write', () => reads.length === 1, 5000);
    transport.pauseReads?.();
    for (const size of [300, 500, 700]) await new Promise<void>((r) => peer.write(new Uint8Array(size), () => r()));
    // Long enough for every write to reach this side's socket, were anything still reading it.
    await new Promise((r) => setTimeout(r, 100));
    expect(reads).toEqual([10]);
    transport.resumeReads?.();
    await waitUntil('the held bytes', () => reads.reduce((n, b) => n + b, 0) === 1510, 5000);
    expect(reads).toEqual([10, 1500]);
  });
});
