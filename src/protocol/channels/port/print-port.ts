// Printing on the user's printer (no SPICE client has it): the guest's print backend
// (resources/guest/spicedesk-print) sends jobs on the port org.spicedesk.print.0, one after the
// other, each as
//   "SDPJ", u8 version 1, u32 LE n, n bytes of JSON {title, copies, media, format}, u64 LE length
// and waits for one line back: "READY\n" (send the document), or "ERR <why>\n" (the job is
// refused: too large, printing off, a bad field; nothing of the document may follow). After READY
// the guest sends exactly `length` bytes of the document and reads one more line: "OK <what was
// done>\n" or "ERR <why>\n". The document goes to the host's spool (PortContext.print) as it
// arrives and is printed only once whole; a channel that goes mid-document prints nothing.
//
// A header out of step (bad magic or version, JSON longer than 64 KiB) cannot be resynchronised:
// the guest gets an ERR line and the channel ends with a ProtocolError; the session goes on.
import { ProtocolError } from '../../wire/errors.ts';
import type { PortHandler, PortIo, PrintJobHeader, PrintJobSpool, PrintService } from './port-handler.ts';

export const PRINT_PORT_NAME = 'org.spicedesk.print.0';

export const PRINT_MAGIC = new Uint8Array([0x53, 0x44, 0x50, 0x4a]); // "SDPJ"
export const PRINT_VERSION = 1;
/** magic, version, JSON length. */
const FIXED_HEADER = 9;
export const MAX_PRINT_JSON = 64 * 1024;
const MAX_TITLE = 255;
export const MAX_COPIES = 999;
const MEDIA_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

type Stage = 'fixed' | 'json' | 'length' | 'document';

export class PrintPort implements PortHandler {
  private stage: Stage = 'fixed';
  /** The fixed header, the JSON or the length being gathered. */
  private gathered = new Uint8Array(FIXED_HEADER);
  private gatheredBytes = 0;
  /** The header's JSON, while its document length is gathered. */
  private pendingJson: Uint8Array | null = null;
  private job: PrintJobHeader | null = null;
  private spool: PrintJobSpool | null = null;
  private documentLeft = 0;
  /** The document's first bytes, to check it is the format the header says. */
  private head = new Uint8Array(8);
  private headBytes = 0;
  /** Replies go out in order, an OK after its printing ends. */
  private replies: Promise<void> = Promise.resolve();
  private disposed = false;
  readonly counts = { printed: 0, refused: 0, failed: 0 };

  constructor(
    private readonly io: PortIo,
    private readonly service: PrintService | undefined,
  ) {}

  describe(): string {
    return this.service ? `printing: ${this.service.describe()}` : 'printing: off (--print-to); the guest\'s jobs are refused';
  }

  opened(): void {}

  /** The guest closed the port: a job not yet whole is dropped, and the next opening starts afresh. */
  closed(): void {
    this.reset();
  }

  dispose(): void {
    this.disposed = true;
    this.reset();
  }

  data(bytes: Uint8Array): void {
    let o = 0;
    while (o < bytes.byteLength) {
      if (this.stage === 'document') {
        const n = Math.min(this.documentLeft, bytes.byteLength - o);
        this.document(bytes.subarray(o, o + n));
        o += n;
        continue;
      }
      const need = this.gathered.byteLength - this.gatheredBytes;
      const n = Math.min(need, bytes.byteLength - o);
      this.gathered.set(bytes.subarray(o, o + n), this.gatheredBytes);
      this.gatheredBytes += n;
      o += n;
      if (this.gatheredBytes === this.gathered.byteLength) this.stageDone();
    }
  }

  private stageDone(): void {
    const bytes = this.gathered;
    this.gatheredBytes = 0;
    if (this.stage === 'fixed') {
      for (let i = 0; i < PRINT_MAGIC.byteLength; i++) if (bytes[i] !== PRINT_MAGIC[i]) this.outOfStep(`a print job starting with bytes ${hex(bytes.subarray(0, 4))}, not "SDPJ"`);
      if (bytes[4] !== PRINT_VERSION) this.outOfStep(`print job version ${bytes[4]} (spicedesk takes version ${PRINT_VERSION})`);
      const jsonBytes = new DataView(bytes.buffer, bytes.byteOffset).getUint32(5, true);
      if (jsonBytes === 0 || jsonBytes > MAX_PRINT_JSON) this.outOfStep(`a print job header of ${jsonBytes} bytes of JSON (1 to ${MAX_PRINT_JSON} taken)`);
      this.stage = 'json';
      this.gathered = new Uint8Array(jsonBytes);
      return;
    }
    if (this.stage === 'json') {
      this.stage = 'length';
      this.pendingJson = bytes;
      this.gathered = new Uint8Array(8);
      return;
    }
    // 'length': the whole header is in.
    const length = new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true);
    const json = this.pendingJson;
    this.pendingJson = null;
    this.stage = 'fixed';
    this.gathered = new Uint8Array(FIXED_HEADER);
    this.header(json ?? new Uint8Array(0), length);
  }

  private header(json: Uint8Array, length: bigint): void {
    const checked = checkHeader(json, length, this.service);
    if (typeof checked === 'string') {
      this.counts.refused++;
      this.io.log.warn({ port: PRINT_PORT_NAME }, `print job refused: ${checked}`);
      this.reply(`ERR ${checked}`);
      return;
    }
    this.job = checked;
    this.headBytes = 0;
    try {
      this.spool = (this.service as PrintService).start(checked);
    } catch (e) {
      this.counts.failed++;
      this.job = null;
      this.reply(`ERR ${(e as Error).message}`);
      return;
    }
    this.io.log.info({ title: checked.title, bytes: checked.bytes, copies: checked.copies, media: checked.media, format: checked.format }, 'print job: receiving');
    this.reply('READY');
    this.stage = 'document';
    this.documentLeft = checked.bytes;
  }

  private document(bytes: Uint8Array): void {
    if (this.headBytes < this.head.byteLength) {
      const n = Math.min(this.head.byteLength - this.headBytes, bytes.byteLength);
      this.head.set(bytes.subarray(0, n), this.headBytes);
      this.headBytes += n;
    }
    this.spool?.write(bytes);
    this.documentLeft -= bytes.byteLength;
    if (this.documentLeft > 0) return;
    const job = this.job as PrintJobHeader;
    const spool = this.spool as PrintJobSpool;
    this.job = null;
    this.spool = null;
    this.stage = 'fixed';
    const wrongFormat = formatMismatch(job.format, this.head.subarray(0, this.headBytes));
    if (wrongFormat) {
      spool.abort();
      this.counts.refused++;
      this.io.log.warn({ title: job.title }, `print job refused: ${wrongFormat}`);
      this.reply(`ERR ${wrongFormat}`);
      return;
    }
    const done = spool.finish().then(
      (what) => {
        this.counts.printed++;
        this.io.log.info({ title: job.title }, `print job: ${what}`);
        return `OK ${what}`;
      },
      (e: unknown) => {
        this.counts.failed++;
        const why = e instanceof Error ? e.message : String(e);
        this.io.log.warn({ title: job.title }, `print job failed: ${why}`);
        return `ERR ${why}`;
      },
    );
    this.reply(done);
  }

  /** Sends one reply line once those before it are out (never after the channel went). */
  private reply(line: string | Promise<string>): void {
    this.replies = this.replies.then(async () => {
      const text = await line;
      if (this.disposed) return;
      this.io.write(new TextEncoder().encode(`${oneLine(text)}\n`));
    });
  }

  /**
   * The stream is out of step: tell the guest now (the channel closes as soon as this throws, so the
   * line cannot wait behind a job still printing), and end the channel.
   */
  private outOfStep(detail: string): never {
    this.io.write(new TextEncoder().encode(`ERR ${oneLine(detail)}\n`));
    this.reset();
    throw new ProtocolError(detail, 0, { channel: this.io.channelName });
  }

  private reset(): void {
    this.spool?.abort();
    this.spool = null;
    this.job = null;
    this.stage = 'fixed';
    this.gathered = new Uint8Array(FIXED_HEADER);
    this.gatheredBytes = 0;
    this.pendingJson = null;
  }
}

/** The header checked: a job to take, or why it is refused (one line). */
export function checkHeader(json: Uint8Array, length: bigint, service: PrintService | undefined): PrintJobHeader | string {
  if (!service) return 'printing is off on this client (start spicedesk with --print-to PRINTER or save:DIR)';
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch (e) {
    return `the job header is not UTF-8 JSON (${(e as Error).message})`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'the job header is not a JSON object';
  const v = value as Record<string, unknown>;
  const format = v.format;
  if (format !== 'pdf' && format !== 'postscript') return `format ${JSON.stringify(format)}: pdf or postscript is taken`;
  const rawTitle = v.title ?? 'spicedesk print job';
  if (typeof rawTitle !== 'string') return 'title is not a string';
  // Control characters would reach a command line and the printer's queue listing.
  const title = rawTitle.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').trim().slice(0, MAX_TITLE) || 'spicedesk print job';
  const copies = v.copies ?? 1;
  if (typeof copies !== 'number' || !Number.isInteger(copies) || copies < 1 || copies > MAX_COPIES) return `copies ${JSON.stringify(copies)}: a whole number from 1 to ${MAX_COPIES}`;
  const media = v.media ?? undefined;
  if (media !== undefined && (typeof media !== 'string' || !MEDIA_NAME.test(media))) return `media ${JSON.stringify(media)}: a name such as A4 or Letter`;
  if (length === 0n) return 'an empty document';
  if (length > BigInt(service.maxBytes)) return `the document is ${mib(length)} MiB, more than this client takes (${mib(BigInt(service.maxBytes))} MiB, --print-max-mb)`;
  return { title, copies, media, format, bytes: Number(length) };
}

/** Why the document's first bytes are not the format the header names, or null when they are. */
export function formatMismatch(format: 'pdf' | 'postscript', head: Uint8Array): string | null {
  const starts = (text: string): boolean => head.byteLength >= text.length && [...text].every((c, i) => head[i] === c.charCodeAt(0));
  if (format === 'pdf') return starts('%PDF-') ? null : `the document does not start with %PDF- (starts with ${hex(head.subarray(0, 4))}), yet the header says pdf`;
  const dosEps = head.byteLength >= 4 && head[0] === 0xc5 && head[1] === 0xd0 && head[2] === 0xd3 && head[3] === 0xc6;
  return starts('%!') || dosEps ? null : `the document does not start with %! (starts with ${hex(head.subarray(0, 4))}), yet the header says postscript`;
}

function mib(bytes: bigint): string {
  return (Number(bytes) / (1024 * 1024)).toFixed(1);
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').slice(0, 1000);
}

/** A job's header as the guest's backend writes it (tests and other senders use this). */
export function buildPrintJobHeader(meta: Record<string, unknown>, documentBytes: number | bigint): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(meta));
  const out = new Uint8Array(FIXED_HEADER + json.byteLength + 8);
  const view = new DataView(out.buffer);
  out.set(PRINT_MAGIC, 0);
  out[4] = PRINT_VERSION;
  view.setUint32(5, json.byteLength, true);
  out.set(json, FIXED_HEADER);
  view.setBigUint64(FIXED_HEADER + json.byteLength, BigInt(documentBytes), true);
  return out;
}
