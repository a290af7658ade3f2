// The `usb` package adapter (src/main/usb/usb-device-source.ts) against a fake of the package's
// WebUSB-shaped API, and once against the real package on this machine, which has no USB subsystem.
import { describe, expect, it } from 'vitest';
import { waitUntil } from '../../../helpers/wait.ts';
import {
  busPortId, endpointIntervals, needsDriverAdvice, UsbDeviceBusyError, UsbPackageSource,
  type UsbPackageApi, type UsbPackageConfiguration, type UsbPackageConnectionEvent, type UsbPackageDevice, type UsbPackageSetup,
} from '../../../../src/main/usb/usb-device-source.ts';

const le16 = (v: number): number[] => [v & 0xff, v >> 8];

/** A HID device with one interrupt IN endpoint (bInterval 4) and a vendor interface with two bulk endpoints. */
class FakeDevice implements UsbPackageDevice {
  vendorId = 0x1234; productId = 0x5678; deviceClass = 0; deviceSubclass = 0; deviceProtocol = 0;
  deviceVersionMajor = 2; deviceVersionMinor = 1; deviceVersionSubminor = 3;
  manufacturerName = 'Acme'; productName = 'Pad'; serialNumber = 'S1';
  bus = '3'; ports = [1, 4]; speed = 'high' as const;
  calls: string[] = [];
  /** Interfaces a kernel driver holds until detached. */
  driverOn = new Set([0]);
  openError: Error | null = null;
  claimError: Error | null = null;
  /** transferIn rejects with a timeout this many times first. */
  timeouts = 0;
  configuration: UsbPackageConfiguration | null = {
    configurationValue: 1,
    interfaces: [
      { interfaceNumber: 0, alternate: { alternateSetting: 0, interfaceClass: 3, interfaceSubclass: 0, interfaceProtocol: 0, endpoints: [{ endpointNumber: 1, direction: 'in', type: 'interrupt', packetSize: 16 }] }, alternates: [] },
      { interfaceNumber: 1, alternate: { alternateSetting: 0, interfaceClass: 0xff, interfaceSubclass: 0, interfaceProtocol: 0, endpoints: [{ endpointNumber: 2, direction: 'in', type: 'bulk', packetSize: 512 }, { endpointNumber: 2, direction: 'out', type: 'bulk', packetSize: 512 }] }, alternates: [] },
    ],
  };

  private configDescriptor(): number[] {
    const body = [
      9, 4, 0, 0, 1, 3, 0, 0, 0, 7, 5, 0x81, 3, ...le16(16), 4,
      9, 4, 1, 0, 2, 0xff, 0, 0, 0, 7, 5, 0x82, 2, ...le16(512), 0, 7, 5, 0x02, 2, ...le16(512), 0,
    ];
    return [9, 2, ...le16(9 + body.length), 2, 1, 0, 0x80, 50, ...body];
  }

  async open(): Promise<void> { this.calls.push('open'); if (this.openError) throw this.openError; }
  async close(): Promise<void> { this.calls.push('close'); }
  async reset(): Promise<void> { this.calls.push('reset'); }
  async selectConfiguration(v: number): Promise<void> { this.calls.push(`config ${v}`); }
  async claimInterface(n: number): Promise<void> {
    this.calls.push(`claim ${n}`);
    if (this.claimError) throw this.claimError;
    if (this.driverOn.has(n)) throw new Error('Device or resource busy');
  }
  async releaseInterface(n: number): Promise<void> { this.calls.push(`release ${n}`); }
  async selectAlternateInterface(n: number, a: number): Promise<void> { this.calls.push(`alt ${n} ${a}`); }
  async detachKernelDriver(n: number): Promise<void> {
    if (!this.driverOn.delete(n)) throw new Error('no driver');
    this.calls.push(`detach ${n}`);
  }
  async attachKernelDriver(n: number): Promise<void> { this.calls.push(`attach ${n}`); this.driverOn.add(n); }
  async controlTransferIn(s: UsbPackageSetup, length: number): Promise<{ status: 'ok' | 'stall'; data?: DataView }> {
    this.calls.push(`ctrl in ${s.requestType}/${s.recipient}/${s.request}/${s.value.toString(16)} ${length}`);
    if (s.requestType === 'standard' && s.request === 6) {
      const bytes = s.value === 0x0100 ? [18, 1, 0, 2, 0, 0, 0, 16] : s.value === 0x0200 ? this.configDescriptor() : null;
      if (!bytes) return { status: 'stall' };
      return { status: 'ok', data: new DataView(Uint8Array.from(bytes.slice(0, length)).buffer) };
    }
    if (s.requestType === 'vendor') return { status: 'ok', data: new DataView(Uint8Array.of(1, 2, 3).buffer) };
    return { status: 'stall' };
  }
  async controlTransferOut(s: UsbPackageSetup, data?: Uint8Array): Promise<{ status: 'ok'; bytesWritten: number }> {
    this.calls.push(`ctrl out ${s.requestType}/${s.recipient}/${s.request}`);
    return { status: 'ok', bytesWritten: data?.length ?? 0 };
  }
  async transferIn(ep: number, length: number): Promise<{ status: 'ok'; data: DataView }> {
    this.calls.push(`in ${ep} ${length}`);
    if (this.timeouts > 0) {
      this.timeouts--;
      throw new Error('transferIn error: Transfer timed out');
    }
    return { status: 'ok', data: new DataView(Uint8Array.of(9, 8, 7).buffer) };
  }
  async transferOut(ep: number, data: Uint8Array): Promise<{ status: 'ok'; bytesWritten: number }> {
    this.calls.push(`out ${ep} ${data.length}`);
    return { status: 'ok', bytesWritten: data.length };
  }
  async clearHalt(direction: string, ep: number): Promise<void> { this.calls.push(`clearHalt ${direction} ${ep}`); }
}

class FakeUsb implements UsbPackageApi {
  devices: UsbPackageDevice[] = [];
  listeners = new Map<string, Set<(e: UsbPackageConnectionEvent) => void>>();
  getDevicesError: Error | null = null;
  async getDevices(): Promise<UsbPackageDevice[]> {
    if (this.getDevicesError) throw this.getDevicesError;
    return [...this.devices];
  }
  addEventListener(type: string, l: (e: UsbPackageConnectionEvent) => void): void {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)!.add(l);
  }
  removeEventListener(type: string, l: (e: UsbPackageConnectionEvent) => void): void {
    this.listeners.get(type)?.delete(l);
  }
  fire(type: 'connect' | 'disconnect', device: UsbPackageDevice): void {
    for (const l of this.listeners.get(type) ?? []) l({ device });
  }
}

function sourceWith(fake: FakeUsb, platform = 'linux'): UsbPackageSource {
  return new UsbPackageSource({ load: async () => fake, platform });
}

describe('UsbPackageSource with a fake usb package', () => {
  it('lists devices with bus-port ids and WebUSB fields turned into descriptions', async () => {
    const fake = new FakeUsb();
    fake.devices.push(new FakeDevice());
    const [d] = await sourceWith(fake).list();
    expect(d).toMatchObject({
      id: '3-1.4', vendorId: 0x1234, productId: 0x5678, deviceVersionBcd: 0x0213, speed: 'high',
      manufacturer: 'Acme', product: 'Pad', serial: 'S1',
    });
    expect(busPortId({ bus: '1-2.3', ports: [2, 3] })).toBe('1-2.3');
  });

  it('reports hotplug only after getDevices worked, and stops listening', async () => {
    const fake = new FakeUsb();
    const source = sourceWith(fake);
    const seen: string[] = [];
    source.events.on('added', (d) => seen.push(`+${d.id}`));
    source.events.on('removed', (d) => seen.push(`-${d.id}`));
    expect(fake.listeners.size).toBe(0);
    expect(await source.start()).toBe(true);
    const device = new FakeDevice();
    fake.fire('connect', device);
    fake.fire('disconnect', device);
    expect(seen).toEqual(['+3-1.4', '-3-1.4']);
    await source.stop();
    expect([...fake.listeners.values()].every((s) => s.size === 0)).toBe(true);
  });

  it('without a USB subsystem: one unavailable message, no hotplug listener, empty lists', async () => {
    const fake = new FakeUsb();
    fake.getDevicesError = new Error('getDevices error: /sys/bus/usb/devices/ not found (errno 2)');
    const source = sourceWith(fake);
    const messages: string[] = [];
    source.events.on('unavailable', (m) => messages.push(m));
    expect(await source.start()).toBe(false);
    expect(await source.list()).toEqual([]);
    expect(await source.list()).toEqual([]);
    await expect(source.open('1-1')).rejects.toThrow(/no USB on this machine/);
    expect(messages).toEqual(['no USB on this machine (getDevices error: /sys/bus/usb/devices/ not found (errno 2))']);
    expect(fake.listeners.size).toBe(0);
  });

  it('a package that does not load is reported once too', async () => {
    const source = new UsbPackageSource({ load: async () => { throw new Error('Cannot find module usb.linux-x64-gnu.node'); } });
    const messages: string[] = [];
    source.events.on('unavailable', (m) => messages.push(m));
    await source.list();
    await source.start();
    expect(messages).toEqual(['the usb module does not load on this machine (Cannot find module usb.linux-x64-gnu.node)']);
  });

  it('open detaches the kernel driver, claims every interface, reads bMaxPacketSize0 and bInterval; close re-attaches', async () => {
    const fake = new FakeUsb();
    const device = new FakeDevice();
    fake.devices.push(device);
    const source = sourceWith(fake);
    // The attach progress's "claiming" step: told once the device is open, before its interfaces are claimed.
    const handle = await source.open('3-1.4', () => device.calls.push('(claiming)'));
    expect(device.calls.slice(0, 5)).toEqual(['open', '(claiming)', 'detach 0', 'claim 0', 'claim 1']);
    expect(handle.description.maxPacketSize0).toBe(16);
    const config = handle.configuration();
    expect(config.value).toBe(1);
    expect(config.interfaces[0]).toMatchObject({ number: 0, class: 3, endpoints: [{ address: 0x81, type: 'interrupt', maxPacketSize: 16, interval: 4 }] });
    expect(config.interfaces[1].endpoints.map((e) => e.address)).toEqual([0x82, 0x02]);
    await expect(source.open('3-1.4')).rejects.toThrow(/already redirected/);
    device.calls.length = 0;
    await handle.close();
    expect(device.calls).toEqual(['release 0', 'release 1', 'attach 0', 'close']);
    expect(device.driverOn.has(0)).toBe(true);
    // Closed: it can be opened again.
    const again = await source.open('3-1.4');
    await again.close();
  });

  it('maps control, bulk and interrupt transfers, CLEAR_FEATURE(HALT), configuration and alternate settings', async () => {
    const fake = new FakeUsb();
    const device = new FakeDevice();
    fake.devices.push(device);
    const handle = await sourceWith(fake).open('3-1.4');
    device.calls.length = 0;
    expect(await handle.controlIn({ requestType: 0xc1, request: 5, value: 0, index: 1 }, 8)).toEqual({ status: 'ok', data: Uint8Array.of(1, 2, 3) });
    expect(await handle.controlIn({ requestType: 0xa1, request: 1, value: 0, index: 0 }, 8)).toMatchObject({ status: 'stall' });
    expect(await handle.controlOut({ requestType: 0x21, request: 9, value: 0x200, index: 0 }, Uint8Array.of(1))).toEqual({ status: 'ok', written: 1 });
    expect(await handle.controlOut({ requestType: 0x02, request: 1, value: 0, index: 0x82 }, new Uint8Array(0))).toEqual({ status: 'ok', written: 0 });
    expect(await handle.controlIn({ requestType: 0x60, request: 0, value: 0, index: 0 }, 1)).toEqual({ status: 'error' }); // reserved type
    expect(await handle.transferOut(0x02, new Uint8Array(1500))).toEqual({ status: 'ok', written: 1500 });
    device.timeouts = 2;
    expect(await handle.transferIn(0x82, 512)).toEqual({ status: 'ok', data: Uint8Array.of(9, 8, 7) });
    expect(await handle.selectConfiguration(1)).toBe('ok');
    expect(await handle.selectAlternate(1, 0)).toBe('ok');
    await handle.reset();
    expect(device.calls).toEqual([
      'ctrl in vendor/interface/5/0 8', 'ctrl in class/interface/1/0 8', 'ctrl out class/interface/9', 'clearHalt in 2',
      'out 2 1500', 'in 2 512', 'in 2 512', 'in 2 512',
      'release 0', 'release 1', 'config 1', 'claim 0', 'claim 1', 'alt 1 0', 'reset',
    ]);
  });

  it('an IN transfer that keeps timing out ends when its signal aborts', async () => {
    const fake = new FakeUsb();
    const device = new FakeDevice();
    fake.devices.push(device);
    const handle = await sourceWith(fake).open('3-1.4');
    device.timeouts = Number.POSITIVE_INFINITY;
    const abort = new AbortController();
    const pending = handle.transferIn(0x81, 16, abort.signal);
    abort.abort();
    expect(await pending).toEqual({ status: 'cancelled' });
  });

  it('says what to do when the OS refuses the device, per OS', async () => {
    const fake = new FakeUsb();
    const device = new FakeDevice();
    fake.devices.push(device);
    device.openError = new Error('Permission denied (os error 13)');
    const linux = await sourceWith(fake, 'linux').open('3-1.4').catch((e: unknown) => e);
    expect(linux).toBeInstanceOf(UsbDeviceBusyError);
    expect(String(linux)).toMatch(/cannot open Acme Pad \(1234:5678\): Permission denied.*udev rule.*ATTR\{idVendor\}=="1234"/);
    device.openError = null;
    device.claimError = new Error('Access denied');
    const windows = await sourceWith(fake, 'win32').open('3-1.4').catch((e: unknown) => e);
    expect(String(windows)).toMatch(/Acme Pad \(1234:5678\) is busy: Access denied.*WinUSB.*Zadig/);
    expect(device.calls.slice(-1)).toEqual(['close']);
    expect(needsDriverAdvice('darwin', 1, 2)).toMatch(/macOS driver/);
  });

  it('reads bInterval per interface, alternate and endpoint from a configuration descriptor; stops at a bad length', () => {
    const d = Uint8Array.of(9, 2, 0, 0, 1, 1, 0, 0, 0, 9, 4, 2, 1, 1, 3, 0, 0, 0, 7, 5, 0x83, 3, 8, 0, 10, 0, 1);
    expect([...endpointIntervals(d)]).toEqual([['2/1/131', 10]]);
  });
});

describe('UsbPackageSource with the real usb package on a machine without USB', () => {
  it('says "no USB on this machine" once and raises no unhandled rejection', async () => {
    const rejections: unknown[] = [];
    const onRejection = (e: unknown): void => void rejections.push(e);
    process.on('unhandledRejection', onRejection);
    try {
      const source = new UsbPackageSource();
      const messages: string[] = [];
      source.events.on('unavailable', (m) => messages.push(m));
      expect(await source.start()).toBe(false);
      expect(await source.list()).toEqual([]);
      // Node reports unhandled rejections in the order they happened: once a marker left unhandled
      // now is reported, any rejection the package left behind before it would have been too.
      const marker = new Error('marker');
      void Promise.reject(marker);
      await waitUntil('the marker rejection', () => rejections.includes(marker), 5000);
      expect(messages).toHaveLength(1);
      expect(messages[0]).toMatch(/^no USB on this machine \(.*\/sys\/bus\/usb/);
      expect(rejections).toEqual([marker]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });

  it('the package itself, listened to before listing, does raise one (what the source avoids)', async () => {
    const rejections: unknown[] = [];
    const onRejection = (e: unknown): void => void rejections.push(e);
    process.on('unhandledRejection', onRejection);
    const { usb } = (await import('usb')) as unknown as { usb: UsbPackageApi };
    const listener = (): void => {};
    try {
      usb.addEventListener('connect', listener);
      await waitUntil("the usb package's unhandled rejection", () => rejections.length > 0, 5000);
      expect(String(rejections[0])).toMatch(/\/sys\/bus\/usb/);
    } finally {
      usb.removeEventListener('connect', listener);
      process.off('unhandledRejection', onRejection);
    }
  });
});
