// A USB mass-storage device made by the client: the bulk-only transport (USB Mass Storage Class
// Bulk-Only Transport 1.0: a 31-byte CBW on bulk OUT 0x02, the data, a 13-byte CSW on bulk IN 0x81)
// over a SCSI target that answers the commands (the shared CD's MMC in iso-cdrom.ts; the tests'
// file-backed disk). The transport keeps the sense data of the last failed command and answers
// REQUEST SENSE itself, so a target only says what failed.
import type { UsbActiveConfiguration, UsbDeviceDescription, UsbSetup, UsbTransferResult, UsbTransferStatus } from './device-source.ts';
import { beginControl, deviceStringDescriptor, hex2, le16, type EmulatedUsbDevice } from './emulated-device.ts';

export interface ScsiSense {
  key: number;
  asc: number;
  ascq: number;
}

export const SENSE = {
  none: { key: 0, asc: 0, ascq: 0 },
  invalidOpcode: { key: 0x05, asc: 0x20, ascq: 0 },
  lbaOutOfRange: { key: 0x05, asc: 0x21, ascq: 0 },
  invalidFieldInCdb: { key: 0x05, asc: 0x24, ascq: 0 },
  writeProtected: { key: 0x07, asc: 0x27, ascq: 0 },
  mediumNotPresent: { key: 0x02, asc: 0x3a, ascq: 0 },
} as const satisfies Record<string, ScsiSense>;

export type ScsiResult =
  /** Done; `data` goes to the host (a data-in command), handed over: the target keeps no reference to it. */
  | { status: 'good'; data?: Uint8Array }
  | { status: 'check'; sense: ScsiSense }
  /** A data-out command: the host's bytes go to `receive` in order, `length` of them at most. */
  | { status: 'receive'; length: number; receive: (offset: number, chunk: Uint8Array) => void };

export interface ScsiTarget {
  command(cdb: Uint8Array, expectedLength: number): ScsiResult;
  reset?(): void;
}

export interface MassStorageIdentity {
  id: string;
  vendorId: number;
  productId: number;
  manufacturer: string;
  product: string;
  serial: string;
  /**
   * 'super' offers the device as SuperSpeed (USB 3.2 Gen 1: bcdUSB 3.20, 1024-byte bulk packets,
   * endpoint companions, a BOS). Linux's usb-storage then lets one SCSI command move 1 MiB
   * (2048 sectors) instead of the 120 KiB it allows a high-speed device, so a guest's large read
   * takes an eighth of the round trips through QEMU, spice-server and the client. Default 'high'.
   */
  speed?: 'high' | 'super';
}

const CBW_SIGNATURE = 0x43425355; // "USBC"
const CSW_SIGNATURE = 0x53425355; // "USBS"
const BULK_IN = 0x81;
const BULK_OUT = 0x02;
/** wMaxPacketSize of the bulk endpoints: 512 at high speed, 1024 at SuperSpeed. */
const MAX_PACKET = { high: 512, super: 1024 } as const;

type Phase =
  | { kind: 'cbw' }
  | { kind: 'in'; tag: number; data: Uint8Array; at: number; expected: number; status: number }
  | { kind: 'out'; tag: number; expected: number; received: number; receive: ((offset: number, chunk: Uint8Array) => void) | null; status: number }
  | { kind: 'csw'; tag: number; residue: number; status: number };

/** A high-speed mass-storage device (SCSI transparent command set, bulk-only) over a SCSI target. */
export class BulkOnlyMassStorage implements EmulatedUsbDevice {
  readonly description: UsbDeviceDescription;
  readonly requests: string[] = [];
  /** SCSI opcodes seen, in order (hex), kept to the last 1000. */
  readonly commands: string[] = [];
  protected readonly target: ScsiTarget;
  private configured = 1;
  private phase: Phase = { kind: 'cbw' };
  private sense: ScsiSense = SENSE.none;
  private readonly superSpeed: boolean;
  /** The guest showed a USB 2 host (a 64-byte device descriptor read): ep0 is 64 bytes then. */
  private usb2Host = false;
  private readonly maxPacket: number;

  constructor(identity: MassStorageIdentity, target: ScsiTarget) {
    this.target = target;
    this.superSpeed = identity.speed === 'super';
    this.maxPacket = MAX_PACKET[identity.speed ?? 'high'];
    this.description = {
      id: identity.id, vendorId: identity.vendorId, productId: identity.productId,
      deviceClass: 0, deviceSubclass: 0, deviceProtocol: 0, deviceVersionBcd: 0x0100, speed: identity.speed ?? 'high',
      maxPacketSize0: this.superSpeed ? 512 : 64,
      manufacturer: identity.manufacturer, product: identity.product, serial: identity.serial,
      interfaces: [{ class: 8, subclass: 6, protocol: 0x50 }],
    };
  }

  configuration(): UsbActiveConfiguration {
    if (this.configured === 0) return { value: 0, interfaces: [] };
    return {
      value: 1,
      interfaces: [{
        number: 0, alternate: 0, class: 8, subclass: 6, protocol: 0x50,
        endpoints: [{ address: BULK_IN, type: 'bulk', maxPacketSize: this.bulkPacket(), interval: 0 }, { address: BULK_OUT, type: 'bulk', maxPacketSize: this.bulkPacket(), interval: 0 }],
      }],
    };
  }

  selectConfiguration(value: number): UsbTransferStatus {
    if (value !== 0 && value !== 1) return 'stall';
    this.configured = value;
    return 'ok';
  }

  private configDescriptor(): Uint8Array {
    // At SuperSpeed every endpoint is followed by its companion (no bursts, no streams).
    const companion = this.atSuperSpeed() ? [6, 0x30, 0, 0, 0, 0] : [];
    const packet = this.bulkPacket();
    const body = [9, 4, 0, 0, 2, 8, 6, 0x50, 0, 7, 5, BULK_IN, 2, ...le16(packet), 0, ...companion, 7, 5, BULK_OUT, 2, ...le16(packet), 0, ...companion];
    // bMaxPower: 100 mA, in 2 mA units below SuperSpeed, 8 mA units at it.
    return Uint8Array.of(9, 2, ...le16(9 + body.length), 1, 1, 0, 0x80, this.atSuperSpeed() ? 13 : 50, ...body);
  }

  /** Offered as SuperSpeed and the guest's port has not shown itself USB 2. */
  private atSuperSpeed(): boolean {
    return this.superSpeed && !this.usb2Host;
  }

  /** wMaxPacketSize of the bulk endpoints: 1024 at SuperSpeed, 512 at high speed (also on a USB 2 port). */
  private bulkPacket(): number {
    return this.atSuperSpeed() ? this.maxPacket : MAX_PACKET.high;
  }

  /**
   * bMaxPacketSize0 for a device descriptor read of `lengthOrData` bytes. At SuperSpeed it is a
   * power of two, 9 (512 bytes), but the guest's port may be USB 2 only (EHCI): QEMU then lets
   * the device in at high speed, where 9 is invalid, and usbredir does not say which port it is.
   * Linux checks the field both ways ("Invalid ep0 maxpacket: 9" on EHCI, "...: 64" on xHCI at
   * SuperSpeed, each attempt given up; measured on this guest). What the guest asks tells: a USB 2
   * host reads 64 bytes first (Linux's and Windows' "new scheme", before SET_ADDRESS), a
   * SuperSpeed one does not; from such a read on, this device answers 64. On a USB 2 host the
   * configuration then says 512-byte bulk endpoints without SuperSpeed companions (ep_info
   * follows it after SET_CONFIGURATION), as a USB 3 device on a USB 2 port does.
   */
  private maxPacketSize0Field(lengthOrData: number | Uint8Array): number {
    if (!this.superSpeed) return 64;
    if (typeof lengthOrData === 'number' && lengthOrData > 18) this.usb2Host = true;
    return this.usb2Host ? 64 : 9;
  }

  /** The BOS of a SuperSpeed device: the USB 2.0 extension (no LPM) and the SuperSpeed capability. */
  private bosDescriptor(): Uint8Array {
    const usb2 = [7, 0x10, 0x02, 0, 0, 0, 0];
    // Speeds supported: full, high, super (0x0e); lowest with full function: full; exit latencies.
    const superSpeed = [10, 0x10, 0x03, 0, ...le16(0x000e), 1, 0x0a, ...le16(0x07ff)];
    const total = 5 + usb2.length + superSpeed.length;
    return Uint8Array.of(5, 0x0f, ...le16(total), 2, ...usb2, ...superSpeed);
  }

  control(setup: UsbSetup, lengthOrData: number | Uint8Array): UsbTransferResult {
    const { value } = setup;
    const { key, reply, ok } = beginControl(this.requests, setup, lengthOrData);
    const d = this.description;
    switch (key) {
      case '80/06': {
        const type = value >> 8;
        if (type === 1) return reply(Uint8Array.of(18, 1, ...le16(this.superSpeed ? 0x0320 : 0x0200), 0, 0, 0, this.maxPacketSize0Field(lengthOrData), ...le16(d.vendorId), ...le16(d.productId), ...le16(d.deviceVersionBcd), 1, 2, 3, 1));
        if (type === 2) return reply(this.configDescriptor());
        if (type === 15) return reply(this.superSpeed ? this.bosDescriptor() : null);
        // Device qualifier: a high-speed device has one; a device running at SuperSpeed answers with a stall.
        if (type === 6) return reply(this.superSpeed ? null : [10, 6, ...le16(0x0200), 0, 0, 0, 64, 1, 0]);
        if (type === 3) return reply(deviceStringDescriptor(d, value & 0xff));
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

  private command(tag: number, expected: number, dataIn: boolean, cb: Uint8Array): void {
    const op = cb[0];
    this.commands.push(hex2(op));
    if (this.commands.length > 1000) this.commands.splice(0, 500);
    let result: ScsiResult;
    if (op === 0x03) {
      // REQUEST SENSE: fixed format, the sense of the last command; then it is cleared.
      const s = this.sense;
      result = { status: 'good', data: Uint8Array.of(0x70, 0, s.key, 0, 0, 0, 0, 10, 0, 0, 0, 0, s.asc, s.ascq, 0, 0, 0, 0) };
    } else {
      try {
        result = this.target.command(cb, expected);
      } catch {
        result = { status: 'check', sense: { key: 0x04, asc: 0x44, ascq: 0 } }; // HARDWARE ERROR, internal target failure
      }
    }
    if (result.status === 'receive') {
      this.sense = SENSE.none;
      const length = Math.min(expected, result.length);
      this.phase = length > 0 && !dataIn
        ? { kind: 'out', tag, expected, received: 0, receive: result.receive, status: 0 }
        : { kind: 'csw', tag, residue: expected, status: length > 0 ? 2 : 0 }; // phase error: the host sends nothing
      return;
    }
    const status = result.status === 'good' ? 0 : 1;
    this.sense = result.status === 'good' ? SENSE.none : result.sense;
    const data = result.status === 'good' && result.data ? result.data.subarray(0, expected) : new Uint8Array(0);
    if (expected === 0) this.phase = { kind: 'csw', tag, residue: 0, status };
    else if (dataIn) this.phase = { kind: 'in', tag, data, at: 0, expected, status };
    // Data-out the command did not want (a write to a read-only medium): take the bytes, drop them.
    else this.phase = { kind: 'out', tag, expected, received: 0, receive: null, status };
  }

  async transferOut(endpoint: number, data: Uint8Array): Promise<UsbTransferResult> {
    if (endpoint !== BULK_OUT) return { status: 'stall' };
    const phase = this.phase;
    if (phase.kind === 'out') {
      const take = data.subarray(0, phase.expected - phase.received);
      phase.receive?.(phase.received, take);
      phase.received += take.length;
      if (phase.received >= phase.expected) this.phase = { kind: 'csw', tag: phase.tag, residue: 0, status: phase.status };
      return { status: 'ok', written: data.length };
    }
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (data.length !== 31 || view.getUint32(0, true) !== CBW_SIGNATURE) return { status: 'stall' };
    const tag = view.getUint32(4, true);
    const expected = view.getUint32(8, true);
    const dataIn = (data[12] & 0x80) !== 0;
    this.command(tag, expected, dataIn, data.subarray(15, 15 + Math.max(1, Math.min(16, data[14]))));
    return { status: 'ok', written: 31 };
  }

  async transferIn(endpoint: number, length: number): Promise<UsbTransferResult> {
    if (endpoint !== BULK_IN) return { status: 'stall' };
    const phase = this.phase;
    if (phase.kind === 'in') {
      const chunk = phase.data.subarray(phase.at, phase.at + length);
      phase.at += chunk.length;
      // A short (or empty) transfer ends the data phase; the CSW says how much was not sent.
      if (phase.at >= phase.data.length) this.phase = { kind: 'csw', tag: phase.tag, residue: phase.expected - phase.data.length, status: phase.status };
      // A view, not a copy: the data is the transport's alone (ScsiResult hands it over).
      return { status: 'ok', data: chunk };
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
    this.target.reset?.();
  }
}

/** Fixed-width ASCII, space padded (INQUIRY's vendor, product and revision fields). */
export function asciiField(text: string, width: number): number[] {
  return Array.from(text.padEnd(width).slice(0, width), (c) => c.charCodeAt(0) & 0x7f);
}

export const be32 = (cb: Uint8Array, at: number): number => ((cb[at] << 24) | (cb[at + 1] << 16) | (cb[at + 2] << 8) | cb[at + 3]) >>> 0;
export const be16 = (cb: Uint8Array, at: number): number => (cb[at] << 8) | cb[at + 1];
export const be32Bytes = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
