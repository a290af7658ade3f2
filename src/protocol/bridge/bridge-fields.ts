// Field-level reading and writing shared by the two bridge codecs. Reads are bounds-checked and
// throw BridgeError naming the field, so a short or lying message is rejected, never half-read.
import { SpiceError } from '../wire/errors.ts';

/** A bridge message that cannot be decoded; the peer that sent it is dropped, the host goes on. */
export class BridgeError extends SpiceError {
  constructor(detail: string, from: 'UI' | 'host') {
    super('protocol', `malformed bridge message from the ${from}: ${detail}`);
    this.name = 'BridgeError';
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

export class FieldReader {
  private readonly view: DataView;
  offset = 1;

  constructor(
    readonly bytes: Uint8Array,
    readonly from: 'UI' | 'host',
    readonly what: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(detail: string): never {
    throw new BridgeError(`${this.what}: ${detail}`, this.from);
  }

  private need(n: number, field: string): void {
    if (this.offset + n > this.bytes.byteLength) {
      this.fail(`${field} needs ${n} bytes at offset ${this.offset}, but the message has ${this.bytes.byteLength}`);
    }
  }

  u8(field: string): number {
    this.need(1, field);
    return this.bytes[this.offset++];
  }

  u16(field: string): number {
    this.need(2, field);
    const v = this.view.getUint16(this.offset, true);
    this.offset += 2;
    return v;
  }

  u32(field: string): number {
    this.need(4, field);
    const v = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return v;
  }

  i32(field: string): number {
    this.need(4, field);
    const v = this.view.getInt32(this.offset, true);
    this.offset += 4;
    return v;
  }

  u64(field: string): bigint {
    this.need(8, field);
    const v = this.view.getBigUint64(this.offset, true);
    this.offset += 8;
    return v;
  }

  /** u16 length, then that many bytes of UTF-8 (at most `maxBytes`). */
  string(field: string, maxBytes: number): string {
    const n = this.u16(`${field} length`);
    if (n > maxBytes) this.fail(`${field} of ${n} bytes is longer than the ${maxBytes} allowed`);
    this.need(n, field);
    const raw = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    try {
      return utf8.decode(raw);
    } catch {
      return this.fail(`${field} is not valid UTF-8`);
    }
  }

  /** Everything left as UTF-8 text of at most `maxBytes` (the layout of clipboard text). */
  textToEnd(field: string, maxBytes: number): string {
    const n = this.bytes.byteLength - this.offset;
    if (n > maxBytes) this.fail(`${field} of ${n} bytes is longer than the ${maxBytes} allowed`);
    try {
      return utf8.decode(this.rest());
    } catch {
      return this.fail(`${field} is not valid UTF-8`);
    }
  }

  /** A view of everything left (no copy). */
  rest(): Uint8Array {
    const out = this.bytes.subarray(this.offset);
    this.offset = this.bytes.byteLength;
    return out;
  }

  /** Messages have fixed layouts: trailing bytes mean the sender speaks something else. */
  end(): void {
    if (this.offset !== this.bytes.byteLength) this.fail(`${this.bytes.byteLength - this.offset} unexpected bytes after the last field`);
  }

  /** An integer field within [min, max]. */
  range(value: number, field: string, min: number, max: number): number {
    if (value < min || value > max) this.fail(`${field} is ${value}, outside ${min}..${max}`);
    return value;
  }
}

/** Encodes a string field; longer text is cut at `maxBytes` on a character boundary. */
export function encodeString(text: string, maxBytes: number): Uint8Array {
  let bytes = utf8Encoder.encode(text);
  if (bytes.byteLength > maxBytes) {
    let cut = maxBytes;
    // Back up to the start of a UTF-8 sequence so the cut text still decodes.
    while (cut > 0 && (bytes[cut] & 0xc0) === 0x80) cut--;
    bytes = bytes.subarray(0, cut);
  }
  const out = new Uint8Array(2 + bytes.byteLength);
  new DataView(out.buffer).setUint16(0, bytes.byteLength, true);
  out.set(bytes, 2);
  return out;
}

/** UTF-8 bytes of `text`, for checking a limit before sending. */
export function utf8Length(text: string): number {
  return utf8Encoder.encode(text).byteLength;
}

/**
 * A kind byte followed by `text` as UTF-8 to the end of the message. Text over the limit is
 * refused, not cut: half a clipboard or a cut password would be wrong, silently.
 */
export function encodeKindAndText(kind: number, text: string, maxBytes: number, what: string): Uint8Array {
  const bytes = utf8Encoder.encode(text);
  if (bytes.byteLength > maxBytes) throw new SpiceError('usage', `${what} of ${bytes.byteLength} bytes is longer than the ${maxBytes} the bridge carries`);
  const out = new Uint8Array(1 + bytes.byteLength);
  out[0] = kind;
  out.set(bytes, 1);
  return out;
}
