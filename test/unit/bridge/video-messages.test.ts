// The video parts of the bridge: the page's codec list in its HELLO (checked as hostile input by the
// host), STREAM_ERROR from the page and MEDIA_TIME to it.
import { describe, expect, it } from 'vitest';
import { BridgeError } from '../../../src/protocol/bridge/bridge-fields.ts';
import { decodeHostMessage, encodeHostMessage } from '../../../src/protocol/bridge/host-codec.ts';
import { BRIDGE_MAGIC, BRIDGE_VERSION, HostKind, UiKind } from '../../../src/protocol/bridge/kinds.ts';
import { Limits } from '../../../src/protocol/bridge/limits.ts';
import { decodeUiMessage } from '../../../src/protocol/bridge/ui-codec.ts';

const V = BRIDGE_VERSION;

/** A HELLO for target 0 with a codec list written by hand: count, then (codec, acceleration) pairs, then `tail` (the audio capability flags). */
function hello(count: number, pairs: number[], tail: number[] = [0]): Uint8Array {
  const head = [UiKind.HELLO, BRIDGE_MAGIC & 0xff, (BRIDGE_MAGIC >>> 8) & 0xff, (BRIDGE_MAGIC >>> 16) & 0xff, BRIDGE_MAGIC >>> 24, V & 0xff, V >> 8, 0, 0];
  return new Uint8Array([...head, count, ...pairs, ...tail]);
}

function errorOf(bytes: Uint8Array): string {
  try {
    decodeUiMessage(bytes, V);
  } catch (e) {
    expect(e).toBeInstanceOf(BridgeError);
    return (e as Error).message;
  }
  throw new Error('accepted');
}

describe('the HELLO codec list', () => {
  it('keeps the page order, with each codec acceleration', () => {
    const m = decodeUiMessage(hello(3, [3, 1, 4, 0, 1, 0]), V);
    expect(m).toEqual({
      kind: 'hello',
      version: V,
      target: 0,
      videoCodecs: [
        { codec: 3, acceleration: 'hardware' },
        { codec: 4, acceleration: 'software' },
        { codec: 1, acceleration: 'software' },
      ],
      audio: { opusDecode: false, opusEncode: false, volume: false, latency: false },
    });
  });

  it('skips codecs this host does not know and repeated ones', () => {
    const m = decodeUiMessage(hello(5, [9, 0, 2, 0, 0, 1, 2, 1, 5, 0]), V);
    expect(m.kind === 'hello' && m.videoCodecs).toEqual([
      { codec: 2, acceleration: 'software' },
      { codec: 5, acceleration: 'software' },
    ]);
  });

  it('refuses more than a few entries, an unknown acceleration and a cut list', () => {
    expect(errorOf(hello(Limits.maxVideoCodecs + 1, new Array<number>((Limits.maxVideoCodecs + 1) * 2).fill(1)))).toMatch(/9 video codecs listed; a page lists at most 8/);
    expect(errorOf(hello(1, [3, 2]))).toMatch(/video codec 3's acceleration is 2, neither 0 \(software\) nor 1 \(hardware\)/);
    expect(errorOf(hello(2, [3, 0], []))).toMatch(/video codec needs 1 bytes/);
    expect(errorOf(hello(0, [], [0, 3]))).toMatch(/1 unexpected bytes after the last field/);
  });
});

describe('STREAM_ERROR and MEDIA_TIME', () => {
  it('refuses a stream id no stream can have and an over-long message', () => {
    expect(errorOf(new Uint8Array([UiKind.STREAM_ERROR, 0, 64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toMatch(/stream id is 64, outside 0..63/);
    const long = Limits.maxStreamErrorBytes + 1;
    const bytes = new Uint8Array(13 + long).fill(0x61);
    bytes.set([UiKind.STREAM_ERROR, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, long & 0xff, long >> 8]);
    expect(errorOf(bytes)).toMatch(/message of 1025 bytes is longer than the 1024 allowed/);
  });

  it('carries the serial of the stream STREAM_CREATE, 0 for none', () => {
    expect(decodeUiMessage(new Uint8Array([UiKind.STREAM_ERROR, 2, 49, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0]), V)).toEqual({ kind: 'stream-error', channelId: 2, streamId: 49, serial: 7n, message: '' });
    expect(decodeUiMessage(new Uint8Array([UiKind.STREAM_ERROR, 2, 49, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), V)).toEqual({ kind: 'stream-error', channelId: 2, streamId: 49, message: '' });
  });

  it('carries the media time as a wrapping u32', () => {
    expect(Array.from(encodeHostMessage({ kind: 'media-time', mmNow: 0x01020304 }))).toEqual([HostKind.MEDIA_TIME, 4, 3, 2, 1]);
    expect(decodeHostMessage(new Uint8Array([HostKind.MEDIA_TIME, 0xff, 0xff, 0xff, 0xff]))).toEqual({ kind: 'media-time', mmNow: 0xffffffff });
    expect(() => decodeHostMessage(new Uint8Array([HostKind.MEDIA_TIME, 1, 2, 3]))).toThrow(/MEDIA_TIME: media time needs 4 bytes/);
  });
});
