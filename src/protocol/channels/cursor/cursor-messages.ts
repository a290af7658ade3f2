// Cursor channel message numbers and bodies (spice.proto `channel CursorChannel`, struct Cursor).
// Parsing is pure and separate from decoding, so that a renderer in another process can be handed
// the raw body and do both itself.
import { ProtocolError, type WireContext } from '../../wire/errors.ts';
import { WireReader } from '../../wire/reader.ts';

export const CursorMsg = {
  INIT: 101,
  RESET: 102,
  SET: 103,
  MOVE: 104,
  HIDE: 105,
  TRAIL: 106,
  INVAL_ONE: 107,
  INVAL_ALL: 108,
} as const;

export const cursorMessageNames: Record<number, string> = {
  [CursorMsg.INIT]: 'INIT',
  [CursorMsg.RESET]: 'RESET',
  [CursorMsg.SET]: 'SET',
  [CursorMsg.MOVE]: 'MOVE',
  [CursorMsg.HIDE]: 'HIDE',
  [CursorMsg.TRAIL]: 'TRAIL',
  [CursorMsg.INVAL_ONE]: 'INVAL_ONE',
  [CursorMsg.INVAL_ALL]: 'INVAL_ALL',
};

export const CursorType = {
  ALPHA: 0,
  MONO: 1,
  COLOR4: 2,
  COLOR8: 3,
  COLOR16: 4,
  COLOR24: 5,
  COLOR32: 6,
} as const;

export const cursorTypeNames: Record<number, string> = {
  [CursorType.ALPHA]: 'ALPHA',
  [CursorType.MONO]: 'MONO',
  [CursorType.COLOR4]: 'COLOR4',
  [CursorType.COLOR8]: 'COLOR8',
  [CursorType.COLOR16]: 'COLOR16',
  [CursorType.COLOR24]: 'COLOR24',
  [CursorType.COLOR32]: 'COLOR32',
};

export const CursorFlags = {
  /** No cursor at all: no header, no data. */
  NONE: 1,
  CACHE_ME: 2,
  FROM_CACHE: 4,
} as const;

/**
 * Largest width or height accepted. spice-server refuses streamed cursors above 1024 on a side;
 * real drivers stay far below (the X QXL driver caps at 64, Windows at 256).
 */
export const MAX_CURSOR_SIDE = 1024;

/** CursorHeader is u64 unique, u8 type, u16 width, height, hot_spot_x, hot_spot_y. */
export const CURSOR_HEADER_SIZE = 17;

export interface CursorHeader {
  unique: bigint;
  type: number;
  width: number;
  height: number;
  hotX: number;
  hotY: number;
}

/** A Cursor as it came off the wire: still undecoded. */
export interface WireCursor {
  flags: number;
  /** Absent when flags has NONE. */
  header: CursorHeader | null;
  /** The pixel data (empty for NONE and FROM_CACHE); may be longer than the type needs. */
  data: Uint8Array;
}

export type CursorMessage =
  | { kind: 'init'; x: number; y: number; trailLength: number; trailFrequency: number; visible: boolean; cursor: WireCursor }
  | { kind: 'reset' }
  | { kind: 'set'; x: number; y: number; visible: boolean; cursor: WireCursor }
  | { kind: 'move'; x: number; y: number }
  | { kind: 'hide' }
  | { kind: 'trail'; length: number; frequency: number }
  | { kind: 'inval-one'; id: bigint }
  | { kind: 'inval-all' };

const maskBytes = (w: number, h: number): number => Math.ceil(w / 8) * h;

/**
 * Bytes of pixel data a cursor of this type and size needs (the layout of spice's original client,
 * which the guest drivers follow): the pixels row by row, for COLOR4 with each row padded to a
 * whole byte, the palette (COLOR4: 16, COLOR8: 256 xRGB words), then for every type but ALPHA the
 * 1-bpp AND mask with each row padded to a whole byte; MONO is that mask followed by the XOR mask.
 * Undefined for an unknown type.
 */
export function cursorDataSize(type: number, width: number, height: number): number | undefined {
  const mask = maskBytes(width, height);
  switch (type) {
    case CursorType.ALPHA:
      return width * height * 4;
    case CursorType.MONO:
      return 2 * mask;
    case CursorType.COLOR4:
      return Math.ceil(width / 2) * height + 16 * 4 + mask;
    case CursorType.COLOR8:
      return width * height + 256 * 4 + mask;
    case CursorType.COLOR16:
      return width * height * 2 + mask;
    case CursorType.COLOR24:
      return width * height * 3 + mask;
    case CursorType.COLOR32:
      return width * height * 4 + mask;
    default:
      return undefined;
  }
}

export interface CursorShapeProblem {
  detail: string;
  /** Which part of the cursor is wrong, so that a parser can point at its offset. */
  field: 'type' | 'size' | 'data';
}

/**
 * What the decoder relies on: a known type, a bounded size, and at least as much data as the type
 * needs (more is accepted: guest drivers are known to append spare bytes). Null when all hold.
 */
export function cursorShapeProblem(header: CursorHeader, dataLength: number): CursorShapeProblem | null {
  const typeName = cursorTypeNames[header.type];
  if (typeName === undefined) return { field: 'type', detail: `unknown cursor type ${header.type} (known: 0 to 6)` };
  if (header.width > MAX_CURSOR_SIDE || header.height > MAX_CURSOR_SIDE) {
    return { field: 'size', detail: `${typeName} cursor is ${header.width}x${header.height}, larger than the ${MAX_CURSOR_SIDE}x${MAX_CURSOR_SIDE} accepted` };
  }
  const need = cursorDataSize(header.type, header.width, header.height) ?? 0;
  if (dataLength < need) {
    return { field: 'data', detail: `${typeName} cursor ${header.width}x${header.height} needs ${need} bytes of data but the message carries ${dataLength}` };
  }
  return null;
}

function readCursor(r: WireReader): WireCursor {
  const flags = r.u16();
  if (flags & CursorFlags.NONE) return { flags, header: null, data: r.rest() };
  const headerAt = r.offset;
  const header: CursorHeader = {
    unique: r.u64(),
    type: r.u8(),
    width: r.u16(),
    height: r.u16(),
    hotX: r.u16(),
    hotY: r.u16(),
  };
  const dataAt = r.offset;
  const data = r.rest();
  if (!(flags & CursorFlags.FROM_CACHE)) {
    const problem = cursorShapeProblem(header, data.byteLength);
    if (problem) r.fail(problem.detail, problem.field === 'type' ? headerAt + 8 : problem.field === 'size' ? headerAt + 9 : dataAt);
  }
  return { flags, header, data };
}

/**
 * Parses one cursor-channel message body. Throws ProtocolError (naming the message and the offset)
 * for a truncated body, an unknown cursor type, an oversized cursor or pixel data shorter than its
 * type and size need. `data` in the result is a view into `body`, not a copy.
 */
export function parseCursorMessage(type: number, body: Uint8Array, context: WireContext = { channel: 'cursor' }): CursorMessage {
  const messageName = cursorMessageNames[type];
  const r = new WireReader(body, 0, { ...context, messageType: type, messageName });
  switch (type) {
    case CursorMsg.INIT: {
      const x = r.i16();
      const y = r.i16();
      const trailLength = r.u16();
      const trailFrequency = r.u16();
      const visible = r.u8() !== 0;
      return { kind: 'init', x, y, trailLength, trailFrequency, visible, cursor: readCursor(r) };
    }
    case CursorMsg.RESET:
      return { kind: 'reset' };
    case CursorMsg.SET: {
      const x = r.i16();
      const y = r.i16();
      const visible = r.u8() !== 0;
      return { kind: 'set', x, y, visible, cursor: readCursor(r) };
    }
    case CursorMsg.MOVE:
      return { kind: 'move', x: r.i16(), y: r.i16() };
    case CursorMsg.HIDE:
      return { kind: 'hide' };
    case CursorMsg.TRAIL:
      return { kind: 'trail', length: r.u16(), frequency: r.u16() };
    case CursorMsg.INVAL_ONE:
      return { kind: 'inval-one', id: r.u64() };
    case CursorMsg.INVAL_ALL:
      return { kind: 'inval-all' };
    default:
      throw new ProtocolError(`unknown cursor message ${type}`, 0, { ...context, messageType: type });
  }
}
