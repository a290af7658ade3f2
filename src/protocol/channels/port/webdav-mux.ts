// Folder sharing's multiplexer over the webdav channel (org.spice-space.webdav.0). The guest's
// spice-webdavd accepts local HTTP connections and carries each over the port as frames of
// {i64 LE client id, u16 LE size, size bytes}; a new id is a new connection, size 0 closes it
// (either way). Each guest connection becomes one connection into the host's WebDAV server
// (PortContext.webdav), and the server's bytes go back in frames with the same id. Demuxing starts
// when the guest side opens the port and every connection is dropped when it closes (spice-gtk's
// behaviour). Without a shared folder, every connection the guest opens is closed at once.
import { ProtocolError } from '../../wire/errors.ts';
import type { PortHandler, PortIo, WebdavConnection, WebdavServer } from './port-handler.ts';

export const WEBDAV_PORT_NAME = 'org.spice-space.webdav.0';

const FRAME_HEADER = 10;
/** The most one frame carries (its size is a u16). */
export const MAX_MUX_FRAME = 0xffff;
/** The most guest connections open at once; more are closed as they come (spice-webdavd opens a few). */
export const MAX_MUX_CLIENTS = 256;

interface Client {
  connection: WebdavConnection;
  /** A size-0 frame for this id has gone to the guest. */
  closeSent: boolean;
}

export class WebdavMux implements PortHandler {
  private readonly io: PortIo;
  private readonly server: WebdavServer | undefined;
  private readonly clients = new Map<bigint, Client>();
  private active = false;
  /** A frame header's bytes so far, when a message ended inside it. */
  private readonly header = new Uint8Array(FRAME_HEADER);
  private headerBytes = 0;
  /** Body bytes still to come of the frame being read (its header is whole), and its id. */
  private bodyLeft = 0;
  private bodyId = 0n;
  readonly counts = { connections: 0, refused: 0, bytesIn: 0, bytesOut: 0 };

  constructor(io: PortIo, server: WebdavServer | undefined) {
    this.io = io;
    this.server = server;
  }

  describe(): string {
    return this.server ? `folder sharing: ${this.server.describe()}` : 'folder sharing: no folder shared (--spice-shared-dir); guest connections are closed';
  }

  get openConnections(): number {
    return this.clients.size;
  }

  opened(): void {
    this.active = true;
    this.headerBytes = 0;
    this.bodyLeft = 0;
  }

  closed(): void {
    this.active = false;
    this.headerBytes = 0;
    this.bodyLeft = 0;
    this.dropAll();
  }

  dispose(): void {
    this.closed();
  }

  data(bytes: Uint8Array): void {
    if (!this.active) this.opened();
    let o = 0;
    while (o < bytes.byteLength) {
      // A frame's body goes to its connection as it comes, in views of the port's bytes: the
      // connection is a byte stream, so frame and message boundaries mean nothing to it, and a
      // 64 KiB frame cut across spice-server's 32 KiB messages is never joined (or copied) here.
      if (this.bodyLeft > 0) {
        const n = Math.min(this.bodyLeft, bytes.byteLength - o);
        this.bodyLeft -= n;
        this.body(this.bodyId, bytes.subarray(o, o + n));
        o += n;
        continue;
      }
      let id: bigint;
      let size: number;
      if (this.headerBytes === 0 && bytes.byteLength - o >= FRAME_HEADER) {
        id = readId(bytes, o);
        size = bytes[o + 8] | (bytes[o + 9] << 8);
        o += FRAME_HEADER;
      } else {
        const n = Math.min(FRAME_HEADER - this.headerBytes, bytes.byteLength - o);
        this.header.set(bytes.subarray(o, o + n), this.headerBytes);
        this.headerBytes += n;
        o += n;
        if (this.headerBytes < FRAME_HEADER) return;
        this.headerBytes = 0;
        id = readId(this.header, 0);
        size = this.header[8] | (this.header[9] << 8);
      }
      this.frameStart(id, size);
    }
  }

  /** A frame's header: size 0 closes the connection, a new id opens one; the body follows. */
  private frameStart(id: bigint, size: number): void {
    const client = this.clients.get(id);
    if (size === 0) {
      if (!client) return;
      this.clients.delete(id);
      // The guest closed: answer with a size-0 frame once our side ends (WebdavConnection.end does that).
      client.connection.end();
      return;
    }
    this.bodyId = id;
    this.bodyLeft = size;
    if (client) return;
    if (!this.server || this.clients.size >= MAX_MUX_CLIENTS) {
      this.counts.refused++;
      if (this.server) this.io.log.warn({ open: this.clients.size }, `the guest opened more than ${MAX_MUX_CLIENTS} WebDAV connections at once; closing the new one`);
      // Its body is dropped (body() finds no connection), and the guest is told it is closed.
      this.sendFrame(id, new Uint8Array(0));
      return;
    }
    this.open(this.server, id);
  }

  /** Body bytes of the current frame: to its connection (none: refused or closed meanwhile, dropped). */
  private body(id: bigint, bytes: Uint8Array): void {
    this.counts.bytesIn += bytes.byteLength;
    this.clients.get(id)?.connection.write(bytes);
  }

  private open(server: WebdavServer, id: bigint): void {
    this.counts.connections++;
    const entry: Client = { connection: null as unknown as WebdavConnection, closeSent: false };
    this.clients.set(id, entry);
    entry.connection = server.connect(
      (reply, sent) => {
        if (entry.closeSent || reply.byteLength === 0) return;
        this.sendFrames(id, reply, sent);
      },
      () => {
        if (entry.closeSent) return;
        entry.closeSent = true;
        if (this.clients.get(id) === entry) this.clients.delete(id);
        if (this.active) this.sendFrame(id, new Uint8Array(0));
      },
      // Flow control: a reply waits while the channel's connection is backed up, so a large GET
      // reads the file as the port drains instead of into memory.
      (resume) => !entry.closeSent && this.active && (this.io.mustWait?.(resume) ?? false),
    );
  }

  private sendFrame(id: bigint, body: Uint8Array): void {
    if (body.byteLength > MAX_MUX_FRAME) throw new ProtocolError(`a mux frame of ${body.byteLength} bytes`, 0, { channel: this.io.channelName });
    const frame = new Uint8Array(FRAME_HEADER + body.byteLength);
    const view = new DataView(frame.buffer);
    view.setBigInt64(0, id, true);
    view.setUint16(8, body.byteLength, true);
    frame.set(body, FRAME_HEADER);
    this.counts.bytesOut += body.byteLength;
    this.io.write(frame);
  }

  /**
   * A server reply in as many frames as it takes, in one write: the port channel cuts it into full
   * 64 KiB messages whatever the frame boundaries, and the reply's bytes are not copied on the way
   * (10-byte frame headers between views of the reply; PortIo.writePieces). A frame per write
   * would cost a 65545-byte frame split into a full message and a 9-byte one.
   */
  private sendFrames(id: bigint, reply: Uint8Array, sent?: () => void): void {
    const pieces: Uint8Array[] = [];
    for (let o = 0; o < reply.byteLength; o += MAX_MUX_FRAME) {
      const body = reply.subarray(o, Math.min(reply.byteLength, o + MAX_MUX_FRAME));
      const header = new Uint8Array(FRAME_HEADER);
      const view = new DataView(header.buffer);
      view.setBigInt64(0, id, true);
      view.setUint16(8, body.byteLength, true);
      pieces.push(header, body);
    }
    this.counts.bytesOut += reply.byteLength;
    if (this.io.writePieces) return this.io.writePieces(pieces, sent);
    const out = new Uint8Array(reply.byteLength + (pieces.length / 2) * FRAME_HEADER);
    let at = 0;
    for (const p of pieces) {
      out.set(p, at);
      at += p.byteLength;
    }
    this.io.write(out);
    // Copied: the reply's memory is free again (whether `out` is out of the process or not).
    sent?.();
  }

  private dropAll(): void {
    const clients = [...this.clients.values()];
    this.clients.clear();
    for (const c of clients) {
      c.closeSent = true;
      c.connection.end();
    }
  }
}

function readId(bytes: Uint8Array, at: number): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset + at, 8).getBigInt64(0, true);
}
