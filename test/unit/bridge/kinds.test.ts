// The kind registry (src/protocol/bridge/kinds.ts): one number per kind, in its direction's range,
// and a decoder for every kind in both codecs.
import { describe, expect, it } from 'vitest';
import { decodeHostMessage } from '../../../src/protocol/bridge/host-codec.ts';
import { BRIDGE_VERSION, HostKind, hostKindName, UiKind, uiKindName } from '../../../src/protocol/bridge/kinds.ts';
import { decodeUiMessage } from '../../../src/protocol/bridge/ui-codec.ts';

/** The error a decoder throws for a message of only its kind byte, or null when it decodes. */
function errorOf(decode: () => unknown): string | null {
  try {
    decode();
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

describe('bridge kinds', () => {
  it('gives every kind its own number, host kinds in 0x01..0x7f and UI kinds in 0x81..0xff', () => {
    const host = Object.values(HostKind);
    const ui = Object.values(UiKind);
    expect(new Set(host).size).toBe(host.length);
    expect(new Set(ui).size).toBe(ui.length);
    for (const k of host) expect(k >= 0x01 && k <= 0x7f, `host kind 0x${k.toString(16)}`).toBe(true);
    for (const k of ui) expect(k >= 0x81 && k <= 0xff, `UI kind 0x${k.toString(16)}`).toBe(true);
  });

  it('names every kind by its key and nothing else', () => {
    for (const [name, k] of Object.entries(HostKind)) expect(hostKindName(k)).toBe(name);
    for (const [name, k] of Object.entries(UiKind)) expect(uiKindName(k)).toBe(name);
    expect(hostKindName(0x7f)).toBeUndefined();
    expect(uiKindName(0x80)).toBeUndefined();
  });

  it('has a host decoder for every host kind', () => {
    for (const [name, k] of Object.entries(HostKind)) {
      expect(errorOf(() => decodeHostMessage(new Uint8Array([k]))) ?? '', name).not.toMatch(/unknown kind/);
    }
    expect(errorOf(() => decodeHostMessage(new Uint8Array([0x7f])))).toMatch(/unknown kind 0x7f/);
  });

  it('has a UI decoder for every UI kind', () => {
    for (const [name, k] of Object.entries(UiKind)) {
      expect(errorOf(() => decodeUiMessage(new Uint8Array([k]), BRIDGE_VERSION)) ?? '', name).not.toMatch(/unknown kind/);
    }
    expect(errorOf(() => decodeUiMessage(new Uint8Array([0x80]), BRIDGE_VERSION))).toMatch(/unknown kind 0x80/);
  });
});
