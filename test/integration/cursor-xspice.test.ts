// The cursor channel against a real Xspice: root-window cursors set with xsetroot arrive as
// 'shape' events whose size, hot spot and pixels are those of the Xcursor theme file X loaded,
// and pointer motion arrives as 'move'.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CursorChannel } from '../../src/protocol/channels/cursor/cursor-channel.ts';
import type { CursorImage } from '../../src/protocol/channels/cursor/cursor-decode.ts';
import { ChannelType } from '../../src/protocol/link/constants.ts';
import { silentLogger } from '../../src/protocol/logger.ts';
import { Session } from '../../src/protocol/session/session.ts';
import { openSocket } from '../../src/main/transport/socket-transport.ts';
import { nodeTicketCrypto } from '../../src/main/node/ticket-crypto.ts';
import { requireFile } from '../peers/require-tool.ts';
import { waitFor, waitUntil } from '../helpers/wait.ts';
import { startXspice, type XspiceServer } from '../peers/xspice.ts';
import { LocalDisplaySink } from '../../src/protocol/display/local-display-sink.ts';

const THEME_DIR = '/usr/share/icons/Adwaita/cursors';
/** The nominal size asked of libXcursor, so that the image X picks is known. */
const CURSOR_SIZE = 24;

interface XcursorFrame {
  width: number;
  height: number;
  hotX: number;
  hotY: number;
  /** Premultiplied ARGB words, as X gets them. */
  argb: Uint32Array;
}

/** The frames of one nominal size in an Xcursor file (the format libXcursor reads). */
function readXcursor(path: string, nominalSize: number): XcursorFrame[] {
  const file = readFileSync(path);
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (file.toString('latin1', 0, 4) !== 'Xcur') throw new Error(`${path} is not an Xcursor file`);
  const tocEntries = view.getUint32(12, true);
  const frames: XcursorFrame[] = [];
  for (let i = 0; i < tocEntries; i++) {
    const type = view.getUint32(16 + 12 * i, true);
    const subtype = view.getUint32(20 + 12 * i, true);
    const at = view.getUint32(24 + 12 * i, true);
    if (type !== 0xfffd0002 || subtype !== nominalSize) continue;
    const width = view.getUint32(at + 16, true);
    const height = view.getUint32(at + 20, true);
    const argb = new Uint32Array(width * height);
    for (let p = 0; p < argb.length; p++) argb[p] = view.getUint32(at + 36 + 4 * p, true);
    frames.push({ width, height, hotX: view.getUint32(at + 24, true), hotY: view.getUint32(at + 28, true), argb });
  }
  if (frames.length === 0) throw new Error(`${path} has no ${nominalSize}-pixel image`);
  return frames;
}

/**
 * Whether a decoded (straight-alpha) image shows this Xcursor frame: same alpha everywhere, and
 * each colour, premultiplied again, within rounding of the file's.
 */
function showsFrame(image: CursorImage, frame: XcursorFrame): boolean {
  if (image.width !== frame.width || image.height !== frame.height) return false;
  for (let p = 0; p < frame.argb.length; p++) {
    const word = frame.argb[p];
    const a = word >>> 24;
    if (image.rgba[4 * p + 3] !== a) return false;
    const fileRgb = [(word >>> 16) & 0xff, (word >>> 8) & 0xff, word & 0xff];
    for (let c = 0; c < 3; c++) {
      if (Math.abs(Math.round((image.rgba[4 * p + c] * a) / 255) - fileRgb[c]) > 1) return false;
    }
  }
  return true;
}

describe('cursor channel against Xspice', () => {
  let xs: XspiceServer;
  let session: Session;
  let cursor: CursorChannel;
  const shapes: (CursorImage | null)[] = [];
  const moves: { x: number; y: number }[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    requireFile(`${THEME_DIR}/left_ptr`, 'adwaita-icon-theme', 'the Adwaita cursor theme');
    xs = await startXspice();
    session = new Session({
      connector: () => openSocket({ host: '127.0.0.1', port: xs.port }, 5000),
      crypto: nodeTicketCrypto,
      logger: silentLogger,
      displaySink: new LocalDisplaySink({ logger: silentLogger }),
      where: `127.0.0.1:${xs.port}`,
      shouldLink: (c) => c.type === ChannelType.CURSOR,
    });
    const linked = new Promise<CursorChannel>((resolve) => {
      session.events.on('channel-linked', (ch) => {
        if (ch instanceof CursorChannel) resolve(ch);
      });
    });
    await session.connect();
    cursor = await linked;
    cursor.events.on('shape', ({ image }) => shapes.push(image));
    cursor.events.on('move', (m) => moves.push(m));
    cursor.events.on('message-error', ({ message }) => errors.push(message));
  });

  afterAll(async () => {
    session?.close();
    await xs?.stop();
  });

  const setRootCursor = (name: string) => xs.exec('env', [`XCURSOR_SIZE=${CURSOR_SIZE}`, 'XCURSOR_THEME=Adwaita', 'xsetroot', '-cursor_name', name]);

  /** Waits for a 'shape' event after index `from` that passes `test`; returns it. */
  async function shapeAfter(from: number, test: (image: CursorImage) => boolean, what: string, timeoutMs = 5000): Promise<CursorImage> {
    return waitFor(`a cursor shape ${what}`, () => shapes.slice(from).find((s): s is CursorImage => s !== null && test(s)), timeoutMs, {
      explain: () => {
        const seen = shapes.slice(from).map((s) => (s ? `${s.width}x${s.height} hot ${s.hotX},${s.hotY}` : 'none'));
        return `${seen.length} shapes since, the last: [${seen.slice(-5).join('; ')}]; errors: [${errors.join('; ')}]`;
      },
    });
  }

  /** Sets a root cursor and waits for the server's shape of that cursor; checks it against the theme file. */
  async function rootCursorShape(name: string): Promise<CursorImage> {
    const frames = readXcursor(`${THEME_DIR}/${name}`, CURSOR_SIZE);
    const from = shapes.length;
    await xs.exec('xdotool', ['mousemove', '200', '150']);
    await setRootCursor(name);
    const image = await shapeAfter(from, (s) => frames.some((f) => showsFrame(s, f)), `showing ${name}`);
    const frame = frames.find((f) => showsFrame(image, f))!;
    expect([image.width, image.height, image.hotX, image.hotY]).toEqual([frame.width, frame.height, frame.hotX, frame.hotY]);
    return image;
  }

  const opaquePixels = (image: CursorImage) => image.rgba.filter((_, i) => i % 4 === 3 && image.rgba[i] === 255).length;

  it('shows left_ptr with the size, hot spot and pixels of the theme file', async () => {
    const image = await rootCursorShape('left_ptr');
    // Adwaita's 24-pixel left_ptr: hot spot at the arrow's tip, (4, 4).
    expect([image.width, image.height, image.hotX, image.hotY]).toEqual([24, 24, 4, 4]);
    expect(opaquePixels(image)).toBeGreaterThan(20);
    expect(cursor.cursor.visible).toBe(true);
    expect(errors).toEqual([]);
  });

  it('two cursor names give two different shapes; the same name twice gives identical pixels', async () => {
    const first = await rootCursorShape('left_ptr');
    const xterm = await rootCursorShape('xterm');
    expect([xterm.hotX, xterm.hotY]).toEqual([11, 12]);
    expect(opaquePixels(xterm)).toBeGreaterThan(10);
    expect(Buffer.from(xterm.rgba).equals(Buffer.from(first.rgba))).toBe(false);
    const again = await rootCursorShape('left_ptr');
    expect(again).not.toBe(first);
    expect(Buffer.from(again.rgba).equals(Buffer.from(first.rgba))).toBe(true);
    expect(errors).toEqual([]);
  });

  it('follows the frames of the animated watch cursor', async () => {
    const frames = readXcursor(`${THEME_DIR}/watch`, CURSOR_SIZE);
    const from = shapes.length;
    const first = await rootCursorShape('watch');
    // X steps through the frames itself, each one a new SET; wait until a second distinct frame.
    const firstIndex = frames.findIndex((f) => showsFrame(first, f));
    await shapeAfter(from, (s) => frames.some((f, i) => i !== firstIndex && showsFrame(s, f) && !showsFrame(s, frames[firstIndex])), 'of another watch frame');
    for (const s of shapes.slice(from)) {
      expect(s).not.toBeNull();
      expect([s!.width, s!.height, s!.hotX, s!.hotY]).toEqual([24, 24, 11, 11]);
      expect(frames.some((f) => showsFrame(s!, f))).toBe(true);
    }
    await setRootCursor('left_ptr');
  });

  it('reports pointer motion as move events at the pointer position', async () => {
    await rootCursorShape('left_ptr');
    const from = moves.length;
    await xs.exec('xdotool', ['mousemove', '321', '123']);
    await waitUntil('a move to 321,123', () => moves.slice(from).some((m) => m.x === 321 && m.y === 123), 5000, {
      explain: () => `moves since: ${JSON.stringify(moves.slice(from))}`,
    });
    expect(cursor.cursor.x).toBe(321);
    expect(cursor.cursor.y).toBe(123);
    expect(cursor.cursor.visible).toBe(true);
  });
});
