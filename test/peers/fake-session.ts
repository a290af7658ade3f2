// A scripted fake SPICE session on top of the misbehaving server: the main channel sends INIT and
// CHANNELS_LIST (one display), and each display connection is handed to the test, which sends
// what it likes (a first frame, a corrupted image, a stream of costly draws) or cuts it. A channel
// type can be refused at the link. Like misbehaving-server.ts it shares no code with src/protocol:
// the messages are laid out here from spice.proto (docs/protocol.md).
import type { Socket } from 'node:net';
import { startMisbehavingServer, type ClientLink, type MisbehavingServer } from './misbehaving-server.ts';

export const CHANNEL_MAIN = 1;
export const CHANNEL_DISPLAY = 2;
export const CHANNEL_PLAYBACK = 5;
export const CHANNEL_RECORD = 6;

const BASE_PONG = 3;
const BASE_PING = 4;
const MAIN_INIT = 103;
const MAIN_CHANNELS_LIST = 104;
const DISPLAY_MARK = 102;
const DISPLAY_DRAW_FILL = 302;
const DISPLAY_DRAW_COPY = 304;
const DISPLAY_DRAW_ROP3 = 309;
const DISPLAY_DRAW_COMPOSITE = 318;
const DISPLAY_SURFACE_CREATE = 314;
const SURFACE_FMT_XRGB32 = 32;
const SURFACE_FMT_ARGB32 = 96;
const SURFACE_FLAG_PRIMARY = 1;
const IMAGE_BITMAP = 0;
const IMAGE_QUIC = 1;
const IMAGE_SURFACE = 104;
const BITMAP_FMT_32BIT = 8;
const ROPD_OP_PUT = 1 << 3;
const SCALE_INTERPOLATE = 0;
const MOUSE_MODE_SERVER = 1;

export interface DisplayConnection {
  socket: Socket;
  /** Sends one message with a mini header. */
  send(type: number, body: Buffer): void;
  /** What the client sent in the link stage. */
  link: ClientLink;
  /**
   * Sends PING and resolves when the client's PONG has come: the client is then past the link
   * and reading messages (a cut after this is a cut mid-session).
   */
  pingPong(): Promise<void>;
}

export interface FakeSessionOptions {
  /** A link error code for a channel type (e.g. the display), or undefined to link it. */
  refuseLink?: (channelType: number) => number | undefined;
  /** Called when a display channel has linked; the test drives it from there. */
  onDisplay?: (display: DisplayConnection) => void;
  /** Called when the main channel has sent INIT and CHANNELS_LIST. */
  onMain?: (main: DisplayConnection) => void;
  /** Called when a channel of another type (playback, record...) has linked. */
  onChannel?: (type: number, channel: DisplayConnection) => void;
  /** The CHANNELS_LIST as [type, id] pairs; default one display, [[2, 0]]. */
  channels?: readonly (readonly [number, number])[];
  /** Keep what clients send after the link in the server's record (default true; misbehaving-server.ts). */
  recordAfterLink?: boolean;
  /** The channel capabilities announced to a channel type; default none. */
  channelCaps?: (channelType: number) => readonly number[] | undefined;
}

function message(type: number, body: Buffer): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(type, 0);
  header.writeUInt32LE(body.length, 2);
  return Buffer.concat([header, body]);
}

function u32s(...values: number[]): Buffer {
  const out = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => out.writeUInt32LE(v >>> 0, 4 * i));
  return out;
}

export async function startFakeSession(options: FakeSessionOptions = {}): Promise<MisbehavingServer> {
  return startMisbehavingServer('good', {
    refuseLink: (link) => options.refuseLink?.(link.channelType),
    channelCapsFor: (link) => options.channelCaps?.(link.channelType),
    recordAfterLink: options.recordAfterLink,
    onLinked(socket, link) {
      const send = (type: number, body: Buffer): void => void (socket.destroyed || socket.write(message(type, body)));
      const connection: DisplayConnection = {
        socket,
        link,
        send,
        pingPong: () =>
          new Promise<void>((resolve) => {
            const id = 0x70696e67;
            // PONG as the client sends it: mini header (type 3, 12 bytes), the id, the timestamp.
            const pong = Buffer.concat([Buffer.from([BASE_PONG, 0, 12, 0, 0, 0]), u32s(id)]);
            let seen = Buffer.alloc(0);
            const onData = (chunk: Buffer): void => {
              seen = Buffer.concat([seen, chunk]);
              if (seen.includes(pong)) {
                socket.off('data', onData);
                resolve();
              }
            };
            socket.on('data', onData);
            send(BASE_PING, Buffer.concat([u32s(id), Buffer.alloc(8)]));
          }),
      };
      if (link.channelType === CHANNEL_MAIN) {
        // session id, display hint, supported and current mouse mode, agent, tokens, mm time, ram hint
        connection.send(MAIN_INIT, u32s(0x5eed, 1, MOUSE_MODE_SERVER, MOUSE_MODE_SERVER, 0, 0, 0, 0));
        const channels = options.channels ?? [[CHANNEL_DISPLAY, 0]];
        connection.send(MAIN_CHANNELS_LIST, Buffer.concat([u32s(channels.length), Buffer.from(channels.flat())]));
        options.onMain?.(connection);
      } else if (link.channelType === CHANNEL_DISPLAY) {
        options.onDisplay?.(connection);
      } else {
        options.onChannel?.(link.channelType, connection);
      }
    },
  });
}

// Display messages, laid out as spice.proto says.

export interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

export const displayMessages = {
  MARK: DISPLAY_MARK,
  DRAW_FILL: DISPLAY_DRAW_FILL,
  DRAW_COPY: DISPLAY_DRAW_COPY,
  DRAW_ROP3: DISPLAY_DRAW_ROP3,
  DRAW_COMPOSITE: DISPLAY_DRAW_COMPOSITE,
  SURFACE_CREATE: DISPLAY_SURFACE_CREATE,
} as const;

/** SURFACE_CREATE: u32 id, width, height, format, flags. */
export function surfaceCreate(id: number, width: number, height: number, primary = id === 0, argb = false): Buffer {
  return u32s(id, width, height, argb ? SURFACE_FMT_ARGB32 : SURFACE_FMT_XRGB32, primary ? SURFACE_FLAG_PRIMARY : 0);
}

function rect(b: Box): Buffer {
  const out = Buffer.alloc(16);
  out.writeInt32LE(b.top, 0);
  out.writeInt32LE(b.left, 4);
  out.writeInt32LE(b.bottom, 8);
  out.writeInt32LE(b.right, 12);
  return out;
}

/** DisplayBase: u32 surface, Rect box, Clip (u8 type; RECTS: u32 count and the rects). */
function displayBase(surfaceId: number, box: Box, clip: Box[] | null): Buffer {
  const clipBytes = clip ? Buffer.concat([Buffer.from([1]), u32s(clip.length), ...clip.map(rect)]) : Buffer.from([0]);
  return Buffer.concat([u32s(surfaceId), rect(box), clipBytes]);
}

/** QMask without an image: u8 flags, Point pos, NULL pointer. */
const noMask = (): Buffer => Buffer.alloc(1 + 8 + 4);

/** DRAW_FILL with a solid brush and ROP "put". */
export function drawFill(surfaceId: number, box: Box, color: number, clip: Box[] | null = null): Buffer {
  const brush = Buffer.concat([Buffer.from([1]), u32s(color)]);
  const rop = Buffer.alloc(2);
  rop.writeUInt16LE(ROPD_OP_PUT, 0);
  return Buffer.concat([displayBase(surfaceId, box, clip), brush, rop, noMask()]);
}

/** An image descriptor of a SURFACE image (u64 id, u8 type, u8 flags, u32 w, u32 h, u32 surface id). */
function surfaceImage(surfaceId: number, width: number, height: number): Buffer {
  const d = Buffer.alloc(18 + 4);
  d.writeBigUInt64LE(BigInt(surfaceId) + 1000n, 0);
  d.writeUInt8(IMAGE_SURFACE, 8);
  d.writeUInt32LE(width, 10);
  d.writeUInt32LE(height, 14);
  d.writeUInt32LE(surfaceId, 18);
  return d;
}

/**
 * DRAW_COPY from another surface, scaled with interpolation from srcArea to box: the costliest
 * copy a few bytes can ask for.
 */
export function drawScaledCopy(surfaceId: number, box: Box, srcSurface: number, srcSize: { width: number; height: number }, srcArea: Box): Buffer {
  const base = displayBase(surfaceId, box, null);
  // base | u32 src pointer | Rect srcArea | u16 rop | u8 scale mode | QMask ; then the image
  const fixed = base.length + 4 + 16 + 2 + 1 + 13;
  const tail = Buffer.alloc(2 + 1);
  tail.writeUInt16LE(ROPD_OP_PUT, 0);
  tail.writeUInt8(SCALE_INTERPOLATE, 2);
  return Buffer.concat([base, u32s(fixed), rect(srcArea), tail, noMask(), surfaceImage(srcSurface, srcSize.width, srcSize.height)]);
}

/** DRAW_ROP3 from another surface with a solid brush: every pixel reads source, brush and destination. */
export function drawRop3(surfaceId: number, box: Box, srcSurface: number, srcSize: { width: number; height: number }, srcArea: Box, rop3 = 0x96): Buffer {
  const base = displayBase(surfaceId, box, null);
  // base | u32 src pointer | Rect srcArea | brush (u8 type, u32 color) | u8 rop3 | u8 scale | QMask ; image
  const fixed = base.length + 4 + 16 + 5 + 1 + 1 + 13;
  return Buffer.concat([
    base,
    u32s(fixed),
    rect(srcArea),
    Buffer.concat([Buffer.from([1]), u32s(0x123456)]),
    Buffer.from([rop3, SCALE_INTERPOLATE]),
    noMask(),
    surfaceImage(srcSurface, srcSize.width, srcSize.height),
  ]);
}

/**
 * DRAW_COMPOSITE (OVER, bilinear filter) of another surface through a rotating source transform:
 * the costliest per-pixel path of the compositor.
 */
export function drawComposite(surfaceId: number, box: Box, srcSurface: number, srcSize: { width: number; height: number }): Buffer {
  const OP_OVER = 3;
  const HAS_SRC_TRANSFORM = 1 << 20;
  const SRC_FILTER_BILINEAR = 4 << 8; // pixman_filter_t PIXMAN_FILTER_BILINEAR, bits 8-10
  const flags = OP_OVER | HAS_SRC_TRANSFORM | SRC_FILTER_BILINEAR;
  const base = displayBase(surfaceId, box, null);
  // base | u32 flags | u32 src pointer | transform (6 x i32) | 2 x Point16 ; image
  const fixed = base.length + 4 + 4 + 24 + 8;
  const transform = Buffer.alloc(24);
  // 16.16 fixed: a slight rotation and scale, so no fast path applies.
  [0xf000, 0x1000, 0, -0x1000, 0xf000, 0].forEach((v, i) => transform.writeInt32LE(v, 4 * i));
  return Buffer.concat([base, u32s(flags), u32s(fixed), transform, Buffer.alloc(8), surfaceImage(srcSurface, srcSize.width, srcSize.height)]);
}

/**
 * A DRAW_COPY of a corrupted image: 'quic' is a QUIC image whose data is noise (it parses, but
 * does not decode), 'bitmap' a 32-bit BITMAP whose pixel data is cut short (it does not parse).
 */
export function drawCopyOfCorruptImage(surfaceId: number, box: Box, kind: 'quic' | 'bitmap'): Buffer {
  const width = box.right - box.left;
  const height = box.bottom - box.top;
  const base = displayBase(surfaceId, box, null);
  const fixed = base.length + 4 + 16 + 2 + 1 + 13;
  const tail = Buffer.alloc(3);
  tail.writeUInt16LE(ROPD_OP_PUT, 0);
  tail.writeUInt8(1, 2); // nearest
  const descriptor = Buffer.alloc(18);
  descriptor.writeBigUInt64LE(77n, 0);
  descriptor.writeUInt8(kind === 'quic' ? IMAGE_QUIC : IMAGE_BITMAP, 8);
  descriptor.writeUInt32LE(width, 10);
  descriptor.writeUInt32LE(height, 14);
  let image: Buffer;
  if (kind === 'quic') {
    // BinaryData: u32 size, then the bytes: a QUIC header with a wrong magic, then noise.
    const noise = Buffer.alloc(256, 0x5a);
    image = Buffer.concat([u32s(noise.length), noise]);
  } else {
    // Bitmap: u8 format, u8 flags, u32 x, u32 y, u32 stride, NULL palette pointer, then the data.
    const bitmap = Buffer.alloc(1 + 1 + 12 + 4);
    bitmap.writeUInt8(BITMAP_FMT_32BIT, 0);
    bitmap.writeUInt32LE(width, 2);
    bitmap.writeUInt32LE(height, 6);
    bitmap.writeUInt32LE(width * 4, 10);
    image = Buffer.concat([bitmap, Buffer.alloc(width * 4)]); // one row of the height announced
  }
  const srcArea = { left: 0, top: 0, right: width, bottom: height };
  return Buffer.concat([base, u32s(fixed), rect(srcArea), tail, noMask(), descriptor, image]);
}

/**
 * A DRAW_COPY of a BITMAP image carried in the message (decoded where the draw is applied, not in
 * a decode worker): `bits` 1 (with a two-colour palette) or 32 per pixel.
 */
export function drawCopyOfBitmap(surfaceId: number, box: Box, bits: 1 | 32): Buffer {
  const width = box.right - box.left;
  const height = box.bottom - box.top;
  const base = displayBase(surfaceId, box, null);
  const fixed = base.length + 4 + 16 + 2 + 1 + 13;
  const tail = Buffer.alloc(3);
  tail.writeUInt16LE(ROPD_OP_PUT, 0);
  tail.writeUInt8(1, 2);
  const descriptor = Buffer.alloc(18);
  descriptor.writeBigUInt64LE(78n, 0);
  descriptor.writeUInt8(IMAGE_BITMAP, 8);
  descriptor.writeUInt32LE(width, 10);
  descriptor.writeUInt32LE(height, 14);
  const stride = bits === 1 ? Math.ceil(width / 8) : width * 4;
  // Bitmap: u8 format (1BIT_LE = 1, 32BIT = 8), u8 flags, u32 x, u32 y, u32 stride, palette pointer.
  const bitmap = Buffer.alloc(1 + 1 + 12 + 4);
  bitmap.writeUInt8(bits === 1 ? 1 : BITMAP_FMT_32BIT, 0);
  bitmap.writeUInt32LE(width, 2);
  bitmap.writeUInt32LE(height, 6);
  bitmap.writeUInt32LE(stride, 10);
  const imageAt = fixed + descriptor.length;
  const pixels = Buffer.alloc(stride * height, 0xa5);
  let palette = Buffer.alloc(0);
  if (bits === 1) {
    bitmap.writeUInt32LE(imageAt + bitmap.length + pixels.length, 14);
    // Palette: u64 unique, u16 count, the entries.
    palette = Buffer.concat([Buffer.alloc(8), Buffer.from([2, 0]), u32s(0x000000, 0xffffff)]);
  }
  const srcArea = { left: 0, top: 0, right: width, bottom: height };
  return Buffer.concat([base, u32s(fixed), rect(srcArea), tail, noMask(), descriptor, bitmap, pixels, palette]);
}

// Playback and record messages, laid out as spice.proto says (docs/protocol.md "Playback and record").

export const soundMessages = {
  PLAYBACK_DATA: 101,
  PLAYBACK_MODE: 102,
  PLAYBACK_START: 103,
  PLAYBACK_STOP: 104,
  PLAYBACK_VOLUME: 105,
  RECORD_START: 101,
  RECORD_STOP: 102,
  RECORD_VOLUME: 103,
  /** Client to server on the record channel. */
  RECORD_DATA: 101,
  RECORD_MODE: 102,
  RECORD_START_MARK: 103,
} as const;

/** MODE: u32 time, u16 mode (1 RAW, 2 CELT, 3 OPUS). */
/** PORT_INIT: u32 name size (with its NUL), u32 offset of the name in the body, u8 opened, the name. */
export function portInit(name: string, opened: boolean): Buffer {
  const text = Buffer.from(`${name}\0`);
  const head = Buffer.alloc(9);
  head.writeUInt32LE(text.length, 0);
  head.writeUInt32LE(9, 4);
  head[8] = opened ? 1 : 0;
  return Buffer.concat([head, text]);
}

export function soundMode(time: number, mode: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUInt32LE(time, 0);
  b.writeUInt16LE(mode, 4);
  return b;
}

/** Playback START (u32 channels, u16 format, u32 frequency, u32 time) or, without time, record START. */
export function soundStart(channels: number, format: number, frequency: number, time?: number): Buffer {
  const b = Buffer.alloc(time === undefined ? 10 : 14);
  b.writeUInt32LE(channels, 0);
  b.writeUInt16LE(format, 4);
  b.writeUInt32LE(frequency, 6);
  if (time !== undefined) b.writeUInt32LE(time, 10);
  return b;
}

/** VOLUME: u8 count, then u16 per channel (a lying count when `count` exceeds the values). */
export function soundVolume(count: number, ...values: number[]): Buffer {
  const b = Buffer.alloc(1 + 2 * values.length);
  b.writeUInt8(count, 0);
  values.forEach((v, i) => b.writeUInt16LE(v, 1 + 2 * i));
  return b;
}

/** Playback DATA: u32 time, then the payload. */
export function soundData(time: number, payload: Buffer): Buffer {
  return Buffer.concat([u32s(time), payload]);
}

/** Splits what a client sent after its link into mini-header messages. */
export function clientMessages(bytes: Buffer): { type: number; body: Buffer }[] {
  const out: { type: number; body: Buffer }[] = [];
  for (let o = 0; o + 6 <= bytes.length; ) {
    const size = bytes.readUInt32LE(o + 2);
    out.push({ type: bytes.readUInt16LE(o), body: bytes.subarray(o + 6, o + 6 + size) });
    o += 6 + size;
  }
  return out;
}
