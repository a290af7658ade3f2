// The shared CD (src/main/usb/iso-cdrom.ts) through its bulk-only transport
// (src/main/usb/mass-storage.ts): CBWs in, data and CSWs out, as usb-storage drives it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CD_BLOCK, IsoCdrom } from '../../../../src/main/usb/iso-cdrom.ts';
import { EmulatedUsbSource } from '../../../../src/main/usb/emulated-device.ts';
import { recordingLogger } from '../../../helpers/logger.ts';
import { rng } from '../../../helpers/random.ts';
import { isoImage } from '../../../peers/iso9660.ts';

const work = mkdtempSync(join(tmpdir(), 'spicedesk-iso-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let tag = 1;

/** One command: the CBW, the data phase (IN: read until short; OUT: `out`), the CSW. */
async function scsi(cd: IsoCdrom, cdb: number[], expected: number, out?: Uint8Array): Promise<{ data: Uint8Array; status: number; residue: number }> {
  const cbw = new Uint8Array(31);
  const view = new DataView(cbw.buffer);
  view.setUint32(0, 0x43425355, true);
  view.setUint32(4, tag, true);
  view.setUint32(8, expected, true);
  cbw[12] = out ? 0 : 0x80;
  cbw[14] = cdb.length;
  cbw.set(cdb, 15);
  expect(await cd.transferOut(0x02, cbw)).toEqual({ status: 'ok', written: 31 });
  const chunks: Uint8Array[] = [];
  if (out) {
    expect((await cd.transferOut(0x02, out)).status).toBe('ok');
  } else if (expected > 0) {
    for (;;) {
      const r = await cd.transferIn(0x81, 16384);
      chunks.push(r.data!);
      if (r.data!.length < 16384 || chunks.reduce((n, c) => n + c.length, 0) >= expected) break;
    }
  }
  const csw = (await cd.transferIn(0x81, 13)).data!;
  const cswView = new DataView(csw.buffer, csw.byteOffset);
  expect(cswView.getUint32(0, true)).toBe(0x53425355);
  expect(cswView.getUint32(4, true)).toBe(tag++);
  const data = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    data.set(c, at);
    at += c.length;
  }
  return { data, status: csw[12], residue: cswView.getUint32(8, true) };
}

const senseOf = async (cd: IsoCdrom): Promise<string> => {
  const { data } = await scsi(cd, [0x03, 0, 0, 0, 18, 0], 18);
  return `${data[2].toString(16)}/${data[12].toString(16)}`;
};

function makeCd(size = 40): { cd: IsoCdrom; image: Uint8Array; log: string[]; file: Uint8Array } {
  const file = Uint8Array.from({ length: size * 1024 }, (_, i) => (i * 7 + (i >> 9)) & 0xff);
  const image = isoImage('TESTCD', [{ name: 'DATA.BIN', data: file }]);
  const path = join(work, `cd-${tag}.iso`);
  writeFileSync(path, image);
  const log: string[] = [];
  return { cd: new IsoCdrom(path, recordingLogger(log)), image, log, file };
}

describe('the shared CD/ISO as a USB CD-ROM', () => {
  it('is a SuperSpeed mass-storage device (SCSI transparent, bulk-only) with the file as its id', () => {
    const { cd } = makeCd();
    expect(cd.description).toMatchObject({ vendorId: 0x1209, productId: 0x0003, speed: 'super', manufacturer: 'spicedesk', maxPacketSize0: 512 });
    expect(cd.description.id).toMatch(/^cd:.*\.iso$/);
    expect(cd.configuration().interfaces[0]).toMatchObject({ class: 8, subclass: 6, protocol: 0x50 });
    expect(cd.configuration().interfaces[0].endpoints.map((e) => e.maxPacketSize)).toEqual([1024, 1024]);
    expect(cd.control({ requestType: 0xa1, request: 0xfe, value: 0, index: 0 }, 1)).toEqual({ status: 'ok', data: Uint8Array.of(0) });
    const descriptor = (type: number, length = 255): Uint8Array | undefined => cd.control({ requestType: 0x80, request: 6, value: type << 8, index: 0 }, length).data;
    // bcdUSB 3.20 and bMaxPacketSize0 9 (2^9 = 512): what a SuperSpeed device says.
    const device = descriptor(1, 18)!;
    expect([device[2], device[3], device[7]]).toEqual([0x20, 0x03, 9]);
    // Each bulk endpoint (1024 bytes) is followed by its SuperSpeed companion (type 0x30).
    const config = descriptor(2)!;
    expect(config[2] | (config[3] << 8)).toBe(config.length);
    const types: number[] = [];
    for (let at = 0; at < config.length; at += config[at]) types.push(config[at + 1]);
    expect(types).toEqual([2, 4, 5, 0x30, 5, 0x30]);
    // The BOS: a USB 2.0 extension and the SuperSpeed capability; no device qualifier at SuperSpeed.
    const bos = descriptor(15)!;
    expect([bos[1], bos[2] | (bos[3] << 8), bos[4]]).toEqual([0x0f, bos.length, 2]);
    expect([bos[7], bos[14]]).toEqual([0x02, 0x03]);
    expect(cd.control({ requestType: 0x80, request: 6, value: 0x0600, index: 0 }, 10).status).toBe('stall');
    cd.dispose();
  });

  it('on a USB 2 port (the guest reads 64 bytes of the device descriptor first): ep0 64, 512-byte bulk, no companions', () => {
    const { cd } = makeCd();
    const read = (type: number, length: number): Uint8Array => cd.control({ requestType: 0x80, request: 6, value: type << 8, index: 0 }, length).data!;
    // Until a read shows a USB 2 host, SuperSpeed's 9 (Linux's 8-byte read after SET_ADDRESS checks it).
    expect(read(1, 8)[7]).toBe(9);
    expect(read(1, 18)[7]).toBe(9);
    expect(read(1, 64)[7]).toBe(64);
    expect(read(1, 8)[7]).toBe(64);
    expect(read(1, 18)[7]).toBe(64);
    const config = read(2, 255);
    const types: number[] = [];
    for (let at = 0; at < config.length; at += config[at]) types.push(config[at + 1]);
    expect(types).toEqual([2, 4, 5, 5]);
    expect(config[9 + 9 + 4] | (config[9 + 9 + 5] << 8)).toBe(512);
    expect(cd.configuration().interfaces[0].endpoints.map((e) => e.maxPacketSize)).toEqual([512, 512]);
    cd.dispose();
  });

  it('answers INQUIRY as a removable CD-ROM (type 5) and READ CAPACITY in 2048-byte blocks', async () => {
    const { cd, image } = makeCd();
    const inquiry = await scsi(cd, [0x12, 0, 0, 0, 36, 0], 36);
    expect(inquiry.status).toBe(0);
    expect(inquiry.data[0]).toBe(5);
    expect(inquiry.data[1]).toBe(0x80);
    expect(new TextDecoder().decode(inquiry.data.subarray(8, 32))).toBe('spicedskshared CD       ');
    const capacity = await scsi(cd, [0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0], 8);
    const v = new DataView(capacity.data.buffer);
    expect(v.getUint32(0)).toBe(image.length / CD_BLOCK - 1);
    expect(v.getUint32(4)).toBe(2048);
    cd.dispose();
  });

  it('READ(10) and READ(12) give the image\'s bytes; past the end is ILLEGAL REQUEST / LBA out of range', async () => {
    const { cd, image } = makeCd(300);
    const r10 = await scsi(cd, [0x28, 0, 0, 0, 0, 16, 0, 0, 60, 0], 60 * CD_BLOCK);
    expect(r10.status).toBe(0);
    expect(Buffer.compare(r10.data, image.subarray(16 * CD_BLOCK, 76 * CD_BLOCK))).toBe(0);
    const r12 = await scsi(cd, [0xa8, 0, 0, 0, 0, 21, 0, 0, 0, 3, 0, 0], 3 * CD_BLOCK);
    expect(Buffer.compare(r12.data, image.subarray(21 * CD_BLOCK, 24 * CD_BLOCK))).toBe(0);
    const blocks = image.length / CD_BLOCK;
    const beyond = await scsi(cd, [0x28, 0, 0, 0, (blocks >> 8) & 0xff, blocks & 0xff, 0, 0, 1, 0], CD_BLOCK);
    expect(beyond.status).toBe(1);
    expect(beyond.residue).toBe(CD_BLOCK);
    expect(await senseOf(cd)).toBe('5/21');
    expect(cd.iso.bytesRead).toBe(63 * CD_BLOCK);
    // More blocks than the CBW's length, or than any real READ: refused before anything is read.
    const more = await scsi(cd, [0x28, 0, 0, 0, 0, 16, 0, 0, 4, 0], 2 * CD_BLOCK);
    expect(more.status).toBe(1);
    expect(await senseOf(cd)).toBe('5/24');
    const huge = await scsi(cd, [0xa8, 0, 0, 0, 0, 0, 0, 0, 0x20, 0, 0, 0], 0xffffffff - 1);
    expect(huge.status).toBe(1);
    expect(cd.iso.bytesRead).toBe(63 * CD_BLOCK);
    cd.dispose();
  });

  it('answers what sr and cdrom ask: TEST UNIT READY, MODE SENSE(10) page 2Ah, GET CONFIGURATION, READ TOC, GET EVENT STATUS, PREVENT', async () => {
    const { cd, image } = makeCd();
    expect((await scsi(cd, [0, 0, 0, 0, 0, 0], 0)).status).toBe(0);
    const mode = await scsi(cd, [0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 128, 0], 128);
    expect(mode.data[3] & 0x80).toBe(0x80); // write protected
    expect([mode.data[8], mode.data[9]]).toEqual([0x2a, 18]);
    expect(mode.residue).toBe(128 - mode.data.length);
    const mode6 = await scsi(cd, [0x1a, 0, 0x3f, 0, 255, 0], 255);
    expect(mode6.data[0]).toBe(mode6.data.length - 1);
    const config = await scsi(cd, [0x46, 0, 0, 0, 0, 0, 0, 0, 32, 0], 32);
    expect([config.data[6], config.data[7]]).toEqual([0, 8]); // current profile CD-ROM
    const blocks = image.length / CD_BLOCK;
    const toc = await scsi(cd, [0x43, 0, 0, 0, 0, 0, 0, 0, 12 + 8, 0], 20);
    expect(Array.from(toc.data.subarray(0, 12))).toEqual([0, 18, 1, 1, 0, 0x14, 1, 0, 0, 0, 0, 0]);
    expect(new DataView(toc.data.buffer).getUint32(16)).toBe(blocks);
    expect(toc.data[14]).toBe(0xaa);
    const tocMsf = await scsi(cd, [0x43, 2, 0, 0, 0, 0, 0, 0, 20, 0], 20);
    expect(Array.from(tocMsf.data.subarray(8, 12))).toEqual([0, 0, 2, 0]); // track 1 at 00:02:00
    const session = await scsi(cd, [0x43, 0, 1, 0, 0, 0, 0, 0, 12, 0], 12);
    expect(Array.from(session.data)).toEqual([0, 10, 1, 1, 0, 0x14, 1, 0, 0, 0, 0, 0]);
    const first = await scsi(cd, [0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8, 0], 8);
    expect(Array.from(first.data)).toEqual([0, 6, 4, 0x10, 2, 2, 0, 0]); // new media, present
    const second = await scsi(cd, [0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8, 0], 8);
    expect(second.data[4]).toBe(0); // no change
    expect((await scsi(cd, [0x1e, 0, 0, 0, 1, 0], 0)).status).toBe(0);
    expect(cd.iso.mediumLocked).toBe(true);
    cd.dispose();
  });

  it('is read-only: WRITE(10) takes the data and fails DATA PROTECT / write protected', async () => {
    const { cd } = makeCd();
    const w = await scsi(cd, [0x2a, 0, 0, 0, 0, 30, 0, 0, 1, 0], CD_BLOCK, new Uint8Array(CD_BLOCK));
    expect(w.status).toBe(1);
    expect(await senseOf(cd)).toBe('7/27');
    // The transport is back at a CBW: the next command works.
    expect((await scsi(cd, [0, 0, 0, 0, 0, 0], 0)).status).toBe(0);
    cd.dispose();
  });

  it('logs an unknown opcode once and answers ILLEGAL REQUEST / invalid opcode', async () => {
    const { cd, log } = makeCd();
    for (let i = 0; i < 2; i++) {
      const r = await scsi(cd, [0xbd, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0], 8); // MECHANISM STATUS
      expect(r.status).toBe(1);
      expect(await senseOf(cd)).toBe('5/20');
    }
    expect(log.filter((l) => l.includes('not implemented'))).toHaveLength(1);
    expect([...cd.iso.unknownOpcodes]).toEqual(['bd']);
    cd.dispose();
  });

  it('an EmulatedUsbSource offers it; unplugging while open closes the file on close', async () => {
    const { cd } = makeCd();
    const source = new EmulatedUsbSource();
    source.plug(cd);
    expect((await source.list()).map((d) => d.id)).toEqual([cd.description.id]);
    const handle = await source.open(cd.description.id);
    await expect(source.open(cd.description.id)).rejects.toThrow(/already redirected/);
    source.unplug(cd.description.id);
    expect(await handle.transferIn(0x81, 13)).toEqual({ status: 'error' });
    await handle.close();
    expect(() => cd.dispose()).toThrow(); // already closed by the source
  });

  it('takes hostile bulk traffic (random CBWs with valid signatures, random bytes, reads out of turn) without throwing', async () => {
    const { cd } = makeCd();
    const next = rng(14);
    const statuses = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const bytes = Uint8Array.from({ length: next() % 3 === 0 ? 31 : next() % 64 }, () => next() & 0xff);
      if (bytes.length === 31 && next() % 2 === 0) {
        new DataView(bytes.buffer).setUint32(0, 0x43425355, true);
        bytes[15] = [0x28, 0xa8, 0x43, 0x46, 0x4a, 0x5a, 0x1a, 0x12, 0x25, 0x2a, next() & 0xff][next() % 11];
      }
      const r = next() % 2 === 0 ? await cd.transferOut(0x02, bytes) : await cd.transferIn(0x81, next() % 70000);
      statuses.add(r.status);
      expect(r.data?.length ?? 0).toBeLessThanOrEqual(70000);
    }
    expect([...statuses].sort()).toEqual(['ok', 'stall']);
    cd.dispose();
  });

  it('refuses an empty file', () => {
    const path = join(work, 'empty.iso');
    writeFileSync(path, '');
    expect(() => new IsoCdrom(path, recordingLogger([]))).toThrow(/empty: not an ISO image/);
  });
});
