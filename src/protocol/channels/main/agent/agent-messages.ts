// VDAgent messages (spice-protocol spice/vd_agent.h): the stream carried by the main channel's
// AGENT_DATA in both directions. Every message is a 20-byte header and a body; the parsers here
// take a body whose size the header already announced, and throw ProtocolError naming the
// message when it does not hold what its type requires.
import { CapSet } from '../../../link/caps.ts';
import { WireReader } from '../../../wire/reader.ts';
import { WireWriter } from '../../../wire/writer.ts';

export const VD_AGENT_PROTOCOL = 1;
/** u32 protocol, u32 type, u64 opaque, u32 size. */
export const AGENT_HEADER_SIZE = 20;
/** The largest AGENT_DATA the server accepts from a client (VD_AGENT_MAX_DATA_SIZE). */
export const AGENT_MAX_CHUNK = 2048;

export const AgentMsg = {
  MOUSE_STATE: 1,
  MONITORS_CONFIG: 2,
  REPLY: 3,
  CLIPBOARD: 4,
  DISPLAY_CONFIG: 5,
  ANNOUNCE_CAPABILITIES: 6,
  CLIPBOARD_GRAB: 7,
  CLIPBOARD_REQUEST: 8,
  CLIPBOARD_RELEASE: 9,
  FILE_XFER_START: 10,
  FILE_XFER_STATUS: 11,
  FILE_XFER_DATA: 12,
  CLIENT_DISCONNECTED: 13,
  MAX_CLIPBOARD: 14,
  AUDIO_VOLUME_SYNC: 15,
  GRAPHICS_DEVICE_INFO: 16,
} as const;

const agentMsgNames = new Map<number, string>(Object.entries(AgentMsg).map(([name, n]) => [n, name]));

export function agentMsgName(type: number): string {
  return agentMsgNames.get(type) ?? `unknown agent message ${type}`;
}

export const AgentCap = {
  MOUSE_STATE: 0,
  MONITORS_CONFIG: 1,
  REPLY: 2,
  CLIPBOARD: 3,
  DISPLAY_CONFIG: 4,
  CLIPBOARD_BY_DEMAND: 5,
  CLIPBOARD_SELECTION: 6,
  SPARSE_MONITORS_CONFIG: 7,
  GUEST_LINEEND_LF: 8,
  GUEST_LINEEND_CRLF: 9,
  MAX_CLIPBOARD: 10,
  AUDIO_VOLUME_SYNC: 11,
  MONITORS_CONFIG_POSITION: 12,
  FILE_XFER_DISABLED: 13,
  FILE_XFER_DETAILED_ERRORS: 14,
  GRAPHICS_DEVICE_INFO: 15,
  CLIPBOARD_NO_RELEASE_ON_REGRAB: 16,
  CLIPBOARD_GRAB_SERIAL: 17,
} as const;

/** Capability words sent: enough for every capability spice-protocol defines. */
const AGENT_CAP_WORDS = 1;

export const ClipboardType = {
  NONE: 0,
  UTF8_TEXT: 1,
  IMAGE_PNG: 2,
  IMAGE_BMP: 3,
  IMAGE_TIFF: 4,
  IMAGE_JPG: 5,
  FILE_LIST: 6,
} as const;

export const ClipboardSelection = { CLIPBOARD: 0, PRIMARY: 1, SECONDARY: 2 } as const;

export const FileXferStatus = {
  CAN_SEND_DATA: 0,
  CANCELLED: 1,
  ERROR: 2,
  SUCCESS: 3,
  NOT_ENOUGH_SPACE: 4,
  SESSION_LOCKED: 5,
  VDAGENT_NOT_CONNECTED: 6,
  DISABLED: 7,
} as const;

/** The error_type of a detailed FILE_XFER_STATUS ERROR: error_code is a GIO error number. */
export const FILE_XFER_ERROR_GLIB_IO = 0;

export const MonitorsConfigFlag = { USE_POS: 1, PHYSICAL_SIZE: 2 } as const;

export const DisplayConfigFlag = {
  DISABLE_WALLPAPER: 1,
  DISABLE_FONT_SMOOTH: 2,
  DISABLE_ANIMATION: 4,
  SET_COLOR_DEPTH: 8,
} as const;

export const AgentReplyResult = { SUCCESS: 1, ERROR: 2 } as const;

export interface AgentHeader {
  protocol: number;
  type: number;
  opaque: bigint;
  size: number;
}

function reader(body: Uint8Array, type: number): WireReader {
  return new WireReader(body, 0, { channel: 'main', messageType: type, messageName: `agent ${agentMsgName(type)}` });
}

/** The 20-byte header at the start of `bytes` (which must hold all of it). */
export function parseAgentHeader(bytes: Uint8Array): AgentHeader {
  const r = new WireReader(bytes, 0, { channel: 'main', messageName: 'agent message header' });
  return { protocol: r.u32(), type: r.u32(), opaque: r.u64(), size: r.u32() };
}

/** Header and body of one agent message, as one byte array (chunking happens in the transport). */
export function encodeAgentMessage(type: number, body: Uint8Array): Uint8Array {
  return new WireWriter(AGENT_HEADER_SIZE + body.byteLength).u32(VD_AGENT_PROTOCOL).u32(type).u64(0n).u32(body.byteLength).bytes(body).finish();
}

// ---- capabilities ----

export interface AnnounceCapabilities {
  /** The sender asks to be told the receiver's capabilities in return. */
  request: boolean;
  caps: CapSet;
}

export function parseAnnounceCapabilities(body: Uint8Array): AnnounceCapabilities {
  const r = reader(body, AgentMsg.ANNOUNCE_CAPABILITIES);
  const request = r.u32() !== 0;
  // Trailing bytes short of a word are ignored, as spice-gtk does when it sizes the caps array.
  const words = Math.floor(r.remaining / 4);
  return { request, caps: new CapSet(Array.from({ length: words }, () => r.u32())) };
}

export function buildAnnounceCapabilities(a: AnnounceCapabilities): Uint8Array {
  const w = new WireWriter(8).u32(a.request ? 1 : 0);
  for (let i = 0; i < Math.max(AGENT_CAP_WORDS, a.caps.words.length); i++) w.u32(a.caps.words[i] ?? 0);
  return w.finish();
}

// ---- clipboard ----

/** Which optional fields a clipboard message carries: both depend on the peer's capabilities. */
export interface ClipboardLayout {
  /** A 4-byte selection prefix (u8 selection, 3 reserved) with CLIPBOARD_SELECTION. */
  selection: boolean;
  /** A u32 serial in grabs with CLIPBOARD_GRAB_SERIAL. */
  serial: boolean;
}

function readSelection(r: WireReader, layout: ClipboardLayout): number {
  if (!layout.selection) return ClipboardSelection.CLIPBOARD;
  const selection = r.u8();
  r.skip(3);
  return selection;
}

function writeSelection(w: WireWriter, layout: ClipboardLayout, selection: number): void {
  if (layout.selection) w.u8(selection).u8(0).u8(0).u8(0);
}

export interface ClipboardGrab {
  selection: number;
  /** Present with the GRAB_SERIAL layout. */
  serial?: number;
  types: number[];
}

export function parseClipboardGrab(body: Uint8Array, layout: ClipboardLayout): ClipboardGrab {
  const r = reader(body, AgentMsg.CLIPBOARD_GRAB);
  const selection = readSelection(r, layout);
  const serial = layout.serial ? r.u32() : undefined;
  if (r.remaining % 4 !== 0) r.fail(`the type list is ${r.remaining} bytes, not a whole number of u32 types`);
  const types = Array.from({ length: r.remaining / 4 }, () => r.u32());
  return serial === undefined ? { selection, types } : { selection, serial, types };
}

export function buildClipboardGrab(layout: ClipboardLayout, g: ClipboardGrab): Uint8Array {
  const w = new WireWriter(12 + 4 * g.types.length);
  writeSelection(w, layout, g.selection);
  if (layout.serial) w.u32(g.serial ?? 0);
  for (const t of g.types) w.u32(t);
  return w.finish();
}

export interface ClipboardRequest {
  selection: number;
  type: number;
}

export function parseClipboardRequest(body: Uint8Array, layout: ClipboardLayout): ClipboardRequest {
  const r = reader(body, AgentMsg.CLIPBOARD_REQUEST);
  return { selection: readSelection(r, layout), type: r.u32() };
}

export function buildClipboardRequest(layout: ClipboardLayout, q: ClipboardRequest): Uint8Array {
  const w = new WireWriter(8);
  writeSelection(w, layout, q.selection);
  return w.u32(q.type).finish();
}

export function parseClipboardRelease(body: Uint8Array, layout: ClipboardLayout): { selection: number } {
  const r = reader(body, AgentMsg.CLIPBOARD_RELEASE);
  return { selection: readSelection(r, layout) };
}

export function buildClipboardRelease(layout: ClipboardLayout, selection: number): Uint8Array {
  const w = new WireWriter(4);
  writeSelection(w, layout, selection);
  return w.finish();
}

export interface ClipboardData {
  selection: number;
  type: number;
  /** A view into the message body: copy it to keep it past the handler. */
  data: Uint8Array;
}

export function parseClipboardData(body: Uint8Array, layout: ClipboardLayout): ClipboardData {
  const r = reader(body, AgentMsg.CLIPBOARD);
  const selection = readSelection(r, layout);
  return { selection, type: r.u32(), data: r.rest() };
}

export function buildClipboardData(layout: ClipboardLayout, c: ClipboardData): Uint8Array {
  const w = new WireWriter(8 + c.data.byteLength);
  writeSelection(w, layout, c.selection);
  return w.u32(c.type).bytes(c.data).finish();
}

export function parseMaxClipboard(body: Uint8Array): number {
  return reader(body, AgentMsg.MAX_CLIPBOARD).i32();
}

/** -1 means no limit. */
export function buildMaxClipboard(max: number): Uint8Array {
  return new WireWriter(4).i32(max).finish();
}

// ---- monitors and display ----

export interface AgentMonitor {
  width: number;
  height: number;
  /** Bits per pixel; spice-gtk sends 32. */
  depth: number;
  x: number;
  y: number;
  /** Physical size in millimetres, 0 when unknown. */
  widthMm?: number;
  heightMm?: number;
}

export interface MonitorsConfig {
  flags: number;
  monitors: AgentMonitor[];
}

const MON_CONFIG_SIZE = 20;
const MON_MM_SIZE = 4;

export function buildMonitorsConfig(c: MonitorsConfig): Uint8Array {
  const w = new WireWriter(8 + c.monitors.length * (MON_CONFIG_SIZE + MON_MM_SIZE));
  w.u32(c.monitors.length).u32(c.flags);
  for (const m of c.monitors) w.u32(m.height).u32(m.width).u32(m.depth).i32(m.x).i32(m.y);
  if (c.flags & MonitorsConfigFlag.PHYSICAL_SIZE) {
    for (const m of c.monitors) w.u16(m.heightMm ?? 0).u16(m.widthMm ?? 0);
  }
  return w.finish();
}

export function parseMonitorsConfig(body: Uint8Array): MonitorsConfig {
  const r = reader(body, AgentMsg.MONITORS_CONFIG);
  const count = r.u32();
  const flags = r.u32();
  const physical = (flags & MonitorsConfigFlag.PHYSICAL_SIZE) !== 0;
  r.count(count, MON_CONFIG_SIZE + (physical ? MON_MM_SIZE : 0), 'monitor list');
  const monitors: AgentMonitor[] = [];
  for (let i = 0; i < count; i++) {
    const height = r.u32();
    const width = r.u32();
    monitors.push({ width, height, depth: r.u32(), x: r.i32(), y: r.i32() });
  }
  if (physical) {
    for (const m of monitors) {
      m.heightMm = r.u16();
      m.widthMm = r.u16();
    }
  }
  return { flags, monitors };
}

export interface DisplayConfig {
  flags: number;
  depth: number;
}

export function buildDisplayConfig(c: DisplayConfig): Uint8Array {
  return new WireWriter(8).u32(c.flags).u32(c.depth).finish();
}

export function parseDisplayConfig(body: Uint8Array): DisplayConfig {
  const r = reader(body, AgentMsg.DISPLAY_CONFIG);
  return { flags: r.u32(), depth: r.u32() };
}

export interface AgentReply {
  /** The message type this answers (MONITORS_CONFIG, DISPLAY_CONFIG). */
  type: number;
  result: number;
}

export function parseReply(body: Uint8Array): AgentReply {
  const r = reader(body, AgentMsg.REPLY);
  return { type: r.u32(), result: r.u32() };
}

export interface MouseState {
  x: number;
  y: number;
  buttons: number;
  displayId: number;
}

/** Server to agent only; parsed so that a server relaying one is logged, not misread. */
export function parseMouseState(body: Uint8Array): MouseState {
  const r = reader(body, AgentMsg.MOUSE_STATE);
  return { x: r.u32(), y: r.u32(), buttons: r.u32(), displayId: r.u8() };
}

export interface GraphicsDevice {
  channelId: number;
  monitorId: number;
  deviceDisplayId: number;
  address: string;
}

export function parseGraphicsDeviceInfo(body: Uint8Array): GraphicsDevice[] {
  const r = reader(body, AgentMsg.GRAPHICS_DEVICE_INFO);
  const count = r.count(r.u32(), 16, 'graphics device list');
  const devices: GraphicsDevice[] = [];
  for (let i = 0; i < count; i++) {
    const channelId = r.u32();
    const monitorId = r.u32();
    const deviceDisplayId = r.u32();
    const len = r.u32();
    devices.push({ channelId, monitorId, deviceDisplayId, address: r.text(len, 'device address') });
  }
  return devices;
}

export interface AudioVolumeSync {
  playback: boolean;
  mute: boolean;
  volumes: number[];
}

export function buildAudioVolumeSync(v: AudioVolumeSync): Uint8Array {
  const w = new WireWriter(3 + 2 * v.volumes.length).u8(v.playback ? 1 : 0).u8(v.mute ? 1 : 0).u8(v.volumes.length);
  for (const level of v.volumes) w.u16(level);
  return w.finish();
}

export function parseAudioVolumeSync(body: Uint8Array): AudioVolumeSync {
  const r = reader(body, AgentMsg.AUDIO_VOLUME_SYNC);
  const playback = r.u8() !== 0;
  const mute = r.u8() !== 0;
  const n = r.count(r.u8(), 2, 'volume list');
  return { playback, mute, volumes: Array.from({ length: n }, () => r.u16()) };
}

// ---- file transfer ----

/** GKeyFile value escaping: what the agent's g_key_file_get_string undoes. */
function keyFileValue(value: string): string {
  let out = '';
  for (const [i, ch] of [...value].entries()) {
    if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === ' ' && i === 0) out += '\\s';
    else out += ch;
  }
  return out;
}

function keyFileUnescape(value: string): string {
  return value.replace(/\\([\\nrts])/g, (_, c: string) => ({ '\\': '\\', n: '\n', r: '\r', t: '\t', s: ' ' })[c] ?? c);
}

export interface FileXferStart {
  id: number;
  name: string;
  size: number;
}

/** u32 id, then a NUL-terminated key file: group [vdagent-file-xfer], name= and size=. */
export function buildFileXferStart(s: FileXferStart): Uint8Array {
  const text = `[vdagent-file-xfer]\nname=${keyFileValue(s.name)}\nsize=${s.size}\n`;
  const bytes = new TextEncoder().encode(text);
  return new WireWriter(5 + bytes.byteLength).u32(s.id).bytes(bytes).u8(0).finish();
}

export function parseFileXferStart(body: Uint8Array): FileXferStart {
  const r = reader(body, AgentMsg.FILE_XFER_START);
  const id = r.u32();
  const text = r.text(r.remaining, 'file description');
  const name = /^name=(.*)$/m.exec(text);
  const size = /^size=(\d+)$/m.exec(text);
  if (!name || !size) return r.fail('the file description has no name= or size= line');
  return { id, name: keyFileUnescape(name[1]), size: Number(size[1]) };
}

export type FileXferStatusDetail = { kind: 'error'; errorType: number; errorCode: number } | { kind: 'not-enough-space'; freeBytes: bigint };

export interface FileXferStatusMessage {
  id: number;
  result: number;
  /** Only with FILE_XFER_DETAILED_ERRORS and when the message is long enough for it. */
  detail?: FileXferStatusDetail;
}

export function parseFileXferStatus(body: Uint8Array): FileXferStatusMessage {
  const r = reader(body, AgentMsg.FILE_XFER_STATUS);
  const id = r.u32();
  const result = r.u32();
  if (result === FileXferStatus.ERROR && r.remaining >= 5) {
    return { id, result, detail: { kind: 'error', errorType: r.u8(), errorCode: r.u32() } };
  }
  if (result === FileXferStatus.NOT_ENOUGH_SPACE && r.remaining >= 8) {
    return { id, result, detail: { kind: 'not-enough-space', freeBytes: r.u64() } };
  }
  return { id, result };
}

export function buildFileXferStatus(m: FileXferStatusMessage): Uint8Array {
  const w = new WireWriter(17).u32(m.id).u32(m.result);
  if (m.detail?.kind === 'error') w.u8(m.detail.errorType).u32(m.detail.errorCode);
  else if (m.detail?.kind === 'not-enough-space') w.u64(m.detail.freeBytes);
  return w.finish();
}

/** u32 id, u64 size, data. */
export function buildFileXferData(id: number, data: Uint8Array): Uint8Array {
  return new WireWriter(12 + data.byteLength).u32(id).u64(data.byteLength).bytes(data).finish();
}

export function parseFileXferData(body: Uint8Array): { id: number; data: Uint8Array } {
  const r = reader(body, AgentMsg.FILE_XFER_DATA);
  const id = r.u32();
  const size = r.u64();
  if (size > BigInt(r.remaining)) r.fail(`declares ${size} data bytes but ${r.remaining} follow`);
  return { id, data: r.take(Number(size), 'file data') };
}
