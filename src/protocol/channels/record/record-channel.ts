// The record channel: the server asks for the microphone (START with its format) and ends it
// (STOP); the client sends MODE and START_MARK once after each START, then DATA packets. What
// captures and encodes the sound (the CLI's `do speak`, the page's microphone through the bridge
// host) calls sendAudio; this channel only frames the packets and guards the order. Caps: VOLUME
// if the host applies the guest's capture volume, OPUS if it can encode Opus (never CELT).
//
// A malformed server message is logged, reported as 'message-error' and skipped; the channel goes on.
import { SpiceChannel, type ChannelHost, type HandlerTable, type MessageHandler } from '../../channel/channel.ts';
import { Emitter } from '../../emitter.ts';
import { CapSet } from '../../link/caps.ts';
import { ChannelType } from '../../link/constants.ts';
import { isSpiceError } from '../../wire/errors.ts';
import { AudioDataMode, audioDataModeNames, MAX_AUDIO_PAYLOAD, OPUS_RATES, type AudioCapabilities } from '../../audio/audio-format.ts';
import {
  buildRecordData,
  buildRecordMode,
  buildRecordStartMark,
  parseRecordMessage,
  RecordCap,
  recordMessageNames,
  RecordMsg,
  RecordMsgc,
  type RecordMessage,
} from './record-messages.ts';

export interface RecordStart {
  channels: number;
  format: number;
  frequency: number;
  /** The server takes Opus (its record cap OPUS, an Opus rate) and this host can encode it. */
  opus: boolean;
}

export type RecordEvents = {
  message: { type: number; body: Uint8Array; serial: bigint };
  start: RecordStart;
  stop: undefined;
  volume: { volume: number[] };
  mute: { muted: boolean };
  'message-error': { message: string };
};

type H = MessageHandler<RecordChannel>;

const receiveMessage = (name: string): H => ({ name, handle: (ch, body, serial, type) => ch.receive(type, body, serial) });

const recordHandlers: HandlerTable<RecordChannel, typeof RecordMsg> = {
  [RecordMsg.START]: receiveMessage('START'),
  [RecordMsg.STOP]: receiveMessage('STOP'),
  [RecordMsg.VOLUME]: receiveMessage('VOLUME'),
  [RecordMsg.MUTE]: receiveMessage('MUTE'),
};

/** The record caps a host with these capabilities announces. */
export function recordCaps(audio: AudioCapabilities): CapSet {
  const caps = new CapSet();
  if (audio.recordVolume ?? audio.volume) caps.add(RecordCap.VOLUME);
  if (audio.opusEncode) caps.add(RecordCap.OPUS);
  return caps;
}

/** Why sendAudio dropped packets, counted. */
export interface RecordDrops {
  /** No START in force (before the first, or after STOP). */
  notStarted: number;
  /** OPUS while this recording is RAW (the server would disconnect the channel on it). */
  wrongMode: number;
  /** Over MAX_AUDIO_PAYLOAD, or RAW that is not whole frames. */
  badSize: number;
}

export class RecordChannel extends SpiceChannel {
  readonly events = new Emitter<RecordEvents>();
  readonly audio: AudioCapabilities;
  /** The recording the server asked for (null outside START..STOP). */
  started: RecordStart | null = null;
  /** The mode announced to the server for this recording (null until the first sendAudio after START). */
  private sentMode: AudioDataMode | null = null;
  readonly drops: RecordDrops = { notStarted: 0, wrongMode: 0, badSize: 0 };
  /** DATA packets sent, over all recordings. */
  sentPackets = 0;
  /** The guest's capture volume (u16 per channel) from its last VOLUME; null before one. */
  guestVolume: number[] | null = null;
  /** The guest's capture mute from its last MUTE. */
  guestMuted = false;

  constructor(host: ChannelHost, id: number, audio: AudioCapabilities) {
    super(host, ChannelType.RECORD, id);
    this.audio = audio;
  }

  protected override channelCaps(): CapSet {
    return recordCaps(this.audio);
  }

  /** The caps this channel announces when it links (for `info`). */
  announcedCaps(): CapSet {
    return this.channelCaps();
  }

  protected override handlerFor(type: number): MessageHandler<this> | undefined {
    return (recordHandlers as Record<number, H>)[type] as MessageHandler<this> | undefined;
  }

  /** Parses and applies one message body; a malformed one is reported and skipped. */
  receive(type: number, body: Uint8Array, serial = 0n): void {
    this.events.emit('message', { type, body, serial });
    try {
      this.apply(parseRecordMessage(type, body, { channel: this.name }));
    } catch (e) {
      if (!isSpiceError(e)) throw e;
      this.log.warn({ type, size: body.byteLength }, `skipping record message ${recordMessageNames[type] ?? type}: ${e.message}`);
      this.events.emit('message-error', { message: e.message });
    }
  }

  /** Whether the server announced the record cap OPUS (false before the link). */
  get serverTakesOpus(): boolean {
    return this.link?.serverChannelCaps.has(RecordCap.OPUS) ?? false;
  }

  private apply(m: RecordMessage): void {
    switch (m.kind) {
      case 'start': {
        const opus = this.serverTakesOpus && this.audio.opusEncode && OPUS_RATES.includes(m.frequency);
        this.started = { channels: m.channels, format: m.format, frequency: m.frequency, opus };
        this.sentMode = null;
        this.log.debug({ ...this.started }, 'the server asks for the microphone');
        this.events.emit('start', { ...this.started });
        return;
      }
      case 'stop':
        this.started = null;
        this.sentMode = null;
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
    }
  }

  /**
   * Sends one packet of microphone sound: interleaved S16LE in the START's format (RAW), or one
   * Opus packet of 480 frames (OPUS, only when `started.opus`). The first packet after each START
   * goes behind MODE(time, mode) and START_MARK(time); a later change of mode sends MODE again.
   * A packet while not started, in OPUS for a RAW recording, or of a bad size is dropped and
   * counted in `drops`, never sent. Returns whether it was sent.
   */
  sendAudio(payload: Uint8Array, mode: AudioDataMode, time: number): boolean {
    const started = this.started;
    if (!started || this.state !== 'ready') {
      this.drops.notStarted++;
      return false;
    }
    if (mode === AudioDataMode.OPUS ? !started.opus : mode !== AudioDataMode.RAW) {
      if (this.drops.wrongMode++ === 0) this.log.warn({ mode: audioDataModeNames[mode] ?? mode, opus: started.opus }, 'dropping microphone packets in a mode this recording does not take');
      return false;
    }
    const frameBytes = 2 * started.channels;
    if (payload.byteLength === 0 || payload.byteLength > MAX_AUDIO_PAYLOAD || (mode === AudioDataMode.RAW && payload.byteLength % frameBytes !== 0)) {
      if (this.drops.badSize++ === 0) this.log.warn({ size: payload.byteLength, mode: audioDataModeNames[mode] }, 'dropping a microphone packet of a bad size');
      return false;
    }
    if (this.sentMode === null) {
      this.send(RecordMsgc.MODE, buildRecordMode(time, mode));
      this.send(RecordMsgc.START_MARK, buildRecordStartMark(time));
    } else if (this.sentMode !== mode) {
      this.send(RecordMsgc.MODE, buildRecordMode(time, mode));
    }
    this.sentMode = mode;
    this.send(RecordMsgc.DATA, buildRecordData(time, payload));
    this.sentPackets++;
    return true;
  }
}
