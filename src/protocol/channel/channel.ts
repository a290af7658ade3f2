// The channel base: one connection, the link stage, the message loop, the ACK window, PING,
// NOTIFY, WAIT_FOR_CHANNELS, DISCONNECTING and MIGRATE; concrete channels add a handler table.
import { CapSet } from '../link/caps.ts';
import { channelTypeName, LinkErr } from '../link/constants.ts';
import { LinkRefusedError, performLink, type LinkResult, type TicketCrypto } from '../link/link.ts';
import type { Logger } from '../logger.ts';
import { ByteQueue } from '../wire/byte-queue.ts';
import type { MemoryBudget } from '../wire/memory-budget.ts';
import { isSpiceError, ProtocolError, SpiceError } from '../wire/errors.ts';
import { encodeHeader, encodeMessage, FULL_HEADER_SIZE, MAX_MESSAGE_SIZE, MINI_HEADER_SIZE, writeMessageHeader } from '../wire/headers.ts';
import { WireReader } from '../wire/reader.ts';
import type { Connector, Transport } from '../wire/transport.ts';
import { BaseMsg, BaseMsgc, buildAckSync, buildPong, MigrateFlags, NotifySeverity } from './base-messages.ts';

/** What a channel needs from its session. */
export interface ChannelHost {
  readonly logger: Logger;
  readonly connector: Connector;
  readonly crypto: TicketCrypto;
  readonly password: string;
  readonly where: string;
  /** The session's memory budget, charged with the bytes buffered on each channel; none in some tests. */
  readonly memoryBudget?: MemoryBudget;
  /** Resolves once channel (type, id) has processed the message with this serial. */
  waitForSerial(channelType: number, channelId: number, serial: bigint): Promise<void>;
  /** Called after each message a channel has processed. */
  processed(channel: SpiceChannel, serial: bigint): void;
  /** The session's multimedia time in ms (main channel's clock), null before the server set it; none in some tests. */
  mediaTime?(): number | null;
  /** A warning the user should see (on the terminal in the CLI); absent: the channel logs it. */
  warn?(line: string): void;
}

export interface MessageHandler<C> {
  name: string;
  handle(channel: C, body: Uint8Array, serial: bigint, type: number): void | Promise<void>;
}

/** A handler for every message number of a channel's message table; a missing one is a type error. */
export type HandlerTable<C, Msgs extends Record<string, number>> = {
  [K in keyof Msgs as Msgs[K]]: MessageHandler<C>;
};

export type ChannelState = 'idle' | 'linking' | 'ready' | 'closed';

export abstract class SpiceChannel {
  readonly type: number;
  readonly id: number;
  readonly name: string;
  protected readonly host: ChannelHost;
  readonly log: Logger;
  state: ChannelState = 'idle';
  link: LinkResult | null = null;
  /** Serial of the last message received (implicit with the mini header). */
  lastSerial = 0n;
  private outSerial = 0n;
  private transport: Transport | null = null;
  private queue: ByteQueue | null = null;
  private ackWindow = 0;
  private ackCountdown = 0;
  private closing = false;
  /** Set by leaveToServer: the connection is the server's to end; nothing is handled or sent. */
  private leftToServer = false;
  /** Set when the server said DISCONNECTING, so the close that follows is expected. */
  disconnectReason: number | null = null;
  /**
   * When set, ACKs that are due are held until it calls `sendHeld` (the gateway sends a display
   * channel's ACKs with the packet that carries the acknowledged messages). It hears of the first
   * one held only; the ACKs due by the time it calls leave together, in one write.
   */
  ackGate: ((sendHeld: () => void) => void) | null = null;
  /** ACKs due and held for the ackGate. */
  private acksHeld = 0;
  /** Whether holdReads(true) paused this connection's reads. */
  private readsHeld = false;
  /**
   * Whether close() waits, once the ticket is sent, until the server has said something on this
   * connection. spice-server 0.15 frees a display channel client that ends while its worker waits
   * for DISPLAY_INIT and then reads the freed memory, killing the whole VM (docs/protocol.md,
   * "Closing a display channel"); its first message comes only after that wait.
   */
  protected holdCloseUntilServerSpeaks = false;
  private ticketSent = false;
  private messageSeen = false;
  /** The link stage of the current connection, settled either way. */
  private linkSettled: Promise<void> = Promise.resolve();
  private heldClose: Promise<void> | null = null;

  constructor(host: ChannelHost, type: number, id: number) {
    this.host = host;
    this.type = type;
    this.id = id;
    this.name = id === 0 ? channelTypeName(type) : `${channelTypeName(type)}:${id}`;
    this.log = host.logger.child({ channel: this.name });
  }

  /** Channel capabilities this client advertises. */
  protected channelCaps(): CapSet {
    return new CapSet();
  }

  /** The table for this channel's own messages (numbers 101 and up). */
  protected abstract handlerFor(type: number): MessageHandler<this> | undefined;

  /** Runs once the link is up, before the first message is read (e.g. DISPLAY_INIT). */
  protected onReady(): void {}

  /**
   * The ticket is sent and the link is negotiated, but not yet accepted: messages the server reads
   * first (DISPLAY_INIT) go out here, so that they wait in its socket buffer (see LinkParams).
   */
  protected onTicketSent(): void {}

  /**
   * A message whose body is still arriving (a large one): `peek` gives its first bytes so far.
   * For work that can start before the body is whole (the display starts its decoders).
   */
  protected onBodyPending(_type: number, _size: number, _peek: (max: number) => Uint8Array): void {}

  /** Connects and links; resolves when the server accepted the channel. */
  async connect(connectionId: number): Promise<void> {
    this.state = 'linking';
    try {
      try {
        await this.linkOver(connectionId, { tls: false });
      } catch (e) {
        // NEED_SECURED / NEED_UNSECURED: the server wants this channel on its other port. One
        // retry there (the connector decides whether the profile allows it); a second refusal is
        // reported as it is, so a server that sends both cannot make us loop.
        const retry = this.linkRefusedPort && !this.closing ? otherPortFor(e) : undefined;
        if (!retry) throw e;
        this.log.info(retry, retry.tls ? 'the server wants this channel on its TLS port; reconnecting' : 'the server refuses TLS for this channel; reconnecting to its plain port');
        await this.linkOver(connectionId, retry);
      }
    } catch (e) {
      this.close();
      throw e;
    }
    if (this.closing) {
      // close() came while the link was finishing (and waited for it): nothing to run.
      this.state = 'closed';
      throw new SpiceError('protocol', `the ${this.name} channel was closed while it linked`);
    }
    this.state = 'ready';
    this.log.debug({ caps: this.link?.serverChannelCaps.list(), mini: this.link?.miniHeader }, 'linked');
    this.onReady();
  }

  /** Set when the last link attempt was refused by the server during the link stage. */
  private linkRefusedPort = false;

  private async linkOver(connectionId: number, port: { tls: boolean; unsecured?: boolean }): Promise<void> {
    this.linkRefusedPort = false;
    const transport = await this.host.connector({ channelType: this.type, channelId: this.id, ...port });
    this.transport = transport;
    this.readsHeld = false;
    this.queue?.dispose();
    this.queue = new ByteQueue(transport, `${this.name} channel`, this.host.memoryBudget);
    this.ticketSent = false;
    let settle = (): void => {};
    this.linkSettled = new Promise((resolve) => (settle = resolve));
    try {
      this.link = await performLink(this.queue, transport, {
        connectionId,
        channelType: this.type,
        channelId: this.id,
        channelCaps: this.channelCaps(),
        password: this.host.password,
        crypto: this.host.crypto,
        where: this.host.where,
        afterTicket: (link) => {
          this.link = link;
          this.ticketSent = true;
          this.onTicketSent();
        },
      });
    } catch (e) {
      this.linkRefusedPort = true;
      transport.close();
      throw e;
    } finally {
      settle();
    }
  }

  /** Reads and dispatches messages until the connection ends; rejects on a protocol error. */
  async run(): Promise<void> {
    const queue = this.queue;
    if (!queue || !this.link) throw new Error(`${this.name}: run() before connect()`);
    const mini = this.link.miniHeader;
    const headerSize = mini ? MINI_HEADER_SIZE : FULL_HEADER_SIZE;
    try {
      for (;;) {
        const header = queue.tryRead(headerSize) ?? (await queue.read(headerSize));
        // The header is exactly headerSize bytes: read in place (a WireReader and its error context
        // per message showed in the gateway's profile at 25 video frames a second).
        const h = new DataView(header.buffer, header.byteOffset, headerSize);
        const serial = mini ? this.lastSerial + 1n : h.getBigUint64(0, true);
        const type = h.getUint16(mini ? 0 : 8, true);
        const size = h.getUint32(mini ? 2 : 10, true);
        const subList = mini ? 0 : h.getUint32(14, true);
        this.messageSeen = true;
        if (size > MAX_MESSAGE_SIZE) {
          throw new ProtocolError(`message declares ${size} bytes, more than the ${MAX_MESSAGE_SIZE} accepted`, mini ? 2 : 10, {
            channel: this.name,
            messageType: type,
          });
        }
        let body = queue.tryRead(size);
        if (!body) {
          this.onBodyPending(type, size, (max) => queue.peek(max));
          body = await queue.read(size);
        }
        this.lastSerial = serial;
        // A channel left for the server to end (leaveToServer) reads on, but answers nothing.
        if (this.leftToServer) continue;
        // Display messages are handled synchronously: awaiting only real promises spares a microtask per message.
        const handling = subList !== 0 ? this.dispatchSubList(body, subList, serial, type) : this.dispatch(type, body, serial);
        if (handling) await handling;
        this.countForAck();
        this.host.processed(this, serial);
      }
    } catch (e) {
      if (this.closing || this.disconnectReason !== null) return;
      // The stream ended under a linked channel: one sentence and one exit code, whether the
      // server closed it or it was reset (a write's EPIPE, a read's ECONNRESET, a keepalive timeout).
      if (e === queue.endedWith && (queue.closedByPeer || isTransportFailure(e))) throw connectionLost(this.name, e as Error);
      throw e;
    } finally {
      this.state = 'closed';
      queue.dispose();
    }
  }

  /** The full header's sub-message list: the sub-messages first, then the message itself. */
  private async dispatchSubList(body: Uint8Array, subListOffset: number, serial: bigint, type: number): Promise<void> {
    const r = new WireReader(body, 0, { channel: this.name, messageType: type, messageName: 'sub-message list' }).at(subListOffset, 'sub_list');
    const n = r.u16();
    r.count(n, 4, 'sub-message list');
    const offsets = Array.from({ length: n }, () => r.u32());
    for (const off of offsets) {
      const s = r.at(off, 'sub-message');
      const subType = s.u16();
      const subSize = s.u32();
      await this.dispatch(subType, s.take(subSize, 'sub-message body'), serial);
    }
    await this.dispatch(type, body.subarray(0, subListOffset), serial);
  }

  protected dispatch(type: number, body: Uint8Array, serial: bigint): void | Promise<void> {
    if (type < 100) return this.handleBase(type, body);
    const handler = this.handlerFor(type);
    if (!handler) {
      this.log.warn({ type, size: body.byteLength }, `ignoring unknown message ${type}`);
      return;
    }
    return handler.handle(this, body, serial, type);
  }

  private async handleBase(type: number, body: Uint8Array): Promise<void> {
    const r = new WireReader(body, 0, { channel: this.name, messageType: type });
    switch (type) {
      case BaseMsg.SET_ACK: {
        const generation = r.u32();
        const window = r.u32();
        this.ackWindow = window;
        this.ackCountdown = window;
        this.send(BaseMsgc.ACK_SYNC, buildAckSync(generation));
        return;
      }
      case BaseMsg.PING: {
        const id = r.u32();
        const timestamp = r.u64();
        this.send(BaseMsgc.PONG, buildPong(id, timestamp));
        return;
      }
      case BaseMsg.WAIT_FOR_CHANNELS:
        return this.waitForChannels(r);
      case BaseMsg.DISCONNECTING: {
        r.u64();
        this.disconnectReason = r.u32();
        this.log.info({ reason: this.disconnectReason }, 'server is disconnecting this channel');
        return;
      }
      case BaseMsg.NOTIFY: {
        r.u64();
        const severity = r.u32();
        const visibility = r.u32();
        const what = r.u32();
        const len = r.u32();
        const text = r.printableText(Math.min(len, r.remaining), 'notify text');
        const level = NotifySeverity[severity] ?? 'info';
        this.log[level]({ visibility, what }, `server notice: ${text}`);
        return;
      }
      case BaseMsg.MIGRATE: {
        const flags = r.u32();
        this.log.warn({ flags }, 'the server is migrating this session; spicedesk does not follow migrations yet');
        if (flags & MigrateFlags.NEED_FLUSH) this.send(BaseMsgc.MIGRATE_FLUSH_MARK, new Uint8Array(0));
        return;
      }
      case BaseMsg.MIGRATE_DATA:
        this.log.debug({ size: body.byteLength }, 'ignoring migration data');
        return;
      case BaseMsg.LIST:
        return this.dispatchSubList(body, 0, this.lastSerial, type);
      default:
        this.log.warn({ type }, `ignoring unknown base message ${type}`);
    }
  }

  /** WAIT_FOR_CHANNELS (and INVAL_ALL_PIXMAPS): block this channel until others caught up. */
  protected async waitForChannels(r: WireReader): Promise<void> {
    const count = r.u8();
    r.count(count, 10, 'wait list');
    const waits = Array.from({ length: count }, () => ({ type: r.u8(), id: r.u8(), serial: r.u64() }));
    for (const w of waits) await this.host.waitForSerial(w.type, w.id, w.serial);
  }

  private countForAck(): void {
    if (this.ackWindow === 0) return;
    if (--this.ackCountdown <= 0) {
      this.ackCountdown = this.ackWindow;
      if (!this.ackGate) this.send(BaseMsgc.ACK, new Uint8Array(0));
      else if (this.acksHeld++ === 0) this.ackGate(() => this.sendHeldAcks());
    }
  }

  /** The held ACKs in one write (two or three a packet on a busy display: one system call, not one each). */
  private sendHeldAcks(): void {
    const count = this.acksHeld;
    this.acksHeld = 0;
    if (count === 0 || !this.transport || this.state === 'closed') return;
    const mini = this.link?.miniHeader ?? false;
    const size = this.messageHeaderSize;
    const acks = new Uint8Array(count * size);
    for (let i = 0; i < count; i++) {
      this.outSerial += 1n;
      writeMessageHeader(acks.subarray(i * size, (i + 1) * size), mini, this.outSerial, BaseMsgc.ACK, 0);
    }
    this.transport.write(acks);
  }

  /**
   * Holds this connection's reads (true) or lets them flow again (false): the gateway holds a
   * display channel's while its next packet to the page waits out its interval, so the server's
   * many small writes meanwhile come in one read when it is due. True when reads are held now.
   * A closing channel reads on (its close may wait for the server's bytes).
   */
  holdReads(held: boolean): boolean {
    const t = this.transport;
    if (held && (this.state !== 'ready' || !t?.pauseReads || !t.resumeReads)) return this.readsHeld;
    if (held === this.readsHeld) return held;
    this.readsHeld = held;
    if (held) t?.pauseReads?.();
    else t?.resumeReads?.();
    return held;
  }

  /** Bytes sent on this channel that its connection has not handed to the OS yet (0: cannot tell). */
  protected sendBacklog(): number {
    return this.transport?.backlog?.() ?? 0;
  }

  /** Whether the connection can tell its backlog (and say when it has drained). */
  protected sendBacklogKnown(): boolean {
    return this.transport?.backlog !== undefined && this.transport.onDrain !== undefined;
  }

  /**
   * Calls `listener` once the connection's send backlog has drained; false (and no call) when
   * there is no backlog or the transport cannot tell.
   */
  protected onSendDrained(listener: () => void): boolean {
    const t = this.transport;
    if (!t?.onDrain || !t.backlog || t.backlog() === 0 || this.state === 'closed') return false;
    t.onDrain(listener);
    return true;
  }

  send(type: number, body: Uint8Array): void {
    if (!this.transport || this.state === 'closed') return;
    this.outSerial += 1n;
    this.transport.write(encodeMessage(this.link?.miniHeader ?? false, this.outSerial, type, body));
  }

  /** The bytes a message header takes on this channel (mini or full): the room `sendFramed` needs in front of a body. */
  get messageHeaderSize(): number {
    return this.link?.miniHeader ? MINI_HEADER_SIZE : FULL_HEADER_SIZE;
  }

  /**
   * Sends a message whose body was built after `messageHeaderSize` free bytes of `message`: the
   * header is written into them and the whole goes out as is, without copying the body again
   * (for bulk data such as usbredir's, where the copy costs more than the rest of the send).
   */
  sendFramed(type: number, message: Uint8Array): void {
    if (!this.transport || this.state === 'closed') return;
    const mini = this.link?.miniHeader ?? false;
    const headerSize = mini ? MINI_HEADER_SIZE : FULL_HEADER_SIZE;
    if (message.byteLength < headerSize) throw new RangeError(`sendFramed: ${message.byteLength} bytes cannot hold a ${headerSize}-byte header`);
    this.outSerial += 1n;
    writeMessageHeader(message, mini, this.outSerial, type, message.byteLength - headerSize);
    this.transport.write(message);
  }

  /**
   * Several messages in one write, each body given as pieces that are not joined: the transport
   * gets every header and piece in one writev (a large body from a file then reaches the socket
   * without a copy in JavaScript). Transports without writev get one joined buffer.
   */
  sendPieces(messages: readonly { type: number; pieces: readonly Uint8Array[] }[]): void {
    if (!this.transport || this.state === 'closed') return;
    const mini = this.link?.miniHeader ?? false;
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (const m of messages) {
      let size = 0;
      for (const p of m.pieces) size += p.byteLength;
      this.outSerial += 1n;
      const header = encodeHeader(mini, this.outSerial, m.type, size);
      chunks.push(header, ...m.pieces);
      total += header.byteLength + size;
    }
    if (this.transport.writev) return this.transport.writev(chunks);
    const joined = new Uint8Array(total);
    let o = 0;
    for (const c of chunks) {
      joined.set(c, o);
      o += c.byteLength;
    }
    this.transport.write(joined);
  }

  /**
   * Closes the connection; resolves once it is closed. A channel that must not end before the
   * server has spoken (holdCloseUntilServerSpeaks) stays open until the server's first message
   * arrives, the link fails, or CLOSE_HOLD_MS pass.
   */
  close(): Promise<void> {
    this.holdReads(false);
    this.closing = true;
    this.state = 'closed';
    const transport = this.transport;
    if (!transport) {
      this.queue?.dispose();
      return Promise.resolve();
    }
    if (this.heldClose) return this.heldClose;
    if (!this.holdCloseUntilServerSpeaks || !this.ticketSent || this.messageSeen) {
      transport.close();
      this.queue?.dispose();
      return Promise.resolve();
    }
    this.heldClose = this.closeOnceServerSpoke(transport);
    return this.heldClose;
  }

  /**
   * Resolves once the server has sent something on this connection after the link result (a
   * message, or the first bytes of one), whether or not run() has read it yet. A channel the server
   * accepted but never serves stays silent: spice-server can answer a link of a channel it still
   * holds for this client with success and then never start it (docs/protocol.md, "Linking a
   * channel again"). True when it spoke; false when the connection ended without a byte (a server
   * that refuses a second client of a channel answers the link and then closes it).
   */
  async whenServerSpeaks(): Promise<boolean> {
    await this.linkSettled;
    const queue = this.queue;
    if (!queue) return false;
    if (this.messageSeen || queue.available > 0) return true;
    await queue.whenMoreArrives();
    return this.messageSeen || queue.available > 0;
  }

  /**
   * Ends this channel from the server's side: from now on it reads and drops what still comes and
   * sends nothing; its connection is closed once the server has ended it, or `maxMs` after
   * `mainClosed` resolves. The session does this with the channels spice-server tears down itself
   * once the main channel has gone (inputs, playback, record). A connection that ends at the
   * client's side is torn down in the server's read callback instead, and Xspice's event loop
   * still runs the same socket's write callback after that when the server had output queued
   * there, on the channel client just freed: Xspice crashes (docs/protocol.md, "Ending a session").
   */
  leaveToServer(mainClosed: Promise<void>, maxMs: number): Promise<void> {
    this.holdReads(false);
    this.leftToServer = true;
    this.closing = true;
    this.state = 'closed';
    const transport = this.transport;
    const queue = this.queue;
    if (!transport || !queue) {
      queue?.dispose();
      return Promise.resolve();
    }
    this.heldClose ??= (async () => {
      const serverEnded = endOf(queue);
      await Promise.race([serverEnded, mainClosed]);
      await withinMs(serverEnded, maxMs);
      transport.close();
      queue.dispose();
    })();
    return this.heldClose;
  }

  private async closeOnceServerSpoke(transport: Transport): Promise<void> {
    await withinMs(this.whenServerSpeaks(), CLOSE_HOLD_MS);
    transport.close();
    this.queue?.dispose();
  }
}

/**
 * A linked channel's connection that ended without DISCONNECTING: kind 'unreachable' (exit 3, like
 * a server that cannot be reached: a retry may help), with what the transport said, if anything.
 */
export function connectionLost(channelName: string, ended: Error): SpiceError {
  const cause = isTransportFailure(ended) ? (ended.cause instanceof Error ? ended.cause : ended) : undefined;
  const detail = cause ? ` (${cause.message})` : '';
  return new SpiceError('unreachable', `the server closed the ${channelName} channel connection${detail}`, { cause: ended });
}

/** A socket error under the stream (reset, EPIPE, keepalive timeout), as the transports report it. */
function isTransportFailure(e: unknown): e is SpiceError {
  return isSpiceError(e) && e.kind === 'unreachable';
}

/** Resolves once `queue`'s connection has ended (the peer closed it, or it failed). */
async function endOf(queue: ByteQueue): Promise<void> {
  while (!queue.endedWith) await queue.whenMoreArrives();
}

/** Resolves when `p` does, or after `ms`, whichever comes first. */
async function withinMs(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/**
 * The longest a held close waits for the server's first message. spice-server waits 30 s for
 * DISPLAY_INIT, which went out right behind the ticket; a server that has not answered within
 * this is stuck, and the user wanted to leave.
 */
const CLOSE_HOLD_MS = 5000;

/** The port to retry on after a link refusal, or undefined when the refusal is not about the port. */
function otherPortFor(e: unknown): { tls: boolean; unsecured?: boolean } | undefined {
  if (!(e instanceof LinkRefusedError)) return undefined;
  if (e.linkErrorCode === LinkErr.NEED_SECURED) return { tls: true };
  if (e.linkErrorCode === LinkErr.NEED_UNSECURED) return { tls: false, unsecured: true };
  return undefined;
}
