// What the page announces for its sound channels: exactly what it honours (Opus where WebCodecs
// does it; volume and LATENCY wherever an AudioWorklet plays, since the playout applies both).
import { describe, expect, it } from 'vitest';
import { probeAudioCapabilities } from '../../../../src/renderer/audio/audio-capabilities.ts';

describe('probeAudioCapabilities', () => {
  it('announces volume and LATENCY where a worklet plays, Opus where WebCodecs supports it', async () => {
    const yes = () => Promise.resolve({ supported: true });
    const no = () => Promise.resolve({ supported: false });
    expect(await probeAudioCapabilities({ worklet: true, decoderSupport: yes, encoderSupport: no })).toEqual({ opusDecode: true, opusEncode: false, volume: true, latency: true });
    expect(await probeAudioCapabilities({ worklet: true })).toEqual({ opusDecode: false, opusEncode: false, volume: true, latency: true });
  });

  it('announces nothing where no worklet can play (not a secure context)', async () => {
    const yes = () => Promise.resolve({ supported: true });
    expect(await probeAudioCapabilities({ worklet: false, decoderSupport: yes, encoderSupport: yes })).toEqual({ opusDecode: false, opusEncode: false, volume: false, latency: false });
  });
});
