// The playback channel: the guest's sound, as RAW S16LE or Opus packets between START and STOP.
// The channel parses each message (playback-messages.ts), keeps the mode and the stream format,
// and hands the packets on as events; it decodes and plays nothing itself. Whoever plays the sound
// (the CLI's `do listen`, the page through the bridge host) gives its AudioCapabilities, and only
// what they honour is announced: OPUS if Opus can be decoded, VOLUME and LATENCY if they are acted on.
//
// A malformed message is logged, reported as 'message-error' and skipped; the channel goes on
// (the channel loop has framed the body by its header, so the next message is in step).
import { SpiceChannel, type ChannelHost, type HandlerTable, type MessageHandler } from '../../channel/channel.ts';
import { Emitter } from '../../emitter.ts';
import { CapSet } from '../../link/caps.ts';
import { ChannelType } from '../../link/constants.ts';
import { isSpiceError, ProtocolError } from '../../wire/errors.ts';
import { AudioDataMode, audioDataModeNames, type AudioCapabilities, type AudioStreamFormat } from '../../audio/audio-format.ts';
import { parsePlaybackMessage, PlaybackCap, playbackMessageNames, PlaybackMsg, type PlaybackMessage } from './playback-messages.ts';

export type PlaybackEvents = {
  /** Every message's raw body, before parsing (a page parses it itself). */
  message: { type: number; body: Uint8Array; serial: bigint };
  mode: { time: number; mode: AudioDataMode };
  start: { channels: number; format: number; frequency: number; time: number };
  /** payload: interleaved S16LE (RAW) or one Opus packet; mode is the one in force. */
  data: { time: number; mode: AudioDataMode; payload: Uint8Array };
  stop: undefined;
  /** u16 per channel, as the guest's mixer has it. */
  volume: { volume: number[] };
  mute: { muted: boolean };
  latency: { ms: number };
  /** A message that could not be applied; the channel goes on. */
  'message-error': { message: string };
};

type H = MessageHandler<PlaybackChannel>;

const receiveMessage = (name: string): H => ({ name, handle: (ch, body, serial, type) => ch.receive(type, body, serial) });

const playbackHandlers: HandlerTable<PlaybackChannel, typeof PlaybackMsg> = {
  [PlaybackMsg.DATA]: receiveMessage('DATA'),
  [PlaybackMsg.MODE]: receiveMessage('MODE'),
  [PlaybackMsg.START]: receiveMessage('START'),
  [PlaybackMsg.STOP]: receiveMessage('STOP'),
  [PlaybackMsg.VOLUME]: receiveMessage('VOLUME'),
  [PlaybackMsg.MUTE]: receiveMessage('MUTE'),
  [PlaybackMsg.LATENCY]: receiveMessage('LATENCY'),
};

/** The playback caps a host with these capabilities announces. */
export function playbackCaps(audio: AudioCapabilities): CapSet {
  const caps = new CapSet();
  if (audio.volume) caps.add(PlaybackCap.VOLUME);
  if (audio.latency) caps.add(PlaybackCap.LATENCY);
  if (audio.opusDecode) caps.add(PlaybackCap.OPUS);
  return caps;
}

export class PlaybackChannel extends SpiceChannel {
  readonly events = new Emitter<PlaybackEvents>();
  readonly audio: AudioCapabilities;
  /** The data mode in force: the last MODE's (null before the first). */
  mode: AudioDataMode | null = null;
  /** The format of the stream playing now (null outside START..STOP). */
  stream: (AudioStreamFormat & { time: number }) | null = null;
  /** Packets and messages seen, for `info` and tests. */
  readonly counts = { data: 0, starts: 0, errors: 0 };
  /** The guest's playback volume (u16 per channel) from its last VOLUME; null before one. */
  guestVolume: number[] | null = null;
  /** The guest's playback mute from its last MUTE. */
  guestMuted = false;

  constructor(host: ChannelHost, id: number, audio: AudioCapabilities) {
    super(host, ChannelType.PLAYBACK, id);
    this.audio = audio;
  }

  protected override channelCaps(): CapSet {
    return playbackCaps(this.audio);
  }

  /** The caps this channel announces when it links (for `info`). */
  announcedCaps(): CapSet {
    return this.channelCaps();
  }

  protected override handlerFor(type: number): MessageHandler<this> | undefined {
    return (playbackHandlers as Record<number, H>)[type] as MessageHandler<this> | undefined;
  }

  /** Parses and applies one message body; a malformed one is reported and skipped. */
  receive(type: number, body: Uint8Array, serial = 0n): void {
    this.events.emit('message', { type, body, serial });
    try {
      this.apply(parsePlaybackMessage(type, body, { channel: this.name }), type);
    } catch (e) {
      if (!isSpiceError(e)) throw e;
      this.counts.errors++;
      this.log.warn({ type, size: body.byteLength }, `skipping playback message ${playbackMessageNames[type] ?? type}: ${e.message}`);
      this.events.emit('message-error', { message: e.message });
    }
  }

  private apply(m: PlaybackMessage, type: number): void {
    switch (m.kind) {
      case 'mode':
        if (m.mode === AudioDataMode.OPUS && !this.audio.opusDecode) {
          // The server chose a mode this host did not announce: passed on (a page may still play
          // it), but said, since the sound will most likely not be heard.
          this.log.warn('the server chose OPUS playback although this host did not announce that it decodes Opus');
        }
        this.mode = m.mode;
        this.events.emit('mode', { time: m.time, mode: m.mode });
        return;
      case 'start':
        this.stream = { channels: m.channels, format: m.format, frequency: m.frequency, time: m.time };
        this.counts.starts++;
        this.log.debug({ ...this.stream, mode: this.mode === null ? null : audioDataModeNames[this.mode] }, 'playback started');
        this.events.emit('start', { channels: m.channels, format: m.format, frequency: m.frequency, time: m.time });
        return;
      case 'data': {
        const mode = this.mode ?? AudioDataMode.RAW;
        if (mode === AudioDataMode.RAW) {
          const frameBytes = 2 * (this.stream?.channels ?? 2);
          if (m.payload.byteLength % frameBytes !== 0) {
            throw new ProtocolError(`a RAW packet of ${m.payload.byteLength} bytes is not a whole number of ${frameBytes}-byte frames`, 4, {
              channel: this.name,
              messageType: type,
              messageName: 'DATA',
            });
          }
        }
        this.counts.data++;
        this.events.emit('data', { time: m.time, mode, payload: m.payload });
        return;
      }
      case 'stop':
        this.stream = null;
        this.events.emit('stop', undefined);
        return;
      case 'volume':
        this.guestVolume = m.volume;
        this.events.emit('volume', { volume: m.volume });
        return;
      case 'mute':
        this.guestMuted = m.muted;
        this.events.emit('mute', { muted: m.muted });
        return;
      case 'latency':
        this.events.emit('latency', { ms: m.ms });
        return;
    }
  }
}
