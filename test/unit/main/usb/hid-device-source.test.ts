// The node-hid source against a fake of node-hid's API: what the guest would read of a HID device
// the OS holds (descriptors built from hidapi's facts and the sysfs report descriptor), input
// reports on interrupt IN, output/feature reports passed to hidapi with its report-id byte, and
// the refusals (no report descriptor, a device that cannot be opened).
import { describe, expect, it } from 'vitest';
import {
  FIDO_REPORT_DESCRIPTOR, HidDeviceSource, linuxReportDescriptor, reportDescriptorOrKnownUsage, usesReportIds, type NodeHidDeviceInfo,
} from '../../../../src/main/usb/hid-device-source.ts';
import { fakeNodeHid } from '../../../helpers/fake-node-hid.ts';

// A vendor-defined 8-byte in/out report, no report ids.
const PLAIN = Uint8Array.of(0x06, 0x00, 0xff, 0x09, 0x01, 0xa1, 0x01, 0x15, 0x00, 0x26, 0xff, 0x00, 0x75, 0x08, 0x95, 0x08, 0x09, 0x01, 0x81, 0x02, 0x09, 0x02, 0x91, 0x02, 0x09, 0x03, 0xb1, 0x02, 0xc0);
// The same with Report ID 5.
const NUMBERED = Uint8Array.of(0x06, 0x00, 0xff, 0x09, 0x01, 0xa1, 0x01, 0x85, 0x05, 0x75, 0x08, 0x95, 0x08, 0x09, 0x01, 0x81, 0x02, 0xc0);

const infos: NodeHidDeviceInfo[] = [
  { vendorId: 0x16c0, productId: 0x0486, path: '/dev/hidraw0', manufacturer: 'Teensy', product: 'Raw HID', serialNumber: 'R1', release: 0x0100, interface: 0, usagePage: 0xff00, usage: 1 },
  // hidapi lists a device once per usage on some OSes: the same path twice is one device.
  { vendorId: 0x16c0, productId: 0x0486, path: '/dev/hidraw0', release: 0x0100, interface: 0, usagePage: 1, usage: 6 },
  { vendorId: 0x1050, productId: 0x0407, path: '/dev/hidraw1', product: 'Key', release: 0x0512, interface: 1 },
];
const api = fakeNodeHid(infos);
const descriptors: Record<string, Uint8Array> = { '/sys/class/hidraw/hidraw0/device/report_descriptor': PLAIN, '/sys/class/hidraw/hidraw1/device/report_descriptor': NUMBERED };
const readFile = (path: string): Uint8Array => {
  const d = descriptors[path];
  if (!d) throw new Error(`ENOENT: ${path}`);
  return d;
};

describe('HidDeviceSource (node-hid)', () => {
  it('lists one device per hidraw path with hidapi\'s ids and strings, as a HID-class device', async () => {
    const source = new HidDeviceSource(api, linuxReportDescriptor(readFile));
    const list = await source.list();
    expect(list.map((d) => d.id)).toEqual(['hid:/dev/hidraw0', 'hid:/dev/hidraw1']);
    expect(list[0]).toMatchObject({ vendorId: 0x16c0, productId: 0x0486, product: 'Raw HID', serial: 'R1', deviceVersionBcd: 0x0100, interfaces: [{ class: 3, subclass: 0, protocol: 0 }] });
  });

  it('gives the guest descriptors built from hidapi\'s facts and the sysfs report descriptor', async () => {
    const source = new HidDeviceSource(api, linuxReportDescriptor(readFile));
    const h = await source.open('hid:/dev/hidraw0');
    const device = await h.controlIn({ requestType: 0x80, request: 6, value: 0x0100, index: 0 }, 18);
    expect([...device.data!.subarray(8, 12)]).toEqual([0xc0, 0x16, 0x86, 0x04]);
    const config = await h.controlIn({ requestType: 0x80, request: 6, value: 0x0200, index: 0 }, 255);
    expect(config.data!.length).toBe(9 + 9 + 9 + 7 + 7);
    expect(config.data![9 + 5]).toBe(3); // interface class HID
    const hidDescriptor = config.data!.subarray(18, 27);
    expect(hidDescriptor[6]).toBe(0x22);
    expect(hidDescriptor[7] | (hidDescriptor[8] << 8)).toBe(PLAIN.length);
    const report = await h.controlIn({ requestType: 0x81, request: 6, value: 0x2200, index: 0 }, PLAIN.length);
    expect(report.data).toEqual(PLAIN);
    const product = await h.controlIn({ requestType: 0x80, request: 6, value: 0x0302, index: 0x0409 }, 255);
    expect(new TextDecoder('utf-16le').decode(product.data!.subarray(2))).toBe('Raw HID');
    expect(api.opened.at(-1)!.options).toEqual({ nonExclusive: true });
    await h.close();
    expect(api.opened.at(-1)!.closed).toBe(true);
  });

  it('input reports go to interrupt IN (queued or awaited, cancellable); OUT and SET_REPORT go to hidapi with a 0 id byte', async () => {
    const source = new HidDeviceSource(api, linuxReportDescriptor(readFile));
    const h = await source.open('hid:/dev/hidraw0');
    const hid = api.opened.at(-1)!;
    hid.emit('data', Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]));
    expect(await h.transferIn(0x81, 64)).toEqual({ status: 'ok', data: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) });
    const waiting = h.transferIn(0x81, 64);
    hid.emit('data', Buffer.from([9]));
    expect((await waiting).data).toEqual(Uint8Array.of(9));
    const abort = new AbortController();
    const cancelled = h.transferIn(0x81, 64, abort.signal);
    abort.abort();
    expect((await cancelled).status).toBe('cancelled');
    expect(await h.transferOut(0x01, Uint8Array.of(0xaa, 0xbb))).toEqual({ status: 'ok', written: 2 });
    expect(hid.writes).toEqual([[0, 0xaa, 0xbb]]);
    expect((await h.controlOut({ requestType: 0x21, request: 9, value: 0x0200, index: 0 }, Uint8Array.of(7))).status).toBe('ok');
    expect(hid.writes.at(-1)).toEqual([0, 7]);
    expect((await h.controlOut({ requestType: 0x21, request: 9, value: 0x0300, index: 0 }, Uint8Array.of(1, 2))).status).toBe('ok');
    expect(hid.features).toEqual([[0, 1, 2]]);
    // GET_REPORT feature: hidapi's leading id byte is not part of an unnumbered report.
    const feature = await h.controlIn({ requestType: 0xa1, request: 1, value: 0x0300, index: 0 }, 4);
    expect(feature.data).toEqual(Uint8Array.of(1, 2, 3, 4));
    expect((await h.controlIn({ requestType: 0xa1, request: 1, value: 0x0100, index: 0 }, 8)).status).toBe('stall');
    await h.close();
  });

  it('a device with report ids keeps its own first byte', async () => {
    expect(usesReportIds(NUMBERED)).toBe(true);
    expect(usesReportIds(PLAIN)).toBe(false);
    const source = new HidDeviceSource(api, linuxReportDescriptor(readFile));
    const h = await source.open('hid:/dev/hidraw1');
    const hid = api.opened.at(-1)!;
    await h.transferOut(0x01, Uint8Array.of(5, 1, 2));
    expect(hid.writes).toEqual([[5, 1, 2]]);
    const feature = await h.controlIn({ requestType: 0xa1, request: 1, value: 0x0305, index: 0 }, 3);
    expect(feature.data).toEqual(Uint8Array.of(5, 1, 2));
    await h.close();
  });

  it('refuses with a sentence: no report descriptor (not Linux), a device hidapi cannot open, an unknown id', async () => {
    const noDescriptor = new HidDeviceSource(api, () => null);
    await expect(noDescriptor.open('hid:/dev/hidraw0')).rejects.toThrow(/report descriptor cannot be read here \(node-hid does not give it; only Linux's sysfs does\), and its usage page 0xff00 is not one with a fixed descriptor \(FIDO security keys, 0xf1d0\)/);
    const source = new HidDeviceSource(api, linuxReportDescriptor(readFile));
    api.refuse = true;
    try {
      await expect(source.open('hid:/dev/hidraw1')).rejects.toThrow(/^cannot open the HID device hid:\/dev\/hidraw1: cannot open device with path \/dev\/hidraw1; on Linux give your user access/);
    } finally {
      api.refuse = false;
    }
    await expect(source.open('hid:/dev/hidraw9')).rejects.toThrow('no HID device hid:/dev/hidraw9 on this machine');
  });

  // A security key as hidapi lists it on Windows (a device-interface path) and on macOS (an IOKit
  // registry id): no sysfs there, so the FIDO usage page's fixed descriptor stands in.
  const windowsKey: NodeHidDeviceInfo = {
    vendorId: 0x1050, productId: 0x0407, path: '\\\\?\\hid#vid_1050&pid_0407&mi_01#7&2b1fc6bb&0&0000#{4d1e55b2-f16f-11cf-88cb-001111000030}',
    manufacturer: 'Yubico', product: 'YubiKey OTP+FIDO+CCID', release: 0x0512, interface: 1, usagePage: 0xf1d0, usage: 0x01,
  };
  const macKey: NodeHidDeviceInfo = { ...windowsKey, path: 'DevSrvsID:4294971234', interface: -1 };
  const windowsVendorDevice: NodeHidDeviceInfo = { ...windowsKey, productId: 0x0486, vendorId: 0x16c0, path: '\\\\?\\hid#vid_16c0&pid_0486#1', usagePage: 0xff00, usage: 1 };

  it('a FIDO security key on Windows or macOS gets the fixed CTAPHID descriptor: 64-byte reports both ways, no report ids', async () => {
    expect([...FIDO_REPORT_DESCRIPTOR.subarray(0, 5)]).toEqual([0x06, 0xd0, 0xf1, 0x09, 0x01]);
    expect(usesReportIds(FIDO_REPORT_DESCRIPTOR)).toBe(false);
    const keys = fakeNodeHid([windowsKey, macKey, windowsVendorDevice]);
    // What machineHidSource composes: sysfs (nothing here: not hidraw paths), then the known usage pages.
    const source = new HidDeviceSource(keys, reportDescriptorOrKnownUsage(linuxReportDescriptor(readFile)));
    for (const key of [windowsKey, macKey]) {
      const h = await source.open(`hid:${key.path}`);
      const config = await h.controlIn({ requestType: 0x80, request: 6, value: 0x0200, index: 0 }, 255);
      const hidDescriptor = config.data!.subarray(18, 27);
      expect(hidDescriptor[7] | (hidDescriptor[8] << 8)).toBe(FIDO_REPORT_DESCRIPTOR.length);
      const report = await h.controlIn({ requestType: 0x81, request: 6, value: 0x2200, index: 0 }, 255);
      expect(report.data).toEqual(FIDO_REPORT_DESCRIPTOR);
      // A CTAPHID INIT request out, its 64-byte answer in.
      const hid = keys.opened.at(-1)!;
      expect(hid.path).toBe(key.path);
      const init = new Uint8Array(64);
      init.set([0xff, 0xff, 0xff, 0xff, 0x86, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8]);
      expect(await h.transferOut(0x01, init)).toEqual({ status: 'ok', written: 64 });
      expect(hid.writes).toEqual([[0, ...init]]);
      const answer = Uint8Array.from({ length: 64 }, (_, i) => (i * 7) & 0xff);
      hid.emit('data', Buffer.from(answer));
      expect(await h.transferIn(0x81, 64)).toEqual({ status: 'ok', data: answer });
      await h.close();
    }
    // A vendor-defined device there has no standard reports: refused with the reason.
    await expect(source.open(`hid:${windowsVendorDevice.path}`)).rejects.toThrow(/report descriptor cannot be read here .*usage page 0xff00 is not one with a fixed descriptor/);
  });

  it('a key hidapi lists once per usage (macOS) is known by its FIDO usage, whichever comes first', async () => {
    const keyboardUsage: NodeHidDeviceInfo = { ...macKey, usagePage: 1, usage: 6 };
    const source = new HidDeviceSource(fakeNodeHid([keyboardUsage, { ...macKey, product: undefined }]), reportDescriptorOrKnownUsage(() => null));
    expect((await source.list()).map((d) => [d.id, d.product])).toEqual([[`hid:${macKey.path}`, 'YubiKey OTP+FIDO+CCID']]);
    const h = await source.open(`hid:${macKey.path}`);
    expect((await h.controlIn({ requestType: 0x81, request: 6, value: 0x2200, index: 0 }, 255)).data).toEqual(FIDO_REPORT_DESCRIPTOR);
    await h.close();
  });

  it('on Linux the sysfs descriptor wins over the fixed one', async () => {
    const linuxKey: NodeHidDeviceInfo = { ...windowsKey, path: '/dev/hidraw0' };
    const source = new HidDeviceSource(fakeNodeHid([linuxKey]), reportDescriptorOrKnownUsage(linuxReportDescriptor(readFile)));
    const h = await source.open('hid:/dev/hidraw0');
    expect((await h.controlIn({ requestType: 0x81, request: 6, value: 0x2200, index: 0 }, 255)).data).toEqual(PLAIN);
    await h.close();
  });
});
