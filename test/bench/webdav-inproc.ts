// Folder sharing's JavaScript cost without the guest: one fresh process PUTs 8 MiB (the webdav
// bench's warm-up), then 64 MiB twice, through a real PortChannel + WebdavMux + WebDAV server over
// MemoryTransport, fed as spice-server feeds the client (32 KiB DATA messages of 65 545-byte mux
// frames, one message per event-loop turn), then GETs both 64 MiB files back. It prints the
// process's CPU time (every thread: V8's compiler and GC, the thread pool's writes) and wall time
// for each, as one JSON line. The webdav bench's TCG guest makes its CPU-per-MiB columns move by a
// third between rounds at a load of 10, which hides a change of a tenth; this does not (bench/README.md,
// webdav, fifth session). One process is one sample: run two builds in turn, a dozen times each:
//   esbuild test/bench/webdav-inproc.ts --bundle --platform=node --format=esm --target=node20 \
//     --packages=external --outfile=/tmp/inproc.mjs && node /tmp/inproc.mjs
// PACED_GET=1: the first GET's connection drains every 2 ms, so flow control waits as it does
// against a real server.
// The messages are built before each measured copy, so their memory is the process's: its GC is
// not the client's (which, traced during the bench, does a few scavenges of under 1 ms per PUT).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWebdavServer } from '../../src/main/webdav/webdav-server.ts';
import { PortChannel } from '../../src/protocol/channels/port/port-channel.ts';
import { PortMsg } from '../../src/protocol/channels/port/port-messages.ts';
import { SpicevmcCap } from '../../src/protocol/channels/spicevmc/spicevmc-messages.ts';
import { ChannelType } from '../../src/protocol/link/constants.ts';
import { silentLogger } from '../../src/protocol/logger.ts';
import { miniMessage } from '../helpers/server-messages.ts';
import { linkedAudioChannel } from '../unit/channels/playback/audio-link.ts';
import { portInitBody } from '../unit/channels/port/port-bodies.ts';

const root = mkdtempSync(join(tmpdir(), 'webdav-inproc-'));
const server = createWebdavServer({ root, readOnly: false, logger: silentLogger });
const l = await linkedAudioChannel((host) => new PortChannel(host, ChannelType.WEBDAV, 0, { webdav: server }), [SpicevmcCap.DATA_COMPRESS_LZ4]);
l.server.feed(miniMessage(PortMsg.INIT, portInitBody('org.spice-space.webdav.0', true)));
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
for (let i = 0; i < 20; i++) await turn();

/** The port's bytes of one PUT: mux frames of 65535 bytes, as spice-webdavd cuts them. */
function portStream(id: bigint, name: string, size: number): Buffer {
  const body = Buffer.alloc(size, 0x5a);
  const head = Buffer.from(`PUT /${name} HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n`);
  const all = Buffer.concat([head, body]);
  const frames: Buffer[] = [];
  for (let o = 0; o < all.byteLength; o += 65535) {
    const piece = all.subarray(o, Math.min(all.byteLength, o + 65535));
    const h = Buffer.alloc(10);
    h.writeBigInt64LE(id, 0);
    h.writeUInt16LE(piece.byteLength, 8);
    frames.push(h, piece);
  }
  return Buffer.concat(frames);
}

async function put(id: bigint, name: string, size: number): Promise<{ cpuMs: number; wallMs: number }> {
  const stream = portStream(id, name, size);
  const messages: Uint8Array[] = [];
  for (let o = 0; o < stream.byteLength; o += 32768) messages.push(miniMessage(PortMsg.DATA, stream.subarray(o, Math.min(stream.byteLength, o + 32768))));
  const before = l.server.written.length;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (const m of messages) {
    l.server.feed(m);
    await turn();
  }
  // The reply's status line (the first bytes the server writes back after the body).
  while (!Buffer.concat(l.server.written.slice(before)).toString('latin1').includes('HTTP/1.1 20')) await turn();
  const c = process.cpuUsage(c0);
  const wall = performance.now() - t0;
  if (statSync(join(root, name)).size !== size) throw new Error('size');
  return { cpuMs: (c.user + c.system) / 1000, wallMs: wall };
}
await put(1n, 'warm.bin', 8 << 20);
const r = await put(2n, 'big.bin', 64 << 20);
const r2 = await put(3n, 'big2.bin', 64 << 20);
async function get(id: bigint, name: string, size: number): Promise<{ cpuMs: number; wallMs: number }> {
  const h = Buffer.from(`GET /${name} HTTP/1.1\r\nHost: x\r\n\r\n`);
  const f = Buffer.alloc(10);
  f.writeBigInt64LE(id, 0);
  f.writeUInt16LE(h.byteLength, 8);
  const before = l.server.written.length;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  l.server.feed(miniMessage(PortMsg.DATA, Buffer.concat([f, h])));
  let sent = 0;
  let counted = before;
  while (sent < size) {
    await turn();
    for (; counted < l.server.written.length; counted++) sent += l.server.written[counted].byteLength;
  }
  const c = process.cpuUsage(c0);
  return { cpuMs: (c.user + c.system) / 1000, wallMs: performance.now() - t0 };
}
// A GET through a connection that drains as a slow peer reads (every 2 ms), so flow control waits.
async function pacedGet(id: bigint, name: string, size: number): Promise<{ cpuMs: number; wallMs: number }> {
  l.server.holdWrites = true;
  const pace = setInterval(() => l.server.drainWrites(), 2);
  try {
    return await get(id, name, size);
  } finally {
    clearInterval(pace);
    l.server.holdWrites = false;
    l.server.drainWrites();
  }
}
const g = process.env.PACED_GET ? await pacedGet(4n, 'big.bin', 64 << 20) : await get(4n, 'big.bin', 64 << 20);
const g2 = await get(5n, 'big2.bin', 64 << 20);
console.log(JSON.stringify({ first: r, second: r2, get: g, get2: g2 }));
rmSync(root, { recursive: true, force: true });
process.exit(0);
