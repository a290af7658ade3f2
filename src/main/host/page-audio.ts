// The page's sound in the bridge host: the playback and record channels' message bodies go to the
// page as they came (it parses, decodes and plays them itself), the page's microphone packets
// (RECORD_DATA) go to the record channel, and the page's AUDIO_CLOCK sets the session's
// multimedia clock, so video frames are timed by what the page's listener hears (spice-gtk does
// the same with its sink: mm time = the last DATA.time minus what is still buffered).
import type { AudioUiMessage } from '../../protocol/bridge/audio-messages.ts';
import type { HostMessage } from '../../protocol/bridge/bridge-messages.ts';
import type { SpiceChannel } from '../../protocol/channel/channel.ts';
import { PlaybackChannel } from '../../protocol/channels/playback/playback-channel.ts';
import { RecordChannel } from '../../protocol/channels/record/record-channel.ts';
import type { Logger } from '../../protocol/logger.ts';
import type { Session } from '../../protocol/session/session.ts';

export class PageAudio {
  private session: Session | null = null;
  private record: RecordChannel | null = null;
  /** Whether the server is recording (START..STOP): the Electron window allows the microphone only then. */
  private recordingNow = false;
  /** AUDIO_CLOCKs taken, and RECORD_DATA packets the record channel refused. */
  readonly counts = { clocks: 0, recordPackets: 0, recordDropped: 0 };

  constructor(
    private readonly send: (m: HostMessage) => void,
    private readonly log: Logger,
    /** Told when the server starts or stops recording (and false when the session goes). */
    private readonly recording: (on: boolean) => void = () => {},
  ) {}

  /** The page's session now (null between sessions). */
  attach(session: Session | null): void {
    this.session = session;
    this.record = null;
    this.setRecording(false);
  }

  /** A channel of the page's session linked: forwards its sound messages. */
  channelLinked(session: Session, ch: SpiceChannel): void {
    if (ch instanceof PlaybackChannel) {
      ch.events.on('message', ({ type, body, serial }) => {
        if (this.session === session) this.send({ kind: 'playback', channelId: ch.id, type, serial, body });
      });
    } else if (ch instanceof RecordChannel) {
      if (this.session === session) this.record = ch;
      // Sent with whether the server takes Opus from this host; the page checks the rate itself.
      ch.events.on('message', ({ type, body }) => {
        if (this.session === session) this.send({ kind: 'record', channelId: ch.id, type, opus: ch.serverTakesOpus && ch.audio.opusEncode, body });
      });
      ch.events.on('start', () => {
        if (this.session === session) this.setRecording(true);
      });
      ch.events.on('stop', () => {
        if (this.session === session) this.setRecording(false);
      });
    }
  }

  get recordingActive(): boolean {
    return this.recordingNow;
  }

  /** RECORD_DATA and AUDIO_CLOCK from the page. */
  handle(m: AudioUiMessage): void {
    if (m.kind === 'audio-clock') {
      // The page hears this now: the session's clock (and the page's video) follows it.
      this.session?.main.clock.set(m.mmNow);
      this.counts.clocks++;
      return;
    }
    // A page may still send a few packets after STOP or between sessions: the channel drops and counts them.
    const sent = this.record?.sendAudio(m.payload, m.mode, m.time) ?? false;
    if (sent) this.counts.recordPackets++;
    else if (this.counts.recordDropped++ === 0) this.log.info({ recording: this.recordingNow }, 'dropping microphone packets the record channel does not take now');
  }

  private setRecording(on: boolean): void {
    if (on === this.recordingNow) return;
    this.recordingNow = on;
    this.recording(on);
  }
}
