// The usbredir usb-host for one device on one slot: what usbredirhost does for spice-gtk
// (usbredir usbredirhost/usbredirhost.c; protocol in docs/usb-redirection-protocol.md), over the
// device-source interface.
// - Attach: wait for the guest's hello, check the guest's filter (flags 0, as QEMU checks it),
//   reset the device once, then ep_info, interface_info, device_connect (that order is the
//   protocol's). Further guest resets are ignored until a transfer has happened since the last one
//   (usbredirhost's rule: every guest starts with a slow reset).
// - Control packets and the configuration commands are handled one at a time, in order; bulk and
//   interrupt transfers run alongside. After set_configuration / set_alt_setting, ep_info and
//   interface_info go out before the status reply.
// - Interrupt IN: after start_interrupt_receiving the host polls the endpoint and sends
//   interrupt_packets unasked, ids counting from 0; a poll that fails ends the stream with an
//   unasked interrupt_receiving_status stall.
// - Not supported (the `usb` package has none either): isochronous streams (refused with inval),
//   bulk streams (inval), buffered bulk receiving (the cap is not offered).
// - Detach, in three steps:
//   1. Settle: the device is no longer used. Transfers in flight are answered cancelled at once,
//      and every request the guest still sends is answered with an I/O error (a device being
//      pulled out), until the guest has sent nothing for a moment (SETTLE_QUIET_MS, at most
//      SETTLE_MAX_MS). Why: QEMU's xHCI drops the guest's requests still open when usb-redir
//      detaches the device, without completing them, and Linux handles the disconnect in the
//      hub thread that also runs the driver's probe: a probe whose requests were dropped waits
//      each out (5 s, retried), and the guest kept the device 20-36 s (docs/protocol.md).
//   2. device_disconnect. QEMU detaches the device from the guest's port and acks at once.
//   3. The outcome, said as it is: 'acknowledged' (device_disconnect_ack), 'sent' (a server without
//      the ack cap: the packet was written and the connection's send queue drained), or
//      'slot-reset' (no ack within DISCONNECT_ACK_TIMEOUT_MS: the slot's channel is closed, which
//      makes QEMU detach the device as its chardev closes, and `resetSlot` links it again).
//   The guest's filter_reject detaches the same way.
import { Emitter } from '../../protocol/emitter.ts';
import type { Logger } from '../../protocol/logger.ts';
import type { UsbredirChannel, UsbredirDeviceHandler } from '../../protocol/channels/usbredir/usbredir-channel.ts';
import {
  endpointIndex, UsbredirCap, UsbredirEndpointType, UsbredirSpeed, UsbredirStatus,
} from '../../protocol/usbredir/usbredir-constants.ts';
import { checkUsbredirFilter, describeFilterVerdict } from '../../protocol/usbredir/usbredir-filter.ts';
import type { UsbredirEndpointInfo, UsbredirPacket, UsbredirPacketOf } from '../../protocol/usbredir/usbredir-packets.ts';
import type { UsbActiveConfiguration, UsbDeviceHandle, UsbTransferResult, UsbTransferStatus } from './device-source.ts';

/** Why a device cannot be attached to a slot, in a sentence for the user. */
export class UsbAttachError extends Error {
  readonly reason: 'slot-closed' | 'slot-busy' | 'filter' | 'device';
  constructor(reason: UsbAttachError['reason'], message: string) {
    super(message);
    this.name = 'UsbAttachError';
    this.reason = reason;
  }
}

export type UsbredirHostEvents = {
  /** device_connect went out. */
  connected: undefined;
  /** The guest's driver configured the device (a set_configuration to a configuration other than 0 went through). */
  configured: undefined;
  /** The guest refused the device (filter_reject). */
  rejected: undefined;
  /** The device left the slot (detach, guest rejection, channel end); error when it was not asked for. */
  disconnected: { error: Error | null };
};

const statusCode: Record<UsbTransferStatus, number> = {
  ok: UsbredirStatus.success,
  stall: UsbredirStatus.stall,
  babble: UsbredirStatus.babble,
  timeout: UsbredirStatus.timeout,
  cancelled: UsbredirStatus.cancelled,
  error: UsbredirStatus.ioerror,
};

type DataPacket = UsbredirPacketOf<'bulk_packet'> | UsbredirPacketOf<'interrupt_packet'>;

const speedCode = { low: UsbredirSpeed.low, full: UsbredirSpeed.full, high: UsbredirSpeed.high, super: UsbredirSpeed.super } as const;
const endpointTypeCode = { iso: UsbredirEndpointType.iso, bulk: UsbredirEndpointType.bulk, interrupt: UsbredirEndpointType.interrupt } as const;

/** How long a detach waits for the guest's device_disconnect_ack before it resets the slot. */
export const DISCONNECT_ACK_TIMEOUT_MS = 5000;
/** Settling before device_disconnect: the guest quiet this long (ms), at most SETTLE_MAX_MS in all. */
export const SETTLE_QUIET_MS = 400;
export const SETTLE_MAX_MS = 3000;
const SETTLE_LOOK_MS = 50;

/**
 * How a detach ended: the server confirmed it (device_disconnect_ack), or has no ack and the
 * disconnect was written and flushed ('sent'), or did not confirm in time and the slot's channel
 * was closed and linked again ('slot-reset'; closing it takes the device out of the VM), or the
 * slot had already ended ('slot-closed'; the device went with it).
 */
export type UsbDetachOutcome = 'acknowledged' | 'sent' | 'slot-reset' | 'slot-closed';

export interface UsbredirHostOptions {
  logger: Logger;
  /**
   * Resets a slot whose server did not confirm a detach: closes its channel (QEMU detaches the
   * device when the chardev closes) and links it again. Default: the channel is only closed.
   * Resolves once that is done; true when the slot is back.
   */
  resetSlot?: (channel: UsbredirChannel) => Promise<boolean>;
  /** Test hooks: the ack's wait and the settling (defaults above). */
  disconnectAckTimeoutMs?: number;
  settleQuietMs?: number;
  settleMaxMs?: number;
}

export class UsbredirHost implements UsbredirDeviceHandler {
  readonly events = new Emitter<UsbredirHostEvents>();
  readonly channel: UsbredirChannel;
  readonly device: UsbDeviceHandle;
  /** Packets handled, by type (for tests and `info`). */
  readonly handled = new Map<string, number>();
  /** 'settling': a detach began, the guest's requests get errors; 'disconnecting': device_disconnect sent. */
  state: 'attaching' | 'connected' | 'settling' | 'disconnecting' | 'gone' = 'attaching';
  /** How the detach ended (set once the host is gone after a detach). */
  outcome: UsbDetachOutcome | null = null;
  private readonly log: Logger;
  private readonly options: UsbredirHostOptions;
  private commands: Promise<void> = Promise.resolve();
  private commandsRunning = 0;
  private transferSinceReset = false;
  private readonly interruptPolls = new Map<number, AbortController>();
  /** Data packets of the guest being transferred; `replied` once answered (cancelled) before the transfer ended. */
  private readonly pendingData = new Map<bigint, { packet: DataPacket; cancelled: boolean; replied: boolean }>();
  private lastGuestRequestAt = 0;
  private ackWaiter: (() => void) | null = null;
  private detaching: Promise<UsbDetachOutcome> | null = null;

  private constructor(channel: UsbredirChannel, device: UsbDeviceHandle, options: UsbredirHostOptions) {
    this.channel = channel;
    this.device = device;
    this.options = options;
    this.log = options.logger.child({ usb: `${hex4(device.description.vendorId)}:${hex4(device.description.productId)}`, slot: channel.name });
  }

  /**
   * Offers `device` to the guest on `channel`. Resolves once device_connect is sent; throws a
   * UsbAttachError (the device is then closed) when the slot cannot take it.
   */
  static async attach(channel: UsbredirChannel, device: UsbDeviceHandle, options: UsbredirHostOptions): Promise<UsbredirHost> {
    const host = new UsbredirHost(channel, device, options);
    try {
      await host.connect();
    } catch (e) {
      channel.detach(host);
      host.state = 'gone';
      await device.close().catch(() => {});
      throw e;
    }
    return host;
  }

  private async connect(): Promise<void> {
    const ch = this.channel;
    await ch.whenHello();
    if (!ch.helloDone || ch.state === 'closed') throw new UsbAttachError('slot-closed', `the USB slot ${ch.name} closed before the guest said hello`);
    if (ch.device) throw new UsbAttachError('slot-busy', `the USB slot ${ch.name} already has a device`);
    const d = this.device.description;
    const filter = ch.guestFilter;
    if (filter?.rules) {
      const verdict = checkUsbredirFilter(filter.rules, {
        ...d, interfaces: this.device.configuration().interfaces,
      });
      if (verdict !== 'allowed') {
        throw new UsbAttachError('filter', `the guest's USB filter (${filter.text}) does not let ${describeDevice(this.device)} in: ${describeFilterVerdict(verdict)}`);
      }
    }
    ch.attach(this);
    // usbredirhost resets once before connecting: the guest's first resets are then cheap.
    await this.device.reset();
    this.transferSinceReset = false;
    this.sendDescriptors();
    ch.sendPacket({
      type: 'device_connect', id: 0n, speed: speedCode[d.speed], deviceClass: d.deviceClass, deviceSubclass: d.deviceSubclass,
      deviceProtocol: d.deviceProtocol, vendorId: d.vendorId, productId: d.productId, deviceVersionBcd: d.deviceVersionBcd,
    });
    this.state = 'connected';
    this.log.info(`offered ${describeDevice(this.device)} to the guest`);
    this.events.emit('connected', undefined);
  }

  /** ep_info then interface_info for the active configuration. */
  private sendDescriptors(): void {
    const config = this.device.configuration();
    this.channel.sendPacket({ type: 'ep_info', id: 0n, endpoints: endpointInfo(config, this.device.description.maxPacketSize0) });
    this.channel.sendPacket({
      type: 'interface_info', id: 0n,
      interfaces: config.interfaces.map((f) => ({ interface: f.number, class: f.class, subclass: f.subclass, protocol: f.protocol })),
    });
  }

  /**
   * Takes the device off the slot (settle, device_disconnect, the server's ack) and closes it.
   * Resolves with how that ended; a second call gets the same answer.
   */
  detach(): Promise<UsbDetachOutcome> {
    if (this.detaching) return this.detaching;
    if (this.state === 'gone') return Promise.resolve(this.outcome ?? 'slot-closed');
    return this.disconnect(null);
  }

  private disconnect(error: Error | null): Promise<UsbDetachOutcome> {
    this.detaching ??= this.runDisconnect(error);
    return this.detaching;
  }

  private async runDisconnect(error: Error | null): Promise<UsbDetachOutcome> {
    let outcome: UsbDetachOutcome = 'slot-closed';
    if (this.onSlot()) {
      await this.settle();
      if (this.onSlot()) outcome = await this.sendDisconnect(error);
    }
    this.outcome = outcome;
    this.finish(error);
    await this.commands.catch(() => {});
    await this.device.close().catch((e: unknown) => this.log.warn({ err: String(e) }, 'closing the device failed'));
    return outcome;
  }

  /** Still the device of a live slot (a detach may find the channel gone at any await). */
  private onSlot(): boolean {
    return this.state !== 'gone' && this.channel.state !== 'closed' && this.channel.device === this;
  }

  /**
   * Stops using the device before it is pulled: polls stopped, transfers in flight answered
   * cancelled, and every request from now on answered with an error (packet()), until the guest
   * has been quiet for a moment or the time is up.
   */
  private async settle(): Promise<void> {
    this.state = 'settling';
    this.stopPolls();
    for (const pending of this.pendingData.values()) {
      if (pending.replied) continue;
      pending.replied = true;
      this.send({ ...pending.packet, status: UsbredirStatus.cancelled, length: 0, data: new Uint8Array(0) });
    }
    const quietMs = this.options.settleQuietMs ?? SETTLE_QUIET_MS;
    const started = Date.now();
    // Quiet counts from the detach on too: a guest between two requests of its driver's probe
    // (a loaded guest takes a while) has not said anything for a moment, and is not done.
    this.lastGuestRequestAt = Math.max(this.lastGuestRequestAt, started);
    const deadline = started + (this.options.settleMaxMs ?? SETTLE_MAX_MS);
    while (this.channel.state !== 'closed' && this.channel.device === this && Date.now() < deadline) {
      const quietFor = Date.now() - this.lastGuestRequestAt;
      if (quietFor >= quietMs && this.commandsRunning === 0) return;
      await new Promise((resolve) => setTimeout(resolve, Math.min(SETTLE_LOOK_MS, Math.max(1, quietMs - quietFor))));
    }
    if (Date.now() >= deadline) this.log.info('the guest was still sending requests when the settling time ran out; disconnecting');
  }

  /** device_disconnect, then what the server says (or does not say) to it. */
  private async sendDisconnect(error: Error | null): Promise<UsbDetachOutcome> {
    const ch = this.channel;
    this.state = 'disconnecting';
    ch.sendPacket({ type: 'device_disconnect', id: 0n });
    if (!ch.stream.both(UsbredirCap.device_disconnect_ack)) {
      // No ack to wait for: the disconnect is out once the connection has sent it.
      await ch.whenSent();
      return ch.state === 'closed' ? 'slot-closed' : 'sent';
    }
    const timeoutMs = this.options.disconnectAckTimeoutMs ?? DISCONNECT_ACK_TIMEOUT_MS;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const answer = await Promise.race([
      new Promise<'ack'>((resolve) => (this.ackWaiter = () => resolve('ack'))),
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs))),
    ]);
    clearTimeout(timer);
    this.ackWaiter = null;
    if (answer === 'ack') return ch.state === 'closed' && ch.device !== this ? 'slot-closed' : 'acknowledged';
    this.log.warn(`the server did not acknowledge device_disconnect within ${timeoutMs} ms; resetting the slot (closing its channel detaches the device)`);
    // The slot is given up by this host first: the channel's end must not count as the device's failure.
    this.outcome = 'slot-reset';
    this.finish(error);
    const reset = this.options.resetSlot ?? (async (c: UsbredirChannel) => {
      await c.close();
      return false;
    });
    const back = await reset(ch).catch((e: unknown) => {
      this.log.warn({ err: String(e) }, 'resetting the USB slot failed');
      return false;
    });
    this.slotBack = back;
    return 'slot-reset';
  }

  /** After a 'slot-reset': whether the slot was linked again. */
  slotBack = false;

  private finish(error: Error | null): void {
    if (this.state === 'gone') return;
    this.state = 'gone';
    this.stopPolls();
    this.channel.detach(this);
    this.ackWaiter?.();
    this.events.emit('disconnected', { error });
  }

  private stopPolls(): void {
    for (const poll of this.interruptPolls.values()) poll.abort();
    this.interruptPolls.clear();
  }

  channelClosed(error: Error | null): void {
    if (this.state === 'gone') return;
    this.finish(error ?? new Error(`the USB slot ${this.channel.name} closed`));
    void this.device.close().catch(() => {});
  }

  packet(packet: UsbredirPacket): void {
    this.handled.set(packet.type, (this.handled.get(packet.type) ?? 0) + 1);
    if (packet.type !== 'device_disconnect_ack' && packet.type !== 'cancel_data_packet') this.lastGuestRequestAt = Date.now();
    if (this.state === 'settling' || this.state === 'disconnecting') {
      if (packet.type === 'device_disconnect_ack') {
        this.ackWaiter?.();
        this.ackWaiter = null;
      } else if (packet.type !== 'cancel_data_packet' && packet.type !== 'filter_reject') {
        this.refuse(packet);
      }
      return;
    }
    switch (packet.type) {
      case 'bulk_packet': case 'interrupt_packet':
        void this.dataTransfer(packet);
        return;
      case 'iso_packet':
        return; // no isochronous streams: nothing was started, so nothing to answer
      case 'cancel_data_packet': {
        const pending = this.pendingData.get(packet.id);
        if (pending) pending.cancelled = true;
        return;
      }
      case 'device_disconnect_ack':
        this.ackWaiter?.();
        this.ackWaiter = null;
        return;
      case 'filter_reject':
        this.log.warn(`the guest refused ${describeDevice(this.device)} (its USB filter)`);
        this.events.emit('rejected', undefined);
        void this.disconnect(new UsbAttachError('filter', `the guest refused ${describeDevice(this.device)}: its USB filter does not allow it`));
        return;
      default: {
        // Everything else in order, one at a time (usbredirhost handles control synchronously).
        const run = (): Promise<void> => this.command(packet)
          .catch((e: unknown) => this.log.warn({ err: String(e), packet: packet.type }, 'usb-host command failed'))
          .finally(() => this.commandsRunning--);
        this.commandsRunning++;
        this.commands = this.commands.then(run);
      }
    }
  }

  /**
   * Answers a request of the guest while the device is being taken out, without the device: an I/O
   * error, as from a device being pulled out (a reset has no answer). Without an answer QEMU would
   * keep the request open until it detaches the device, and the guest would wait it out.
   */
  private refuse(p: UsbredirPacket): void {
    const ioerror = UsbredirStatus.ioerror;
    switch (p.type) {
      case 'control_packet': case 'bulk_packet': case 'interrupt_packet':
        this.send({ ...p, status: ioerror, length: 0, data: new Uint8Array(0) });
        return;
      case 'set_configuration': case 'get_configuration':
        this.send({ type: 'configuration_status', id: p.id, status: ioerror, configuration: 0 });
        return;
      case 'set_alt_setting': case 'get_alt_setting':
        this.send({ type: 'alt_setting_status', id: p.id, status: ioerror, interface: p.interface, alt: 0 });
        return;
      case 'start_interrupt_receiving': case 'stop_interrupt_receiving':
        this.send({ type: 'interrupt_receiving_status', id: p.id, status: ioerror, endpoint: p.endpoint });
        return;
      case 'start_iso_stream': case 'stop_iso_stream':
        this.send({ type: 'iso_stream_status', id: p.id, status: ioerror, endpoint: p.endpoint });
        return;
      case 'alloc_bulk_streams': case 'free_bulk_streams':
        this.send({ type: 'bulk_streams_status', id: p.id, endpoints: p.endpoints, noStreams: 0, status: ioerror });
        return;
      default:
        return; // reset and the rest have no answer
    }
  }

  private send(packet: UsbredirPacket): void {
    if (this.state === 'gone' || this.channel.state === 'closed') return;
    this.channel.sendPacket(packet);
  }

  private async command(p: UsbredirPacket): Promise<void> {
    if (this.state === 'settling' || this.state === 'disconnecting') return this.refuse(p);
    if (this.state !== 'connected') return;
    const dev = this.device;
    switch (p.type) {
      case 'reset':
        if (!this.transferSinceReset) return; // the device is fresh from the last reset
        this.transferSinceReset = false;
        await dev.reset();
        return;
      case 'control_packet':
        return this.control(p);
      case 'set_configuration': {
        this.transferSinceReset = true;
        const status = await safely(() => dev.selectConfiguration(p.configuration));
        this.sendDescriptors();
        this.send({ type: 'configuration_status', id: p.id, status: statusCode[status], configuration: dev.configuration().value });
        if (status === 'ok' && p.configuration !== 0) this.events.emit('configured', undefined);
        return;
      }
      case 'get_configuration':
        this.send({ type: 'configuration_status', id: p.id, status: UsbredirStatus.success, configuration: dev.configuration().value });
        return;
      case 'set_alt_setting': {
        this.transferSinceReset = true;
        const status = await safely(() => dev.selectAlternate(p.interface, p.alt));
        this.sendDescriptors();
        const current = dev.configuration().interfaces.find((f) => f.number === p.interface);
        this.send({ type: 'alt_setting_status', id: p.id, status: statusCode[status], interface: p.interface, alt: current?.alternate ?? 0 });
        return;
      }
      case 'get_alt_setting': {
        const current = dev.configuration().interfaces.find((f) => f.number === p.interface);
        this.send({
          type: 'alt_setting_status', id: p.id, status: current ? UsbredirStatus.success : UsbredirStatus.inval,
          interface: p.interface, alt: current?.alternate ?? 0,
        });
        return;
      }
      case 'start_interrupt_receiving':
        this.send({ type: 'interrupt_receiving_status', id: p.id, status: this.startInterruptPoll(p.endpoint), endpoint: p.endpoint });
        return;
      case 'stop_interrupt_receiving':
        this.interruptPolls.get(p.endpoint)?.abort();
        this.interruptPolls.delete(p.endpoint);
        this.send({ type: 'interrupt_receiving_status', id: p.id, status: UsbredirStatus.success, endpoint: p.endpoint });
        return;
      case 'start_iso_stream':
        this.log.warn({ endpoint: p.endpoint }, 'the guest asked for an isochronous stream; spicedesk does not redirect isochronous transfers');
        this.send({ type: 'iso_stream_status', id: p.id, status: UsbredirStatus.inval, endpoint: p.endpoint });
        return;
      case 'stop_iso_stream':
        this.send({ type: 'iso_stream_status', id: p.id, status: UsbredirStatus.success, endpoint: p.endpoint });
        return;
      case 'alloc_bulk_streams':
        this.send({ type: 'bulk_streams_status', id: p.id, endpoints: p.endpoints, noStreams: 0, status: UsbredirStatus.inval });
        return;
      case 'free_bulk_streams':
        this.send({ type: 'bulk_streams_status', id: p.id, endpoints: p.endpoints, noStreams: 0, status: UsbredirStatus.success });
        return;
      default:
        this.log.debug({ type: p.type }, 'usbredir packet not handled by the usb-host');
    }
  }

  private async control(p: UsbredirPacketOf<'control_packet'>): Promise<void> {
    this.transferSinceReset = true;
    const setup = { requestType: p.requestType, request: p.request, value: p.value, index: p.index };
    const isIn = (p.requestType & 0x80) !== 0;
    const result = await safeTransfer(() => (isIn ? this.device.controlIn(setup, p.length) : this.device.controlOut(setup, p.data)));
    const data = isIn ? (result.data ?? new Uint8Array(0)).subarray(0, p.length) : new Uint8Array(0);
    this.send({ ...p, status: statusCode[result.status], length: isIn ? data.byteLength : (result.written ?? 0), data });
  }

  private async dataTransfer(p: DataPacket): Promise<void> {
    if (this.state !== 'connected') return;
    this.transferSinceReset = true;
    const pending = { packet: p, cancelled: false, replied: false };
    this.pendingData.set(p.id, pending);
    const isIn = (p.endpoint & 0x80) !== 0;
    let result: UsbTransferResult;
    try {
      result = await safeTransfer(() => (isIn ? this.device.transferIn(p.endpoint, p.length) : this.device.transferOut(p.endpoint, p.data)));
    } finally {
      this.pendingData.delete(p.id);
    }
    if (pending.replied) return;
    if (pending.cancelled) {
      this.send({ ...p, status: UsbredirStatus.cancelled, length: 0, data: new Uint8Array(0) });
      return;
    }
    const data = isIn ? (result.data ?? new Uint8Array(0)).subarray(0, p.length) : new Uint8Array(0);
    this.send({ ...p, status: statusCode[result.status], length: isIn ? data.byteLength : (result.written ?? 0), data });
  }

  private startInterruptPoll(endpoint: number): number {
    const ep = this.device.configuration().interfaces.flatMap((f) => f.endpoints).find((e) => e.address === endpoint);
    if (!ep || ep.type !== 'interrupt' || !(endpoint & 0x80)) return UsbredirStatus.inval;
    this.interruptPolls.get(endpoint)?.abort();
    const poll = new AbortController();
    this.interruptPolls.set(endpoint, poll);
    this.transferSinceReset = true;
    void (async () => {
      let id = 0n;
      while (!poll.signal.aborted && this.state === 'connected') {
        const result = await safeTransfer(() => this.device.transferIn(endpoint, ep.maxPacketSize, poll.signal));
        if (poll.signal.aborted) return;
        if (result.status !== 'ok') {
          this.interruptPolls.delete(endpoint);
          this.send({ type: 'interrupt_receiving_status', id: 0n, status: UsbredirStatus.stall, endpoint });
          return;
        }
        const data = result.data ?? new Uint8Array(0);
        this.send({ type: 'interrupt_packet', id: id++, endpoint, status: UsbredirStatus.success, length: data.byteLength, data });
      }
    })();
    return UsbredirStatus.success;
  }
}

/** ep_info for a configuration: endpoint 0 both ways is control; the others from the descriptors. */
function endpointInfo(config: UsbActiveConfiguration, maxPacketSize0: number): UsbredirEndpointInfo[] {
  const endpoints: UsbredirEndpointInfo[] = Array.from({ length: 32 }, () => ({
    type: UsbredirEndpointType.invalid, interval: 0, interface: 0, maxPacketSize: 0, maxStreams: 0,
  }));
  for (const index of [0, 16]) endpoints[index] = { type: UsbredirEndpointType.control, interval: 0, interface: 0, maxPacketSize: maxPacketSize0, maxStreams: 0 };
  for (const f of config.interfaces) {
    for (const e of f.endpoints) {
      // An address with bits 4-6 set is not a USB endpoint address: left out.
      if ((e.address & 0x70) !== 0) continue;
      const index = endpointIndex(e.address);
      endpoints[index] = { type: endpointTypeCode[e.type], interval: e.interval, interface: f.number, maxPacketSize: e.maxPacketSize, maxStreams: 0 };
    }
  }
  return endpoints;
}

async function safely(f: () => Promise<UsbTransferStatus>): Promise<UsbTransferStatus> {
  try {
    return await f();
  } catch {
    return 'error';
  }
}

async function safeTransfer(f: () => Promise<UsbTransferResult>): Promise<UsbTransferResult> {
  try {
    return await f();
  } catch {
    return { status: 'error' };
  }
}

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

/** "spicedesk simulated keyboard (1234:5678)". */
export function describeDevice(device: UsbDeviceHandle): string {
  const d = device.description;
  const name = [d.manufacturer, d.product].filter(Boolean).join(' ') || 'USB device';
  return `${name} (${hex4(d.vendorId)}:${hex4(d.productId)})`;
}
