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
// SimulatedDisk is a high-speed mass-storage disk backed by a file (the client's bulk-only
// transport of src/main/usb/mass-storage.ts, a writable SCSI disk here); its bulk transfers are
// what exercises LZ4 on the usbredir channel both ways.
//
// The keyboard is a full-speed HID boot keyboard (HID 1.11, appendix B.1's report descriptor):
// device, configuration, interface, HID, endpoint and string descriptors; GET_STATUS,
// SET_IDLE/GET_IDLE, SET_PROTOCOL/GET_PROTOCOL, SET_REPORT (LEDs), GET_REPORT; interrupt IN
// endpoint 0x81 (8 bytes, 10 ms) that answers only when a report is waiting, as a real device NAKs.
// Like a device on a Linux host, it is already in configuration 1 when opened (the kernel
// configured it) and a reset keeps it there (libusb re-applies the configuration).
import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import type { UsbActiveConfiguration, UsbDeviceDescription, UsbSetup, UsbTransferResult, UsbTransferStatus } from '../../src/main/usb/device-source.ts';
import { beginControl, deviceStringDescriptor, EmulatedUsbSource, le16, type EmulatedUsbDevice } from '../../src/main/usb/emulated-device.ts';
import {
  asciiField, be16, be32, be32Bytes, BulkOnlyMassStorage, SENSE, type ScsiResult, type ScsiTarget,
} from '../../src/main/usb/mass-storage.ts';

/** What a simulated device implements: the descriptors and requests of its own class. */
export type SimulatedDevice = EmulatedUsbDevice;


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
      interfaces: [{ class: 3, subclass: 1, protocol: 1 }],
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
    const { value } = setup;
    const { key, reply, ok } = beginControl(this.requests, setup, lengthOrData);
    switch (key) {
      case '80/06': {
        const type = value >> 8;
        if (type === 1) return reply(this.deviceDescriptor());
        if (type === 2) return reply(this.configDescriptor());
        if (type === 3) return reply(deviceStringDescriptor(this.description, value & 0xff));
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


/** A device source of simulated devices: plug and unplug them from the test. */
export class SimulatedUsbSource extends EmulatedUsbSource {
  constructor() {
    super('simulated devices (tests only)');
  }
}

export interface SimulatedDiskOptions {
  id?: string;
  /** The backing file: its size (a multiple of 512) is the disk's. */
  path: string;
  productId?: number;
}

const BLOCK = 512;

/**
 * A file-backed disk as a SCSI block device: TEST UNIT READY, INQUIRY, READ CAPACITY(10),
 * MODE SENSE(6)/(10), READ(10), WRITE(10), PREVENT ALLOW MEDIUM REMOVAL, START STOP UNIT,
 * SYNCHRONIZE CACHE(10); REQUEST SENSE is the transport's. Anything else fails with ILLEGAL
 * REQUEST / invalid opcode. Writes go to the file at once.
 */
class FileDiskTarget implements ScsiTarget {
  bytesRead = 0;
  bytesWritten = 0;
  readonly fd: number;
  readonly blocks: number;

  constructor(path: string) {
    this.fd = openSync(path, 'r+');
    const size = fstatSync(this.fd).size;
    if (size % BLOCK !== 0 || size === 0) throw new Error(`the simulated disk's file must be a non-empty multiple of ${BLOCK} bytes, ${path} has ${size}`);
    this.blocks = size / BLOCK;
  }

  command(cb: Uint8Array): ScsiResult {
    const good = (bytes: number[] | Uint8Array = []): ScsiResult => ({ status: 'good', data: Uint8Array.from(bytes) });
    switch (cb[0]) {
      case 0x00: case 0x1e: case 0x1b: return good();
      case 0x35: fsyncSync(this.fd); return good();
      case 0x12:
        if (cb[1] & 1) return { status: 'check', sense: SENSE.invalidFieldInCdb }; // no vital product data pages
        return good([0, 0x80, 4, 2, 31, 0, 0, 0, ...asciiField('spicedsk', 8), ...asciiField('simulated disk', 16), ...asciiField('1.00', 4)]);
      case 0x25: return good([...be32Bytes(this.blocks - 1), ...be32Bytes(BLOCK)]);
      case 0x1a: return good([3, 0, 0, 0]);
      case 0x5a: return good([0, 6, 0, 0, 0, 0, 0, 0]);
      case 0x28: case 0x2a: {
        const lba = be32(cb, 2);
        const count = be16(cb, 7);
        if (lba + count > this.blocks) return { status: 'check', sense: SENSE.lbaOutOfRange };
        if (cb[0] === 0x28) {
          const data = new Uint8Array(count * BLOCK);
          readSync(this.fd, data, 0, data.length, lba * BLOCK);
          this.bytesRead += data.length;
          return { status: 'good', data };
        }
        return {
          status: 'receive', length: count * BLOCK,
          receive: (offset, chunk) => {
            writeSync(this.fd, chunk, 0, chunk.length, lba * BLOCK + offset);
            this.bytesWritten += chunk.length;
          },
        };
      }
      default:
        return { status: 'check', sense: SENSE.invalidOpcode };
    }
  }
}

/**
 * A high-speed USB mass-storage disk backed by a file: the client's bulk-only transport
 * (src/main/usb/mass-storage.ts, shared with the shared CD) over a writable SCSI disk, which stays
 * test-only.
 */
export class SimulatedDisk extends BulkOnlyMassStorage {
  private readonly disk: FileDiskTarget;

  constructor(o: SimulatedDiskOptions) {
    const disk = new FileDiskTarget(o.path);
    super({
      id: o.id ?? 'sim:disk', vendorId: 0x1209, productId: o.productId ?? 0x0002,
      manufacturer: 'spicedesk', product: 'spicedesk simulated disk', serial: 'SIMDISK00001',
    }, disk);
    this.disk = disk;
  }

  /** Bytes moved by READ(10) and WRITE(10). */
  get bytesRead(): number {
    return this.disk.bytesRead;
  }

  get bytesWritten(): number {
    return this.disk.bytesWritten;
  }

  close(): void {
    closeSync(this.disk.fd);
  }
}
