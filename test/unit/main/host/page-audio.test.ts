// The bridge host's sound (src/main/host/page-audio.ts): playback and record bodies go to the page
// as they came, with whether the server takes Opus; the page's RECORD_DATA reaches the record
// channel only while the server records; AUDIO_CLOCK sets the session's multimedia clock; a session
// that is no longer the page's sends nothing.
import { describe, expect, it } from 'vitest';
import { AudioDataMode, type AudioCapabilities } from '../../../../src/protocol/audio/audio-format.ts';
import type { HostMessage } from '../../../../src/protocol/bridge/bridge-messages.ts';
import { MediaClock } from '../../../../src/protocol/channels/main/media-clock.ts';
import { PlaybackChannel } from '../../../../src/protocol/channels/playback/playback-channel.ts';
import { PlaybackMsg } from '../../../../src/protocol/channels/playback/playback-messages.ts';
import { RecordChannel } from '../../../../src/protocol/channels/record/record-channel.ts';
import { RecordCap, RecordMsg, RecordMsgc } from '../../../../src/protocol/channels/record/record-messages.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import type { Session } from '../../../../src/protocol/session/session.ts';
import { PageAudio } from '../../../../src/main/host/page-audio.ts';
import { miniMessage } from '../../../helpers/server-messages.ts';
import { waitUntil } from '../../../helpers/wait.ts';
import { linkedAudioChannel } from '../../channels/playback/audio-link.ts';
import { recordStartBody, sinePcm, startBody } from '../../channels/playback/audio-bodies.ts';

const OPUS_PAGE: AudioCapabilities = { opusDecode: true, opusEncode: true, volume: true, latency: false };

function fakeSession(): { session: Session; clock: MediaClock } {
  let now = 1000;
  const clock = new MediaClock(() => now++);
  return { session: { main: { clock } } as unknown as Session, clock };
}

describe('PageAudio', () => {
  it('forwards playback bodies, and record bodies with whether the server takes Opus', async () => {
    const sent: HostMessage[] = [];
    const recording: boolean[] = [];
    const audio = new PageAudio((m) => sent.push(m), silentLogger, (on) => recording.push(on));
    const { session } = fakeSession();
    audio.attach(session);
    const playback = await linkedAudioChannel((host) => new PlaybackChannel(host, 0, OPUS_PAGE));
    const record = await linkedAudioChannel((host) => new RecordChannel(host, 0, OPUS_PAGE), [RecordCap.OPUS]);
    try {
      audio.channelLinked(session, playback.channel);
      audio.channelLinked(session, record.channel);
      playback.server.feed(miniMessage(PlaybackMsg.START, startBody()));
      await waitUntil('PLAYBACK START forwarded', () => sent.some((m) => m.kind === 'playback'), 5000);
      expect(sent[0]).toMatchObject({ kind: 'playback', channelId: 0, type: PlaybackMsg.START, body: startBody() });

      // Before START the record channel takes nothing.
      audio.handle({ kind: 'record-data', mode: AudioDataMode.OPUS, time: 0, payload: new Uint8Array(100) });
      expect(audio.counts.recordDropped).toBe(1);
      record.server.feed(miniMessage(RecordMsg.START, recordStartBody()));
      await waitUntil('RECORD START forwarded', () => sent.some((m) => m.kind === 'record'), 5000);
      expect(sent.find((m) => m.kind === 'record')).toMatchObject({ kind: 'record', channelId: 0, type: RecordMsg.START, opus: true, body: recordStartBody() });
      expect(recording).toEqual([true]);
      expect(audio.recordingActive).toBe(true);
      audio.handle({ kind: 'record-data', mode: AudioDataMode.OPUS, time: 5, payload: new Uint8Array(100).fill(7) });
      audio.handle({ kind: 'record-data', mode: AudioDataMode.RAW, time: 6, payload: sinePcm() });
      expect(record.sent().map((m) => m.type)).toEqual([RecordMsgc.MODE, RecordMsgc.START_MARK, RecordMsgc.DATA, RecordMsgc.MODE, RecordMsgc.DATA]);
      expect(audio.counts.recordPackets).toBe(2);

      record.server.feed(miniMessage(RecordMsg.STOP, new Uint8Array(0)));
      await waitUntil('RECORD STOP', () => recording.length === 2, 5000);
      expect(recording).toEqual([true, false]);
      audio.handle({ kind: 'record-data', mode: AudioDataMode.RAW, time: 7, payload: sinePcm() });
      expect(audio.counts.recordPackets).toBe(2);
    } finally {
      await playback.close();
      await record.close();
    }
  });

  it('sets the session clock from AUDIO_CLOCK, and forgets a session that is not the page\'s any more', async () => {
    const sent: HostMessage[] = [];
    const audio = new PageAudio((m) => sent.push(m), silentLogger);
    const { session, clock } = fakeSession();
    audio.attach(session);
    audio.handle({ kind: 'audio-clock', mmNow: 123_456 });
    // The fake monotonic clock moved by a millisecond since the setting.
    expect(clock.now()).toBe(123_457);
    const playback = await linkedAudioChannel((host) => new PlaybackChannel(host, 0, OPUS_PAGE));
    try {
      audio.channelLinked(session, playback.channel);
      audio.attach(null);
      playback.server.feed(miniMessage(PlaybackMsg.START, startBody()));
      await waitUntil('START handled', () => playback.channel.stream !== null, 5000);
      expect(sent).toEqual([]);
      audio.handle({ kind: 'audio-clock', mmNow: 5 });
      expect(clock.now()).not.toBe(5);
    } finally {
      await playback.close();
    }
  });
});
