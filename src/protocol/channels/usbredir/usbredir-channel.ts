// The SPICE usbredir channel (type 9): one per guest redirection slot (a QEMU usb-redir device on
// a spicevmc chardev). It carries one usbredir stream in which spicedesk is the usb-host. As
// spice-gtk does, the channel says hello as soon as it is linked, with no device attached, so the
// guest's hello and its filter (filter_filter, sent right after the hello) are known before a
// device is offered. A device is attached by a UsbredirDeviceHandler (src/main/usb), which gets
// every other packet of the guest and sends its own through `sendPacket`.
// Bad bytes from the guest end this channel only: run() rejects with the ProtocolError, the
// session marks the slot failed and goes on (session.ts 'channel-error').
import { SpiceChannel, type ChannelHost, type HandlerTable, type MessageHandler } from '../../channel/channel.ts';
import { Emitter } from '../../emitter.ts';
import { CapSet } from '../../link/caps.ts';
import { ChannelType } from '../../link/constants.ts';
import { UsbredirCap } from '../../usbredir/usbredir-constants.ts';
import { parseUsbredirFilter, UsbredirFilterError, type UsbredirFilterRule } from '../../usbredir/usbredir-filter.ts';
import type { UsbredirPacket } from '../../usbredir/usbredir-packets.ts';
import { UsbredirStream } from '../../usbredir/usbredir-stream.ts';
import { compressSpicevmcWrite, decodeCompressedData, SpicevmcCap, SpicevmcMsg, SpicevmcMsgc } from '../spicevmc/spicevmc-messages.ts';

/** The usb-host's hello: what spicedesk supports (no bulk streams, no buffered bulk receiving). */
export const USBREDIR_HOST_CAPS =
  (1 << UsbredirCap.connect_device_version) | (1 << UsbredirCap.filter) | (1 << UsbredirCap.device_disconnect_ack)
  | (1 << UsbredirCap.ep_info_max_packet_size) | (1 << UsbredirCap['64bits_ids']) | (1 << UsbredirCap['32bits_bulk_length']);
export const USBREDIR_HOST_VERSION = 'spicedesk usb-host';

/** The guest's filter as it sent it: the text, and its rules unless they do not parse. */
export interface GuestUsbFilter {
  text: string;
  rules: UsbredirFilterRule[] | null;
  /** Why the rules did not parse (QEMU checks its filter property, so this means a broken guest). */
  error?: string;
}

/** The side that owns the device redirected on this slot. */
export interface UsbredirDeviceHandler {
  /** A packet from the guest (not hello or filter_filter, which the channel keeps). */
  packet(packet: UsbredirPacket): void;
  /** The channel ended (error: why, if it failed); the handler releases its device. */
  channelClosed(error: Error | null): void;
}

export type UsbredirChannelEvents = {
  /** The guest's hello: its version text and capability word. */
  hello: { version: string; caps: number };
  filter: GuestUsbFilter;
  /** The channel ended; no more packets. */
  closed: { error: Error | null };
};

/** Counts of the spicevmc messages each way (DATA and LZ4 COMPRESSED_DATA). */
export interface SpicevmcCounts {
  dataIn: number;
  compressedIn: number;
  dataOut: number;
  compressedOut: number;
  bytesIn: number;
  bytesOut: number;
}

type H = MessageHandler<UsbredirChannel>;

const usbredirHandlers: HandlerTable<UsbredirChannel, typeof SpicevmcMsg> = {
  [SpicevmcMsg.DATA]: { name: 'SPICEVMC_DATA', handle: (ch, body) => ch.streamBytes(body, false) } satisfies H,
  [SpicevmcMsg.COMPRESSED_DATA]: {
    name: 'SPICEVMC_COMPRESSED_DATA',
    handle: (ch, body) => ch.streamBytes(decodeCompressedData(body, { channel: ch.name, messageType: SpicevmcMsg.COMPRESSED_DATA, messageName: 'SPICEVMC_COMPRESSED_DATA' }), true),
  } satisfies H,
};

export class UsbredirChannel extends SpiceChannel {
  readonly events = new Emitter<UsbredirChannelEvents>();
  readonly stream: UsbredirStream;
  readonly counts: SpicevmcCounts = { dataIn: 0, compressedIn: 0, dataOut: 0, compressedOut: 0, bytesIn: 0, bytesOut: 0 };
  guestFilter: GuestUsbFilter | null = null;
  private handler: UsbredirDeviceHandler | null = null;
  private helloWaiters: (() => void)[] = [];

  constructor(host: ChannelHost, id: number) {
    super(host, ChannelType.USBREDIR, id);
    this.stream = new UsbredirStream({
      role: 'host', version: USBREDIR_HOST_VERSION, caps: USBREDIR_HOST_CAPS, channel: this.name,
      warn: (text) => this.log.warn(text),
    });
  }

  protected override channelCaps(): CapSet {
    return CapSet.of(SpicevmcCap.DATA_COMPRESS_LZ4);
  }

  protected override handlerFor(type: number): MessageHandler<this> | undefined {
    return (usbredirHandlers as Record<number, MessageHandler<UsbredirChannel>>)[type] as MessageHandler<this> | undefined;
  }

  protected override onReady(): void {
    this.writeStream(this.stream.hello());
  }

  override async run(): Promise<void> {
    let error: Error | null = null;
    try {
      await super.run();
    } catch (e) {
      error = e instanceof Error ? e : new Error(String(e));
      throw e;
    } finally {
      const handler = this.handler;
      this.handler = null;
      handler?.channelClosed(error);
      this.events.emit('closed', { error });
      for (const w of this.helloWaiters.splice(0)) w();
    }
  }

  /** True once the guest's hello came (the layouts of everything else depend on it). */
  get helloDone(): boolean {
    return this.stream.peerCaps !== null;
  }

  /** Resolves once the guest said hello, or the channel ended (check helloDone). */
  whenHello(): Promise<void> {
    if (this.helloDone || this.state === 'closed') return Promise.resolve();
    return new Promise((resolve) => this.helloWaiters.push(resolve));
  }

  /** The device side of this slot, or null when the slot is free. */
  get device(): UsbredirDeviceHandler | null {
    return this.handler;
  }

  /** Gives this slot to a device; throws when it already has one. */
  attach(handler: UsbredirDeviceHandler): void {
    if (this.handler && this.handler !== handler) throw new Error(`the ${this.name} channel already has a device`);
    this.handler = handler;
  }

  /** Frees the slot (the handler has sent device_disconnect and had its ack, or gave up). */
  detach(handler: UsbredirDeviceHandler): void {
    if (this.handler === handler) this.handler = null;
  }

  /**
   * Resolves once what was sent so far has left this machine's send queue (the connection handed
   * it to the OS), or at once when the connection cannot tell or the channel is closed.
   */
  whenSent(): Promise<void> {
    return new Promise((resolve) => {
      let off: (() => void) | null = null;
      const done = (): void => {
        off?.();
        resolve();
      };
      if (!this.onSendDrained(done)) return resolve();
      // A connection that ends with bytes still queued never drains.
      off = this.events.on('closed', done);
    });
  }

  /** Sends one usbredir packet to the guest. */
  sendPacket(packet: UsbredirPacket): void {
    // The packet is built behind room for the message header: bulk data is copied once, here.
    const headroom = this.messageHeaderSize;
    this.writeStream(this.stream.encode(packet, headroom), headroom);
  }

  /**
   * LZ4 COMPRESSED_DATA when the server has the cap and it helps, else DATA. `framed` holds the
   * stream bytes after `headroom` free bytes (0: none, the bytes are copied behind a header).
   */
  private writeStream(framed: Uint8Array, headroom = 0): void {
    const bytes = framed.subarray(headroom);
    this.counts.bytesOut += bytes.byteLength;
    const lz4 = this.link?.serverChannelCaps.has(SpicevmcCap.DATA_COMPRESS_LZ4) ?? false;
    const compressed = lz4 ? compressSpicevmcWrite(bytes) : null;
    if (compressed) {
      this.counts.compressedOut++;
      this.send(SpicevmcMsgc.COMPRESSED_DATA, compressed);
      return;
    }
    this.counts.dataOut++;
    if (headroom > 0 && headroom === this.messageHeaderSize) this.sendFramed(SpicevmcMsgc.DATA, framed);
    else this.send(SpicevmcMsgc.DATA, bytes);
  }

  /** Stream bytes from a DATA or COMPRESSED_DATA message. */
  streamBytes(bytes: Uint8Array, compressed: boolean): void {
    if (compressed) this.counts.compressedIn++;
    else this.counts.dataIn++;
    this.counts.bytesIn += bytes.byteLength;
    for (const packet of this.stream.feed(bytes)) this.packet(packet);
  }

  private packet(packet: UsbredirPacket): void {
    if (packet.type === 'hello') {
      this.log.debug({ version: packet.version, caps: this.stream.peerCaps }, 'usbredir hello from the guest');
      this.events.emit('hello', { version: packet.version, caps: this.stream.peerCaps ?? 0 });
      for (const w of this.helloWaiters.splice(0)) w();
      return;
    }
    if (packet.type === 'filter_filter') {
      this.guestFilter = readGuestFilter(packet.filter);
      if (this.guestFilter.error) this.log.warn({ filter: this.guestFilter.text }, `the guest's USB filter does not parse: ${this.guestFilter.error}`);
      this.events.emit('filter', this.guestFilter);
      return;
    }
    if (this.handler) this.handler.packet(packet);
    else this.log.debug({ type: packet.type }, 'usbredir packet for a slot without a device; ignored');
  }
}

function readGuestFilter(text: string): GuestUsbFilter {
  try {
    return { text, rules: parseUsbredirFilter(text) };
  } catch (e) {
    if (e instanceof UsbredirFilterError) return { text, rules: null, error: e.message };
    throw e;
  }
}
