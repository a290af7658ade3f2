// Flow control for a large GET: the guest reads a 24 MiB file from the shared folder through a real
// webdav channel (PortChannel + WebdavMux + the WebDAV server), whose connection takes bytes only
// when the test drains it (MemoryTransport.holdWrites, a socket whose peer reads slowly). The
// server must read the file as the channel drains: the unsent bytes never go far past
// PORT_SEND_HIGH_WATER, and the guest still gets the whole file, byte for byte. Without flow
// control the whole file is written into the connection at once and the first check fails. The
// connection keeps the pieces as views until drained, as a socket does: the file's read buffers
// are used again only once their bytes are out (read-buffers.ts), else the bytes come out wrong.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GET_READ_BYTES } from '../../../../src/main/webdav/file-sender.ts';
import { readBuffers } from '../../../../src/main/webdav/read-buffers.ts';
import { createWebdavServer } from '../../../../src/main/webdav/webdav-server.ts';
import { PortChannel, PORT_SEND_HIGH_WATER } from '../../../../src/protocol/channels/port/port-channel.ts';
import { MAX_CLIENT_DATA, PortMsg, PortMsgc } from '../../../../src/protocol/channels/port/port-messages.ts';
import { SpicevmcCap } from '../../../../src/protocol/channels/spicevmc/spicevmc-messages.ts';
import { WebdavMux } from '../../../../src/protocol/channels/port/webdav-mux.ts';
import { ChannelType } from '../../../../src/protocol/link/constants.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import { miniMessage } from '../../../helpers/server-messages.ts';
import { waitUntil } from '../../../helpers/wait.ts';
import { linkedAudioChannel } from '../../channels/playback/audio-link.ts';
import { muxFrame, portInitBody } from '../../channels/port/port-bodies.ts';

const base = mkdtempSync(join(tmpdir(), 'spicedesk-webdav-flow-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const FILE_BYTES = 24 * 1024 * 1024;
/** What may wait unsent: the high-water mark plus one reply in flight (a read and its frame headers) and the HTTP head. */
const BACKLOG_BOUND = PORT_SEND_HIGH_WATER + GET_READ_BYTES + 20 * 1024;
const GUEST_ID = -77n;

/** The DATA message bodies in what the client wrote after the link (mini headers). */
function dataBodies(written: Uint8Array[]): Buffer[] {
  const all = Buffer.concat(written);
  const data: Buffer[] = [];
  for (let o = 0; o + 6 <= all.byteLength; ) {
    const type = all.readUInt16LE(o);
    const size = all.readUInt32LE(o + 2);
    if (type === PortMsgc.DATA) data.push(all.subarray(o + 6, o + 6 + size));
    o += 6 + size;
  }
  return data;
}

/** The mux frames' bodies for mux client `id` in what the client wrote after the link. */
function guestBytes(written: Uint8Array[], id = GUEST_ID): Buffer {
  const data = dataBodies(written);
  const port = Buffer.concat(data);
  const bodies: Buffer[] = [];
  for (let o = 0; o + 10 <= port.byteLength; ) {
    const size = port.readUInt16LE(o + 8);
    if (port.readBigInt64LE(o) === id) bodies.push(port.subarray(o + 10, o + 10 + size));
    o += 10 + size;
  }
  return Buffer.concat(bodies);
}

/**
 * A webdav channel linked over a connection that holds what it is sent (and keeps the pieces as
 * views) until the test drains it, serving `files` from a new folder named `name`.
 */
async function heldWebdavChannel(name: string, files: Record<string, Buffer>) {
  const root = join(base, name);
  mkdirSync(root);
  for (const [file, bytes] of Object.entries(files)) writeFileSync(join(root, file), bytes);
  const server = createWebdavServer({ root, readOnly: false, logger: silentLogger });
  const l = await linkedAudioChannel((host) => new PortChannel(host, ChannelType.WEBDAV, 0, { webdav: server }), [SpicevmcCap.DATA_COMPRESS_LZ4]);
  const afterLink = l.server.written.length;
  l.server.feed(miniMessage(PortMsg.INIT, portInitBody('org.spice-space.webdav.0', true)));
  await waitUntil('the mux', () => l.channel.handler instanceof WebdavMux);
  l.server.holdWrites = true;
  // The port's pieces stay the file reader's memory until drained: a read buffer used again before
  // its bytes were out would show up as wrong bytes.
  l.server.viewsUntilDrained = true;
  return { l, server, afterLink };
}

describe('webdav flow control', () => {
  it('a 24 MiB GET is read as the channel drains: bounded backlog, the whole file arrives', async () => {
    const file = randomBytes(FILE_BYTES);
    const { l, server, afterLink } = await heldWebdavChannel('share', { 'big.bin': file });
    const pool = readBuffers.counts;
    const before = { ...pool };
    const sentSoFar = () => l.server.writtenCount();
    const start = sentSoFar();
    l.server.feed(miniMessage(PortMsg.DATA, muxFrame(GUEST_ID, 'GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n')));

    // Nothing drains: the server must stop on its own, with a backlog near the high-water mark
    // (without flow control, it writes the whole file here).
    await waitUntil('the server to wait for a drain, or to have sent everything', () => l.server.waitingForDrain() || sentSoFar() - start >= FILE_BYTES, 20_000);
    expect(sentSoFar() - start).toBeLessThanOrEqual(BACKLOG_BOUND);
    // It waits: more event-loop turns (file reads completing) must not add to what waits.
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    expect(sentSoFar() - start).toBeLessThanOrEqual(BACKLOG_BOUND);
    expect(l.server.backlog()).toBeGreaterThanOrEqual(PORT_SEND_HIGH_WATER);

    // Drain as the guest would read, a turn at a time: the backlog never passes the bound.
    let maxBacklog = 0;
    let drains = 0;
    const complete = () => {
      const got = guestBytes(l.server.written.slice(afterLink));
      const split = got.indexOf('\r\n\r\n');
      return split >= 0 && got.byteLength - split - 4 >= FILE_BYTES;
    };
    while (sentSoFar() - start < FILE_BYTES) {
      maxBacklog = Math.max(maxBacklog, l.server.backlog());
      l.server.drainWrites();
      drains++;
      await new Promise((r) => setImmediate(r));
    }
    await waitUntil('the whole reply', complete, 20_000);
    maxBacklog = Math.max(maxBacklog, l.server.backlog());
    expect(maxBacklog).toBeLessThanOrEqual(BACKLOG_BOUND);
    // At least one drain per high-water mark's worth of the file: the server waited each time.
    expect(drains).toBeGreaterThanOrEqual(Math.floor(FILE_BYTES / BACKLOG_BOUND));
    const got = guestBytes(l.server.written.slice(afterLink));
    const split = got.indexOf('\r\n\r\n');
    expect(got.subarray(0, split).toString('latin1')).toMatch(/^HTTP\/1.1 200 OK[\s\S]*Content-Length: 25165824/i);
    expect(got.subarray(split + 4).equals(file)).toBe(true);
    // The 24 reads used a few buffers again and again, each only after a drain had sent its bytes.
    expect(pool.reused - before.reused).toBeGreaterThan(FILE_BYTES / GET_READ_BYTES / 2);
    expect(pool.made - before.made).toBeLessThanOrEqual(4);
    // The frames went out in full 64 KiB DATA messages whatever their boundaries: one short message
    // per read at most (its end), not two messages per 64 KiB frame.
    const sizes = dataBodies(l.server.written.slice(afterLink)).map((b) => b.byteLength);
    expect(Math.max(...sizes)).toBe(MAX_CLIENT_DATA);
    expect(sizes.filter((n) => n < MAX_CLIENT_DATA).length).toBeLessThanOrEqual(FILE_BYTES / GET_READ_BYTES + 2);
    l.server.holdWrites = false;
    l.server.drainWrites();
    await l.close();
    server.close();
  });

  it('three GETs at once on one channel each get their own file whole, sharing the read buffers', async () => {
    const files = [0, 1, 2].map((k) => randomBytes(6 * 1024 * 1024 + k * 12345));
    const { l, server, afterLink } = await heldWebdavChannel('share3', Object.fromEntries(files.map((f, k) => [`f${k}.bin`, f])));
    const ids = [11n, 12n, 13n];
    // Staggered: each GET takes its buffers while the others' bytes still wait in the connection.
    for (const [k, id] of ids.entries()) {
      l.server.feed(miniMessage(PortMsg.DATA, muxFrame(id, `GET /f${k}.bin HTTP/1.1\r\nHost: x\r\n\r\n`)));
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    }
    const body = (k: number): Buffer => {
      const got = guestBytes(l.server.written.slice(afterLink), ids[k]);
      const split = got.indexOf('\r\n\r\n');
      return split < 0 ? Buffer.alloc(0) : got.subarray(split + 4);
    };
    const total = files.reduce((n, f) => n + f.byteLength, 0);
    await waitUntil(
      'all three replies',
      async () => {
        l.server.drainWrites();
        await new Promise((r) => setImmediate(r));
        return files.every((f, k) => body(k).byteLength >= f.byteLength);
      },
      20_000,
      { explain: () => `${files.map((_, k) => body(k).byteLength).join(', ')} of ${total} bytes` },
    );
    for (const [k, f] of files.entries()) expect(body(k).equals(f), `file ${k}`).toBe(true);
    l.server.holdWrites = false;
    l.server.drainWrites();
    await l.close();
    server.close();
  });
});
