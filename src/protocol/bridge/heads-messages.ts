// Bridge messages for several guest heads, with their codecs; the shared codecs (host-codec.ts,
// ui-codec.ts) hand these kinds over to the functions here.
//
// One session serves one view per guest head. The page of head 0 opens the session with HELLO and
// gets a HEAD_TOKEN: random, valid for that session only. A view of head N > 0 starts with
// HEAD_JOIN (instead of HELLO) naming the head and the token, and then shares the session: it
// receives every display and cursor message and shows its head's rectangle. HEADS tells every
// view where the heads are on the display surfaces; HEAD_ENABLE switches a head on or off in the
// guest's layout.
//
// INPUT_JOIN: a view's second connection, from the page's own thread (its bridge runs in the
// decode worker), carrying only key and pointer messages (INPUT_LANE_KINDS) into the session whose
// token it names, so that a key leaves without waking the worker first.
import { WireWriter } from '../wire/writer.ts';
import { FieldReader } from './bridge-fields.ts';
import { BRIDGE_MAGIC, HostKind, UiKind } from './kinds.ts';
import { Limits } from './limits.ts';
import type { GuestHead } from '../monitors/head-layout.ts';
import { MAX_MAPPED_HEADS } from '../monitors/monitor-mapping.ts';

/** Bytes of a join token (256 random bits). */
export const HEAD_TOKEN_BYTES = 32;
const HEAD_BYTES = 10;

export type HeadsHostMessage =
  /**
   * The guest's heads as the server last described them (MONITORS_CONFIG), `maxHeads` the most
   * the guest can drive (at most 4 here); `enabled` and `joined` are bit masks by head: heads in
   * the layout the host asks for, and heads with a view.
   */
  | { kind: 'heads'; maxHeads: number; enabled: number; joined: number; heads: GuestHead[] }
  /** For the view of head 0 only: what views of the other heads must present to join. */
  | { kind: 'head-token'; token: Uint8Array }
  /**
   * For the view of head 0 only: the client monitor (0-based) each head should go on, by head,
   * from --monitor-mapping or remembered for the VM; empty with source 'none'.
   */
  | { kind: 'head-mapping'; source: 'given' | 'remembered' | 'none'; mapping: number[] };

const MAPPING_SOURCES = ['none', 'given', 'remembered'] as const;
/** Monitor numbers a mapping may name (monitor-mapping.ts refuses more than 64). */
const MAX_MAPPED_MONITOR = 63;

export type HeadsUiMessage =
  /** The first message of a view of head `head` (1..3), instead of HELLO. */
  | { kind: 'head-join'; version: number; target: number; head: number; token: Uint8Array }
  /** The first message of a page's input socket, instead of HELLO: only INPUT_LANE_KINDS follow. */
  | { kind: 'input-join'; version: number; target: number; token: Uint8Array }
  /** From the view of head 0: put head `head` (1..3) in the guest's layout, or take it out. */
  | { kind: 'head-enable'; head: number; enabled: boolean };

const ALL_HEADS_MASK = (1 << MAX_MAPPED_HEADS) - 1;

export function encodeHeadsHostMessage(m: HeadsHostMessage): Uint8Array {
  switch (m.kind) {
    case 'heads': {
      const w = new WireWriter(5 + HEAD_BYTES * m.heads.length).u8(HostKind.HEADS).u8(m.maxHeads).u8(m.enabled).u8(m.joined).u8(m.heads.length);
      for (const h of m.heads) w.u8(h.head).u8(h.channelId).u16(h.x).u16(h.y).u16(h.width).u16(h.height);
      return w.finish();
    }
    case 'head-token':
      return new WireWriter(1 + HEAD_TOKEN_BYTES).u8(HostKind.HEAD_TOKEN).bytes(m.token).finish();
    case 'head-mapping': {
      const w = new WireWriter(3 + m.mapping.length).u8(HostKind.HEAD_MAPPING).u8(MAPPING_SOURCES.indexOf(m.source)).u8(m.mapping.length);
      for (const monitor of m.mapping) w.u8(monitor);
      return w.finish();
    }
  }
}

export function decodeHeadsHostMessage(bytes: Uint8Array): HeadsHostMessage | null {
  switch (bytes[0]) {
    case HostKind.HEADS: {
      const r = new FieldReader(bytes, 'host', 'HEADS');
      const maxHeads = r.range(r.u8('max heads'), 'max heads', 1, MAX_MAPPED_HEADS);
      const enabled = mask(r, 'enabled heads');
      const joined = mask(r, 'joined heads');
      const count = r.range(r.u8('head count'), 'head count', 0, MAX_MAPPED_HEADS);
      const heads: GuestHead[] = [];
      for (let i = 0; i < count; i++) {
        const head = r.range(r.u8('head'), 'head', 0, MAX_MAPPED_HEADS - 1);
        const channelId = r.u8('channel id');
        const x = r.range(r.u16('x'), 'x', 0, Limits.maxDisplaySide);
        const y = r.range(r.u16('y'), 'y', 0, Limits.maxDisplaySide);
        const width = r.range(r.u16('width'), 'width', 1, Limits.maxDisplaySide);
        const height = r.range(r.u16('height'), 'height', 1, Limits.maxDisplaySide);
        heads.push({ head, channelId, x, y, width, height });
      }
      r.end();
      return { kind: 'heads', maxHeads, enabled, joined, heads };
    }
    case HostKind.HEAD_TOKEN: {
      const r = new FieldReader(bytes, 'host', 'HEAD_TOKEN');
      const token = token32(r);
      r.end();
      return { kind: 'head-token', token };
    }
    case HostKind.HEAD_MAPPING: {
      const r = new FieldReader(bytes, 'host', 'HEAD_MAPPING');
      const source = MAPPING_SOURCES[r.range(r.u8('source'), 'source', 0, MAPPING_SOURCES.length - 1)];
      const count = r.range(r.u8('head count'), 'head count', source === 'none' ? 0 : 1, source === 'none' ? 0 : MAX_MAPPED_HEADS);
      const mapping: number[] = [];
      for (let i = 0; i < count; i++) {
        const monitor = r.range(r.u8('monitor'), 'monitor', 0, MAX_MAPPED_MONITOR);
        if (mapping.includes(monitor)) r.fail(`monitor ${monitor + 1} is named twice`);
        mapping.push(monitor);
      }
      r.end();
      return { kind: 'head-mapping', source, mapping };
    }
    default:
      return null;
  }
}

export function encodeHeadsUiMessage(m: HeadsUiMessage): Uint8Array {
  switch (m.kind) {
    case 'head-join':
      return new WireWriter(10 + HEAD_TOKEN_BYTES).u8(UiKind.HEAD_JOIN).u32(BRIDGE_MAGIC).u16(m.version).u16(m.target).u8(m.head).bytes(m.token).finish();
    case 'head-enable':
      return new WireWriter(3).u8(UiKind.HEAD_ENABLE).u8(m.head).u8(m.enabled ? 1 : 0).finish();
    case 'input-join':
      return new WireWriter(9 + HEAD_TOKEN_BYTES).u8(UiKind.INPUT_JOIN).u32(BRIDGE_MAGIC).u16(m.version).u16(m.target).bytes(m.token).finish();
  }
}

/** The messages a page's input socket carries after INPUT_JOIN; the host refuses any other on it. */
export const INPUT_LANE_KINDS: ReadonlySet<string> = new Set(['key-down', 'key-up', 'key-modifiers', 'mouse-position', 'mouse-motion', 'mouse-press', 'mouse-release', 'ctrl-alt-del']);

/** The UI message of `kind` read from `r` (the caller checks that nothing follows), or null for another kind. */
export function decodeHeadsUiMessage(kind: number, r: FieldReader, expectedVersion: number): HeadsUiMessage | null {
  switch (kind) {
    case UiKind.HEAD_JOIN: {
      const { version, target } = joinPreamble(r, expectedVersion);
      const head = r.range(r.u8('head'), 'head', 1, MAX_MAPPED_HEADS - 1);
      return { kind: 'head-join', version, target, head, token: token32(r) };
    }
    case UiKind.INPUT_JOIN: {
      const { version, target } = joinPreamble(r, expectedVersion);
      return { kind: 'input-join', version, target, token: token32(r) };
    }
    case UiKind.HEAD_ENABLE: {
      const head = r.range(r.u8('head'), 'head', 1, MAX_MAPPED_HEADS - 1);
      const enabled = r.range(r.u8('enabled'), 'enabled', 0, 1) === 1;
      return { kind: 'head-enable', head, enabled };
    }
    default:
      return null;
  }
}

function mask(r: FieldReader, field: string): number {
  const m = r.u8(field);
  if (m & ~ALL_HEADS_MASK) r.fail(`${field} 0x${m.toString(16)} has bits outside 0x${ALL_HEADS_MASK.toString(16)}`);
  return m;
}

/** The magic and version a join starts with, as HELLO's; and its target. */
function joinPreamble(r: FieldReader, expectedVersion: number): { version: number; target: number } {
  const magic = r.u32('magic');
  if (magic !== BRIDGE_MAGIC) r.fail(`magic is 0x${magic.toString(16)}, not spicedesk's 0x${BRIDGE_MAGIC.toString(16)}`);
  const version = r.u16('version');
  if (version !== expectedVersion) r.fail(`the page speaks bridge version ${version}, this host ${expectedVersion}; reload the page`);
  return { version, target: r.u16('target') };
}

function token32(r: FieldReader): Uint8Array {
  const out = new Uint8Array(HEAD_TOKEN_BYTES);
  for (let i = 0; i < HEAD_TOKEN_BYTES; i++) out[i] = r.u8('token');
  return out;
}

/** The token as it goes in a view's URL. */
export function headTokenToHex(token: Uint8Array): string {
  return Array.from(token, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The token from a view's URL; null when it is not 64 hex digits. */
export function headTokenFromHex(hex: string): Uint8Array | null {
  if (!/^[0-9a-f]{64}$/i.test(hex)) return null;
  const out = new Uint8Array(HEAD_TOKEN_BYTES);
  for (let i = 0; i < HEAD_TOKEN_BYTES; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
