// A fake of node-hid's API (devices() and the HID class) for the tests of the node-hid source:
// these machines have no HID devices. Each device is a hidapi info entry; every opened handle is
// kept, records what hidapi was given (writes, feature reports) and can emit input reports.
import { EventEmitter } from 'node:events';
import type { NodeHidApi, NodeHidDeviceInfo, NodeHidHandle } from '../../src/main/usb/hid-device-source.ts';

/** A vendor-defined 8-byte input and output report without report ids. */
export const RAW_HID_REPORT_DESCRIPTOR = Uint8Array.of(
  0x06, 0x00, 0xff, 0x09, 0x01, 0xa1, 0x01, 0x15, 0x00, 0x26, 0xff, 0x00, 0x75, 0x08, 0x95, 0x08,
  0x09, 0x01, 0x81, 0x02, 0x09, 0x02, 0x91, 0x02, 0xc0,
);

/** One raw HID device (16c0:0486, a Teensy's RawHID ids) on /dev/hidraw7. */
export const RAW_HID_INFO: NodeHidDeviceInfo = {
  vendorId: 0x16c0, productId: 0x0486, path: '/dev/hidraw7', manufacturer: 'spicedesk', product: 'fake raw HID', release: 0x0100, interface: 0,
};

export class FakeHidHandle extends EventEmitter implements NodeHidHandle {
  readonly writes: number[][] = [];
  readonly features: number[][] = [];
  closed = false;
  constructor(readonly path: string, readonly options?: { nonExclusive?: boolean }) {
    super();
  }
  write(values: number[] | Buffer): number {
    this.writes.push([...values]);
    return values.length;
  }
  sendFeatureReport(data: number[] | Buffer): number {
    this.features.push([...data]);
    return data.length;
  }
  getFeatureReport(reportId: number, length: number): number[] {
    return [reportId, ...Array.from({ length: length - 1 }, (_, i) => i + 1)];
  }
  close(): void {
    this.closed = true;
  }
}

/** node-hid's API over `infos`; `opened` lists every handle made, newest last; `refuse` makes opening throw as hidapi does. */
export function fakeNodeHid(infos: NodeHidDeviceInfo[] = [RAW_HID_INFO]): NodeHidApi & { opened: FakeHidHandle[]; refuse: boolean } {
  const api = {
    opened: [] as FakeHidHandle[],
    refuse: false,
    devices: () => infos,
    HID: class extends FakeHidHandle {
      constructor(path: string, options?: { nonExclusive?: boolean }) {
        if (api.refuse) throw new Error(`cannot open device with path ${path}`);
        super(path, options);
        api.opened.push(this);
      }
    },
  };
  return api;
}
