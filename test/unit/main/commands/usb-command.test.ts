// `spicedesk usb list` over a fake of the `usb` package: each device with its ids, name,
// interface classes and the filters' verdicts; a machine without USB says so; the arguments and
// `do usb-attach`'s selector forms.
import { describe, expect, it } from 'vitest';
import { runUsbList } from '../../../../src/main/commands/usb-command.ts';
import { parseDoArgs } from '../../../../src/main/commands/do/do-command.ts';
import { parseCommandLine } from '../../../../src/main/commands/args/parse-command-line.ts';
import { usbCommand } from '../../../../src/main/commands/usb-command.ts';
import { UsbPackageSource, type UsbPackageApi, type UsbPackageDevice } from '../../../../src/main/usb/usb-device-source.ts';

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
    expect(await runUsbList({ source, json: false, out: (t) => (out += t), guestFilter: '-1,0x0781,-1,-1,1' })).toBe(0);
    expect(out).toBe(
      '1-2        SanDisk Ultra Fit (0781:5583)  interfaces 08/06/50\n' +
      '           auto-redirect: allowed; VM filter: allowed\n' +
      '1-3.1      Logitech Keyboard (046d:c31c)  interfaces 03/01/01\n' +
      '           auto-redirect: blocked by a rule; VM filter: no rule matches it (denied)\n',
    );
    let json = '';
    await runUsbList({ source, json: true, out: (t) => (json += t), redirectOnConnect: '0x03,-1,-1,-1,1' });
    const parsed = JSON.parse(json) as { available: boolean; devices: { id: string; redirectOnConnect: string }[] };
    expect(parsed.available).toBe(true);
    expect(parsed.devices.map((d) => [d.id, d.redirectOnConnect])).toEqual([['1-2', 'no rule matches it (denied)'], ['1-3.1', 'allowed']]);
  });

  it('says there is no USB on a machine without it, and exits 0', async () => {
    let out = '';
    const source = new UsbPackageSource({ load: async () => fakeUsb(new Error('getDevices error: /sys/bus/usb/devices/ not found (errno 2)')) });
    expect(await runUsbList({ source, json: false, out: (t) => (out += t) })).toBe(0);
    expect(out).toBe('no USB on this machine (getDevices error: /sys/bus/usb/devices/ not found (errno 2)): no device to redirect\n');
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
    const line = parseDoArgs(['spice://h:1', '--spice-share-cd', 'a.iso', '--spice-usbredir-redirect-on-connect', '-1,-1,-1,-1,1', 'usb-attach', '0781:5583', 'usb-attach', '1-2.3', 'usb-detach', 'cd:x.iso']);
    expect(line.actions.map((a) => [a.name, a.args])).toEqual([
      ['usb-attach', { kind: 'ids', vendorId: 0x0781, productId: 0x5583 }],
      ['usb-attach', { kind: 'path', id: '1-2.3' }],
      ['usb-detach', { kind: 'cd', file: `${process.cwd()}/x.iso` }],
    ]);
    expect(line.usb).toEqual({ shareCd: 'a.iso', redirectOnConnect: '-1,-1,-1,-1,1', autoRedirectFilter: undefined });
    expect(() => parseDoArgs(['spice://h:1', 'usb-attach'])).toThrow(/usb-attach needs a device \(VID:PID/);
    expect(() => parseDoArgs(['spice://h:1', 'usb-detach', '0781'])).toThrow('usb-detach takes VID:PID (hex, e.g. 0781:5583), BUS-PORT (e.g. 1-2.3) or cd:FILE.iso, got "0781"');
  });
});
