// `do speak`: a WAV file as the guest's microphone. When the server asks for the microphone
// (record START), the file is converted to the START's channels and rate (channels averaged or
// repeated, linear resampling) and sent as RAW packets of 10 ms, paced by the clock: the server
// keeps only 8192 frames (170 ms at 48 kHz) and drops the oldest on overflow, so a burst would
// lose all but the end. It ends when the file is sent or the server says STOP. The guest's capture
// VOLUME and MUTE are applied to each packet as it leaves (QEMU leaves them to the client; the
// page's microphone does the same, on the same cubic curve).
import { AudioDataMode } from '../../protocol/audio/audio-format.ts';
import { convertChannels, guestGain, rampGainS16, resampleLinear, s16Bytes } from '../../protocol/audio/pcm.ts';
import type { WavAudio } from '../../protocol/audio/wav.ts';
import type { RecordChannel, RecordStart } from '../../protocol/channels/record/record-channel.ts';
import type { Logger } from '../../protocol/logger.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';

/**
 * Packets sent ahead of the clock. A late packet is worse than the latency of a file: when the
 * ring is empty QEMU fills the guest's read with silence and counts it as read, so the guest falls
 * behind for good and the ring later overflows. 80 ms ahead covers a stalled event loop on a loaded
 * machine and leaves 90 ms of the 170 ms ring for QEMU reading late.
 */
export const SPEAK_LEAD_PACKETS = 8;
const PACKET_MS = 10;

export interface SpeakOptions {
  wav: WavAudio;
  /** How long to wait for the server's START. */
  waitMs: number;
  logger: Logger;
  /** Resolves (with why) when the session or the channel ends. */
  ended: Promise<string>;
  /** The time put in the packets (the server ignores it; spice-gtk sends 0). */
  mediaTime: () => number;
}

export interface SpeakResult {
  start: RecordStart;
  packets: number;
  /** Seconds of sound sent, in the START's rate. */
  seconds: number;
  ended: 'sent' | 'stop' | 'session-end';
  /** Whether the file was converted (its channels or rate differ from the START's). */
  converted: boolean;
  /** The gain of the last packet sent: the guest's capture volume (1 when it sent none, 0 while muted). */
  gain: number;
}

/** One packet at the guest's capture gain, ramped from the previous packet's gain (no click on a change). */
export function packetAtGain(packet: Uint8Array, channels: number, from: number, to: number): Uint8Array {
  if (from === 1 && to === 1) return packet;
  const pcm = new Int16Array(packet.byteLength >> 1);
  new Uint8Array(pcm.buffer).set(packet.subarray(0, pcm.byteLength));
  return s16Bytes(rampGainS16(pcm, channels, from, to));
}

/** The file in the server's format, cut into 10 ms packets. */
export function microphonePackets(wav: WavAudio, start: { channels: number; frequency: number }): { packets: Uint8Array[]; frames: number } {
  const channels = convertChannels(wav.samples, wav.channels, start.channels);
  const pcm = resampleLinear(channels, start.channels, wav.frequency, start.frequency);
  const frames = pcm.length / start.channels;
  const packetFrames = Math.max(1, Math.round(start.frequency / 100));
  const packets: Uint8Array[] = [];
  for (let f = 0; f < frames; f += packetFrames) packets.push(s16Bytes(pcm.subarray(f * start.channels, Math.min(frames, f + packetFrames) * start.channels)));
  return { packets, frames };
}

export function speakIntoRecord(channel: RecordChannel, o: SpeakOptions): Promise<SpeakResult> {
  return new Promise<SpeakResult>((resolve, reject) => {
    let done = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const offs: (() => void)[] = [];
    const waitTimer = setTimeout(() => end(new SpiceError('timeout', `the guest did not open its microphone within ${Math.round(o.waitMs / 1000)} s (the server sent no record START)`)), o.waitMs);
    let result: Omit<SpeakResult, 'ended'> | null = null;

    const end = (outcome: SpeakResult['ended'] | Error): void => {
      if (done) return;
      done = true;
      clearTimeout(waitTimer);
      clearTimeout(timer);
      offs.forEach((off) => off());
      if (outcome instanceof Error) reject(outcome);
      else if (!result) reject(new SpiceError('protocol', 'the session ended before the guest opened its microphone'));
      else resolve({ ...result, ended: outcome });
    };

    const begin = (start: RecordStart): void => {
      if (done || result) return;
      clearTimeout(waitTimer);
      const { packets } = microphonePackets(o.wav, start);
      const converted = o.wav.channels !== start.channels || o.wav.frequency !== start.frequency;
      o.logger.info({ ...start, packets: packets.length, converted }, 'sending the file as the microphone');
      const state = { start, packets: 0, seconds: 0, converted, gain: guestGain({ volume: channel.guestVolume, muted: channel.guestMuted }) };
      result = state;
      const t0 = performance.now();
      let next = 0;
      let sentFrames = 0;
      const tick = (): void => {
        if (done) return;
        const due = Math.min(packets.length, Math.floor((performance.now() - t0) / PACKET_MS) + 1 + SPEAK_LEAD_PACKETS);
        for (; next < due; next++) {
          const gain = guestGain({ volume: channel.guestVolume, muted: channel.guestMuted });
          const packet = packetAtGain(packets[next], start.channels, state.gain, gain);
          state.gain = gain;
          if (channel.sendAudio(packet, AudioDataMode.RAW, o.mediaTime())) {
            state.packets++;
            sentFrames += packets[next].byteLength / (2 * start.channels);
          }
        }
        state.seconds = sentFrames / start.frequency;
        if (next >= packets.length) {
          // The last packets sit in the server's ring until the guest reads them: stay until their time has passed.
          timer = setTimeout(() => end('sent'), (SPEAK_LEAD_PACKETS + 5) * PACKET_MS);
          return;
        }
        timer = setTimeout(tick, Math.max(1, t0 + (next - SPEAK_LEAD_PACKETS) * PACKET_MS - performance.now()));
      };
      tick();
    };

    offs.push(
      channel.events.on('start', begin),
      channel.events.on('stop', () => {
        if (result) end('stop');
      }),
    );
    void o.ended.then(() => end('session-end'));
    if (channel.started) begin(channel.started);
  });
}
