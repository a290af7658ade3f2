// File and clipboard-image bridge messages: both codecs round-trip every kind, and the UI decoder
// (the gateway's attack surface) refuses file names with paths, oversized chunks, lying sizes.
import { describe, expect, it } from 'vitest';
import { BridgeError } from '../../../src/protocol/bridge/bridge-fields.ts';
import type { HostMessage, UiMessage } from '../../../src/protocol/bridge/bridge-messages.ts';
import { BRIDGE_VERSION } from '../../../src/protocol/bridge/kinds.ts';
import { FileLimits, fileNameProblem, fileOutcomes } from '../../../src/protocol/bridge/file-messages.ts';
import { decodeHostMessage, encodeHostMessage } from '../../../src/protocol/bridge/host-codec.ts';
import { decodeUiMessage, encodeUiMessage } from '../../../src/protocol/bridge/ui-codec.ts';
import { WireWriter } from '../../../src/protocol/wire/writer.ts';

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(BridgeError);
    return e as Error;
  }
  throw new Error('accepted');
}

const uiRejects = (bytes: Uint8Array, pattern: RegExp): void => expect(thrown(() => decodeUiMessage(bytes, BRIDGE_VERSION)).message).toMatch(pattern);

describe('file bridge messages', () => {
  it('round-trip UI -> host', () => {
    const samples: UiMessage[] = [
      { kind: 'file-offer', id: 1, name: 'report ✓.pdf', size: 0 },
      { kind: 'file-offer', id: 0xffffffff, name: 'x'.repeat(255), size: FileLimits.maxFileBytes },
      { kind: 'file-data', id: 3, offset: 2 ** 40, data: new Uint8Array(FileLimits.maxChunkBytes).fill(7) },
      { kind: 'file-cancel', id: 3 },
      { kind: 'clipboard-image', total: 1000, offset: 990, data: new Uint8Array(10).fill(1) },
    ];
    for (const m of samples) expect(decodeUiMessage(encodeUiMessage(m), BRIDGE_VERSION)).toEqual(m);
  });

  it('round-trip host -> UI', () => {
    const samples: HostMessage[] = [
      { kind: 'file-credit', id: 9, upTo: 2 ** 33 + 5 },
      { kind: 'file-progress', id: 9, sent: 65536 },
      ...fileOutcomes.map((outcome, i): HostMessage => ({ kind: 'file-result', id: i + 1, outcome, message: `because ${outcome} ✓` })),
      { kind: 'clipboard-image', png: Uint8Array.of(0x89, 0x50, 0x4e, 0x47) },
      { kind: 'clipboard-policy', toGuest: false, fromGuest: true },
    ];
    for (const m of samples) expect(decodeHostMessage(encodeHostMessage(m))).toEqual(m);
  });

  it('the wire layout of FILE_OFFER is fixed', () => {
    const bytes = encodeUiMessage({ kind: 'file-offer', id: 2, name: 'ab', size: 258 });
    expect(Array.from(bytes)).toEqual([0xa8, 2, 0, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0, 2, 0, 0x61, 0x62]);
  });

  const offer = (name: string | Uint8Array, size: bigint = 1n, id = 1): Uint8Array => {
    const raw = typeof name === 'string' ? new TextEncoder().encode(name) : name;
    return new WireWriter().u8(0xa8).u32(id).u64(size).u16(raw.byteLength).bytes(raw).finish();
  };

  it('refuses file names that are paths, control characters, empty, dots or too long', () => {
    uiRejects(offer('../etc/passwd'), /FILE_OFFER: the file name has a path separator/);
    uiRejects(offer('a\\b'), /path separator/);
    uiRejects(offer('a\nb'), /control character/);
    uiRejects(offer('a\u0000b'), /control character/);
    uiRejects(offer(''), /the file name is empty/);
    uiRejects(offer('..'), /".." is not a file name/);
    uiRejects(offer('é'.repeat(128)), /name of 256 bytes is longer than the 255 allowed/);
    uiRejects(offer(Uint8Array.of(0xff, 0xfe)), /name is not valid UTF-8/);
    expect(fileNameProblem('ok name (1).tar.gz')).toBeNull();
  });

  it('refuses sizes past 2^53, id 0, trailing bytes, and data chunks that are empty or too big', () => {
    uiRejects(offer('a', 2n ** 53n), /size 9007199254740992 is larger than 9007199254740991/);
    uiRejects(offer('a', 1n, 0), /file id is 0, outside 1\.\.4294967295/);
    const withTail = new Uint8Array([...offer('a'), 0]);
    uiRejects(withTail, /name|unexpected bytes/);
    const data = (n: number, offset = 0n): Uint8Array => new WireWriter().u8(0xa9).u32(1).u64(offset).bytes(new Uint8Array(n)).finish();
    uiRejects(data(0), /FILE_DATA: no data/);
    uiRejects(data(FileLimits.maxChunkBytes + 1), /65537 bytes of data is more than the 65536/);
    uiRejects(data(10, 2n ** 53n - 5n), /ends past/);
    uiRejects(new Uint8Array([0xaa, 1, 0, 0]), /file id needs 4 bytes/);
    uiRejects(new Uint8Array([0xaa, 1, 0, 0, 0, 9]), /1 unexpected bytes/);
  });

  it('refuses image parts that lie about the total or are too big', () => {
    const part = (total: number, offset: number, n: number): Uint8Array => new WireWriter().u8(0xab).u32(total).u32(offset).bytes(new Uint8Array(n)).finish();
    uiRejects(part(0, 0, 1), /total size is 0/);
    uiRejects(part(FileLimits.maxClipboardImageBytes + 1, 0, 1), /total size is 16777217/);
    uiRejects(part(10, 5, 6), /ends past the image's 10 bytes/);
    uiRejects(part(10, 0xffffffff, 1), /ends past/);
    uiRejects(part(FileLimits.maxClipboardImageBytes, 0, FileLimits.maxImagePartBytes + 1), /more than the 524288 allowed/);
  });

  it('the page refuses host messages with unknown outcomes or flags', () => {
    const result = new WireWriter().u8(0x2a).u32(1).u8(fileOutcomes.length).u16(0).finish();
    expect(thrown(() => decodeHostMessage(result)).message).toMatch(/outcome 12 is not one of the 12 known/);
    expect(thrown(() => decodeHostMessage(Uint8Array.of(0x2c, 4))).message).toMatch(/flags 0x4/);
    expect(thrown(() => decodeHostMessage(Uint8Array.of(0x2b))).message).toMatch(/the image is empty/);
    expect(thrown(() => decodeHostMessage(Uint8Array.of(0x2f))).message).toMatch(/unknown kind 0x2f/);
  });
});
