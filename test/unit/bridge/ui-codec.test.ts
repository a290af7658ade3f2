// The UI -> host decoder is the gateway's attack surface: every malformed message must be refused
// with a BridgeError naming the problem, never accepted and never crash with another error.
import { describe, expect, it } from 'vitest';
import { BridgeError } from '../../../src/protocol/bridge/bridge-fields.ts';
import type { UiMessage } from '../../../src/protocol/bridge/bridge-messages.ts';
import { BRIDGE_VERSION } from '../../../src/protocol/bridge/kinds.ts';
import { Limits } from '../../../src/protocol/bridge/limits.ts';
import { decodeUiMessage, encodeUiMessage } from '../../../src/protocol/bridge/ui-codec.ts';

const V = BRIDGE_VERSION;

function rejects(bytes: number[] | Uint8Array, pattern: RegExp): void {
  const input = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let thrown: unknown;
  try {
    decodeUiMessage(input, V);
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `accepted ${Array.from(input.subarray(0, 16), (b) => b.toString(16)).join(' ')}`).toBeInstanceOf(BridgeError);
  expect((thrown as BridgeError).kind).toBe('protocol');
  expect((thrown as Error).message).toMatch(/^malformed bridge message from the UI: /);
  expect((thrown as Error).message).toMatch(pattern);
}

const samples: UiMessage[] = [
  { kind: 'hello', version: V, target: 3, videoCodecs: [], audio: { opusDecode: false, opusEncode: false, volume: false, latency: false } },
  {
    kind: 'hello',
    version: V,
    target: 0,
    videoCodecs: [{ codec: 3, acceleration: 'hardware' }, { codec: 4, acceleration: 'software' }, { codec: 1, acceleration: 'software' }],
    audio: { opusDecode: true, opusEncode: true, volume: true, latency: false },
  },
  { kind: 'stream-error', channelId: 1, streamId: 49, message: 'VideoDecoder: unsupported configuration' },
  { kind: 'stream-error', channelId: 0, streamId: 0, serial: 123456789012n, message: '' },
  { kind: 'key-down', scancode: 0x1e },
  { kind: 'key-up', scancode: 0xe01d },
  { kind: 'key-modifiers', modifiers: 0b101 },
  { kind: 'mouse-position', x: 1023, y: 767, buttons: 0b1, displayId: 0 },
  { kind: 'mouse-position', x: 0, y: Limits.maxCoordinate, buttons: 0x7f, displayId: 3 },
  { kind: 'mouse-motion', dx: -5, dy: 12, buttons: 0 },
  { kind: 'mouse-motion', dx: -Limits.maxMotion, dy: Limits.maxMotion, buttons: 0x40 },
  { kind: 'mouse-press', button: 1, buttons: 1 },
  { kind: 'mouse-release', button: 7, buttons: 0 },
  { kind: 'ctrl-alt-del' },
  { kind: 'password', password: 'pässwörd' },
  { kind: 'password', password: 'x'.repeat(Limits.maxPasswordBytes) },
  { kind: 'password', password: '' },
  { kind: 'password-cancel' },
  { kind: 'display-size', width: 1, height: Limits.maxDisplaySide },
  { kind: 'display-size', width: 2559, height: 1371 },
  { kind: 'clipboard-sharing', toGuest: true, fromGuest: false },
  { kind: 'clipboard-sharing', toGuest: false, fromGuest: true },
];

/** Text runs to the end of the message: any truncation is shorter text, so these are apart. */
const textSamples: UiMessage[] = [
  { kind: 'clipboard-text', text: '' },
  { kind: 'clipboard-text', text: 'line 1\nline 2 – ünïcode ✓' },
  { kind: 'clipboard-text', text: 'é'.repeat(Limits.maxClipboardTextBytes / 2) },
];

describe('UI messages', () => {
  it.each(samples.map((m) => [m.kind, m] as const))('%s survives encode and decode', (_kind, m) => {
    expect(decodeUiMessage(encodeUiMessage(m), V)).toEqual(m);
  });

  it.each(textSamples.map((m, i) => [i, m] as const))('clipboard text %i survives encode and decode', (_i, m) => {
    expect(decodeUiMessage(encodeUiMessage(m), V)).toEqual(m);
  });

  it('lays fields out little-endian after the kind byte', () => {
    // Written by hand from the layout in bridge-messages.ts, not by the encoder.
    // Kind, magic, version, target, video codec count and pairs, audio capability flags.
    expect(Array.from(encodeUiMessage({ kind: 'hello', version: 1, target: 2 }))).toEqual([0x81, 0x53, 0x44, 0x42, 0x52, 1, 0, 2, 0, 0, 0]);
    const audio = { opusDecode: true, opusEncode: false, volume: true, latency: false };
    expect(Array.from(encodeUiMessage({ kind: 'hello', version: 1, target: 2, videoCodecs: [{ codec: 4, acceleration: 'hardware' }, { codec: 2, acceleration: 'software' }], audio }))).toEqual([
      0x81, 0x53, 0x44, 0x42, 0x52, 1, 0, 2, 0, 2, 4, 1, 2, 0, 5,
    ]);
    expect(Array.from(encodeUiMessage({ kind: 'record-data', mode: 3, time: 0x0102, payload: new Uint8Array([9]) }))).toEqual([0xb8, 3, 2, 1, 0, 0, 9]);
    expect(Array.from(encodeUiMessage({ kind: 'audio-clock', mmNow: 0x01020304 }))).toEqual([0xb9, 4, 3, 2, 1]);
    expect(Array.from(encodeUiMessage({ kind: 'stream-error', channelId: 1, streamId: 49, serial: 0x0102n, message: 'no' }))).toEqual([0xb0, 1, 49, 2, 1, 0, 0, 0, 0, 0, 0, 2, 0, 0x6e, 0x6f]);
    expect(Array.from(encodeUiMessage({ kind: 'key-down', scancode: 0xe048 }))).toEqual([0x82, 0x48, 0xe0, 0, 0]);
    expect(Array.from(encodeUiMessage({ kind: 'mouse-motion', dx: -1, dy: 2, buttons: 4 }))).toEqual([0x86, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 4, 0]);
    expect(decodeUiMessage(new Uint8Array([0x85, 10, 0, 0, 0, 20, 0, 0, 0, 1, 0, 2]), V)).toEqual({
      kind: 'mouse-position',
      x: 10,
      y: 20,
      buttons: 1,
      displayId: 2,
    });
  });

  it('rejects every truncation of every message', () => {
    for (const m of samples) {
      const full = encodeUiMessage(m);
      for (let n = 0; n < full.byteLength; n++) {
        if (n === 0) rejects(full.subarray(0, 0), /no kind byte/);
        else rejects(full.slice(0, n), /needs \d+ bytes/);
      }
    }
  });

  it('rejects trailing bytes after every message', () => {
    for (const m of samples) {
      const full = encodeUiMessage(m);
      const longer = new Uint8Array(full.byteLength + 1);
      longer.set(full);
      rejects(longer, /1 unexpected bytes after the last field/);
    }
  });

  it('rejects unknown kinds, including host kinds sent the wrong way', () => {
    rejects([0x00], /unknown kind 0x0/);
    rejects([0x03, 0, 0], /unknown kind 0x3/);
    rejects([0x80], /unknown kind 0x80/);
    rejects([0xff, 1, 2], /unknown kind 0xff/);
  });

  it('rejects a huge message before looking at it', () => {
    const huge = new Uint8Array(16 * 1024 * 1024);
    huge[0] = 0x82;
    rejects(huge, new RegExp(`16777216 bytes is more than the ${1024 * 1024 + 1}`));
    rejects(new Uint8Array(Limits.maxUiMessageBytes + 1).fill(0x8d), new RegExp(`${1024 * 1024 + 2} bytes`));
  });

  it('rejects a HELLO with another magic or another version', () => {
    rejects([0x81, 0x47, 0x45, 0x54, 0x20, 1, 0, 0, 0], /magic is 0x20544547/);
    rejects([0x81, 0x53, 0x44, 0x42, 0x52, V + 1, 0, 0, 0], new RegExp(`version ${V + 1}, this host ${V}; reload the page`));
    rejects([0x81, 0x53, 0x44, 0x42, 0x52, 0, 0, 0, 0], /version 0/);
  });

  it('accepts set-1 scan codes only: 0xNN, 0xE0NN and Pause', () => {
    expect(decodeUiMessage(new Uint8Array([0x82, 0x45, 0x1d, 0xe1, 0]), V)).toEqual({ kind: 'key-down', scancode: 0xe11d45 });
    rejects([0x82, 0, 0, 0, 0], /scancode 0x00 is not a set-1 scan code/);
    rejects([0x83, 0xff, 0x01, 0, 0], /scancode 0x1FF is not/);
    rejects([0x82, 0x80, 0xe0, 0, 0], /scancode 0xE080 is not/);
    rejects([0x82, 0, 0, 1, 0], /scancode 0x10000 is not/);
    rejects([0x82, 0xff, 0xff, 0xff, 0xff], /scancode 0xFFFFFFFF is not/);
  });

  it('rejects lock-key modifiers with unknown bits', () => {
    rejects([0x84, 8, 0], /modifiers 0x8 has bits outside 0x7/);
    rejects([0x84, 0, 0x80], /modifiers 0x8000/);
  });

  it('rejects positions outside the coordinate range, and buttons with unknown bits', () => {
    const pos = (x: number, y: number, buttons: number): Uint8Array => {
      const b = new Uint8Array(12);
      const v = new DataView(b.buffer);
      v.setUint8(0, 0x85);
      v.setUint32(1, x, true);
      v.setUint32(5, y, true);
      v.setUint16(9, buttons, true);
      return b;
    };
    rejects(pos(0x8000, 0, 0), /x is 32768, outside 0\.\.32767/);
    rejects(pos(0, 0xffffffff, 0), /y is 4294967295/);
    rejects(pos(1, 1, 0x80), /buttons 0x80 has bits outside 0x7f/);
    rejects(pos(1, 1, 0xffff), /buttons 0xffff/);
  });

  it('rejects relative motion beyond the limit in either direction', () => {
    const motion = (dx: number, dy: number): Uint8Array => {
      const b = new Uint8Array(11);
      const v = new DataView(b.buffer);
      v.setUint8(0, 0x86);
      v.setInt32(1, dx, true);
      v.setInt32(5, dy, true);
      return b;
    };
    rejects(motion(0x8000, 0), /dx is 32768/);
    rejects(motion(0, -0x8000), /dy is -32768/);
    rejects(motion(-0x80000000, 0), /dx is -2147483648/);
  });

  it('rejects buttons outside LEFT..EXTRA in press and release', () => {
    rejects([0x87, 0, 0, 0], /button is 0, outside 1\.\.7/);
    rejects([0x88, 8, 0, 0], /button is 8/);
    rejects([0x87, 1, 0x00, 0x01], /buttons 0x100/);
  });

  it('never throws anything but BridgeError on random input', () => {
    let seed = 12345;
    const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const len = next() % 16;
      const b = new Uint8Array(len);
      for (let j = 0; j < len; j++) b[j] = next();
      if (len > 0 && i % 2 === 0) b[0] = 0x81 + (next() % 9);
      try {
        decodeUiMessage(b, V);
        accepted++;
      } catch (e) {
        expect(e).toBeInstanceOf(BridgeError);
      }
    }
    // Some random messages are valid (e.g. a 1-byte CTRL_ALT_DEL); the loop must have run both ways.
    expect(accepted).toBeGreaterThan(0);
  });
});

describe('the password, resize and clipboard messages', () => {
  it('lays them out as documented', () => {
    // By hand: kind, u16 length, UTF-8; kind, u16 width, u16 height; kind, flags; kind, text.
    expect(Array.from(encodeUiMessage({ kind: 'password', password: 'ab' }))).toEqual([0x8a, 2, 0, 0x61, 0x62]);
    expect(Array.from(encodeUiMessage({ kind: 'password-cancel' }))).toEqual([0x8b]);
    expect(Array.from(encodeUiMessage({ kind: 'display-size', width: 0x500, height: 0x2d0 }))).toEqual([0x8c, 0x00, 0x05, 0xd0, 0x02]);
    expect(Array.from(encodeUiMessage({ kind: 'clipboard-text', text: 'hé' }))).toEqual([0x8d, 0x68, 0xc3, 0xa9]);
    expect(Array.from(encodeUiMessage({ kind: 'clipboard-sharing', toGuest: true, fromGuest: true }))).toEqual([0x8e, 3]);
    expect(decodeUiMessage(new Uint8Array([0x8e, 0]), V)).toEqual({ kind: 'clipboard-sharing', toGuest: false, fromGuest: false });
  });

  it('lays out MOUSE_MODE_REQUEST with spice.proto mode numbers and refuses others', () => {
    expect(Array.from(encodeUiMessage({ kind: 'mouse-mode-request', mode: 'server' }))).toEqual([0x8f, 1]);
    expect(decodeUiMessage(new Uint8Array([0x8f, 2]), V)).toEqual({ kind: 'mouse-mode-request', mode: 'client' });
    rejects(new Uint8Array([0x8f, 3]), /mouse mode 3 is neither 1 \(server\) nor 2 \(client\)/);
    rejects(new Uint8Array([0x8f]), /mode/);
    rejects(new Uint8Array([0x8f, 1, 0]), /./);
  });

  it('refuses a password longer than SPICE allows, on both sides, without echoing it', () => {
    const secret = 'hunter2-'.repeat(8); // 64 bytes
    expect(() => encodeUiMessage({ kind: 'password', password: secret })).toThrow(/64 bytes; SPICE allows 60/);
    const bytes = new Uint8Array([0x8a, 64, 0, ...new TextEncoder().encode(secret)]);
    rejects(bytes, /password of 64 bytes is longer than the 60 allowed/);
    try {
      decodeUiMessage(bytes, V);
    } catch (e) {
      expect((e as Error).message).not.toContain('hunter2');
    }
    // 60 bytes of multi-byte characters are fine; one more byte is not.
    expect(() => encodeUiMessage({ kind: 'password', password: 'é'.repeat(30) })).not.toThrow();
    expect(() => encodeUiMessage({ kind: 'password', password: 'é'.repeat(30) + 'x' })).toThrow(/61 bytes/);
  });

  it('refuses a password or clipboard text that is not UTF-8', () => {
    rejects([0x8a, 2, 0, 0xc3, 0x28], /password is not valid UTF-8/);
    rejects([0x8d, 0x61, 0xff], /text is not valid UTF-8/);
  });

  it('refuses display sizes of zero or beyond the largest guest mode', () => {
    rejects([0x8c, 0, 0, 1, 0], /width is 0, outside 1\.\.16384/);
    rejects([0x8c, 1, 0, 0, 0], /height is 0, outside 1\.\.16384/);
    rejects([0x8c, 0x01, 0x40, 1, 0], /width is 16385/);
    rejects([0x8c, 0xff, 0xff, 1, 0], /width is 65535/);
  });

  it('refuses unknown clipboard sharing flags', () => {
    rejects([0x8e, 4], /flags 0x4 has bits outside 0x3/);
    rejects([0x8e, 0x83], /flags 0x83/);
  });

  it('refuses clipboard text over the limit, when encoding and when decoding', () => {
    const over = 'a'.repeat(Limits.maxClipboardTextBytes + 1);
    expect(() => encodeUiMessage({ kind: 'clipboard-text', text: over })).toThrow(/1048577 bytes is longer than the 1048576/);
    // Exactly the limit is the largest UI message there is.
    const atLimit = encodeUiMessage({ kind: 'clipboard-text', text: 'a'.repeat(Limits.maxClipboardTextBytes) });
    expect(atLimit.byteLength).toBe(Limits.maxUiMessageBytes);
    expect(decodeUiMessage(atLimit, V)).toMatchObject({ kind: 'clipboard-text' });
  });
});
