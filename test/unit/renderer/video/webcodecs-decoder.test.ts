// A stream's WebCodecs decoder against a fake VideoDecoder: configured from the first frame, key
// and delta chunks, prefer-hardware falling back to prefer-software with the same frames, and an
// error after the first picture ending the stream (decode rejects, so the pipeline reports it).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { VideoCodec } from '../../../../src/protocol/channels/display/display-messages.ts';
import type { DecodedFrame } from '../../../../src/protocol/display/video-decoder.ts';
import { WebCodecsStreamDecoder, type WebCodecs } from '../../../../src/renderer/video/webcodecs-decoder.ts';

const bytes = (hex: string): Uint8Array => new Uint8Array(hex.match(/../g)!.map((b) => parseInt(b, 16)));
const H264_IDR = bytes('00000001' + '67f40015919b' + '00000001' + '68ebe3c4' + '00000001' + '65888400');
const H264_P = bytes('00000001' + '419a2211');
const VP8_KEY = bytes('f01b009d012a4001f000');
const VP8_INTER = bytes('d10a00aabbcc');

interface FakeFrame {
  id: number;
  closed: boolean;
  close(): void;
}

/** A fake WebCodecs: each decoder outputs one frame per chunk unless told to fail. */
class FakeWebCodecs implements WebCodecs {
  readonly configs: VideoDecoderConfig[] = [];
  readonly chunks: { mode: string; type: string; size: number }[] = [];
  readonly frames: FakeFrame[] = [];
  /** Modes whose decoders fail on their first chunk (configure accepted, decode errors). */
  failingModes = new Set<string>();
  /** Modes isConfigSupported says no to. */
  unsupportedModes = new Set<string>();
  /** Set to make the current decoder error on its next chunk. */
  failNext = false;
  holdOutput = false;
  private held: (() => void)[] = [];

  createDecoder(init: VideoDecoderInit): ReturnType<WebCodecs['createDecoder']> {
    let mode = '';
    const fake = {
      state: 'unconfigured' as CodecState,
      configure: (c: VideoDecoderConfig) => {
        mode = c.hardwareAcceleration ?? '';
        this.configs.push(c);
        fake.state = 'configured';
      },
      decode: (chunk: EncodedVideoChunk) => {
        this.chunks.push({ mode, type: chunk.type, size: chunk.byteLength });
        const fail = this.failingModes.has(mode) || this.failNext;
        this.failNext = false;
        queueMicrotask(() => {
          if (fake.state === 'closed') return;
          if (fail) {
            fake.state = 'closed';
            init.error(new DOMException('decoding failed', 'EncodingError'));
            return;
          }
          const frame: FakeFrame = { id: this.frames.length, closed: false, close: () => void (frame.closed = true) };
          this.frames.push(frame);
          const out = (): void => init.output(frame as unknown as VideoFrame);
          if (this.holdOutput) this.held.push(out);
          else out();
        });
      },
      close: () => void (fake.state = 'closed'),
    };
    return fake as unknown as ReturnType<WebCodecs['createDecoder']>;
  }

  createChunk(init: EncodedVideoChunkInit): EncodedVideoChunk {
    return { type: init.type, timestamp: init.timestamp, byteLength: (init.data as Uint8Array).byteLength } as EncodedVideoChunk;
  }

  isConfigSupported(c: VideoDecoderConfig): Promise<{ supported: boolean }> {
    return Promise.resolve({ supported: !this.unsupportedModes.has(c.hardwareAcceleration ?? '') });
  }

  picture(frame: VideoFrame, codec: number, acceleration: 'hardware' | 'software'): DecodedFrame {
    const f = frame as unknown as FakeFrame;
    return { width: 320, height: 240, native: f, codec, acceleration, pixels: () => Promise.reject(new Error('not here')), close: () => f.close() } as DecodedFrame;
  }

  releaseHeld(): void {
    for (const out of this.held.splice(0)) out();
  }
}

const idOf = (f: DecodedFrame | null): number | undefined => (f?.native as FakeFrame | undefined)?.id;

describe('WebCodecsStreamDecoder', () => {
  it('configures from the first frame SPS, without a description, and sends key then delta chunks', async () => {
    const wc = new FakeWebCodecs();
    const d = new WebCodecsStreamDecoder(VideoCodec.H264, { hardware: false }, wc);
    expect(idOf(await d.decode(H264_IDR, 320, 240))).toBe(0);
    expect(idOf(await d.decode(H264_P, 320, 240))).toBe(1);
    expect(wc.configs).toEqual([{ codec: 'avc1.F40015', optimizeForLatency: true, hardwareAcceleration: 'prefer-software' }]);
    expect(wc.chunks.map((c) => c.type)).toEqual(['key', 'delta']);
    expect(d.acceleration).toBe('software');
    d.close();
  });

  it('refuses a stream whose first frame is not a key frame', async () => {
    const d = new WebCodecsStreamDecoder(VideoCodec.VP8, { hardware: false }, new FakeWebCodecs());
    await expect(d.decode(VP8_INTER, 320, 240)).rejects.toThrow(/the VP8 stream's first frame is not a key frame/);
    await expect(d.decode(VP8_KEY, 320, 240)).rejects.toThrow(/not a key frame/);
  });

  it('falls back to prefer-software with the same frames when hardware fails before the first picture', async () => {
    const wc = new FakeWebCodecs();
    wc.failingModes.add('prefer-hardware');
    const d = new WebCodecsStreamDecoder(VideoCodec.VP8, { hardware: true }, wc);
    expect(d.acceleration).toBe('hardware');
    const first = await d.decode(VP8_KEY, 320, 240);
    expect(first).not.toBeNull();
    expect(d.acceleration).toBe('software');
    expect(wc.chunks).toEqual([
      { mode: 'prefer-hardware', type: 'key', size: VP8_KEY.byteLength },
      { mode: 'prefer-software', type: 'key', size: VP8_KEY.byteLength },
    ]);
    expect(await d.decode(VP8_INTER, 320, 240)).not.toBeNull();
    d.close();
  });

  it('goes to software at once when the stream profile is not supported in hardware', async () => {
    const wc = new FakeWebCodecs();
    wc.unsupportedModes.add('prefer-hardware');
    const d = new WebCodecsStreamDecoder(VideoCodec.H264, { hardware: true }, wc);
    await d.decode(H264_IDR, 320, 240);
    expect(wc.configs.map((c) => c.hardwareAcceleration)).toEqual(['prefer-software']);
    d.close();
  });

  it('an error after the first picture ends the stream: this and every later decode rejects', async () => {
    const wc = new FakeWebCodecs();
    const d = new WebCodecsStreamDecoder(VideoCodec.VP8, { hardware: true }, wc);
    await d.decode(VP8_KEY, 320, 240);
    wc.failNext = true;
    await expect(d.decode(VP8_INTER, 320, 240)).rejects.toThrow(/the VP8 stream \(vp8, hardware\) cannot be decoded: EncodingError: decoding failed/);
    await expect(d.decode(VP8_INTER, 320, 240)).rejects.toThrow(/cannot be decoded/);
  });

  it('a profile the browser does not decode at all rejects with the codec string', async () => {
    const wc = new FakeWebCodecs();
    wc.unsupportedModes.add('prefer-hardware');
    wc.unsupportedModes.add('prefer-software');
    const d = new WebCodecsStreamDecoder(VideoCodec.H264, { hardware: true }, wc);
    await expect(d.decode(H264_IDR, 320, 240)).rejects.toThrow(/this browser does not decode avc1.F40015/);
  });

  it('an output that comes late goes to the next caller; pictures nobody takes are closed', async () => {
    const wc = new FakeWebCodecs();
    const d = new WebCodecsStreamDecoder(VideoCodec.VP8, { hardware: false }, wc);
    expect(idOf(await d.decode(VP8_KEY, 320, 240))).toBe(0);
    wc.holdOutput = true;
    const pending = d.decode(VP8_INTER, 320, 240);
    await Promise.resolve();
    d.close();
    // Closing answers the waiting caller with no picture.
    expect(await pending).toBeNull();
    wc.releaseHeld();
    await Promise.resolve();
    expect(wc.frames.every((f) => f.id === 0 || f.closed)).toBe(true);
  });

  describe('a frame whose output does not come', () => {
    afterEach(() => void vi.useRealTimers());

    it('is given up on (no picture) a second after its decode, each frame after its own second; the late output goes to the next caller', async () => {
      vi.useFakeTimers();
      const wc = new FakeWebCodecs();
      const d = new WebCodecsStreamDecoder(VideoCodec.VP8, { hardware: false }, wc);
      expect(idOf(await d.decode(VP8_KEY, 320, 240))).toBe(0);
      wc.holdOutput = true;
      const settled: (number | null | undefined)[] = [];
      const first = d.decode(VP8_INTER, 320, 240).then((f) => settled.push(f === null ? null : idOf(f)));
      await vi.advanceTimersByTimeAsync(400);
      const second = d.decode(VP8_INTER, 320, 240).then((f) => settled.push(f === null ? null : idOf(f)));
      await vi.advanceTimersByTimeAsync(599);
      expect(settled).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(settled).toEqual([null]);
      await vi.advanceTimersByTimeAsync(399);
      expect(settled).toEqual([null]);
      await vi.advanceTimersByTimeAsync(1);
      expect(settled).toEqual([null, null]);
      await Promise.all([first, second]);
      // The held outputs come now: the newest is kept for the next caller, the older one closed.
      wc.releaseHeld();
      await vi.advanceTimersByTimeAsync(0);
      wc.holdOutput = false;
      expect(idOf(await d.decode(VP8_INTER, 320, 240))).toBe(2);
      expect(wc.frames[1]!.closed).toBe(true);
    });

    it('a steady stream sets no timer a frame: one watchdog, not one timer per decode', async () => {
      vi.useFakeTimers();
      const wc = new FakeWebCodecs();
      const d = new WebCodecsStreamDecoder(VideoCodec.VP8, { hardware: false }, wc);
      const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
      expect(idOf(await d.decode(VP8_KEY, 320, 240))).toBe(0);
      for (let i = 1; i <= 50; i++) {
        await vi.advanceTimersByTimeAsync(40);
        expect(idOf(await d.decode(VP8_INTER, 320, 240))).toBe(i);
      }
      // 50 frames over 2 s: the watchdog fires about every second, never once per frame.
      expect(setTimeoutSpy.mock.calls.length).toBeLessThanOrEqual(4);
      setTimeoutSpy.mockRestore();
      d.close();
    });
  });
});
