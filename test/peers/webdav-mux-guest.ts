// The guest's side of the webdav channel, played by a script instead of spice-webdavd in a VM: on a
// linked webdav channel of the fake session (fake-session.ts) it opens the share (PORT_INIT,
// opened), and carries HTTP requests to the client's WebDAV server through the mux (i64 client
// id, u16 size, the bytes; size 0 closes that client), as fast as the client's socket takes them.
// With no TCG guest setting the pace, what is measured is the client. Like fake-session.ts it
// shares no code with src/protocol: the layouts are spice.proto's and spice-webdavd's (docs/protocol.md).
import type { Socket } from 'node:net';
import { CHANNEL_DISPLAY, displayMessages, drawFill, portInit, startFakeSession, surfaceCreate, type DisplayConnection } from './fake-session.ts';
import type { MisbehavingServer } from './misbehaving-server.ts';

export const CHANNEL_WEBDAV = 11;
const PORT_INIT = 201;
const VMC_DATA = 101;
const VMC_COMPRESSED_DATA = 102;
const MINI_HEADER_BYTES = 6;
const MUX_HEADER_BYTES = 10;
/** The most data one mux frame holds (its size is a u16). */
const MUX_MAX_DATA = 65535;
/** Data bytes per DATA message: a frame and its header fill 64 KiB, as spice-webdavd's reads do. */
const DATA_PER_MESSAGE = 65536 - MUX_HEADER_BYTES;

export interface HttpResponse {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
}

interface Pending {
  id: bigint;
  /** Bytes of the response so far (headers, then the body, in parts). */
  parts: Buffer[];
  size: number;
  head: { status: number; headers: Map<string, string>; bodyStart: number; length: number | null; chunked: boolean } | null;
  /** Where the body's bytes go as they come (a GET of megabytes is not kept). */
  onBody?: (bytes: Buffer) => void;
  bodyBytes: number;
  resolve: (r: HttpResponse) => void;
  reject: (e: Error) => void;
}

export class WebdavMuxGuest {
  private nextId = 1n;
  private readonly pending = new Map<bigint, Pending>();
  private failed: Error | null = null;

  constructor(private readonly channel: DisplayConnection) {
    channel.send(PORT_INIT, portInit('org.spice-space.webdav.0', true));
    channel.socket.on('data', (chunk: Buffer) => this.received(chunk));
    channel.socket.on('close', () => this.fail(new Error('the client closed the webdav channel')));
  }

  /**
   * One request on a new mux connection, closed once answered (curl's way); `body` is written as
   * the socket takes it. The response's body is kept, or handed to `onBody` as it comes.
   */
  async request(head: string, body?: { size: number; write: (send: (bytes: Buffer) => Promise<void>) => Promise<void> }, onBody?: (bytes: Buffer) => void): Promise<HttpResponse> {
    if (this.failed) throw this.failed;
    const id = this.nextId++;
    const answered = new Promise<HttpResponse>((resolve, reject) => {
      this.pending.set(id, { id, parts: [], size: 0, head: null, onBody, bodyBytes: 0, resolve, reject });
    });
    await this.sendData(id, Buffer.from(head, 'latin1'));
    if (body) await body.write((bytes) => this.sendData(id, bytes));
    const response = await answered;
    await this.sendFrame(id, Buffer.alloc(0));
    return response;
  }

  /** The bytes of one guest connection, cut into frames and DATA messages. */
  private async sendData(id: bigint, bytes: Buffer): Promise<void> {
    for (let at = 0; at < bytes.length; at += DATA_PER_MESSAGE) await this.sendFrame(id, bytes.subarray(at, Math.min(bytes.length, at + DATA_PER_MESSAGE)));
  }

  private async sendFrame(id: bigint, data: Buffer): Promise<void> {
    if (data.length > MUX_MAX_DATA) throw new Error(`a mux frame holds at most ${MUX_MAX_DATA} bytes`);
    const message = Buffer.allocUnsafe(MINI_HEADER_BYTES + MUX_HEADER_BYTES + data.length);
    message.writeUInt16LE(VMC_DATA, 0);
    message.writeUInt32LE(MUX_HEADER_BYTES + data.length, 2);
    message.writeBigInt64LE(id, MINI_HEADER_BYTES);
    message.writeUInt16LE(data.length, MINI_HEADER_BYTES + 8);
    data.copy(message, MINI_HEADER_BYTES + MUX_HEADER_BYTES);
    const socket: Socket = this.channel.socket;
    if (socket.destroyed) throw this.failed ?? new Error('the webdav channel is closed');
    if (!socket.write(message)) await new Promise<void>((resolve) => socket.once('drain', resolve));
  }

  /** The client's messages, read as a stream: a DATA body goes to the demux in the pieces it came in. */
  private readonly messages = new HeaderedStream(
    MINI_HEADER_BYTES,
    (header) => {
      const type = header.readUInt16LE(0);
      if (type === VMC_COMPRESSED_DATA) this.fail(new Error('the client compressed its data, which this server never offered'));
      return header.readUInt32LE(2);
    },
    (header, piece) => {
      if (header.readUInt16LE(0) === VMC_DATA) this.mux.push(piece);
    },
  );

  /**
   * The mux is a byte stream over the DATA messages: a frame may span two of them. Read as a
   * stream, without copying a frame's data (this script must not be what sets the pace). A 0-size
   * frame is the client closing that connection; bytes of a connection already answered are dropped.
   */
  private readonly mux = new HeaderedStream(
    MUX_HEADER_BYTES,
    (header) => header.readUInt16LE(8),
    (header, piece) => {
      const p = this.pending.get(header.readBigInt64LE(0));
      if (p) this.responseBytes(p, piece);
    },
  );

  private received(chunk: Buffer): void {
    if (!this.failed) this.messages.push(chunk);
  }

  private responseBytes(p: Pending, data: Buffer): void {
    if (!p.head) {
      p.parts.push(Buffer.from(data));
      p.size += data.length;
      const all = Buffer.concat(p.parts);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = all.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0])?.[1] ?? NaN);
      if (!Number.isFinite(status)) return this.finish(p, new Error(`not an HTTP response: ${JSON.stringify(lines[0])}`));
      const headers = new Map<string, string>();
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      const chunked = /chunked/i.test(headers.get('transfer-encoding') ?? '');
      const length = headers.has('content-length') ? Number(headers.get('content-length')) : chunked ? null : 0;
      p.head = { status, headers, bodyStart: end + 4, length, chunked };
      p.parts = [];
      p.size = 0;
      const rest = all.subarray(end + 4);
      if (rest.length > 0 || length === 0) this.bodyBytes(p, rest);
      return;
    }
    this.bodyBytes(p, data);
  }

  private bodyBytes(p: Pending, data: Buffer): void {
    const head = p.head!;
    if (head.chunked) {
      // Kept whole and decoded at its end (the 0-size chunk): the responses read that way are small.
      p.parts.push(Buffer.from(data));
      const all = Buffer.concat(p.parts);
      let decoded: Buffer | null;
      try {
        decoded = decodeChunked(all);
      } catch (e) {
        // That request fails with the reason, not the socket's data handler with a stack trace.
        return this.finish(p, e as Error);
      }
      if (decoded) this.done(p, decoded);
      return;
    }
    if (data.length > 0) {
      if (p.onBody) p.onBody(data);
      else p.parts.push(Buffer.from(data));
      p.bodyBytes += data.length;
    }
    if (p.bodyBytes >= (head.length ?? 0)) this.done(p, p.onBody ? Buffer.alloc(0) : Buffer.concat(p.parts));
  }

  private done(p: Pending, body: Buffer): void {
    this.pending.delete(p.id);
    p.resolve({ status: p.head!.status, headers: p.head!.headers, body });
  }

  private finish(p: Pending, error: Error): void {
    this.pending.delete(p.id);
    p.reject(error);
  }

  private fail(error: Error): void {
    this.failed ??= error;
    for (const p of [...this.pending.values()]) this.finish(p, error);
  }
}

/**
 * A stream of records, each a fixed-size header that gives its body's length, then the body: the
 * body goes on in the pieces it came in (views, no copy), with its header.
 */
class HeaderedStream {
  private readonly header: Buffer;
  private headerFill = 0;
  private bodyLeft = 0;

  constructor(
    headerBytes: number,
    private readonly bodyLength: (header: Buffer) => number,
    private readonly body: (header: Buffer, piece: Buffer) => void,
  ) {
    this.header = Buffer.alloc(headerBytes);
  }

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.bodyLeft === 0) {
        const take = Math.min(this.header.length - this.headerFill, chunk.length - at);
        chunk.copy(this.header, this.headerFill, at, at + take);
        this.headerFill += take;
        at += take;
        if (this.headerFill < this.header.length) return;
        this.headerFill = 0;
        this.bodyLeft = this.bodyLength(this.header);
        continue;
      }
      const take = Math.min(this.bodyLeft, chunk.length - at);
      this.bodyLeft -= take;
      this.body(this.header, chunk.subarray(at, at + take));
      at += take;
    }
  }
}

/** A chunked body decoded, or null while its last chunk has not come. */
function decodeChunked(all: Buffer): Buffer | null {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const line = all.indexOf('\r\n', at);
    if (line < 0) return null;
    const size = parseInt(all.subarray(at, line).toString('latin1'), 16);
    if (!Number.isFinite(size)) throw new Error('a chunked body with a bad chunk size');
    if (size === 0) return Buffer.concat(parts);
    if (all.length < line + 2 + size + 2) return null;
    parts.push(all.subarray(line + 2, line + 2 + size));
    at = line + 2 + size + 2;
  }
}

/** A request body written in 1 MiB pieces, each as the socket takes it. */
export function bodyInPieces(data: Buffer): { size: number; write: (send: (bytes: Buffer) => Promise<void>) => Promise<void> } {
  return {
    size: data.length,
    write: async (send) => {
      for (let at = 0; at < data.length; at += 1 << 20) await send(data.subarray(at, Math.min(data.length, at + (1 << 20))));
    },
  };
}

/**
 * A fake session with a display (one small frame, for a client that waits for one) and a webdav
 * channel whose guest side is a WebdavMuxGuest, once the client has linked it. What clients send
 * after the link is not recorded (megabytes go through).
 */
export async function startWebdavWireSession(): Promise<{ server: MisbehavingServer; guest: () => WebdavMuxGuest | undefined }> {
  let guest: WebdavMuxGuest | undefined;
  const server = await startFakeSession({
    channels: [
      [CHANNEL_DISPLAY, 0],
      [CHANNEL_WEBDAV, 0],
    ],
    recordAfterLink: false,
    onDisplay(d) {
      d.send(displayMessages.SURFACE_CREATE, surfaceCreate(0, 32, 24));
      d.send(displayMessages.DRAW_FILL, drawFill(0, { left: 0, top: 0, right: 32, bottom: 24 }, 0x336699));
      d.send(displayMessages.MARK, Buffer.alloc(0));
    },
    onChannel(type, channel) {
      if (type === CHANNEL_WEBDAV) guest = new WebdavMuxGuest(channel);
    },
  });
  return { server, guest: () => guest };
}
