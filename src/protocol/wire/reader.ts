// Little-endian reader over one message body with bounds checks on every read. Pointer fields in
// SPICE bodies are offsets from the start of the body, so a reader can be re-based with `at()`.
import { ProtocolError, type WireContext } from './errors.ts';

export class WireReader {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  offset: number;
  readonly context: WireContext;

  constructor(bytes: Uint8Array, offset = 0, context: WireContext = {}) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.offset = offset;
    this.context = context;
  }

  get length(): number {
    return this.bytes.byteLength;
  }

  get remaining(): number {
    return this.bytes.byteLength - this.offset;
  }

  fail(detail: string, offset = this.offset): never {
    throw new ProtocolError(detail, offset, this.context);
  }

  /** Throws unless `n` more bytes are available at the current offset. */
  need(n: number, what = 'field'): void {
    if (n < 0 || this.offset + n > this.bytes.byteLength) {
      this.fail(`${what} needs ${n} bytes but only ${Math.max(0, this.remaining)} remain`);
    }
  }

  /** A new reader on the same body positioned at an absolute offset (a SPICE pointer). */
  at(offset: number, what = 'pointer'): WireReader {
    if (!Number.isInteger(offset) || offset < 0 || offset > this.bytes.byteLength) {
      this.fail(`${what} points to ${offset}, outside the ${this.bytes.byteLength}-byte message`);
    }
    return new WireReader(this.bytes, offset, this.context);
  }

  skip(n: number): void {
    this.need(n, 'skipped bytes');
    this.offset += n;
  }

  u8(): number {
    this.need(1, 'u8');
    return this.bytes[this.offset++];
  }

  i8(): number {
    this.need(1, 'i8');
    return this.view.getInt8(this.offset++);
  }

  u16(): number {
    this.need(2, 'u16');
    const v = this.view.getUint16(this.offset, true);
    this.offset += 2;
    return v;
  }

  i16(): number {
    this.need(2, 'i16');
    const v = this.view.getInt16(this.offset, true);
    this.offset += 2;
    return v;
  }

  u32(): number {
    this.need(4, 'u32');
    const v = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return v;
  }

  i32(): number {
    this.need(4, 'i32');
    const v = this.view.getInt32(this.offset, true);
    this.offset += 4;
    return v;
  }

  u64(): bigint {
    this.need(8, 'u64');
    const v = this.view.getBigUint64(this.offset, true);
    this.offset += 8;
    return v;
  }

  i64(): bigint {
    this.need(8, 'i64');
    const v = this.view.getBigInt64(this.offset, true);
    this.offset += 8;
    return v;
  }

  /** A view (no copy) of the next `n` bytes. */
  take(n: number, what = 'data'): Uint8Array {
    this.need(n, what);
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  /** Everything up to the end of the body (for `@end` arrays). */
  rest(): Uint8Array {
    const out = this.bytes.subarray(this.offset);
    this.offset = this.bytes.byteLength;
    return out;
  }

  /**
   * A count read from the wire, checked against what the rest of the body can hold before anything
   * is allocated for it: a lying count fails here instead of driving a huge allocation.
   */
  count(value: number, bytesEach: number, what: string): number {
    if (value * bytesEach > this.remaining) {
      this.fail(`${what} claims ${value} entries of ${bytesEach} bytes but only ${this.remaining} bytes remain`);
    }
    return value;
  }

  /** NUL-terminated or length-delimited UTF-8 text of `n` bytes; a trailing NUL is dropped. */
  text(n: number, what = 'string'): string {
    const raw = this.take(n, what);
    const end = raw.indexOf(0);
    return utf8Decoder.decode(end >= 0 ? raw.subarray(0, end) : raw);
  }

  /**
   * Text meant for a person (a server's NAME, a notice): like text(), with every control
   * character and bidirectional override made U+FFFD, so that what the server sends cannot move
   * the cursor, recolour or rewrite the user's terminal, nor disguise a window title.
   */
  printableText(n: number, what = 'string'): string {
    return printable(this.text(n, what));
  }
}

// C0 controls (tab included), DEL, C1 controls, and the bidirectional embeddings, overrides and isolates.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** The text with every control character and bidirectional override replaced by U+FFFD. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, '\ufffd');
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: false });
