// Test-only simulated USB devices behind the device-source interface (src/main/usb/device-source.ts):
// these machines have no USB bus (docs/testing.md), so the USB tests redirect these into the guest.
// Never offered to users: nothing in src/ imports this file. The keyboard's default ids are
// pid.codes' test VID:PID 1209:0001.
//
//   const source = new SimulatedUsbSource();
//   const keyboard = source.plug(new SimulatedKeyboard());
//   const handle = await source.open(keyboard.id);     // then UsbredirHost.attach(channel, handle, ...)
//   keyboard.press(0x04);                              // HID usage 0x04 = 'a': a report, then all keys up
//
// SimulatedDisk is a high-speed mass-storage disk backed by a file (bulk-only transport, SCSI);
// its bulk transfers are what exercises LZ4 on the usbredir channel both ways.
//
// The keyboard is a full-speed HID boot keyboard (HID 1.11, appendix B.1's report descriptor):
// device, configuration, interface, HID, endpoint and string descriptors; GET_STATUS,
// SET_IDLE/GET_IDLE, SET_PROTOCOL/GET_PROTOCOL, SET_REPORT (LEDs), GET_REPORT; interrupt IN
// endpoint 0x81 (8 bytes, 10 ms) that answers only when a report is waiting, as a real device NAKs.
// Like a device on a Linux host, it is already in configuration 1 when opened (the kernel
// configured it) and a reset keeps it there (libusb re-applies the configuration).
import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { Emitter } from '../../src/protocol/emitter.ts';
import type {
  UsbActiveConfiguration, UsbDeviceDescription, UsbDeviceHandle, UsbDeviceSource, UsbSetup, UsbSourceEvents, UsbTransferResult, UsbTransferStatus,
} from '../../src/main/usb/device-source.ts';

/** What a simulated device implements: the descriptors and requests of its own class. */
export interface SimulatedDevice {
  readonly description: UsbDeviceDescription;
  configuration(): UsbActiveConfiguration;
  selectConfiguration(value: number): UsbTransferStatus;
  control(setup: UsbSetup, lengthOrData: number | Uint8Array): UsbTransferResult;
  transferIn(endpoint: number, length: number, signal?: AbortSignal): Promise<UsbTransferResult>;
  transferOut(endpoint: number, data: Uint8Array): Promise<UsbTransferResult>;
  reset(): void;
  /** Requests seen, as "bmRequestType/bRequest/wValue" strings, for tests. */
  readonly requests: string[];
}

const utf16Descriptor = (text: string): Uint8Array => {
  const out = new Uint8Array(2 + 2 * text.length);
  out[0] = out.length;
  out[1] = 3;
  for (let i = 0; i < text.length; i++) {
    out[2 + 2 * i] = text.charCodeAt(i) & 0xff;
    out[3 + 2 * i] = text.charCodeAt(i) >> 8;
  }
  return out;
};

const le16 = (v: number): number[] => [v & 0xff, v >> 8];

/** The boot keyboard report descriptor of HID 1.11 appendix B.1 (modifiers, reserved, LEDs, 6 keys). */
export const BOOT_KEYBOARD_REPORT_DESCRIPTOR = Uint8Array.of(
  0x05, 0x01, 0x09, 0x06, 0xa1, 0x01, 0x05, 0x07, 0x19, 0xe0, 0x29, 0xe7, 0x15, 0x00, 0x25, 0x01,
  0x75, 0x01, 0x95, 0x08, 0x81, 0x02, 0x95, 0x01, 0x75, 0x08, 0x81, 0x01, 0x95, 0x05, 0x75, 0x01,
  0x05, 0x08, 0x19, 0x01, 0x29, 0x05, 0x91, 0x02, 0x95, 0x01, 0x75, 0x03, 0x91, 0x01, 0x95, 0x06,
  0x75, 0x08, 0x15, 0x00, 0x25, 0x65, 0x05, 0x07, 0x19, 0x00, 0x29, 0x65, 0x81, 0x00, 0xc0,
);

export interface SimulatedKeyboardOptions {
  id?: string;
  vendorId?: number;
  productId?: number;
  manufacturer?: string;
  product?: string;
  serial?: string;
}

export class SimulatedKeyboard implements SimulatedDevice {
  readonly description: UsbDeviceDescription;
  readonly requests: string[] = [];
  /** LED bits the host last set (SET_REPORT output): num 1, caps 2, scroll 4. */
  leds = 0;
  protocol = 1;
  idle = 0;
  private configured = 1;
  private readonly reports: Uint8Array[] = [];
  private waiter: ((report: Uint8Array | null) => void) | null = null;
  private current: Uint8Array = new Uint8Array(8);

  constructor(o: SimulatedKeyboardOptions = {}) {
    this.description = {
      id: o.id ?? 'sim:keyboard', vendorId: o.vendorId ?? 0x1209, productId: o.productId ?? 0x0001,
      deviceClass: 0, deviceSubclass: 0, deviceProtocol: 0, deviceVersionBcd: 0x0100, speed: 'full', maxPacketSize0: 64,
      manufacturer: o.manufacturer ?? 'spicedesk', product: o.product ?? 'spicedesk simulated keyboard', serial: o.serial ?? 'SIM-KBD-0001',
    };
  }

  private deviceDescriptor(): Uint8Array {
    const d = this.description;
    return Uint8Array.of(18, 1, ...le16(0x0200), 0, 0, 0, d.maxPacketSize0, ...le16(d.vendorId), ...le16(d.productId), ...le16(d.deviceVersionBcd), 1, 2, 3, 1);
  }

  private hidDescriptor(): number[] {
    return [9, 0x21, ...le16(0x0111), 0, 1, 0x22, ...le16(BOOT_KEYBOARD_REPORT_DESCRIPTOR.length)];
  }

  private configDescriptor(): Uint8Array {
    const body = [
      9, 4, 0, 0, 1, 3, 1, 1, 0, // interface 0: one endpoint, HID boot keyboard
      ...this.hidDescriptor(),
      7, 5, 0x81, 3, ...le16(8), 10, // endpoint 0x81 interrupt, 8 bytes, 10 ms
    ];
    return Uint8Array.of(9, 2, ...le16(9 + body.length), 1, 1, 0, 0xa0, 50, ...body);
  }

  private stringDescriptor(index: number): Uint8Array | null {
    const d = this.description;
    const strings: Record<number, string | undefined> = { 1: d.manufacturer, 2: d.product, 3: d.serial };
    if (index === 0) return Uint8Array.of(4, 3, 0x09, 0x04);
    const text = strings[index];
    return text === undefined ? null : utf16Descriptor(text);
  }

  configuration(): UsbActiveConfiguration {
    if (this.configured === 0) return { value: 0, interfaces: [] };
    return {
      value: 1,
      interfaces: [{ number: 0, alternate: 0, class: 3, subclass: 1, protocol: 1, endpoints: [{ address: 0x81, type: 'interrupt', maxPacketSize: 8, interval: 10 }] }],
    };
  }

  selectConfiguration(value: number): UsbTransferStatus {
    if (value !== 0 && value !== 1) return 'stall';
    this.configured = value;
    return 'ok';
  }

  control(setup: UsbSetup, lengthOrData: number | Uint8Array): UsbTransferResult {
    const { requestType, request, value } = setup;
    this.requests.push(`${hex2(requestType)}/${hex2(request)}/${value.toString(16).padStart(4, '0')}`);
    const reply = (bytes: Uint8Array | number[] | null): UsbTransferResult => {
      if (!bytes) return { status: 'stall' };
      const data = Uint8Array.from(bytes);
      return { status: 'ok', data: data.subarray(0, typeof lengthOrData === 'number' ? lengthOrData : data.length) };
    };
    const ok: UsbTransferResult = { status: 'ok', written: typeof lengthOrData === 'number' ? 0 : lengthOrData.length };
    const key = `${hex2(requestType)}/${hex2(request)}`;
    switch (key) {
      case '80/06': {
        const type = value >> 8;
        if (type === 1) return reply(this.deviceDescriptor());
        if (type === 2) return reply(this.configDescriptor());
        if (type === 3) return reply(this.stringDescriptor(value & 0xff));
        return reply(null); // device qualifier (6) and others: a full-speed device has none
      }
      case '81/06': {
        const type = value >> 8;
        if (type === 0x22) return reply(BOOT_KEYBOARD_REPORT_DESCRIPTOR);
        if (type === 0x21) return reply(this.hidDescriptor());
        return reply(null);
      }
      case '80/00': case '81/00': case '82/00': return reply([0, 0]);
      case '80/08': return reply([this.configured]);
      case '00/01': case '00/03': case '02/01': case '02/03': return ok;
      case '21/0a': this.idle = value >> 8; return ok;
      case '21/0b': this.protocol = value & 1; return ok;
      case '21/09':
        if (typeof lengthOrData !== 'number' && lengthOrData.length > 0) this.leds = lengthOrData[0];
        return ok;
      case 'a1/01': return reply(this.current);
      case 'a1/02': return reply([this.idle]);
      case 'a1/03': return reply([this.protocol]);
      default: return reply(null);
    }
  }

  /** Queues one report (modifier byte, then up to 6 HID usages). */
  report(modifiers: number, keys: number[]): void {
    const r = new Uint8Array(8);
    r[0] = modifiers;
    keys.slice(0, 6).forEach((k, i) => (r[2 + i] = k));
    this.reports.push(r);
    this.deliver();
  }

  /** A key press and release: the report with `usage` down, then all keys up. */
  press(usage: number, modifiers = 0): void {
    this.report(modifiers, [usage]);
    this.report(0, []);
  }

  private deliver(): void {
    if (!this.waiter || this.reports.length === 0) return;
    const w = this.waiter;
    this.waiter = null;
    w(this.reports.shift()!);
  }

  async transferIn(endpoint: number, _length: number, signal?: AbortSignal): Promise<UsbTransferResult> {
    if (endpoint !== 0x81 || this.configured !== 1) return { status: 'stall' };
    if (this.waiter) return { status: 'error' }; // one transfer at a time on this endpoint
    const report = await new Promise<Uint8Array | null>((resolve) => {
      this.waiter = resolve;
      signal?.addEventListener('abort', () => {
        if (this.waiter === resolve) this.waiter = null;
        resolve(null);
      }, { once: true });
      this.deliver();
    });
    if (!report) return { status: 'cancelled' };
    this.current = report;
    return { status: 'ok', data: report };
  }

  async transferOut(): Promise<UsbTransferResult> {
    return { status: 'stall' };
  }

  reset(): void {
    this.requests.push('reset');
  }
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/** A device source of simulated devices: plug and unplug them from the test. */
export class SimulatedUsbSource implements UsbDeviceSource {
  readonly name = 'simulated devices (tests only)';
  readonly events = new Emitter<UsbSourceEvents>();
  private readonly devices = new Map<string, SimulatedDevice>();
  private readonly opened = new Set<string>();

  plug<D extends SimulatedDevice>(device: D): UsbDeviceDescription & { device: D } {
    this.devices.set(device.description.id, device);
    this.events.emit('added', device.description);
    return { ...device.description, device };
  }

  unplug(id: string): void {
    const device = this.devices.get(id);
    if (!device) return;
    this.devices.delete(id);
    this.events.emit('removed', device.description);
  }

  async list(): Promise<UsbDeviceDescription[]> {
    return [...this.devices.values()].map((d) => d.description);
  }

  async open(id: string): Promise<UsbDeviceHandle> {
    const device = this.devices.get(id);
    if (!device) throw new Error(`no simulated USB device ${id}`);
    if (this.opened.has(id)) throw new Error(`the simulated USB device ${id} is already open`);
    this.opened.add(id);
    const gone = (): boolean => !this.devices.has(id);
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
      close: async () => void this.opened.delete(id),
    };
  }
}

export interface SimulatedDiskOptions {
  id?: string;
  /** The backing file: its size (a multiple of 512) is the disk's. */
  path: string;
  productId?: number;
}

const CBW_SIGNATURE = 0x43425355; // "USBC"
const CSW_SIGNATURE = 0x53425355; // "USBS"
const BLOCK = 512;

/**
 * A high-speed USB mass-storage disk backed by a file: bulk-only transport (CBW 31 bytes on bulk
 * OUT 0x02, data, CSW 13 bytes on bulk IN 0x81; USB Mass Storage Class Bulk-Only Transport 1.0)
 * and the SCSI commands Linux's usb-storage and sd send: TEST UNIT READY, REQUEST SENSE, INQUIRY,
 * READ CAPACITY(10), MODE SENSE(6)/(10), READ(10), WRITE(10), PREVENT ALLOW MEDIUM REMOVAL,
 * START STOP UNIT, SYNCHRONIZE CACHE(10). Anything else fails with ILLEGAL REQUEST / invalid
 * opcode. Writes go to the file at once.
 */
export class SimulatedDisk implements SimulatedDevice {
  readonly description: UsbDeviceDescription;
  readonly requests: string[] = [];
  /** SCSI opcodes seen, in order (hex). */
  readonly commands: string[] = [];
  /** Bytes moved by READ(10) and WRITE(10). */
  bytesRead = 0;
  bytesWritten = 0;
  private readonly fd: number;
  private readonly blocks: number;
  private configured = 1;
  private phase: { kind: 'cbw' } | { kind: 'in'; tag: number; data: Uint8Array; at: number; expected: number; status: number }
    | { kind: 'out'; tag: number; lba: number; expected: number; received: number } | { kind: 'csw'; tag: number; residue: number; status: number } = { kind: 'cbw' };
  private sense = { key: 0, asc: 0, ascq: 0 };

  constructor(o: SimulatedDiskOptions) {
    this.fd = openSync(o.path, 'r+');
    const size = fstatSync(this.fd).size;
    if (size % BLOCK !== 0 || size === 0) throw new Error(`the simulated disk's file must be a non-empty multiple of ${BLOCK} bytes, ${o.path} has ${size}`);
    this.blocks = size / BLOCK;
    this.description = {
      id: o.id ?? 'sim:disk', vendorId: 0x1209, productId: o.productId ?? 0x0002,
      deviceClass: 0, deviceSubclass: 0, deviceProtocol: 0, deviceVersionBcd: 0x0100, speed: 'high', maxPacketSize0: 64,
      manufacturer: 'spicedesk', product: 'spicedesk simulated disk', serial: 'SIMDISK00001',
    };
  }

  close(): void {
    closeSync(this.fd);
  }

  configuration(): UsbActiveConfiguration {
    if (this.configured === 0) return { value: 0, interfaces: [] };
    return {
      value: 1,
      interfaces: [{
        number: 0, alternate: 0, class: 8, subclass: 6, protocol: 0x50,
        endpoints: [{ address: 0x81, type: 'bulk', maxPacketSize: 512, interval: 0 }, { address: 0x02, type: 'bulk', maxPacketSize: 512, interval: 0 }],
      }],
    };
  }

  selectConfiguration(value: number): UsbTransferStatus {
    if (value !== 0 && value !== 1) return 'stall';
    this.configured = value;
    return 'ok';
  }

  private configDescriptor(): Uint8Array {
    const body = [9, 4, 0, 0, 2, 8, 6, 0x50, 0, 7, 5, 0x81, 2, ...le16(512), 0, 7, 5, 0x02, 2, ...le16(512), 0];
    return Uint8Array.of(9, 2, ...le16(9 + body.length), 1, 1, 0, 0x80, 50, ...body);
  }

  control(setup: UsbSetup, lengthOrData: number | Uint8Array): UsbTransferResult {
    const { requestType, request, value } = setup;
    this.requests.push(`${hex2(requestType)}/${hex2(request)}/${value.toString(16).padStart(4, '0')}`);
    const reply = (bytes: Uint8Array | number[] | null): UsbTransferResult => {
      if (!bytes) return { status: 'stall' };
      const data = Uint8Array.from(bytes);
      return { status: 'ok', data: data.subarray(0, typeof lengthOrData === 'number' ? lengthOrData : data.length) };
    };
    const ok: UsbTransferResult = { status: 'ok', written: typeof lengthOrData === 'number' ? 0 : lengthOrData.length };
    const d = this.description;
    switch (`${hex2(requestType)}/${hex2(request)}`) {
      case '80/06': {
        const type = value >> 8;
        const index = value & 0xff;
        if (type === 1) return reply(Uint8Array.of(18, 1, ...le16(0x0200), 0, 0, 0, 64, ...le16(d.vendorId), ...le16(d.productId), ...le16(d.deviceVersionBcd), 1, 2, 3, 1));
        if (type === 2) return reply(this.configDescriptor());
        if (type === 6) return reply([10, 6, ...le16(0x0200), 0, 0, 0, 64, 1, 0]); // device qualifier: a high-speed device has one
        if (type === 3) {
          if (index === 0) return reply([4, 3, 0x09, 0x04]);
          const text = ({ 1: d.manufacturer, 2: d.product, 3: d.serial } as Record<number, string | undefined>)[index];
          return reply(text === undefined ? null : utf16Descriptor(text));
        }
        return reply(null);
      }
      case '80/00': case '81/00': case '82/00': return reply([0, 0]);
      case '80/08': return reply([this.configured]);
      case '00/01': case '00/03': case '02/01': case '02/03': return ok;
      case 'a1/fe': return reply([0]); // GET MAX LUN: one LUN
      case '21/ff': this.phase = { kind: 'cbw' }; return ok; // Bulk-Only Mass Storage Reset
      default: return reply(null);
    }
  }

  private fail(tag: number, expected: number, key: number, asc: number): void {
    this.sense = { key, asc, ascq: 0 };
    this.phase = expected > 0 ? { kind: 'in', tag, data: new Uint8Array(0), at: 0, expected, status: 1 } : { kind: 'csw', tag, residue: 0, status: 1 };
  }

  private respond(tag: number, expected: number, bytes: Uint8Array | number[]): void {
    this.sense = { key: 0, asc: 0, ascq: 0 };
    const data = Uint8Array.from(bytes).subarray(0, expected);
    this.phase = expected > 0 ? { kind: 'in', tag, data, at: 0, expected, status: 0 } : { kind: 'csw', tag, residue: 0, status: 0 };
  }

  private command(tag: number, expected: number, cb: Uint8Array): void {
    const op = cb[0];
    this.commands.push(hex2(op));
    const be32 = (at: number): number => ((cb[at] << 24) | (cb[at + 1] << 16) | (cb[at + 2] << 8) | cb[at + 3]) >>> 0;
    const be16 = (at: number): number => (cb[at] << 8) | cb[at + 1];
    const ascii = (text: string, n: number): number[] => Array.from(text.padEnd(n).slice(0, n), (c) => c.charCodeAt(0));
    switch (op) {
      case 0x00: case 0x1e: case 0x1b: return this.respond(tag, expected, []);
      case 0x35: fsyncSync(this.fd); return this.respond(tag, expected, []);
      case 0x03: {
        const s = this.sense;
        this.respond(tag, expected, [0x70, 0, s.key, 0, 0, 0, 0, 10, 0, 0, 0, 0, s.asc, s.ascq, 0, 0, 0, 0]);
        return;
      }
      case 0x12:
        if (cb[1] & 1) return this.fail(tag, expected, 0x05, 0x24); // no vital product data pages
        return this.respond(tag, expected, [0, 0x80, 4, 2, 31, 0, 0, 0, ...ascii('spicedsk', 8), ...ascii('simulated disk', 16), ...ascii('1.00', 4)]);
      case 0x25: {
        const last = this.blocks - 1;
        return this.respond(tag, expected, [last >>> 24, (last >> 16) & 0xff, (last >> 8) & 0xff, last & 0xff, 0, 0, BLOCK >> 8, BLOCK & 0xff]);
      }
      case 0x1a: return this.respond(tag, expected, [3, 0, 0, 0]);
      case 0x5a: return this.respond(tag, expected, [0, 6, 0, 0, 0, 0, 0, 0]);
      case 0x28: case 0x2a: {
        const lba = be32(2);
        const count = be16(7);
        if (lba + count > this.blocks) return this.fail(tag, expected, 0x05, 0x21); // LBA out of range
        if (op === 0x28) {
          const data = new Uint8Array(count * BLOCK);
          readSync(this.fd, data, 0, data.length, lba * BLOCK);
          this.bytesRead += data.length;
          return this.respond(tag, expected, data);
        }
        this.phase = { kind: 'out', tag, lba, expected: Math.min(expected, count * BLOCK), received: 0 };
        if (this.phase.expected === 0) this.phase = { kind: 'csw', tag, residue: 0, status: 0 };
        return;
      }
      default:
        return this.fail(tag, expected, 0x05, 0x20); // ILLEGAL REQUEST, invalid command operation code
    }
  }

  async transferOut(endpoint: number, data: Uint8Array): Promise<UsbTransferResult> {
    if (endpoint !== 0x02) return { status: 'stall' };
    const phase = this.phase;
    if (phase.kind === 'out') {
      const take = data.subarray(0, phase.expected - phase.received);
      writeSync(this.fd, take, 0, take.length, phase.lba * BLOCK + phase.received);
      phase.received += take.length;
      this.bytesWritten += take.length;
      if (phase.received >= phase.expected) this.phase = { kind: 'csw', tag: phase.tag, residue: 0, status: 0 };
      return { status: 'ok', written: data.length };
    }
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (data.length !== 31 || view.getUint32(0, true) !== CBW_SIGNATURE) return { status: 'stall' };
    const tag = view.getUint32(4, true);
    const expected = view.getUint32(8, true);
    this.command(tag, expected, data.subarray(15, 15 + Math.min(16, data[14])));
    return { status: 'ok', written: 31 };
  }

  async transferIn(endpoint: number, length: number): Promise<UsbTransferResult> {
    if (endpoint !== 0x81) return { status: 'stall' };
    const phase = this.phase;
    if (phase.kind === 'in') {
      const chunk = phase.data.subarray(phase.at, phase.at + length);
      phase.at += chunk.length;
      // A short (or empty) transfer ends the data phase; the CSW says how much was not sent.
      if (phase.at >= phase.data.length) this.phase = { kind: 'csw', tag: phase.tag, residue: phase.expected - phase.data.length, status: phase.status };
      return { status: 'ok', data: chunk.slice() };
    }
    if (phase.kind === 'csw') {
      this.phase = { kind: 'cbw' };
      const csw = new Uint8Array(13);
      const view = new DataView(csw.buffer);
      view.setUint32(0, CSW_SIGNATURE, true);
      view.setUint32(4, phase.tag, true);
      view.setUint32(8, phase.residue, true);
      csw[12] = phase.status;
      return { status: 'ok', data: csw };
    }
    return { status: 'stall' };
  }

  reset(): void {
    this.requests.push('reset');
    this.phase = { kind: 'cbw' };
  }
}
