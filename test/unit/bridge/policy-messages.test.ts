// PAGE_POLICY (0x18) through the shared host codec: round trip, and malformed messages refused
// with a reason.
import { describe, expect, it } from 'vitest';
import { decodeHostMessage, encodeHostMessage } from '../../../src/protocol/bridge/host-codec.ts';
import { sessionPolicy } from '../../../src/protocol/policy/kiosk-policy.ts';
import { pagePolicyMessage, type PagePolicyMessage } from '../../../src/protocol/bridge/policy-messages.ts';

const kioskVv: PagePolicyMessage = pagePolicyMessage(
  sessionPolicy({ profile: { source: 'vv', hotkeys: { 'secure-attention': 'ctrl+alt+insert', 'release-cursor': 'shift+f12' } }, flags: { kiosk: true, kioskQuit: 'never' } }),
);

describe('PAGE_POLICY', () => {
  it('carries the kiosk flag, the controls, the session end and the hotkeys', () => {
    expect(kioskVv).toEqual({
      kind: 'page-policy',
      kiosk: true,
      controls: { bar: false, ctrlAltDelButton: false, resizeToggle: false, vmMenu: false },
      onSessionEnd: 'reconnect-screen',
      fileTransfer: 'to-guest',
      hotkeys: [
        { action: 'release-cursor', text: 'shift+f12' },
        { action: 'secure-attention', text: 'ctrl+alt+insert' },
      ],
    });
    const bytes = encodeHostMessage(kioskVv);
    // kind, flags (kiosk only), session end 1, two hotkeys: action 1 + "shift+f12", action 5 + "ctrl+alt+insert"
    expect([...bytes.subarray(0, 6)]).toEqual([0x18, 0x01, 0x01, 0x02, 0x01, 9]);
    expect(decodeHostMessage(bytes)).toEqual(kioskVv);
    const plain = pagePolicyMessage(sessionPolicy({ flags: { kiosk: false, kioskQuit: 'never' } }));
    expect(encodeHostMessage(plain)[1]).toBe(0x2e);
    expect(decodeHostMessage(encodeHostMessage(plain))).toEqual(plain);
  });

  const valid = (): number[] => [...encodeHostMessage(kioskVv)];

  it('refuses unknown flags, session ends and actions, bad counts and trailing bytes', () => {
    const withByte = (i: number, v: number): Uint8Array => {
      const b = valid();
      b[i] = v;
      return new Uint8Array(b);
    };
    expect(() => decodeHostMessage(withByte(1, 0x40))).toThrow(/PAGE_POLICY: unknown flags 0x40/);
    expect(() => decodeHostMessage(withByte(2, 3))).toThrow(/session end is 3, outside 0..2/);
    expect(() => decodeHostMessage(withByte(3, 10))).toThrow(/hotkey count is 10, outside 0..9/);
    expect(() => decodeHostMessage(withByte(4, 9))).toThrow(/hotkey action is 9, outside 0..8/);
    expect(() => decodeHostMessage(withByte(3, 3))).toThrow(/needs 1 bytes/);
    expect(() => decodeHostMessage(new Uint8Array([...valid(), 0]))).toThrow(/1 unexpected bytes after the last field/);
  });

  it('refuses a hotkey given twice, one it cannot parse, and an empty one', () => {
    const message = (hotkeys: { action: number; text: string }[]): Uint8Array => {
      const out = [0x18, 0x01, 0x01, hotkeys.length];
      for (const h of hotkeys) {
        const t = [...new TextEncoder().encode(h.text)];
        out.push(h.action, t.length, 0, ...t);
      }
      return new Uint8Array(out);
    };
    expect(decodeHostMessage(message([{ action: 5, text: 'ctrl+alt+end' }]))).toMatchObject({ hotkeys: [{ action: 'secure-attention', text: 'ctrl+alt+end' }] });
    expect(() => decodeHostMessage(message([{ action: 5, text: 'f1' }, { action: 5, text: 'f2' }]))).toThrow(/hotkey secure-attention given twice/);
    expect(() => decodeHostMessage(message([{ action: 5, text: 'ctrl+hyper' }]))).toThrow(/unknown key "hyper"/);
    expect(() => decodeHostMessage(message([{ action: 5, text: '' }]))).toThrow(/secure-attention hotkey is empty/);
    expect(() => decodeHostMessage(message([{ action: 5, text: 'x'.repeat(65) }]))).toThrow(/longer than the 64 allowed/);
  });
});
