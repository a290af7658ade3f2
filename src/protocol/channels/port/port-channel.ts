// A port channel (type 10) or the webdav channel (11, a port channel by another type number): the
// server names the port in PORT_INIT, says when the guest side opens and closes it (PORT_EVENT),
// and carries a byte stream both ways (SPICEVMC_DATA, or COMPRESSED_DATA with LZ4). What the bytes
// mean depends on the name: port-handler-table.ts gives the handler; a port none knows is linked
// and left alone (its bytes are counted and dropped).
//
// A malformed message ends this channel with a ProtocolError (the stream cannot be resynchronised);
// the session goes on without it.
import { SpiceChannel, type ChannelHost, type HandlerTable, type MessageHandler } from '../../channel/channel.ts';
import { Emitter } from '../../emitter.ts';
import { CapSet } from '../../link/caps.ts';
import type { ChannelType } from '../../link/constants.ts';
import { ProtocolError } from '../../wire/errors.ts';
import type { PortContext, PortHandler, PortIo } from './port-handler.ts';
import { portHandlerFor } from './port-handler-table.ts';
import { buildPortEvent, dataMessages, MAX_CLIENT_DATA, parsePortMessage, portEventNames, PortEvent, PortMsg, PortMsgc } from './port-messages.ts';
import { SpicevmcCap } from '../spicevmc/spicevmc-messages.ts';

/**
 * Unsent bytes on a port channel's connection above which a writer that can wait (PortIo.mustWait)
 * waits: enough to keep the socket busy between drains (the OS buffer holds more), little enough
 * that a 64 MiB file read by the guest is read as the channel drains rather than into memory.
 */
export const PORT_SEND_HIGH_WATER = 1024 * 1024;

export type PortEvents = {
  /** PORT_INIT: the port's name, whether the guest side has it open, and whether a handler took it. */
  init: { name: string; opened: boolean; handled: boolean };
  /** PORT_EVENT from the server. */
  event: { event: number };
  /** Bytes from the guest side (decompressed), before the handler sees them. */
  data: { payload: Uint8Array };
};

type H = MessageHandler<PortChannel>;

const receiveMessage = (name: string): H => ({ name, handle: (ch, body, _serial, type) => ch.receive(type, body) });

const portHandlers: HandlerTable<PortChannel, typeof PortMsg> = {
  // The bulk of a port's traffic (2000 messages per 64 MiB of a shared folder's copy): its body is
  // the payload as it is, so it skips the parse and the message object.
  [PortMsg.DATA]: { name: 'SPICEVMC_DATA', handle: (ch, body) => ch.receiveData(body) },
  [PortMsg.COMPRESSED_DATA]: receiveMessage('SPICEVMC_COMPRESSED_DATA'),
  [PortMsg.INIT]: receiveMessage('PORT_INIT'),
  [PortMsg.EVENT]: receiveMessage('PORT_EVENT'),
};

export class PortChannel extends SpiceChannel {
  readonly events = new Emitter<PortEvents>();
  /** The port's name from PORT_INIT (null before it). */
  portName: string | null = null;
  /** Whether the guest side has the port open, as the server last said. */
  opened = false;
  /** What acts on this port's bytes (null: a port no handler knows, or before PORT_INIT). */
  handler: PortHandler | null = null;
  readonly counts = { bytesIn: 0, bytesOut: 0, events: 0 };
  private readonly ports: PortContext;
  /** Writers waiting for the connection's backlog to drain (PortIo.mustWait, and afterSent's hooks). */
  private drainWaiters: (() => void)[] = [];

  constructor(host: ChannelHost, type: typeof ChannelType.PORT | typeof ChannelType.WEBDAV, id: number, ports: PortContext) {
    super(host, type, id);
    this.ports = ports;
  }

  protected override channelCaps(): CapSet {
    return new CapSet().add(SpicevmcCap.DATA_COMPRESS_LZ4);
  }

  protected override handlerFor(type: number): MessageHandler<this> | undefined {
    return (portHandlers as Record<number, H>)[type] as MessageHandler<this> | undefined;
  }

  /** Parses and applies one message; a malformed one throws (and so ends the channel). */
  receive(type: number, body: Uint8Array): void {
    const m = parsePortMessage(type, body, { channel: this.name });
    switch (m.kind) {
      case 'init': {
        if (this.portName !== null) throw new ProtocolError(`a second PORT_INIT (this port is already "${this.portName}")`, 0, { channel: this.name, messageType: type, messageName: 'PORT_INIT' });
        this.portName = m.name;
        this.handler = portHandlerFor(m.name, this.io(), this.ports);
        this.log.info({ port: m.name, opened: m.opened, handled: this.handler !== null }, this.handler ? `port ${m.name}: ${this.handler.describe()}` : `port ${m.name}: not used by spicedesk; left alone`);
        this.events.emit('init', { name: m.name, opened: m.opened, handled: this.handler !== null });
        if (m.opened) this.setOpened(true);
        return;
      }
      case 'event':
        this.counts.events++;
        this.log.debug({ event: portEventNames[m.event] ?? m.event }, 'port event');
        this.events.emit('event', { event: m.event });
        if (m.event === PortEvent.OPENED) this.setOpened(true);
        else if (m.event === PortEvent.CLOSED) this.setOpened(false);
        else if (m.event !== PortEvent.BREAK) this.log.warn({ event: m.event }, `ignoring unknown port event ${m.event}`);
        return;
      case 'data':
        return this.receiveData(m.payload, type);
    }
  }

  /** The guest side's bytes (a DATA body, or a COMPRESSED_DATA body decompressed). */
  receiveData(payload: Uint8Array, type: number = PortMsg.DATA): void {
    if (this.portName === null) throw new ProtocolError('port data before PORT_INIT named the port', 0, { channel: this.name, messageType: type });
    this.counts.bytesIn += payload.byteLength;
    // Data means the guest side has the port open, whether or not OPENED was said (spice-gtk does the same).
    if (!this.opened) this.setOpened(true);
    if (this.events.has('data')) this.events.emit('data', { payload });
    this.handler?.data(payload);
  }

  private setOpened(opened: boolean): void {
    if (this.opened === opened) return;
    this.opened = opened;
    if (opened) this.handler?.opened();
    else this.handler?.closed();
  }

  /** Sends bytes on the port, cut into DATA messages. */
  write(bytes: Uint8Array): void {
    for (const body of dataMessages(bytes)) {
      this.counts.bytesOut += body.byteLength;
      this.send(PortMsgc.DATA, body);
    }
  }

  /**
   * Sends the pieces' bytes in order, cut into DATA messages of at most MAX_CLIENT_DATA bytes
   * whatever the pieces' boundaries; nothing is joined (SpiceChannel.sendPieces).
   */
  writePieces(pieces: readonly Uint8Array[], sent?: () => void): void {
    const messages: { type: number; pieces: Uint8Array[] }[] = [];
    let current: Uint8Array[] = [];
    let room = MAX_CLIENT_DATA;
    for (const piece of pieces) {
      let o = 0;
      while (o < piece.byteLength) {
        const n = Math.min(room, piece.byteLength - o);
        current.push(o === 0 && n === piece.byteLength ? piece : piece.subarray(o, o + n));
        o += n;
        room -= n;
        if (room === 0) {
          messages.push({ type: PortMsgc.DATA, pieces: current });
          current = [];
          room = MAX_CLIENT_DATA;
        }
      }
    }
    if (current.length) messages.push({ type: PortMsgc.DATA, pieces: current });
    this.counts.bytesOut += messages.reduce((n, m) => n + m.pieces.reduce((k, p) => k + p.byteLength, 0), 0);
    this.sendPieces(messages);
    if (sent) this.afterSent(sent);
  }

  /**
   * `sent` once everything written so far has been handed to the OS: at once when nothing waits in
   * the connection, else at its drain (the waiting writers together, one drain listener); never
   * when the connection cannot tell (its pieces are then never used again) or closes first.
   */
  private afterSent(sent: () => void): void {
    if (this.sendBacklogKnown() && !this.whenDrained(sent)) sent();
  }

  /**
   * `fn` at the connection's next drain, with every other writer waiting for it (one drain
   * listener for all); false (and no call) when there is nothing to drain or the connection
   * cannot tell.
   */
  private whenDrained(fn: () => void): boolean {
    if (this.drainWaiters.length > 0) {
      this.drainWaiters.push(fn);
      return true;
    }
    const armed = this.onSendDrained(() => {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of waiters) w();
    });
    if (armed) this.drainWaiters.push(fn);
    return armed;
  }

  sendEvent(event: number): void {
    this.send(PortMsgc.EVENT, buildPortEvent(event));
  }

  /**
   * PortIo.mustWait: over PORT_SEND_HIGH_WATER unsent bytes, `resume` waits for the connection to
   * drain. Everyone waiting is resumed together when it does; a channel that closes drops them
   * (its handler's connections are ended with it).
   */
  private mustWait(resume: () => void): boolean {
    return this.sendBacklog() >= PORT_SEND_HIGH_WATER && this.whenDrained(resume);
  }

  private io(): PortIo {
    return {
      write: (bytes) => this.write(bytes),
      writePieces: (pieces, sent) => this.writePieces(pieces, sent),
      mustWait: (resume) => this.mustWait(resume),
      sendEvent: (event) => this.sendEvent(event),
      log: this.log,
      channelName: this.name,
    };
  }

  /**
   * The message loop; the handler is dropped when it ends, however it ends. A port whose bytes
   * could not be taken also closes its connection, so the server sees the channel go (and the
   * guest's side of the port closes) while the rest of the session goes on.
   */
  override async run(): Promise<void> {
    try {
      await super.run();
    } catch (e) {
      await this.close();
      throw e;
    } finally {
      this.disposeHandler();
    }
  }

  override close(): Promise<void> {
    this.disposeHandler();
    return super.close();
  }

  private disposeHandler(): void {
    this.drainWaiters = [];
    const handler = this.handler;
    this.handler = null;
    handler?.dispose();
  }
}
