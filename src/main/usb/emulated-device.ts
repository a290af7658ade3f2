// Devices that exist only in the client (the shared CD/ISO; the tests' simulated keyboard and disk)
// and the source that offers them. An emulated device answers the guest's requests itself: its
// descriptors, its class requests, its endpoints. `EmulatedUsbSource` turns one into a
// UsbDeviceHandle (device-source.ts); a device unplugged while open fails every transfer.
import { Emitter } from '../../protocol/emitter.ts';
import type {
  UsbActiveConfiguration, UsbDeviceDescription, UsbDeviceHandle, UsbDeviceSource, UsbSetup, UsbSourceEvents, UsbTransferResult, UsbTransferStatus,
} from './device-source.ts';

/** What an emulated device implements: the descriptors and requests of its own class. */
export interface EmulatedUsbDevice {
  readonly description: UsbDeviceDescription;
  configuration(): UsbActiveConfiguration;
  selectConfiguration(value: number): UsbTransferStatus;
  control(setup: UsbSetup, lengthOrData: number | Uint8Array): UsbTransferResult;
  transferIn(endpoint: number, length: number, signal?: AbortSignal): Promise<UsbTransferResult>;
  transferOut(endpoint: number, data: Uint8Array): Promise<UsbTransferResult>;
  reset(): void;
  /** Requests seen, as "bmRequestType/bRequest/wValue" strings, for tests and debug logs. */
  readonly requests: string[];
  /** Called when the device is unplugged from its source for good (files closed). */
  dispose?(): void;
}

export class EmulatedUsbSource implements UsbDeviceSource {
  readonly name: string;
  readonly events = new Emitter<UsbSourceEvents>();
  private readonly devices = new Map<string, EmulatedUsbDevice>();
  private readonly opened = new Set<string>();

  constructor(name = 'devices made by spicedesk') {
    this.name = name;
  }

  plug<D extends EmulatedUsbDevice>(device: D): UsbDeviceDescription & { device: D } {
    if (this.devices.has(device.description.id)) throw new Error(`${device.description.id} is already plugged`);
    this.devices.set(device.description.id, device);
    this.events.emit('added', device.description);
    return { ...device.description, device };
  }

  unplug(id: string): void {
    const device = this.devices.get(id);
    if (!device) return;
    this.devices.delete(id);
    this.events.emit('removed', device.description);
    if (!this.opened.has(id)) device.dispose?.();
  }

  /** The plugged device with this id. */
  get(id: string): EmulatedUsbDevice | undefined {
    return this.devices.get(id);
  }

  async list(): Promise<UsbDeviceDescription[]> {
    return [...this.devices.values()].map((d) => d.description);
  }

  async open(id: string): Promise<UsbDeviceHandle> {
    const device = this.devices.get(id);
    if (!device) throw new Error(`no device ${id} among the ${this.name}`);
    if (this.opened.has(id)) throw new Error(`${id} is already redirected`);
    this.opened.add(id);
    const gone = (): boolean => this.devices.get(id) !== device;
    const lost: UsbTransferResult = { status: 'error' };
    return {
      description: device.description,
      configuration: () => device.configuration(),
      selectConfiguration: async (value) => (gone() ? 'error' : device.selectConfiguration(value)),
      selectAlternate: async (iface, alt) => (gone() ? 'error' : device.configuration().interfaces.some((f) => f.number === iface) && alt === 0 ? 'ok' : 'stall'),
      controlIn: async (setup, length) => (gone() ? lost : device.control(setup, length)),
      controlOut: async (setup, data) => (gone() ? lost : device.control(setup, data)),
      transferIn: async (endpoint, length, signal) => (gone() ? lost : device.transferIn(endpoint, length, signal)),
      transferOut: async (endpoint, data) => (gone() ? lost : device.transferOut(endpoint, data)),
      reset: async () => device.reset(),
      close: async () => {
        this.opened.delete(id);
        if (gone()) device.dispose?.();
      },
    };
  }
}

/** Requests kept in an emulated device's `requests` log (the older half goes when it is full). */
const MAX_LOGGED_REQUESTS = 1000;

/** A control request as an emulated device answers it: its "bmRequestType/bRequest" key and reply builders. */
export interface ControlRequest {
  /** "80/06" for GET_DESCRIPTOR to the device, "21/09" for a class SET_REPORT, ... */
  key: string;
  /** The reply to an IN request: `bytes` cut to the length the host asked; null is a stall. */
  reply(bytes: Uint8Array | number[] | null): UsbTransferResult;
  /** The reply to an OUT request that was taken: every byte of it written. */
  ok: UsbTransferResult;
}

/**
 * The start of every emulated device's `control`: logs the request in `requests` (bounded) and
 * gives its key and the replies, so that each device only says what it answers.
 */
export function beginControl(requests: string[], setup: UsbSetup, lengthOrData: number | Uint8Array): ControlRequest {
  const { requestType, request, value } = setup;
  requests.push(`${hex2(requestType)}/${hex2(request)}/${value.toString(16).padStart(4, '0')}`);
  if (requests.length > MAX_LOGGED_REQUESTS) requests.splice(0, MAX_LOGGED_REQUESTS / 2);
  return {
    key: `${hex2(requestType)}/${hex2(request)}`,
    reply: (bytes) => {
      if (!bytes) return { status: 'stall' };
      const data = Uint8Array.from(bytes);
      return { status: 'ok', data: data.subarray(0, typeof lengthOrData === 'number' ? lengthOrData : data.length) };
    },
    ok: { status: 'ok', written: typeof lengthOrData === 'number' ? 0 : lengthOrData.length },
  };
}

/**
 * String descriptor `index` of a device whose device descriptor names strings 1, 2 and 3 as its
 * manufacturer, product and serial: 0 is the language list (US English); null when there is none.
 */
export function deviceStringDescriptor(d: UsbDeviceDescription, index: number): Uint8Array | null {
  if (index === 0) return Uint8Array.of(4, 3, 0x09, 0x04);
  const text = ({ 1: d.manufacturer, 2: d.product, 3: d.serial } as Record<number, string | undefined>)[index];
  return text === undefined ? null : stringDescriptor(text);
}

/** A string descriptor: bLength, 3, UTF-16LE. */
export function stringDescriptor(text: string): Uint8Array {
  const out = new Uint8Array(2 + 2 * text.length);
  out[0] = out.length;
  out[1] = 3;
  for (let i = 0; i < text.length; i++) {
    out[2 + 2 * i] = text.charCodeAt(i) & 0xff;
    out[3 + 2 * i] = text.charCodeAt(i) >> 8;
  }
  return out;
}

export const le16 = (v: number): number[] => [v & 0xff, (v >> 8) & 0xff];
export const hex2 = (n: number): string => n.toString(16).padStart(2, '0');
