// The shared CD/ISO (remote-viewer's --spice-share-cd): an ISO file offered to the guest as a USB
// CD-ROM drive, read-only. The bulk-only transport is mass-storage.ts; this is the SCSI MMC side,
// the commands Linux's sr and cdrom drivers (and Windows' cdrom.sys) send: INQUIRY (peripheral
// type 5, removable), READ CAPACITY with 2048-byte blocks, READ(10)/(12), TEST UNIT READY,
// REQUEST SENSE (the transport), MODE SENSE(6)/(10) (the CD capabilities page 2Ah), PREVENT/ALLOW
// MEDIUM REMOVAL, START STOP UNIT, GET CONFIGURATION (the current profile), READ TOC (formats 0
// and 1: one data track, one session), GET EVENT STATUS NOTIFICATION (media class: "new media"
// once, then "no change"). Anything else is logged once per opcode and answered ILLEGAL REQUEST /
// invalid opcode; writes are DATA PROTECT / write protected.
import { Buffer } from 'node:buffer';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import type { Logger } from '../../protocol/logger.ts';
import {
  asciiField, be16, be32, be32Bytes, BulkOnlyMassStorage, SENSE, type ScsiResult, type ScsiTarget,
} from './mass-storage.ts';

export const CD_BLOCK = 2048;

/**
 * The shared CD's USB ids: pid.codes' test VID:PID pair 1209:0003 (the simulated keyboard and disk
 * use 0001 and 0002), until spicedesk has a PID of its own.
 */
export const SHARED_CD_VENDOR_ID = 0x1209;
export const SHARED_CD_PRODUCT_ID = 0x0003;

/** MMC profile numbers for GET CONFIGURATION. */
const PROFILE_CD_ROM = 0x0008;
const PROFILE_DVD_ROM = 0x0010;
/** The most one READ may ask for (Linux asks 120 KiB at a time; Windows up to 1 MiB). */
const MAX_READ_BYTES = 16 * 1024 * 1024;
/** A CD holds at most about 900 MB; larger images are announced as DVDs. */
const CD_MAX_BYTES = 900 * 1024 * 1024;

export class IsoCdromTarget implements ScsiTarget {
  readonly path: string;
  readonly blocks: number;
  /** Bytes READ(10)/(12) gave the guest. */
  bytesRead = 0;
  /** Opcodes answered ILLEGAL REQUEST because they are not implemented (hex). */
  readonly unknownOpcodes = new Set<string>();
  private readonly fd: number;
  private readonly log: Logger;
  private mediaEventPending = true;
  private locked = false;

  constructor(path: string, logger: Logger) {
    this.path = path;
    this.log = logger;
    this.fd = openSync(path, 'r');
    const size = fstatSync(this.fd).size;
    if (size === 0) {
      closeSync(this.fd);
      throw new Error(`${path} is empty: not an ISO image`);
    }
    // A last partial block reads as zeros past the end of the file.
    this.blocks = Math.ceil(size / CD_BLOCK);
  }

  close(): void {
    closeSync(this.fd);
  }

  get mediumLocked(): boolean {
    return this.locked;
  }

  command(cb: Uint8Array, expected: number): ScsiResult {
    const op = cb[0];
    const good = (bytes: number[] | Uint8Array = []): ScsiResult => ({ status: 'good', data: Uint8Array.from(bytes) });
    switch (op) {
      case 0x00: // TEST UNIT READY
        return good();
      case 0x12: // INQUIRY
        if (cb[1] & 1) return { status: 'check', sense: SENSE.invalidFieldInCdb }; // no vital product data pages
        return good([5, 0x80, 5, 2, 31, 0, 0, 0, ...asciiField('spicedsk', 8), ...asciiField('shared CD', 16), ...asciiField('1.00', 4)]);
      case 0x25: // READ CAPACITY(10)
        return good([...be32Bytes(this.blocks - 1), ...be32Bytes(CD_BLOCK)]);
      case 0x28: // READ(10)
        return this.read(be32(cb, 2), be16(cb, 7), expected);
      case 0xa8: // READ(12)
        return this.read(be32(cb, 2), be32(cb, 6), expected);
      case 0x1a: // MODE SENSE(6)
        return good(this.modeSense(cb[2] & 0x3f, false));
      case 0x5a: // MODE SENSE(10)
        return good(this.modeSense(cb[2] & 0x3f, true));
      case 0x1e: // PREVENT ALLOW MEDIUM REMOVAL
        this.locked = (cb[4] & 1) !== 0;
        return good();
      case 0x1b: // START STOP UNIT: an eject asked by the guest leaves the image in (the user unshares it)
      case 0x2b: // SEEK(10)
        return good();
      case 0x46: // GET CONFIGURATION
        return good(this.configuration());
      case 0x43: // READ TOC/PMA/ATIP
        return this.readToc(cb);
      case 0x4a: // GET EVENT STATUS NOTIFICATION
        if (!(cb[1] & 1)) return { status: 'check', sense: SENSE.invalidFieldInCdb }; // only polled mode
        return good(this.eventStatus(cb[4]));
      case 0x2a: case 0xaa: case 0x2e: case 0x35: case 0x55: case 0x15: // writes, SYNCHRONIZE CACHE, MODE SELECT
        return { status: 'check', sense: SENSE.writeProtected };
      default:
        if (!this.unknownOpcodes.has(op.toString(16))) {
          this.unknownOpcodes.add(op.toString(16));
          this.log.info({ opcode: `0x${op.toString(16)}`, expected }, 'shared CD: SCSI command not implemented, answered ILLEGAL REQUEST');
        }
        return { status: 'check', sense: SENSE.invalidOpcode };
    }
  }

  private read(lba: number, count: number, expected: number): ScsiResult {
    if (lba + count > this.blocks) return { status: 'check', sense: SENSE.lbaOutOfRange };
    // The guest's numbers size the buffer: never more than the CBW asked for, nor than a bound.
    if (count * CD_BLOCK > Math.min(expected, MAX_READ_BYTES)) return { status: 'check', sense: SENSE.invalidFieldInCdb };
    // Not zero-filled first: every byte is read from the file or zeroed below.
    const data = new Uint8Array(Buffer.allocUnsafeSlow(count * CD_BLOCK).buffer, 0, count * CD_BLOCK);
    let at = 0;
    while (at < data.length) {
      const n = readSync(this.fd, data, at, data.length - at, lba * CD_BLOCK + at);
      if (n === 0) break;
      at += n;
    }
    data.fill(0, at); // past the end of the file: zeros
    this.bytesRead += data.length;
    return { status: 'good', data };
  }

  /** Mode parameter header, then page 2Ah (CD capabilities) when asked for it or for all pages. */
  private modeSense(page: number, ten: boolean): number[] {
    // 2Ah, 20 bytes: reads CD-ROM media only; byte 6: lock supported (0), lock state (1), eject (3), tray (5-7 = 1).
    const capabilities = page === 0x2a || page === 0x3f
      ? [0x2a, 18, 0, 0, 0x01, 0x00, 0x29 | (this.locked ? 0x02 : 0), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
      : [];
    // Medium type 0x01: "120 mm CD-ROM data only"; device-specific byte bit 7 = write protected.
    if (ten) {
      const length = 6 + capabilities.length;
      return [length >> 8, length & 0xff, 0x01, 0x80, 0, 0, 0, 0, ...capabilities];
    }
    return [3 + capabilities.length, 0x01, 0x80, 0, ...capabilities];
  }

  private configuration(): number[] {
    const profile = this.blocks * CD_BLOCK > CD_MAX_BYTES ? PROFILE_DVD_ROM : PROFILE_CD_ROM;
    // Header (data length, reserved, current profile), then feature 0000h: the profile list.
    const feature = [0, 0, 0x03, 4, profile >> 8, profile & 0xff, 0x01, 0];
    const length = 4 + feature.length;
    return [...be32Bytes(length), 0, 0, profile >> 8, profile & 0xff, ...feature];
  }

  /** An LBA as MSF (lead-in of 150 frames), as READ TOC gives it with the MSF bit. */
  private address(lba: number, msf: boolean): number[] {
    if (!msf) return be32Bytes(lba);
    const frames = lba + 150;
    return [0, Math.floor(frames / (75 * 60)), Math.floor(frames / 75) % 60, frames % 75];
  }

  private readToc(cb: Uint8Array): ScsiResult {
    const msf = (cb[1] & 0x02) !== 0;
    // The format in byte 2; old drivers (SFF-8020) put it in the control byte's top bits.
    const format = (cb[2] & 0x0f) || (cb[9] >> 6);
    if (format === 0) {
      const track = cb[6];
      if (track > 1 && track !== 0xaa) return { status: 'check', sense: SENSE.invalidFieldInCdb };
      const descriptors = [
        ...(track <= 1 ? [0, 0x14, 1, 0, ...this.address(0, msf)] : []), // track 1: ADR 1, data track
        0, 0x14, 0xaa, 0, ...this.address(this.blocks, msf), // lead-out
      ];
      const length = 2 + descriptors.length;
      return { status: 'good', data: Uint8Array.from([length >> 8, length & 0xff, 1, 1, ...descriptors]) };
    }
    if (format === 1) {
      // Session information: one session, its first track 1 starts at 0.
      return { status: 'good', data: Uint8Array.of(0, 10, 1, 1, 0, 0x14, 1, 0, ...this.address(0, msf)) };
    }
    return { status: 'check', sense: SENSE.invalidFieldInCdb };
  }

  private eventStatus(classes: number): number[] {
    const MEDIA = 0x10;
    if (!(classes & MEDIA)) return [0, 2, 0x80, MEDIA]; // no event of the asked classes; media is supported
    const code = this.mediaEventPending ? 2 : 0; // 2: new media, 0: no change
    this.mediaEventPending = false;
    return [0, 6, 4, MEDIA, code, 0x02, 0, 0]; // media present, door closed
  }

  reset(): void {
    this.locked = false;
  }
}

/**
 * A serial number per image file, so that several shared CDs in one VM are told apart (udev's
 * /dev/disk/by-id names, Windows' device instances): SHAREDCD and the FNV-1a hash of the path.
 */
export function sharedCdSerial(path: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < path.length; i++) hash = Math.imul(hash ^ path.charCodeAt(i), 0x01000193);
  return `SHAREDCD${(hash >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

/** The shared CD as a USB device: `cd:<file>` in device lists. */
export class IsoCdrom extends BulkOnlyMassStorage {
  readonly iso: IsoCdromTarget;

  constructor(path: string, logger: Logger) {
    const iso = new IsoCdromTarget(path, logger);
    super({
      id: `cd:${path}`, vendorId: SHARED_CD_VENDOR_ID, productId: SHARED_CD_PRODUCT_ID,
      manufacturer: 'spicedesk', product: `shared CD ${basename(path)}`.slice(0, 60), serial: sharedCdSerial(path),
      speed: 'super',
    }, iso);
    this.iso = iso;
  }

  dispose(): void {
    this.iso.close();
  }
}
