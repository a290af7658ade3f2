// The serial console's and the printer chooser's bridge messages (serial-messages.ts,
// printer-messages.ts): round trips, the bytes, and malformed messages refused with a reason.
import { describe, expect, it } from 'vitest';
import type { HostMessage, UiMessage } from '../../../src/protocol/bridge/bridge-messages.ts';
import { decodeHostMessage, encodeHostMessage } from '../../../src/protocol/bridge/host-codec.ts';
import { BRIDGE_VERSION, HostKind, UiKind } from '../../../src/protocol/bridge/kinds.ts';
import { MAX_SERIAL_INPUT_BYTES, serialInputPieces } from '../../../src/protocol/bridge/serial-messages.ts';
import { decodeUiMessage, encodeUiMessage } from '../../../src/protocol/bridge/ui-codec.ts';

const all = Uint8Array.from({ length: 256 }, (_, i) => i);

describe('the serial console messages', () => {
  it('survive encode and decode, every byte value included', () => {
    const host: HostMessage[] = [
      { kind: 'serial-state', available: true, open: true },
      { kind: 'serial-state', available: true, open: false },
      { kind: 'serial-state', available: false, open: false },
      { kind: 'serial-data', bytes: all },
    ];
    for (const m of host) expect(decodeHostMessage(encodeHostMessage(m))).toEqual(m);
    const ui: UiMessage = { kind: 'serial-input', bytes: all };
    expect(decodeUiMessage(encodeUiMessage(ui), BRIDGE_VERSION)).toEqual(ui);
    expect([...encodeHostMessage({ kind: 'serial-state', available: true, open: true })]).toEqual([HostKind.SERIAL_STATE, 3]);
    expect([...encodeUiMessage({ kind: 'serial-input', bytes: Uint8Array.of(13) })]).toEqual([UiKind.SERIAL_INPUT, 13]);
  });

  it('cuts a long paste into SERIAL_INPUT-sized pieces, in order', () => {
    const paste = new Uint8Array(MAX_SERIAL_INPUT_BYTES * 2 + 5).map((_, i) => i & 0xff);
    const pieces = serialInputPieces(paste);
    expect(pieces.map((p) => p.byteLength)).toEqual([MAX_SERIAL_INPUT_BYTES, MAX_SERIAL_INPUT_BYTES, 5]);
    expect(Buffer.concat(pieces).equals(Buffer.from(paste))).toBe(true);
  });

  it('refuses empty and oversized data, unknown flags, open without a console', () => {
    expect(() => decodeUiMessage(new Uint8Array([UiKind.SERIAL_INPUT]), BRIDGE_VERSION)).toThrow(/SERIAL_INPUT: no bytes/);
    expect(() => decodeUiMessage(new Uint8Array(MAX_SERIAL_INPUT_BYTES + 2).fill(UiKind.SERIAL_INPUT, 0, 1), BRIDGE_VERSION)).toThrow(/4097 bytes \(at most 4096\)/);
    expect(() => decodeHostMessage(new Uint8Array([HostKind.SERIAL_DATA]))).toThrow(/SERIAL_DATA: no bytes/);
    expect(() => decodeHostMessage(new Uint8Array([HostKind.SERIAL_STATE, 4]))).toThrow(/unknown flags 0x4/);
    expect(() => decodeHostMessage(new Uint8Array([HostKind.SERIAL_STATE, 2]))).toThrow(/open without a serial console/);
    expect(() => decodeHostMessage(new Uint8Array([HostKind.SERIAL_STATE, 1, 0]))).toThrow(/unexpected bytes/);
  });
});

describe('the printer chooser messages', () => {
  it('survive encode and decode', () => {
    const host: HostMessage[] = [
      { kind: 'printers', choices: [{ id: 'printer:office', label: 'office (default)' }, { id: 'save', label: 'Save as a file in /home/me/Documents' }], chosen: 'save', note: '' },
      { kind: 'printers', choices: [], chosen: '', note: 'listing the printers failed: lpstat is not installed (CUPS)' },
    ];
    for (const m of host) expect(decodeHostMessage(encodeHostMessage(m))).toEqual(m);
    const ui: UiMessage = { kind: 'print-choose', id: 'printer:office' };
    expect(decodeUiMessage(encodeUiMessage(ui), BRIDGE_VERSION)).toEqual(ui);
  });

  it('refuses a chosen id that is none of the choices, an empty choice, trailing bytes', () => {
    const bad = encodeHostMessage({ kind: 'printers', choices: [{ id: 'save', label: 'Save' }], chosen: 'save', note: '' });
    // kind, count, id "save", label "Save", then the chosen id at 16: "save" -> "Save".
    expect(Buffer.from(bad.subarray(16, 20)).toString()).toBe('save');
    bad[16] = 0x53;
    expect(() => decodeHostMessage(bad)).toThrow(/the chosen "Save" is none of the choices/);
    expect(() => decodeUiMessage(new Uint8Array([UiKind.PRINT_CHOOSE, 0, 0]), BRIDGE_VERSION)).toThrow(/PRINT_CHOOSE: an empty id/);
    expect(() => decodeUiMessage(new Uint8Array([UiKind.PRINT_CHOOSE, 1, 0, 0x61, 0]), BRIDGE_VERSION)).toThrow(/unexpected bytes/);
  });
});
