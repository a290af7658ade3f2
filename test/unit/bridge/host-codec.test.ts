import { describe, expect, it } from 'vitest';
import { BridgeError } from '../../../src/protocol/bridge/bridge-fields.ts';
import type { HostMessage } from '../../../src/protocol/bridge/bridge-messages.ts';
import { Limits } from '../../../src/protocol/bridge/limits.ts';
import { BODY_HEADER_BYTES, decodeHostMessage, decodeHostPacket, encodeHostMessage, encodeHostPacket, splitHostPacket } from '../../../src/protocol/bridge/host-codec.ts';

function rejects(bytes: number[] | Uint8Array, pattern: RegExp): void {
  const input = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  expect(() => decodeHostMessage(input)).toThrow(BridgeError);
  expect(() => decodeHostMessage(input)).toThrow(pattern);
}

const body = new Uint8Array([9, 8, 7, 6, 5]);
const samples: HostMessage[] = [
  { kind: 'hello', version: 1 },
  { kind: 'status', status: { state: 'connecting', where: '127.0.0.1:5900' } },
  {
    kind: 'status',
    status: {
      state: 'connected',
      serverName: 'Xspice — ünïcode',
      channels: [
        { type: 1, id: 0 },
        { type: 2, id: 0 },
        { type: 3, id: 0 },
        { type: 4, id: 1 },
      ],
    },
  },
  { kind: 'status', status: { state: 'connected', serverName: '', channels: [] } },
  { kind: 'status', status: { state: 'error', errorKind: 'auth', message: 'the server refused the password' } },
  { kind: 'status', status: { state: 'closed', reason: '' } },
  { kind: 'display', channelId: 0, type: 302, serial: 123456789012n, body },
  { kind: 'cursor', channelId: 1, type: 101, serial: 1n, body: new Uint8Array(0) },
  { kind: 'mouse-mode', supported: 3, current: 2 },
  { kind: 'password-request', reason: 'the server refused the password (error 7)' },
  { kind: 'agent', connected: false, monitorsConfig: false, clipboard: false },
  { kind: 'agent', connected: true, monitorsConfig: true, clipboard: false },
  { kind: 'agent', connected: true, monitorsConfig: false, clipboard: true },
];

describe('host messages', () => {
  it.each(samples.map((m, i) => [`${m.kind} #${i}`, m] as const))('%s survives encode and decode', (_n, m) => {
    expect(decodeHostMessage(encodeHostMessage(m))).toEqual(m);
  });

  it('puts the SPICE body after a 12-byte header, unchanged and uncopied on decode', () => {
    const bytes = encodeHostMessage({ kind: 'display', channelId: 2, type: 0x0130, serial: 0x0102030405060708n, body });
    expect(Array.from(bytes.subarray(0, BODY_HEADER_BYTES))).toEqual([0x03, 2, 0x30, 0x01, 8, 7, 6, 5, 4, 3, 2, 1]);
    expect(Array.from(bytes.subarray(BODY_HEADER_BYTES))).toEqual([9, 8, 7, 6, 5]);
    const decoded = decodeHostMessage(bytes);
    expect(decoded.kind === 'display' && decoded.body.buffer).toBe(bytes.buffer);
  });

  it('cuts an over-long string on a character boundary', () => {
    const long = 'é'.repeat(3000); // 6000 bytes of UTF-8
    const m = decodeHostMessage(encodeHostMessage({ kind: 'status', status: { state: 'closed', reason: long } }));
    expect(m.kind === 'status' && m.status.state === 'closed' && m.status.reason).toBe('é'.repeat(2048));
  });

  it('rejects every truncation of fixed-layout messages and of statuses', () => {
    for (const m of samples) {
      if (m.kind === 'display' || m.kind === 'cursor') continue;
      const full = encodeHostMessage(m);
      for (let n = 0; n < full.byteLength; n++) expect(() => decodeHostMessage(full.slice(0, n)), `${m.kind} cut to ${n}`).toThrow(BridgeError);
    }
    // A body message needs its whole header; an empty body is fine.
    for (let n = 1; n < BODY_HEADER_BYTES; n++) rejects(new Uint8Array(n).fill(3), /needs \d+ bytes/);
  });

  it('rejects unknown kinds, states and error kinds, and bad UTF-8', () => {
    rejects([], /no kind byte/);
    rejects([0x81], /unknown kind 0x81/);
    rejects([0x02, 9], /unknown session state 9/);
    rejects([0x02, 2, 3, 0, 0x66, 0x6f, 0x6f, 0, 0], /unknown error kind "foo"/);
    rejects([0x02, 3, 2, 0, 0xc3, 0x28], /reason is not valid UTF-8/);
    rejects([0x01, 0x53, 0x44, 0x42, 0x51, 1, 0], /magic/);
  });

  it('rejects a channel list longer than the message, and lengths over the limit', () => {
    rejects([0x02, 1, 0, 0, 0xff, 0xff, 1, 0], /claims 65535 channels but only 2 bytes remain/);
    const long = new Uint8Array(4 + 5000);
    long.set([0x02, 3, 0x88, 0x13]);
    rejects(long, /reason of 5000 bytes is longer than the 4096 allowed/);
  });
});

describe('password request, clipboard text and agent state', () => {
  it('lays them out as documented', () => {
    expect(Array.from(encodeHostMessage({ kind: 'password-request', reason: 'no' }))).toEqual([0x06, 2, 0, 0x6e, 0x6f]);
    expect(Array.from(encodeHostMessage({ kind: 'clipboard-text', text: 'a\nb' }))).toEqual([0x07, 0x61, 0x0a, 0x62]);
    expect(Array.from(encodeHostMessage({ kind: 'agent', connected: true, monitorsConfig: false, clipboard: true }))).toEqual([0x08, 5]);
  });

  it('carries clipboard text whole up to the limit, and refuses more', () => {
    const text = 'ü'.repeat(Limits.maxClipboardTextBytes / 2);
    expect(decodeHostMessage(encodeHostMessage({ kind: 'clipboard-text', text }))).toEqual({ kind: 'clipboard-text', text });
    expect(() => encodeHostMessage({ kind: 'clipboard-text', text: text + 'x' })).toThrow(/longer than the 1048576/);
    const over = new Uint8Array(2 + Limits.maxClipboardTextBytes).fill(0x61);
    over[0] = 0x07;
    rejects(over, /text of 1048577 bytes is longer than the 1048576 allowed/);
    rejects([0x07, 0xe2, 0x82], /text is not valid UTF-8/);
  });

  it('rejects unknown agent flags and a reason longer than its message', () => {
    rejects([0x08, 8], /flags 0x8 has bits outside 0x7/);
    rejects([0x06, 5, 0, 0x61], /reason needs 5 bytes/);
  });
});

describe('host packets', () => {
  it('carry several messages in order, and split back into them', () => {
    const a = encodeHostMessage({ kind: 'hello', version: 3 });
    const b = encodeHostMessage({ kind: 'status', status: { state: 'closed', reason: 'bye' } });
    const packet = encodeHostPacket([a, b]);
    expect(packet.byteLength).toBe(8 + a.byteLength + b.byteLength);
    expect(new DataView(packet.buffer).getUint32(0, true)).toBe(a.byteLength);
    expect(splitHostPacket(packet).map((m) => Array.from(m))).toEqual([Array.from(a), Array.from(b)]);
    expect(decodeHostPacket(packet)).toEqual([decodeHostMessage(a), decodeHostMessage(b)]);
  });

  it('refuse broken framing: empty, cut length, zero length, a length past the end', () => {
    const a = encodeHostMessage({ kind: 'hello', version: 3 });
    const packet = encodeHostPacket([a]);
    expect(() => splitHostPacket(new Uint8Array(0))).toThrow(BridgeError);
    for (let n = 1; n < packet.byteLength; n++) expect(() => splitHostPacket(packet.subarray(0, n)), `cut at ${n}`).toThrow(BridgeError);
    expect(() => splitHostPacket(new Uint8Array(4))).toThrow(/0 bytes/);
    const lying = packet.slice();
    new DataView(lying.buffer).setUint32(0, 0xffffffff, true);
    expect(() => splitHostPacket(lying)).toThrow(/does not fit/);
  });
});
