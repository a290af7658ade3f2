// The pure sound helpers: float to S16 with clipping, channel changes, the linear resampler, and
// WAV headers and parsing (with the errors a bad file gets).
import { describe, expect, it } from 'vitest';
import { convertChannels, floatPlanarToS16, resampleLinear, s16Bytes, s16FromBytes } from '../../../src/protocol/audio/pcm.ts';
import { parseWav, WAV_HEADER_SIZE, wavHeader, WavError } from '../../../src/protocol/audio/wav.ts';
import { channelOf, rms, sineS16, zeroCrossingFrequency } from '../../helpers/audio-analysis.ts';

const wavFile = (channels: number, frequency: number, samples: Int16Array) => {
  const out = new Uint8Array(WAV_HEADER_SIZE + samples.byteLength);
  out.set(wavHeader(channels, frequency, samples.byteLength));
  out.set(s16Bytes(samples), WAV_HEADER_SIZE);
  return out;
};

describe('pcm', () => {
  it('converts planar float to interleaved S16, clipping out-of-range values', () => {
    const s = floatPlanarToS16([Float32Array.of(0, 0.5, 1.5, -2), Float32Array.of(-0.5, 1, -1, 0.25)], 4);
    expect(Array.from(s)).toEqual([0, -16384, 16384, 32767, 32767, -32768, -32768, 8192]);
  });

  it('averages stereo to mono and repeats mono to stereo', () => {
    expect(Array.from(convertChannels(Int16Array.of(100, 300, -10, -20), 2, 1))).toEqual([200, -15]);
    expect(Array.from(convertChannels(Int16Array.of(7, -8), 1, 2))).toEqual([7, 7, -8, -8]);
    expect(Array.from(convertChannels(Int16Array.of(1, 2, 3, 4, 5, 6), 3, 2))).toEqual([1, 3, 4, 6]);
  });

  it('resamples linearly, keeping a tone\'s frequency and level', () => {
    const tone = sineS16({ hz: 1000, seconds: 0.5, rate: 16000, channels: 2, amplitude: 0.5 });
    const up = resampleLinear(tone, 2, 16000, 48000);
    expect(up.length / 2).toBe(24000);
    const ch = channelOf(up, 2, 1);
    expect(zeroCrossingFrequency(ch, 48000)).toBeCloseTo(1000, 1);
    expect(rms(ch) / rms(channelOf(tone, 2, 0))).toBeGreaterThan(0.98);
    expect(resampleLinear(Int16Array.of(0, 100), 1, 48000, 24000).length).toBe(1);
    expect(resampleLinear(new Int16Array(0), 2, 8000, 48000).length).toBe(0);
  });

  it('reads S16LE bytes at any offset', () => {
    const bytes = Uint8Array.of(9, 0x34, 0x12, 0xff, 0xff);
    expect(Array.from(s16FromBytes(bytes.subarray(1)))).toEqual([0x1234, -1]);
  });
});

describe('wav', () => {
  it('round-trips a header and samples', () => {
    const tone = sineS16({ hz: 440, seconds: 0.01, rate: 48000, channels: 2, amplitude: 0.25 });
    const wav = parseWav(wavFile(2, 48000, tone));
    expect({ channels: wav.channels, frequency: wav.frequency, frames: wav.frames }).toEqual({ channels: 2, frequency: 48000, frames: 480 });
    expect(Array.from(wav.samples)).toEqual(Array.from(tone));
  });

  it('skips other chunks, and takes what is there of a data chunk cut short', () => {
    const tone = Int16Array.of(1, 2, 3, 4);
    const file = wavFile(1, 8000, tone);
    const list = Uint8Array.of(...new TextEncoder().encode('LIST'), 3, 0, 0, 0, 1, 2, 3, 0);
    const withList = new Uint8Array([...file.subarray(0, 36), ...list, ...file.subarray(36)]);
    expect(Array.from(parseWav(withList).samples)).toEqual([1, 2, 3, 4]);
    expect(Array.from(parseWav(file.subarray(0, file.byteLength - 3)).samples)).toEqual([1, 2]);
  });

  it('names what is wrong with a file it cannot read', () => {
    const good = wavFile(2, 48000, new Int16Array(4));
    const edit = (at: number, value: number, bytes: 2 | 4) => {
      const f = good.slice();
      if (bytes === 2) new DataView(f.buffer).setUint16(at, value, true);
      else new DataView(f.buffer).setUint32(at, value, true);
      return f;
    };
    const cases: [Uint8Array, RegExp][] = [
      [new TextEncoder().encode('ID3 this is an mp3'), /not a WAV file \(no RIFF\/WAVE header\)/],
      [edit(20, 3, 2), /it is not PCM \(format 3\)/],
      [edit(34, 8, 2), /it is 8-bit PCM; only 16-bit is read/],
      [edit(22, 0, 2), /it declares 0 channels/],
      [edit(22, 300, 2), /it declares 300 channels/],
      [edit(24, 1_000_000, 4), /it declares 1000000 Hz/],
      [edit(16, 4, 4), /its fmt chunk is 4 bytes/],
      [good.subarray(0, 36), /it has no data chunk/],
      [edit(12, 0x20202020, 4), /its data chunk comes before the fmt chunk/],
      [good.subarray(0, 12), /it has no fmt chunk/],
    ];
    for (const [file, message] of cases) {
      expect(() => parseWav(file)).toThrow(WavError);
      expect(() => parseWav(file)).toThrow(message);
    }
  });

  it('does not allocate for a data size larger than the file', () => {
    const f = wavFile(2, 48000, new Int16Array(8));
    new DataView(f.buffer).setUint32(40, 0xfffffff0, true);
    expect(parseWav(f).frames).toBe(4);
  });
});
