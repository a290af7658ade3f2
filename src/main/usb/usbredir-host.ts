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
// - Detach: device_disconnect, then (when both sides have the cap) wait for device_disconnect_ack
//   before the slot is free again; the guest's filter_reject detaches the same way.
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

const speedCode = { low: UsbredirSpeed.low, full: UsbredirSpeed.full, high: UsbredirSpeed.high, super: UsbredirSpeed.super } as const;
const endpointTypeCode = { iso: UsbredirEndpointType.iso, bulk: UsbredirEndpointType.bulk, interrupt: UsbredirEndpointType.interrupt } as const;

/** How long a detach waits for the guest's device_disconnect_ack before freeing the slot anyway. */
const DISCONNECT_ACK_TIMEOUT_MS = 5000;

export interface UsbredirHostOptions {
  logger: Logger;
}

export class UsbredirHost implements UsbredirDeviceHandler {
  readonly events = new Emitter<UsbredirHostEvents>();
  readonly channel: UsbredirChannel;
  readonly device: UsbDeviceHandle;
  /** Packets handled, by type (for tests and `info`). */
  readonly handled = new Map<string, number>();
  state: 'attaching' | 'connected' | 'disconnecting' | 'gone' = 'attaching';
  private readonly log: Logger;
  private commands: Promise<void> = Promise.resolve();
  private transferSinceReset = false;
  private readonly interruptPolls = new Map<number, AbortController>();
  private readonly pendingData = new Map<bigint, { cancelled: boolean }>();
  private ackWaiter: (() => void) | null = null;

  private constructor(channel: UsbredirChannel, device: UsbDeviceHandle, options: UsbredirHostOptions) {
    this.channel = channel;
    this.device = device;
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

  /** Takes the device off the slot: device_disconnect, the guest's ack, then the device is closed. */
  async detach(): Promise<void> {
    if (this.state === 'gone' || this.state === 'disconnecting') return;
    await this.disconnect(null);
  }

  private async disconnect(error: Error | null): Promise<void> {
    this.state = 'disconnecting';
    this.stopPolls();
    const ch = this.channel;
    if (ch.state !== 'closed' && ch.device === this) {
      ch.sendPacket({ type: 'device_disconnect', id: 0n });
      if (ch.stream.both(UsbredirCap.device_disconnect_ack)) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          new Promise<void>((resolve) => (this.ackWaiter = resolve)),
          new Promise<void>((resolve) => (timer = setTimeout(() => {
            this.log.warn('the guest did not acknowledge device_disconnect; freeing the slot anyway');
            resolve();
          }, DISCONNECT_ACK_TIMEOUT_MS))),
        ]);
        clearTimeout(timer);
      }
    }
    this.finish(error);
    await this.commands.catch(() => {});
    await this.device.close().catch((e: unknown) => this.log.warn({ err: String(e) }, 'closing the device failed'));
  }

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
        const run = (): Promise<void> => this.command(packet).catch((e: unknown) => this.log.warn({ err: String(e), packet: packet.type }, 'usb-host command failed'));
        this.commands = this.commands.then(run);
      }
    }
  }

  private send(packet: UsbredirPacket): void {
    if (this.state === 'gone' || this.channel.state === 'closed') return;
    this.channel.sendPacket(packet);
  }

  private async command(p: UsbredirPacket): Promise<void> {
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

  private async dataTransfer(p: UsbredirPacketOf<'bulk_packet'> | UsbredirPacketOf<'interrupt_packet'>): Promise<void> {
    if (this.state !== 'connected') return;
    this.transferSinceReset = true;
    const pending = { cancelled: false };
    this.pendingData.set(p.id, pending);
    const isIn = (p.endpoint & 0x80) !== 0;
    let result: UsbTransferResult;
    try {
      result = await safeTransfer(() => (isIn ? this.device.transferIn(p.endpoint, p.length) : this.device.transferOut(p.endpoint, p.data)));
    } finally {
      this.pendingData.delete(p.id);
    }
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
