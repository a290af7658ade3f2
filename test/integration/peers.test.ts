// Proves the test peers work: each starts, serves a SPICE client (spice-gtk's spicy-screenshot)
// and stops without leaving processes behind. Missing tools make these tests fail, not skip.
import { constants as cryptoConstants, createPublicKey, publicEncrypt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drawStandardDesktop, photoLikeImage, waitForStableScreen } from '../peers/desktop.ts';
import { countColours, isUniform } from '../peers/image.ts';
import { startMisbehavingServer } from '../peers/misbehaving-server.ts';
import { comparePixels, encodePng, explainMismatch } from '../peers/png.ts';
import { startQemu } from '../peers/qemu.ts';
import { parsePpm, spicyScreenshot } from '../peers/spicy.ts';
import { requireTool } from '../peers/require-tool.ts';
import { startXspice } from '../peers/xspice.ts';
import type { XspiceServer } from '../peers/xspice.ts';
import { PNG } from 'pngjs';

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Collects what a server sends until it has `bytes` bytes, closes, or `ms` pass. */
function readFrom(socket: Socket, bytes: number, ms = 3000): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    let data = Buffer.alloc(0);
    let closed = false;
    const done = (): void => {
      clearTimeout(timer);
      socket.removeAllListeners('data');
      resolve({ data, closed });
    };
    const timer = setTimeout(done, ms);
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (data.length >= bytes) done();
    });
    socket.once('close', () => {
      closed = true;
      done();
    });
  });
}

/** A client link message by hand, as docs/protocol.md ("Link and ticket") lays it out. */
function clientLink(channelType: number, commonCapsWord: number): Buffer {
  const mess = Buffer.alloc(18 + 4);
  mess.writeUInt32LE(0, 0);
  mess.writeUInt8(channelType, 4);
  mess.writeUInt8(0, 5);
  mess.writeUInt32LE(1, 6);
  mess.writeUInt32LE(0, 10);
  mess.writeUInt32LE(18, 14);
  mess.writeUInt32LE(commonCapsWord, 18);
  const header = Buffer.alloc(16);
  header.write('REDQ', 0, 'latin1');
  header.writeUInt32LE(2, 4);
  header.writeUInt32LE(2, 8);
  header.writeUInt32LE(mess.length, 12);
  return Buffer.concat([header, mess]);
}

async function connectTo(port: number): Promise<Socket> {
  const socket = connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => {});
  return socket;
}

describe('image helpers', () => {
  it('parses a P6 PPM with comments and 16-bit samples', () => {
    const ppm8 = Buffer.concat([Buffer.from('P6\n# made by hand\n2 1\n255\n', 'latin1'), Buffer.from([255, 0, 0, 0, 0, 255])]);
    expect(parsePpm(ppm8)).toEqual({ width: 2, height: 1, rgba: Buffer.from([255, 0, 0, 255, 0, 0, 255, 255]) });
    const ppm16 = Buffer.concat([Buffer.from('P6 1 1 65535\n', 'latin1'), Buffer.from([0xff, 0xff, 0x80, 0x00, 0x00, 0x00])]);
    expect([...parsePpm(ppm16).rgba]).toEqual([255, 128, 0, 255]);
    expect(() => parsePpm(Buffer.from('P6\n2 2\n255\n\x00\x00\x00', 'latin1'))).toThrow(/raster is 3 bytes/);
    expect(() => parsePpm(Buffer.from('P3\n1 1\n255\n0 0 0', 'latin1'))).toThrow(/not a binary PPM/);
  });

  it('finds the first differing pixel and survives a PNG round trip', () => {
    const a = photoLikeImage(16, 8, 3);
    const b = { ...a, rgba: Buffer.from(a.rgba) };
    expect(comparePixels(a, b)).toEqual({ equal: true, differing: 0 });
    b.rgba[(2 * 16 + 5) * 4 + 1] ^= 1;
    const result = comparePixels(a, b);
    expect(result.equal).toBe(false);
    expect(result.differing).toBe(1);
    expect(result.firstDiff).toMatchObject({ x: 5, y: 2 });
    const decoded = PNG.sync.read(encodePng(a));
    expect(decoded.data.equals(a.rgba)).toBe(true);
    expect(comparePixels(a, photoLikeImage(16, 9, 3)).sizeMismatch).toEqual({ a: [16, 8], b: [16, 9] });
  });
});

describe('requireTool', () => {
  it('finds installed tools and fails with the install command for missing ones', () => {
    expect(requireTool('sh', 'dash')).toMatch(/\/sh$/);
    expect(() => requireTool('no-such-tool-spicedesk', 'no-such-package'))
      .toThrow('no-such-tool-spicedesk is not installed: run `apt-get install no-such-package` (or bash .ci/run)');
  });
});

describe('Xspice peer', () => {
  let xspice: XspiceServer;
  beforeAll(async () => {
    xspice = await startXspice({ imageCompression: 'off' });
  });
  afterAll(async () => {
    await xspice?.stop();
  });

  it('serves the standard desktop to spicy-screenshot, the same pixels every time', async () => {
    const stable = await drawStandardDesktop(xspice);
    expect([stable.width, stable.height]).toEqual([1024, 768]);
    expect(isUniform(stable)).toBe(false);
    // Background, xterm text, the logo and the image: many colours, not a blank or two-tone screen.
    expect(countColours(stable, 1000)).toBeGreaterThan(200);
    // The background colour #336699 shows in the bottom-right corner, where no window is.
    const corner = (767 * 1024 + 1023) * 4;
    expect([...stable.rgba.subarray(corner, corner + 3)]).toEqual([0x33, 0x66, 0x99]);
    // The photo-like image is shown 1:1 at (300,450); with compression off it arrives lossless.
    const image = photoLikeImage(256, 192, 7);
    const shown = stable.rgba.subarray((460 * 1024 + 310) * 4, (460 * 1024 + 310) * 4 + 4);
    const source = image.rgba.subarray((10 * 256 + 10) * 4, (10 * 256 + 10) * 4 + 4);
    expect([...shown]).toEqual([...source]);
    const again = await spicyScreenshot(xspice.port);
    expect(explainMismatch('peers-xspice-stable', stable, again)).toBeUndefined();
  });

  it('stops without leaving Xorg behind', async () => {
    const other = await startXspice();
    const pid = readFileSync(`/tmp/.X${other.display.slice(1)}-lock`, 'utf8').trim();
    expect(groupAlive(Number(pid))).toBe(true);
    await other.stop();
    expect(groupAlive(Number(pid))).toBe(false);
  });
});

describe('Xspice with a password', () => {
  it('lets spicy-screenshot in with the password and not without', async () => {
    const xspice = await startXspice({ password: 'secret-42' });
    try {
      const screen = await waitForStableScreen(xspice.port, { password: 'secret-42', requireContent: false });
      expect([screen.width, screen.height]).toEqual([1024, 768]);
      await expect(spicyScreenshot(xspice.port, { password: 'wrong', timeoutMs: 10_000 })).rejects.toThrow();
    } finally {
      await xspice.stop();
    }
  });
});

describe('QEMU peer', () => {
  it('gives spicy-screenshot a frame drawn by the firmware', async () => {
    const qemu = await startQemu({ qmp: true });
    try {
      // The firmware prints its banner after a moment; wait for something on screen.
      const screen = await waitForStableScreen(qemu.port, { timeoutMs: 20_000 });
      expect(screen.width).toBeGreaterThanOrEqual(640);
      expect(screen.height).toBeGreaterThanOrEqual(400);
      expect(isUniform(screen)).toBe(false);
      expect(await qemu.qmp('query-status')).toMatchObject({ status: 'running' });
    } finally {
      await qemu.stop();
    }
  });
});

describe('misbehaving SPICE server', () => {
  it("'wrong-magic' answers a link header that does not start with REDQ, and records the client", async () => {
    const server = await startMisbehavingServer('wrong-magic');
    try {
      const socket = await connectTo(server.port);
      socket.write(clientLink(1, 0b1011));
      const { data } = await readFrom(socket, 16);
      expect(data.length).toBeGreaterThanOrEqual(16);
      expect(data.subarray(0, 4).toString('latin1')).not.toBe('REDQ');
      expect(data.readUInt32LE(4)).toBe(2);
      socket.destroy();
      expect(server.connections[0].link).toMatchObject({
        magic: 'REDQ', major: 2, minor: 2, channelType: 1, commonCaps: [0, 1, 3], channelCaps: [],
      });
    } finally {
      await server.stop();
    }
  });

  it("'good' accepts the right password and answers PERMISSION_DENIED to a wrong one", async () => {
    const server = await startMisbehavingServer('good', { password: 'pw' });
    try {
      for (const [password, expected] of [['pw', 0], ['nope', 7]] as const) {
        const socket = await connectTo(server.port);
        socket.write(clientLink(1, 0b1011));
        const reply = await readFrom(socket, 16 + 178 + 4);
        expect(reply.data.subarray(0, 4).toString('latin1')).toBe('REDQ');
        expect(reply.data.readUInt32LE(16)).toBe(0); // LinkReply.error
        const key = createPublicKey({ key: reply.data.subarray(20, 20 + 162), format: 'der', type: 'spki' });
        const ticket = publicEncrypt({ key, padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, Buffer.from(`${password}\0`));
        const mechanism = Buffer.alloc(4);
        mechanism.writeUInt32LE(1, 0);
        socket.write(Buffer.concat([mechanism, ticket]));
        const result = await readFrom(socket, 4);
        expect(result.data.readUInt32LE(0)).toBe(expected);
        socket.destroy();
      }
      expect(server.connections.map((c) => c.link?.ticketPassword)).toEqual(['pw', 'nope']);
    } finally {
      await server.stop();
    }
  });

  /** Connects, links as a main channel with `password`, and returns what followed the reply. */
  async function linkThrough(port: number, password = ''): Promise<{ reply: Buffer; after: Buffer; closed: boolean }> {
    const socket = await connectTo(port);
    socket.write(clientLink(1, 0b1011));
    const reply = await readFrom(socket, 16 + 178 + 4);
    if (reply.closed || reply.data.readUInt32LE(16) !== 0) {
      socket.destroy();
      return { reply: reply.data, after: Buffer.alloc(0), closed: reply.closed };
    }
    const key = createPublicKey({ key: reply.data.subarray(20, 20 + 162), format: 'der', type: 'spki' });
    const ticket = publicEncrypt({ key, padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, Buffer.from(`${password}\0`));
    const mechanism = Buffer.alloc(4);
    mechanism.writeUInt32LE(1, 0);
    socket.write(Buffer.concat([mechanism, ticket]));
    const after = await readFrom(socket, 1 << 20, 300);
    socket.destroy();
    return { reply: reply.data, after: after.data, closed: after.closed };
  }

  it("'link-error' puts the code in the reply, or sends it as the link result", async () => {
    const inReply = await startMisbehavingServer('link-error', { linkError: 4 });
    const asResult = await startMisbehavingServer('link-error', { linkError: 9, linkErrorStage: 'result' });
    try {
      const first = await linkThrough(inReply.port);
      expect(first.reply.length).toBe(16 + 178);
      expect(first.reply.readUInt32LE(12)).toBe(178);
      expect(first.reply.readUInt32LE(16)).toBe(4);
      expect(first.closed).toBe(true);
      const second = await linkThrough(asResult.port);
      expect(second.reply.readUInt32LE(16)).toBe(0);
      expect([...second.after]).toEqual([9, 0, 0, 0]);
      expect(second.closed).toBe(true);
    } finally {
      await inReply.stop();
      await asResult.stop();
    }
  });

  it("'short-reply', 'ok-then-close', 'garbage-after-link' and 'silent' do what they say", async () => {
    const short = await startMisbehavingServer('short-reply');
    const okClose = await startMisbehavingServer('ok-then-close');
    const garbage = await startMisbehavingServer('garbage-after-link');
    const silent = await startMisbehavingServer('silent');
    try {
      const s = await linkThrough(short.port);
      expect(s.closed).toBe(true);
      expect(s.reply.subarray(0, 4).toString('latin1')).toBe('REDQ');
      expect(s.reply.length).toBeLessThan(16 + s.reply.readUInt32LE(12));

      const o = await linkThrough(okClose.port, 'anything');
      expect([...o.after]).toEqual([0, 0, 0, 0]);
      expect(o.closed).toBe(true);

      const g = await linkThrough(garbage.port);
      expect(g.after.readUInt32LE(0)).toBe(0); // link result OK
      expect(g.after.readUInt16LE(4)).toBe(101); // mini header: type, then size
      expect(g.after.readUInt32LE(6)).toBe(0x7fffffff);
      expect(g.closed).toBe(false);

      const socket = await connectTo(silent.port);
      socket.write(clientLink(3, 0b1011));
      const quiet = await readFrom(socket, 1, 300);
      expect(quiet).toEqual({ data: Buffer.alloc(0), closed: false });
      socket.destroy();
      expect(silent.received[0].subarray(0, 4).toString('latin1')).toBe('REDQ');
      expect(silent.received[0].length).toBe(16 + 22);
    } finally {
      await Promise.all([short.stop(), okClose.stop(), garbage.stop(), silent.stop()]);
    }
  });

  it("'huge-size' announces 0xFFFFFFF0 bytes and then sends nothing", async () => {
    const server = await startMisbehavingServer('huge-size');
    try {
      const socket = await connectTo(server.port);
      socket.write(clientLink(2, 0b1011));
      const { data, closed } = await readFrom(socket, 17, 300);
      expect(data.length).toBe(16);
      expect(data.readUInt32LE(12)).toBe(0xfffffff0);
      expect(closed).toBe(false);
      socket.destroy();
    } finally {
      await server.stop();
    }
  });
});
