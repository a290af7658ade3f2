// The page's USB panel model (src/renderer/usb-panel.ts): a row per host device with its switch,
// where it is, and the switch held while the host has not answered; the slots line.
import { describe, expect, it } from 'vitest';
import type { UsbStateMessage } from '../../../src/protocol/bridge/usb-messages.ts';
import { usbPanelRows, usbSlotsLine } from '../../../src/renderer/usb-panel.ts';

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
});
