// `spicedesk usb list` over a fake of the `usb` package: each device with its ids, name,
// interface classes and the filters' verdicts; a machine without USB says so; the arguments and
// `do usb-attach`'s selector forms.
import { describe, expect, it } from 'vitest';
import { runUsbList } from '../../../../src/main/commands/usb-command.ts';
import { parseDoArgs } from '../../../../src/main/commands/do/do-command.ts';
import { parseCommandLine } from '../../../../src/main/commands/args/parse-command-line.ts';
import { usbCommand } from '../../../../src/main/commands/usb-command.ts';
import { HidDeviceSource } from '../../../../src/main/usb/hid-device-source.ts';
import { UsbPackageSource, type UsbPackageApi, type UsbPackageDevice } from '../../../../src/main/usb/usb-device-source.ts';

/** A fake of node-hid's API with one security key on hidraw2 (nothing is opened by a list). */
const fakeNodeHid = {
  devices: () => [{ vendorId: 0x1050, productId: 0x0407, path: '/dev/hidraw2', manufacturer: 'Yubico', product: 'YubiKey OTP+FIDO+CCID', release: 0x0512, interface: 1, usagePage: 0xf1d0, usage: 1 }],
  HID: class { constructor() { throw new Error('a list must not open a device'); } } as never,
};

function device(o: Partial<UsbPackageDevice> & { classes: number[] }): UsbPackageDevice {
  return {
    vendorId: 0x0781, productId: 0x5583, deviceClass: 0, deviceSubclass: 0, deviceProtocol: 0,
    deviceVersionMajor: 1, deviceVersionMinor: 0, deviceVersionSubminor: 0, manufacturerName: 'SanDisk', productName: 'Ultra Fit',
    bus: '1', ports: [2], speed: 'high',
    configuration: { configurationValue: 1, interfaces: o.classes.map((c, i) => ({ interfaceNumber: i, alternate: { alternateSetting: 0, interfaceClass: c, interfaceSubclass: c === 3 ? 1 : 6, interfaceProtocol: c === 3 ? 1 : 0x50, endpoints: [] }, alternates: [] })) },
    ...o,
  } as UsbPackageDevice;
}

const fakeUsb = (devices: UsbPackageDevice[] | Error): UsbPackageApi => ({
  getDevices: async () => {
    if (devices instanceof Error) throw devices;
    return devices;
  },
  addEventListener: () => {},
  removeEventListener: () => {},
});

describe('spicedesk usb list', () => {
  it('lists each device with the filters\' verdicts', async () => {
    let out = '';
    const source = new UsbPackageSource({ load: async () => fakeUsb([
      device({ classes: [8] }),
      device({ vendorId: 0x046d, productId: 0xc31c, manufacturerName: 'Logitech', productName: 'Keyboard', bus: '1', ports: [3, 1], classes: [3] }),
    ]) });
    expect(await runUsbList({ sources: [source], json: false, out: (t) => (out += t), guestFilter: '-1,0x0781,-1,-1,1' })).toBe(0);
    expect(out).toBe(
      '1-2        SanDisk Ultra Fit (0781:5583)  interfaces 08/06/50\n' +
      '           auto-redirect: allowed; VM filter: allowed\n' +
      '1-3.1      Logitech Keyboard (046d:c31c)  interfaces 03/01/01\n' +
      '           auto-redirect: blocked by a rule; VM filter: no rule matches it (denied)\n',
    );
    let json = '';
    await runUsbList({ sources: [source], json: true, out: (t) => (json += t), redirectOnConnect: '0x03,-1,-1,-1,1' });
    const parsed = JSON.parse(json) as { available: boolean; devices: { id: string; redirectOnConnect: string }[] };
    expect(parsed.available).toBe(true);
    expect(parsed.devices.map((d) => [d.id, d.redirectOnConnect])).toEqual([['1-2', 'no rule matches it (denied)'], ['1-3.1', 'allowed']]);
  });

  it('says there is no USB on a machine without it, and exits 0', async () => {
    let out = '';
    const source = new UsbPackageSource({ load: async () => fakeUsb(new Error('getDevices error: /sys/bus/usb/devices/ not found (errno 2)')) });
    expect(await runUsbList({ sources: [source], json: false, out: (t) => (out += t) })).toBe(0);
    expect(out).toBe('no USB on this machine (getDevices error: /sys/bus/usb/devices/ not found (errno 2)): no device from it to redirect\n');
  });

  it('lists the HID devices the OS holds through node-hid, marked so, after the USB ones; never auto-redirected', async () => {
    let out = '';
    const usb = new UsbPackageSource({ load: async () => fakeUsb([device({ classes: [8] })]) });
    const hid = new HidDeviceSource(async () => fakeNodeHid, () => null);
    expect(await runUsbList({ sources: [usb, hid], json: false, out: (t) => (out += t) })).toBe(0);
    expect(out).toBe(
      '1-2        SanDisk Ultra Fit (0781:5583)  interfaces 08/06/50\n' +
      '           auto-redirect: allowed\n' +
      'hid:/dev/hidraw2 Yubico YubiKey OTP+FIDO+CCID (1050:0407)  HID through node-hid  interfaces 03/00/00\n' +
      '           auto-redirect: never (HID through node-hid goes in only when named: usb-attach hid:/dev/hidraw2)\n',
    );
    let json = '';
    await runUsbList({ sources: [usb, hid], json: true, out: (t) => (json += t) });
    const parsed = JSON.parse(json) as { devices: { id: string; via: string }[] };
    expect(parsed.devices.map((d) => [d.id, d.via])).toEqual([['1-2', 'usb'], ['hid:/dev/hidraw2', 'node-hid']]);
  });

  it('says when node-hid does not load, and still lists the USB devices', async () => {
    let out = '';
    const usb = new UsbPackageSource({ load: async () => fakeUsb([device({ classes: [8] })]) });
    const hid = new HidDeviceSource(async () => { throw new Error('Could not locate the bindings file.\n more'); }, () => null);
    expect(await runUsbList({ sources: [usb, hid], json: false, out: (t) => (out += t) })).toBe(0);
    expect(out).toBe(
      'node-hid does not load on this machine (Could not locate the bindings file.): no device from it to redirect\n' +
      '1-2        SanDisk Ultra Fit (0781:5583)  interfaces 08/06/50\n' +
      '           auto-redirect: allowed\n',
    );
  });

  it('takes list and checks the rules it is given', () => {
    const parsed = parseCommandLine(usbCommand, ['list', '--vm-filter', '-1,0x0781,-1,-1,1']);
    expect(!parsed.help && parsed.input.values.vmFilter).toBe('-1,0x0781,-1,-1,1');
    expect(() => parseCommandLine(usbCommand, [])).toThrow('usb takes one of: list');
    expect(() => parseCommandLine(usbCommand, ['show'])).toThrow('usb takes one of: list, got "show"');
    expect(() => parseCommandLine(usbCommand, ['list', '--spice-usbredir-redirect-on-connect', '1,2,3'])).toThrow(/--spice-usbredir-redirect-on-connect: rule 1 \("1,2,3"\) must have 5 fields/);
  });
});

describe('do usb-attach and usb-detach arguments', () => {
  it('read VID:PID, BUS-PORT and cd:FILE (made absolute), and the USB options', () => {
    const line = parseDoArgs(['spice://h:1', '--spice-share-cd', 'a.iso', '--spice-usbredir-redirect-on-connect', '-1,-1,-1,-1,1', 'usb-attach', '0781:5583', 'usb-attach', '1-2.3', 'usb-detach', 'cd:x.iso',
      'usb-attach', 'hid:/dev/hidraw2', 'usb-detach', 'hid:1050:0407']);
    expect(line.actions.map((a) => [a.name, a.args])).toEqual([
      ['usb-attach', { kind: 'ids', vendorId: 0x0781, productId: 0x5583 }],
      ['usb-attach', { kind: 'path', id: '1-2.3' }],
      ['usb-detach', { kind: 'cd', file: `${process.cwd()}/x.iso` }],
      ['usb-attach', { kind: 'path', id: 'hid:/dev/hidraw2' }],
      ['usb-detach', { kind: 'hid-ids', vendorId: 0x1050, productId: 0x0407 }],
    ]);
    expect(line.usb).toEqual({ shareCds: ['a.iso'], redirectOnConnect: '-1,-1,-1,-1,1', autoRedirectFilter: undefined });
    // --spice-share-cd again: one more CD (the same file twice is one).
    expect(parseDoArgs(['spice://h:1', '--spice-share-cd', 'a.iso', '--spice-share-cd', 'b.iso', '--spice-share-cd', 'a.iso', 'wait', '1']).usb?.shareCds).toEqual(['a.iso', 'b.iso']);
    expect(() => parseDoArgs(['spice://h:1', 'usb-attach'])).toThrow(/usb-attach needs a device \(VID:PID/);
    expect(() => parseDoArgs(['spice://h:1', 'usb-detach', '0781'])).toThrow('usb-detach takes VID:PID (hex, e.g. 0781:5583), BUS-PORT (e.g. 1-2.3), cd:FILE.iso, or a HID device through node-hid: hid:PATH (as usb list shows it) or hid:VID:PID, got "0781"');
  });
});
