// The USB panel's bridge messages: USB_STATE and USB_RESULT to the page, USB_ATTACH/USB_DETACH
// from it (hostile input: bounded, checked, nothing after the field).
import { describe, expect, it } from 'vitest';
import { BridgeError } from '../../../src/protocol/bridge/bridge-fields.ts';
import { decodeHostMessage, encodeHostMessage } from '../../../src/protocol/bridge/host-codec.ts';
import { BRIDGE_VERSION, HostKind, UiKind } from '../../../src/protocol/bridge/kinds.ts';
import { decodeUiMessage, encodeUiMessage } from '../../../src/protocol/bridge/ui-codec.ts';
import { USB_ATTACH_STEPS, UsbLimits, type UsbStateMessage } from '../../../src/protocol/bridge/usb-messages.ts';

describe('USB bridge messages', () => {
  it('USB_STATE and USB_RESULT go to the page and back unchanged', () => {
    const state: UsbStateMessage = {
      kind: 'usb-state', notice: 'no USB on this machine (x)',
      devices: [{ id: 'cd:/tmp/a.iso', label: 'spicedesk shared CD a.iso (1209:0003)', slot: 'usbredir:0' }, { id: '1-2', label: 'Pad (1234:5678)', slot: '' }],
      slots: [{ name: 'usbredir:0', device: 'spicedesk shared CD a.iso (1209:0003)' }, { name: 'usbredir:1', device: '' }],
    };
    expect(decodeHostMessage(encodeHostMessage(state))).toEqual(state);
    const result = { kind: 'usb-result' as const, id: '1-2', ok: false, message: 'all 2 USB redirection slots of the VM are in use' };
    expect(decodeHostMessage(encodeHostMessage(result))).toEqual(result);
    expect(encodeHostMessage(state)[0]).toBe(HostKind.USB_STATE);
  });

  it('lists at most the bounded number of devices', () => {
    const many: UsbStateMessage = { kind: 'usb-state', notice: '', devices: Array.from({ length: 100 }, (_, i) => ({ id: `1-${i}`, label: 'd', slot: '' })), slots: [] };
    const back = decodeHostMessage(encodeHostMessage(many)) as UsbStateMessage;
    expect(back.devices).toHaveLength(UsbLimits.maxDevices);
  });

  it('USB_ATTACH and USB_DETACH name a device; an empty id, a bad string or a trailing byte is malformed', () => {
    for (const kind of ['usb-attach', 'usb-detach'] as const) {
      expect(decodeUiMessage(encodeUiMessage({ kind, id: '1-2.3' }), BRIDGE_VERSION)).toEqual({ kind, id: '1-2.3' });
    }
    const bad = (bytes: number[]): string => {
      try {
        decodeUiMessage(Uint8Array.from(bytes), BRIDGE_VERSION);
      } catch (e) {
        expect(e).toBeInstanceOf(BridgeError);
        return (e as Error).message;
      }
      throw new Error('accepted');
    };
    expect(bad([UiKind.USB_ATTACH, 0, 0])).toMatch(/the device id is empty/);
    expect(bad([UiKind.USB_DETACH, 5, 0, 0x61])).toMatch(/device id/);
    expect(bad([UiKind.USB_ATTACH, 1, 0, 0x61, 0])).toMatch(/USB_ATTACH|after|trailing|left/i);
    expect(bad([UiKind.USB_ATTACH, 0xff, 0xff])).toMatch(/device id/);
  });

  it('USB_PROGRESS carries each attach step; a step out of range or a trailing byte is malformed', () => {
    for (const step of USB_ATTACH_STEPS) {
      const m = { kind: 'usb-progress' as const, id: '1-2', step };
      const bytes = encodeHostMessage(m);
      expect(bytes[0]).toBe(HostKind.USB_PROGRESS);
      expect(decodeHostMessage(bytes)).toEqual(m);
    }
    const good = encodeHostMessage({ kind: 'usb-progress', id: 'x', step: 'opening' });
    const outOfRange = good.slice();
    outOfRange[outOfRange.length - 1] = USB_ATTACH_STEPS.length;
    expect(() => decodeHostMessage(outOfRange)).toThrow(/USB_PROGRESS.*step/);
    expect(() => decodeHostMessage(Uint8Array.from([...good, 0]))).toThrow(BridgeError);
  });

  it('USB_FOCUS says focused or not; any other value, a missing or a trailing byte is malformed', () => {
    for (const focused of [true, false]) {
      expect(decodeUiMessage(encodeUiMessage({ kind: 'usb-focus', focused }), BRIDGE_VERSION)).toEqual({ kind: 'usb-focus', focused });
    }
    expect(encodeUiMessage({ kind: 'usb-focus', focused: true })).toEqual(Uint8Array.of(UiKind.USB_FOCUS, 1));
    expect(() => decodeUiMessage(Uint8Array.of(UiKind.USB_FOCUS, 2), BRIDGE_VERSION)).toThrow(/focused/);
    expect(() => decodeUiMessage(Uint8Array.of(UiKind.USB_FOCUS), BRIDGE_VERSION)).toThrow(BridgeError);
    expect(() => decodeUiMessage(Uint8Array.of(UiKind.USB_FOCUS, 1, 0), BRIDGE_VERSION)).toThrow(BridgeError);
  });
});
