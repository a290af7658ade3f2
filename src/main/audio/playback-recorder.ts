// `do listen`: what the guest plays, from the playback channel into a WAV file. RAW packets are
// written as they come; Opus packets are decoded first (opus-decode.ts, loaded by the first Opus
// stream). The WAV has the first START's channels and frequency. The guest's playback volume and
// mute (VOLUME, MUTE: the command line announces VOLUME) are applied as a player applies them, so
// the file holds what a listener would have heard: a change ramps over one packet, not a click.
//
// Gaps: the file holds the sound that came, packet after packet; no silence is put in where the
// server sent nothing (between a STOP and the next START, or a stall). So `--seconds S` means S
// seconds of the guest's sound, and the result says how many seconds were recorded when that was
// fewer (the guest stopped, the wall-clock limit below passed, or the session ended).
import { AudioDataMode, audioDataModeNames } from '../../protocol/audio/audio-format.ts';
import { guestGain, rampGainS16, s16FromBytes } from '../../protocol/audio/pcm.ts';
import type { PlaybackChannel } from '../../protocol/channels/playback/playback-channel.ts';
import type { Logger } from '../../protocol/logger.ts';
import { isSpiceError, SpiceError } from '../../protocol/wire/errors.ts';
import { createOpusDecoder, type OpusPcmDecoder } from './opus-decode.ts';
import { WavFileWriter } from './wav-file.ts';

export interface ListenOptions {
  file: string;
  /** Seconds of sound to record; null: until the server's STOP. */
  seconds: number | null;
  /** How long to wait for the first START, and (with seconds) how much longer than S the whole may take. */
  waitMs: number;
  logger: Logger;
  /** Resolves (with why) when the session or the channel ends. */
  ended: Promise<string>;
}

export type ListenEnd = 'seconds' | 'stop' | 'time-limit' | 'session-end' | 'format-change';

export interface ListenResult {
  file: string;
  channels: number;
  frequency: number;
  /** The data modes the packets came in. */
  modes: string[];
  frames: number;
  seconds: number;
  packets: number;
  /** Opus packets that did not decode (skipped). */
  badPackets: number;
  /** The lowest and highest gain of the guest's volume and mute applied (1 and 1: none). */
  gain: { min: number; max: number };
  ended: ListenEnd;
  /** Why, in words, when it ended before the seconds asked for. */
  detail?: string;
}

interface Packet {
  mode: AudioDataMode;
  payload: Uint8Array;
  /** The guest's volume and mute when it came. */
  gain: number;
}

/** Records the playback channel into `o.file`; rejects (leaving no file) when no sound came in time. */
export function listenToPlayback(channel: PlaybackChannel, o: ListenOptions): Promise<ListenResult> {
  return new Promise<ListenResult>((resolve, reject) => {
    let writer: WavFileWriter | null = null;
    let decoder: Promise<OpusPcmDecoder> | null = null;
    const queue: Packet[] = [];
    let pumping = false;
    let done = false;
    let packets = 0;
    let badPackets = 0;
    const modes = new Set<string>();
    const gain = { min: Infinity, max: -Infinity };
    /** The gain the last written packet ended at (a change ramps from it); null before the first. */
    let writtenGain: number | null = null;
    const wantFrames = (frequency: number) => (o.seconds === null ? Infinity : Math.round(o.seconds * frequency));
    const timers: ReturnType<typeof setTimeout>[] = [];

    const offs = [
      channel.events.on('start', (s) => begin(s.channels, s.frequency)),
      channel.events.on('data', ({ mode, payload }) => {
        if (!writer || done) return;
        // Copied: the body may be reused once this turn ends, and Opus waits for its decoder.
        queue.push({ mode, payload: payload.slice(), gain: guestGain({ volume: channel.guestVolume, muted: channel.guestMuted }) });
        void pump();
      }),
      channel.events.on('stop', () => {
        if (o.seconds === null && writer) void finishAfterQueue('stop');
      }),
    ];
    void o.ended.then((why) => finish('session-end', why));
    timers.push(
      setTimeout(() => {
        if (!writer) fail(new SpiceError('timeout', `no sound from the guest within ${Math.round(o.waitMs / 1000)} s (the server sent no playback START)`));
      }, o.waitMs),
    );

    function begin(channels: number, frequency: number): void {
      if (done) return;
      if (writer) {
        if (writer.channels !== channels || writer.frequency !== frequency) {
          void finishAfterQueue('format-change', `the guest's sound changed to ${channels} channels at ${frequency} Hz`);
        }
        return;
      }
      try {
        writer = new WavFileWriter(o.file, channels, frequency);
      } catch (e) {
        fail(new SpiceError('usage', `cannot write ${o.file}: ${(e as Error).message}`));
        return;
      }
      o.logger.info({ channels, frequency, file: o.file }, 'recording the guest sound');
      if (o.seconds !== null) {
        const limit = o.seconds * 1000 + o.waitMs;
        timers.push(setTimeout(() => finish('time-limit', `the guest played less than ${o.seconds} s within ${Math.round(limit / 1000)} s`), limit));
      }
    }

    async function pump(): Promise<void> {
      if (pumping) return;
      pumping = true;
      try {
        while (queue.length > 0 && !done && writer) {
          const packet = queue.shift()!;
          const pcm = await toPcm(packet, writer);
          if (done || !pcm) continue;
          const left = wantFrames(writer.frequency) - writer.frames;
          const wanted = pcm.length / writer.channels > left ? pcm.subarray(0, left * writer.channels) : pcm;
          const from = writtenGain ?? packet.gain;
          writer.append(packet.gain === 1 && from === 1 ? wanted : rampGainS16(wanted, writer.channels, from, packet.gain));
          writtenGain = packet.gain;
          gain.min = Math.min(gain.min, packet.gain);
          gain.max = Math.max(gain.max, packet.gain);
          if (writer.frames >= wantFrames(writer.frequency)) finish('seconds');
        }
      } catch (e) {
        fail(e instanceof Error ? e : new Error(String(e)));
      } finally {
        pumping = false;
      }
    }

    async function toPcm(packet: Packet, w: WavFileWriter): Promise<Int16Array | null> {
      packets++;
      modes.add(audioDataModeNames[packet.mode] ?? String(packet.mode));
      if (packet.mode === AudioDataMode.RAW) return s16FromBytes(packet.payload);
      decoder ??= createOpusDecoder(w.channels, w.frequency);
      const opus = await decoder;
      try {
        return opus.decode(packet.payload);
      } catch (e) {
        if (!isSpiceError(e)) throw e;
        if (badPackets++ === 0) o.logger.warn({ err: e.message }, 'skipping Opus packets that do not decode');
        return null;
      }
    }

    /** Ends once the packets already received are written (a STOP follows the last DATA). */
    async function finishAfterQueue(end: ListenEnd, detail?: string): Promise<void> {
      while ((pumping || queue.length > 0) && !done) await new Promise((r) => setTimeout(r, 5));
      finish(end, detail);
    }

    function cleanup(): void {
      done = true;
      offs.forEach((off) => off());
      timers.forEach(clearTimeout);
      void decoder?.then((d) => d.free(), () => {});
    }

    function finish(end: ListenEnd, detail?: string): void {
      if (done) return;
      if (!writer) {
        cleanup();
        reject(new SpiceError('unreachable', `the connection ended before any sound came (${detail ?? 'closed'})`));
        return;
      }
      cleanup();
      const w = writer;
      try {
        w.finish();
      } catch (e) {
        reject(new SpiceError('usage', `cannot write ${o.file}: ${(e as Error).message}`));
        return;
      }
      resolve({ file: o.file, channels: w.channels, frequency: w.frequency, modes: [...modes], frames: w.frames, seconds: w.seconds, packets, badPackets, gain: gain.min <= gain.max ? gain : { min: 1, max: 1 }, ended: end, detail });
    }

    function fail(error: Error): void {
      if (done) return;
      cleanup();
      writer?.abort();
      reject(error);
    }

    // Sound may already be playing when the action starts (the channel linked before it).
    if (channel.stream) begin(channel.stream.channels, channel.stream.frequency);
  });
}
