// The page's USB panel model (src/renderer/usb-panel.ts): a row per host device with its switch,
// where it is, and the switch held while the host has not answered; the slots line.
import { describe, expect, it } from 'vitest';
import type { UsbStateMessage } from '../../../src/protocol/bridge/usb-messages.ts';
import { UsbAttachProgress, usbPanelRows, usbSlotsLine } from '../../../src/renderer/usb-panel.ts';

const state: UsbStateMessage = {
  kind: 'usb-state', notice: '',
  devices: [{ id: 'cd:/a.iso', label: 'spicedesk shared CD a.iso (1209:0003)', slot: 'usbredir' }, { id: '1-2', label: 'Pad (1234:5678)', slot: '' }],
  slots: [{ name: 'usbredir', device: 'spicedesk shared CD a.iso (1209:0003)' }, { name: 'usbredir:1', device: '' }],
};

describe('the USB panel', () => {
  it('shows each device on or off by where it is, and busy while its request is under way', () => {
    expect(usbPanelRows(state, new Set())).toEqual([
      { id: 'cd:/a.iso', label: 'spicedesk shared CD a.iso (1209:0003)', on: true, busy: false, where: 'in the VM (usbredir)' },
      { id: '1-2', label: 'Pad (1234:5678)', on: false, busy: false, where: 'here' },
    ]);
    expect(usbPanelRows(state, new Set(['1-2']))[1]).toMatchObject({ on: false, busy: true, where: 'working…' });
  });

  it('says how many slots are free, or that there are none', () => {
    expect(usbSlotsLine(state)).toBe('2 USB slots, 1 free');
    expect(usbSlotsLine({ ...state, slots: [{ name: 'usbredir', device: '' }] })).toBe('1 USB slot, 1 free');
    expect(usbSlotsLine({ ...state, slots: [] })).toBe('the VM has no USB slots');
  });

  it('follows a device through the host\'s attach steps until the VM configured it', () => {
    const progress = new UsbAttachProgress();
    const here = { ...state, devices: [state.devices[1]] };
    const seen: { busy: boolean; where: string }[] = [];
    const look = (s: UsbStateMessage): void => {
      progress.update(s);
      const { busy, where } = usbPanelRows(s, new Set(), progress)[0];
      seen.push({ busy, where });
    };
    for (const step of ['opening', 'claiming', 'connecting'] as const) {
      progress.step('1-2', step);
      look(here);
    }
    const onSlot = { ...state, devices: [{ ...state.devices[1], slot: 'usbredir:1' }] };
    progress.step('1-2', 'offered');
    look(onSlot);
    progress.step('1-2', 'configured');
    look(onSlot);
    expect(seen).toEqual([
      { busy: true, where: 'opening…' },
      { busy: true, where: 'claiming it from this machine…' },
      { busy: true, where: 'connecting to the VM\'s slot…' },
      // In the VM: its switch can take it out again while the guest sets it up.
      { busy: false, where: 'in the VM (usbredir:1), the VM is setting it up…' },
      { busy: false, where: 'in the VM (usbredir:1)' },
    ]);
  });

  it('stops following a device whose attach failed, that left its slot or the list', () => {
    const progress = new UsbAttachProgress();
    progress.step('1-2', 'connecting');
    progress.end('1-2');
    expect(usbPanelRows(state, new Set(), progress)[1]).toMatchObject({ busy: false, where: 'here' });
    progress.step('1-2', 'offered');
    progress.update(state); // 1-2 is not on a slot: it left before the guest set it up
    expect(progress.get('1-2')).toBeUndefined();
    progress.step('gone', 'opening');
    progress.update(state);
    expect(progress.get('gone')).toBeUndefined();
  });
});
