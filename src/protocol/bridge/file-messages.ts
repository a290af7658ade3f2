// Bridge messages for files dropped on the page and for clipboard images, with their codecs. The
// shared codecs (host-codec.ts, ui-codec.ts) hand these kinds over to the functions here.
//
// Files: the page OFFERs a file (its name and size) and sends its bytes only as far as the host's
// CREDIT allows, in chunks of at most FileLimits.maxChunkBytes, so a page never holds more of a
// file in memory than one chunk, whatever its size. The host reports PROGRESS (bytes the guest
// agent took) and one RESULT per file. Clipboard images go to the host in parts (the gateway
// refuses WebSocket messages over 1 MiB) and come back to the page whole, as PNG.
import type { FileTransferFailure } from '../channels/main/agent/file-transfer.ts';
import { WireWriter } from '../wire/writer.ts';
import { encodeString, FieldReader } from './bridge-fields.ts';
import { HostKind, UiKind } from './kinds.ts';

export const FileLimits = {
  /** One FILE_DATA's bytes: the agent's own read size (FILE_XFER_DATA_SIZE). */
  maxChunkBytes: 64 * 1024,
  /** A file name in UTF-8 bytes: what common guest file systems take. */
  maxNameBytes: 255,
  /** Sizes and offsets stay exact in a JavaScript number. */
  maxFileBytes: Number.MAX_SAFE_INTEGER,
  /** A clipboard image (PNG) in either direction: a 4K screenshot is a few MB; more is a page to refuse. */
  maxClipboardImageBytes: 16 * 1024 * 1024,
  /** One CLIPBOARD_IMAGE part from the page. */
  maxImagePartBytes: 512 * 1024,
  /** Bytes of a RESULT's sentence. */
  maxMessageBytes: 4096,
} as const;

/** How a file ended: 'saved', a failure of the agent transfer, or 'refused' by the host before it started. */
export type FileOutcome = 'saved' | 'refused' | FileTransferFailure;

/** Wire codes of FileOutcome, by index. */
export const fileOutcomes: readonly FileOutcome[] = [
  'saved',
  'refused',
  'disabled',
  'no-space',
  'locked',
  'no-session-agent',
  'agent-error',
  'agent-cancelled',
  'agent-gone',
  'cancelled',
  'read-error',
  'unknown-status',
];

export type FileHostMessage =
  /** The page may send the file's bytes up to (not including) offset `upTo`. */
  | { kind: 'file-credit'; id: number; upTo: number }
  /** Bytes of the file the guest agent has taken. */
  | { kind: 'file-progress'; id: number; sent: number }
  /** The file's end: saved, or why not in a sentence without the file's name. */
  | { kind: 'file-result'; id: number; outcome: FileOutcome; message: string }
  /** An image the guest copied, as PNG. */
  | { kind: 'clipboard-image'; png: Uint8Array }
  /** The directions the host allows clipboard sharing in (its command line); the page's toggle stays within them. */
  | { kind: 'clipboard-policy'; toGuest: boolean; fromGuest: boolean };

export type FileUiMessage =
  /** A file dropped on the page; `id` is the page's, unique among its files still under way. */
  | { kind: 'file-offer'; id: number; name: string; size: number }
  | { kind: 'file-data'; id: number; offset: number; data: Uint8Array }
  | { kind: 'file-cancel'; id: number }
  /** One part of a PNG from the page's clipboard: `total` bytes in all, this part at `offset`. */
  | { kind: 'clipboard-image'; total: number; offset: number; data: Uint8Array };

/**
 * Why `name` cannot be a file name in the guest, or null when it can: one path component, no
 * control characters, at most FileLimits.maxNameBytes of UTF-8.
 */
export function fileNameProblem(name: string): string | null {
  if (name.length === 0) return 'the file name is empty';
  if (name === '.' || name === '..') return `"${name}" is not a file name`;
  if (/[/\\]/.test(name)) return 'the file name has a path separator (/ or \\) in it';
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'the file name has a control character in it';
  const bytes = new TextEncoder().encode(name).byteLength;
  if (bytes > FileLimits.maxNameBytes) return `the file name is ${bytes} bytes long; at most ${FileLimits.maxNameBytes} are allowed`;
  return null;
}

const u64 = (r: FieldReader, field: string): number => {
  const v = r.u64(field);
  if (v > BigInt(FileLimits.maxFileBytes)) r.fail(`${field} ${v} is larger than ${FileLimits.maxFileBytes}`);
  return Number(v);
};

const fileId = (r: FieldReader): number => r.range(r.u32('file id'), 'file id', 1, 0xffffffff);

export function encodeFileHostMessage(m: FileHostMessage): Uint8Array {
  switch (m.kind) {
    case 'file-credit':
      return new WireWriter(13).u8(HostKind.FILE_CREDIT).u32(m.id).u64(m.upTo).finish();
    case 'file-progress':
      return new WireWriter(13).u8(HostKind.FILE_PROGRESS).u32(m.id).u64(m.sent).finish();
    case 'file-result':
      return new WireWriter(64)
        .u8(HostKind.FILE_RESULT)
        .u32(m.id)
        .u8(fileOutcomes.indexOf(m.outcome))
        .bytes(encodeString(m.message, FileLimits.maxMessageBytes))
        .finish();
    case 'clipboard-image': {
      const out = new Uint8Array(1 + m.png.byteLength);
      out[0] = HostKind.CLIPBOARD_IMAGE;
      out.set(m.png, 1);
      return out;
    }
    case 'clipboard-policy':
      return new WireWriter(2).u8(HostKind.CLIPBOARD_POLICY).u8((m.toGuest ? 1 : 0) | (m.fromGuest ? 2 : 0)).finish();
  }
}

/** Decodes a host message of a kind in FileHostKind; null for any other kind. */
export function decodeFileHostMessage(bytes: Uint8Array): FileHostMessage | null {
  const kind = bytes[0];
  let m: FileHostMessage;
  switch (kind) {
    case HostKind.FILE_CREDIT: {
      const r = new FieldReader(bytes, 'host', 'FILE_CREDIT');
      m = { kind: 'file-credit', id: fileId(r), upTo: u64(r, 'credit') };
      r.end();
      return m;
    }
    case HostKind.FILE_PROGRESS: {
      const r = new FieldReader(bytes, 'host', 'FILE_PROGRESS');
      m = { kind: 'file-progress', id: fileId(r), sent: u64(r, 'bytes sent') };
      r.end();
      return m;
    }
    case HostKind.FILE_RESULT: {
      const r = new FieldReader(bytes, 'host', 'FILE_RESULT');
      const id = fileId(r);
      const code = r.u8('outcome');
      const outcome = fileOutcomes[code];
      if (outcome === undefined) r.fail(`outcome ${code} is not one of the ${fileOutcomes.length} known`);
      m = { kind: 'file-result', id, outcome, message: r.string('message', FileLimits.maxMessageBytes) };
      r.end();
      return m;
    }
    case HostKind.CLIPBOARD_IMAGE: {
      const r = new FieldReader(bytes, 'host', 'CLIPBOARD_IMAGE');
      const n = bytes.byteLength - 1;
      if (n === 0) r.fail('the image is empty');
      if (n > FileLimits.maxClipboardImageBytes) r.fail(`the image of ${n} bytes is larger than the ${FileLimits.maxClipboardImageBytes} allowed`);
      return { kind: 'clipboard-image', png: r.rest() };
    }
    case HostKind.CLIPBOARD_POLICY: {
      const r = new FieldReader(bytes, 'host', 'CLIPBOARD_POLICY');
      const flags = r.u8('flags');
      if (flags & ~3) r.fail(`flags 0x${flags.toString(16)} has bits outside 0x3`);
      r.end();
      return { kind: 'clipboard-policy', toGuest: (flags & 1) !== 0, fromGuest: (flags & 2) !== 0 };
    }
    default:
      return null;
  }
}

export function encodeFileUiMessage(m: FileUiMessage): Uint8Array {
  switch (m.kind) {
    case 'file-offer':
      return new WireWriter(16 + m.name.length * 3)
        .u8(UiKind.FILE_OFFER)
        .u32(m.id)
        .u64(m.size)
        .bytes(encodeString(m.name, FileLimits.maxNameBytes))
        .finish();
    case 'file-data':
      return new WireWriter(13 + m.data.byteLength).u8(UiKind.FILE_DATA).u32(m.id).u64(m.offset).bytes(m.data).finish();
    case 'file-cancel':
      return new WireWriter(5).u8(UiKind.FILE_CANCEL).u32(m.id).finish();
    case 'clipboard-image':
      return new WireWriter(9 + m.data.byteLength).u8(UiKind.CLIPBOARD_IMAGE).u32(m.total).u32(m.offset).bytes(m.data).finish();
  }
}

/**
 * Decodes a UI message of a kind in FileUiKind from `r` (positioned after the kind byte); null
 * for any other kind. The caller checks that nothing follows the last field.
 */
export function decodeFileUiMessage(kind: number, r: FieldReader): FileUiMessage | null {
  switch (kind) {
    case UiKind.FILE_OFFER: {
      const id = fileId(r);
      const size = u64(r, 'size');
      const name = r.string('name', FileLimits.maxNameBytes);
      const problem = fileNameProblem(name);
      if (problem) r.fail(problem);
      return { kind: 'file-offer', id, name, size };
    }
    case UiKind.FILE_DATA: {
      const id = fileId(r);
      const offset = u64(r, 'offset');
      const data = r.rest();
      if (data.byteLength === 0) r.fail('no data');
      if (data.byteLength > FileLimits.maxChunkBytes) r.fail(`${data.byteLength} bytes of data is more than the ${FileLimits.maxChunkBytes} a chunk may hold`);
      if (offset + data.byteLength > FileLimits.maxFileBytes) r.fail(`data at offset ${offset} ends past ${FileLimits.maxFileBytes}`);
      return { kind: 'file-data', id, offset, data };
    }
    case UiKind.FILE_CANCEL:
      return { kind: 'file-cancel', id: fileId(r) };
    case UiKind.CLIPBOARD_IMAGE: {
      const total = r.range(r.u32('total size'), 'total size', 1, FileLimits.maxClipboardImageBytes);
      const offset = r.u32('offset');
      const data = r.rest();
      if (data.byteLength === 0) r.fail('no data');
      if (data.byteLength > FileLimits.maxImagePartBytes) r.fail(`a part of ${data.byteLength} bytes is more than the ${FileLimits.maxImagePartBytes} allowed`);
      if (offset + data.byteLength > total) r.fail(`a part of ${data.byteLength} bytes at offset ${offset} ends past the image's ${total} bytes`);
      return { kind: 'clipboard-image', total, offset, data };
    }
    default:
      return null;
  }
}
