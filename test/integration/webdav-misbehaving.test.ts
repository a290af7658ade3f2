// Hostile bytes on the webdav channel (a scripted server, peers/fake-session.ts): the server first
// carries one good guest request through the mux (so the share works), then sends something that
// cannot be taken. The webdav channel ends with a line naming what was wrong, and the session goes
// on: the display's first frame, sent only once the webdav channel has closed, is what `do
// capture` writes. Garbage inside one mux connection is the HTTP server's business: that guest
// connection gets 400 and the channel stays.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { clientMessages, displayMessages as M, drawFill, portInit, startFakeSession, surfaceCreate, type DisplayConnection } from '../peers/fake-session.ts';
import type { MisbehavingServer } from '../peers/misbehaving-server.ts';

const CHANNEL_DISPLAY = 2;
const CHANNEL_WEBDAV = 11;
// spice.proto: SpicevmcChannel DATA 101, COMPRESSED_DATA 102; PortChannel INIT 201 (server).
const VMC_DATA = 101;
const VMC_COMPRESSED_DATA = 102;
const PORT_INIT = 201;
const COMPRESSION_LZ4 = 1;

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-webdav-misbehaving-'));
const share = join(dir, 'share');
mkdirSync(share);
writeFileSync(join(share, 'hello.txt'), 'hello through the mux\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let server: MisbehavingServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

/** A mux frame: i64 LE client id, u16 LE size, the bytes. */
function muxFrame(id: bigint, data: Buffer): Buffer {
  const head = Buffer.alloc(10);
  head.writeBigInt64LE(id, 0);
  head.writeUInt16LE(data.length, 8);
  return Buffer.concat([head, data]);
}

/** The bytes the client sent back in DATA for mux client `id`. */
function repliesTo(sent: Buffer, id: bigint): string {
  let out = '';
  for (const m of clientMessages(sent)) {
    if (m.type !== VMC_DATA) continue;
    for (let at = 0; at + 10 <= m.body.length; ) {
      const size = m.body.readUInt16LE(at + 8);
      if (m.body.readBigInt64LE(at) === id) out += m.body.subarray(at + 10, at + 10 + size).toString('latin1');
      at += 10 + size;
    }
  }
  return out;
}

const screen = { left: 0, top: 0, right: 32, bottom: 24 };

interface Scenario {
  /** Sent once the good request has its answer. */
  hostile: (send: (type: number, body: Buffer) => void) => void;
  /**
   * The webdav channel closes (true: the display's frame waits for that), or stays (false: the
   * frame waits for a good request sent after the hostile bytes, as mux client 8, to be answered).
   */
  closes: boolean;
}

async function run(s: Scenario) {
  let display: DisplayConnection | undefined;
  let webdavClosed = false;
  let sent = Buffer.alloc(0);
  const drawFirstFrame = (): void => {
    if (!display) return;
    display.send(M.SURFACE_CREATE, surfaceCreate(0, 32, 24));
    display.send(M.DRAW_FILL, drawFill(0, screen, 0x00ff00));
    display.send(M.MARK, Buffer.alloc(0));
  };
  server = await startFakeSession({
    channels: [[CHANNEL_DISPLAY, 0], [CHANNEL_WEBDAV, 0]],
    onDisplay(d) {
      display = d;
      if (webdavClosed) drawFirstFrame();
    },
    onChannel(type, c) {
      if (type !== CHANNEL_WEBDAV) return;
      c.socket.on('close', () => {
        webdavClosed = true;
        drawFirstFrame();
      });
      c.send(PORT_INIT, portInit('org.spice-space.webdav.0', true));
      const answered = (): boolean => /hello through the mux/.test(repliesTo(sent, 7n));
      let hostileSent = false;
      let drawn = false;
      c.socket.on('data', (chunk: Buffer) => {
        sent = Buffer.concat([sent, chunk]);
        if (!hostileSent && answered()) {
          hostileSent = true;
          s.hostile(c.send);
          if (!s.closes) c.send(VMC_DATA, muxFrame(8n, Buffer.from('GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1:9843\r\n\r\n')));
        }
        if (!s.closes && !drawn && /hello through the mux/.test(repliesTo(sent, 8n))) {
          drawn = true;
          drawFirstFrame();
        }
      });
      c.send(VMC_DATA, muxFrame(7n, Buffer.from('GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1:9843\r\n\r\n')));
    },
  });
  const png = join(dir, 'after.png');
  rmSync(png, { force: true });
  const r = await runCli(['do', `spice://127.0.0.1:${server.port}`, 'capture', png, '--spice-shared-dir', share, '--timeout', '10', '-v']);
  return { r, png, sent: () => sent, webdavClosed: () => webdavClosed };
}

describe('hostile bytes on the webdav channel', () => {
  it.each([
    ['corrupt LZ4 in COMPRESSED_DATA', (send: (type: number, body: Buffer) => void) => {
      const body = Buffer.alloc(5 + 16, 0xff);
      body[0] = COMPRESSION_LZ4;
      body.writeUInt32LE(4096, 1);
      send(VMC_COMPRESSED_DATA, body);
    }, /webdav channel failed: malformed data from the server: COMPRESSED_DATA declares 4096 uncompressed bytes from 16 LZ4 bytes, more than LZ4 can expand to \[webdav channel, message SPICEVMC_COMPRESSED_DATA \(102\)/],
    ['a second PORT_INIT', (send: (type: number, body: Buffer) => void) => send(PORT_INIT, portInit('org.example.other.0', true)), /webdav channel failed: malformed data from the server: a second PORT_INIT \(this port is already \\?"org\.spice-space\.webdav\.0\\?"\)/],
    ['a truncated PORT_INIT', (send: (type: number, body: Buffer) => void) => send(PORT_INIT, Buffer.from([1, 2, 3])), /webdav channel failed: malformed data from the server: u32 needs 4 bytes but only 3 remain \[webdav channel, message PORT_INIT \(201\)/],
  ])('%s: the channel ends naming it, the session goes on', { timeout: 30_000 }, async (_what, hostile, text) => {
    const { r, png, webdavClosed } = await run({ hostile, closes: true });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(text);
    expect(webdavClosed()).toBe(true);
    expect(existsSync(png)).toBe(true);
  });

  it('garbage inside one mux connection: that connection gets 400, the channel stays', { timeout: 30_000 }, async () => {
    const { r, png, sent } = await run({
      hostile: (send) => send(VMC_DATA, muxFrame(-995229200n, Buffer.from('\x16\x03\x01 not HTTP at all\r\n\r\n', 'latin1'))),
      closes: false,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(png)).toBe(true);
    expect(repliesTo(sent(), -995229200n)).toMatch(/^HTTP\/1\.1 400 /);
    expect(r.stderr).not.toMatch(/webdav channel failed/);
    // The frame came after the second request's answer: the channel carried on past the garbage.
    expect(repliesTo(sent(), 8n)).toMatch(/^HTTP\/1\.1 200 /);
  });
});
