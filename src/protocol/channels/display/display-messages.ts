// Server -> client display-channel messages parsed into values, one table entry per message
// number, and the client -> server display messages. Layouts are spice.proto's `channel
// DisplayChannel`; the drawing messages live in display-draw.ts, images in display-images.ts.
// The base-channel messages (1..8: SET_ACK, PING, ...) are the channel base's business and are not
// in this table.
import { SpiceError } from '../../wire/errors.ts';
import { WireReader } from '../../wire/reader.ts';
import { WireWriter } from '../../wire/writer.ts';
import type { DisplayBase, DrawOp, SurfaceCreate } from '../../pixels/draw-ops.ts';
import type { Clip, Point, Rect } from '../../pixels/geometry.ts';
import { checkDimensions } from './display-images.ts';
import {
  parseDrawAlphaBlend,
  parseDrawBlackness,
  parseDrawBlend,
  parseDrawComposite,
  parseDrawCopy,
  parseDrawFill,
  parseDrawInvers,
  parseDrawOpaque,
  parseDrawRop3,
  parseDrawStroke,
  parseDrawText,
  parseDrawTransparent,
  parseDrawWhiteness,
  readClip,
  readDisplayBase,
  readPoint,
  readRect,
} from './display-draw.ts';

/** Every server -> client display message number (spice.proto DisplayChannel, server part). */
export const DisplayMsg = {
  MODE: 101,
  MARK: 102,
  RESET: 103,
  COPY_BITS: 104,
  INVAL_LIST: 105,
  INVAL_ALL_PIXMAPS: 106,
  INVAL_PALETTE: 107,
  INVAL_ALL_PALETTES: 108,
  STREAM_CREATE: 122,
  STREAM_DATA: 123,
  STREAM_CLIP: 124,
  STREAM_DESTROY: 125,
  STREAM_DESTROY_ALL: 126,
  DRAW_FILL: 302,
  DRAW_OPAQUE: 303,
  DRAW_COPY: 304,
  DRAW_BLEND: 305,
  DRAW_BLACKNESS: 306,
  DRAW_WHITENESS: 307,
  DRAW_INVERS: 308,
  DRAW_ROP3: 309,
  DRAW_STROKE: 310,
  DRAW_TEXT: 311,
  DRAW_TRANSPARENT: 312,
  DRAW_ALPHA_BLEND: 313,
  SURFACE_CREATE: 314,
  SURFACE_DESTROY: 315,
  STREAM_DATA_SIZED: 316,
  MONITORS_CONFIG: 317,
  DRAW_COMPOSITE: 318,
  STREAM_ACTIVATE_REPORT: 319,
  GL_SCANOUT_UNIX: 320,
  GL_DRAW: 321,
  QUALITY_INDICATOR: 322,
} as const;

export type DisplayMsgName = keyof typeof DisplayMsg;
export type DisplayMsgNumber = (typeof DisplayMsg)[DisplayMsgName];

/** Client -> server display message numbers. */
export const DisplayClientMsg = {
  INIT: 101,
  STREAM_REPORT: 102,
  PREFERRED_COMPRESSION: 103,
  GL_DRAW_DONE: 104,
  PREFERRED_VIDEO_CODEC_TYPE: 105,
} as const;

/** spice.proto image_compression, for PREFERRED_COMPRESSION. */
export const ImageCompression = { INVALID: 0, OFF: 1, AUTO_GLZ: 2, AUTO_LZ: 3, QUIC: 4, GLZ: 5, LZ: 6, LZ4: 7 } as const;

/** spice.proto video_codec_type, as in STREAM_CREATE and PREFERRED_VIDEO_CODEC_TYPE. */
export const VideoCodec = { MJPEG: 1, VP8: 2, H264: 3, VP9: 4, H265: 5 } as const;

export const StreamFlags = { TOP_DOWN: 1 } as const;
export const GlScanoutFlags = { Y0TOP: 1 } as const;
/** INVAL_LIST resource types. */
export const ResourceType = { INVALID: 0, PIXMAP: 1 } as const;

export interface ChannelWait {
  channelType: number;
  channelId: number;
  messageSerial: bigint;
}

/** One monitor of MONITORS_CONFIG (spice.proto Head); every field as read, all u32. */
export interface Head {
  monitorId: number;
  surfaceId: number;
  width: number;
  height: number;
  x: number;
  y: number;
  flags: number;
}

export interface StreamCreate {
  surfaceId: number;
  id: number;
  /** StreamFlags */
  flags: number;
  /** VideoCodec */
  codecType: number;
  stamp: bigint;
  streamWidth: number;
  streamHeight: number;
  srcWidth: number;
  srcHeight: number;
  dest: Rect;
  clip: Clip;
}

export type DisplayMessage =
  | { type: 'mode'; xRes: number; yRes: number; bits: number }
  | { type: 'mark' }
  | { type: 'reset' }
  | { type: 'copy-bits'; base: DisplayBase; srcPos: Point }
  | { type: 'inval-list'; resources: { type: number; id: bigint }[] }
  | { type: 'inval-all-pixmaps'; waits: ChannelWait[] }
  | { type: 'inval-palette'; id: bigint }
  | { type: 'inval-all-palettes' }
  | { type: 'stream-create'; stream: StreamCreate }
  /** One encoded frame (MJPEG: a whole JPEG), a view into the message. */
  | { type: 'stream-data'; id: number; multiMediaTime: number; data: Uint8Array }
  /** A frame whose size differs from the stream's: draw it into `dest` at width×height. */
  | { type: 'stream-data-sized'; id: number; multiMediaTime: number; width: number; height: number; dest: Rect; data: Uint8Array }
  | { type: 'stream-clip'; id: number; clip: Clip }
  | { type: 'stream-destroy'; id: number }
  | { type: 'stream-destroy-all' }
  | { type: 'stream-activate-report'; streamId: number; uniqueId: number; maxWindowSize: number; timeoutMs: number }
  | { type: 'draw'; draw: DrawOp }
  | { type: 'surface-create'; surface: SurfaceCreate }
  | { type: 'surface-destroy'; surfaceId: number }
  | { type: 'monitors-config'; maxAllowed: number; heads: Head[] }
  /**
   * The dma-buf fd is not in the body: it arrives as SCM_RIGHTS ancillary data on a Unix socket,
   * and the transport must pair it with this message.
   */
  | { type: 'gl-scanout-unix'; width: number; height: number; stride: number; drmFourccFormat: number; flags: number }
  /** The client must answer GL_DRAW_DONE once the area is shown. */
  | { type: 'gl-draw'; x: number; y: number; width: number; height: number }
  | { type: 'quality-indicator'; data: Uint8Array };

export interface DisplayMessageParser {
  name: DisplayMsgName;
  parse(r: WireReader): DisplayMessage;
}

const CHANNEL_WAIT_BYTES = 10;
const RESOURCE_ID_BYTES = 9;
const HEAD_BYTES = 28;

function draw(parse: (r: WireReader) => DrawOp): (r: WireReader) => DisplayMessage {
  return (r) => ({ type: 'draw', draw: parse(r) });
}

function parseInvalList(r: WireReader): DisplayMessage {
  const count = r.count(r.u16(), RESOURCE_ID_BYTES, 'resources');
  const resources: { type: number; id: bigint }[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const type = r.u8();
    resources[i] = { type, id: r.u64() };
  }
  return { type: 'inval-list', resources };
}

function parseInvalAllPixmaps(r: WireReader): DisplayMessage {
  const count = r.count(r.u8(), CHANNEL_WAIT_BYTES, 'channel waits');
  const waits: ChannelWait[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const channelType = r.u8();
    const channelId = r.u8();
    waits[i] = { channelType, channelId, messageSerial: r.u64() };
  }
  return { type: 'inval-all-pixmaps', waits };
}

function parseStreamCreate(r: WireReader): DisplayMessage {
  const surfaceId = r.u32();
  const id = r.u32();
  const flags = r.u8();
  const codecType = r.u8();
  const stamp = r.u64();
  const sizesOffset = r.offset;
  const streamWidth = r.u32();
  const streamHeight = r.u32();
  const srcWidth = r.u32();
  const srcHeight = r.u32();
  checkDimensions(r, 'stream', streamWidth, streamHeight, sizesOffset);
  checkDimensions(r, 'stream source', srcWidth, srcHeight, sizesOffset + 8);
  const dest = readRect(r);
  const clip = readClip(r);
  return {
    type: 'stream-create',
    stream: { surfaceId, id, flags, codecType, stamp, streamWidth, streamHeight, srcWidth, srcHeight, dest, clip },
  };
}

function parseStreamData(r: WireReader): DisplayMessage {
  const id = r.u32();
  const multiMediaTime = r.u32();
  const size = r.u32();
  return { type: 'stream-data', id, multiMediaTime, data: r.take(size, 'stream frame') };
}

function parseStreamDataSized(r: WireReader): DisplayMessage {
  const id = r.u32();
  const multiMediaTime = r.u32();
  const sizeOffset = r.offset;
  const width = r.u32();
  const height = r.u32();
  checkDimensions(r, 'stream frame', width, height, sizeOffset);
  const dest = readRect(r);
  const size = r.u32();
  return { type: 'stream-data-sized', id, multiMediaTime, width, height, dest, data: r.take(size, 'stream frame') };
}

function parseSurfaceCreate(r: WireReader): DisplayMessage {
  const surfaceId = r.u32();
  const sizeOffset = r.offset;
  const width = r.u32();
  const height = r.u32();
  checkDimensions(r, `surface ${surfaceId}`, width, height, sizeOffset);
  const format = r.u32();
  return { type: 'surface-create', surface: { surfaceId, width, height, format, flags: r.u32() } };
}

function parseMonitorsConfig(r: WireReader): DisplayMessage {
  const countField = r.u16();
  const maxAllowed = r.u16();
  const count = r.count(countField, HEAD_BYTES, 'monitor heads');
  const heads: Head[] = new Array(count);
  for (let i = 0; i < count; i++) {
    heads[i] = {
      monitorId: r.u32(),
      surfaceId: r.u32(),
      width: r.u32(),
      height: r.u32(),
      x: r.u32(),
      y: r.u32(),
      flags: r.u32(),
    };
  }
  return { type: 'monitors-config', maxAllowed, heads };
}

const parsers: Record<DisplayMsgNumber, DisplayMessageParser> = {
  [DisplayMsg.MODE]: {
    name: 'MODE',
    parse: (r) => {
      const xRes = r.u32();
      const yRes = r.u32();
      return { type: 'mode', xRes, yRes, bits: r.u32() };
    },
  },
  [DisplayMsg.MARK]: { name: 'MARK', parse: () => ({ type: 'mark' }) },
  [DisplayMsg.RESET]: { name: 'RESET', parse: () => ({ type: 'reset' }) },
  [DisplayMsg.COPY_BITS]: {
    name: 'COPY_BITS',
    parse: (r) => {
      const base = readDisplayBase(r);
      return { type: 'copy-bits', base, srcPos: readPoint(r) };
    },
  },
  [DisplayMsg.INVAL_LIST]: { name: 'INVAL_LIST', parse: parseInvalList },
  [DisplayMsg.INVAL_ALL_PIXMAPS]: { name: 'INVAL_ALL_PIXMAPS', parse: parseInvalAllPixmaps },
  [DisplayMsg.INVAL_PALETTE]: { name: 'INVAL_PALETTE', parse: (r) => ({ type: 'inval-palette', id: r.u64() }) },
  [DisplayMsg.INVAL_ALL_PALETTES]: { name: 'INVAL_ALL_PALETTES', parse: () => ({ type: 'inval-all-palettes' }) },
  [DisplayMsg.STREAM_CREATE]: { name: 'STREAM_CREATE', parse: parseStreamCreate },
  [DisplayMsg.STREAM_DATA]: { name: 'STREAM_DATA', parse: parseStreamData },
  [DisplayMsg.STREAM_CLIP]: {
    name: 'STREAM_CLIP',
    parse: (r) => {
      const id = r.u32();
      return { type: 'stream-clip', id, clip: readClip(r) };
    },
  },
  [DisplayMsg.STREAM_DESTROY]: { name: 'STREAM_DESTROY', parse: (r) => ({ type: 'stream-destroy', id: r.u32() }) },
  [DisplayMsg.STREAM_DESTROY_ALL]: { name: 'STREAM_DESTROY_ALL', parse: () => ({ type: 'stream-destroy-all' }) },
  [DisplayMsg.DRAW_FILL]: { name: 'DRAW_FILL', parse: draw(parseDrawFill) },
  [DisplayMsg.DRAW_OPAQUE]: { name: 'DRAW_OPAQUE', parse: draw(parseDrawOpaque) },
  [DisplayMsg.DRAW_COPY]: { name: 'DRAW_COPY', parse: draw(parseDrawCopy) },
  [DisplayMsg.DRAW_BLEND]: { name: 'DRAW_BLEND', parse: draw(parseDrawBlend) },
  [DisplayMsg.DRAW_BLACKNESS]: { name: 'DRAW_BLACKNESS', parse: draw(parseDrawBlackness) },
  [DisplayMsg.DRAW_WHITENESS]: { name: 'DRAW_WHITENESS', parse: draw(parseDrawWhiteness) },
  [DisplayMsg.DRAW_INVERS]: { name: 'DRAW_INVERS', parse: draw(parseDrawInvers) },
  [DisplayMsg.DRAW_ROP3]: { name: 'DRAW_ROP3', parse: draw(parseDrawRop3) },
  [DisplayMsg.DRAW_STROKE]: { name: 'DRAW_STROKE', parse: draw(parseDrawStroke) },
  [DisplayMsg.DRAW_TEXT]: { name: 'DRAW_TEXT', parse: draw(parseDrawText) },
  [DisplayMsg.DRAW_TRANSPARENT]: { name: 'DRAW_TRANSPARENT', parse: draw(parseDrawTransparent) },
  [DisplayMsg.DRAW_ALPHA_BLEND]: { name: 'DRAW_ALPHA_BLEND', parse: draw(parseDrawAlphaBlend) },
  [DisplayMsg.SURFACE_CREATE]: { name: 'SURFACE_CREATE', parse: parseSurfaceCreate },
  [DisplayMsg.SURFACE_DESTROY]: {
    name: 'SURFACE_DESTROY',
    parse: (r) => ({ type: 'surface-destroy', surfaceId: r.u32() }),
  },
  [DisplayMsg.STREAM_DATA_SIZED]: { name: 'STREAM_DATA_SIZED', parse: parseStreamDataSized },
  [DisplayMsg.MONITORS_CONFIG]: { name: 'MONITORS_CONFIG', parse: parseMonitorsConfig },
  [DisplayMsg.DRAW_COMPOSITE]: { name: 'DRAW_COMPOSITE', parse: draw(parseDrawComposite) },
  [DisplayMsg.STREAM_ACTIVATE_REPORT]: {
    name: 'STREAM_ACTIVATE_REPORT',
    parse: (r) => {
      const streamId = r.u32();
      const uniqueId = r.u32();
      const maxWindowSize = r.u32();
      return { type: 'stream-activate-report', streamId, uniqueId, maxWindowSize, timeoutMs: r.u32() };
    },
  },
  [DisplayMsg.GL_SCANOUT_UNIX]: {
    name: 'GL_SCANOUT_UNIX',
    parse: (r) => {
      const width = r.u32();
      const height = r.u32();
      const stride = r.u32();
      const drmFourccFormat = r.u32();
      return { type: 'gl-scanout-unix', width, height, stride, drmFourccFormat, flags: r.u32() };
    },
  },
  [DisplayMsg.GL_DRAW]: {
    name: 'GL_DRAW',
    parse: (r) => {
      const x = r.u32();
      const y = r.u32();
      const width = r.u32();
      return { type: 'gl-draw', x, y, width, height: r.u32() };
    },
  },
  [DisplayMsg.QUALITY_INDICATOR]: { name: 'QUALITY_INDICATOR', parse: (r) => ({ type: 'quality-indicator', data: r.rest() }) },
};

/** One entry per server message number: the name (for logs and errors) and its parser. */
export const displayMessageParsers: Readonly<Record<number, DisplayMessageParser>> = parsers;

/** Parses one message body; returns null for a message number the table does not know. */
export function parseDisplayMessage(msgType: number, body: Uint8Array, channel = 'display'): DisplayMessage | null {
  // A stream's frames come 25 or more a second: a well-formed STREAM_DATA (id, mm time, size, the
  // frame) is read in place, without a reader and the error context only a malformed one needs
  // (which the general path below reports).
  if (msgType === DisplayMsg.STREAM_DATA && body.byteLength >= 12) {
    const view = new DataView(body.buffer, body.byteOffset, 12);
    const size = view.getUint32(8, true);
    if (size <= body.byteLength - 12) return { type: 'stream-data', id: view.getUint32(0, true), multiMediaTime: view.getUint32(4, true), data: body.subarray(12, 12 + size) };
  }
  const entry: DisplayMessageParser | undefined = displayMessageParsers[msgType];
  if (!entry) return null;
  return entry.parse(new WireReader(body, 0, { channel, messageType: msgType, messageName: entry.name }));
}

// ---- client -> server ----

function checkUnsigned(value: number, bits: 8 | 16 | 32, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** bits) {
    throw new SpiceError('internal', `${what} must be an unsigned ${bits}-bit integer, got ${value}`);
  }
}

/** DISPLAY_INIT: announces the client's image cache and GLZ window; sent once right after link. */
export function buildDisplayInit(o: {
  pixmapCacheId: number;
  pixmapCacheSize: bigint;
  glzDictionaryId: number;
  glzWindowSize: number;
}): Uint8Array {
  checkUnsigned(o.pixmapCacheId, 8, 'pixmap cache id');
  checkUnsigned(o.glzDictionaryId, 8, 'GLZ dictionary id');
  if (o.pixmapCacheSize < 0n || o.pixmapCacheSize >= 2n ** 63n) {
    throw new SpiceError('internal', `pixmap cache size must fit a signed 64-bit integer, got ${o.pixmapCacheSize}`);
  }
  if (!Number.isInteger(o.glzWindowSize) || o.glzWindowSize < 0 || o.glzWindowSize >= 2 ** 31) {
    throw new SpiceError('internal', `GLZ window size must fit a signed 32-bit integer, got ${o.glzWindowSize}`);
  }
  return new WireWriter(14)
    .u8(o.pixmapCacheId)
    .i64(o.pixmapCacheSize)
    .u8(o.glzDictionaryId)
    .i32(o.glzWindowSize)
    .finish();
}

/** PREFERRED_COMPRESSION (needs the server's PREF_COMPRESSION cap); `compression` is an ImageCompression. */
export function buildPreferredCompression(compression: number): Uint8Array {
  if (!Number.isInteger(compression) || compression < ImageCompression.INVALID || compression > ImageCompression.LZ4) {
    throw new SpiceError('internal', `unknown image compression ${compression}`);
  }
  return new WireWriter(1).u8(compression).finish();
}

export interface StreamReport {
  streamId: number;
  uniqueId: number;
  startFrameMmTime: number;
  endFrameMmTime: number;
  numFrames: number;
  numDrops: number;
  lastFrameDelay: number;
  /** 0xFFFFFFFF when there is no audio playback. */
  audioDelay: number;
}

/** STREAM_REPORT (needs the STREAM_REPORT cap); numFrames 0 + numDrops 0xFFFFFFFF = cannot decode. */
export function buildStreamReport(s: StreamReport): Uint8Array {
  for (const [what, value] of [
    ['stream id', s.streamId],
    ['unique id', s.uniqueId],
    ['start frame time', s.startFrameMmTime],
    ['end frame time', s.endFrameMmTime],
    ['frame count', s.numFrames],
    ['drop count', s.numDrops],
    ['audio delay', s.audioDelay],
  ] as const) {
    checkUnsigned(value, 32, what);
  }
  if (!Number.isInteger(s.lastFrameDelay) || s.lastFrameDelay < -(2 ** 31) || s.lastFrameDelay >= 2 ** 31) {
    throw new SpiceError('internal', `last frame delay must be a signed 32-bit integer, got ${s.lastFrameDelay}`);
  }
  return new WireWriter(32)
    .u32(s.streamId)
    .u32(s.uniqueId)
    .u32(s.startFrameMmTime)
    .u32(s.endFrameMmTime)
    .u32(s.numFrames)
    .u32(s.numDrops)
    .i32(s.lastFrameDelay)
    .u32(s.audioDelay)
    .finish();
}

/** PREFERRED_VIDEO_CODEC_TYPE (needs PREF_VIDEO_CODEC_TYPE): VideoCodec values, most preferred first. */
export function buildPreferredVideoCodecType(codecs: readonly number[]): Uint8Array {
  checkUnsigned(codecs.length, 8, 'codec count');
  const w = new WireWriter(1 + codecs.length).u8(codecs.length);
  for (const codec of codecs) {
    checkUnsigned(codec, 8, 'video codec');
    w.u8(codec);
  }
  return w.finish();
}

/** GL_DRAW_DONE has an empty body. */
export function buildGlDrawDone(): Uint8Array {
  return new Uint8Array(0);
}
