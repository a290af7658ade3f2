// HID devices the operating system holds (keyboards, security keys, game pads, UPS panels), read
// and written through node-hid (hidapi) without taking them from the OS's driver, and presented
// to the guest as a USB HID device the client builds: device, configuration, HID and report
// descriptors, an interrupt IN endpoint fed by the device's input reports and an interrupt OUT
// endpoint and SET_REPORT/GET_REPORT passed to hidapi's write and feature reports.
// node-hid 3.x cannot read a device's report descriptor, which the guest's HID driver needs: on
// Linux it comes from sysfs (/sys/class/hidraw/hidrawN/device/report_descriptor, readable by
// everyone). Where the OS does not give it (Windows, macOS), a device of a usage page whose reports
// are fixed by its standard gets that page's descriptor (FIDO security keys: usage page 0xF1D0,
// CTAPHID's 64-byte input and output reports without report ids); any other device is refused with
// a sentence saying so. The node-hid API is taken as an interface so that tests can give a fake.
import { readFileSync } from 'node:fs';
import { Emitter } from '../../protocol/emitter.ts';
import type {
  UsbActiveConfiguration, UsbDeviceDescription, UsbDeviceHandle, UsbDeviceSource, UsbSetup, UsbSourceEvents, UsbTransferResult, UsbTransferStatus,
} from './device-source.ts';
import { beginControl, deviceStringDescriptor, EmulatedUsbSource, le16, type EmulatedUsbDevice } from './emulated-device.ts';

/** What node-hid's `devices()` gives for one HID interface. */
export interface NodeHidDeviceInfo {
  vendorId: number;
  productId: number;
  path?: string;
  serialNumber?: string;
  manufacturer?: string;
  product?: string;
  release: number;
  interface: number;
  usagePage?: number;
  usage?: number;
}

/** The part of node-hid's synchronous `HID` class used here. */
export interface NodeHidHandle {
  on(event: 'data', listener: (data: Buffer) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  write(values: number[] | Buffer): number;
  sendFeatureReport(data: number[] | Buffer): number;
  getFeatureReport(reportId: number, length: number): number[];
  close(): void;
}

export interface NodeHidApi {
  devices(): NodeHidDeviceInfo[];
  HID: new (path: string, options?: { nonExclusive?: boolean }) => NodeHidHandle;
}

/** HID class, report descriptor type, interrupt endpoints' packet size. */
const HID_CLASS = 3;
const REPORT_DESCRIPTOR = 0x22;
const HID_DESCRIPTOR = 0x21;
const PACKET = 64;
/** Input reports kept while the guest does not poll (a key held for a minute must not grow memory). */
const MAX_QUEUED_REPORTS = 256;

/** True when the report descriptor has a Report ID item (short item tag 0x85): reports then start with their id. */
export function usesReportIds(descriptor: Uint8Array): boolean {
  for (let at = 0; at < descriptor.length;) {
    const prefix = descriptor[at];
    if (prefix === 0xfe) { // long item: 0xfe, size, tag, data
      at += 3 + (descriptor[at + 1] ?? 0);
      continue;
    }
    if ((prefix & 0xfc) === 0x84) return true;
    const size = [0, 1, 2, 4][prefix & 3];
    at += 1 + size;
  }
  return false;
}

/** Linux: the report descriptor sysfs exposes for a hidraw path (null when not a hidraw node or unreadable). */
export function linuxReportDescriptor(readFile: (path: string) => Uint8Array): (info: NodeHidDeviceInfo) => Uint8Array | null {
  return (info) => {
    const node = /^\/dev\/(hidraw\d+)$/.exec(info.path ?? '');
    if (!node) return null;
    try {
      return readFile(`/sys/class/hidraw/${node[1]}/device/report_descriptor`);
    } catch {
      return null;
    }
  };
}

/** FIDO Alliance's HID usage page and its CTAPHID (U2F authenticator) usage. */
export const FIDO_USAGE_PAGE = 0xf1d0;
const FIDO_CTAPHID_USAGE = 0x01;

/**
 * The report descriptor of a FIDO U2F/CTAP2 authenticator as the CTAP specification fixes it:
 * usage page 0xF1D0, usage 0x01, one application collection with a 64-byte input report (usage
 * 0x20) and a 64-byte output report (usage 0x21), bytes 0-255, no report ids.
 */
export const FIDO_REPORT_DESCRIPTOR = Uint8Array.of(
  0x06, 0xd0, 0xf1, // usage page 0xF1D0
  0x09, 0x01, // usage: CTAPHID
  0xa1, 0x01, // collection (application)
  0x09, 0x20, 0x15, 0x00, 0x26, 0xff, 0x00, 0x75, 0x08, 0x95, 0x40, 0x81, 0x02, // input: 64 bytes 0-255
  0x09, 0x21, 0x15, 0x00, 0x26, 0xff, 0x00, 0x75, 0x08, 0x95, 0x40, 0x91, 0x02, // output: 64 bytes 0-255
  0xc0, // end collection
);

/** The fixed report descriptor for a device's usage page and usage, or null when its reports are not standard. */
export function knownUsageReportDescriptor(info: NodeHidDeviceInfo): Uint8Array | null {
  if (info.usagePage === FIDO_USAGE_PAGE && info.usage === FIDO_CTAPHID_USAGE) return FIDO_REPORT_DESCRIPTOR;
  return null;
}

/** The OS's descriptor where `fromOs` gives one, else the fixed one of the device's usage page. */
export function reportDescriptorOrKnownUsage(fromOs: (info: NodeHidDeviceInfo) => Uint8Array | null): (info: NodeHidDeviceInfo) => Uint8Array | null {
  return (info) => {
    const given = fromOs(info);
    return given && given.length > 0 ? given : knownUsageReportDescriptor(info);
  };
}

/** One OS-held HID device as the USB HID device the guest sees. */
export class HidUsbDevice implements EmulatedUsbDevice {
  readonly description: UsbDeviceDescription;
  readonly requests: string[] = [];
  private configured = 1;
  private idle = 0;
  private readonly numbered: boolean;
  private readonly reports: Uint8Array[] = [];
  private waiter: ((report: Uint8Array | null) => void) | null = null;
  private failed: string | null = null;

  constructor(id: string, info: NodeHidDeviceInfo, private readonly reportDescriptor: Uint8Array, private readonly hid: NodeHidHandle) {
    this.description = {
      id, vendorId: info.vendorId, productId: info.productId, deviceClass: 0, deviceSubclass: 0, deviceProtocol: 0,
      deviceVersionBcd: info.release & 0xffff, speed: 'full', maxPacketSize0: 64,
      manufacturer: info.manufacturer, product: info.product, serial: info.serialNumber,
      interfaces: [{ class: HID_CLASS, subclass: 0, protocol: 0 }],
    };
    this.numbered = usesReportIds(reportDescriptor);
    hid.on('data', (data) => this.input(Uint8Array.from(data)));
    hid.on('error', (error) => {
      this.failed = error.message;
      this.waiter?.(null);
      this.waiter = null;
    });
  }

  private input(report: Uint8Array): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w(report);
      return;
    }
    if (this.reports.length >= MAX_QUEUED_REPORTS) this.reports.shift();
    this.reports.push(report);
  }

  private hidDescriptor(): number[] {
    return [9, HID_DESCRIPTOR, ...le16(0x0111), 0, 1, REPORT_DESCRIPTOR, ...le16(this.reportDescriptor.length)];
  }

  private configDescriptor(): Uint8Array {
    const body = [
      9, 4, 0, 0, 2, HID_CLASS, 0, 0, 0,
      ...this.hidDescriptor(),
      7, 5, 0x81, 3, ...le16(PACKET), 1,
      7, 5, 0x01, 3, ...le16(PACKET), 1,
    ];
    return Uint8Array.of(9, 2, ...le16(9 + body.length), 1, 1, 0, 0x80, 50, ...body);
  }

  configuration(): UsbActiveConfiguration {
    if (this.configured === 0) return { value: 0, interfaces: [] };
    return {
      value: 1,
      interfaces: [{
        number: 0, alternate: 0, class: HID_CLASS, subclass: 0, protocol: 0,
        endpoints: [{ address: 0x81, type: 'interrupt', maxPacketSize: PACKET, interval: 1 }, { address: 0x01, type: 'interrupt', maxPacketSize: PACKET, interval: 1 }],
      }],
    };
  }

  selectConfiguration(value: number): UsbTransferStatus {
    if (value !== 0 && value !== 1) return 'stall';
    this.configured = value;
    return 'ok';
  }

  /** hidapi wants the report id first, 0 for a device without ids. */
  private outgoing(reportId: number, data: Uint8Array): number[] {
    return this.numbered ? [...data] : [reportId, ...data];
  }

  control(setup: UsbSetup, lengthOrData: number | Uint8Array): UsbTransferResult {
    const { value } = setup;
    const { key, reply, ok } = beginControl(this.requests, setup, lengthOrData);
    const d = this.description;
    try {
      switch (key) {
        case '80/06': {
          const type = value >> 8;
          if (type === 1) return reply([18, 1, ...le16(0x0200), 0, 0, 0, 64, ...le16(d.vendorId), ...le16(d.productId), ...le16(d.deviceVersionBcd), 1, 2, 3, 1]);
          if (type === 2) return reply(this.configDescriptor());
          if (type === 3) return reply(deviceStringDescriptor(d, value & 0xff));
          return reply(null);
        }
        case '81/06':
          if (value >> 8 === REPORT_DESCRIPTOR) return reply(this.reportDescriptor);
          if (value >> 8 === HID_DESCRIPTOR) return reply(this.hidDescriptor());
          return reply(null);
        case '80/00': case '81/00': case '82/00': return reply([0, 0]);
        case '80/08': return reply([this.configured]);
        case '00/01': case '00/03': case '02/01': case '02/03': case '21/0b': return ok;
        case '21/0a': this.idle = value >> 8; return ok;
        case 'a1/02': return reply([this.idle]);
        case 'a1/03': return reply([1]);
        case '21/09': { // SET_REPORT: output (2) goes out as a write, feature (3) as a feature report
          if (typeof lengthOrData === 'number') return { status: 'stall' };
          const type = value >> 8;
          const bytes = this.outgoing(value & 0xff, lengthOrData);
          if (type === 2) this.hid.write(bytes);
          else if (type === 3) this.hid.sendFeatureReport(bytes);
          else return { status: 'stall' };
          return ok;
        }
        case 'a1/01': { // GET_REPORT: feature reports only (hidapi has no input-report read here)
          if (value >> 8 !== 3 || typeof lengthOrData !== 'number') return { status: 'stall' };
          const got = this.hid.getFeatureReport(value & 0xff, lengthOrData + (this.numbered ? 0 : 1));
          return reply(this.numbered ? got : got.slice(1));
        }
        default: return reply(null);
      }
    } catch {
      // hidapi throws when the device refuses or went away: the guest sees a stall.
      return { status: 'stall' };
    }
  }

  transferIn(endpoint: number, _length: number, signal?: AbortSignal): Promise<UsbTransferResult> {
    if (endpoint !== 0x81) return Promise.resolve({ status: 'stall' });
    if (this.failed) return Promise.resolve({ status: 'error' });
    const queued = this.reports.shift();
    if (queued) return Promise.resolve({ status: 'ok', data: queued });
    return new Promise((resolve) => {
      const onAbort = (): void => {
        this.waiter = null;
        resolve({ status: 'cancelled' });
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiter = (report) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(report ? { status: 'ok', data: report } : { status: 'error' });
      };
    });
  }

  async transferOut(endpoint: number, data: Uint8Array): Promise<UsbTransferResult> {
    if (endpoint !== 0x01) return { status: 'stall' };
    try {
      // On the interrupt OUT pipe a numbered device's report already starts with its id.
      this.hid.write(this.outgoing(0, data));
      return { status: 'ok', written: data.length };
    } catch {
      return { status: 'error' };
    }
  }

  reset(): void {
    this.reports.length = 0;
    this.configured = 1;
  }

  dispose(): void {
    this.waiter?.(null);
    this.waiter = null;
    try {
      this.hid.close();
    } catch {
      // already closed by the OS
    }
  }
}

/** node-hid itself, imported on first use (a native module: it may not load everywhere). */
export async function loadNodeHid(): Promise<NodeHidApi> {
  const mod = (await import('node-hid')) as unknown as NodeHidApi & { default?: NodeHidApi };
  return typeof mod.devices === 'function' ? mod : mod.default!;
}

/** The id prefix of devices from this source: `hid:` and hidapi's path (`hid:/dev/hidraw3` on Linux). */
export const HID_ID_PREFIX = 'hid:';

/**
 * The OS's HID devices as a device source. `list` asks node-hid each time (hidapi has no hotplug
 * events); one entry per hidraw path. `open` opens the device with hidapi (non-exclusive: the OS
 * keeps using it, as it does on Linux for hidraw) and wraps it. node-hid is given (tests: a fake
 * of its API) or loaded on first use; when it does not load, the source says so once
 * (`unavailable`) and lists nothing.
 */
export class HidDeviceSource implements UsbDeviceSource {
  readonly name = 'HID devices of this machine (through node-hid)';
  readonly events = new Emitter<UsbSourceEvents>();
  unavailableReason: string | null = null;
  private readonly opened = new EmulatedUsbSource(this.name);
  private api: Promise<NodeHidApi | null> | null;
  private readonly load: () => Promise<NodeHidApi>;

  constructor(hid: NodeHidApi | (() => Promise<NodeHidApi>), private readonly readReportDescriptor: (info: NodeHidDeviceInfo) => Uint8Array | null) {
    this.load = typeof hid === 'function' ? hid : async () => hid;
    this.api = typeof hid === 'function' ? null : Promise.resolve(hid);
  }

  private usable(): Promise<NodeHidApi | null> {
    this.api ??= this.load().catch((e: unknown) => {
      this.unavailableReason = `node-hid does not load on this machine (${(e instanceof Error ? e.message : String(e)).split('\n')[0]})`;
      this.events.emit('unavailable', this.unavailableReason);
      return null;
    });
    return this.api;
  }

  private async infos(): Promise<Map<string, NodeHidDeviceInfo>> {
    const byId = new Map<string, NodeHidDeviceInfo>();
    const api = await this.usable();
    if (!api) return byId;
    let infos: NodeHidDeviceInfo[];
    try {
      infos = api.devices();
    } catch (e) {
      // hidapi could not enumerate (no hidraw on this kernel, no permission to /dev): nothing to offer.
      if (!this.unavailableReason) {
        this.unavailableReason = `node-hid cannot list HID devices here (${e instanceof Error ? e.message : String(e)})`;
        this.events.emit('unavailable', this.unavailableReason);
      }
      return byId;
    }
    for (const info of infos) {
      if (!info.path) continue;
      const id = `${HID_ID_PREFIX}${info.path}`;
      const earlier = byId.get(id);
      // hidapi on macOS lists a device once per usage: the usage with a fixed descriptor (FIDO) is the one that counts.
      if (!earlier) byId.set(id, info);
      else if (!knownUsageReportDescriptor(earlier) && knownUsageReportDescriptor(info)) byId.set(id, { ...earlier, usagePage: info.usagePage, usage: info.usage });
    }
    return byId;
  }

  async list(): Promise<UsbDeviceDescription[]> {
    return [...await this.infos()].map(([id, info]) => ({
      id, vendorId: info.vendorId, productId: info.productId, deviceClass: 0, deviceSubclass: 0, deviceProtocol: 0,
      deviceVersionBcd: info.release & 0xffff, speed: 'full' as const, maxPacketSize0: 64,
      manufacturer: info.manufacturer, product: info.product, serial: info.serialNumber, interfaces: [{ class: HID_CLASS, subclass: 0, protocol: 0 }],
    }));
  }

  async open(id: string): Promise<UsbDeviceHandle> {
    const api = await this.usable();
    if (!api) throw new Error(`cannot redirect the HID device ${id}: ${this.unavailableReason}`);
    const info = (await this.infos()).get(id);
    if (!info?.path) throw new Error(`no HID device ${id} on this machine`);
    const descriptor = this.readReportDescriptor(info);
    if (!descriptor || descriptor.length === 0) {
      const page = info.usagePage === undefined ? 'an unknown usage page' : `usage page 0x${info.usagePage.toString(16).padStart(4, '0')}`;
      throw new Error(`cannot redirect the HID device ${id}: its report descriptor cannot be read here (node-hid does not give it; only Linux's sysfs does), and its ${page} is not one with a fixed descriptor (FIDO security keys, 0xf1d0)`);
    }
    let handle: NodeHidHandle;
    try {
      handle = new api.HID(info.path, { nonExclusive: true });
    } catch (e) {
      throw new Error(`cannot open the HID device ${id}: ${(e as Error).message}; on Linux give your user access to ${info.path} with a udev rule`);
    }
    if (this.opened.get(id)) this.opened.unplug(id);
    this.opened.plug(new HidUsbDevice(id, info, descriptor, handle));
    const inner = await this.opened.open(id);
    return { ...inner, close: async () => { this.opened.unplug(id); await inner.close(); } };
  }
}

/** The HID source of this machine: node-hid loaded on first use; report descriptors from sysfs on Linux, else the known usage pages'. */
export function machineHidSource(): HidDeviceSource {
  return new HidDeviceSource(loadNodeHid, reportDescriptorOrKnownUsage(linuxReportDescriptor((path) => readFileSync(path))));
}
