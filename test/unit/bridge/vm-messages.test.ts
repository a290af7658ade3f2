// The VM menu's bridge messages (vm-messages.ts): VM_STATE and VM_ACTION_RESULT host -> page,
// VM_ACTION page -> host. Round trips, the bytes, what the page may offer per state, and malformed
// messages refused with a reason.
import { describe, expect, it } from 'vitest';
import type { HostMessage, UiMessage } from '../../../src/protocol/bridge/bridge-messages.ts';
import { decodeHostMessage, encodeHostMessage } from '../../../src/protocol/bridge/host-codec.ts';
import { BRIDGE_VERSION, HostKind, UiKind } from '../../../src/protocol/bridge/kinds.ts';
import { decodeUiMessage, encodeUiMessage } from '../../../src/protocol/bridge/ui-codec.ts';
import { vmActionsFor } from '../../../src/protocol/bridge/vm-messages.ts';

describe('the VM menu messages', () => {
  it('survive encode and decode', () => {
    const host: HostMessage[] = [
      { kind: 'vm-state', available: true, running: true, status: 'running', actions: ['pause', 'reset', 'powerdown', 'off'] },
      { kind: 'vm-state', available: true, running: false, status: 'paused', actions: ['resume', 'reset', 'powerdown', 'off'] },
      { kind: 'vm-state', available: false, running: false, status: '', actions: [] },
      { kind: 'vm-action-result', action: 'off', ok: false, message: 'QEMU refused quit: no' },
      { kind: 'vm-action-result', action: 'pause', ok: true, message: "pause: done (QEMU's STOP)" },
    ];
    for (const m of host) expect(decodeHostMessage(encodeHostMessage(m))).toEqual(m);
    const ui: UiMessage[] = (['pause', 'resume', 'reset', 'powerdown', 'off'] as const).map((action) => ({ kind: 'vm-action', action }));
    for (const m of ui) expect(decodeUiMessage(encodeUiMessage(m), BRIDGE_VERSION)).toEqual(m);
  });

  it('lays VM_STATE out as kind, flags, action bits, status', () => {
    const bytes = encodeHostMessage({ kind: 'vm-state', available: true, running: true, status: 'running', actions: ['pause', 'off'] });
    expect([...bytes.subarray(0, 5)]).toEqual([HostKind.VM_STATE, 0b11, 0b10001, 7, 0]);
    expect([...encodeUiMessage({ kind: 'vm-action', action: 'reset' })]).toEqual([UiKind.VM_ACTION, 2]);
  });

  it('offers pause while running, resume while not, the other three whenever the monitor is there', () => {
    expect(vmActionsFor(true, true)).toEqual(['pause', 'reset', 'powerdown', 'off']);
    expect(vmActionsFor(true, false)).toEqual(['resume', 'reset', 'powerdown', 'off']);
    expect(vmActionsFor(false, true)).toEqual([]);
  });

  it('refuses unknown actions, flags and bits, actions without a monitor, and trailing bytes', () => {
    expect(() => decodeUiMessage(new Uint8Array([UiKind.VM_ACTION, 5]), BRIDGE_VERSION)).toThrow(/action is 5, outside 0..4/);
    expect(() => decodeUiMessage(new Uint8Array([UiKind.VM_ACTION]), BRIDGE_VERSION)).toThrow(/needs 1 bytes/);
    expect(() => decodeUiMessage(new Uint8Array([UiKind.VM_ACTION, 0, 0]), BRIDGE_VERSION)).toThrow(/unexpected bytes/);
    expect(() => decodeHostMessage(new Uint8Array([HostKind.VM_STATE, 4, 0, 0, 0]))).toThrow(/VM_STATE: unknown flags 0x4/);
    expect(() => decodeHostMessage(new Uint8Array([HostKind.VM_STATE, 1, 0x20, 0, 0]))).toThrow(/action bits 0x20 outside 0x1f/);
    expect(() => decodeHostMessage(new Uint8Array([HostKind.VM_STATE, 0, 1, 0, 0]))).toThrow(/actions offered without a monitor/);
    expect(() => decodeHostMessage(new Uint8Array([HostKind.VM_ACTION_RESULT, 0, 2, 0, 0]))).toThrow(/ok is 2, outside 0..1/);
    expect(() => decodeHostMessage(new Uint8Array([HostKind.VM_STATE, 1, 0, 0, 0, 9]))).toThrow(/unexpected bytes/);
  });
});
