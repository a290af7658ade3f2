import { describe, expect, it } from 'vitest';
import { CapSet } from '../../../../../src/protocol/link/caps.ts';
import {
  AgentMsg,
  buildAnnounceCapabilities,
  buildClipboardGrab,
  buildDisplayConfig,
  buildFileXferData,
  buildFileXferStart,
  buildMonitorsConfig,
  encodeAgentMessage,
  parseAnnounceCapabilities,
  parseClipboardData,
  parseClipboardGrab,
  parseFileXferStart,
  parseFileXferStatus,
  parseGraphicsDeviceInfo,
  parseMonitorsConfig,
} from '../../../../../src/protocol/channels/main/agent/agent-messages.ts';
import { ProtocolError } from '../../../../../src/protocol/wire/errors.ts';

const bytes = (...v: number[]) => new Uint8Array(v);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('agent messages', () => {
  it('frames a message with protocol 1, the type, opaque 0 and the body size', () => {
    expect(hex(encodeAgentMessage(AgentMsg.MAX_CLIPBOARD, bytes(1, 2)))).toBe('01000000' + '0e000000' + '0000000000000000' + '02000000' + '0102');
  });

  it('announces capabilities as request flag and one word, and reads any number of words', () => {
    expect(hex(buildAnnounceCapabilities({ request: true, caps: CapSet.of(1, 5, 17) }))).toBe('01000000' + '22000200');
    const parsed = parseAnnounceCapabilities(bytes(0, 0, 0, 0, 0x08, 0, 0, 0, 1, 0, 0, 0, 0xff));
    expect(parsed.request).toBe(false);
    expect(parsed.caps.list()).toEqual([3, 32]);
  });

  it('clipboard grabs carry the selection prefix and serial only with the caps', () => {
    const full = { selection: true, serial: true };
    expect(hex(buildClipboardGrab(full, { selection: 1, serial: 7, types: [1, 2] }))).toBe('01000000' + '07000000' + '01000000' + '02000000');
    expect(hex(buildClipboardGrab({ selection: false, serial: false }, { selection: 0, types: [1] }))).toBe('01000000');
    expect(parseClipboardGrab(bytes(2, 0, 0, 0, 9, 0, 0, 0, 5, 0, 0, 0), full)).toEqual({ selection: 2, serial: 9, types: [5] });
    expect(parseClipboardGrab(bytes(1, 0, 0, 0), { selection: false, serial: false })).toEqual({ selection: 0, types: [1] });
    expect(() => parseClipboardGrab(bytes(0, 0, 0, 0, 1, 0), { selection: true, serial: false })).toThrow(/not a whole number of u32 types/);
    expect(() => parseClipboardGrab(bytes(0, 0), full)).toThrow(ProtocolError);
  });

  it('clipboard data is type then bytes to the end', () => {
    const d = parseClipboardData(bytes(0, 0, 0, 0, 1, 0, 0, 0, 0x68, 0x69), { selection: true, serial: false });
    expect([d.selection, d.type, hex(d.data)]).toEqual([0, 1, '6869']);
  });

  it('monitors config: heads as height, width, depth, x, y; physical sizes only with the flag', () => {
    const body = buildMonitorsConfig({ flags: 1, monitors: [{ width: 1280, height: 720, depth: 32, x: -5, y: 0 }] });
    expect(hex(body)).toBe('01000000' + '01000000' + 'd0020000' + '00050000' + '20000000' + 'fbffffff' + '00000000');
    const withMm = buildMonitorsConfig({ flags: 3, monitors: [{ width: 2, height: 1, depth: 32, x: 0, y: 0, widthMm: 300, heightMm: 200 }] });
    expect(withMm.byteLength).toBe(8 + 20 + 4);
    expect(hex(withMm.subarray(28))).toBe('c8002c01');
    expect(parseMonitorsConfig(withMm).monitors[0]).toMatchObject({ width: 2, height: 1, widthMm: 300, heightMm: 200 });
    expect(() => parseMonitorsConfig(bytes(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0))).toThrow(/claims 4294967295 entries/);
  });

  it('display config is flags then depth', () => {
    expect(hex(buildDisplayConfig({ flags: 8 | 1, depth: 16 }))).toBe('09000000' + '10000000');
  });

  it('file transfer start is the id and a NUL-terminated key file, with the name escaped', () => {
    const body = buildFileXferStart({ id: 3, name: ' a\\b\nc.txt', size: 12 });
    expect(hex(body.subarray(0, 4))).toBe('03000000');
    expect(body[body.byteLength - 1]).toBe(0);
    expect(new TextDecoder().decode(body.subarray(4, -1))).toBe('[vdagent-file-xfer]\nname=\\sa\\\\b\\nc.txt\nsize=12\n');
    expect(parseFileXferStart(body)).toEqual({ id: 3, name: ' a\\b\nc.txt', size: 12 });
  });

  it('file transfer data is the id, a u64 size and the bytes', () => {
    expect(hex(buildFileXferData(2, bytes(0xaa, 0xbb)))).toBe('02000000' + '0200000000000000' + 'aabb');
  });

  it('file transfer status details are read only when present', () => {
    expect(parseFileXferStatus(bytes(1, 0, 0, 0, 4, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0))).toEqual({ id: 1, result: 4, detail: { kind: 'not-enough-space', freeBytes: 4096n } });
    expect(parseFileXferStatus(bytes(1, 0, 0, 0, 2, 0, 0, 0, 0, 10, 0, 0, 0))).toEqual({ id: 1, result: 2, detail: { kind: 'error', errorType: 0, errorCode: 10 } });
    expect(parseFileXferStatus(bytes(1, 0, 0, 0, 7, 0, 0, 0))).toEqual({ id: 1, result: 7 });
    expect(() => parseFileXferStatus(bytes(1, 0, 0, 0, 7))).toThrow(ProtocolError);
  });

  it('graphics device info reads each device address and rejects a lying count', () => {
    const addr = new TextEncoder().encode('pci/0000/02.0\0');
    const body = new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, addr.length, 0, 0, 0, ...addr]);
    expect(parseGraphicsDeviceInfo(body)).toEqual([{ channelId: 0, monitorId: 1, deviceDisplayId: 2, address: 'pci/0000/02.0' }]);
    expect(() => parseGraphicsDeviceInfo(bytes(9, 0, 0, 0))).toThrow(/claims 9 entries/);
  });
});
