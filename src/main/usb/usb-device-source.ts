// The machine's own USB devices through the `usb` package (3.x: a WebUSB-shaped API over nusb, no
// libusb; /work/shared/docs/devices.md 2.1), behind the device-source interface.
// - `usb` is a native module: it is imported on first use (`list`, `open`, `start`), never when a
//   command that does not redirect USB starts.
// - A machine without a USB subsystem (containers, CI, this test bed) makes `getDevices` reject and
//   `usb`'s own hotplug listener raise an unhandled rejection. The source asks `getDevices` first,
//   says "no USB on this machine" once (the `unavailable` event) and only then, when that worked,
//   listens for hotplug. The session goes on without USB.
// - Opening claims every interface of the active configuration; on Linux a kernel driver that holds
//   an interface is detached first and attached again on close (what usbredirhost does).
// - WebUSB has no raw descriptors, no bInterval and no bMaxPacketSize0: open reads the device and
//   configuration descriptors with control transfers (the guest will ask for them anyway).
// - Transfers: the package's default timeout is 1 s; an IN transfer that times out is tried again
//   until it completes, the caller's signal aborts it or the device closes (usbredirhost submits
//   bulk and interrupt IN without a timeout and cancels them when the guest says so).
import { Emitter } from '../../protocol/emitter.ts';
import type {
  UsbActiveConfiguration, UsbDeviceDescription, UsbDeviceHandle, UsbDeviceSource, UsbEndpointDescription, UsbSetup,
  UsbSourceEvents, UsbSpeed, UsbTransferResult, UsbTransferStatus,
} from './device-source.ts';

// ---- The part of the `usb` package's API used here (its index.d.ts; WebUSB plus node-usb's extensions).

export interface UsbPackageEndpoint {
  endpointNumber: number;
  direction: 'in' | 'out';
  type: 'bulk' | 'interrupt' | 'isochronous';
  packetSize: number;
}

export interface UsbPackageAlternate {
  alternateSetting: number;
  interfaceClass: number;
  interfaceSubclass: number;
  interfaceProtocol: number;
  endpoints: UsbPackageEndpoint[];
}

export interface UsbPackageInterface {
  interfaceNumber: number;
  alternate: UsbPackageAlternate;
  alternates: UsbPackageAlternate[];
}

export interface UsbPackageConfiguration {
  configurationValue: number;
  interfaces: UsbPackageInterface[];
}

export interface UsbPackageSetup {
  requestType: 'standard' | 'class' | 'vendor';
  recipient: 'device' | 'interface' | 'endpoint' | 'other';
  request: number;
  value: number;
  index: number;
}

export interface UsbPackageInResult { status: 'ok' | 'stall' | 'babble'; data?: DataView }
export interface UsbPackageOutResult { status: 'ok' | 'stall'; bytesWritten: number }

export interface UsbPackageDevice {
  vendorId: number;
  productId: number;
  deviceClass: number;
  deviceSubclass: number;
  deviceProtocol: number;
  deviceVersionMajor: number;
  deviceVersionMinor: number;
  deviceVersionSubminor: number;
  manufacturerName?: string | null;
  productName?: string | null;
  serialNumber?: string | null;
  /** node-usb: the bus, e.g. "1", or already "1-2.3" on some platforms. */
  bus: string;
  ports: number[];
  speed?: 'low' | 'full' | 'high' | 'super' | 'superPlus';
  configuration?: UsbPackageConfiguration | null;
  open(): Promise<void>;
  close(): Promise<void>;
  reset(): Promise<void>;
  selectConfiguration(value: number): Promise<void>;
  claimInterface(interfaceNumber: number): Promise<void>;
  releaseInterface(interfaceNumber: number): Promise<void>;
  selectAlternateInterface(interfaceNumber: number, alternate: number): Promise<void>;
  controlTransferIn(setup: UsbPackageSetup, length: number): Promise<UsbPackageInResult>;
  controlTransferOut(setup: UsbPackageSetup, data?: Uint8Array): Promise<UsbPackageOutResult>;
  transferIn(endpointNumber: number, length: number): Promise<UsbPackageInResult>;
  transferOut(endpointNumber: number, data: Uint8Array): Promise<UsbPackageOutResult>;
  clearHalt(direction: 'in' | 'out', endpointNumber: number): Promise<void>;
  /** Linux only. */
  detachKernelDriver?(interfaceNumber: number): Promise<void>;
  attachKernelDriver?(interfaceNumber: number): Promise<void>;
}

export interface UsbPackageConnectionEvent { device: UsbPackageDevice }

export interface UsbPackageApi {
  getDevices(): Promise<UsbPackageDevice[]>;
  addEventListener(type: 'connect' | 'disconnect', listener: (event: UsbPackageConnectionEvent) => void): void;
  removeEventListener(type: 'connect' | 'disconnect', listener: (event: UsbPackageConnectionEvent) => void): void;
}

/** The real package, imported on first use. */
export async function loadUsbPackage(): Promise<UsbPackageApi> {
  const mod = (await import('usb')) as unknown as { usb: UsbPackageApi };
  return mod.usb;
}

// ---- Errors with a sentence for the user.

export type HostPlatform = 'linux' | 'win32' | 'darwin' | string;

/** The device cannot be opened or claimed: the sentence says what to do on this OS. */
export class UsbDeviceBusyError extends Error {
  readonly reason: 'permission' | 'busy';
  constructor(reason: UsbDeviceBusyError['reason'], message: string) {
    super(message);
    this.name = 'UsbDeviceBusyError';
    this.reason = reason;
  }
}

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

/** What the user can do when the OS does not let spicedesk open a device, per OS. */
export function needsDriverAdvice(platform: HostPlatform, vendorId: number, productId: number): string {
  const vid = hex4(vendorId);
  const pid = hex4(productId);
  if (platform === 'win32') {
    return `on Windows a device can only be redirected with the WinUSB driver: install it for ${vid}:${pid} (for example with Zadig), which takes the device away from Windows while it is installed`;
  }
  if (platform === 'darwin') {
    return 'on macOS a device whose interfaces a macOS driver holds (keyboards, mice, mounted disks) cannot be claimed: eject or quit what uses it, or use a device without a system driver';
  }
  return `on Linux give your user access with a udev rule, e.g. /etc/udev/rules.d/50-spicedesk.rules: SUBSYSTEM=="usb", ATTR{idVendor}=="${vid}", ATTR{idProduct}=="${pid}", TAG+="uaccess" (then unplug and plug the device)`;
}

// ---- Descriptions.

const SPEEDS: Record<string, UsbSpeed> = { low: 'low', full: 'full', high: 'high', super: 'super', superPlus: 'super' };

/** "1-2.3": bus number, then the port path, as Linux's sysfs names a device. */
export function busPortId(device: Pick<UsbPackageDevice, 'bus' | 'ports'>): string {
  if (device.bus.includes('-') || device.ports.length === 0) return device.bus;
  return `${device.bus}-${device.ports.join('.')}`;
}

function defaultMaxPacketSize0(speed: UsbSpeed): number {
  return speed === 'low' ? 8 : speed === 'super' ? 512 : 64;
}

export function describeUsbPackageDevice(d: UsbPackageDevice): UsbDeviceDescription {
  const speed = SPEEDS[d.speed ?? 'full'] ?? 'full';
  return {
    id: busPortId(d),
    vendorId: d.vendorId,
    productId: d.productId,
    deviceClass: d.deviceClass,
    deviceSubclass: d.deviceSubclass,
    deviceProtocol: d.deviceProtocol,
    deviceVersionBcd: ((d.deviceVersionMajor & 0xff) << 8) | ((d.deviceVersionMinor & 0xf) << 4) | (d.deviceVersionSubminor & 0xf),
    speed,
    maxPacketSize0: defaultMaxPacketSize0(speed),
    manufacturer: d.manufacturerName ?? undefined,
    product: d.productName ?? undefined,
    serial: d.serialNumber ?? undefined,
    interfaces: (d.configuration?.interfaces ?? []).map((f) => ({ class: f.alternate.interfaceClass, subclass: f.alternate.interfaceSubclass, protocol: f.alternate.interfaceProtocol })),
  };
}

function setupFor(s: UsbSetup): UsbPackageSetup {
  const types = ['standard', 'class', 'vendor'] as const;
  const recipients = ['device', 'interface', 'endpoint', 'other'] as const;
  const type = types[(s.requestType >> 5) & 3];
  const recipient = recipients[s.requestType & 0x1f];
  if (!type || !recipient) throw new Error(`bmRequestType 0x${s.requestType.toString(16)} has a reserved type or recipient`);
  return { requestType: type, recipient, request: s.request, value: s.value, index: s.index };
}

const isTimeout = (e: unknown): boolean => /time(d)?\s*out/i.test(String(e));

function errorStatus(e: unknown): UsbTransferStatus {
  if (isTimeout(e)) return 'timeout';
  if (/stall|pipe/i.test(String(e))) return 'stall';
  return 'error';
}

const bytesOf = (view: DataView | undefined): Uint8Array =>
  view ? new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice() : new Uint8Array(0);

/** bInterval of each endpoint, keyed "interface/alternate/address", from a configuration descriptor. */
export function endpointIntervals(descriptor: Uint8Array): Map<string, number> {
  const intervals = new Map<string, number>();
  let iface = 0;
  let alt = 0;
  for (let at = 0; at + 2 <= descriptor.length;) {
    const length = descriptor[at];
    const type = descriptor[at + 1];
    if (length < 2 || at + length > descriptor.length) break;
    if (type === 4 && length >= 4) {
      iface = descriptor[at + 2];
      alt = descriptor[at + 3];
    } else if (type === 5 && length >= 7) {
      intervals.set(`${iface}/${alt}/${descriptor[at + 2]}`, descriptor[at + 6]);
    }
    at += length;
  }
  return intervals;
}

// ---- The source.


export interface UsbPackageSourceOptions {
  /** Defaults to the real package (loadUsbPackage). */
  load?: () => Promise<UsbPackageApi>;
  platform?: HostPlatform;
}

export class UsbPackageSource implements UsbDeviceSource {
  readonly name = 'USB devices of this machine';
  readonly events = new Emitter<UsbSourceEvents>();
  /** Set once `usb` failed: the sentence `unavailable` carried. */
  unavailableReason: string | null = null;
  private readonly load: () => Promise<UsbPackageApi>;
  private readonly platform: HostPlatform;
  private api: Promise<UsbPackageApi | null> | null = null;
  private readonly known = new Map<string, UsbPackageDevice>();
  private readonly opened = new Set<string>();
  private listening = false;
  private readonly onConnect = (event: UsbPackageConnectionEvent): void => {
    const d = describeUsbPackageDevice(event.device);
    this.known.set(d.id, event.device);
    this.events.emit('added', d);
  };
  private readonly onDisconnect = (event: UsbPackageConnectionEvent): void => {
    const d = describeUsbPackageDevice(event.device);
    this.known.delete(d.id);
    this.events.emit('removed', d);
  };

  constructor(options: UsbPackageSourceOptions = {}) {
    this.load = options.load ?? loadUsbPackage;
    this.platform = options.platform ?? process.platform;
  }

  /** Loads `usb`, lists once and, when that works, listens for hotplug. Resolves false without USB. */
  async start(): Promise<boolean> {
    return (await this.usable()) !== null;
  }

  private usable(): Promise<UsbPackageApi | null> {
    this.api ??= (async () => {
      let api: UsbPackageApi;
      try {
        api = await this.load();
      } catch (e) {
        return this.unavailable(`the usb module does not load on this machine (${firstLine(e)})`);
      }
      try {
        for (const device of await api.getDevices()) this.known.set(busPortId(device), device);
      } catch (e) {
        return this.unavailable(`no USB on this machine (${firstLine(e)})`);
      }
      // Only now: the package's listener lists devices itself and does not catch that rejection.
      api.addEventListener('connect', this.onConnect);
      api.addEventListener('disconnect', this.onDisconnect);
      this.listening = true;
      return api;
    })();
    return this.api;
  }

  private unavailable(reason: string): null {
    this.unavailableReason = reason;
    this.events.emit('unavailable', reason);
    return null;
  }

  /** Stops listening for hotplug (the package's native listener keeps Node alive otherwise). */
  async stop(): Promise<void> {
    const api = await this.api;
    if (api && this.listening) {
      api.removeEventListener('connect', this.onConnect);
      api.removeEventListener('disconnect', this.onDisconnect);
      this.listening = false;
    }
  }

  async list(): Promise<UsbDeviceDescription[]> {
    const api = await this.usable();
    if (!api) return [];
    let devices: UsbPackageDevice[];
    try {
      devices = await api.getDevices();
    } catch {
      devices = [...this.known.values()];
    }
    this.known.clear();
    for (const device of devices) this.known.set(busPortId(device), device);
    return devices.map(describeUsbPackageDevice);
  }

  async open(id: string, claiming?: () => void): Promise<UsbDeviceHandle> {
    const api = await this.usable();
    if (!api) throw new Error(`cannot open USB device ${id}: ${this.unavailableReason ?? 'no USB on this machine'}`);
    const device = this.known.get(id) ?? (await this.list(), this.known.get(id));
    if (!device) throw new Error(`no USB device ${id} on this machine (spicedesk usb list shows them)`);
    if (this.opened.has(id)) throw new UsbDeviceBusyError('busy', `USB device ${id} is already redirected`);
    this.opened.add(id);
    try {
      return await UsbPackageHandle.open(device, this.platform, () => this.opened.delete(id), claiming);
    } catch (e) {
      this.opened.delete(id);
      throw e;
    }
  }
}

const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0];

class UsbPackageHandle implements UsbDeviceHandle {
  readonly description: UsbDeviceDescription;
  private readonly device: UsbPackageDevice;
  private readonly onClosed: () => void;
  private intervals = new Map<string, number>();
  private readonly claimed = new Set<number>();
  private readonly detached = new Set<number>();
  private closed = false;

  private constructor(device: UsbPackageDevice, onClosed: () => void) {
    this.device = device;
    this.description = describeUsbPackageDevice(device);
    this.onClosed = onClosed;
  }

  static async open(device: UsbPackageDevice, platform: HostPlatform, onClosed: () => void, claiming?: () => void): Promise<UsbPackageHandle> {
    const handle = new UsbPackageHandle(device, onClosed);
    const d = handle.description;
    const name = `${[d.manufacturer, d.product].filter(Boolean).join(' ') || 'USB device'} (${hex4(d.vendorId)}:${hex4(d.productId)})`;
    try {
      await device.open();
    } catch (e) {
      throw new UsbDeviceBusyError('permission', `cannot open ${name}: ${firstLine(e)}; ${needsDriverAdvice(platform, d.vendorId, d.productId)}`);
    }
    claiming?.();
    try {
      await handle.claimAll();
    } catch (e) {
      await handle.releaseAll();
      await device.close().catch(() => {});
      throw new UsbDeviceBusyError('busy', `${name} is busy: ${firstLine(e)}; another program or a system driver holds it, ${needsDriverAdvice(platform, d.vendorId, d.productId)}`);
    }
    await handle.readDescriptors();
    return handle;
  }

  /** bMaxPacketSize0 and the endpoints' bInterval, which WebUSB does not give. */
  private async readDescriptors(): Promise<void> {
    const get = async (value: number, length: number): Promise<Uint8Array | null> => {
      try {
        const r = await this.device.controlTransferIn({ requestType: 'standard', recipient: 'device', request: 6, value, index: 0 }, length);
        return r.status === 'ok' ? bytesOf(r.data) : null;
      } catch {
        return null;
      }
    };
    const deviceDescriptor = await get(0x0100, 18);
    if (deviceDescriptor && deviceDescriptor.length >= 8 && deviceDescriptor[7] > 0) this.description.maxPacketSize0 = deviceDescriptor[7];
    const config = this.device.configuration;
    if (!config) return;
    const header = await get(0x0200, 9);
    if (!header || header.length < 4) return;
    const total = header[2] | (header[3] << 8);
    const full = await get(0x0200, total);
    if (full) this.intervals = endpointIntervals(full);
  }

  private async claimAll(): Promise<void> {
    for (const f of this.device.configuration?.interfaces ?? []) {
      if (this.device.detachKernelDriver) {
        // Rejects when no driver holds the interface: then there is nothing to attach again later.
        try {
          await this.device.detachKernelDriver(f.interfaceNumber);
          this.detached.add(f.interfaceNumber);
        } catch { /* no kernel driver on it */ }
      }
      await this.device.claimInterface(f.interfaceNumber);
      this.claimed.add(f.interfaceNumber);
    }
  }

  private async releaseAll(): Promise<void> {
    for (const n of this.claimed) await this.device.releaseInterface(n).catch(() => {});
    this.claimed.clear();
  }

  configuration(): UsbActiveConfiguration {
    const config = this.device.configuration;
    if (!config) return { value: 0, interfaces: [] };
    return {
      value: config.configurationValue,
      interfaces: config.interfaces.map((f) => {
        const a = f.alternate;
        return {
          number: f.interfaceNumber, alternate: a.alternateSetting, class: a.interfaceClass, subclass: a.interfaceSubclass, protocol: a.interfaceProtocol,
          endpoints: a.endpoints.map((e): UsbEndpointDescription => {
            const address = e.endpointNumber | (e.direction === 'in' ? 0x80 : 0);
            return {
              address, type: e.type === 'isochronous' ? 'iso' : e.type, maxPacketSize: e.packetSize,
              interval: this.intervals.get(`${f.interfaceNumber}/${a.alternateSetting}/${address}`) ?? (e.type === 'bulk' ? 0 : 1),
            };
          }),
        };
      }),
    };
  }

  async selectConfiguration(value: number): Promise<UsbTransferStatus> {
    try {
      await this.releaseAll();
      await this.device.selectConfiguration(value);
      await this.claimAll();
      return 'ok';
    } catch (e) {
      return errorStatus(e);
    }
  }

  async selectAlternate(interfaceNumber: number, alternate: number): Promise<UsbTransferStatus> {
    try {
      await this.device.selectAlternateInterface(interfaceNumber, alternate);
      return 'ok';
    } catch (e) {
      return errorStatus(e);
    }
  }

  async controlIn(setup: UsbSetup, length: number): Promise<UsbTransferResult> {
    try {
      const r = await this.device.controlTransferIn(setupFor(setup), length);
      return { status: r.status, data: bytesOf(r.data) };
    } catch (e) {
      return { status: errorStatus(e) };
    }
  }

  async controlOut(setup: UsbSetup, data: Uint8Array): Promise<UsbTransferResult> {
    try {
      // CLEAR_FEATURE(ENDPOINT_HALT) to an endpoint: the OS must know the toggle was reset.
      if (setup.requestType === 0x02 && setup.request === 1 && setup.value === 0) {
        await this.device.clearHalt(setup.index & 0x80 ? 'in' : 'out', setup.index & 0x0f);
        return { status: 'ok', written: 0 };
      }
      const r = await this.device.controlTransferOut(setupFor(setup), data);
      return { status: r.status, written: r.bytesWritten };
    } catch (e) {
      return { status: errorStatus(e) };
    }
  }

  async transferIn(endpoint: number, length: number, signal?: AbortSignal): Promise<UsbTransferResult> {
    for (;;) {
      if (signal?.aborted || this.closed) return { status: 'cancelled' };
      try {
        const r = await this.device.transferIn(endpoint & 0x0f, length);
        if (signal?.aborted) return { status: 'cancelled' };
        return { status: r.status, data: bytesOf(r.data) };
      } catch (e) {
        if (!isTimeout(e)) return { status: errorStatus(e) };
      }
    }
  }

  async transferOut(endpoint: number, data: Uint8Array): Promise<UsbTransferResult> {
    try {
      const r = await this.device.transferOut(endpoint & 0x0f, data);
      return { status: r.status, written: r.bytesWritten };
    } catch (e) {
      return { status: errorStatus(e) };
    }
  }

  async reset(): Promise<void> {
    await this.device.reset();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.releaseAll();
    for (const n of this.detached) await this.device.attachKernelDriver?.(n).catch(() => {});
    this.detached.clear();
    await this.device.close().catch(() => {});
    this.onClosed();
  }
}
